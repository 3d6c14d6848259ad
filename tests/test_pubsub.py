"""PUB/SUB and XPUB/XSUB over inproc, with libzmq's semantics."""

from __future__ import annotations

import errno
import itertools
import threading
import time
from collections.abc import Iterable

import pytest

import serverlink as zmq
from serverlink import Again, Context, Socket, ZMQError, _binding

pytestmark = pytest.mark.timeout(60)

_names = itertools.count()
PROBE = b"\xffsettle"


@pytest.fixture(params=["bind_first", "connect_first"])
def order(request: pytest.FixtureRequest) -> str:
    """Inproc both ways round: the binder exists first, or the connecter."""
    return str(request.param)


def link(binder: Socket, connecters: Iterable[Socket], order: str) -> None:
    addr = f"inproc://pubsub-{next(_names)}"
    if order == "bind_first":
        binder.bind(addr)
    for c in connecters:
        c.connect(addr)
    if order != "bind_first":
        binder.bind(addr)


def drain(s: Socket) -> list[bytes]:
    got = []
    while True:
        try:
            got.append(s.recv(zmq.DONTWAIT))
        except Again:
            return got


def settle(pub: Socket, *subs: Socket) -> None:
    """Return once every sub's subscriptions so far have reached pub.

    Until then a publisher drops what it sends (libzmq's slow joiner). A
    probe topic is subscribed and published until it arrives; subscriptions
    travel in order, so the earlier ones have arrived too.
    """
    for s in subs:
        s.subscribe(PROBE)
        deadline = time.monotonic() + 10
        while True:
            pub.send(PROBE)
            try:
                s.recv(zmq.DONTWAIT)
                break
            except Again:
                assert time.monotonic() < deadline, "the subscription never reached the publisher"
                time.sleep(0.001)
        s.unsubscribe(PROBE)
    for s in subs:
        drain(s)


def recv_within(s: Socket, ms: int = 5000) -> bytes:
    s.rcvtimeo = ms
    return bytes(s.recv())


def nothing_more(s: Socket, ms: int = 50) -> bool:
    s.rcvtimeo = ms
    try:
        s.recv()
    except Again:
        return True
    return False


def pub_and_subs(ctx: Context, order: str, n: int = 1) -> tuple[Socket, list[Socket]]:
    pub = ctx.socket(zmq.PUB)
    subs = [ctx.socket(zmq.SUB) for _ in range(n)]
    link(pub, subs, order)
    return pub, subs


# -- filtering ---------------------------------------------------------------


def test_sub_receives_only_messages_its_prefix_starts(ctx: Context, order: str) -> None:
    pub, (sub,) = pub_and_subs(ctx, order)
    sub.subscribe(b"A")
    settle(pub, sub)
    for m in (b"A1", b"B1", b"AB", b"", b"a", b"A"):
        pub.send(m)
    assert drain(sub) == [b"A1", b"AB", b"A"]


def test_several_subscriptions_each_let_their_prefix_through(ctx: Context, order: str) -> None:
    pub, (sub,) = pub_and_subs(ctx, order)
    sub.subscribe(b"A")
    sub.subscribe(b"BC")
    settle(pub, sub)
    for m in (b"A", b"B", b"BC", b"BCD", b"C", b"xA"):
        pub.send(m)
    assert drain(sub) == [b"A", b"BC", b"BCD"]


def test_unsubscribe_stops_the_messages(ctx: Context, order: str) -> None:
    pub, (sub,) = pub_and_subs(ctx, order)
    sub.subscribe(b"A")
    sub.subscribe(b"B")
    settle(pub, sub)
    sub.unsubscribe(b"A")
    settle(pub, sub)
    pub.send(b"A after")
    pub.send(b"B after")
    assert drain(sub) == [b"B after"]


def test_a_topic_subscribed_twice_needs_two_unsubscribes(ctx: Context, order: str) -> None:
    pub, (sub,) = pub_and_subs(ctx, order)
    sub.subscribe(b"A")
    sub.subscribe(b"A")
    sub.unsubscribe(b"A")
    settle(pub, sub)
    pub.send(b"A still")
    assert drain(sub) == [b"A still"]
    sub.unsubscribe(b"A")
    pub.send(b"A gone")
    assert drain(sub) == []


def test_empty_subscription_receives_everything(ctx: Context, order: str) -> None:
    pub, (sub,) = pub_and_subs(ctx, order)
    sub.subscribe(b"")
    settle(pub, sub)
    msgs = [b"", b"x", b"\x00", b"\x01y", b"anything" * 20]
    for m in msgs:
        pub.send(m)
    assert drain(sub) == msgs


def test_without_subscriptions_nothing_arrives(ctx: Context) -> None:
    pub, (sub,) = pub_and_subs(ctx, "bind_first")
    settle(pub, sub)
    pub.send(b"x")
    pub.send(b"")
    assert drain(sub) == []


def test_multipart_arrives_whole_and_only_if_its_first_part_matches(
    ctx: Context, order: str
) -> None:
    pub, (sub,) = pub_and_subs(ctx, order)
    sub.subscribe(b"A")
    settle(pub, sub)
    pub.send_multipart([b"A", b"x", b"y"])
    pub.send_multipart([b"B", b"A"])
    pub.send_multipart([b"Az", b""])
    pub.send(b"A-end")
    sub.rcvtimeo = 1000
    assert sub.recv_multipart() == [b"A", b"x", b"y"]
    assert sub.recv_multipart() == [b"Az", b""]
    assert sub.recv_multipart() == [b"A-end"]
    assert nothing_more(sub)


def test_pub_connecting_to_several_bound_subs(ctx: Context) -> None:
    pub = ctx.socket(zmq.PUB)
    subs = [ctx.socket(zmq.SUB) for _ in range(3)]
    for i, s in enumerate(subs):
        s.subscribe(str(i).encode())
        s.bind(f"inproc://sub-bound-{i}")
        pub.connect(f"inproc://sub-bound-{i}")
    settle(pub, *subs)
    for i in range(3):
        pub.send(f"{i} for sub {i}".encode())
    for i, s in enumerate(subs):
        assert drain(s) == [f"{i} for sub {i}".encode()]


def test_poll_readiness_skips_messages_that_do_not_match(ctx: Context) -> None:
    pub, (sub,) = pub_and_subs(ctx, "bind_first")
    sub.subscribe(b"A")
    settle(pub, sub)
    pub.send(b"B")
    assert not sub.getsockopt(zmq.EVENTS) & zmq.POLLIN
    pub.send(b"B again")
    pub.send(b"A")
    assert sub.getsockopt(zmq.EVENTS) & zmq.POLLIN
    assert drain(sub) == [b"A"]


def test_invert_matching_delivers_what_does_not_match(ctx: Context) -> None:
    pub = ctx.socket(zmq.PUB)
    sub = ctx.socket(zmq.SUB)
    pub.setsockopt(zmq.INVERT_MATCHING, 1)
    sub.setsockopt(zmq.INVERT_MATCHING, 1)
    assert sub.getsockopt(zmq.INVERT_MATCHING) == 1
    link(pub, [sub], "bind_first")
    sub.subscribe(b"A")
    sub.subscribe(PROBE)
    # With inverted matching a probe gets through by not matching.
    deadline = time.monotonic() + 10
    while True:
        pub.send(b"x")
        if drain(sub):
            break
        assert time.monotonic() < deadline
        time.sleep(0.001)
    for m in (b"A1", b"B1", b"C1"):
        pub.send(m)
    assert drain(sub) == [b"B1", b"C1"]


# -- high-water marks -----------------------------------------------------------


def test_slow_subscriber_at_hwm_does_not_block_pub(ctx: Context, order: str) -> None:
    pub = ctx.socket(zmq.PUB)
    sub = ctx.socket(zmq.SUB)
    pub.sndhwm = 10
    sub.rcvhwm = 10
    link(pub, [sub], order)
    sub.subscribe(b"")
    settle(pub, sub)
    t0 = time.monotonic()
    for i in range(10_000):
        pub.send(b"%d" % i, zmq.DONTWAIT)  # never Again: a PUB drops instead
    assert time.monotonic() - t0 < 10
    got = [int(m) for m in drain(sub)]
    # The pipe holds the publisher's SNDHWM plus the subscriber's RCVHWM;
    # the rest was dropped, and what arrived is in order.
    assert 0 < len(got) <= 20
    assert got[0] == 0 and got == sorted(set(got))
    # Drained, the subscriber receives again: the publisher kept going.
    deadline = time.monotonic() + 10
    while b"after" not in drain(sub):
        assert time.monotonic() < deadline
        pub.send(b"after")
        time.sleep(0.001)


@pytest.mark.parametrize("kind", [zmq.PUB, zmq.XPUB])
def test_xpub_nodrop_makes_send_raise_again_at_hwm(ctx: Context, kind: int) -> None:
    pub = ctx.socket(kind)
    sub = ctx.socket(zmq.SUB)
    pub.setsockopt(zmq.XPUB_NODROP, 1)
    pub.sndhwm = 5
    sub.rcvhwm = 5
    link(pub, [sub], "bind_first")
    sub.subscribe(b"")
    if kind == zmq.XPUB:
        assert recv_within(pub) == b"\x01"
    settle(pub, sub)
    sent = 0
    with pytest.raises(Again):
        while sent < 1000:
            pub.send(b"m%d" % sent, zmq.DONTWAIT)
            sent += 1
    assert 0 < sent <= 10
    assert drain(sub) == [b"m%d" % i for i in range(sent)]  # nothing was dropped
    # Once the subscriber has read, the publisher can send again.
    deadline = time.monotonic() + 10
    while True:
        try:
            pub.send(b"again", zmq.DONTWAIT)
            break
        except Again:
            assert time.monotonic() < deadline
            time.sleep(0.001)
    assert recv_within(sub) == b"again"


def test_xpub_nodrop_blocks_until_a_slow_subscriber_catches_up(ctx: Context) -> None:
    pub = ctx.socket(zmq.XPUB)
    sub = ctx.socket(zmq.SUB)
    pub.setsockopt(zmq.XPUB_NODROP, 1)
    pub.sndtimeo = 20_000  # a failure raises instead of hanging
    link(pub, [sub], "bind_first")
    sub.subscribe(b"")
    assert recv_within(pub) == b"\x01"
    n = 20_000
    got: list[int] = []

    def reader() -> None:
        sub.rcvtimeo = 20_000
        for _ in range(n):
            got.append(int(sub.recv()))

    t = threading.Thread(target=reader)
    t.start()
    for i in range(n):
        pub.send(b"%d" % i)
    t.join()
    assert got == list(range(n))


# -- XPUB: subscriptions seen by the user -----------------------------------------


def xpub_and_subs(ctx: Context, order: str, n: int) -> tuple[Socket, list[Socket]]:
    xpub = ctx.socket(zmq.XPUB)
    subs = [ctx.socket(zmq.SUB) for _ in range(n)]
    link(xpub, subs, order)
    return xpub, subs


def test_xpub_receives_each_new_topic_once(ctx: Context, order: str) -> None:
    xpub, (s1, s2) = xpub_and_subs(ctx, order, 2)
    s1.subscribe(b"A")
    s2.subscribe(b"A")
    s2.subscribe(b"B")
    got = sorted(recv_within(xpub) for _ in range(2))
    assert got == [b"\x01A", b"\x01B"]
    assert nothing_more(xpub)


def test_xpub_verbose_passes_up_duplicate_subscriptions(ctx: Context, order: str) -> None:
    xpub = ctx.socket(zmq.XPUB)
    xpub.setsockopt(zmq.XPUB_VERBOSE, 1)
    subs = [ctx.socket(zmq.SUB) for _ in range(2)]
    link(xpub, subs, order)
    for s in subs:
        s.subscribe(b"A")
    assert [recv_within(xpub) for _ in range(2)] == [b"\x01A", b"\x01A"]
    assert nothing_more(xpub)


def test_xpub_reports_unsubscription_when_the_last_subscriber_leaves(
    ctx: Context, order: str
) -> None:
    xpub, (s1, s2) = xpub_and_subs(ctx, order, 2)
    s1.subscribe(b"A")
    s2.subscribe(b"A")
    assert recv_within(xpub) == b"\x01A"
    s1.unsubscribe(b"A")
    assert nothing_more(xpub)  # s2 still wants A
    s2.unsubscribe(b"A")
    assert recv_within(xpub) == b"\x00A"


def test_xpub_reports_unsubscription_when_the_last_subscriber_closes(
    ctx: Context, order: str
) -> None:
    xpub, (s1, s2) = xpub_and_subs(ctx, order, 2)
    s1.subscribe(b"A")
    s1.subscribe(b"C")
    s2.subscribe(b"A")
    assert sorted(recv_within(xpub) for _ in range(2)) == [b"\x01A", b"\x01C"]
    s1.close()
    assert recv_within(xpub) == b"\x00C"
    assert nothing_more(xpub)
    s2.close()
    assert recv_within(xpub) == b"\x00A"


def test_xpub_verboser_passes_up_every_unsubscription(ctx: Context) -> None:
    xpub = ctx.socket(zmq.XPUB)
    xpub.setsockopt(zmq.XPUB_VERBOSER, 1)
    s1, s2 = ctx.socket(zmq.SUB), ctx.socket(zmq.SUB)
    link(xpub, [s1, s2], "bind_first")
    s1.subscribe(b"A")
    s2.subscribe(b"A")
    assert [recv_within(xpub) for _ in range(2)] == [b"\x01A", b"\x01A"]
    s1.unsubscribe(b"A")
    assert recv_within(xpub) == b"\x00A"
    s2.close()
    assert recv_within(xpub) == b"\x00A"


def test_xpub_sends_to_matching_subscribers_only(ctx: Context, order: str) -> None:
    xpub, (sa, sb) = xpub_and_subs(ctx, order, 2)
    sa.subscribe(b"A")
    sb.subscribe(b"B")
    assert sorted(recv_within(xpub) for _ in range(2)) == [b"\x01A", b"\x01B"]
    xpub.send_multipart([b"A1", b"tail"])
    xpub.send(b"B1")
    xpub.send(b"C1")
    sa.rcvtimeo = sb.rcvtimeo = 1000
    assert sa.recv_multipart() == [b"A1", b"tail"]
    assert sb.recv_multipart() == [b"B1"]
    assert nothing_more(sa) and nothing_more(sb)


def test_xpub_manual_applies_subscriptions_only_when_the_user_does(ctx: Context) -> None:
    xpub = ctx.socket(zmq.XPUB)
    xpub.setsockopt(zmq.XPUB_MANUAL, 1)
    sub = ctx.socket(zmq.SUB)
    link(xpub, [sub], "bind_first")
    sub.subscribe(b"A")
    assert recv_within(xpub) == b"\x01A"
    xpub.send(b"A before")
    assert nothing_more(sub)  # passed up, not applied
    # The user decides: this subscriber gets everything under "A" and "X".
    xpub.setsockopt(zmq.SUBSCRIBE, b"A")
    xpub.setsockopt(zmq.SUBSCRIBE, b"X")
    sub.subscribe(b"X")
    assert recv_within(xpub) == b"\x01X"
    xpub.send(b"A after")
    xpub.send(b"X after")
    xpub.send(b"Y after")
    assert [recv_within(sub), recv_within(sub)] == [b"A after", b"X after"]
    assert nothing_more(sub)
    # Unsubscriptions are passed up too, and applied by the user.
    sub.unsubscribe(b"A")
    assert recv_within(xpub) == b"\x00A"
    xpub.setsockopt(zmq.UNSUBSCRIBE, b"A")
    xpub.send(b"A last")
    xpub.send(b"X last")
    assert recv_within(sub) == b"X last"
    assert nothing_more(sub)


def test_xpub_manual_reports_a_closed_subscribers_topics(ctx: Context) -> None:
    xpub = ctx.socket(zmq.XPUB)
    xpub.setsockopt(zmq.XPUB_MANUAL, 1)
    sub = ctx.socket(zmq.SUB)
    link(xpub, [sub], "bind_first")
    sub.subscribe(b"T")
    assert recv_within(xpub) == b"\x01T"
    xpub.setsockopt(zmq.SUBSCRIBE, b"T")
    sub.close()
    assert recv_within(xpub) == b"\x00T"
    # The subscriber is gone: applying to "the last pipe" is a no-op.
    xpub.setsockopt(zmq.SUBSCRIBE, b"T")
    xpub.send(b"T nobody")


def test_xpub_manual_last_value_sends_the_next_message_to_the_newcomer_only(
    ctx: Context,
) -> None:
    xpub = ctx.socket(zmq.XPUB)
    xpub.setsockopt(zmq.XPUB_MANUAL_LAST_VALUE, 1)
    s1, s2 = ctx.socket(zmq.SUB), ctx.socket(zmq.SUB)
    link(xpub, [s1, s2], "bind_first")
    s1.subscribe(b"A")
    assert recv_within(xpub) == b"\x01A"
    xpub.setsockopt(zmq.SUBSCRIBE, b"A")
    xpub.send(b"A1")
    s2.subscribe(b"A")
    assert recv_within(xpub) == b"\x01A"
    xpub.setsockopt(zmq.SUBSCRIBE, b"A")
    xpub.send(b"A2")  # the last value, for the one that just subscribed
    xpub.send(b"A3")  # then everyone again
    assert drain(s1) == [b"A1", b"A3"]
    assert drain(s2) == [b"A2", b"A3"]


def test_xpub_welcome_message_greets_each_subscriber(ctx: Context, order: str) -> None:
    xpub = ctx.socket(zmq.XPUB)
    xpub.setsockopt(zmq.XPUB_WELCOME_MSG, b"W-hello")
    subs = [ctx.socket(zmq.SUB) for _ in range(2)]
    for s in subs:
        s.subscribe(b"W")
    link(xpub, subs, order)
    # (the XPUB takes its new peers when it processes commands, here in recv)
    assert recv_within(xpub) == b"\x01W"
    for s in subs:
        assert recv_within(s) == b"W-hello"


def test_xpub_topics_count(ctx: Context) -> None:
    xpub, (s1, s2) = xpub_and_subs(ctx, "bind_first", 2)
    s1.subscribe(b"A")
    s1.subscribe(b"B")
    s2.subscribe(b"A")
    assert sorted(recv_within(xpub) for _ in range(2)) == [b"\x01A", b"\x01B"]
    assert xpub.getsockopt(zmq.TOPICS_COUNT) == 2
    assert s1.getsockopt(zmq.TOPICS_COUNT) == 2


# -- XSUB ----------------------------------------------------------------------


def test_xsub_subscribes_by_sending_raw_subscription_messages(ctx: Context, order: str) -> None:
    pub = ctx.socket(zmq.PUB)
    xsub = ctx.socket(zmq.XSUB)
    link(pub, [xsub], order)
    xsub.send(b"\x01A")
    deadline = time.monotonic() + 10
    while not drain(xsub):
        assert time.monotonic() < deadline
        pub.send(b"A probe")
        time.sleep(0.001)
    pub.send(b"B1")
    pub.send_multipart([b"A1", b"more"])
    xsub.rcvtimeo = 1000
    assert xsub.recv_multipart() == [b"A1", b"more"]
    assert nothing_more(xsub)
    xsub.send(b"\x00A")
    # Once the publisher hears it, A stops too (XSUB does not filter itself).
    deadline = time.monotonic() + 10
    while True:
        drain(xsub)
        pub.send(b"A stop?")
        if not drain(xsub):
            break
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_xsub_sends_its_subscriptions_to_a_publisher_that_arrives_later(ctx: Context) -> None:
    xsub = ctx.socket(zmq.XSUB)
    xsub.send(b"\x01A")
    xsub.send(b"\x01B")
    xsub.send(b"\x00B")
    xpubs = [ctx.socket(zmq.XPUB) for _ in range(2)]
    for i, x in enumerate(xpubs):
        x.bind(f"inproc://late-{i}")
        xsub.connect(f"inproc://late-{i}")
    for x in xpubs:
        assert recv_within(x) == b"\x01A"
        assert nothing_more(x)


def test_xsub_forwards_other_messages_to_xpub_users(ctx: Context) -> None:
    xpub = ctx.socket(zmq.XPUB)
    xsub = ctx.socket(zmq.XSUB)
    link(xpub, [xsub], "bind_first")
    xsub.send(b"hello upstream")
    xsub.send_multipart([b"\x02part", b"two"])
    assert recv_within(xpub) == b"hello upstream"
    assert xpub.recv_multipart() == [b"\x02part", b"two"]


@pytest.mark.parametrize("verbose", [0, 1])
def test_xsub_forwards_an_unsubscription_only_when_the_last_reference_goes(
    ctx: Context, verbose: int
) -> None:
    xpub = ctx.socket(zmq.XPUB)
    xsub = ctx.socket(zmq.XSUB)
    xsub.setsockopt(zmq.XSUB_VERBOSE_UNSUBSCRIBE, verbose)
    link(xpub, [xsub], "bind_first")
    for m in (b"\x01A", b"\x01A", b"\x00A", b"\x00A", b"\x00A"):
        xsub.send(m)
    # XSUB sends each subscribe (a proxy's XPUB_VERBOSE needs them) and an
    # unsubscribe when its count reaches zero; XPUB passes up the first
    # subscribe and any unsubscribe that does not leave subscribers behind.
    expect = [b"\x01A", b"\x00A"] + [b"\x00A"] * (2 * verbose)
    assert [recv_within(xpub) for _ in expect] == expect
    assert nothing_more(xpub)


def test_only_first_subscribe_leaves_later_parts_alone(ctx: Context) -> None:
    xpub = ctx.socket(zmq.XPUB)
    xsub = ctx.socket(zmq.XSUB)
    xpub.setsockopt(zmq.ONLY_FIRST_SUBSCRIBE, 1)
    xsub.setsockopt(zmq.ONLY_FIRST_SUBSCRIBE, 1)
    link(xpub, [xsub], "bind_first")
    xsub.send_multipart([b"data", b"\x01looks like a subscription"])
    xpub.rcvtimeo = 5000
    assert xpub.recv_multipart() == [b"data", b"\x01looks like a subscription"]
    assert xpub.getsockopt(zmq.TOPICS_COUNT) == 0
    assert xsub.getsockopt(zmq.TOPICS_COUNT) == 0


def test_subscriptions_travel_through_an_xsub_xpub_proxy(ctx: Context) -> None:
    pub = ctx.socket(zmq.PUB)
    xsub = ctx.socket(zmq.XSUB)
    xpub = ctx.socket(zmq.XPUB)
    sub = ctx.socket(zmq.SUB)
    pub.bind("inproc://upstream")
    xsub.connect("inproc://upstream")
    xpub.bind("inproc://downstream")
    sub.connect("inproc://downstream")

    def forward_up() -> bytes:
        m = recv_within(xpub)
        xsub.send(m)
        return m

    def forward_down() -> list[bytes]:
        got = drain(xsub)
        for m in got:
            xpub.send(m)
        return got

    sub.subscribe(b"T")
    assert forward_up() == b"\x01T"
    deadline = time.monotonic() + 10
    while not forward_down():  # until the publisher has the subscription
        assert time.monotonic() < deadline
        pub.send(b"T probe")
        time.sleep(0.001)
    drain(sub)
    pub.send(b"U not wanted")
    pub.send(b"T wanted")
    assert forward_down() == [b"T wanted"]  # the publisher filtered
    assert recv_within(sub) == b"T wanted"
    sub.close()
    assert forward_up() == b"\x00T"


# -- volume and size -------------------------------------------------------------


def test_hundred_thousand_messages_none_lost_or_reordered(ctx: Context, order: str) -> None:
    pub = ctx.socket(zmq.PUB)
    sub = ctx.socket(zmq.SUB)
    pub.sndhwm = 0
    sub.rcvhwm = 0
    link(pub, [sub], order)
    sub.subscribe(b"")
    settle(pub, sub)
    n = 100_000
    for i in range(n):
        pub.send(i.to_bytes(4, "little"))
    sub.rcvtimeo = 5000
    for i in range(n):
        assert int.from_bytes(sub.recv(), "little") == i
    assert nothing_more(sub)


def _address(frame: zmq.Frame) -> int:
    return _binding.address(_binding.view(frame.buffer))


@pytest.mark.parametrize("copy", [True, False])
def test_large_messages_reach_three_subscribers(ctx: Context, copy: bool) -> None:
    pub, subs = pub_and_subs(ctx, "bind_first", 3)
    for s in subs:
        s.subscribe(b"L")
    settle(pub, *subs)
    big = [b"L" + bytes([i]) * (1 << 20) for i in range(3)]
    for m in big:
        pub.send(m, copy=copy)
    frames = []
    for s in subs:
        s.rcvtimeo = 5000
        got = [s.recv(copy=False) for _ in big]
        assert [f.bytes for f in got] == big
        frames.append(got)
    # One payload shared by every subscriber, not a copy each.
    for i in range(len(big)):
        assert len({_address(f[i]) for f in frames}) == 1


# -- what each type refuses ---------------------------------------------------------


def test_recv_on_pub_and_send_on_sub_raise_enotsup(ctx: Context) -> None:
    pub = ctx.socket(zmq.PUB)
    sub = ctx.socket(zmq.SUB)
    with pytest.raises(ZMQError) as e:
        pub.recv(zmq.DONTWAIT)
    assert e.value.errno == errno.ENOTSUP
    with pytest.raises(ZMQError) as e:
        sub.send(b"x")
    assert e.value.errno == errno.ENOTSUP
    assert not pub.getsockopt(zmq.EVENTS) & zmq.POLLIN
    assert pub.getsockopt(zmq.EVENTS) & zmq.POLLOUT
    assert not sub.getsockopt(zmq.EVENTS) & zmq.POLLOUT


@pytest.mark.parametrize("kind", [zmq.PUB, zmq.XPUB, zmq.XSUB, zmq.PUSH])
def test_subscribe_is_einval_except_on_sub(ctx: Context, kind: int) -> None:
    s = ctx.socket(kind)
    with pytest.raises(ZMQError) as e:
        s.subscribe(b"A")
    assert e.value.errno == errno.EINVAL


def test_option_values_are_checked(ctx: Context) -> None:
    xpub = ctx.socket(zmq.XPUB)
    with pytest.raises(ZMQError) as e:
        xpub.setsockopt(zmq.XPUB_VERBOSE, -1)
    assert e.value.errno == errno.EINVAL
    with pytest.raises(ZMQError):
        xpub.setsockopt(zmq.CONFLATE, 1)  # only PUB/SUB of this family conflate
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.CONFLATE, 1)
    with pytest.raises(ZMQError) as e:
        sub.setsockopt(zmq.XPUB_VERBOSE, 1)
    assert e.value.errno == errno.EINVAL
    assert ctx.socket(zmq.XSUB).getsockopt(zmq.LINGER) == 0  # as libzmq


def test_conflating_sub_keeps_only_the_newest(ctx: Context) -> None:
    pub = ctx.socket(zmq.PUB)
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.CONFLATE, 1)
    link(pub, [sub], "bind_first")
    # One subscription only: with CONFLATE (as in libzmq) the pipe towards
    # the publisher keeps just the newest message too.
    sub.subscribe(b"")
    deadline = time.monotonic() + 10
    while not drain(sub):
        assert time.monotonic() < deadline
        pub.send(b"probe")
        time.sleep(0.001)
    for i in range(10):
        pub.send(b"%d" % i)
    assert drain(sub) == [b"9"]
