"""``cherry serve --reload``: one socket, restartable workers, no mess.

- :mod:`~cherrycli.reload.watch`: which changed files matter, and the watcher loop;
- :mod:`~cherrycli.reload.supervisor`: binds the socket once, keeps a warm spare
  worker and turns each relevant change into a restart (:func:`run_supervisor
  <cherrycli.reload.supervisor.run_supervisor>`);
- :mod:`~cherrycli.reload.worker`: the worker process (``python -m
  cherrycli.reload.worker``) that loads the app and serves the inherited socket, and
  the pipe protocol between the two.

This package imports nothing itself; the supervisor never imports the framework or the app.
"""
