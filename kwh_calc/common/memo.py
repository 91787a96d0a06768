"""Remembering the result of a pure function of a DataFrame, keyed on the frame's content.

A kept kernel makes hundreds of documents in a row, and some national figures behind them
(the national distribution of every Aedes sub-score, say) are computed from the same national
table again for every chart of every document. :class:`FrameMemo` keeps the last few results,
keyed on a hash of the table's content, so that a table with other content is always computed
anew (issue 13).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable

import pandas as pd

__all__ = ["FrameMemo", "frame_key"]


def frame_key(frame: pd.DataFrame) -> str:
    """SHA-256 of a DataFrame's content: column names, dtypes, index and every cell.

    Two frames with the same key hold the same data (up to SHA-256 collisions); a change of
    any cell, column name or dtype gives another key.
    """
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


class FrameMemo:
    """The last ``size`` results of ``function(frame, *extra)``, keyed on ``frame_key(frame)``
    and ``extra`` (hashable values that, with the frame, determine the result).

    Returned frames are shallow copies of the remembered one: under pandas' copy-on-write a
    caller that changes its copy never changes what the next caller gets.
    """

    def __init__(self, function: Callable[..., pd.DataFrame], size: int = 4):
        self.function = function
        self.size = size
        self._results: OrderedDict[tuple, pd.DataFrame] = OrderedDict()

    def __call__(self, frame: pd.DataFrame, *extra: Hashable, compute_args: tuple = ()) -> pd.DataFrame:
        """The result for ``frame``; ``compute_args`` are passed to the function when it runs
        (they must be determined by ``extra``)."""
        key = (frame_key(frame), *extra)
        if key in self._results:
            self._results.move_to_end(key)
        else:
            self._results[key] = self.function(frame, *compute_args)
            while len(self._results) > self.size:
                self._results.popitem(last=False)
        return self._results[key].copy(deep=False)

    def clear(self) -> None:
        """Forget every remembered result."""
        self._results.clear()
