"""serverlink.asyncio: awaited sends, receives and polls, on asyncio's loop and uvloop."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

import serverlink as zmq
import serverlink.asyncio as azmq

pytestmark = pytest.mark.timeout(60)

T = TypeVar("T")
Run = Callable[[Awaitable[T]], T]


def _uvloop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    uvloop = pytest.importorskip("uvloop")
    return uvloop.new_event_loop  # type: ignore[no-any-return]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Run[Any]:
    """Runs a coroutine to completion on a fresh loop of each kind (45 s at most)."""
    factory = asyncio.new_event_loop if request.param == "asyncio" else _uvloop_factory()

    def go(aw: Awaitable[T]) -> T:
        loop = factory()
        try:
            return loop.run_until_complete(asyncio.wait_for(aw, 45))
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    return go


@pytest.fixture
def actx() -> Iterator[azmq.Context]:
    c = azmq.Context()
    try:
        yield c
    finally:
        c.destroy(linger=0)


def apair(c: azmq.Context, name: str) -> tuple[azmq.Socket, azmq.Socket]:
    a, b = c.socket(zmq.PAIR), c.socket(zmq.PAIR)
    a.bind(f"inproc://{name}")
    b.connect(f"inproc://{name}")
    return a, b


def with_sync_peer(c: azmq.Context, name: str, kind: int = zmq.PAIR) -> tuple[azmq.Socket, Any]:
    """An asyncio socket and a plain one (sends that need no await) connected to it."""
    a = c.socket(kind)
    a.bind(f"inproc://{name}")
    b = zmq.Socket(c, kind)
    b.connect(f"inproc://{name}")
    return a, b


def test_sockets_are_asyncio_sockets(actx: azmq.Context) -> None:
    s = actx.socket(zmq.PAIR)
    assert isinstance(s, azmq.Socket) and isinstance(s, zmq.Socket)
    assert repr(s).startswith("<serverlink.asyncio.Socket(PAIR) at ")
    inst = azmq.Context.instance()
    try:
        assert isinstance(inst.socket(zmq.PAIR), azmq.Socket)
        assert zmq.Context.instance() is not inst
    finally:
        inst.destroy(linger=0)
        zmq.Context.instance().term()


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_many_round_trips_in_order(run: Run[None], actx: azmq.Context, transport: str) -> None:
    async def main() -> None:
        a, b = actx.socket(zmq.DEALER), actx.socket(zmq.ROUTER)
        b.bind("inproc://rt" if transport == "inproc" else "tcp://127.0.0.1:*")
        a.connect(b.last_endpoint.decode())

        async def echo() -> None:
            while True:
                ident, msg = await b.recv_multipart()
                await b.send_multipart([ident, msg])

        server = asyncio.ensure_future(echo())
        for i in range(3000):
            await a.send(b"%d" % i)
            assert await a.recv() == b"%d" % i
        server.cancel()

    run(main())


def test_req_rep_with_the_string_and_json_helpers(run: Run[None], actx: azmq.Context) -> None:
    async def main() -> None:
        rep, req = actx.socket(zmq.REP), actx.socket(zmq.REQ)
        port = rep.bind_to_random_port("tcp://127.0.0.1")
        req.connect(f"tcp://127.0.0.1:{port}")

        async def serve() -> None:
            for _ in range(3):
                q = await rep.recv_json()
                await rep.send_json({"answer": q["n"] * 2})
            assert await rep.recv_string() == "bye"
            await rep.send_pyobj({"done", "set"})
            parts = await rep.recv_serialized(lambda ps: [bytes(p) for p in ps])
            await rep.send_serialized(parts[::-1], lambda ps: ps)

        server = asyncio.ensure_future(serve())
        for n in range(3):
            await req.send_json({"n": n})
            assert await req.recv_json() == {"answer": 2 * n}
        await req.send_string("bye")
        assert await req.recv_pyobj() == {"done", "set"}
        await req.send_serialized([b"1", b"2"], lambda ps: ps)
        assert await req.recv_multipart() == [b"2", b"1"]
        await server

    run(main())


def test_pub_sub_filters_and_keeps_order(run: Run[None], actx: azmq.Context) -> None:
    async def main() -> None:
        pub, sub = actx.socket(zmq.PUB), actx.socket(zmq.SUB)
        pub.bind("tcp://127.0.0.1:*")
        sub.connect(pub.last_endpoint.decode())
        sub.subscribe(b"A")
        while True:  # until the subscription has reached the publisher
            await pub.send(b"A-probe")
            if await sub.poll(20):
                break
        while await sub.poll(50):
            assert (await sub.recv()).startswith(b"A")
        for i in range(500):
            await pub.send_multipart([b"B", b"%d" % i])
            await pub.send_multipart([b"A", b"%d" % i])
        for i in range(500):
            assert await sub.recv_multipart() == [b"A", b"%d" % i]
        assert await sub.poll(100) == 0

    run(main())


def test_cancelled_recvs_lose_no_message(run: Run[None], actx: azmq.Context) -> None:
    """Cancel pending receives at every point of their life; each message is
    received exactly once, in order, by the cancelled receive or the next one."""

    async def main() -> None:
        a, b = with_sync_peer(actx, "cancel")
        rng = random.Random(5)
        got: list[bytes] = []
        n = 3000
        for i in range(n):

            async def wrapped() -> bytes:
                return bytes(await a.recv())

            how = rng.randrange(3)
            if how == 0:
                t: asyncio.Future[Any] = asyncio.ensure_future(a.recv())
            elif how == 1:
                t = asyncio.ensure_future(wrapped())
            else:
                timeout = rng.choice([0, 1e-5, 1e-4])

                async def timed(timeout: float = timeout) -> bytes:
                    return bytes(await asyncio.wait_for(a.recv(), timeout))

                t = asyncio.ensure_future(timed())
            for _ in range(rng.randrange(3)):
                await asyncio.sleep(0)
            b.send(b"%d" % i)
            for _ in range(rng.randrange(4)):
                await asyncio.sleep(0)
            t.cancel()
            try:
                got.append(await t)
            except (asyncio.CancelledError, asyncio.TimeoutError):
                got.append(await a.recv())
        assert got == [b"%d" % i for i in range(n)]

    run(main())


def test_a_waiter_cancelled_after_its_wake_up_passes_the_turn(
    run: Run[None], actx: azmq.Context
) -> None:
    async def main() -> None:
        a, b = with_sync_peer(actx, "turn")
        first = asyncio.ensure_future(a.recv())
        second = asyncio.ensure_future(a.recv())
        await asyncio.sleep(0.01)  # both wait
        b.send(b"only one")
        a._pump()  # as the FD's reader would: wakes `first`...
        first.cancel()  # ...which is cancelled before it runs
        assert await asyncio.wait_for(second, 5) == b"only one"
        with pytest.raises(asyncio.CancelledError):
            await first

    run(main())


def test_a_woken_waiter_whose_message_was_taken_waits_again(
    run: Run[None], actx: azmq.Context
) -> None:
    async def main() -> None:
        a, b = with_sync_peer(actx, "again")
        waiter = asyncio.ensure_future(a.recv())
        await asyncio.sleep(0.01)
        b.send(b"first")
        a._pump()  # wakes the waiter...
        assert await a.recv(zmq.DONTWAIT) == b"first"  # ...but DONTWAIT takes it first
        await asyncio.sleep(0.01)
        assert not waiter.done()
        b.send(b"second")
        assert await asyncio.wait_for(waiter, 5) == b"second"

    run(main())


def test_concurrent_receivers_are_served_in_order(run: Run[None], actx: azmq.Context) -> None:
    async def main() -> None:
        a, b = with_sync_peer(actx, "fifo")
        tasks = [asyncio.ensure_future(a.recv()) for _ in range(10)]
        await asyncio.sleep(0.01)
        for i in range(10):
            b.send(b"%d" % i)
        assert await asyncio.gather(*tasks) == [b"%d" % i for i in range(10)]

    run(main())


def test_wait_for_timeout_then_the_message_goes_to_the_next_recv(
    run: Run[None], actx: azmq.Context
) -> None:
    async def main() -> None:
        a, b = apair(actx, "waitfor")
        t0 = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(a.recv(), 0.1)
        assert 0.09 <= time.monotonic() - t0 < 2
        await b.send(b"after")
        assert await asyncio.wait_for(a.recv(), 5) == b"after"

    run(main())


def test_rcvtimeo_and_sndtimeo_raise_again(run: Run[None], actx: azmq.Context) -> None:
    async def main() -> None:
        a = actx.socket(zmq.PULL)
        a.bind("inproc://timeo")
        a.rcvtimeo = 100
        t0 = time.monotonic()
        with pytest.raises(zmq.Again):
            await a.recv()
        assert 0.09 <= time.monotonic() - t0 < 2
        push = actx.socket(zmq.PUSH)  # no peer: cannot send
        push.sndtimeo = 0
        with pytest.raises(zmq.Again):
            await push.send(b"x")
        push.sndtimeo = 100
        with pytest.raises(zmq.Again):
            await push.send_multipart([b"x", b"y"])
        with pytest.raises(zmq.Again):
            await a.recv(zmq.DONTWAIT)

    run(main())


def test_send_waits_at_the_high_water_mark(run: Run[None], actx: azmq.Context) -> None:
    async def main() -> None:
        pull, push = actx.socket(zmq.PULL), actx.socket(zmq.PUSH)
        pull.rcvhwm = push.sndhwm = 1
        pull.bind("inproc://hwm")
        push.connect("inproc://hwm")
        n = 300

        async def produce() -> int:
            blocked = 0
            for i in range(n):
                t0 = time.monotonic()
                await push.send(b"%d" % i)
                blocked += time.monotonic() - t0 > 0.001
            return blocked

        producer = asyncio.ensure_future(produce())
        got = []
        for _ in range(n):
            got.append(await pull.recv())
            if len(got) % 50 == 0:
                await asyncio.sleep(0.01)  # the producer fills the queue and waits
        assert got == [b"%d" % i for i in range(n)]
        assert await producer > 0

    run(main())


def test_commands_consumed_by_a_send_still_wake_the_receiver(
    run: Run[None], actx: azmq.Context
) -> None:
    """The FD edge trap: the send processes the command that made the socket
    readable, so the FD never fires; the receiver must be woken anyway."""

    async def main() -> None:
        a, b = with_sync_peer(actx, "edge-send", zmq.DEALER)
        waiter = asyncio.ensure_future(a.recv())
        await asyncio.sleep(0.01)
        b.send(b"reply")
        time.sleep(0.005)  # the loop does not run; the send below is past its command throttle
        await a.send(b"another request")
        assert await asyncio.wait_for(waiter, 5) == b"reply"

    run(main())


@pytest.mark.parametrize("consumer", ["events", "bind", "sync-poller", "sync-socket-poll"])
def test_commands_consumed_elsewhere_still_wake_the_receiver(
    run: Run[None], actx: azmq.Context, consumer: str
) -> None:
    async def main() -> None:
        a, b = with_sync_peer(actx, f"edge-{consumer}")
        waiter = asyncio.ensure_future(a.recv())
        await asyncio.sleep(0.01)
        b.send(b"m")
        if consumer == "events":
            assert a.events & zmq.POLLIN
        elif consumer == "bind":
            a.bind(f"inproc://edge-{consumer}-2")
        elif consumer == "sync-poller":
            p = zmq.Poller()
            p.register(a, zmq.POLLIN)
            assert p.poll(0)
        else:
            assert zmq.zmq_poll([(a, zmq.POLLIN)], 0)
        assert await asyncio.wait_for(waiter, 5) == b"m"

    run(main())


def test_thousand_sockets_on_one_loop(run: Run[None], actx: azmq.Context) -> None:
    async def main() -> None:
        threads = threading.active_count()
        pairs = [apair(actx, f"k{i}") for i in range(500)]
        tasks = [asyncio.ensure_future(a.recv()) for a, _ in pairs]
        await asyncio.sleep(0.05)
        assert threading.active_count() == threads  # no thread per socket
        for i, (_, b) in enumerate(pairs):
            await b.send(b"%d" % i)
        assert await asyncio.gather(*tasks) == [b"%d" % i for i in range(500)]
        # and back the other way, everything waiting at once again
        tasks = [asyncio.ensure_future(b.recv()) for _, b in pairs]
        await asyncio.sleep(0.05)
        await asyncio.gather(*(a.send(b"%d" % i) for i, (a, _) in enumerate(pairs)))
        assert await asyncio.gather(*tasks) == [b"%d" % i for i in range(500)]

    run(main())


def test_idle_sockets_cost_no_cpu(run: Run[float], actx: azmq.Context) -> None:
    async def main() -> float:
        socks = []
        for i in range(100):
            s = actx.socket(zmq.PULL)
            s.bind(f"inproc://idle{i}")
            socks.append(s)
        tasks = [asyncio.ensure_future(s.recv()) for s in socks]
        await asyncio.sleep(0.2)
        t0 = time.process_time()
        await asyncio.sleep(1.0)
        cpu = time.process_time() - t0
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return cpu

    assert run(main()) < 0.05


def test_poller_poll_is_awaited_with_a_timeout(run: Run[None], actx: azmq.Context) -> None:
    async def main() -> None:
        a, b = apair(actx, "apoll")
        s1, s2 = socket.socketpair()
        with s1, s2:
            p = azmq.Poller()
            p.register(a, zmq.POLLIN)
            p.register(s1, zmq.POLLIN)
            t0 = time.monotonic()
            assert await p.poll(100) == []
            assert 0.09 <= time.monotonic() - t0 < 2
            assert await p.poll(0) == []
            asyncio.get_running_loop().call_later(0.05, s2.send, b"x")
            assert await p.poll() == [(s1, zmq.POLLIN)]
            s1.recv(1)
            later = asyncio.ensure_future(p.poll(5000))
            await asyncio.sleep(0.05)
            await b.send(b"y")
            assert await later == [(a, zmq.POLLIN)]

    run(main())


def test_two_polls_of_the_same_fd_both_wake(run: Run[None], actx: azmq.Context) -> None:
    async def main() -> None:
        s1, s2 = socket.socketpair()
        with s1, s2:
            p1, p2 = azmq.Poller(), azmq.Poller()
            p1.register(s1, zmq.POLLIN)
            p2.register(s1, zmq.POLLIN)
            w1, w2 = asyncio.ensure_future(p1.poll(5000)), asyncio.ensure_future(p2.poll(5000))
            await asyncio.sleep(0.05)
            s2.send(b"x")
            assert await asyncio.gather(w1, w2) == [[(s1, zmq.POLLIN)], [(s1, zmq.POLLIN)]]

    run(main())


def test_poller_watches_a_plain_socket_through_its_fd(run: Run[None], actx: azmq.Context) -> None:
    async def main() -> None:
        plain = zmq.Socket(actx, zmq.PULL)
        plain.bind("inproc://plain")
        push = actx.socket(zmq.PUSH)
        push.connect("inproc://plain")
        p = azmq.Poller()
        p.register(plain, zmq.POLLIN)
        later = asyncio.ensure_future(p.poll(5000))
        await asyncio.sleep(0.05)
        await push.send(b"to the plain socket")
        assert await later == [(plain, zmq.POLLIN)]
        assert plain.recv() == b"to the plain socket"

    run(main())


def test_socket_poll_is_awaited(run: Run[None], actx: azmq.Context) -> None:
    async def main() -> None:
        a, b = apair(actx, "spoll")
        assert await a.poll(0) == 0
        assert await a.poll(10, zmq.POLLOUT) == zmq.POLLOUT
        assert await a.poll(50) == 0
        waiting = asyncio.ensure_future(a.poll(5000))
        await asyncio.sleep(0.02)
        await b.send(b"x")
        assert await waiting == zmq.POLLIN

    run(main())


def test_close_cancels_the_waiting_operations(run: Run[None], actx: azmq.Context) -> None:
    async def main() -> None:
        a, _ = apair(actx, "close")
        r = asyncio.ensure_future(a.recv())
        p = asyncio.ensure_future(a.poll(5000))
        await asyncio.sleep(0.01)
        a.close()
        for t in (r, p):
            with pytest.raises(asyncio.CancelledError):
                await t
        with pytest.raises(zmq.ZMQError):
            await a.recv()

    run(main())


def test_term_raises_context_terminated_in_waiters(run: Run[None]) -> None:
    c = azmq.Context()
    a = c.socket(zmq.PAIR)
    term = threading.Thread(target=c.term)

    async def main() -> None:
        r = asyncio.ensure_future(a.recv())
        p = asyncio.ensure_future(a.poll())
        await asyncio.sleep(0.01)
        term.start()
        for t in (r, p):
            with pytest.raises(zmq.ContextTerminated):
                await asyncio.wait_for(t, 5)
        a.close()

    run(main())
    term.join(10)
    assert not term.is_alive()


def test_a_socket_can_move_to_another_loop(actx: azmq.Context) -> None:
    a, b = apair(actx, "move")

    async def once(i: int) -> bytes:
        t = asyncio.ensure_future(a.recv())
        await asyncio.sleep(0.01)
        await b.send(b"%d" % i)
        return bytes(await t)

    assert asyncio.run(once(1)) == b"1"
    assert asyncio.run(once(2)) == b"2"


def test_a_loop_without_add_reader_gets_a_clear_error(actx: azmq.Context) -> None:
    class ProactorLike(asyncio.SelectorEventLoop):
        def add_reader(self, *args: Any) -> None:
            raise NotImplementedError

    a, b = apair(actx, "proactor")

    async def main() -> None:
        await b.send(b"ready")
        assert await a.recv() == b"ready"  # no wait: no reader needed
        with pytest.raises(RuntimeError, match="SelectorEventLoop"):
            await a.recv()

    loop = ProactorLike()
    try:
        loop.run_until_complete(asyncio.wait_for(main(), 10))
    finally:
        loop.close()


def test_closing_after_the_loop_is_gone_does_not_raise(actx: azmq.Context) -> None:
    a, _ = apair(actx, "gone")
    loop = asyncio.new_event_loop()
    task = loop.create_task(a.recv())
    loop.run_until_complete(asyncio.sleep(0.01))  # the task now waits on its future
    loop.close()  # without cancelling it, as a careless program might
    a.close()
    assert not task.done()
    task._log_destroy_pending = False  # type: ignore[attr-defined]  (left pending on purpose)


def test_monitor_events_are_awaited(run: Run[None], actx: azmq.Context) -> None:
    from serverlink.utils.monitor import recv_monitor_message

    async def main() -> None:
        a = actx.socket(zmq.PAIR)
        mon = a.get_monitor_socket()
        assert isinstance(mon, azmq.Socket)
        a.bind("tcp://127.0.0.1:*")
        event = await asyncio.wait_for(recv_monitor_message(mon), 5)
        assert event["event"] == zmq.EVENT_LISTENING
        assert event["endpoint"] == a.last_endpoint
        a.disable_monitor()

    run(main())


def test_closing_a_polled_socket_makes_the_poll_raise_enotsock(
    run: Run[None], actx: azmq.Context
) -> None:
    async def main() -> None:
        a, b = apair(actx, "polled")
        p = azmq.Poller()
        p.register(a, zmq.POLLIN)
        p.register(b, zmq.POLLIN)
        waiting = asyncio.ensure_future(p.poll(5000))
        await asyncio.sleep(0.01)
        b.close()
        with pytest.raises(zmq.ZMQError, match="registered for polling") as e:
            await asyncio.wait_for(waiting, 5)
        assert e.value.errno == zmq.ENOTSOCK

    run(main())
