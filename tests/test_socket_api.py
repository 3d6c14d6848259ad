"""The Python Socket API: pyzmq's names, buffers, frames, options, errors."""

from __future__ import annotations

import gc
import sys
import threading
import time

import pytest

import serverlink as zmq
from serverlink import Context, Frame, ZMQError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def pair(ctx: Context) -> tuple[zmq.Socket, zmq.Socket]:
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://api")
    b.connect("inproc://api")
    a.rcvtimeo = b.rcvtimeo = 5000
    return a, b


def test_send_accepts_any_buffer(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    import array

    for data in (
        b"bytes",
        bytearray(b"bytearray"),
        memoryview(b"memoryview"),
        array.array("i", [1, 2]),
    ):
        a.send(data)
        assert b.recv() == bytes(data)


def test_send_rejects_str_and_non_buffers_naming_the_argument(
    pair: tuple[zmq.Socket, zmq.Socket],
) -> None:
    a, _ = pair
    with pytest.raises(TypeError, match="data must be bytes-like, not str"):
        a.send("text")
    with pytest.raises(TypeError, match="data must be bytes-like, not int"):
        a.send(42)
    with pytest.raises(TypeError, match="msg_parts"):
        a.send_multipart(b"not a list")
    with pytest.raises(TypeError, match="part 1"):
        a.send_multipart([b"ok", 3])


def test_string_helpers(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    a.send_string("héllo")
    assert b.recv_string() == "héllo"


def test_recv_copy_false_returns_frame_without_copy(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    payload = b"x" * 100_000
    a.send(payload, zmq.SNDMORE)
    a.send(b"tail")
    f = b.recv(copy=False)
    assert isinstance(f, Frame)
    assert f.more
    assert len(f) == 100_000
    view = f.buffer
    assert view.nbytes == 100_000 and bytes(view[:3]) == b"xxx"
    del f
    gc.collect()
    assert bytes(view[-3:]) == b"xxx"  # the buffer keeps the message alive
    tail = b.recv(copy=False)
    assert not tail.more and tail.bytes == b"tail" and bytes(tail) == b"tail"
    assert tail.get(zmq.MORE) == 0


@pytest.mark.skipif(sys.version_info < (3, 12), reason="__buffer__ is Python 3.12+")
def test_frame_supports_the_buffer_protocol(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    a.send(b"abc")
    assert bytes(memoryview(b.recv(copy=False))) == b"abc"


def test_frames_can_be_sent_again_without_copy(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    f = Frame(b"y" * 70_000)
    a.send(f)
    a.send(f)
    assert b.recv() == b"y" * 70_000
    assert b.recv() == b"y" * 70_000


def test_copy_false_send_keeps_buffer_until_released(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    big = bytearray(b"z" * 200_000)
    tracker = a.send(big, copy=False, track=True)
    assert tracker is not None
    assert not tracker.done  # still in the pipe
    got = b.recv(copy=False)
    assert not tracker.done  # the receiver's frame still refers to it
    assert got.bytes == bytes(big)
    del got
    gc.collect()
    tracker.wait(5)
    assert tracker.done


def test_copy_false_buffer_is_released_without_another_zero_copy_call(
    pair: tuple[zmq.Socket, zmq.Socket],
) -> None:
    # The pin is dropped when C is done with the message, not when a later
    # zero-copy operation happens to look (it used to stay until then).
    a, b = pair
    big = b"w" * 300_000
    before = sys.getrefcount(big)
    a.send(big, copy=False)
    assert sys.getrefcount(big) > before  # pinned while C holds it
    assert b.recv() == big  # copied out: C's last reference goes
    deadline = time.monotonic() + 5
    while sys.getrefcount(big) > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sys.getrefcount(big) == before


def test_tracker_wait_returns_when_released(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    tracker = a.send(bytearray(100_000), copy=False, track=True)
    assert tracker is not None
    with pytest.raises(zmq.NotDone):
        tracker.wait(0.05)  # still queued
    done = threading.Event()

    def waiter() -> None:
        tracker.wait(10)
        done.set()

    t = threading.Thread(target=waiter)
    t.start()
    b.recv()
    t.join(10)
    assert done.is_set() and tracker.done


def test_recv_multipart_copy_false(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    a.send_multipart([b"1", b"2" * 1000, Frame(b"3")])
    frames = b.recv_multipart(copy=False)
    assert [f.bytes for f in frames] == [b"1", b"2" * 1000, b"3"]


def test_options_as_attributes_and_methods(ctx: Context) -> None:
    s = ctx.socket(zmq.PUSH)
    s.linger = 0
    assert s.linger == 0 == s.getsockopt(zmq.LINGER)
    s.setsockopt(zmq.SNDHWM, 5)
    assert s.sndhwm == 5
    assert s.get(zmq.TYPE) == s.type
    assert s.rcvmore is False
    assert isinstance(s.fd, int) and s.fd >= 0
    assert s.events & zmq.POLLOUT == 0  # no peer yet
    s.maxmsgsize = 2**40
    assert s.maxmsgsize == 2**40
    s.routing_id = b"me"
    assert s.routing_id == b"me"
    s.bind("tcp://127.0.0.1:*")
    assert s.last_endpoint.startswith(b"tcp://127.0.0.1:")


def test_bad_option_values_raise(ctx: Context) -> None:
    s = ctx.socket(zmq.PUSH)
    with pytest.raises(ZMQError) as e:
        s.sndhwm = -1
    assert e.value.errno == zmq.EINVAL
    with pytest.raises(TypeError, match="must be an int"):
        s.linger = "0"
    with pytest.raises(TypeError, match="must be bytes"):
        s.routing_id = "str"
    with pytest.raises(ZMQError) as e:
        s.setsockopt(9999, 1)
    assert e.value.errno == zmq.EINVAL
    with pytest.raises(AttributeError):
        s.no_such_option  # noqa: B018


def test_unknown_socket_type_is_a_value_error(ctx: Context) -> None:
    with pytest.raises(ValueError, match="unsupported socket type 99"):
        ctx.socket(99)
    with pytest.raises(TypeError, match="socket_type must be an int"):
        ctx.socket("PUSH")  # type: ignore[arg-type]


def test_socket_is_a_context_manager(ctx: Context) -> None:
    with ctx.socket(zmq.PAIR) as s:
        assert not s.closed
    assert s.closed


def test_errors_carry_errno_and_libzmq_text() -> None:
    e = ZMQError(zmq.ETERM)
    assert e.errno == 156384765
    assert str(e) == "Context was terminated"
    assert zmq.strerror(zmq.EFSM) == "Operation cannot be accomplished in current state"
    assert issubclass(zmq.Again, ZMQError) and issubclass(zmq.ContextTerminated, ZMQError)


def test_constants_have_pyzmq_values() -> None:
    assert (zmq.PAIR, zmq.PUB, zmq.SUB, zmq.REQ, zmq.REP) == (0, 1, 2, 3, 4)
    assert (zmq.DEALER, zmq.ROUTER, zmq.PULL, zmq.PUSH, zmq.XPUB, zmq.XSUB) == (5, 6, 7, 8, 9, 10)
    assert (zmq.DONTWAIT, zmq.NOBLOCK, zmq.SNDMORE) == (1, 1, 2)
    assert (zmq.LINGER, zmq.SNDHWM, zmq.RCVHWM, zmq.ROUTING_ID) == (17, 23, 24, 5)
    assert zmq.SocketType.PUSH == zmq.PUSH
