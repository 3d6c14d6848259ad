"""``Poller``, ``select`` and ``zmq_poll``: sockets and plain fds in one wait.

Every call is one ``sl_poll`` into C, which waits without the GIL: it looks
at each socket's EVENTS (processing its commands), and if nothing is ready
waits on the sockets' mailbox fds and the plain fds together, then looks
again. The mailbox fd only says that EVENTS may have changed; C re-reads
EVENTS after every wake-up, so that edge never reaches Python.

A ``Poller`` keeps its ``sl_pollitem`` array between calls and rebuilds it
only when the set of registered objects changes (``modify`` writes the new
events in place). A socket closed while registered tells its pollers, whose
next ``poll`` raises ``ZMQError(ENOTSOCK)`` naming it instead of reading a
freed socket. Plain fds (ints, or objects with ``fileno()``) are read once,
at registration, as the ``selectors`` module does.

Timeouts are pyzmq's: milliseconds for ``Poller.poll`` and ``zmq_poll``,
seconds for ``select``; None waits forever. A signal handler that raises
(Ctrl-C) ends the wait; one that returns lets it go on for the time left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from serverlink._binding import PollItems
from serverlink.constants import PollEvent
from serverlink.error import ZMQError
from serverlink.socket import Socket, _closed_error, _timeout_ms

POLLIN = int(PollEvent.POLLIN)
POLLOUT = int(PollEvent.POLLOUT)
POLLERR = int(PollEvent.POLLERR)


def _fileno(obj: Any) -> int:
    if isinstance(obj, int) and not isinstance(obj, bool):
        fd = obj
    elif hasattr(obj, "fileno"):
        fd = int(obj.fileno())
    else:
        raise TypeError(
            f"Socket must be a serverlink socket, an integer fd or have a fileno() method: {obj!r}"
        )
    if fd < 0:
        raise ValueError(f"{obj!r} has no file descriptor (fileno() is {fd}): is it closed?")
    return fd


def _items(pairs: Sequence[tuple[Any, int]]) -> PollItems:
    """Poll items for (socket or fd, events) pairs."""
    items = PollItems(len(pairs))
    for i, (obj, flags) in enumerate(pairs):
        if isinstance(obj, Socket):
            h = obj._h
            if h is None:
                err = _closed_error()
                raise ZMQError(err.errno, f"{err.strerror}: {obj!r} is registered for polling")
            items.set_socket(i, h, flags)
        else:
            items.set_fd(i, _fileno(obj), flags)
    return items


def _ready(items: PollItems, objs: Sequence[Any], count: int) -> list[tuple[Any, int]]:
    """The (object, revents) pairs of the ``count`` items that have events."""
    out: list[tuple[Any, int]] = []
    if count <= 0:
        return out
    for i, obj in enumerate(objs):
        r = items.revents(i)
        if r:
            out.append((obj, r))
            if len(out) == count:
                break
    return out


def _pump_async(sockets: Iterable[Socket]) -> None:
    # sl_poll processed these sockets' commands: their asyncio waiters must
    # learn of what that made ready, since their FD edge is now consumed.
    for s in sockets:
        if s._waiting:
            s._pump()


def zmq_poll(sockets: Sequence[tuple[Any, int]], timeout: int | None = -1) -> list[tuple[Any, int]]:
    """Poll (socket or fd, events) pairs once; ``timeout`` in ms (-1 or None: forever)."""
    items = _items(sockets)
    objs = [obj for obj, _ in sockets]
    try:
        count = items.poll(_timeout_ms(timeout))
    finally:
        _pump_async(o for o in objs if isinstance(o, Socket) and o._async)
    return _ready(items, objs, count)


class Poller:
    """A stateful poll interface over serverlink sockets and fds (as pyzmq's)."""

    sockets: list[tuple[Any, int]]

    def __init__(self) -> None:
        self.sockets = []
        self._map: dict[Any, int] = {}
        self._items: PollItems | None = None  # cached between polls (None: rebuild)
        self._objs: list[Any] = []
        self._async: tuple[Socket, ...] = ()

    def __contains__(self, socket: Any) -> bool:
        return socket in self._map

    def register(self, socket: Any, flags: int = POLLIN | POLLOUT) -> None:
        """Watch ``socket`` (a serverlink Socket, an int fd, or an object with
        ``fileno()``) for ``flags``. Registering again changes the flags;
        ``flags=0`` unregisters."""
        if not isinstance(flags, int):
            raise TypeError(f"flags must be an int, not {type(flags).__name__}")
        if not flags:
            if socket in self._map:
                self.unregister(socket)
            return
        idx = self._map.get(socket)
        if idx is not None:
            self.sockets[idx] = (socket, flags)
            if self._items is not None:
                self._items.set_events(idx, flags)
            return
        if isinstance(socket, Socket):
            if socket._closed:
                raise _closed_error()
            socket._registered_in(self)
        else:
            _fileno(socket)  # a TypeError or ValueError now, not at poll()
        self._map[socket] = len(self.sockets)
        self.sockets.append((socket, flags))
        self._items = None

    def modify(self, socket: Any, flags: int = POLLIN | POLLOUT) -> None:
        """Change the flags of a registered socket or fd."""
        self.register(socket, flags)

    def unregister(self, socket: Any) -> None:
        """Stop watching ``socket`` (KeyError if it is not registered)."""
        idx = self._map.pop(socket)
        self.sockets.pop(idx)
        for s, _ in self.sockets[idx:]:
            self._map[s] -= 1
        self._items = None

    def _forget_items(self) -> None:
        """A registered socket closed: its pointer must not be polled again."""
        self._items = None

    def _build(self) -> PollItems:
        items = _items(self.sockets)
        self._objs = [obj for obj, _ in self.sockets]
        self._async = tuple(o for o in self._objs if isinstance(o, Socket) and o._async)
        self._items = items
        return items

    def poll(self, timeout: int | None = None) -> list[tuple[Any, int]]:
        """Wait up to ``timeout`` ms (None: forever); return ``[(socket or fd, events)]``.

        ``dict(poller.poll())`` maps each ready object to its events.
        """
        items = self._items
        if items is None:
            items = self._build()
        try:
            count = items.poll(_timeout_ms(timeout))
        finally:
            if self._async:
                _pump_async(self._async)
        return _ready(items, self._objs, count)


def select(
    rlist: Sequence[Any], wlist: Sequence[Any], xlist: Sequence[Any], timeout: float | None = None
) -> tuple[list[Any], list[Any], list[Any]]:
    """``select.select()`` over serverlink sockets and fds; ``timeout`` in seconds."""
    ms = -1 if timeout is None else int(timeout * 1000.0)
    if ms < 0:
        ms = -1
    flags: dict[Any, int] = {}
    for lst, bit in ((rlist, POLLIN), (wlist, POLLOUT), (xlist, POLLERR)):
        for s in lst:
            flags[s] = flags.get(s, 0) | bit
    ready = zmq_poll(list(flags.items()), ms)
    r: list[Any] = []
    w: list[Any] = []
    x: list[Any] = []
    for s, ev in ready:
        if ev & POLLIN:
            r.append(s)
        if ev & POLLOUT:
            w.append(s)
        if ev & POLLERR:
            x.append(s)
    return r, w, x


__all__ = ["Poller", "select", "zmq_poll"]
