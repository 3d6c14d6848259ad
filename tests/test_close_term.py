"""Close, LINGER and context termination with sockets; the seed scenario."""

from __future__ import annotations

import threading
import time

import pytest

import serverlink as zmq
from serverlink import Again, Context, ContextTerminated

from .conftest import open_fds

pytestmark = pytest.mark.timeout(120)


def test_term_stops_recv_blocked_in_another_thread(poller: str) -> None:
    ctx = Context(poller=poller)
    s = ctx.socket(zmq.PULL)
    s.bind("inproc://blocked")
    caught: list[BaseException] = []

    def blocked() -> None:
        try:
            s.recv()
        except ContextTerminated as e:
            caught.append(e)
        finally:
            s.close()

    t = threading.Thread(target=blocked)
    t.start()
    time.sleep(0.1)
    ctx.term()  # returns once the blocked thread has closed its socket
    t.join(5)
    assert not t.is_alive()
    assert len(caught) == 1
    assert caught[0].errno == zmq.ETERM


def test_term_stops_send_blocked_at_hwm(ctx: Context) -> None:
    c2 = Context()
    push = c2.socket(zmq.PUSH)
    push.sndhwm = 1
    pull = c2.socket(zmq.PULL)
    pull.rcvhwm = 1
    pull.bind("inproc://full")
    push.connect("inproc://full")
    caught: list[BaseException] = []

    def sender() -> None:
        try:
            while True:
                push.send(b"x")
        except ContextTerminated as e:
            caught.append(e)
        finally:
            push.close(linger=0)

    t = threading.Thread(target=sender)
    t.start()
    time.sleep(0.1)
    pull.close()
    c2.term()
    t.join(5)
    assert caught and caught[0].errno == zmq.ETERM


def test_events_reports_term_on_the_call_that_processes_stop() -> None:
    # term() sends `stop`; the EVENTS call that processes it must say ETERM
    # (as libzmq), or whoever waits on the socket's FD never hears of it.
    c = Context()
    a = c.socket(zmq.PAIR)
    term = threading.Thread(target=c.term)
    term.start()
    deadline = time.monotonic() + 10
    while not c._check_open().terminating():  # `stop` is sent once this says so
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with pytest.raises(ContextTerminated):
        a.getsockopt(zmq.EVENTS)
    a.close()
    term.join(10)
    assert not term.is_alive()


def test_use_after_term_raises(ctx: Context) -> None:
    c = Context()
    s = c.socket(zmq.PAIR)
    s.close()
    c.term()
    with pytest.raises(ContextTerminated):
        c.socket(zmq.PAIR)


def test_closed_socket_raises_enotsock() -> None:
    with Context() as c:
        s = c.socket(zmq.PAIR)
        s.close()
        s.close()  # twice is harmless
        assert s.closed
        with pytest.raises(zmq.ZMQError) as e:
            s.send(b"x")
        assert e.value.errno == zmq.ENOTSOCK
        with pytest.raises(zmq.ZMQError) as e:
            s.recv()
        assert e.value.errno == zmq.ENOTSOCK


def test_inproc_messages_already_sent_survive_close_with_linger_zero(ctx: Context) -> None:
    # libzmq semantics: an inproc pipe is shared memory, so what was sent
    # before the sender closed is still read by the receiver.
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    pull.bind("inproc://survive")
    push.connect("inproc://survive")
    for i in range(10):
        push.send(str(i).encode())
    push.close(linger=0)
    assert [int(pull.recv()) for _ in range(10)] == list(range(10))


def test_term_with_unread_inproc_messages_does_not_hang() -> None:
    c = Context()
    push, pull = c.socket(zmq.PUSH), c.socket(zmq.PULL)
    pull.bind("inproc://unread")
    push.connect("inproc://unread")
    for _ in range(100):
        push.send(b"never read")
    push.close()
    pull.close()
    t0 = time.monotonic()
    c.term()
    assert time.monotonic() - t0 < 2


def test_destroy_closes_open_sockets_with_linger() -> None:
    c = Context()
    socks = [c.socket(zmq.PUSH) for _ in range(5)]
    for s in socks:
        s.connect("tcp://127.0.0.1:1")
        s.send(b"stuck", zmq.DONTWAIT)
    t0 = time.monotonic()
    c.destroy(linger=0)
    assert time.monotonic() - t0 < 2
    assert all(s.closed for s in socks)
    assert c.closed


def test_socket_dropped_without_close_does_not_block_term() -> None:
    c = Context()
    s = c.socket(zmq.PAIR)
    s.bind("inproc://dropped")
    del s
    t0 = time.monotonic()
    c.term()
    assert time.monotonic() - t0 < 2


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_seed_scenario_thousand_contexts_with_a_socket(poller: str, transport: str) -> None:
    """Create a context, use a socket, close it, terminate: 1,000 times."""
    Context(poller=poller).term()
    fds, threads = open_fds(), threading.active_count()
    t0 = time.perf_counter()
    for _ in range(1000):
        c = Context(poller=poller)
        a, b = c.socket(zmq.PAIR), c.socket(zmq.PAIR)
        ep = "inproc://seed" if transport == "inproc" else "tcp://127.0.0.1:*"
        a.bind(ep)
        b.connect(a.last_endpoint.decode())
        b.send(b"ping")
        a.rcvtimeo = 5000
        assert a.recv() == b"ping"
        a.close()
        b.close()
        c.term()
    dt = time.perf_counter() - t0
    assert open_fds() == fds
    assert threading.active_count() == threads
    print(f"seed scenario ({transport}, {poller}): 1000 cycles in {dt:.2f} s")


def test_hwm_and_dontwait_raise_again_exactly_at_the_mark(ctx: Context) -> None:
    # inproc: the pipe holds the sender's SNDHWM plus the receiver's RCVHWM
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    push.sndhwm = 7
    pull.rcvhwm = 3
    pull.bind("inproc://hwm")
    push.connect("inproc://hwm")
    for i in range(10):
        push.send(b"%d" % i, zmq.DONTWAIT)
    with pytest.raises(Again):
        push.send(b"one too many", zmq.DONTWAIT)
    assert [pull.recv() for _ in range(10)] == [b"%d" % i for i in range(10)]


def test_sndtimeo_raises_again_after_the_timeout(ctx: Context) -> None:
    push = ctx.socket(zmq.PUSH)
    push.sndtimeo = 100
    t0 = time.monotonic()
    with pytest.raises(Again):
        push.send(b"nobody to send to")
    assert 0.08 < time.monotonic() - t0 < 2


def test_rcvtimeo_raises_again_after_the_timeout(ctx: Context) -> None:
    pull = ctx.socket(zmq.PULL)
    pull.rcvtimeo = 100
    t0 = time.monotonic()
    with pytest.raises(Again):
        pull.recv()
    assert 0.08 < time.monotonic() - t0 < 2


def test_multipart_is_all_or_nothing_at_hwm(ctx: Context) -> None:
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    push.sndhwm = 1
    pull.rcvhwm = 1
    pull.bind("inproc://mp-hwm")
    push.connect("inproc://mp-hwm")
    sent = 0
    while True:
        try:
            push.send_multipart([b"a", b"b", b"c"], zmq.DONTWAIT)
            sent += 1
        except Again:
            break
    got = [pull.recv_multipart() for _ in range(sent)]
    assert got == [[b"a", b"b", b"c"]] * sent
    pull.rcvtimeo = 50
    with pytest.raises(Again):
        pull.recv()


def test_exit_with_a_daemon_thread_inside_a_poll_neither_crashes_nor_hangs() -> None:
    """The exit hook must not close sockets under threads still using them."""
    import subprocess
    import sys

    code = (
        "import threading, time, serverlink as zmq\n"
        "ctx = zmq.Context()\n"
        "rep = ctx.socket(zmq.REP)\n"
        "rep.bind('inproc://x')\n"
        "def serve():\n"
        "    p = zmq.Poller(); p.register(rep, zmq.POLLIN)\n"
        "    while True:\n"
        "        try:\n"
        "            p.poll(10)\n"
        "        except zmq.ContextTerminated:\n"
        "            rep.close(); return\n"
        "threading.Thread(target=serve, daemon=True).start()\n"
        "time.sleep(0.02)\n"
    )
    for _ in range(20):
        t0 = time.monotonic()
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert time.monotonic() - t0 < 10


def _call(ctx: Context, how: str, errors: list[BaseException]) -> None:
    try:
        if how == "term":
            ctx.term()
        else:
            ctx.destroy(linger=0)
    except BaseException as e:
        errors.append(e)


@pytest.mark.parametrize(
    "first,second", [("term", "term"), ("term", "destroy"), ("destroy", "destroy")]
)
def test_concurrent_term_and_destroy_all_return_once_the_socket_is_closed(
    first: str, second: str
) -> None:
    # Two threads end one context while a socket is open; a third closes it.
    # Both calls return, once, and nothing crashes (the C context has one
    # waiter; the second caller used to wait in C too: it hung, or read the
    # context after the first had freed it).
    for i in range(25):
        ctx = Context()
        s = ctx.socket(zmq.PAIR)
        s.bind(f"inproc://concurrent-{i}")
        errors: list[BaseException] = []
        enders = [
            threading.Thread(target=_call, args=(ctx, how, errors)) for how in (first, second)
        ]
        for t in enders:
            t.start()
        time.sleep(0.002 * (i % 5))  # vary the interleaving
        closer = threading.Thread(target=s.close)
        closer.start()
        for t in (*enders, closer):
            t.join(10)
            assert not t.is_alive(), f"round {i}: a {first}/{second} call did not return"
        assert errors == []
        assert ctx.closed


def test_term_logs_the_sockets_it_waits_for(caplog: pytest.LogCaptureFixture) -> None:
    ctx = Context()
    ctx.term_warning_after = 0.2
    push = ctx.socket(zmq.PUSH)
    push.connect("tcp://127.0.0.1:1")
    router = ctx.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    term = threading.Thread(target=ctx.term)
    with caplog.at_level("WARNING", logger="serverlink"):
        term.start()
        deadline = time.monotonic() + 10
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.02)
        push.close()
        router.close()
        term.join(10)
    assert not term.is_alive()
    assert len(caplog.records) == 1
    text = caplog.records[0].getMessage()
    assert "2 socket(s) still open" in text
    assert "PUSH (connect tcp://127.0.0.1:1)" in text
    assert f"ROUTER (bind tcp://127.0.0.1:{port})" in text
    assert "term_warning_after" in text


def test_term_warning_is_off_with_none(caplog: pytest.LogCaptureFixture) -> None:
    ctx = Context()
    ctx.term_warning_after = None
    s = ctx.socket(zmq.PULL)
    s.bind("inproc://quiet")
    term = threading.Thread(target=ctx.term)
    with caplog.at_level("WARNING", logger="serverlink"):
        term.start()
        time.sleep(0.4)
        s.close()
        term.join(10)
    assert not term.is_alive()
    assert caplog.records == []
