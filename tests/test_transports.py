"""tcp and ipc: endpoints, reconnect, linger, and interop with pyzmq (libzmq)."""

from __future__ import annotations

import os
import socket as pysocket
import threading
import time
from pathlib import Path

import pytest
import zmq as pyzmq

import serverlink as zmq
from serverlink import Again, Context, ZMQError
from serverlink.utils.monitor import recv_monitor_message

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["tcp", "ipc"])
def endpoint(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "tcp":
        return "tcp://127.0.0.1:*"
    return f"ipc://{tmp_path}/sock"


def bound(s: zmq.Socket, ep: str) -> str:
    s.bind(ep)
    return s.last_endpoint.decode()


def test_tcp_ephemeral_port_reports_real_endpoint(ctx: Context) -> None:
    s = ctx.socket(zmq.PULL)
    ep = bound(s, "tcp://127.0.0.1:*")
    host, port = ep.rsplit(":", 1)
    assert host == "tcp://127.0.0.1"
    assert 0 < int(port) < 65536


def test_wildcard_host_binds_all_interfaces(ctx: Context) -> None:
    s = ctx.socket(zmq.PULL)
    ep = bound(s, "tcp://*:*")
    port = ep.rsplit(":", 1)[1]
    push = ctx.socket(zmq.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    push.send(b"via wildcard")
    s.rcvtimeo = 5000
    assert s.recv() == b"via wildcard"


def test_push_pull_over_transport(ctx: Context, endpoint: str) -> None:
    pull = ctx.socket(zmq.PULL)
    ep = bound(pull, endpoint)
    push = ctx.socket(zmq.PUSH)
    push.connect(ep)
    pull.rcvtimeo = 5000
    parts = [b"", b"a" * 255, b"b" * 256, b"c" * (10 << 20)]
    push.send_multipart(parts)
    assert pull.recv_multipart() == parts


def test_connect_before_bind_over_tcp(ctx: Context) -> None:
    probe = pysocket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    push = ctx.socket(zmq.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    push.send(b"queued while nobody listened")
    pull = ctx.socket(zmq.PULL)
    pull.bind(f"tcp://127.0.0.1:{port}")
    pull.rcvtimeo = 5000
    assert pull.recv() == b"queued while nobody listened"


def test_hundred_thousand_messages_in_order_over_transport(ctx: Context, endpoint: str) -> None:
    pull = ctx.socket(zmq.PULL)
    ep = bound(pull, endpoint)
    push = ctx.socket(zmq.PUSH)
    push.connect(ep)
    n = 100_000

    def sender() -> None:
        for i in range(n):
            push.send(i.to_bytes(4, "little"))

    t = threading.Thread(target=sender)
    t.start()
    pull.rcvtimeo = 5000
    for i in range(n):
        assert int.from_bytes(pull.recv(), "little") == i
    t.join()


def test_received_frames_forwarded_by_reference_to_many_subscribers(
    ctx: Context, endpoint: str
) -> None:
    """Frames read from a connection share the engine's read buffer (slices);
    forwarded with copy=False to several subscribers they stay intact, and
    every reference is released (the mixed sizes put many in one read)."""
    pull = ctx.socket(zmq.PULL)
    ep = bound(pull, endpoint)
    push = ctx.socket(zmq.PUSH)
    push.connect(ep)
    pub = ctx.socket(zmq.PUB)
    pub.bind("inproc://fanout")
    subs = [ctx.socket(zmq.SUB) for _ in range(3)]
    for s in subs:
        s.connect("inproc://fanout")
        s.subscribe(b"")
        s.rcvtimeo = 5000
    pull.rcvtimeo = 5000
    time.sleep(0.05)  # the subscriptions reach the PUB
    msgs = [bytes([i % 251]) * (40 + (i * 37) % 3000) for i in range(900)]  # under every HWM
    for m in msgs:
        push.send(m)
    frames = [pull.recv(copy=False) for _ in msgs]
    for f in frames:
        pub.send(f, copy=False)
    del frames
    for s in subs:
        assert [s.recv() for _ in msgs] == msgs


@pytest.mark.parametrize("direction", ["serverlink-binds", "pyzmq-binds"])
def test_pair_interop_with_pyzmq(
    ctx: Context, pctx: pyzmq.Context, endpoint: str, direction: str
) -> None:
    ours, theirs = ctx.socket(zmq.PAIR), pctx.socket(pyzmq.PAIR)
    theirs.rcvtimeo = ours.rcvtimeo = 5000
    if direction == "serverlink-binds":
        theirs.connect(bound(ours, endpoint))
    else:
        theirs.bind(endpoint)
        ours.connect(theirs.last_endpoint.decode())
    for parts in ([b"hello"], [b"", b"x" * 255], [b"y" * 256, b"z"], [b"w" * (10 << 20)]):
        ours.send_multipart(parts)
        assert theirs.recv_multipart() == parts
        theirs.send_multipart(parts)
        assert ours.recv_multipart() == parts


@pytest.mark.parametrize("direction", ["serverlink-binds", "pyzmq-binds"])
def test_push_pull_interop_with_pyzmq(
    ctx: Context, pctx: pyzmq.Context, endpoint: str, direction: str
) -> None:
    if direction == "serverlink-binds":
        pull = ctx.socket(zmq.PULL)
        push = pctx.socket(pyzmq.PUSH)
        push.connect(bound(pull, endpoint))
    else:
        pull_p = pctx.socket(pyzmq.PULL)
        pull_p.bind(endpoint)
        push_s = ctx.socket(zmq.PUSH)
        push_s.connect(pull_p.last_endpoint.decode())
        pull, push = pull_p, push_s  # type: ignore[assignment]
    pull.rcvtimeo = 5000
    for i in range(1000):
        push.send(str(i).encode())
    assert [int(pull.recv()) for _ in range(1000)] == list(range(1000))


def test_incompatible_socket_types_are_refused(ctx: Context, pctx: pyzmq.Context) -> None:
    pull = ctx.socket(zmq.PULL)
    mon = pull.get_monitor_socket()
    mon.rcvtimeo = 5000
    ep = bound(pull, "tcp://127.0.0.1:*")
    wrong = pctx.socket(pyzmq.PULL)  # PULL to PULL: not a valid pairing
    wrong.connect(ep)
    failed = {zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL}
    events: list[int] = []
    while not failed & set(events):  # whichever side noticed first
        events.append(recv_monitor_message(mon)["event"])
    assert zmq.EVENT_HANDSHAKE_SUCCEEDED not in events


def test_reconnect_after_peer_restarts(ctx: Context, pctx: pyzmq.Context) -> None:
    probe = pysocket.socket()
    probe.bind(("127.0.0.1", 0))
    ep = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    probe.close()
    push = ctx.socket(zmq.PUSH)
    push.reconnect_ivl = 50
    mon = push.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    mon.rcvtimeo = 5000
    push.connect(ep)
    for round_ in range(3):
        pull = pctx.socket(pyzmq.PULL)
        deadline = time.monotonic() + 5
        while True:  # the previous round's listener closes asynchronously
            try:
                pull.bind(ep)
                break
            except pyzmq.ZMQError:
                assert time.monotonic() < deadline
                time.sleep(0.02)
        pull.rcvtimeo = 5000
        push.send(f"round {round_}".encode())
        assert pull.recv() == f"round {round_}".encode()
        pull.close(linger=0)
        # A message sent before the disconnect is noticed may go into the
        # dead connection (as with libzmq): wait until it is noticed.
        assert recv_monitor_message(mon)["event"] == zmq.EVENT_DISCONNECTED


def test_reconnect_backoff_grows_to_the_maximum(ctx: Context) -> None:
    probe = pysocket.socket()
    probe.bind(("127.0.0.1", 0))
    ep = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    probe.close()
    push = ctx.socket(zmq.PUSH)
    push.reconnect_ivl = 20
    push.reconnect_ivl_max = 160
    mon = push.get_monitor_socket(zmq.EVENT_CONNECT_RETRIED)
    mon.rcvtimeo = 5000
    push.connect(ep)
    intervals = [recv_monitor_message(mon)["value"] for _ in range(7)]
    # each retry waits the current interval plus up to one base interval of jitter
    assert 20 <= intervals[0] < 40
    assert all(b >= a or b >= 160 for a, b in zip(intervals, intervals[1:]))
    assert 160 <= intervals[-1] < 180


def test_bad_endpoints_raise_clear_errors(ctx: Context) -> None:
    s = ctx.socket(zmq.PUSH)
    with pytest.raises(ZMQError) as e:
        s.bind("nosuch://x")
    assert e.value.errno == zmq.EPROTONOSUPPORT
    assert "nosuch://x" in str(e.value)
    for bad in ["tcp://127.0.0.1", "tcp://127.0.0.1:99999", "tcp://127.0.0.1:abc", "no-scheme"]:
        with pytest.raises(ZMQError) as e:
            s.connect(bad)
        assert e.value.errno == zmq.EINVAL, bad
    with pytest.raises(TypeError, match="addr must be a str"):
        s.bind(b"tcp://127.0.0.1:*")  # type: ignore[arg-type]


def test_address_in_use(ctx: Context) -> None:
    a, b = ctx.socket(zmq.PULL), ctx.socket(zmq.PULL)
    ep = bound(a, "tcp://127.0.0.1:*")
    with pytest.raises(ZMQError) as e:
        b.bind(ep)
    assert e.value.errno == zmq.EADDRINUSE


def test_unbind_and_disconnect(ctx: Context) -> None:
    pull = ctx.socket(zmq.PULL)
    ep = bound(pull, "tcp://127.0.0.1:*")
    pull.unbind(ep)
    with pytest.raises(ZMQError) as e:
        pull.unbind(ep)
    assert e.value.errno == zmq.ENOENT
    again = ctx.socket(zmq.PULL)
    deadline = time.monotonic() + 5
    while True:  # the listener closes in its I/O thread, as in libzmq
        try:
            again.bind(ep)
            break
        except ZMQError as e:
            assert e.errno == zmq.EADDRINUSE and time.monotonic() < deadline
            time.sleep(0.01)
    push = ctx.socket(zmq.PUSH)
    push.connect(ep)
    push.disconnect(ep)
    with pytest.raises(ZMQError):
        push.disconnect(ep)


def test_ipc_path_is_removed_on_close_and_stale_path_replaced(ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "s"
    s = ctx.socket(zmq.PULL)
    s.bind(f"ipc://{path}")
    assert path.exists()
    s.close()
    deadline = time.monotonic() + 5
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not path.exists()
    # a stale socket file (its owner is gone) is replaced
    stale = pysocket.socket(pysocket.AF_UNIX)
    stale.bind(str(path))
    stale.close()
    s2 = ctx.socket(zmq.PULL)
    s2.bind(f"ipc://{path}")
    # a live one is not stolen
    s3 = ctx.socket(zmq.PULL)
    with pytest.raises(ZMQError) as e:
        s3.bind(f"ipc://{path}")
    assert e.value.errno == zmq.EADDRINUSE


@pytest.mark.skipif(not pysocket.has_ipv6, reason="no IPv6")
def test_ipv6_loopback(ctx: Context) -> None:
    try:
        probe = pysocket.socket(pysocket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    pull = ctx.socket(zmq.PULL)
    pull.ipv6 = 1
    ep = bound(pull, "tcp://[::1]:*")
    assert ep.startswith("tcp://[::1]:")
    push = ctx.socket(zmq.PUSH)
    push.ipv6 = 1
    push.connect(ep)
    push.send(b"v6")
    pull.rcvtimeo = 5000
    assert pull.recv() == b"v6"


def test_abstract_ipc_namespace(ctx: Context) -> None:
    if not os.uname().sysname == "Linux":
        pytest.skip("abstract sockets are Linux-only")
    pull = ctx.socket(zmq.PULL)
    name = f"ipc://@serverlink-test-{os.getpid()}"
    pull.bind(name)
    assert pull.last_endpoint.decode() == name
    push = ctx.socket(zmq.PUSH)
    push.connect(name)
    push.send(b"abstract")
    pull.rcvtimeo = 5000
    assert pull.recv() == b"abstract"


def test_linger_zero_drops_unsent_messages_at_close() -> None:
    ctx = Context()
    push = ctx.socket(zmq.PUSH)
    push.connect("tcp://127.0.0.1:1")  # nobody there: messages stay queued
    for _ in range(10):
        push.send(b"x")
    push.close(linger=0)
    t0 = time.monotonic()
    ctx.term()
    assert time.monotonic() - t0 < 2


def test_linger_bounds_term_when_peer_never_comes() -> None:
    ctx = Context()
    push = ctx.socket(zmq.PUSH)
    push.connect("tcp://127.0.0.1:1")
    push.send(b"x")
    push.close(linger=300)
    t0 = time.monotonic()
    ctx.term()
    assert 0.25 < time.monotonic() - t0 < 3


def test_linger_forever_delivers_after_close(pctx: pyzmq.Context) -> None:
    probe = pysocket.socket()
    probe.bind(("127.0.0.1", 0))
    ep = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    probe.close()
    ctx = Context()
    push = ctx.socket(zmq.PUSH)
    push.reconnect_ivl = 20
    push.connect(ep)
    for i in range(100):
        push.send(str(i).encode())
    push.close()  # LINGER -1: keep trying
    term = threading.Thread(target=ctx.term)
    term.start()
    time.sleep(0.2)
    assert term.is_alive()  # waiting to deliver
    pull = pctx.socket(pyzmq.PULL)
    pull.bind(ep)
    pull.rcvtimeo = 5000
    assert [int(pull.recv()) for _ in range(100)] == list(range(100))
    term.join(5)
    assert not term.is_alive()


def test_monitor_reports_connection_lifecycle(ctx: Context) -> None:
    pull = ctx.socket(zmq.PULL)
    mon = pull.get_monitor_socket()
    mon.rcvtimeo = 5000
    ep = bound(pull, "tcp://127.0.0.1:*")
    push = ctx.socket(zmq.PUSH)
    push.connect(ep)
    push.send(b"x")
    assert pull.recv() == b"x"
    push.close(linger=0)
    seen = []
    while zmq.EVENT_DISCONNECTED not in seen:
        seen.append(recv_monitor_message(mon)["event"])
    assert seen[:3] == [zmq.EVENT_LISTENING, zmq.EVENT_ACCEPTED, zmq.EVENT_HANDSHAKE_SUCCEEDED]
    pull.unbind(ep)
    while zmq.EVENT_CLOSED not in seen:
        seen.append(recv_monitor_message(mon)["event"])


def test_maxmsgsize_drops_oversize_peer(ctx: Context) -> None:
    pull = ctx.socket(zmq.PULL)
    pull.maxmsgsize = 1000
    ep = bound(pull, "tcp://127.0.0.1:*")
    big = ctx.socket(zmq.PUSH)
    big.connect(ep)
    big.send(b"x" * 2000)
    small = ctx.socket(zmq.PUSH)
    small.connect(ep)
    small.send(b"fits")
    pull.rcvtimeo = 5000
    assert pull.recv() == b"fits"
    pull.rcvtimeo = 300
    with pytest.raises(Again):
        pull.recv()


def test_heartbeats_keep_an_idle_connection_and_interop(ctx: Context, pctx: pyzmq.Context) -> None:
    pull = pctx.socket(pyzmq.PULL)
    pull.setsockopt(pyzmq.HEARTBEAT_IVL, 50)
    pull.bind("tcp://127.0.0.1:*")
    push = ctx.socket(zmq.PUSH)
    push.heartbeat_ivl = 50
    push.heartbeat_timeout = 500
    mon = push.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    push.connect(pull.last_endpoint.decode())
    time.sleep(1.0)  # many heartbeats both ways
    mon.rcvtimeo = 0
    with pytest.raises(Again):
        recv_monitor_message(mon)
    push.send(b"still here")
    pull.rcvtimeo = 5000
    assert pull.recv() == b"still here"


def test_lingering_connect_reconnects_and_delivers(pctx: pyzmq.Context) -> None:
    """A closed socket keeps trying to deliver for LINGER ms, across a failed
    connection (as libzmq): its queue is not dropped at the first failure."""
    listener = pysocket.socket()
    # When conn.close() runs before the greeting arrives it sends a FIN, not
    # an RST, and leaves a TIME-WAIT on the port; without SO_REUSEADDR here
    # that TIME-WAIT refuses pyzmq's (SO_REUSEADDR) bind for 60 s.
    listener.setsockopt(pysocket.SOL_SOCKET, pysocket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    ctx = Context()
    push = ctx.socket(zmq.PUSH)
    push.reconnect_ivl = 20
    push.connect(f"tcp://127.0.0.1:{port}")
    for i in range(10):
        push.send(b"%d" % i)
    push.close(linger=5000)
    conn, _ = listener.accept()  # the first connection fails mid-handshake
    conn.close()
    listener.close()
    pull = pctx.socket(pyzmq.PULL)
    deadline = time.monotonic() + 5
    while True:
        try:
            pull.bind(f"tcp://127.0.0.1:{port}")
            break
        except pyzmq.ZMQError:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    pull.rcvtimeo = 5000
    assert [pull.recv() for _ in range(10)] == [b"%d" % i for i in range(10)]
    ctx.term()
    pull.close(linger=0)
