"""``cherrypy._cpwsgi``: CherryPy's WSGI middleware pipeline and virtual-host router.

Both live in :mod:`framework.wsgi`; this module gives them CherryPy's names.
"""

from __future__ import annotations

from framework.wsgi import Pipeline, VirtualHost

__all__ = ["CPWSGIApp", "VirtualHost"]

#: CherryPy's name for an application's middleware pipeline (``app.wsgiapp``).
CPWSGIApp = Pipeline
