"""A ``zmq.MessageTracker`` that follows serverlink's zero-copy releases.

Imported on the first tracked zero-copy send, when pyzmq is fully imported
(pyzmq's sugar, which defines MessageTracker, imports the backend first).
"""

from __future__ import annotations

import zmq

from serverlink.error import NotDone as _SLNotDone
from serverlink.frame import MessageTracker as _SLTracker


class ZeroCopyTracker(zmq.MessageTracker):
    """Done once serverlink has released every message of a ``copy=False`` send."""

    def __init__(self, tracker: _SLTracker) -> None:
        super().__init__()
        self._sl_tracker = tracker

    @property
    def done(self) -> bool:
        return self._sl_tracker.done and super().done

    def wait(self, timeout: float | int = -1) -> None:
        if timeout is False or timeout < 0:
            timeout = -1
        try:
            self._sl_tracker.wait(timeout)
        except _SLNotDone:
            raise zmq.NotDone(f"message not released by serverlink within {timeout}s") from None
