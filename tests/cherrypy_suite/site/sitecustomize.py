"""Install the CherryPy-suite import hook in every interpreter the suite runner starts.

The runner puts this directory on ``PYTHONPATH`` only for the suite's processes; the hook
does nothing unless ``CHERRY_SUITE_TARGET`` is set.
"""

from __future__ import annotations

import cherry_suite_hook

cherry_suite_hook.install_from_environ()
