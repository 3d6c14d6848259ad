"""Zero-copy sends: keeping the sender's buffer alive until C is done with it.

A ``copy=False`` send of a large buffer hands C a pointer into the Python
object. The object is pinned here under a token; when the last C reference
to the message is closed (in any thread), C posts the token to this
process's release queue. A watcher thread (a real OS thread, started with
the first pin, and again in a forked child) waits on that queue without the
GIL and drops the pin at once, so a buffer is released when serverlink is
done with it, not when some later operation happens to look. C never calls
into Python. One queue serves the whole process, so a pinned buffer
outlives any context whose messages may still refer to it.

The locks here are the interpreter's own (``_thread``), not ``threading``'s,
which gevent may have replaced with ones that only work between greenlets
of one OS thread: the watcher is another OS thread.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from serverlink import threads
from serverlink._binding import ReleaseQueue

if TYPE_CHECKING:
    from serverlink.frame import MessageTracker

_lock = threads.native_lock()
_queue = ReleaseQueue()
_tokens = itertools.count(1)
_pinned: dict[int, Any] = {}
_trackers: dict[int, MessageTracker] = {}
_callbacks: dict[int, Callable[[], None]] = {}
_watcher_pid = 0  # the process whose watcher thread runs (0: none yet)


def queue() -> ReleaseQueue:
    """The C release queue (process-wide, never freed)."""
    return _queue


def pin(
    obj: Any,
    tracker: MessageTracker | None = None,
    on_release: Callable[[], None] | None = None,
) -> int:
    """Keep ``obj`` alive until its token is released; returns the token.

    ``tracker`` is told, and ``on_release()`` called (in the watcher
    thread), when it is.
    """
    global _watcher_pid
    with _lock:
        token = next(_tokens)
        _pinned[token] = obj
        if tracker is not None:
            _trackers[token] = tracker
        if on_release is not None:
            _callbacks[token] = on_release
        start = _watcher_pid != os.getpid()
        if start:
            _watcher_pid = os.getpid()
    if start:
        threads.start_os_thread(_watch, "sl-zerocopy")
    return token


def _watch() -> None:
    """The watcher: drops each pin as soon as C releases its token."""
    pid = os.getpid()
    while pid == _watcher_pid:
        try:
            _queue.wait(-1)
            drain()
        except BaseException:  # the interpreter is shutting down
            return


def drain() -> None:
    """Drop the pins whose messages C has released."""
    released: list[tuple[int, MessageTracker | None, Callable[[], None] | None]] = []
    with _lock:
        for token in _queue.take():
            _pinned.pop(token, None)
            released.append((token, _trackers.pop(token, None), _callbacks.pop(token, None)))
    for token, tracker, callback in released:
        if tracker is not None:
            tracker._released(token)
        if callback is not None:
            callback()


def pinned_count() -> int:
    with _lock:
        return len(_pinned)
