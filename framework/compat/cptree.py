"""``cherrypy._cptree``: CherryPy keeps applications and the mount tree in one module.

Cherry splits them (:mod:`framework.core.application`, :mod:`framework.core.tree`);
this module puts both names back where CherryPy applications import them from.
"""

from __future__ import annotations

from framework.core.application import Application
from framework.core.tree import Tree

__all__ = ["Application", "Tree"]
