"""``proxy``, ``proxy_steerable`` and ``monitored_queue`` over ``sl_poll``.

libzmq runs these loops in C; here they are Python loops whose every step is
one C call: waits happen in ``sl_poll`` without the GIL, and message parts
move as C message references (``sl_recv_msg`` then ``sl_send_msg``), so a
forwarded payload is never copied into Python.

The proxy forwards a message only when its source is readable *and* its
destination writable, and otherwise waits for whichever of the two is
missing, so a full destination (a PUSH at its high-water mark, say) never
blocks the other direction and never makes the loop spin; one socket given
as both frontend and backend sends back what it receives. It returns when
the context is terminated (raising ``zmq.ContextTerminated``), or, for
``proxy_steerable``, on TERMINATE. The control socket takes PAUSE, RESUME,
TERMINATE and STATISTICS (eight uint64 frames, native byte order, as
libzmq's); a REP control socket gets an empty reply to the other commands,
as current libzmq gives, and an unknown command is ignored (libzmq asserts).
"""

from __future__ import annotations

import errno as _errno
import struct
from typing import Any

from zmq.error import ZMQError

from serverlink._core import ffi, lib
from serverlink.backend.poll import socket_pointer
from serverlink.backend.utils import raise_last
from serverlink.constants import SocketOption, SocketType

_NULL = ffi.NULL
_EINTR = _errno.EINTR
_POLLIN = 1
_POLLOUT = 2
_SNDMORE = 2


class _Sock:
    """A C socket and a reusable int buffer for its EVENTS."""

    def __init__(self, s: Any, what: str) -> None:
        p = socket_pointer(s)
        if p is None:
            raise TypeError(f"{what} must be a zmq or serverlink socket, not {type(s).__name__}")
        self.p = p
        self._v = ffi.new("int *")
        self._n = ffi.new("size_t *")

    def getint(self, option: int) -> int:
        while True:
            self._n[0] = 4
            if lib.sl_getsockopt(self.p, option, self._v, self._n) == 0:
                return int(self._v[0])
            if ffi.errno != _EINTR:
                raise_last()

    def events(self) -> int:
        return self.getint(SocketOption.EVENTS)

    def recv_part(self) -> Any:
        while True:
            m = lib.sl_recv_msg(self.p, 0)
            if m != _NULL:
                return m
            if ffi.errno != _EINTR:
                raise_last()

    def send_part(self, m: Any, flags: int) -> None:
        while lib.sl_send_msg(self.p, m, flags) != 0:
            if ffi.errno != _EINTR:
                raise_last()

    def send_bytes(self, data: bytes, flags: int) -> None:
        while lib.sl_send(self.p, data, len(data), flags) != 0:
            if ffi.errno != _EINTR:
                raise_last()


def _poll(items: Any, n: int) -> None:
    while lib.sl_poll(items, n, -1) < 0:
        if ffi.errno != _EINTR:
            raise_last()


def _forward(
    src: _Sock, dst: _Sock, capture: _Sock | None, stats: list[int], i: int, o: int
) -> None:
    """Move one whole message from src to dst (and a copy to capture).

    Counts it in ``stats``: received on src at [i], [i+1]; sent on dst at [o], [o+1].
    """
    while True:
        m = src.recv_part()
        try:
            more = bool(lib.sl_msg_more(m))
            size = int(lib.sl_msg_size(m))
            flags = _SNDMORE if more else 0
            stats[i] += 1
            stats[i + 1] += size
            if capture is not None:
                capture.send_part(m, flags)
            dst.send_part(m, flags)
            stats[o] += 1
            stats[o + 1] += size
        finally:
            lib.sl_msg_destroy(m)
        if not more:
            return


def _recv_command(control: _Sock) -> bytes:
    """The first frame of the next control message (the rest are dropped)."""
    m = control.recv_part()
    try:
        cmd = bytes(ffi.unpack(lib.sl_msg_data(m), lib.sl_msg_size(m)))
        more = bool(lib.sl_msg_more(m))
    finally:
        lib.sl_msg_destroy(m)
    while more:
        m = control.recv_part()
        more = bool(lib.sl_msg_more(m))
        lib.sl_msg_destroy(m)
    return cmd


def _run(frontend: Any, backend: Any, capture: Any, control: Any) -> int:
    front = _Sock(frontend, "frontend")
    back = _Sock(backend, "backend")
    same = front.p == back.p
    cap = _Sock(capture, "capture") if capture is not None else None
    ctl = _Sock(control, "control") if control is not None else None
    ctl_is_rep = ctl is not None and ctl.getint(SocketOption.TYPE) == SocketType.REP
    # frontend in/out msgs+bytes at 0..3, backend at 4..7, as libzmq's STATISTICS.
    stats = [0] * 8
    paused = False
    n = 3 if ctl is not None else 2
    items = ffi.new("sl_pollitem[]", 3)
    items[0].socket = front.p
    items[1].socket = back.p
    if ctl is not None:
        items[2].socket = ctl.p
        items[2].events = _POLLIN
    while True:
        if ctl is not None and ctl.events() & _POLLIN:
            cmd = _recv_command(ctl)
            if cmd == b"STATISTICS":
                for k, v in enumerate(stats):
                    ctl.send_bytes(struct.pack("=Q", v), _SNDMORE if k < 7 else 0)
                continue
            if cmd == b"PAUSE":
                paused = True
            elif cmd == b"RESUME":
                paused = False
            if ctl_is_rep:
                ctl.send_bytes(b"", 0)
            if cmd == b"TERMINATE":
                return 0
            continue
        if paused:
            items[0].events = items[1].events = 0
            _poll(items, n)
            continue
        ef = front.events()
        # One socket both ways (a REP echoing, say): as libzmq, forward
        # what comes in without waiting for POLLOUT, which a REP only gets
        # once it has received.
        eb = _POLLOUT if same else back.events()
        moved = False
        if ef & _POLLIN and eb & _POLLOUT:
            _forward(front, back, cap, stats, 0, 6)
            moved = True
        if not same:
            ef, eb = front.events(), back.events()
            if eb & _POLLIN and ef & _POLLOUT:
                _forward(back, front, cap, stats, 4, 2)
                moved = True
        if moved:
            continue
        # Wait for what each direction lacks: its source's input, or, when
        # that is there, its destination's room.
        if same:
            items[0].events = _POLLIN
            items[1].events = 0
        else:
            items[0].events = (0 if ef & _POLLIN else _POLLIN) | (_POLLOUT if eb & _POLLIN else 0)
            items[1].events = (0 if eb & _POLLIN else _POLLIN) | (_POLLOUT if ef & _POLLIN else 0)
        _poll(items, n)


def proxy(frontend: Any, backend: Any, capture: Any = None) -> int:
    """Forward messages between frontend and backend (and copy them to capture).

    Runs until the context is terminated, which raises ``zmq.ContextTerminated``.
    """
    return _run(frontend, backend, capture, None)


def proxy_steerable(frontend: Any, backend: Any, capture: Any = None, control: Any = None) -> int:
    """``proxy`` that obeys PAUSE, RESUME, TERMINATE and STATISTICS on ``control``.

    Returns 0 after TERMINATE.
    """
    return _run(frontend, backend, capture, control)


def _relay(src: _Sock, dst: _Sock, side: _Sock, swap_ids: bool) -> None:
    """Move one message from src to dst, copying every part to side."""
    if swap_ids:
        # Both ROUTER: the destination's routing id is the second frame; send it first.
        first = src.recv_part()
        try:
            second = src.recv_part()
            try:
                dst.send_part(second, _SNDMORE)
                side.send_part(second, _SNDMORE)
            finally:
                lib.sl_msg_destroy(second)
            dst.send_part(first, _SNDMORE)
            side.send_part(first, _SNDMORE)
        finally:
            lib.sl_msg_destroy(first)
    while True:
        m = src.recv_part()
        try:
            more = bool(lib.sl_msg_more(m))
            dst.send_part(m, _SNDMORE if more else 0)
            side.send_part(m, _SNDMORE if more else 0)
        finally:
            lib.sl_msg_destroy(m)
        if not more:
            return


def monitored_queue(
    in_socket: Any,
    out_socket: Any,
    mon_socket: Any,
    in_prefix: bytes = b"in",
    out_prefix: bytes = b"out",
) -> int:
    """A queue between in_socket and out_socket that copies every message to mon_socket.

    Each copy is prefixed with ``in_prefix`` or ``out_prefix`` by direction.
    Two ROUTER sockets are bridged by swapping their routing ids. Runs until
    the context is terminated, which raises ``zmq.ContextTerminated``.
    """
    prefixes = []
    for what, p in (("in_prefix", in_prefix), ("out_prefix", out_prefix)):
        if isinstance(p, str):
            p = p.encode("utf-8")
        if not isinstance(p, (bytes, bytearray, memoryview)):
            raise TypeError(f"{what} must be bytes, not {type(p).__name__}")
        prefixes.append(bytes(p))
    ins = _Sock(in_socket, "in_socket")
    outs = _Sock(out_socket, "out_socket")
    mon = _Sock(mon_socket, "mon_socket")
    if ins.p == outs.p:
        raise ZMQError(_errno.EINVAL, "in_socket and out_socket must be different sockets")
    swap_ids = (
        ins.getint(SocketOption.TYPE) == SocketType.ROUTER
        and outs.getint(SocketOption.TYPE) == SocketType.ROUTER
    )
    items = ffi.new("sl_pollitem[]", 2)
    items[0].socket = ins.p
    items[0].events = _POLLIN
    items[1].socket = outs.p
    items[1].events = _POLLIN
    while True:
        _poll(items, 2)
        if items[0].revents & _POLLIN:
            mon.send_bytes(prefixes[0], _SNDMORE)
            _relay(ins, outs, mon, swap_ids)
        if items[1].revents & _POLLIN:
            mon.send_bytes(prefixes[1], _SNDMORE)
            _relay(outs, ins, mon, swap_ids)
