"""Polling: Poller, select, zmq_poll and Socket.poll over sl_poll."""

from __future__ import annotations

import errno
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator

import pytest

import serverlink as zmq
from serverlink import Context, Poller, ZMQError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def pair(ctx: Context) -> tuple[zmq.Socket, zmq.Socket]:
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://poll")
    b.connect("inproc://poll")
    return a, b


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    try:
        yield r, w
    finally:
        os.close(r)
        os.close(w)


def test_poll_reports_a_readable_socket(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    p = Poller()
    p.register(a, zmq.POLLIN)
    p.register(b, zmq.POLLIN)
    assert p.poll(0) == []
    b.send(b"x")
    assert p.poll(5000) == [(a, zmq.POLLIN)]
    assert a.recv() == b"x"
    assert p.poll(0) == []


def test_poll_timeout_is_in_milliseconds(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, _ = pair
    p = Poller()
    p.register(a, zmq.POLLIN)
    t0 = time.monotonic()
    assert p.poll(150) == []
    took = time.monotonic() - t0
    assert 0.14 <= took < 2.0


def test_poll_none_waits_until_a_message_arrives(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    p = Poller()
    p.register(a, zmq.POLLIN)
    timer = threading.Timer(0.1, b.send, (b"late",))
    timer.start()
    try:
        assert dict(p.poll()) == {a: zmq.POLLIN}
    finally:
        timer.join()
    assert a.recv() == b"late"


def test_poll_wakes_for_tcp_and_ipc_messages(ctx: Context, tmp_path: os.PathLike[str]) -> None:
    for endpoint in ("tcp://127.0.0.1:*", f"ipc://{tmp_path}/poll.ipc"):
        pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
        pull.bind(endpoint)
        push.connect(pull.last_endpoint.decode())
        p = Poller()
        p.register(pull, zmq.POLLIN)
        push.send(b"over the wire")
        assert p.poll(5000) == [(pull, zmq.POLLIN)]
        assert pull.recv() == b"over the wire"
        pull.close(linger=0)
        push.close(linger=0)


def test_poll_mixes_sockets_fds_and_fileno_objects(
    pair: tuple[zmq.Socket, zmq.Socket], pipe: tuple[int, int]
) -> None:
    a, b = pair
    r, w = pipe
    s1, s2 = socket.socketpair()
    with s1, s2:
        p = Poller()
        p.register(a, zmq.POLLIN)
        p.register(r, zmq.POLLIN)
        p.register(s1, zmq.POLLIN)
        assert p.poll(0) == []
        os.write(w, b"!")
        s2.send(b"?")
        b.send(b"m")
        assert dict(p.poll(5000)) == {a: zmq.POLLIN, r: zmq.POLLIN, s1: zmq.POLLIN}
        assert p.poll(0) == [(a, zmq.POLLIN), (r, zmq.POLLIN), (s1, zmq.POLLIN)]


def test_poll_reports_pollout(ctx: Context, pipe: tuple[int, int]) -> None:
    _, w = pipe
    push = ctx.socket(zmq.PUSH)
    p = Poller()
    p.register(push, zmq.POLLOUT)
    p.register(w, zmq.POLLOUT)
    # A PUSH with no peer cannot send; the pipe's write end can.
    assert p.poll(0) == [(w, zmq.POLLOUT)]
    pull = ctx.socket(zmq.PULL)
    pull.bind("inproc://pollout")
    push.connect("inproc://pollout")
    assert dict(p.poll(5000)) == {push: zmq.POLLOUT, w: zmq.POLLOUT}


def test_pollout_comes_back_when_the_peer_reads(ctx: Context) -> None:
    pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    pull.rcvhwm = 1
    push.sndhwm = 1
    pull.bind("inproc://hwm")
    push.connect("inproc://hwm")
    p = Poller()
    p.register(push, zmq.POLLOUT)
    sent = 0
    while p.poll(100):
        push.send(b"%d" % sent, zmq.DONTWAIT)
        sent += 1
    assert sent >= 1
    assert p.poll(50) == []
    pull.recv()
    assert p.poll(5000) == [(push, zmq.POLLOUT)]


def test_register_again_modifies_and_zero_unregisters(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    p = Poller()
    p.register(a, zmq.POLLIN)
    assert p.poll(0) == []
    p.register(a, zmq.POLLIN | zmq.POLLOUT)
    assert p.poll(0) == [(a, zmq.POLLOUT)]
    p.modify(a, zmq.POLLIN)
    assert p.poll(0) == []
    assert a in p
    p.register(a, 0)
    assert a not in p
    assert p.sockets == []
    p.register(b, 0)  # registering a new object with no events does nothing
    assert b not in p
    with pytest.raises(KeyError):
        p.unregister(a)


def test_unregister_keeps_the_others_in_order(ctx: Context) -> None:
    socks = [ctx.socket(zmq.PUSH) for _ in range(4)]
    for i, s in enumerate(socks):
        s.bind(f"inproc://order{i}")
    peers = [ctx.socket(zmq.PULL) for _ in range(4)]
    for i, s in enumerate(peers):
        s.connect(f"inproc://order{i}")
    p = Poller()
    for s in socks:
        p.register(s, zmq.POLLOUT)
    assert [s for s, _ in p.poll(5000)] == socks
    p.unregister(socks[1])
    assert [s for s, _ in p.poll(0)] == [socks[0], socks[2], socks[3]]
    assert p.sockets == [(socks[0], zmq.POLLOUT), (socks[2], zmq.POLLOUT), (socks[3], zmq.POLLOUT)]


def test_items_are_cached_while_registrations_do_not_change(
    pair: tuple[zmq.Socket, zmq.Socket], pipe: tuple[int, int]
) -> None:
    a, _ = pair
    p = Poller()
    p.register(a, zmq.POLLIN)
    p.poll(0)
    items = p._items
    p.poll(0)
    p.modify(a, zmq.POLLIN | zmq.POLLOUT)  # new events, same objects: written in place
    assert p.poll(0) == [(a, zmq.POLLOUT)]
    assert p._items is items
    p.register(pipe[0], zmq.POLLIN)
    p.poll(0)
    assert p._items is not items


def test_polling_a_closed_socket_raises_enotsock(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    p = Poller()
    p.register(a, zmq.POLLIN)
    p.register(b, zmq.POLLIN)
    p.poll(0)
    b.close()
    with pytest.raises(ZMQError, match="registered for polling") as e:
        p.poll(0)
    assert e.value.errno == errno.ENOTSOCK
    p.unregister(b)
    assert p.poll(0) == []
    with pytest.raises(ZMQError) as e:
        p.register(b, zmq.POLLIN)
    assert e.value.errno == errno.ENOTSOCK
    with pytest.raises(ZMQError) as e:
        b.poll(0)
    assert e.value.errno == errno.ENOTSOCK


def test_bad_registrations_say_what_was_wrong(pipe: tuple[int, int]) -> None:
    p = Poller()
    with pytest.raises(TypeError, match="fileno"):
        p.register(object(), zmq.POLLIN)
    s = socket.socket()
    s.close()
    with pytest.raises(ValueError, match="closed"):
        p.register(s, zmq.POLLIN)
    with pytest.raises(TypeError, match="flags"):
        p.register(pipe[0], "POLLIN")  # type: ignore[arg-type]
    assert p.sockets == []


def test_poll_after_term_raises_context_terminated() -> None:
    c = Context()
    a = c.socket(zmq.PAIR)
    p = Poller()
    p.register(a, zmq.POLLIN)
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            p.poll()
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.1)
    term = threading.Thread(target=c.term)
    term.start()
    t.join(10)
    assert not t.is_alive()
    assert isinstance(errors[0], zmq.ContextTerminated)
    a.close()
    term.join(10)
    assert not term.is_alive()


def _signal_main_thread_after(delay: float, sig: int) -> threading.Timer:
    # Aimed at the main thread, which is the one waiting in poll.
    t = threading.Timer(delay, signal.pthread_kill, (threading.main_thread().ident, sig))
    t.start()
    return t


needs_pthread_kill = pytest.mark.skipif(
    not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill"
)


@needs_pthread_kill
def test_signal_runs_its_handler_and_the_wait_resumes(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, _ = pair
    p = Poller()
    p.register(a, zmq.POLLIN)
    seen: list[float] = []
    old = signal.signal(signal.SIGUSR1, lambda *_: seen.append(time.monotonic()))
    try:
        t0 = time.monotonic()
        timer = _signal_main_thread_after(0.1, signal.SIGUSR1)
        assert p.poll(400) == []
        took = time.monotonic() - t0
        timer.join()
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert len(seen) == 1 and seen[0] - t0 < 0.35  # ran at the signal, not at the end
    assert 0.39 <= took < 2.0  # and the poll still waited its whole timeout


@needs_pthread_kill
def test_signal_handler_that_raises_ends_the_poll(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, _ = pair

    class Stop(Exception):
        pass

    def handler(*_: object) -> None:
        raise Stop

    old = signal.signal(signal.SIGUSR1, handler)
    try:
        t0 = time.monotonic()
        timer = _signal_main_thread_after(0.1, signal.SIGUSR1)
        with pytest.raises(Stop):
            a.poll(5000)
        assert time.monotonic() - t0 < 2.0
        timer.join()
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_socket_poll_returns_the_events_seen(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    assert a.poll(0) == 0
    assert a.poll(0, zmq.POLLOUT) == zmq.POLLOUT
    t0 = time.monotonic()
    assert a.poll(100) == 0
    assert time.monotonic() - t0 >= 0.09
    b.send(b"x")
    assert a.poll(5000) == zmq.POLLIN
    assert a.poll(0, zmq.POLLIN | zmq.POLLOUT) == zmq.POLLIN | zmq.POLLOUT


def test_select_takes_seconds_and_returns_three_lists(
    pair: tuple[zmq.Socket, zmq.Socket], pipe: tuple[int, int]
) -> None:
    a, b = pair
    r, w = pipe
    t0 = time.monotonic()
    assert zmq.select([a, r], [], [], 0.1) == ([], [], [])
    assert 0.09 <= time.monotonic() - t0 < 2.0
    b.send(b"x")
    os.write(w, b"x")
    rl, wl, xl = zmq.select([a, r], [b, w], [a], timeout=5)
    assert rl == [a, r]
    assert wl == [b, w]
    assert xl == []


def test_zmq_poll_function(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    assert zmq.zmq_poll([(a, zmq.POLLIN), (b, zmq.POLLOUT)], 0) == [(b, zmq.POLLOUT)]
    b.send(b"x")
    assert zmq.zmq_poll([(a, zmq.POLLIN)], None) == [(a, zmq.POLLIN)]


def test_poll_many_sockets_finds_the_ready_ones(ctx: Context) -> None:
    n = 200
    pulls = [ctx.socket(zmq.PULL) for _ in range(n)]
    pushes = [ctx.socket(zmq.PUSH) for _ in range(n)]
    for i, (pull, push) in enumerate(zip(pulls, pushes)):
        pull.bind(f"inproc://many{i}")
        push.connect(f"inproc://many{i}")
    p = Poller()
    for s in pulls:
        p.register(s, zmq.POLLIN)
    chosen = list(range(3, n, 17))
    for i in chosen:
        pushes[i].send(b"%d" % i)
    seen: set[int] = set()
    deadline = time.monotonic() + 10
    while len(seen) < len(chosen) and time.monotonic() < deadline:
        for s, ev in p.poll(1000):
            assert ev == zmq.POLLIN
            seen.add(int(s.recv()))
    assert sorted(seen) == chosen


@pytest.mark.skipif(sys.platform == "win32", reason="pipes are not pollable on Windows")
def test_a_hung_up_fd_reports_pollerr_as_libzmq() -> None:
    r, w = os.pipe()
    try:
        os.write(w, b"last words")
        os.close(w)
        # Readable, and hung up (the writer is gone), which zmq_poll reports as POLLERR.
        assert zmq.zmq_poll([(r, zmq.POLLIN)], 1000) == [(r, zmq.POLLIN | zmq.POLLERR)]
    finally:
        os.close(r)
