"""Stand-in renderers (``DocumentTask.renderer``) for tests of the close's render stage."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Rendered:
    engine: str = "stand-in"
    duration_s: float = 0.0
    timings: dict = field(default_factory=dict)


def copy_notebook(executed: Path, target: Path, fields: dict) -> Rendered:
    """Writes the executed notebook's bytes as the output, and says in which process."""
    Path(target).write_bytes(Path(executed).read_bytes())
    Path(fields["pdf"]).with_suffix(".pid").write_text(str(os.getpid()))
    return Rendered()


def kill_the_process(executed: Path, target: Path, fields: dict) -> Rendered:
    """A render that takes its process down (as a crash in Typst or pandoc would)."""
    os._exit(70)
