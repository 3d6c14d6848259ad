"""DEALER and ROUTER over inproc: envelopes, routing ids, the ROUTER options, volume."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

import serverlink as zmq
from serverlink import Again, Context, Socket, ZMQError

pytestmark = pytest.mark.timeout(60)

_names = itertools.count()
TIMEOUT_MS = 5000


def new_socket(ctx: Context, kind: int, routing_id: bytes | None = None) -> Socket:
    s = ctx.socket(kind)
    s.rcvtimeo = TIMEOUT_MS
    s.sndtimeo = TIMEOUT_MS
    s.linger = 0
    if routing_id is not None:
        s.routing_id = routing_id
    return s


def endpoint() -> str:
    return f"inproc://routerdealer-{next(_names)}"


@pytest.fixture(params=["bind_first", "connect_first"])
def order(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def link(binder: Socket, connecter: Socket, order: str = "bind_first") -> str:
    addr = endpoint()
    if order == "bind_first":
        binder.bind(addr)
        connecter.connect(addr)
    else:
        connecter.connect(addr)
        binder.bind(addr)
    return addr


def assert_nothing(s: Socket, wait_ms: int = 100) -> None:
    s.rcvtimeo = wait_ms
    with pytest.raises(Again):
        s.recv_multipart()
    s.rcvtimeo = TIMEOUT_MS


def wait_attached(router: Socket, peer_id: bytes) -> None:
    """Until the router routes to peer_id (its pipe attaches when the router
    next processes commands, which a blocking recv does)."""
    router.router_mandatory = 1
    deadline = time.monotonic() + 5
    while True:
        try:
            router.send_multipart([peer_id, b"__probe__"], zmq.DONTWAIT)
            break
        except ZMQError as e:
            if e.errno != zmq.EHOSTUNREACH or time.monotonic() > deadline:
                raise
            try:
                router.recv_multipart(zmq.DONTWAIT)
                raise AssertionError("unexpected message while waiting")
            except Again:
                time.sleep(0.001)
    router.router_mandatory = 0


# -- envelopes and ids --------------------------------------------------------


def test_router_prefixes_the_sender_id_and_routes_replies(ctx: Context, order: str) -> None:
    router, dealer = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.DEALER, b"dealer-1")
    link(router, dealer, order)
    dealer.send_multipart([b"a", b"b", b"c"])
    assert router.recv_multipart() == [b"dealer-1", b"a", b"b", b"c"]
    router.send_multipart([b"dealer-1", b"x", b"y"])
    assert dealer.recv_multipart() == [b"x", b"y"]


def test_router_hands_out_the_id_part_by_part(ctx: Context) -> None:
    router, dealer = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.DEALER, b"D")
    link(router, dealer)
    dealer.send_multipart([b"1", b"2"])
    assert router.recv() == b"D"
    assert router.rcvmore
    assert router.recv() == b"1"
    assert router.rcvmore
    assert router.recv() == b"2"
    assert not router.rcvmore


def test_router_connecting_to_a_dealer(ctx: Context, order: str) -> None:
    dealer, router = new_socket(ctx, zmq.DEALER, b"server"), new_socket(ctx, zmq.ROUTER)
    link(dealer, router, order)
    dealer.send(b"hello")
    assert router.recv_multipart() == [b"server", b"hello"]
    router.send_multipart([b"server", b"back"])
    assert dealer.recv() == b"back"


def test_generated_ids_are_five_bytes_starting_with_zero(ctx: Context) -> None:
    router = new_socket(ctx, zmq.ROUTER)
    addr = endpoint()
    router.bind(addr)
    dealers = [new_socket(ctx, zmq.DEALER) for _ in range(5)]
    for d in dealers:
        d.connect(addr)
        d.send(b"hi")
    ids = set()
    for _ in dealers:
        rid, body = router.recv_multipart()
        assert body == b"hi"
        assert len(rid) == 5
        assert rid[0] == 0
        ids.add(rid)
    assert len(ids) == 5
    for rid in ids:
        router.send_multipart([rid, rid])
    for d in dealers:
        assert d.recv() in ids


def test_explicit_ids_must_not_start_with_zero(ctx: Context) -> None:
    d = new_socket(ctx, zmq.DEALER)
    with pytest.raises(ZMQError) as info:
        d.routing_id = b"\x00reserved"
    assert info.value.errno == zmq.EINVAL


def test_connect_routing_id_names_the_next_connects_peer(ctx: Context, order: str) -> None:
    server = new_socket(ctx, zmq.ROUTER, b"server-own-id")
    client = new_socket(ctx, zmq.ROUTER, b"client")
    client.setsockopt(zmq.CONNECT_ROUTING_ID, b"my-name-for-server")
    link(server, client, order)
    # the client routes by the name it chose; the server's own id is skipped
    wait_attached(client, b"my-name-for-server")
    assert server.recv_multipart() == [b"client", b"__probe__"]
    client.send_multipart([b"my-name-for-server", b"hello"])
    assert server.recv_multipart() == [b"client", b"hello"]
    server.send_multipart([b"client", b"hi back"])
    assert client.recv_multipart() == [b"my-name-for-server", b"hi back"]
    # it applied to one connect: the next peer gets its own id
    other = new_socket(ctx, zmq.DEALER, b"other")
    link(other, client, "bind_first")
    other.send(b"from other")
    assert client.recv_multipart() == [b"other", b"from other"]


def test_router_to_router_with_explicit_ids(ctx: Context, order: str) -> None:
    a, b = new_socket(ctx, zmq.ROUTER, b"A"), new_socket(ctx, zmq.ROUTER, b"B")
    link(a, b, order)
    # b connected, so b can address a once the pipe is up
    wait_attached(b, b"A")
    assert a.recv_multipart() == [b"B", b"__probe__"]
    b.send_multipart([b"A", b"to a"])
    assert a.recv_multipart() == [b"B", b"to a"]
    a.send_multipart([b"B", b"to b"])
    assert b.recv_multipart() == [b"A", b"to b"]


# -- unroutable messages -------------------------------------------------------


def test_unroutable_messages_are_dropped_silently(ctx: Context) -> None:
    router, dealer = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.DEALER, b"known")
    link(router, dealer)
    dealer.send(b"hi")
    assert router.recv_multipart() == [b"known", b"hi"]
    router.send_multipart([b"unknown", b"lost", b"parts"])
    router.send(b"lone id part is dropped too")
    router.send_multipart([b"known", b"delivered"])
    assert dealer.recv_multipart() == [b"delivered"]
    assert_nothing(dealer)


def test_router_mandatory_raises_ehostunreach_for_an_unknown_peer(ctx: Context) -> None:
    router = new_socket(ctx, zmq.ROUTER)
    router.router_mandatory = 1
    assert router.router_mandatory == 1
    with pytest.raises(ZMQError) as info:
        router.send_multipart([b"nobody", b"x"])
    assert info.value.errno == zmq.EHOSTUNREACH
    # the failed message left nothing half-sent: a known peer still works
    dealer = new_socket(ctx, zmq.DEALER, b"somebody")
    link(router, dealer)
    dealer.send(b"hi")
    assert router.recv_multipart() == [b"somebody", b"hi"]
    router.send_multipart([b"somebody", b"ok"])
    assert dealer.recv() == b"ok"


def test_router_mandatory_raises_again_at_the_peers_hwm(ctx: Context) -> None:
    router, dealer = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.DEALER, b"slow")
    router.router_mandatory = 1
    router.sndhwm = 1
    dealer.rcvhwm = 1
    link(router, dealer)
    dealer.send(b"hi")
    assert router.recv_multipart() == [b"slow", b"hi"]
    sent = 0
    with pytest.raises(Again):
        while sent < 100:
            router.send_multipart([b"slow", b"%d" % sent], zmq.DONTWAIT)
            sent += 1
    assert 1 <= sent <= 2  # the two HWMs add up on inproc
    assert router.events & zmq.POLLOUT == 0
    # a blocking send with a timeout waits, then gives up with Again
    router.sndtimeo = 50
    with pytest.raises(Again):
        router.send_multipart([b"slow", b"more"])
    # once the peer reads, the same message goes through
    for i in range(sent):
        assert dealer.recv() == b"%d" % i
    router.sndtimeo = TIMEOUT_MS
    router.send_multipart([b"slow", b"after"])
    assert dealer.recv() == b"after"


def test_without_mandatory_a_full_peer_loses_messages_silently(ctx: Context) -> None:
    router, dealer = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.DEALER, b"slow")
    router.sndhwm = 1
    dealer.rcvhwm = 1
    link(router, dealer)
    dealer.send(b"hi")
    router.recv_multipart()
    for i in range(10):
        router.send_multipart([b"slow", b"%d" % i], zmq.DONTWAIT)
    got = []
    dealer.rcvtimeo = 100
    while True:
        try:
            got.append(dealer.recv())
        except Again:
            break
    assert got == [b"0", b"1"]


def test_messages_to_a_vanished_peer_are_dropped_whole(ctx: Context) -> None:
    router = new_socket(ctx, zmq.ROUTER)
    addr = endpoint()
    router.bind(addr)
    first = new_socket(ctx, zmq.DEALER, b"peer")
    first.connect(addr)
    first.send(b"hi")
    assert router.recv_multipart() == [b"peer", b"hi"]
    router.send(b"peer", zmq.SNDMORE)
    router.send(b"part 1", zmq.SNDMORE)
    first.close()
    assert_nothing(router)  # meanwhile the router sees its peer go
    router.send(b"part 2", zmq.SNDMORE)
    router.send(b"part 3")
    # a new peer under the same id sees none of it
    second = new_socket(ctx, zmq.DEALER, b"peer")
    second.connect(addr)
    second.send(b"again")
    assert router.recv_multipart() == [b"peer", b"again"]
    router.send_multipart([b"peer", b"fresh"])
    assert second.recv_multipart() == [b"fresh"]
    assert_nothing(second)


# -- handover -----------------------------------------------------------------


def test_router_handover_gives_the_id_to_the_newcomer(ctx: Context) -> None:
    router = new_socket(ctx, zmq.ROUTER)
    router.router_handover = 1
    addr = endpoint()
    router.bind(addr)
    old = new_socket(ctx, zmq.DEALER, b"X")
    old.connect(addr)
    old.send(b"from old")
    assert router.recv_multipart() == [b"X", b"from old"]
    new = new_socket(ctx, zmq.DEALER, b"X")
    new.connect(addr)
    new.send(b"from new")
    assert router.recv_multipart() == [b"X", b"from new"]
    router.send_multipart([b"X", b"to X"])
    assert new.recv() == b"to X"
    assert_nothing(old)


def test_handover_waits_for_the_message_being_read(ctx: Context) -> None:
    router = new_socket(ctx, zmq.ROUTER)
    router.router_handover = 1
    addr = endpoint()
    router.bind(addr)
    old = new_socket(ctx, zmq.DEALER, b"X")
    old.connect(addr)
    old.send_multipart([b"1", b"2", b"3"])
    assert router.recv() == b"X"
    assert router.recv() == b"1"
    new = new_socket(ctx, zmq.DEALER, b"X")
    new.connect(addr)
    new.send(b"from new")
    time.sleep(0.05)
    assert router.recv() == b"2"  # the old peer's message is finished first
    assert router.recv() == b"3"
    assert router.recv_multipart() == [b"X", b"from new"]
    router.send_multipart([b"X", b"to X"])
    assert new.recv() == b"to X"


def test_without_handover_a_duplicate_id_is_ignored(ctx: Context) -> None:
    router = new_socket(ctx, zmq.ROUTER)
    assert router.router_handover == 0
    addr = endpoint()
    router.bind(addr)
    first = new_socket(ctx, zmq.DEALER, b"X")
    first.connect(addr)
    first.send(b"from first")
    assert router.recv_multipart() == [b"X", b"from first"]
    second = new_socket(ctx, zmq.DEALER, b"X")
    second.connect(addr)
    second.send(b"from second")
    assert_nothing(router)
    router.send_multipart([b"X", b"to X"])
    assert first.recv() == b"to X"
    assert_nothing(second)
    # once the holder of the id is gone, the refused peer takes it over,
    # with what it sent meanwhile (a peer reconnecting under a fixed id
    # before the router has finished with its old pipe is not lost)
    first.close()
    assert router.recv_multipart() == [b"X", b"from second"]
    router.send_multipart([b"X", b"to second"])
    assert second.recv() == b"to second"


# -- PROBE_ROUTER -------------------------------------------------------------


def test_probe_router_announces_a_connecting_dealer(ctx: Context, order: str) -> None:
    router, dealer = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.DEALER, b"prober")
    dealer.probe_router = 1
    link(router, dealer, order)
    assert router.recv_multipart() == [b"prober", b""]
    router.send_multipart([b"prober", b"welcome"])
    assert dealer.recv() == b"welcome"


def test_probe_router_from_a_binding_dealer(ctx: Context, order: str) -> None:
    # The ROUTER connects; the dealer's id must still arrive before its probe.
    dealer, router = new_socket(ctx, zmq.DEALER, b"prober"), new_socket(ctx, zmq.ROUTER)
    dealer.probe_router = 1
    link(dealer, router, order)
    # A bound socket attaches a connecting peer's pipe (and so writes the
    # probe) when its own thread next processes commands, as in libzmq.
    assert dealer.events == zmq.POLLOUT
    assert router.recv_multipart() == [b"prober", b""]


def test_probe_router_from_a_router(ctx: Context) -> None:
    server, client = new_socket(ctx, zmq.ROUTER, b"S"), new_socket(ctx, zmq.ROUTER, b"C")
    client.probe_router = 1
    link(server, client)
    assert server.recv_multipart() == [b"C", b""]
    server.send_multipart([b"C", b"hello"])
    assert client.recv_multipart() == [b"S", b"hello"]


# -- options ------------------------------------------------------------------


def test_router_and_dealer_options(ctx: Context) -> None:
    router, dealer = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.DEALER)
    for opt in (zmq.ROUTER_MANDATORY, zmq.ROUTER_HANDOVER, zmq.PROBE_ROUTER):
        assert router.getsockopt(opt) == 0
        router.setsockopt(opt, 1)
        assert router.getsockopt(opt) == 1
        with pytest.raises(ZMQError) as info:
            router.setsockopt(opt, -1)
        assert info.value.errno == zmq.EINVAL
    dealer.probe_router = 1
    assert dealer.probe_router == 1
    dealer.conflate = 1  # DEALER may conflate, ROUTER may not
    with pytest.raises(ZMQError):
        router.conflate = 1
    for opt in (zmq.ROUTER_MANDATORY, zmq.REQ_RELAXED):
        with pytest.raises(ZMQError) as info:
            dealer.setsockopt(opt, 1)
        assert info.value.errno == zmq.EINVAL


def test_router_events(ctx: Context) -> None:
    router, dealer = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.DEALER, b"D")
    link(router, dealer)
    assert router.events == zmq.POLLOUT  # always, without MANDATORY
    dealer.send_multipart([b"a", b"b"])
    deadline = time.monotonic() + 5
    while not router.events & zmq.POLLIN and time.monotonic() < deadline:
        time.sleep(0.001)
    assert router.events & zmq.POLLIN  # read ahead: still whole afterwards
    assert router.recv_multipart() == [b"D", b"a", b"b"]
    assert not router.events & zmq.POLLIN
    router.router_mandatory = 1
    assert router.events & zmq.POLLOUT


# -- patterns and volume -------------------------------------------------------


def test_dealer_load_balances_and_fair_queues(ctx: Context) -> None:
    dealer = new_socket(ctx, zmq.DEALER)
    routers = [new_socket(ctx, zmq.ROUTER) for _ in range(3)]
    for r in routers:
        link(r, dealer)
    for i in range(9):
        dealer.send(b"%d" % i)
    ids = []
    for r in routers:
        got = []
        for _ in range(3):
            rid, body = r.recv_multipart()
            got.append(int(body))
        ids.append(rid)
        assert len({g % 3 for g in got}) == 1  # round-robin: every third
    # replies are fair-queued: one from each router before any second one
    for k, (r, rid) in enumerate(zip(routers, ids)):
        for j in range(2):
            r.send_multipart([rid, b"%d-%d" % (k, j)])
    got = [dealer.recv().split(b"-") for _ in range(6)]
    assert sorted(k for k, _ in got[:3]) == [b"0", b"1", b"2"]
    assert all(j == b"0" for _, j in got[:3])
    assert all(j == b"1" for _, j in got[3:])


def test_multipart_messages_stay_whole_between_several_senders(ctx: Context) -> None:
    router = new_socket(ctx, zmq.ROUTER)
    addr = endpoint()
    router.bind(addr)
    dealers = [new_socket(ctx, zmq.DEALER, b"d%d" % i) for i in range(4)]
    for d in dealers:
        d.connect(addr)

    def send(d: Socket, i: int) -> None:
        for j in range(200):
            d.send_multipart([b"d%d" % i, b"%d" % j, b"x" * (j % 50)])

    threads = [threading.Thread(target=send, args=(d, i)) for i, d in enumerate(dealers)]
    for t in threads:
        t.start()
    next_j = {b"d%d" % i: 0 for i in range(4)}
    for _ in range(800):
        rid, inner, j, pad = router.recv_multipart()
        assert rid == inner
        assert int(j) == next_j[rid]
        assert pad == b"x" * (int(j) % 50)
        next_j[rid] += 1
    for t in threads:
        t.join(10)


def test_broker_round_trip_with_several_workers(ctx: Context) -> None:
    """Clients (DEALER) -> ROUTER frontend | DEALER backend -> workers (DEALER)."""
    frontend, backend = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.DEALER)
    front, back = endpoint(), endpoint()
    frontend.bind(front)
    backend.bind(back)
    stop = threading.Event()

    def broker() -> None:
        while not stop.is_set():
            idle = True
            for src, dst in ((frontend, backend), (backend, frontend)):
                try:
                    msg = src.recv_multipart(zmq.DONTWAIT)
                except Again:
                    continue
                dst.send_multipart(msg)
                idle = False
            if idle:
                time.sleep(0.0005)

    def worker(name: bytes) -> None:
        w = new_socket(ctx, zmq.DEALER)
        w.rcvtimeo = 100
        w.connect(back)
        while not stop.is_set():
            try:
                *envelope, body = w.recv_multipart()
            except Again:
                continue
            w.send_multipart([*envelope, name + b":" + body])
        w.close()

    threads = [threading.Thread(target=broker)]
    threads += [threading.Thread(target=worker, args=(b"w%d" % i,)) for i in range(3)]
    for t in threads:
        t.start()
    try:
        clients = [new_socket(ctx, zmq.DEALER, b"c%d" % i) for i in range(4)]
        for c in clients:
            c.connect(front)
        workers_seen = set()
        for round_ in range(30):
            for i, c in enumerate(clients):
                c.send_multipart([b"", b"c%d-%d" % (i, round_)])
            for i, c in enumerate(clients):
                delim, reply = c.recv_multipart()
                assert delim == b""
                worker_name, body = reply.split(b":")
                assert body == b"c%d-%d" % (i, round_)
                workers_seen.add(worker_name)
        assert workers_seen == {b"w0", b"w1", b"w2"}
    finally:
        stop.set()
        for t in threads:
            t.join(10)


def test_req_rep_through_a_router_dealer_broker(ctx: Context) -> None:
    frontend, backend = new_socket(ctx, zmq.ROUTER), new_socket(ctx, zmq.DEALER)
    front, back = endpoint(), endpoint()
    frontend.bind(front)
    backend.bind(back)
    stop = threading.Event()

    def broker() -> None:
        while not stop.is_set():
            moved = False
            for src, dst in ((frontend, backend), (backend, frontend)):
                try:
                    dst.send_multipart(src.recv_multipart(zmq.DONTWAIT))
                    moved = True
                except Again:
                    pass
            if not moved:
                time.sleep(0.0005)

    t = threading.Thread(target=broker)
    t.start()
    try:
        reps = [new_socket(ctx, zmq.REP) for _ in range(2)]
        for r in reps:
            r.connect(back)
        reqs = [new_socket(ctx, zmq.REQ) for _ in range(3)]
        for q in reqs:
            q.connect(front)
        for i, q in enumerate(reqs):
            q.send(b"%d" % i)
        served = 0
        deadline = time.monotonic() + 10
        while served < len(reqs) and time.monotonic() < deadline:
            for r in reps:
                try:
                    msg = r.recv(zmq.DONTWAIT)
                except Again:
                    continue
                r.send(b"re:" + msg)
                served += 1
            time.sleep(0.0005)
        for i, q in enumerate(reqs):
            assert q.recv() == b"re:%d" % i
    finally:
        stop.set()
        t.join(10)


def test_hundred_thousand_messages_none_lost_or_reordered_per_peer(ctx: Context) -> None:
    router = new_socket(ctx, zmq.ROUTER)
    router.rcvtimeo = 20_000
    addr = endpoint()
    router.bind(addr)
    peers, per_peer = 4, 25_000
    dealers = [new_socket(ctx, zmq.DEALER, b"p%d" % i) for i in range(peers)]
    for d in dealers:
        d.sndtimeo = 20_000
        d.connect(addr)

    def send(d: Socket) -> None:
        for j in range(per_peer):
            d.send(j.to_bytes(4, "little"))

    threads = [threading.Thread(target=send, args=(d,)) for d in dealers]
    for t in threads:
        t.start()
    expected = {b"p%d" % i: 0 for i in range(peers)}
    for _ in range(peers * per_peer):
        rid, body = router.recv_multipart()
        assert int.from_bytes(body, "little") == expected[rid]
        expected[rid] += 1
    for t in threads:
        t.join(10)
    assert all(v == per_peer for v in expected.values())
    assert_nothing(router)
