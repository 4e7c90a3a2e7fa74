"""Cherry's own release number (``framework.__version__``).

Kept in a module of its own so that low modules (the error page names the version)
can read it without importing the package facade.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
