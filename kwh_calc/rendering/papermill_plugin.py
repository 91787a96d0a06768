"""The ``papermill.engine`` entry point of the kept-kernel engine, safe to load at any time.

Papermill loads its engine plug-ins while ``papermill.engines`` itself is being imported. The
engine (:class:`kwh_calc.rendering.kernels.KeptKernelEngine`) subclasses papermill's own
engine, so loading it there would be a circular import whenever ``kwh_calc.rendering.kernels``
is imported before papermill. This class imports nothing from papermill: it hands papermill's
three engine calls to the real engine, imported on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["KeptKernelPlugin"]


def _engine() -> Any:
    from kwh_calc.rendering.kernels import KeptKernelEngine

    return KeptKernelEngine


class KeptKernelPlugin:
    """What papermill's engine registry calls on an engine, forwarded to the kept-kernel engine."""

    @classmethod
    def execute_notebook(cls, *args: Any, **kwargs: Any) -> Any:
        return _engine().execute_notebook(*args, **kwargs)

    @classmethod
    def nb_kernel_name(cls, *args: Any, **kwargs: Any) -> Any:
        return _engine().nb_kernel_name(*args, **kwargs)

    @classmethod
    def nb_language(cls, *args: Any, **kwargs: Any) -> Any:
        return _engine().nb_language(*args, **kwargs)
