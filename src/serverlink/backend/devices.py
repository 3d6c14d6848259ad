"""``proxy``, ``proxy_steerable`` and ``monitored_queue`` for pyzmq's backend.

``proxy`` and ``proxy_steerable`` are serverlink's own (``serverlink.proxy``:
bursts of whole messages moved in one call into C without the GIL, a full
destination waited for, never spun on), run on the serverlink sockets under
pyzmq's, with serverlink's exceptions turned into pyzmq's. They return when
the context is terminated (raising ``zmq.ContextTerminated``), or, for
``proxy_steerable``, on TERMINATE; the control socket takes PAUSE, RESUME,
TERMINATE and STATISTICS as libzmq 4.3.5's.

``monitored_queue`` (pyzmq's own device, not libzmq's) is a loop here whose
every step is one call into C: waits in ``sl_poll`` without the GIL, and
message parts moved as C message references, never copied into Python.
"""

from __future__ import annotations

import errno as _errno
from typing import Any

from zmq.error import ZMQError

import serverlink
from serverlink._binding import CSocket, PollItems
from serverlink.backend.poll import csocket
from serverlink.backend.socket import Socket
from serverlink.backend.utils import from_serverlink
from serverlink.constants import SocketOption, SocketType
from serverlink.proxy import proxy_steerable as _sl_proxy_steerable

_POLLIN = 1
_SNDMORE = 2


def _handle(s: Any, what: str, optional: bool = False) -> serverlink.Socket | None:
    """The serverlink socket under a backend socket (or the serverlink socket given)."""
    if s is None and optional:
        return None
    if isinstance(s, Socket):
        h = s._sl_handle
        if not isinstance(h, serverlink.Socket):
            raise ZMQError(_errno.ENOTSOCK, "Socket operation on non-socket (socket is closed)")
        return h
    if isinstance(s, serverlink.Socket):
        return s
    raise TypeError(f"{what} must be a zmq or serverlink socket, not {type(s).__name__}")


def proxy(frontend: Any, backend: Any, capture: Any = None) -> int:
    """Forward messages between frontend and backend (and copy them to capture).

    Runs until the context is terminated, which raises ``zmq.ContextTerminated``.
    """
    return proxy_steerable(frontend, backend, capture, None)


def proxy_steerable(frontend: Any, backend: Any, capture: Any = None, control: Any = None) -> int:
    """``proxy`` that obeys PAUSE, RESUME, TERMINATE and STATISTICS on ``control``.

    Returns 0 after TERMINATE.
    """
    front = _handle(frontend, "frontend")
    back = _handle(backend, "backend")
    assert front is not None and back is not None
    cap = _handle(capture, "capture", optional=True)
    ctl = _handle(control, "control", optional=True)
    try:
        return _sl_proxy_steerable(front, back, cap, ctl)
    except serverlink.ZMQError as e:
        raise from_serverlink(e) from None


def _sock(s: Any, what: str) -> CSocket:
    h = csocket(s)
    if h is None:
        raise TypeError(f"{what} must be a zmq or serverlink socket, not {type(s).__name__}")
    return h


def _relay(src: CSocket, dst: CSocket, side: CSocket, swap_ids: bool) -> None:
    """Move one message from src to dst, copying every part to side."""
    if swap_ids:
        # Both ROUTER: the destination's routing id is the second frame; send it first.
        first = src.recv_msg()
        second = src.recv_msg()
        dst.send_msg(second, _SNDMORE)
        side.send_msg(second, _SNDMORE)
        dst.send_msg(first, _SNDMORE)
        side.send_msg(first, _SNDMORE)
    while True:
        m = src.recv_msg()
        flags = _SNDMORE if m.more else 0
        dst.send_msg(m, flags)
        side.send_msg(m, flags)
        if not m.more:
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
    ins = _sock(in_socket, "in_socket")
    outs = _sock(out_socket, "out_socket")
    mon = _sock(mon_socket, "mon_socket")
    if ins.addr == outs.addr:
        raise ZMQError(_errno.EINVAL, "in_socket and out_socket must be different sockets")
    try:
        swap_ids = (
            ins.get(SocketOption.TYPE) == SocketType.ROUTER
            and outs.get(SocketOption.TYPE) == SocketType.ROUTER
        )
        items = PollItems(2)
        items.set_socket(0, ins, _POLLIN)
        items.set_socket(1, outs, _POLLIN)
        while True:
            items.poll(-1)
            if items.revents(0) & _POLLIN:
                mon.send(prefixes[0], _SNDMORE)
                _relay(ins, outs, mon, swap_ids)
            if items.revents(1) & _POLLIN:
                mon.send(prefixes[1], _SNDMORE)
                _relay(outs, ins, mon, swap_ids)
    except serverlink.ZMQError as e:
        raise from_serverlink(e) from None
