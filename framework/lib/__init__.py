"""The tool library: the callables behind the built-in tools.

Each module holds plain functions that read the current request through
``framework.serving``; :mod:`framework.toolbox` turns them into the default tools. Optional
engines (Jinja2, Mako, Redis) are imported only when their tool runs.
"""

from __future__ import annotations
