"""proxy and proxy_steerable: libzmq's device, with its control commands."""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest

import serverlink as zmq
from serverlink import Context

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 5000


class Running:
    """fn() in a thread that owns the given sockets (closed there when fn ends)."""

    def __init__(self, fn: Callable[[], int | None], owned: list[zmq.Socket]) -> None:
        self.result: int | None = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.result = fn()
            except BaseException as e:
                self.error = e
            finally:
                for s in owned:
                    s.close(linger=0)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self) -> None:
        self.thread.join(10)
        assert not self.thread.is_alive(), "the thread did not end"


class Harness:
    """A context, the sockets the test thread uses, and the threads that own the others.

    stop() terminates the context: blocked calls in the threads raise
    ContextTerminated, each thread closes its own sockets, the test thread
    closes its own, and term() returns. No socket is closed by a thread
    other than its user.
    """

    def __init__(self) -> None:
        self.ctx = Context()
        self.mine: list[zmq.Socket] = []
        self.runs: list[Running] = []

    def sock(self, kind: int, bind: str | None = None, connect: str | None = None) -> zmq.Socket:
        s = self.ctx.socket(kind)
        s.rcvtimeo = s.sndtimeo = TIMEOUT
        s.linger = 0
        if bind:
            s.bind(bind)
        if connect:
            s.connect(connect)
        self.mine.append(s)
        return s

    def run(self, fn: Callable[[], int | None], *owned: zmq.Socket) -> Running:
        for s in owned:
            self.mine.remove(s)
        r = Running(fn, list(owned))
        self.runs.append(r)
        return r

    def stop(self) -> None:
        term = threading.Thread(target=self.ctx.term, daemon=True)
        term.start()
        for r in self.runs:
            r.join()
        for s in self.mine:
            s.close(linger=0)
        term.join(10)
        assert not term.is_alive(), "term() did not return"


@pytest.fixture
def h() -> Iterator[Harness]:
    harness = Harness()
    try:
        yield harness
    finally:
        harness.stop()


def stats(control: zmq.Socket) -> list[int]:
    control.send(b"STATISTICS")
    parts = control.recv_multipart()
    assert len(parts) == 8 and all(len(p) == 8 for p in parts)
    return [struct.unpack("=Q", p)[0] for p in parts]


def test_streamer_forwards_and_captures_multipart(h: Harness) -> None:
    frontend = h.sock(zmq.PULL, bind="inproc://fe")
    backend = h.sock(zmq.PUSH, bind="inproc://be")
    capture = h.sock(zmq.PUSH, bind="inproc://cap")
    tap = h.sock(zmq.PULL, connect="inproc://cap")
    src = h.sock(zmq.PUSH, connect="inproc://fe")
    dst = h.sock(zmq.PULL, connect="inproc://be")
    run = h.run(lambda: zmq.proxy(frontend, backend, capture), frontend, backend, capture)
    for i in range(100):
        src.send_multipart([b"head", b"%d" % i])
    for i in range(100):
        assert dst.recv_multipart() == [b"head", b"%d" % i]
        assert tap.recv_multipart() == [b"head", b"%d" % i]
    h.stop()
    assert isinstance(run.error, zmq.ContextTerminated)


def test_shared_queue_routes_replies_back(h: Harness) -> None:
    frontend = h.sock(zmq.ROUTER, bind="tcp://127.0.0.1:*")
    backend = h.sock(zmq.DEALER, bind="inproc://workers")
    h.run(lambda: zmq.proxy(frontend, backend), frontend, backend)

    def worker(w: zmq.Socket) -> None:
        try:
            while True:
                w.send(b"done " + w.recv())
        except zmq.ContextTerminated:
            pass

    for _ in range(2):
        w = h.sock(zmq.REP, connect="inproc://workers")
        w.rcvtimeo = -1
        h.run(lambda w=w: worker(w), w)
    clients = [h.sock(zmq.REQ, connect=frontend.last_endpoint.decode()) for _ in range(4)]
    for round_ in range(5):
        for i, c in enumerate(clients):
            c.send(b"job %d.%d" % (round_, i))
        for i, c in enumerate(clients):
            assert c.recv() == b"done job %d.%d" % (round_, i)


def test_forwarder_passes_subscriptions_up_and_messages_down(h: Harness) -> None:
    frontend = h.sock(zmq.XSUB, bind="inproc://publishers")
    backend = h.sock(zmq.XPUB, bind="inproc://subscribers")
    h.run(lambda: zmq.proxy(frontend, backend), frontend, backend)
    pub = h.sock(zmq.PUB, connect="inproc://publishers")
    sub = h.sock(zmq.SUB, connect="inproc://subscribers")
    sub.subscribe(b"weather")
    deadline = time.monotonic() + 5
    while True:  # the subscription travels sub -> XPUB -> proxy -> XSUB -> pub
        pub.send(b"weather: sunny")
        pub.send(b"sports: none of this")
        if sub.poll(50):
            break
        assert time.monotonic() < deadline
    while sub.poll(100):
        assert sub.recv().startswith(b"weather")
    for i in range(5):
        pub.send(b"sports %d" % i)
        pub.send(b"weather %d" % i)
    assert [sub.recv() for _ in range(5)] == [b"weather %d" % i for i in range(5)]
    assert sub.poll(200) == 0


def test_proxy_to_itself_echoes_through_a_router(h: Harness) -> None:
    router = h.sock(zmq.ROUTER, bind="inproc://echo")
    h.run(lambda: zmq.proxy(router, router), router)
    req = h.sock(zmq.REQ, connect="inproc://echo")
    for i in range(10):
        req.send(b"ping %d" % i)
        assert req.recv() == b"ping %d" % i


def test_proxy_to_itself_echoes_through_a_rep(h: Harness) -> None:
    # A REP can send only once it has received: the proxy takes the request
    # without asking for POLLOUT first, as libzmq's does (asking first spun).
    rep = h.sock(zmq.REP, bind="inproc://echo-rep")
    h.run(lambda: zmq.proxy(rep, rep), rep)
    req = h.sock(zmq.REQ, connect="inproc://echo-rep")
    for text in (b"hello", b"hello again"):
        req.send(text)
        assert req.recv() == text


@pytest.mark.parametrize("control_type", [zmq.PAIR, zmq.REP])
def test_steerable_pause_resume_statistics_terminate(h: Harness, control_type: int) -> None:
    frontend = h.sock(zmq.PULL, bind="inproc://sfe")
    backend = h.sock(zmq.PUSH, bind="inproc://sbe")
    control = h.sock(control_type, bind="inproc://ctl")
    ctl = h.sock(zmq.PAIR if control_type == zmq.PAIR else zmq.REQ, connect="inproc://ctl")
    src = h.sock(zmq.PUSH, connect="inproc://sfe")
    dst = h.sock(zmq.PULL, connect="inproc://sbe")
    run = h.run(
        lambda: zmq.proxy_steerable(frontend, backend, None, control), frontend, backend, control
    )

    def command(c: bytes) -> None:
        ctl.send(c)
        if control_type == zmq.REP:
            assert ctl.recv() == b""  # REP gets an empty reply, as in libzmq 4.3.5
        else:
            stats(ctl)  # the reply says the command before it was handled

    src.send_multipart([b"ab", b"cde"])
    assert dst.recv_multipart() == [b"ab", b"cde"]
    src.send(b"x")
    assert dst.recv() == b"x"
    # Parts and bytes, received on the frontend and sent on the backend.
    assert stats(ctl) == [3, 6, 0, 0, 0, 0, 3, 6]

    command(b"PAUSE")
    src.send(b"held")
    assert dst.poll(300) == 0
    command(b"NO SUCH COMMAND")  # ignored
    command(b"RESUME")
    assert dst.recv() == b"held"
    assert stats(ctl)[:2] == [4, 10]

    ctl.send(b"TERMINATE")
    run.join()
    assert run.error is None and run.result == 0


def test_paused_proxy_sleeps(h: Harness) -> None:
    frontend = h.sock(zmq.PULL, bind="inproc://pfe")
    backend = h.sock(zmq.PUSH, bind="inproc://pbe")
    control = h.sock(zmq.PAIR, bind="inproc://pctl")
    ctl = h.sock(zmq.PAIR, connect="inproc://pctl")
    src = h.sock(zmq.PUSH, connect="inproc://pfe")
    h.sock(zmq.PULL, connect="inproc://pbe")
    h.run(lambda: zmq.proxy_steerable(frontend, backend, None, control), frontend, backend, control)
    ctl.send(b"PAUSE")
    stats(ctl)  # the proxy has taken the PAUSE
    src.send(b"waits while paused")  # input stays readable: it must not spin on it
    t0 = time.process_time()
    time.sleep(0.5)
    assert time.process_time() - t0 < 0.1


def test_full_backend_neither_spins_nor_loses(h: Harness) -> None:
    frontend = h.sock(zmq.PULL, bind="inproc://ffe")
    backend = h.sock(zmq.PUSH, bind="inproc://fbe")
    backend.sndhwm = 5
    src = h.sock(zmq.PUSH, connect="inproc://ffe")
    dst = h.sock(zmq.PULL)
    dst.rcvhwm = 5
    dst.connect("inproc://fbe")
    h.run(lambda: zmq.proxy(frontend, backend), frontend, backend)
    n = 200
    for i in range(n):
        src.send(b"%d" % i)
    time.sleep(0.2)  # the backend is full; the rest waits in the frontend
    t0 = time.process_time()
    time.sleep(0.5)
    assert time.process_time() - t0 < 0.1
    assert [dst.recv() for _ in range(n)] == [b"%d" % i for i in range(n)]


def test_bad_arguments_are_named(h: Harness) -> None:
    s = h.sock(zmq.PAIR)
    with pytest.raises(TypeError, match="backend must be a serverlink Socket"):
        zmq.proxy(s, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="capture must be a serverlink Socket or None"):
        zmq.proxy(s, s, "capture")  # type: ignore[arg-type]
