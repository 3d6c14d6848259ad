"""pyzmq on serverlink: ``PYZMQ_BACKEND=serverlink.backend``."""

from __future__ import annotations

import serverlink


def test_hwm_set_after_connect_applies_to_existing_pipe(ctx: serverlink.Context) -> None:
    # libzmq applies SNDHWM/RCVHWM changes to attached pipes (update_pipe_options);
    # pyzmq code relies on it (e.g. hwm = 0 after connect for an unbounded queue).
    a = ctx.socket(serverlink.PAIR)
    a.bind("inproc://hwm-after-connect")
    b = ctx.socket(serverlink.PAIR)
    b.connect("inproc://hwm-after-connect")
    b.sndhwm = 0
    a.rcvhwm = 0
    for _ in range(5000):
        b.send(b"x", serverlink.DONTWAIT)
    assert [a.recv(serverlink.DONTWAIT) for _ in range(5000)] == [b"x"] * 5000
