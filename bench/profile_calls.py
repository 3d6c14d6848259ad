#!/usr/bin/env python3
"""Where a serverlink send()/recv() call spends its time (evidence for README).

One thread, inproc PUSH->PULL, K messages queued then drained, so nothing
waits and no other thread runs: each line peels one layer off
``Socket.recv()`` / ``Socket.send()`` down to the bare cffi call, and the
last lines time one attribute read on a serverlink Socket against plain
classes (CPython 3.11 does not specialise attribute reads on a class with a
Python-level ``__getattr__``). pyzmq's public calls are timed the same way
for reference.

    python bench/profile_calls.py [SIZE]
"""

from __future__ import annotations

import sys
import time
import timeit
from typing import Any, Callable

import serverlink
from serverlink._core import ffi, lib

K = 500
ROUNDS = 300


def queue_pair(mod: Any) -> tuple[Any, Any, Any]:
    ctx = mod.Context()
    pull = ctx.socket(mod.PULL)
    pull.bind("inproc://profile")
    push = ctx.socket(mod.PUSH)
    push.connect("inproc://profile")
    return ctx, push, pull


def per_msg(fill: Callable[[], None], drain: Callable[[], None]) -> tuple[float, float]:
    """Median ns per message of fill() and of drain() over ROUNDS rounds."""
    fs, ds = [], []
    for _ in range(ROUNDS):
        t0 = time.perf_counter_ns()
        fill()
        t1 = time.perf_counter_ns()
        drain()
        t2 = time.perf_counter_ns()
        fs.append((t1 - t0) / K)
        ds.append((t2 - t1) / K)
    fs.sort()
    ds.sort()
    return fs[len(fs) // 2], ds[len(ds) // 2]


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    payload = b"x" * size
    ctx, push, pull = queue_pair(serverlink)
    send, recv = push.send, pull.recv
    s_in, s_out = ffi.cast("sl_socket *", push._addr), ffi.cast("sl_socket *", pull._addr)
    data, more = ffi.new("const char **"), ffi.new("int *")
    sl_send, sl_recv, unpack = lib.sl_send, lib.sl_recv, ffi.unpack

    def fill_api() -> None:
        for _ in range(K):
            send(payload)

    def fill_cffi() -> None:
        for _ in range(K):
            sl_send(s_in, payload, size, 0)

    def drain_api() -> None:
        for _ in range(K):
            recv()

    def drain_cffi() -> None:
        for _ in range(K):
            sl_recv(s_out, 0, data, more)

    def drain_cffi_index() -> None:
        for _ in range(K):
            sl_recv(s_out, 0, data, more)
            data[0]

    def drain_cffi_unpack() -> None:
        for _ in range(K):
            n = sl_recv(s_out, 0, data, more)
            unpack(data[0], n)

    print(f"serverlink {serverlink.__version__}, {size} B messages, ns per message (median)")
    rows = [
        ("Socket.send(bytes)", fill_api, drain_cffi, 0),
        ("lib.sl_send(s, data, len, 0)  (bare cffi call)", fill_cffi, drain_cffi, 0),
        ("Socket.recv()", fill_cffi, drain_api, 1),
        ("lib.sl_recv(s, 0, data, more)  (bare cffi call)", fill_cffi, drain_cffi, 1),
        ("  + data[0]  (a new cdata for the pointer)", fill_cffi, drain_cffi_index, 1),
        ("  + ffi.unpack(data[0], n)  (the bytes object)", fill_cffi, drain_cffi_unpack, 1),
    ]
    for label, fill, drain, which in rows:
        v = per_msg(fill, drain)[which]
        print(f"  {label:52s} {v:7.0f}")
    push.close(linger=0)
    pull.close(linger=0)
    ctx.term()

    zmq: Any
    try:
        import zmq
    except ImportError:
        zmq = None
    if zmq is not None:
        zctx, zpush, zpull = queue_pair(zmq)
        zsend, zrecv = zpush.send, zpull.recv

        def zfill() -> None:
            for _ in range(K):
                zsend(payload)

        def zdrain() -> None:
            for _ in range(K):
                zrecv()

        f, d = per_msg(zfill, zdrain)
        print(f"pyzmq {zmq.__version__}: send {f:.0f}, recv {d:.0f}")
        zpush.close(linger=0)
        zpull.close(linger=0)
        zctx.term()

    # one attribute read: serverlink.Socket vs plain classes
    class Plain:
        def __init__(self) -> None:
            self._addr = 1

    class WithGetattr(Plain):
        def __getattr__(self, name: str) -> Any:
            raise AttributeError(name)

    ctx2 = serverlink.Context()
    sock = ctx2.socket(serverlink.PULL)
    print("one attribute read (obj._addr), ns:")
    for label, obj in (
        ("serverlink.Socket", sock),
        ("plain class", Plain()),
        ("plain class + __getattr__", WithGetattr()),
    ):
        n = 1_000_000
        t = min(timeit.repeat("o._addr", globals={"o": obj}, number=n, repeat=5)) / n * 1e9
        print(f"  {label:28s} {t:5.1f}")
    sock.close(linger=0)
    ctx2.term()


if __name__ == "__main__":
    main()
