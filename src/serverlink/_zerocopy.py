"""Zero-copy sends: keeping the sender's buffer alive until C is done with it.

A ``copy=False`` send of a large buffer hands C a pointer into the Python
object. The object is pinned here under a token; when the last C reference
to the message is closed (in any thread), C posts the token to this
process's release queue, and the pin is dropped the next time Python drains
the queue (at each zero-copy send, and when a tracker is asked). C never
calls into Python. One queue serves the whole process, so a pinned buffer
outlives any context whose messages may still refer to it.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any

from serverlink._binding import ReleaseQueue

if TYPE_CHECKING:
    from serverlink.frame import MessageTracker

_lock = threading.Lock()
_queue = ReleaseQueue()
_tokens = itertools.count(1)
_pinned: dict[int, Any] = {}
_trackers: dict[int, MessageTracker] = {}


def queue() -> ReleaseQueue:
    """The C release queue (process-wide, never freed)."""
    return _queue


def pin(obj: Any, tracker: MessageTracker | None = None) -> int:
    """Keep ``obj`` alive until its token is released; returns the token."""
    with _lock:
        token = next(_tokens)
        _pinned[token] = obj
        if tracker is not None:
            _trackers[token] = tracker
    return token


def drain() -> None:
    """Drop the pins whose messages C has released."""
    with _lock:
        for token in _queue.take():
            _pinned.pop(token, None)
            tracker = _trackers.pop(token, None)
            if tracker is not None:
                tracker._released(token)


def wait(timeout_ms: int) -> bool:
    """Wait (without the GIL) until something is released; False on timeout."""
    return _queue.wait(timeout_ms)


def pinned_count() -> int:
    with _lock:
        return len(_pinned)
