"""The main job: a short tour of serverlink with figures measured here.

Run it as ``python -m serverlink`` (``--quick`` for a shorter run). It
shows messages flowing on several patterns over inproc, ipc and tcp and
prints what it measured on this machine: PUSH/PULL throughput, REQ/REP
round-trip latency, a PUB/SUB fan-out with a filter, and a ROUTER/DEALER
exchange.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time

import serverlink as zmq


def _endpoints(tmpdir: str) -> dict[str, str]:
    return {
        "inproc": "inproc://tour",
        "ipc": f"ipc://{tmpdir}/tour",
        "tcp": "tcp://127.0.0.1:*",
    }


_serial = iter(range(1_000_000))


def _bind(s: zmq.Socket, ep: str) -> str:
    # A closed socket's endpoint is released in the background (as in
    # libzmq), so each step binds a fresh name rather than reusing one.
    if not ep.startswith("tcp://"):
        ep = f"{ep}-{next(_serial)}"
    s.bind(ep)
    return str(s.last_endpoint.decode())


def throughput(ctx: zmq.Context, ep: str, n: int, size: int) -> float:
    """PUSH/PULL: messages per second at the receiver, sender in a thread."""
    pull = ctx.socket(zmq.PULL)
    push = ctx.socket(zmq.PUSH)
    push.connect(_bind(pull, ep))
    msg = b"x" * size

    def send() -> None:
        for _ in range(n):
            push.send(msg)

    pull.recv_multipart  # noqa: B018 (warm the attribute)
    t = threading.Thread(target=send)
    t.start()
    first = pull.recv()
    t0 = time.perf_counter()
    for _ in range(n - 1):
        pull.recv()
    dt = time.perf_counter() - t0
    t.join()
    assert len(first) == size
    pull.close(linger=0)
    push.close(linger=0)
    return (n - 1) / dt


def latency(ctx: zmq.Context, ep: str, n: int) -> tuple[float, float]:
    """REQ/REP: median and 99th percentile round trip in microseconds."""
    rep = ctx.socket(zmq.REP)
    req = ctx.socket(zmq.REQ)
    req.connect(_bind(rep, ep))

    def serve() -> None:
        for _ in range(n):
            rep.send(rep.recv())

    t = threading.Thread(target=serve)
    t.start()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        req.send(b"ping")
        req.recv()
        samples.append((time.perf_counter() - t0) * 1e6)
    t.join()
    rep.close(linger=0)
    req.close(linger=0)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def pubsub(ctx: zmq.Context, ep: str) -> list[int]:
    """PUB/SUB: three subscribers, two filters; counts what each received."""
    pub = ctx.socket(zmq.PUB)
    ep = _bind(pub, ep)
    subs = []
    for topic in (b"weather.", b"sports.", b""):
        s = ctx.socket(zmq.SUB)
        s.subscribe(topic)
        s.subscribe(b"end")  # the last message: every subscriber hears it
        s.connect(ep)
        s.rcvtimeo = 2000  # only if something went wrong
        subs.append(s)
    # Wait until every subscription has reached the publisher (a PUB drops
    # what no subscriber has asked for yet): publish a probe each tick until
    # every subscriber has heard one, then drain the probes.
    deadline = time.monotonic() + 5
    ready = [False] * len(subs)
    while not all(ready) and time.monotonic() < deadline:
        for topic in (b"weather.sync", b"sports.sync"):
            pub.send(topic)
        time.sleep(0.002)
        for i, s in enumerate(subs):
            ready[i] = ready[i] or bool(s.poll(0))
    for s in subs:
        while s.poll(20):
            s.recv_multipart()
    for i in range(300):
        pub.send_multipart([(b"weather." if i % 3 else b"sports.") + b"%d" % i, b"payload"])
    pub.send(b"end")
    counts = []
    for s in subs:
        got = 0
        while (parts := s.recv_multipart()) != [b"end"]:
            got += not parts[0].endswith(b".sync")  # (a late probe is not counted)
        counts.append(got)
        s.close(linger=0)
    pub.close(linger=0)
    return counts


def router_dealer(ctx: zmq.Context, ep: str, workers: int = 3, jobs: int = 30) -> dict[bytes, int]:
    """ROUTER/DEALER: a broker hands jobs to named workers; counts per worker."""
    router = ctx.socket(zmq.ROUTER)
    ep = _bind(router, ep)
    dealers = []
    for w in range(workers):
        d = ctx.socket(zmq.DEALER)
        d.routing_id = b"worker-%d" % w
        d.rcvtimeo = 2000  # only if something went wrong
        d.connect(ep)
        d.send(b"ready")
        dealers.append(d)
    router.rcvtimeo = 2000
    idle = [router.recv_multipart()[0] for _ in range(workers)]
    for j in range(jobs):
        router.send_multipart([idle[j % workers], b"job %d" % j])
    for w in idle:
        router.send_multipart([w, b"done"])  # each worker's last message
    done: dict[bytes, int] = {}
    for d in dealers:
        while d.recv() != b"done":
            done[d.routing_id] = done.get(d.routing_id, 0) + 1
        d.close(linger=0)
    router.close(linger=0)
    return done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m serverlink", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer messages")
    args = ap.parse_args(argv)
    n = 20_000 if args.quick else 300_000
    rt = 500 if args.quick else 3_000
    print(f"serverlink {zmq.__version__}: pollers {zmq.pollers()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp, zmq.Context() as ctx:
        eps = _endpoints(tmp)
        print(
            f"\n{'transport':10s} {'PUSH/PULL 16 B':>18s} {'PUSH/PULL 4 KiB':>18s} "
            f"{'REQ/REP median':>15s} {'p99':>9s}"
        )
        for name, ep in eps.items():
            small = throughput(ctx, ep, n, 16)
            large = throughput(ctx, ep, n // 5, 4096)
            med, p99 = latency(ctx, ep, rt)
            print(
                f"{name:10s} {small:12,.0f} msg/s {large:12,.0f} msg/s {med:12.1f} us {p99:6.1f} us"
            )
        print("\nPUB/SUB over tcp, 300 messages (2/3 weather, 1/3 sports):")
        counts = pubsub(ctx, eps["tcp"])
        for topic, c in zip(("weather.", "sports.", "(all)"), counts):
            print(f"  subscriber {topic:9s} received {c}")
        print("\nROUTER/DEALER over ipc, 30 jobs to 3 named workers:")
        for w, c in sorted(router_dealer(ctx, eps["ipc"]).items()):
            print(f"  {w.decode()} did {c} jobs")
    print("\nAll messages arrived. Benchmarks beside pyzmq: python bench/compare.py")
    return 0
