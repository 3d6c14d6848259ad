"""Every compatible socket pairing against pyzmq (libzmq inside), both ways,
over tcp and ipc: the proof that serverlink speaks ZMTP 3.1 as libzmq does."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
import zmq as pyzmq

import serverlink as zmq
from serverlink import Context

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 5000


@pytest.fixture(params=["tcp", "ipc"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["serverlink-binds", "pyzmq-binds"])
def side(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_pair(
    ctx: Context,
    pctx: pyzmq.Context,
    ours: int,
    theirs: int,
    transport: str,
    side: str,
    tmp_path: Path,
) -> tuple[Any, Any]:
    """(serverlink socket, pyzmq socket), connected; the binder per `side`."""
    ep = "tcp://127.0.0.1:*" if transport == "tcp" else f"ipc://{tmp_path}/i"
    a = ctx.socket(ours)
    b = pctx.socket(theirs)
    a.rcvtimeo = TIMEOUT
    b.rcvtimeo = TIMEOUT
    a.linger = b.linger = 0
    if side == "serverlink-binds":
        a.bind(ep)
        b.connect(a.last_endpoint.decode())
    else:
        b.bind(ep)
        a.connect(b.last_endpoint.decode())
    return a, b


def test_pair(ctx: Context, pctx: pyzmq.Context, transport: str, side: str, tmp_path: Path) -> None:
    a, b = make_pair(ctx, pctx, zmq.PAIR, pyzmq.PAIR, transport, side, tmp_path)
    for parts in ([b""], [b"a" * 255, b"b" * 256], [b"x" * (10 << 20)]):
        a.send_multipart(parts)
        assert b.recv_multipart() == parts
        b.send_multipart(parts)
        assert a.recv_multipart() == parts


@pytest.mark.parametrize("sender", ["serverlink", "pyzmq"])
def test_push_pull(
    ctx: Context, pctx: pyzmq.Context, transport: str, side: str, tmp_path: Path, sender: str
) -> None:
    ours, theirs = (zmq.PUSH, pyzmq.PULL) if sender == "serverlink" else (zmq.PULL, pyzmq.PUSH)
    a, b = make_pair(ctx, pctx, ours, theirs, transport, side, tmp_path)
    tx, rx = (a, b) if sender == "serverlink" else (b, a)
    for i in range(2000):
        tx.send_multipart([b"%d" % i, b"y" * (i % 300)])
    for i in range(2000):
        assert rx.recv_multipart() == [b"%d" % i, b"y" * (i % 300)]


def wait_subscribed(pub: Any, sub: Any, topic: bytes = b"") -> None:
    """Publish probes until the subscription has reached the publisher."""
    deadline = time.monotonic() + 5
    sub.rcvtimeo = 20
    while True:
        pub.send(topic + b"probe")
        try:
            if sub.recv().endswith(b"probe"):
                break
        except (zmq.Again, pyzmq.Again):
            assert time.monotonic() < deadline, "subscription never arrived"
    sub.rcvtimeo = TIMEOUT
    try:  # drain probes still in flight
        sub.rcvtimeo = 50
        while True:
            sub.recv()
    except (zmq.Again, pyzmq.Again):
        sub.rcvtimeo = TIMEOUT


@pytest.mark.parametrize("publisher", ["serverlink", "pyzmq"])
def test_pub_sub_filters(
    ctx: Context, pctx: pyzmq.Context, transport: str, side: str, tmp_path: Path, publisher: str
) -> None:
    if publisher == "serverlink":
        pub, sub = make_pair(ctx, pctx, zmq.PUB, pyzmq.SUB, transport, side, tmp_path)
    else:
        sub, pub = make_pair(ctx, pctx, zmq.SUB, pyzmq.PUB, transport, side, tmp_path)
    sub.setsockopt(zmq.SUBSCRIBE, b"weather.")
    wait_subscribed(pub, sub, b"weather.")
    pub.send_multipart([b"sports.score", b"1-0"])
    pub.send_multipart([b"weather.rain", b"10mm"])
    assert sub.recv_multipart() == [b"weather.rain", b"10mm"]
    sub.setsockopt(zmq.UNSUBSCRIBE, b"weather.")
    sub.setsockopt(zmq.SUBSCRIBE, b"sports.")
    wait_subscribed(pub, sub, b"sports.")
    pub.send(b"weather.sun")
    pub.send(b"sports.goal")
    assert sub.recv() == b"sports.goal"


def recv_pumping(receiver: Any, sender: Any) -> bytes:
    """Receive on `receiver` while letting the sender process its commands.

    In libzmq (and serverlink) a socket attaches the connections its I/O
    threads made only when its user calls into it, so an XSUB that sent a
    subscription before it was connected sends it only once its user calls
    it again; a test that blocks on the other socket must keep it turning.
    """
    deadline = time.monotonic() + 5
    while True:
        sender.getsockopt(zmq.EVENTS)
        try:
            return bytes(receiver.recv(pyzmq.DONTWAIT))
        except (pyzmq.Again, zmq.Again):
            assert time.monotonic() < deadline, "nothing arrived"
            time.sleep(0.005)


@pytest.mark.parametrize("publisher", ["serverlink", "pyzmq"])
def test_xpub_xsub_subscriptions_cross(
    ctx: Context, pctx: pyzmq.Context, transport: str, side: str, tmp_path: Path, publisher: str
) -> None:
    if publisher == "serverlink":
        xpub, xsub = make_pair(ctx, pctx, zmq.XPUB, pyzmq.XSUB, transport, side, tmp_path)
    else:
        xsub, xpub = make_pair(ctx, pctx, zmq.XSUB, pyzmq.XPUB, transport, side, tmp_path)
    xsub.send(b"\x01topic")
    assert recv_pumping(xpub, xsub) == b"\x01topic"
    xpub.send(b"topic-data")
    assert recv_pumping(xsub, xpub) == b"topic-data"
    xsub.send(b"\x00topic")
    assert recv_pumping(xpub, xsub) == b"\x00topic"


@pytest.mark.parametrize(
    "ours,theirs",
    [
        ("REQ", "REP"),
        ("REP", "REQ"),
        ("REQ", "ROUTER"),
        ("ROUTER", "REQ"),
        ("DEALER", "REP"),
        ("REP", "DEALER"),
        ("DEALER", "ROUTER"),
        ("ROUTER", "DEALER"),
        ("DEALER", "DEALER"),
    ],
)
def test_request_reply_family(
    ctx: Context,
    pctx: pyzmq.Context,
    transport: str,
    side: str,
    tmp_path: Path,
    ours: str,
    theirs: str,
) -> None:
    a, b = make_pair(
        ctx, pctx, getattr(zmq, ours), getattr(pyzmq, theirs), transport, side, tmp_path
    )
    # the requester side: REQ or DEALER (a DEALER speaking to REP adds the delimiter)
    if ours in ("REQ", "DEALER") and theirs != "DEALER":
        client, server, client_kind, server_kind = a, b, ours, theirs
    else:
        client, server, client_kind, server_kind = b, a, theirs, ours
    for i in range(50):
        body = [b"req", b"%d" % i]
        out = body if client_kind == "REQ" else [b"", *body]
        client.send_multipart(out)
        got = server.recv_multipart()
        if server_kind == "ROUTER":
            ident, rest = got[0], got[1:]
            assert rest == ([b"", *body])
            server.send_multipart([ident, b"", b"rep", b"%d" % i])
        elif server_kind == "REP":
            assert got == body
            server.send_multipart([b"rep", b"%d" % i])
        else:  # DEALER-DEALER
            assert got == out
            server.send_multipart(got)
        reply = client.recv_multipart()
        expected = [b"rep", b"%d" % i] if server_kind != "DEALER" else body
        if client_kind == "DEALER" and server_kind != "DEALER":
            expected = [b"", *expected]
        elif client_kind == "DEALER":
            expected = out
        assert reply == expected


def test_router_router_with_explicit_ids(
    ctx: Context, pctx: pyzmq.Context, transport: str, side: str, tmp_path: Path
) -> None:
    a, b = make_pair(ctx, pctx, zmq.ROUTER, pyzmq.ROUTER, transport, side, tmp_path)
    # ids must be set before connecting; rebuild with them
    a.close()
    b.close()
    a, b = ctx.socket(zmq.ROUTER), pctx.socket(pyzmq.ROUTER)
    a.routing_id = b"ours"
    b.setsockopt(pyzmq.ROUTING_ID, b"theirs")
    a.rcvtimeo = b.rcvtimeo = TIMEOUT
    a.router_mandatory = 1
    ep = "tcp://127.0.0.1:*" if transport == "tcp" else f"ipc://{tmp_path}/rr"
    if side == "serverlink-binds":
        a.bind(ep)
        b.connect(a.last_endpoint.decode())
    else:
        b.bind(ep)
        a.connect(b.last_endpoint.decode())
    deadline = time.monotonic() + 5
    while True:  # the peer is routable once its handshake is done
        try:
            a.send_multipart([b"theirs", b"hello"])
            break
        except zmq.ZMQError:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert b.recv_multipart() == [b"ours", b"hello"]
    b.send_multipart([b"ours", b"back"])
    assert a.recv_multipart() == [b"theirs", b"back"]
    a.close(linger=0)
    b.close(linger=0)


def test_routing_id_reaches_pyzmq_router(
    ctx: Context, pctx: pyzmq.Context, transport: str, tmp_path: Path
) -> None:
    router = pctx.socket(pyzmq.ROUTER)
    ep = "tcp://127.0.0.1:*" if transport == "tcp" else f"ipc://{tmp_path}/rid"
    router.bind(ep)
    router.rcvtimeo = TIMEOUT
    dealer = ctx.socket(zmq.DEALER)
    dealer.routing_id = b"worker-7"
    dealer.connect(router.last_endpoint.decode())
    dealer.send(b"ready")
    assert router.recv_multipart() == [b"worker-7", b"ready"]
    dealer.close(linger=0)
    router.close(linger=0)


def test_pyzmq_peer_killed_and_restarted(ctx: Context, pctx: pyzmq.Context, tmp_path: Path) -> None:
    """A DEALER keeps its queue through the peer's restart; nothing is lost
    that the peer had not yet received."""
    import socket as pysocket

    probe = pysocket.socket()
    probe.bind(("127.0.0.1", 0))
    ep = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    probe.close()
    dealer = ctx.socket(zmq.DEALER)
    dealer.reconnect_ivl = 20
    mon = dealer.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    mon.rcvtimeo = TIMEOUT
    dealer.connect(ep)
    for restart in range(3):
        router = pctx.socket(pyzmq.ROUTER)
        deadline = time.monotonic() + 5
        while True:
            try:
                router.bind(ep)
                break
            except pyzmq.ZMQError:
                assert time.monotonic() < deadline
                time.sleep(0.02)
        router.rcvtimeo = TIMEOUT
        for i in range(100):
            dealer.send(b"%d-%d" % (restart, i))
        got = [router.recv_multipart()[1] for _ in range(100)]
        assert got == [b"%d-%d" % (restart, i) for i in range(100)]
        router.close(linger=0)  # the peer dies
        # what is sent before the death is noticed may go down with it
        assert mon.recv_multipart()[0][:2] == zmq.EVENT_DISCONNECTED.to_bytes(2, sys.byteorder)
    dealer.close(linger=0)


def test_heartbeat_ping_is_answered_by_pyzmq(ctx: Context, pctx: pyzmq.Context) -> None:
    pull = pctx.socket(pyzmq.PULL)
    pull.bind("tcp://127.0.0.1:*")
    push = ctx.socket(zmq.PUSH)
    push.heartbeat_ivl = 30
    push.heartbeat_timeout = 300
    mon = push.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    push.connect(pull.last_endpoint.decode())
    time.sleep(0.6)  # ~20 pings, each answered within the timeout
    mon.rcvtimeo = 0
    with pytest.raises(zmq.Again):
        mon.recv()
    push.close(linger=0)
    pull.close(linger=0)
