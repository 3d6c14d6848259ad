"""``zmq_poll``: pyzmq's poll over serverlink's ``sl_poll``.

``sl_poll`` waits on sockets and plain fds together, in C without the GIL,
as libzmq's ``zmq_poll`` does. A signal interrupts the wait; the call is
resumed with what is left of the timeout, after Python has run the signal's
handler (so Ctrl-C raises KeyboardInterrupt).
"""

from __future__ import annotations

import errno as _errno
import time
from collections.abc import Sequence
from typing import Any

from zmq.error import ZMQError

import serverlink
from serverlink._core import ffi, lib
from serverlink.backend.socket import Socket
from serverlink.backend.utils import raise_last


def socket_pointer(s: Any) -> Any:
    """The C socket of a backend or serverlink socket, or None if ``s`` is not one."""
    if isinstance(s, Socket):
        p = s._sl_handle._s
    elif isinstance(s, serverlink.Socket):
        p = s._s
    else:
        return None
    if p == ffi.NULL:
        raise ZMQError(_errno.ENOTSOCK, "Socket operation on non-socket (socket is closed)")
    return p


def _fileno(s: Any) -> int:
    if isinstance(s, int):
        return s
    if hasattr(s, "fileno"):
        try:
            return int(s.fileno())
        except Exception:
            raise ValueError("fileno() must return a valid integer fd") from None
    raise TypeError(f"Socket must be a 0MQ socket, an integer fd or have a fileno() method: {s!r}")


def zmq_poll(sockets: Sequence[tuple[Any, int]], timeout: int = -1) -> list[tuple[Any, int]]:
    """Wait up to ``timeout`` ms (-1: forever) for events on sockets and fds.

    ``sockets`` is a sequence of ``(socket_or_fd, events)``; returns the
    ready ones as ``(socket, revents)``, with plain fds given as ints.
    """
    n = len(sockets)
    if n == 0:
        if timeout > 0:
            time.sleep(timeout / 1000)
        return []
    items = ffi.new("sl_pollitem[]", n)
    for i, (s, events) in enumerate(sockets):
        p = socket_pointer(s)
        if p is not None:
            items[i].socket = p
        else:
            items[i].fd = _fileno(s)
        items[i].events = events
    timeout = int(timeout)
    deadline = time.monotonic() + timeout / 1000 if timeout > 0 else 0.0
    while lib.sl_poll(items, n, timeout) < 0:
        if ffi.errno != _errno.EINTR:
            raise_last()
        if timeout > 0:
            timeout = max(0, int((deadline - time.monotonic()) * 1000))
    result: list[tuple[Any, int]] = []
    for i, (s, _) in enumerate(sockets):
        revents = int(items[i].revents)
        if revents > 0:
            result.append((s if items[i].socket != ffi.NULL else int(items[i].fd), revents))
    return result
