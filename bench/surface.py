"""The Python surface, side by side with pyzmq: round trips (plain and asyncio),
poll overhead, idle CPU of waiting asyncio sockets, proxy throughput.

    python bench/surface.py [--quick] [--json bench/results-surface.json]

Prints a table; saves the numbers as JSON for a program to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import serverlink
import serverlink.asyncio

try:
    import zmq
    import zmq.asyncio
except ImportError:  # pragma: no cover - the table just has no pyzmq column
    zmq = None  # type: ignore[assignment]


def libs() -> list[tuple[str, ModuleType, ModuleType]]:
    out = [("serverlink", serverlink, serverlink.asyncio)]
    if zmq is not None:
        out.append(("pyzmq", zmq, zmq.asyncio))
    return out


def best(repeats: int, fn: Callable[..., float], *args: Any, low: bool = False) -> float:
    """The best of a few runs of fn(*args) (on a shared machine, the rest is noise)."""
    runs = [fn(*args) for _ in range(repeats)]
    return min(runs) if low else max(runs)


def _endpoints(ctx: Any, m: ModuleType, transport: str) -> tuple[Any, Any]:
    srv = ctx.socket(m.REP)
    cli = ctx.socket(m.REQ)
    if transport == "tcp":
        port = srv.bind_to_random_port("tcp://127.0.0.1")
        cli.connect(f"tcp://127.0.0.1:{port}")
    else:
        srv.bind("inproc://rt")
        cli.connect("inproc://rt")
    return srv, cli


def rt_plain(m: ModuleType, n: int, transport: str) -> float:
    """Round trips/s: client here, echo in a thread, blocking calls."""
    ctx = m.Context()
    srv, cli = _endpoints(ctx, m, transport)

    def echo() -> None:
        for _ in range(n + 1):
            srv.send(srv.recv())

    t = threading.Thread(target=echo)
    t.start()
    cli.send(b"warm")
    cli.recv()
    t0 = time.perf_counter()
    for _ in range(n):
        cli.send(b"x")
        cli.recv()
    dt = time.perf_counter() - t0
    t.join()
    ctx.destroy(linger=0)
    return n / dt


def rt_asyncio(
    am: ModuleType, m: ModuleType, n: int, loop_factory: Callable[[], Any], transport: str
) -> float:
    """Round trips/s: client and echo as two tasks on one loop."""

    async def main() -> float:
        ctx = am.Context()
        srv, cli = _endpoints(ctx, m, transport)

        async def echo() -> None:
            for _ in range(n + 1):
                await srv.send(await srv.recv())

        server = asyncio.ensure_future(echo())
        await cli.send(b"warm")
        await cli.recv()
        t0 = time.perf_counter()
        for _ in range(n):
            await cli.send(b"x")
            await cli.recv()
        dt = time.perf_counter() - t0
        await server
        ctx.destroy(linger=0)
        return n / dt

    loop = loop_factory()
    try:
        return float(loop.run_until_complete(main()))
    finally:
        loop.close()


def pipe_asyncio(am: ModuleType, m: ModuleType, n: int) -> float:
    """Messages/s through PUSH -> PULL, both awaited on one loop, inproc."""

    async def main() -> float:
        ctx = am.Context()
        pull, push = ctx.socket(m.PULL), ctx.socket(m.PUSH)
        pull.bind("inproc://bench")
        push.connect("inproc://bench")

        async def produce() -> None:
            for _ in range(n):
                await push.send(b"x" * 16)

        t0 = time.perf_counter()
        p = asyncio.ensure_future(produce())
        for _ in range(n):
            await pull.recv()
        await p
        dt = time.perf_counter() - t0
        ctx.destroy(linger=0)
        return n / dt

    return asyncio.run(main())


def poll_overhead(m: ModuleType, nsock: int, calls: int) -> float:
    """Microseconds per Poller.poll(0) over nsock sockets, none ready."""
    ctx = m.Context()
    socks = []
    for i in range(nsock):
        s = ctx.socket(m.PULL)
        s.bind(f"inproc://p{i}")
        socks.append(s)
    p = m.Poller()
    for s in socks:
        p.register(s, m.POLLIN)
    p.poll(0)
    t0 = time.perf_counter()
    for _ in range(calls):
        p.poll(0)
    dt = time.perf_counter() - t0
    ctx.destroy(linger=0)
    return dt / calls * 1e6


def socket_poll_overhead(m: ModuleType, calls: int) -> float:
    """Microseconds per Socket.poll(0) (nothing ready)."""
    ctx = m.Context()
    s = ctx.socket(m.PULL)
    s.bind("inproc://sp")
    t0 = time.perf_counter()
    for _ in range(calls):
        s.poll(0)
    dt = time.perf_counter() - t0
    ctx.destroy(linger=0)
    return dt / calls * 1e6


def idle_cpu(am: ModuleType, m: ModuleType, nsock: int, seconds: float = 1.0) -> float:
    """Process CPU seconds spent while nsock asyncio sockets await recv for `seconds`."""

    async def main() -> float:
        ctx = am.Context()
        socks = []
        for i in range(nsock):
            s = ctx.socket(m.PULL)
            s.bind(f"inproc://idle{i}")
            socks.append(s)
        tasks = [asyncio.ensure_future(s.recv()) for s in socks]
        await asyncio.sleep(0.2)
        t0 = time.process_time()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - t0
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        ctx.destroy(linger=0)
        return cpu

    return asyncio.run(main())


def proxy_rate(m: ModuleType, n: int) -> float:
    """Messages/s through proxy(PULL, PUSH) in a thread, inproc."""
    ctx = m.Context()
    fe, be = ctx.socket(m.PULL), ctx.socket(m.PUSH)
    fe.bind("inproc://fe")
    be.bind("inproc://be")
    src, dst = ctx.socket(m.PUSH), ctx.socket(m.PULL)
    src.connect("inproc://fe")
    dst.connect("inproc://be")

    def run() -> None:
        try:
            m.proxy(fe, be)
        except m.ContextTerminated:
            pass
        fe.close(linger=0)
        be.close(linger=0)

    t = threading.Thread(target=run)
    t.start()

    def produce() -> None:
        for _ in range(n):
            src.send(b"x" * 16)

    p = threading.Thread(target=produce)
    t0 = time.perf_counter()
    p.start()
    for _ in range(n):
        dst.recv()
    dt = time.perf_counter() - t0
    p.join()
    src.close(linger=0)
    dst.close(linger=0)
    term = threading.Thread(target=ctx.term)
    term.start()
    t.join()
    term.join()
    return n / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    ap.add_argument("--json", default="bench/results-surface.json", help="where to save JSON")
    args = ap.parse_args()
    k = 1 if args.quick else 4
    loops: list[tuple[str, Callable[[], Any]]] = [("asyncio", asyncio.new_event_loop)]
    try:
        import uvloop

        loops.append(("uvloop", uvloop.new_event_loop))
    except ImportError:
        pass

    results: dict[str, dict[str, float]] = {}
    rep = 3
    for name, m, am in libs():
        r: dict[str, float] = {}
        for tr in ("inproc", "tcp"):
            r[f"rt_plain_{tr}"] = best(rep, rt_plain, m, 3000 * k, tr)
            for lname, factory in loops:
                r[f"rt_{lname}_{tr}"] = best(rep, rt_asyncio, am, m, 3000 * k, factory, tr)
        r["pipe_asyncio"] = best(rep, pipe_asyncio, am, m, 30000 * k)
        for nsock in (1, 10, 100):
            calls = 20000 * k // max(1, nsock // 10)
            r[f"poll_{nsock}"] = best(rep, poll_overhead, m, nsock, calls, low=True)
        r["socket_poll"] = best(rep, socket_poll_overhead, m, 20000 * k, low=True)
        r["idle_100"] = idle_cpu(am, m, 100)
        r["idle_1000"] = idle_cpu(am, m, 1000)
        r["proxy"] = best(rep, proxy_rate, m, 30000 * k)
        results[name] = r

    rows = [
        *[
            row
            for tr in ("inproc", "tcp")
            for row in [
                (
                    f"REQ/REP round trips/s, {tr}, blocking, echo in a thread",
                    "rt/s",
                    f"rt_plain_{tr}",
                ),
                *[
                    (f"REQ/REP round trips/s, {tr}, two tasks on {ln}", "rt/s", f"rt_{ln}_{tr}")
                    for ln, _ in loops
                ],
            ]
        ],
        ("PUSH->PULL awaited on one asyncio loop, inproc", "msg/s", "pipe_asyncio"),
        ("Poller.poll(0), 1 socket, nothing ready", "us", "poll_1"),
        ("Poller.poll(0), 10 sockets, nothing ready", "us", "poll_10"),
        ("Poller.poll(0), 100 sockets, nothing ready", "us", "poll_100"),
        ("Socket.poll(0), nothing ready", "us", "socket_poll"),
        ("CPU s over 1 s idle, 100 asyncio sockets awaiting", "s", "idle_100"),
        ("CPU s over 1 s idle, 1000 asyncio sockets awaiting", "s", "idle_1000"),
        ("proxy(PULL, PUSH), inproc, 16 B", "msg/s", "proxy"),
    ]
    names = list(results)
    head = f"{'(best of 3 runs)':58}" + "".join(f"{n:>14}" for n in names)
    if len(names) == 2:
        head += f"{'ratio':>8}"
    print(head)
    for what, unit, key in rows:
        line = f"{what + ' (' + unit + ')':58}"
        vals = [results[n][key] for n in names]
        for v in vals:
            line += f"{v:>14.4f}" if unit == "s" else f"{v:>14,.1f}"
        if len(vals) == 2 and vals[1]:
            line += f"{vals[0] / vals[1]:>8.2f}"
        print(line)
    meta = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "serverlink": serverlink.__version__,
        "pyzmq": zmq.pyzmq_version() if zmq is not None else None,
        "libzmq": zmq.zmq_version() if zmq is not None else None,
    }
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    print(f"saved {args.json}")


if __name__ == "__main__":
    main()
