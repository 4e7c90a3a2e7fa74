"""Benchmarks for Cherry; not shipped in the wheel.

``bench/inprocess.py`` times the six reference scenarios by calling each contender's WSGI
callable directly; ``bench/contenders/`` holds one small app per framework. See
``bench/README.md`` for how to run them and what the numbers mean.
"""
