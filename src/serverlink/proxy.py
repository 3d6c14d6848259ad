"""``proxy`` and ``proxy_steerable``: libzmq's built-in device, over a Poller.

Messages read from the frontend go to the backend and the other way round
(when they are different sockets), each part also copied to ``capture`` if
there is one. The loop follows libzmq 4.3.5's:

- it forwards in bursts of up to 1000 messages, the parts of a message
  together, moving the C message (a reference, not a copy of its bytes);
  a burst is one call into C (``sl_proxy_forward``), made without the GIL;
- it takes a message from a socket only when the other side can take it
  without waiting: while a source has input that its destination cannot
  take, the proxy stops watching that source and waits for the
  destination's POLLOUT instead, so a full queue neither spins the CPU nor
  loses messages, and the control socket is still heard;
- a full capture socket makes the proxy wait, as libzmq's does.

``proxy_steerable`` also reads commands from ``control``: PAUSE (stop
forwarding; only the control socket is watched, so a paused proxy sleeps),
RESUME, TERMINATE (return 0) and STATISTICS, answered with eight uint64
parts in native byte order: frontend received messages and bytes, frontend
sent messages and bytes, then the same four for the backend, counting
message parts as libzmq 4.3.5 does. Other commands are ignored. A REP
control socket gets an empty reply to every command but STATISTICS, as in
libzmq 4.3.5. Commands are not copied to ``capture``.

Both return only by TERMINATE or an error: ``ContextTerminated`` once the
context is terminated, as pyzmq's do.
"""

from __future__ import annotations

import struct
from typing import Any

from serverlink._binding import ProxyStats, proxy_forward
from serverlink.constants import Flag, PollEvent, SocketType
from serverlink.error import Again
from serverlink.poll import Poller
from serverlink.socket import Socket

#: Messages forwarded in one go before the proxy looks at the others (libzmq's).
BURST = 1000

_POLLIN = int(PollEvent.POLLIN)
_POLLOUT = int(PollEvent.POLLOUT)
_DONTWAIT = int(Flag.DONTWAIT)

_ACTIVE, _PAUSED, _TERMINATED = range(3)

# Indices into the statistics: (frontend, backend) x (received, sent) x (messages, bytes).
_FRONT_RECV, _FRONT_SENT, _BACK_RECV, _BACK_SENT = 0, 2, 4, 6


def _forward(
    src: Socket, dst: Socket, capture: Socket | None, stats: ProxyStats, recv_i: int, sent_i: int
) -> None:
    """Move up to BURST whole messages from src to dst (and copies to capture), in C."""
    cap = capture._c() if capture is not None else None
    proxy_forward(src._c(), dst._c(), cap, BURST, stats, recv_i, sent_i)


def _handle_control(control: Socket, state: int, stats: ProxyStats) -> int:
    """Read one command from control and return the new state."""
    try:
        cmd = Socket.recv(control, _DONTWAIT)
    except Again:
        return state
    if cmd == b"STATISTICS":
        Socket.send_multipart(control, [struct.pack("=Q", v) for v in stats.values()])
        return state
    if cmd == b"PAUSE":
        state = _PAUSED
    elif cmd == b"RESUME":
        state = _ACTIVE
    elif cmd == b"TERMINATE":
        state = _TERMINATED
    if control.socket_type == SocketType.REP:
        Socket.send(control, b"")
    return state


def _check(name: str, sock: Any, optional: bool = False) -> None:
    if optional and sock is None:
        return
    if not isinstance(sock, Socket):
        kind = "a serverlink Socket or None" if optional else "a serverlink Socket"
        raise TypeError(f"{name} must be {kind}, not {type(sock).__name__}")


class _Watch:
    """The Poller and what each socket is registered for (register only on change)."""

    def __init__(self) -> None:
        self.poller = Poller()
        self.flags: dict[int, int] = {}

    def want(self, sock: Socket, flags: int) -> None:
        if self.flags.get(id(sock), 0) != flags:
            self.poller.register(sock, flags)  # 0 unregisters
            self.flags[id(sock)] = flags


def proxy_steerable(
    frontend: Socket,
    backend: Socket,
    capture: Socket | None = None,
    control: Socket | None = None,
) -> int:
    """Forward between frontend and backend until TERMINATE arrives on control (returns 0)."""
    _check("frontend", frontend)
    _check("backend", backend)
    _check("capture", capture, optional=True)
    _check("control", control, optional=True)
    same = frontend is backend
    stats = ProxyStats()
    state = _ACTIVE
    # A direction whose source has input its destination cannot take waits
    # for the destination's POLLOUT instead of the source's POLLIN.
    fb_blocked = bf_blocked = False
    watch = _Watch()
    if control is not None:
        watch.want(control, _POLLIN)
    while True:
        if state != _ACTIVE:
            watch.want(frontend, 0)
            watch.want(backend, 0)
        elif same:
            watch.want(frontend, _POLLIN)
        else:
            watch.want(frontend, (0 if fb_blocked else _POLLIN) | (_POLLOUT if bf_blocked else 0))
            watch.want(backend, (0 if bf_blocked else _POLLIN) | (_POLLOUT if fb_blocked else 0))
        ready = watch.poller.poll()
        if control is not None and any(s is control for s, _ in ready):
            state = _handle_control(control, state, stats)
            if state == _TERMINATED:
                return 0
        if state != _ACTIVE:
            continue
        fe = frontend._events()
        if same:
            if fe & _POLLIN:
                _forward(frontend, frontend, capture, stats, _FRONT_RECV, _BACK_SENT)
            continue
        be = backend._events()
        fb_blocked = bool(fe & _POLLIN) and not be & _POLLOUT
        bf_blocked = bool(be & _POLLIN) and not fe & _POLLOUT
        if fe & _POLLIN and be & _POLLOUT:
            _forward(frontend, backend, capture, stats, _FRONT_RECV, _BACK_SENT)
        if be & _POLLIN and fe & _POLLOUT:
            _forward(backend, frontend, capture, stats, _BACK_RECV, _FRONT_SENT)


def proxy(frontend: Socket, backend: Socket, capture: Socket | None = None) -> int:
    """Forward between frontend and backend (and copy to capture) until the context ends.

    Raises ContextTerminated when the context is terminated, as pyzmq's.
    """
    return proxy_steerable(frontend, backend, capture, None)


def device(device_type: int, frontend: Socket, backend: Socket) -> int:
    """libzmq's deprecated ``zmq_device``: ``proxy(frontend, backend)`` (the type is ignored,
    as pyzmq's ``zmq.device`` ignores it)."""
    return proxy(frontend, backend)


__all__ = ["device", "proxy", "proxy_steerable"]
