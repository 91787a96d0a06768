"""What a fresh Python process has imported after some code: for tests that keep processes lean."""

from __future__ import annotations

import subprocess
import sys


def loaded_after(code: str, modules: tuple[str, ...]) -> tuple[str, list[str]]:
    """Run ``code`` in a fresh interpreter; what it printed, and which of ``modules`` it imported."""
    probe = (
        f"\nimport sys as _sys\nprint('LOADED', sorted(m for m in {modules!r} if _sys.modules.get(m) is not None))\n"
    )
    output = subprocess.run([sys.executable, "-c", code + probe], capture_output=True, text=True, check=True).stdout
    printed, _, loaded = output.rpartition("LOADED ")
    return printed, eval(loaded)  # a printed list of module names
