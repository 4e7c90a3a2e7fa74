"""Run the toolchain as ``python -m cherrycli`` (same as the ``cherry`` script)."""

from __future__ import annotations

from cherrycli import run

if __name__ == "__main__":
    run()
