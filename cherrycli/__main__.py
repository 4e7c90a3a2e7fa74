"""Run the toolchain as ``python -m cherrycli`` (same as the ``cherry`` script)."""

from __future__ import annotations

from cherrycli.main import main

if __name__ == "__main__":
    main()
