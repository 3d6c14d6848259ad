"""``zmq_poll``: pyzmq's poll over serverlink's ``sl_poll``.

``sl_poll`` waits on sockets and plain fds together, in C without the GIL,
as libzmq's ``zmq_poll`` does. A signal interrupts the wait; the call is
resumed with what is left of the timeout, after Python has run the signal's
handler (so Ctrl-C raises KeyboardInterrupt).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import serverlink
from serverlink._binding import CSocket, PollItems
from serverlink.backend.socket import Socket, _closed
from serverlink.backend.utils import from_serverlink


def csocket(s: Any) -> CSocket | None:
    """The binding's socket of a backend or serverlink socket, None if ``s`` is not one.

    ENOTSOCK if it is closed.
    """
    if isinstance(s, Socket):
        h = s._sl_handle._h
    elif isinstance(s, serverlink.Socket):
        h = s._h
    else:
        return None
    if h is None:
        raise _closed()
    return h


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
    items = PollItems(n)
    given: list[Any] = []
    for i, (s, events) in enumerate(sockets):
        h = csocket(s)
        if h is not None:
            items.set_socket(i, h, events)
            given.append(s)
        else:
            fd = _fileno(s)
            items.set_fd(i, fd, events)
            given.append(fd)
    try:
        items.poll(int(timeout))
    except serverlink.ZMQError as e:
        raise from_serverlink(e) from None
    result: list[tuple[Any, int]] = []
    for i, s in enumerate(given):
        revents = items.revents(i)
        if revents > 0:
            result.append((s, revents))
    return result
