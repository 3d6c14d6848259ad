"""The batch API: send_many / recv_many, through the glue's C functions and
through the cffi equivalents that PyPy uses (both are run here)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import serverlink as zmq
from serverlink import Context, _binding

pytestmark = pytest.mark.timeout(60)

GLUE = _binding.fast_functions(use_glue=True)
CFFI = _binding.fast_functions(use_glue=False)


class Batch:
    """send_many / recv_many of one implementation, called as Socket calls them."""

    def __init__(self, impl: _binding.FastFunctions) -> None:
        self._send_many, self._recv_many = impl.send_many, impl.recv_many

    def send_many(self, s: zmq.Socket, msgs: Any, flags: int = 0) -> int:
        if type(msgs) not in (list, tuple):
            msgs = list(msgs)
        return int(self._send_many(s._addr, msgs, flags))

    def recv_many(self, s: zmq.Socket, max_messages: int = 1000, flags: int = 0) -> list[Any]:
        return list(self._recv_many(s._addr, max_messages, flags))


@pytest.fixture(params=["glue", "cffi"])
def batch(request: pytest.FixtureRequest) -> Batch:
    impl = GLUE if request.param == "glue" else CFFI
    if request.param == "glue" and GLUE.send_many is CFFI.send_many:
        pytest.skip("the glue is not available on this interpreter")
    return Batch(impl)


@pytest.fixture
def pipe(ctx: Context) -> Iterator[tuple[zmq.Socket, zmq.Socket]]:
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    pull.bind("inproc://batch")
    push.connect("inproc://batch")
    pull.rcvtimeo = push.sndtimeo = 5000
    yield push, pull


def test_socket_methods_round_trip_in_order(pipe: tuple[zmq.Socket, zmq.Socket]) -> None:
    push, pull = pipe
    msgs = [b"%d" % i for i in range(500)]
    assert push.send_many(msgs[:250]) == 250
    assert push.send_many(tuple(msgs[250:])) == 250
    got: list[bytes] = []
    while len(got) < 500:
        got += pull.recv_many(64)
    assert got == msgs


def test_any_iterable_is_accepted(batch: Batch, pipe: tuple[zmq.Socket, zmq.Socket]) -> None:
    push, pull = pipe
    assert batch.send_many(push, (b"x%d" % i for i in range(3))) == 3
    assert batch.recv_many(pull, 10) == [b"x0", b"x1", b"x2"]


def test_empty_batch_sends_nothing(batch: Batch, pipe: tuple[zmq.Socket, zmq.Socket]) -> None:
    push, pull = pipe
    assert batch.send_many(push, []) == 0
    with pytest.raises(zmq.Again):
        batch.recv_many(pull, 10, zmq.DONTWAIT)


def test_a_non_bytes_element_is_refused_before_anything_is_sent(
    batch: Batch, pipe: tuple[zmq.Socket, zmq.Socket]
) -> None:
    push, pull = pipe
    with pytest.raises(TypeError, match="message 1 must be bytes"):
        batch.send_many(push, [b"a", "str", b"c"])
    with pytest.raises(zmq.Again):
        pull.recv(zmq.DONTWAIT)
    push.send(b"after")
    assert pull.recv() == b"after"


def test_recv_many_takes_at_most_max_and_only_what_is_there(
    batch: Batch, pipe: tuple[zmq.Socket, zmq.Socket]
) -> None:
    push, pull = pipe
    for i in range(10):
        push.send(b"%d" % i)
    assert batch.recv_many(pull, 4) == [b"0", b"1", b"2", b"3"]
    assert batch.recv_many(pull, 100) == [b"%d" % i for i in range(4, 10)]
    with pytest.raises(zmq.Again):
        batch.recv_many(pull, 100, zmq.DONTWAIT)


def test_recv_many_blocks_for_the_first_until_rcvtimeo(
    batch: Batch, pipe: tuple[zmq.Socket, zmq.Socket]
) -> None:
    _, pull = pipe
    pull.rcvtimeo = 50
    with pytest.raises(zmq.Again):
        batch.recv_many(pull, 10)


def test_recv_many_rejects_a_max_below_one(
    batch: Batch, pipe: tuple[zmq.Socket, zmq.Socket]
) -> None:
    _, pull = pipe
    with pytest.raises(ValueError, match="at least 1"):
        batch.recv_many(pull, 0)


def test_multipart_messages_come_back_as_lists(batch: Batch, ctx: Context) -> None:
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://batch-mp")
    b.connect("inproc://batch-mp")
    a.send(b"one")
    a.send_multipart([b"two", b"", b"parts"])
    a.send(b"three")
    assert batch.recv_many(b, 10) == [b"one", [b"two", b"", b"parts"], b"three"]


def test_send_many_stops_at_the_high_water_mark(batch: Batch, ctx: Context) -> None:
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    push.sndhwm = 10
    pull.rcvhwm = 10
    pull.bind("inproc://batch-hwm")
    push.connect("inproc://batch-hwm")
    msgs = [b"%d" % i for i in range(100)]
    sent = batch.send_many(push, msgs, zmq.DONTWAIT)
    assert 10 <= sent < 100
    with pytest.raises(zmq.Again):
        batch.send_many(push, msgs[sent:], zmq.DONTWAIT)
    got: list[bytes] = []
    while True:
        try:
            got += batch.recv_many(pull, 1000, zmq.DONTWAIT)
        except zmq.Again:
            break
    assert got == msgs[:sent]


def test_blocking_batches_between_threads_lose_and_reorder_nothing(
    batch: Batch, ctx: Context
) -> None:
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    push.sndhwm = pull.rcvhwm = 100  # the sender blocks often
    pull.bind("inproc://batch-threads")
    push.connect("inproc://batch-threads")
    pull.rcvtimeo = 10000
    total = 20000
    msgs = [b"%08d" % i for i in range(total)]

    def sender() -> None:
        off = 0
        while off < total:
            off += batch.send_many(push, msgs[off : off + 64])

    t = threading.Thread(target=sender)
    t.start()
    got: list[bytes] = []
    while len(got) < total:
        got += batch.recv_many(pull, 64)
    t.join(10)
    assert not t.is_alive()
    assert got == msgs


def test_a_closed_socket_raises(batch: Batch, ctx: Context) -> None:
    s = ctx.socket(zmq.PUSH)
    s.close()
    with pytest.raises(zmq.ZMQError) as e:
        s.send_many([b"x"])
    assert e.value.errno == zmq.ENOTSOCK
    with pytest.raises(zmq.ZMQError):
        s.recv_many(1)


def test_term_wakes_a_sender_blocked_on_its_first_message(batch: Batch) -> None:
    c = zmq.Context()
    push = c.socket(zmq.PUSH)  # no peer: a send blocks
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            batch.send_many(push, [b"a", b"b"])
        except BaseException as e:
            errors.append(e)
        finally:
            push.close(linger=0)

    t = threading.Thread(target=sender)
    t.start()
    t.join(0.2)
    assert t.is_alive()  # blocked: no peer yet
    c.term()
    t.join(10)
    assert not t.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], zmq.ContextTerminated)


def test_large_messages_cross_every_path_intact(ctx: Context) -> None:
    """Copies from 64 KiB up run without the GIL (send, recv, multipart, batches)."""
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://batch-big")
    b.connect("inproc://batch-big")
    b.rcvtimeo = 5000
    big = [bytes([i]) * (64 * 1024 + i * 4099) for i in range(4)]
    a.send(big[0])
    assert b.recv() == big[0]
    a.send_multipart([big[1], b"small", big[2]])
    assert b.recv_multipart() == [big[1], b"small", big[2]]
    assert a.send_many(big) == 4
    got: list[Any] = []
    while len(got) < 4:
        got += b.recv_many(10)
    assert got == big
