"""PAIR and PUSH/PULL over inproc: the first socket types on the core."""

from __future__ import annotations

import threading

import pytest

import serverlink as zmq
from serverlink import Again, Context

pytestmark = pytest.mark.timeout(60)


def test_pair_exchange_both_ways(ctx: Context) -> None:
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://pair")
    b.connect("inproc://pair")
    a.send(b"ping")
    assert b.recv() == b"ping"
    b.send(b"pong")
    assert a.recv() == b"pong"


def test_pair_refuses_a_second_peer(ctx: Context) -> None:
    a, b, c = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://one")
    b.connect("inproc://one")
    c.connect("inproc://one")
    b.send(b"from b")
    assert a.recv() == b"from b"
    try:
        c.send(b"from c", zmq.DONTWAIT)  # its pipe was refused: Again, or dropped
    except Again:
        pass
    a.rcvtimeo = 100
    with pytest.raises(Again):
        a.recv()  # either way it never arrives
    b.send(b"b still works")
    assert a.recv() == b"b still works"


def test_connect_before_bind_on_inproc(ctx: Context) -> None:
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    push.connect("inproc://later")
    push.send(b"queued before bind")
    pull.bind("inproc://later")
    assert pull.recv() == b"queued before bind"


def test_push_load_balances_and_pull_fair_queues(ctx: Context) -> None:
    push = ctx.socket(zmq.PUSH)
    push.bind("inproc://lb")
    pulls = [ctx.socket(zmq.PULL) for _ in range(3)]
    for p in pulls:
        p.connect("inproc://lb")
    for i in range(30):
        push.send(str(i).encode())
    got = [[int(p.recv()) for _ in range(10)] for p in pulls]
    # round-robin: each peer gets every third message, in order
    assert sorted(x for g in got for x in g) == list(range(30))
    for g in got:
        assert g == sorted(g)
        assert len({x % 3 for x in g}) == 1


def test_pull_fair_queues_from_several_pushers(ctx: Context) -> None:
    pull = ctx.socket(zmq.PULL)
    pull.bind("inproc://fq")
    pushers = [ctx.socket(zmq.PUSH) for _ in range(3)]
    for i, p in enumerate(pushers):
        p.connect("inproc://fq")
        for j in range(5):
            p.send(f"{i}:{j}".encode())
    got = [pull.recv().decode() for _ in range(15)]
    first_round = {g.split(":")[0] for g in got[:3]}
    assert first_round == {"0", "1", "2"}


def test_hundred_thousand_messages_in_order(ctx: Context) -> None:
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    pull.bind("inproc://many")
    push.connect("inproc://many")
    n = 100_000

    def sender() -> None:
        for i in range(n):
            push.send(i.to_bytes(4, "little"))

    t = threading.Thread(target=sender)
    t.start()
    for i in range(n):
        assert int.from_bytes(pull.recv(), "little") == i
    t.join()


def test_multipart_roundtrip(ctx: Context) -> None:
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://mp")
    b.connect("inproc://mp")
    parts = [b"", b"x" * 255, b"y" * 256, b"z" * 100_000]
    a.send_multipart(parts)
    assert b.recv_multipart() == parts
    a.send(b"1", zmq.SNDMORE)
    a.send(b"2")
    assert b.recv() == b"1"
    assert b.rcvmore
    assert b.recv() == b"2"
    assert not b.rcvmore


@pytest.mark.parametrize("kind", [zmq.PUSH, zmq.DEALER])
def test_reading_events_at_hwm_keeps_the_pipe(ctx: Context, kind: int) -> None:
    # EVENTS at the high-water mark takes the full pipe out of the
    # load-balancer; the peer's activate_write must put it back.
    pull, out = ctx.socket(zmq.PULL if kind == zmq.PUSH else zmq.DEALER), ctx.socket(kind)
    pull.rcvhwm = 1
    out.sndhwm = 1
    pull.bind("inproc://events-at-hwm")
    out.connect("inproc://events-at-hwm")
    sent = 0
    while out.getsockopt(zmq.EVENTS) & zmq.POLLOUT:
        out.send(b"%d" % sent, zmq.DONTWAIT)
        sent += 1
    assert sent >= 1
    assert not out.getsockopt(zmq.EVENTS) & zmq.POLLOUT
    for i in range(sent):
        assert pull.recv() == b"%d" % i
    assert out.getsockopt(zmq.EVENTS) & zmq.POLLOUT
    out.send(b"more", zmq.DONTWAIT)
    assert pull.recv() == b"more"


def test_last_send_woke_reports_waking_a_sleeping_reader(ctx: Context) -> None:
    """The hint the binding's GIL policy reads (sl_last_send_woke)."""
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://woke")
    b.connect("inproc://woke")
    b.rcvtimeo = 5000
    with pytest.raises(Again):
        b.recv(zmq.DONTWAIT)  # the reader found nothing: it sleeps
    a.send(b"1")
    assert a._c().last_send_woke()
    a.send(b"2")  # the reader was woken and has not looked again
    assert not a._c().last_send_woke()
    assert b.recv() == b"1" and b.recv() == b"2"
    with pytest.raises(Again):
        b.recv(zmq.DONTWAIT)
    a.send_multipart([b"3", b"4"])
    assert a._c().last_send_woke()
    assert b.recv_multipart() == [b"3", b"4"]
