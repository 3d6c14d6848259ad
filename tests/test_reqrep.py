"""REQ and REP over inproc: strict alternation, envelopes, relaxed and correlated requests."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable

import pytest

import serverlink as zmq
from serverlink import Again, Context, Socket, ZMQError

pytestmark = pytest.mark.timeout(60)

_names = itertools.count()

#: Long enough for any correct exchange, short enough that a bug fails fast.
TIMEOUT_MS = 5000


def new_socket(ctx: Context, kind: int) -> Socket:
    s = ctx.socket(kind)
    s.rcvtimeo = TIMEOUT_MS
    s.sndtimeo = TIMEOUT_MS
    s.linger = 0
    return s


def endpoint() -> str:
    return f"inproc://reqrep-{next(_names)}"


@pytest.fixture(params=["bind_first", "connect_first"])
def order(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def link(binder: Socket, connecter: Socket, order: str) -> None:
    """Connect two sockets over a fresh inproc endpoint, in the given order."""
    addr = endpoint()
    if order == "bind_first":
        binder.bind(addr)
        connecter.connect(addr)
    else:
        connecter.connect(addr)
        binder.bind(addr)


def recv_any(sockets: list[Socket], timeout: float = 5.0) -> tuple[Socket, list[bytes]]:
    """The first message any of the sockets has, without blocking on one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for s in sockets:
            try:
                return s, s.recv_multipart(zmq.DONTWAIT)
            except Again:
                pass
        time.sleep(0.001)
    raise AssertionError("no message arrived")


def expect_errno(errno: int, fn: Callable[[], object]) -> None:
    with pytest.raises(ZMQError) as info:
        fn()
    assert info.value.errno == errno


# -- strict alternation -------------------------------------------------------


def test_req_rep_strict_alternation(ctx: Context, order: str) -> None:
    rep, req = new_socket(ctx, zmq.REP), new_socket(ctx, zmq.REQ)
    link(rep, req, order)
    for i in range(5):
        req.send(b"request %d" % i)
        assert rep.recv() == b"request %d" % i
        rep.send(b"reply %d" % i)
        assert req.recv() == b"reply %d" % i


def test_req_rep_when_rep_connects(ctx: Context, order: str) -> None:
    req, rep = new_socket(ctx, zmq.REQ), new_socket(ctx, zmq.REP)
    link(req, rep, order)
    req.send(b"ping")
    assert rep.recv() == b"ping"
    rep.send(b"pong")
    assert req.recv() == b"pong"


def test_req_send_twice_is_efsm(ctx: Context) -> None:
    rep, req = new_socket(ctx, zmq.REP), new_socket(ctx, zmq.REQ)
    link(rep, req, "bind_first")
    req.send(b"first")
    expect_errno(zmq.EFSM, lambda: req.send(b"second"))
    # the first request is unharmed and the cycle goes on
    assert rep.recv() == b"first"
    rep.send(b"answer")
    assert req.recv() == b"answer"


def test_req_recv_before_send_is_efsm(ctx: Context) -> None:
    req = new_socket(ctx, zmq.REQ)
    expect_errno(zmq.EFSM, req.recv)
    expect_errno(zmq.EFSM, lambda: req.recv(zmq.DONTWAIT))


def test_rep_send_before_recv_is_efsm(ctx: Context) -> None:
    rep = new_socket(ctx, zmq.REP)
    expect_errno(zmq.EFSM, lambda: rep.send(b"unasked"))


def test_rep_recv_twice_is_efsm(ctx: Context) -> None:
    rep, req = new_socket(ctx, zmq.REP), new_socket(ctx, zmq.REQ)
    link(rep, req, "bind_first")
    req.send(b"q")
    assert rep.recv() == b"q"
    expect_errno(zmq.EFSM, rep.recv)
    rep.send(b"a")
    assert req.recv() == b"a"


def test_efsm_is_the_libzmq_value() -> None:
    assert zmq.EFSM == 156384712 + 51


def test_events_follow_the_state_machine(ctx: Context) -> None:
    rep, req = new_socket(ctx, zmq.REP), new_socket(ctx, zmq.REQ)
    link(rep, req, "bind_first")
    assert req.events == zmq.POLLOUT
    assert rep.events == 0
    req.send(b"q")
    assert req.events == 0
    assert rep.recv() == b"q"
    assert rep.events == zmq.POLLOUT
    rep.send(b"a")
    assert rep.events == 0
    deadline = time.monotonic() + 5
    while not req.events & zmq.POLLIN and time.monotonic() < deadline:
        time.sleep(0.001)
    assert req.events == zmq.POLLIN
    assert req.recv() == b"a"
    assert req.events == zmq.POLLOUT


def test_multipart_request_and_reply(ctx: Context, order: str) -> None:
    rep, req = new_socket(ctx, zmq.REP), new_socket(ctx, zmq.REQ)
    link(rep, req, order)
    req.send_multipart([b"a", b"", b"c" * 1000])
    assert rep.recv_multipart() == [b"a", b"", b"c" * 1000]
    rep.send_multipart([b"x", b"y" * 100_000])
    assert req.recv_multipart() == [b"x", b"y" * 100_000]


# -- several peers ------------------------------------------------------------


def test_req_load_balances_over_reps(ctx: Context) -> None:
    req = new_socket(ctx, zmq.REQ)
    reps = [new_socket(ctx, zmq.REP) for _ in range(3)]
    for rep in reps:
        link(rep, req, "bind_first")
    served: list[int] = []
    for i in range(9):
        req.send(b"%d" % i)
        rep, msg = recv_any(reps)
        assert msg == [b"%d" % i]
        served.append(reps.index(rep))
        rep.send(b"done %d" % i)
        assert req.recv() == b"done %d" % i
    # round-robin: every REP takes every third request
    assert sorted(served[:3]) == [0, 1, 2]
    assert served[3:6] == served[:3]
    assert served[6:9] == served[:3]


def test_rep_fair_queues_and_replies_reach_each_requester(ctx: Context, order: str) -> None:
    rep = new_socket(ctx, zmq.REP)
    reqs = [new_socket(ctx, zmq.REQ) for _ in range(4)]
    addr = endpoint()
    if order == "bind_first":
        rep.bind(addr)
    for r in reqs:
        r.connect(addr)
    if order == "connect_first":
        rep.bind(addr)
    for i, r in enumerate(reqs):
        r.send(b"from %d" % i)
    seen = []
    for _ in reqs:
        msg = rep.recv()
        seen.append(msg)
        rep.send(msg.replace(b"from", b"to"))
    assert sorted(seen) == [b"from %d" % i for i in range(4)]
    for i, r in enumerate(reqs):
        assert r.recv() == b"to %d" % i


def test_rep_connected_to_several_reqs_by_connecting(ctx: Context) -> None:
    reqs = [new_socket(ctx, zmq.REQ) for _ in range(3)]
    rep = new_socket(ctx, zmq.REP)
    for r in reqs:
        link(r, rep, "bind_first")
    for _round in range(3):
        for i, r in enumerate(reqs):
            r.send(b"%d" % i)
        for _ in reqs:
            rep.send(b"re:" + rep.recv())
        for i, r in enumerate(reqs):
            assert r.recv() == b"re:%d" % i


# -- envelopes ----------------------------------------------------------------


def test_req_sends_an_empty_delimiter(ctx: Context) -> None:
    router, req = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.REQ)
    req.routing_id = b"client"
    link(router, req, "bind_first")
    req.send_multipart([b"a", b"b"])
    assert router.recv_multipart() == [b"client", b"", b"a", b"b"]
    router.send_multipart([b"client", b"", b"reply"])
    assert req.recv() == b"reply"


def test_req_drops_replies_without_the_delimiter(ctx: Context) -> None:
    router, req = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.REQ)
    req.routing_id = b"client"
    link(router, req, "bind_first")
    req.send(b"q")
    assert router.recv_multipart() == [b"client", b"", b"q"]
    router.send_multipart([b"client", b"no delimiter"])
    router.send_multipart([b"client", b"not empty", b"x"])
    router.send_multipart([b"client", b""])  # delimiter with no body
    router.send_multipart([b"client", b"", b"good"])
    assert req.recv_multipart() == [b"good"]


def test_rep_keeps_the_whole_envelope(ctx: Context) -> None:
    rep, dealer = new_socket(ctx, zmq.REP), new_socket(ctx, zmq.DEALER)
    link(rep, dealer, "bind_first")
    dealer.send_multipart([b"hop1", b"hop2", b"", b"body1", b"body2"])
    assert rep.recv_multipart() == [b"body1", b"body2"]
    rep.send_multipart([b"r1", b"r2"])
    assert dealer.recv_multipart() == [b"hop1", b"hop2", b"", b"r1", b"r2"]


def test_rep_drops_requests_without_a_delimiter(ctx: Context) -> None:
    rep, dealer = new_socket(ctx, zmq.REP), new_socket(ctx, zmq.DEALER)
    link(rep, dealer, "bind_first")
    dealer.send_multipart([b"no", b"delimiter"])
    dealer.send(b"single")
    dealer.send_multipart([b"", b"good"])
    assert rep.recv_multipart() == [b"good"]
    rep.send(b"ok")
    assert dealer.recv_multipart() == [b"", b"ok"]


def test_rep_reply_to_a_vanished_requester_is_dropped(ctx: Context) -> None:
    rep = new_socket(ctx, zmq.REP)
    rep.router_mandatory = 1  # even so: nobody could ever receive it
    gone, stays = new_socket(ctx, zmq.REQ), new_socket(ctx, zmq.REQ)
    addr = endpoint()
    rep.bind(addr)
    gone.connect(addr)
    gone.send(b"from gone")
    assert rep.recv() == b"from gone"
    gone.close()
    stays.connect(addr)
    stays.send(b"from stays")
    time.sleep(0.05)  # let the close reach the REP
    rep.send(b"to nobody")
    assert rep.recv() == b"from stays"
    rep.send(b"to stays")
    assert stays.recv() == b"to stays"


def test_req_takes_no_reply_from_another_peer_once_its_peer_is_gone(ctx: Context) -> None:
    # libzmq would accept this stray reply; it answers no request of ours.
    req = new_socket(ctx, zmq.REQ)
    req.routing_id = b"c"
    routers = [new_socket(ctx, zmq.ROUTER) for _ in range(2)]
    for r in routers:
        link(r, req, "bind_first")
    req.send(b"q")
    asked, msg = recv_any(routers)
    assert msg == [b"c", b"", b"q"]
    other = routers[1 - routers.index(asked)]
    asked.close()
    req.rcvtimeo = 200
    with pytest.raises(Again):
        req.recv()  # meanwhile the REQ sees its peer go
    other.router_mandatory = 1
    deadline = time.monotonic() + 5
    while True:
        try:
            other.send_multipart([b"c", b"", b"stray"])
            break
        except ZMQError as e:
            assert e.errno == zmq.EHOSTUNREACH and time.monotonic() < deadline
            time.sleep(0.001)
    with pytest.raises(Again):
        req.recv()


# -- REQ_RELAXED and REQ_CORRELATE ---------------------------------------------


def test_req_relaxed_allows_resend_and_drops_the_stale_reply(ctx: Context) -> None:
    req = new_socket(ctx, zmq.REQ)
    req.req_relaxed = 1
    reps = [new_socket(ctx, zmq.REP) for _ in range(2)]
    for rep in reps:
        link(rep, req, "bind_first")
    req.send(b"first")
    slow, msg = recv_any(reps)
    assert msg == [b"first"]
    req.send(b"second")  # no EFSM: the first request is abandoned
    fast = reps[1 - reps.index(slow)]  # round-robin: the other REP
    assert fast.recv() == b"second"
    slow.send(b"late reply to first")
    time.sleep(0.05)
    fast.send(b"reply to second")
    assert req.recv() == b"reply to second"
    req.rcvtimeo = 100
    req.send(b"third")  # and nothing of the stale reply is left over
    rep, msg = recv_any(reps)
    assert msg == [b"third"]
    rep.send(b"reply to third")
    assert req.recv() == b"reply to third"


def test_req_relaxed_with_correlate_drops_the_stale_reply_of_the_same_peer(
    ctx: Context,
) -> None:
    rep, req = new_socket(ctx, zmq.REP), new_socket(ctx, zmq.REQ)
    req.req_relaxed = 1
    req.req_correlate = 1
    link(rep, req, "bind_first")
    req.send(b"first")
    assert rep.recv() == b"first"
    req.send(b"second")
    rep.send(b"late reply to first")
    assert rep.recv() == b"second"
    rep.send(b"reply to second")
    assert req.recv() == b"reply to second"


def test_req_correlate_prefixes_a_request_id_and_matches_it(ctx: Context) -> None:
    router, req = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.REQ)
    req.routing_id = b"c"
    req.req_correlate = 1
    link(router, req, "bind_first")
    req.send(b"one")
    rid, reqid, delim, body = router.recv_multipart()
    assert (rid, delim, body) == (b"c", b"", b"one")
    assert len(reqid) == 4
    wrong = bytes(b ^ 0xFF for b in reqid)
    router.send_multipart([b"c", wrong, b"", b"wrong id"])
    router.send_multipart([b"c", b"", b"no id"])
    router.send_multipart([b"c", reqid, b"", b"right id"])
    assert req.recv() == b"right id"
    req.send(b"two")
    _, reqid2, _, _ = router.recv_multipart()
    assert reqid2 != reqid  # each request has its own id
    router.send_multipart([b"c", reqid, b"", b"stale"])
    router.send_multipart([b"c", reqid2, b"", b"fresh"])
    assert req.recv() == b"fresh"


def test_strict_req_still_refuses_a_second_send_with_correlate(ctx: Context) -> None:
    req = new_socket(ctx, zmq.REQ)
    req.req_correlate = 1
    rep = new_socket(ctx, zmq.REP)
    link(rep, req, "bind_first")
    req.send(b"q")
    expect_errno(zmq.EFSM, lambda: req.send(b"again"))


def test_req_and_rep_options(ctx: Context) -> None:
    req = new_socket(ctx, zmq.REQ)
    assert req.req_relaxed == 0
    assert req.req_correlate == 0
    req.req_relaxed = 1
    req.req_correlate = 1
    assert req.req_relaxed == 1
    assert req.req_correlate == 1
    expect_errno(zmq.EINVAL, lambda: req.setsockopt(zmq.REQ_RELAXED, -1))
    expect_errno(zmq.EINVAL, lambda: req.setsockopt(zmq.ROUTER_MANDATORY, 1))
    rep = new_socket(ctx, zmq.REP)
    expect_errno(zmq.EINVAL, lambda: rep.setsockopt(zmq.REQ_RELAXED, 1))
    assert req.type == zmq.REQ
    assert rep.type == zmq.REP


# -- volume -------------------------------------------------------------------


def test_ten_thousand_round_trips_between_threads(ctx: Context) -> None:
    rep, req = new_socket(ctx, zmq.REP), new_socket(ctx, zmq.REQ)
    rep.rcvtimeo = req.rcvtimeo = 20_000
    link(rep, req, "bind_first")
    n = 10_000
    errors: list[BaseException] = []

    def server() -> None:
        try:
            for _ in range(n):
                msg = rep.recv()
                rep.send(msg[::-1])
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    t = threading.Thread(target=server)
    t.start()
    try:
        for i in range(n):
            payload = b"%08d" % i
            req.send(payload)
            assert req.recv() == payload[::-1]
    finally:
        t.join(30)
    assert not t.is_alive()
    assert not errors
