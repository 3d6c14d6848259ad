"""Helpers with pyzmq's names (``serverlink.utils.monitor``), and ``Stopwatch``."""

from __future__ import annotations

import time
import warnings


class Stopwatch:
    """pyzmq's deprecated ``zmq.Stopwatch``: microseconds between ``start()`` and ``stop()``.

    Use ``time.monotonic()`` in new code.
    """

    def __init__(self) -> None:
        warnings.warn(
            "Stopwatch is deprecated (as zmq.Stopwatch): use time.monotonic() instead",
            DeprecationWarning,
            stacklevel=2,
        )
        self._start = 0.0

    def start(self) -> None:
        """Start counting."""
        self._start = time.monotonic()

    def stop(self) -> int:
        """Microseconds since ``start()``."""
        return int(1e6 * (time.monotonic() - self._start))


__all__ = ["Stopwatch"]
