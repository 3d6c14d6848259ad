"""pyzmq on serverlink: ``PYZMQ_BACKEND=serverlink.backend``.

pyzmq chooses its backend when ``zmq`` is first imported, so each test runs
its pyzmq code in a fresh interpreter (bounded by a timeout) and checks what
that code printed. Where a behaviour is libzmq's contract (errors, the FD and
EVENTS pair), the same code also runs on pyzmq's own backend, and the two
outputs must be the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from importlib.util import find_spec
from pathlib import Path

import pytest

import serverlink
from serverlink import _binding

BACKEND = "serverlink.backend"
NATIVE = "native"  # pyzmq's own backend (its bundled libzmq)

needs_pyzmq = pytest.mark.skipif(find_spec("zmq") is None, reason="pyzmq is not installed")


def run_pyzmq(code: str, *args: str, backend: str = BACKEND, timeout: float = 60) -> list[str]:
    """Run ``code`` in a new interpreter on the given pyzmq backend; its output lines."""
    env = dict(os.environ)
    env.pop("PYZMQ_BACKEND", None)
    if backend != NATIVE:
        env["PYZMQ_BACKEND"] = backend
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout.splitlines()


# -- native serverlink -------------------------------------------------------


def test_hwm_set_after_connect_applies_to_existing_pipe(ctx: serverlink.Context) -> None:
    # libzmq applies SNDHWM/RCVHWM changes to attached pipes (update_pipe_options);
    # pyzmq code relies on it (e.g. hwm = 0 after connect for an unbounded queue).
    a = ctx.socket(serverlink.PAIR)
    a.bind("inproc://hwm-after-connect")
    b = ctx.socket(serverlink.PAIR)
    b.connect("inproc://hwm-after-connect")
    b.sndhwm = 0
    a.rcvhwm = 0
    for _ in range(5000):
        b.send(b"x", serverlink.DONTWAIT)
    assert [a.recv(serverlink.DONTWAIT) for _ in range(5000)] == [b"x"] * 5000


def test_poll_reports_eterm_at_once_when_term_stops_its_socket(ctx: serverlink.Context) -> None:
    # EVENTS used to swallow ETERM the one time it processed `stop`, so sl_poll
    # went back to sleep on a mailbox nothing would signal again (a proxy or
    # monitored_queue thread in poll then hung context term).
    s = ctx.socket(serverlink.PULL)
    s.bind("inproc://poll-eterm")
    result: list[tuple[int, bool]] = []

    def poll() -> None:
        item = _binding.PollItems(1)
        h = s._h
        assert h is not None
        item.set_socket(0, h, serverlink.POLLIN)
        try:
            rc = item.poll(10_000)
            result.append((rc, False))
        except serverlink.ContextTerminated:
            result.append((-1, True))
        s.close()

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.1)
    t0 = time.monotonic()
    ctx.term()
    t.join(15)
    assert result == [(-1, True)]
    assert time.monotonic() - t0 < 5


# -- the backend is serverlink -----------------------------------------------


@needs_pyzmq
def test_pyzmq_runs_on_serverlink_without_its_extension() -> None:
    out = run_pyzmq(
        """
        import sys
        import zmq
        import zmq.asyncio
        import serverlink.backend

        print(zmq.backend.Socket.__module__)
        print(issubclass(zmq.Socket, serverlink.backend.Socket))
        print(issubclass(zmq.Context, serverlink.backend.Context))
        print(issubclass(zmq.Frame, serverlink.backend.Frame))
        print(zmq.zmq_poll is serverlink.backend.zmq_poll, zmq.proxy is serverlink.backend.proxy)
        ext = sorted(
            name for name, m in sys.modules.items()
            if name.startswith("zmq")
            and str(getattr(m, "__file__", "")).endswith((".so", ".pyd"))
        )
        other_backends = ("zmq.backend.cython", "zmq.backend.cffi")
        print(ext, [n for n in sys.modules if n.startswith(other_backends)])
        ctx = zmq.Context()
        s = ctx.socket(zmq.PAIR)
        print(type(s.context._sl_core).__module__, s.underlying != 0)
        ctx.destroy()
        """
    )
    assert out == [
        "serverlink.backend.socket",
        "True",
        "True",
        "True",
        "True True",
        "[] []",
        "serverlink.context True",
    ]


@needs_pyzmq
def test_backend_refuses_to_load_under_another_pyzmq_backend() -> None:
    out = run_pyzmq(
        """
        import zmq

        try:
            import serverlink.backend
        except ImportError as e:
            print(zmq.backend.Socket.__module__, "PYZMQ_BACKEND=serverlink.backend" in str(e))
        """,
        backend=NATIVE,
    )
    assert out == ["zmq.backend.cython._zmq True"] or out == ["zmq.backend.cffi.socket True"]


# -- sockets -----------------------------------------------------------------

PAIRINGS = """
import sys
import time
import zmq

transport, tmp = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
ctx.setsockopt(zmq.LINGER, 0)
ctx.setsockopt(zmq.RCVTIMEO, 5000)
ctx.setsockopt(zmq.SNDTIMEO, 5000)
n = 0


def pair(bind_type, connect_type, bind_opts=(), connect_opts=()):
    global n
    n += 1
    b = ctx.socket(bind_type)
    for opt, v in bind_opts:
        b.setsockopt(opt, v)
    if transport == "inproc":
        b.bind(f"inproc://pair-{n}")
    elif transport == "ipc":
        b.bind(f"ipc://{tmp}/pair-{n}.ipc")
    else:
        b.bind("tcp://127.0.0.1:*")
    c = ctx.socket(connect_type)
    for opt, v in connect_opts:
        c.setsockopt(opt, v)
    c.connect(b.last_endpoint.decode())
    return b, c


b, c = pair(zmq.PAIR, zmq.PAIR)
c.send(b"ping")
assert b.recv() == b"ping"
b.send(b"pong")
print("PAIR-PAIR", c.recv())

b, c = pair(zmq.PULL, zmq.PUSH)
c.send_multipart([b"a", b"b"])
print("PUSH-PULL", b.recv_multipart())

b, c = pair(zmq.PUSH, zmq.PULL)
b.send(b"down")
print("PULL-PUSH", c.recv())

b, c = pair(zmq.REP, zmq.REQ)
c.send(b"req")
assert b.recv() == b"req"
b.send(b"rep")
print("REQ-REP", c.recv())

b, c = pair(zmq.ROUTER, zmq.REQ, connect_opts=[(zmq.ROUTING_ID, b"Q")])
c.send(b"hi")
rid, empty, body = b.recv_multipart()
b.send_multipart([rid, empty, body + b"!"])
print("REQ-ROUTER", rid, c.recv())

b, c = pair(zmq.REP, zmq.DEALER)
c.send_multipart([b"", b"hi"])
assert b.recv() == b"hi"
b.send(b"ho")
print("DEALER-REP", c.recv_multipart())

b, c = pair(zmq.ROUTER, zmq.DEALER, connect_opts=[(zmq.ROUTING_ID, b"D")])
c.send(b"hi")
rid, body = b.recv_multipart()
b.send_multipart([rid, b"back"])
print("DEALER-ROUTER", rid, body, c.recv())

b, c = pair(zmq.DEALER, zmq.DEALER)
c.send(b"x")
b.send(b"y")
print("DEALER-DEALER", b.recv(), c.recv())

b, c = pair(
    zmq.ROUTER,
    zmq.ROUTER,
    bind_opts=[(zmq.ROUTING_ID, b"R1")],
    connect_opts=[(zmq.ROUTING_ID, b"R2"), (zmq.ROUTER_MANDATORY, 1)],
)
deadline = time.monotonic() + 5
while True:
    try:
        c.send_multipart([b"R1", b"hello"])
        break
    except zmq.ZMQError as e:
        assert e.errno == zmq.EHOSTUNREACH and time.monotonic() < deadline, e
        time.sleep(0.01)
rid, body = b.recv_multipart()
b.send_multipart([rid, b"welcome"])
print("ROUTER-ROUTER", rid, body, c.recv_multipart())

b, c = pair(zmq.PUB, zmq.SUB)
c.subscribe(b"t")
c.rcvtimeo = 20
while True:
    b.send(b"t sync")
    try:
        c.recv()
        break
    except zmq.Again:
        pass
c.rcvtimeo = 5000
b.send(b"x dropped")
b.send(b"t end")
got = []
while not got or got[-1] != b"t end":
    got.append(c.recv())
print("PUB-SUB", got[-1], b"x dropped" not in got)

b, c = pair(zmq.XPUB, zmq.SUB)
c.subscribe(b"k")
print("XPUB-SUB", b.recv(), end=" ")
b.send(b"k1")
print(c.recv())

b, c = pair(zmq.XPUB, zmq.XSUB)
c.send(b"\\x01q")
print("XPUB-XSUB", b.recv(), end=" ")
b.send(b"q1")
print(c.recv())
ctx.destroy()
"""


@needs_pyzmq
@pytest.mark.parametrize("transport", ["inproc", "tcp", "ipc"])
def test_every_socket_pairing_round_trips(transport: str, tmp_path: Path) -> None:
    out = run_pyzmq(PAIRINGS, transport, str(tmp_path))
    assert out == [
        "PAIR-PAIR b'pong'",
        "PUSH-PULL [b'a', b'b']",
        "PULL-PUSH b'down'",
        "REQ-REP b'rep'",
        "REQ-ROUTER b'Q' b'hi!'",
        "DEALER-REP [b'', b'ho']",
        "DEALER-ROUTER b'D' b'hi' b'back'",
        "DEALER-DEALER b'x' b'y'",
        "ROUTER-ROUTER b'R2' b'hello' [b'R1', b'welcome']",
        "PUB-SUB b't end' True",
        "XPUB-SUB b'\\x01k' b'k1'",
        "XPUB-XSUB b'\\x01q' b'q1'",
    ]


@needs_pyzmq
def test_frames_trackers_and_buffers() -> None:
    out = run_pyzmq(
        """
        import copy
        import zmq

        ctx = zmq.Context()
        a = ctx.socket(zmq.PAIR)
        a.bind("inproc://frames")
        b = ctx.socket(zmq.PAIR)
        b.connect("inproc://frames")
        big = bytearray(b"z" * 200_000)
        tracker = b.send(big, copy=False, track=True)
        print(type(tracker).__mro__[1].__name__, isinstance(tracker, zmq.MessageTracker))
        f = a.recv(copy=False)
        print(type(f).__name__, len(f), f.more, bytes(f.buffer[:3]), f.bytes == bytes(big))
        print("done while the receiver holds the frame", tracker.done)
        del f  # the last reference to the message: serverlink releases `big`
        tracker.wait(5)
        print("done", tracker.done)
        print("small copy=False", b.send(b"tiny", copy=False) is zmq._FINISHED_TRACKER, a.recv())
        frame = zmq.Frame(b"shared", track=True)
        print(frame.tracker.done, len(frame), frame == b"shared", copy.copy(frame).bytes)
        data = bytearray(b"not copied")
        zc = zmq.Frame(data, copy=False, track=True)
        data[:3] = b"NOT"  # the frame is a view of `data`
        print("zero-copy frame", zc.bytes, zc.tracker.done)
        zc_tracker = zc.tracker
        b.send(zc)
        got = a.recv(copy=False)
        print("received", got.bytes, "done while frames live", zc_tracker.done)
        del zc, got
        zc_tracker.wait(5)
        print("done once they are gone", zc_tracker.done)
        b.send(frame, zmq.SNDMORE)
        b.send(frame, zmq.SNDMORE)
        b.send(memoryview(b"last"))
        parts = a.recv_multipart(copy=False)
        print([p.bytes for p in parts], [p.more for p in parts[1:]], parts[1].get(zmq.MORE))
        try:
            parts[0].get("User-Id")
        except zmq.ZMQError as e:
            print("metadata", e.errno == zmq.EINVAL)
        b.send(b"0123456789")
        buf = bytearray(4)
        print("recv_into", a.recv_into(buf), buf)
        try:
            b.send("text")
        except TypeError as e:
            print("str", e)
        ctx.destroy()
        """
    )
    assert out == [
        "MessageTracker True",
        "Frame 200000 False b'zzz' True",
        "done while the receiver holds the frame False",
        "done True",
        "small copy=False True b'tiny'",
        "True 6 True b'shared'",
        "zero-copy frame b'NOT copied' False",
        "received b'NOT copied' done while frames live False",
        "done once they are gone True",
        "[b'shared', b'shared', b'last'] [True, False] 1",
        "metadata True",
        "recv_into 10 bytearray(b'0123')",
        "str unicode not allowed, use send_string",
    ]


@needs_pyzmq
def test_shadow_sockets_and_contexts_share_one_c_object() -> None:
    out = run_pyzmq(
        """
        import copy
        import zmq

        ctx = zmq.Context()
        s = ctx.socket(zmq.PULL)
        s.bind("inproc://shadow")
        shadow = zmq.Socket.shadow(s.underlying)
        twin = copy.copy(s)
        print(shadow.type == zmq.PULL, twin.underlying == s.underlying)
        shadow_ctx = zmq.Context.shadow(ctx.underlying)
        push = shadow_ctx.socket(zmq.PUSH)
        push.connect("inproc://shadow")
        push.send(b"through the shadow context")
        print(shadow.recv())
        s.close()
        print(shadow.closed, twin.closed)
        try:
            shadow.recv()
        except zmq.ZMQError as e:
            print("closed", e.errno == zmq.ENOTSOCK)
        try:
            zmq.Socket.shadow(12345)
        except zmq.ZMQError as e:
            print("unknown address", e.errno == zmq.ENOTSOCK)
        push.close()
        ctx.term()
        print(ctx.closed, shadow_ctx.closed)  # each object's own state, as with libzmq
        try:
            shadow_ctx.socket(zmq.PUB)
        except zmq.ZMQError as e:
            print("terminated through another object", e.errno == zmq.EFAULT)
        """
    )
    assert out == [
        "True True",
        "b'through the shadow context'",
        "True True",
        "closed True",
        "unknown address True",
        "True False",
        "terminated through another object True",
    ]


CONTEXT_OPTIONS = """
import errno
import zmq

ctx = zmq.Context(io_threads=2)
print(ctx.get(zmq.IO_THREADS), ctx.get(zmq.MAX_SOCKETS), ctx.get(zmq.SOCKET_LIMIT))
print(ctx.thread_priority, ctx.get(zmq.MSG_T_SIZE), ctx.get(zmq.MAX_MSGSZ), ctx.get(10))
print(ctx.get(zmq.THREAD_SCHED_POLICY), ctx.get(zmq.THREAD_NAME_PREFIX))
ctx.set(zmq.IO_THREADS, 3)
ctx.max_sockets = 2
print(ctx.io_threads, ctx.max_sockets)
a = ctx.socket(zmq.PUB)
b = ctx.socket(zmq.PUB)
try:
    ctx.socket(zmq.PUB)
except zmq.ZMQError as e:
    print("EMFILE", e.errno == errno.EMFILE)
ctx.io_threads = 1  # after the first socket: kept, changes nothing (libzmq)
ctx.max_sockets = 5
print(ctx.io_threads, ctx.max_sockets)
try:
    ctx.socket(zmq.PUB)
except zmq.ZMQError as e:
    print("still EMFILE", e.errno == errno.EMFILE)
for opt, value in [
    (zmq.THREAD_SCHED_POLICY, 3),  # after the first socket: kept only
    (zmq.THREAD_PRIORITY, 5),
    (zmq.THREAD_AFFINITY_CPU_ADD, 0),
    (zmq.THREAD_NAME_PREFIX, 7),
    (zmq.MAX_MSGSZ, 100),
    (zmq.IPV6, 1),
    (zmq.BLOCKY, 0),
    (10, 0),
]:
    ctx.set(opt, value)
    try:
        print(int(opt), ctx.get(opt))
    except zmq.ZMQError as e:
        print(int(opt), "get:", errno.errorcode[e.errno])
for opt, value in [
    (zmq.IO_THREADS, -1),
    (zmq.MAX_SOCKETS, 0),
    (zmq.MAX_SOCKETS, 100000),
    (zmq.SOCKET_LIMIT, 5),
    (zmq.MSG_T_SIZE, 5),
    (zmq.THREAD_SCHED_POLICY, -1),
    (zmq.THREAD_AFFINITY_CPU_REMOVE, 3),
    (zmq.THREAD_AFFINITY_CPU_REMOVE, 0),
    (99, 1),
]:
    try:
        ctx.set(opt, value)
        print("set", int(opt), value, "ok")
    except zmq.ZMQError as e:
        print("set", int(opt), value, errno.errorcode[e.errno])
try:
    ctx.get(99)
except zmq.ZMQError as e:
    print("get 99", errno.errorcode[e.errno])
ctx.destroy()
try:
    ctx.get(zmq.IO_THREADS)
except RuntimeError as e:
    print("RuntimeError", e)
with zmq.Context() as c2:
    c2.set(zmq.BLOCKY, 0)
    c2.set(zmq.IPV6, 1)
    s = c2.socket(zmq.PUSH)
    print("BLOCKY 0 -> linger", s.linger, "IPV6", s.ipv6)
    c2.linger = 100
    c2.setsockopt(zmq.SUBSCRIBE, b"")
    print("defaults", sorted((int(k), v) for k, v in c2.sockopts.items()))
    print("PUSH linger", c2.socket(zmq.PUSH).linger, "SUB linger", c2.socket(zmq.SUB).linger)
with zmq.Context() as c3:
    print("default linger", c3.socket(zmq.PUSH).linger)
"""


@needs_pyzmq
def test_context_options_as_pyzmq_s_own_backend() -> None:
    ours = run_pyzmq(CONTEXT_OPTIONS)
    theirs = run_pyzmq(CONTEXT_OPTIONS, backend=NATIVE)
    assert ours == theirs
    assert ours[:5] == ["2 1023 65535", "65535 64 2147483647 1", "-1 0", "3 2", "EMFILE True"]


# -- libzmq's contract: the same output on pyzmq's own backend ----------------

FD_EVENTS = """
import select
import zmq

ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
pull.bind("tcp://127.0.0.1:*")
push = ctx.socket(zmq.PUSH)
push.connect(pull.last_endpoint.decode())
fd = pull.FD


def readable(timeout):
    return bool(select.select([fd], [], [], timeout)[0])


push.send(b"m0")
while pull.EVENTS & zmq.POLLIN == 0:  # edge-triggered: look at EVENTS after each wake-up
    assert readable(5)
print("first message seen", pull.recv(), "EVENTS", pull.EVENTS)
print("fd readable once EVENTS said 0", readable(0))
push.send(b"m1")
print("fd readable after a send", readable(5))
print("EVENTS", pull.EVENTS)
print("fd still readable once EVENTS was read", readable(0))
print("recv", pull.recv(), "EVENTS", pull.EVENTS)
push.send(b"m2")
print("fd readable again", readable(5), pull.EVENTS, pull.recv())
print("PUSH EVENTS", push.EVENTS)
ctx.destroy(linger=0)
"""

ERRORS = """
import threading
import time
import zmq

ctx = zmq.Context()
s = ctx.socket(zmq.PULL)
try:
    s.recv(zmq.NOBLOCK)
except zmq.Again as e:
    print("Again", type(e).__name__, e.errno == zmq.EAGAIN, e)
req = ctx.socket(zmq.REQ)
try:
    req.recv()
except zmq.ZMQError as e:
    print("EFSM", e.errno == zmq.EFSM, e)
s.rcvtimeo = 30
try:
    s.recv()
except zmq.Again as e:
    print("RCVTIMEO", e.errno == zmq.EAGAIN)
try:
    s.connect("nope://where")
except zmq.ZMQError as e:
    print("bad transport", e.errno == zmq.EPROTONOSUPPORT)
try:
    s.bind("tcp://127.0.0.1:notaport")
except zmq.ZMQError as e:
    print("bad address", e.errno == zmq.EINVAL)
try:
    ctx.socket(999)
except zmq.ZMQError as e:
    print("bad type", e.errno == zmq.EINVAL)
try:
    s.setsockopt(9999, 5)
except zmq.ZMQError as e:
    print("unknown option", e.errno == zmq.EINVAL)
try:
    s.setsockopt(9999, b"5")
except TypeError:
    print("unknown option with bytes: TypeError")
try:
    s.setsockopt(zmq.LINGER, b"5")
except TypeError:
    print("int option with bytes: TypeError")
s.close()
req.close()
try:
    s.send(b"x")
except zmq.ZMQError as e:
    print("closed", e.errno == zmq.ENOTSOCK, e)

blocked = ctx.socket(zmq.SUB)
seen = []


def wait_forever():
    try:
        blocked.recv()
    except zmq.ContextTerminated as e:
        seen.append((type(e).__name__, e.errno == zmq.ETERM, str(e)))
    finally:
        blocked.close()


t = threading.Thread(target=wait_forever)
t.start()
time.sleep(0.1)
ctx.term()
t.join(5)
print("term from another thread", seen, t.is_alive())
"""


@needs_pyzmq
@pytest.mark.parametrize("case", ["fd_events", "errors"])
def test_same_behaviour_as_libzmq(case: str) -> None:
    code = {"fd_events": FD_EVENTS, "errors": ERRORS}[case]
    ours = run_pyzmq(code)
    assert ours == run_pyzmq(code, backend=NATIVE)
    expected = {
        "fd_events": [
            "first message seen b'm0' EVENTS 0",
            "fd readable once EVENTS said 0 False",
            "fd readable after a send True",
            "EVENTS 1",
            "fd still readable once EVENTS was read False",
            "recv b'm1' EVENTS 0",
            "fd readable again True 1 b'm2'",
            "PUSH EVENTS 2",
        ],
        "errors": [
            "Again Again True Resource temporarily unavailable",
            "EFSM True Operation cannot be accomplished in current state",
            "RCVTIMEO True",
            "bad transport True",
            "bad address True",
            "bad type True",
            "unknown option True",
            "unknown option with bytes: TypeError",
            "int option with bytes: TypeError",
            "closed True Socket operation on non-socket",
            "term from another thread"
            " [('ContextTerminated', True, 'Context was terminated')] False",
        ],
    }[case]
    assert ours == expected


# -- polling -----------------------------------------------------------------


@needs_pyzmq
def test_poller_waits_on_sockets_and_plain_fds() -> None:
    out = run_pyzmq(
        """
        import socket
        import time
        import zmq

        ctx = zmq.Context()
        pull = ctx.socket(zmq.PULL)
        pull.bind("tcp://127.0.0.1:*")
        push = ctx.socket(zmq.PUSH)
        push.connect(pull.last_endpoint.decode())
        r, w = socket.socketpair()
        poller = zmq.Poller()
        poller.register(pull, zmq.POLLIN)
        poller.register(r, zmq.POLLIN)
        t0 = time.monotonic()
        print("timeout", poller.poll(100), 0.08 < time.monotonic() - t0 < 2)
        push.send(b"job")
        print("socket", [(s is pull, ev) for s, ev in poller.poll(5000)], pull.recv())
        w.send(b"!")
        print("fd", [(fd == r.fileno(), ev) for fd, ev in poller.poll(5000)])
        r.recv(1)
        poller.register(push, zmq.POLLOUT)
        print("pollout", [(s is push, ev) for s, ev in poller.poll(0)])
        poller.unregister(push)
        print("socket.poll", pull.poll(10), push.poll(1000, zmq.POLLOUT))
        print("select", zmq.select([pull], [push], [], 1) == ([], [push], []))
        pull.close()
        try:
            zmq.zmq_poll([(pull, zmq.POLLIN)], 0)
        except zmq.ZMQError as e:
            print("closed", e.errno == zmq.ENOTSOCK)
        r.close()
        w.close()
        ctx.destroy(linger=0)
        """
    )
    assert out == [
        "timeout [] True",
        "socket [(True, 1)] b'job'",
        "fd [(True, 1)]",
        "pollout [(True, 2)]",
        "socket.poll 0 2",
        "select True",
        "closed True",
    ]


@needs_pyzmq
def test_asyncio_round_trips_and_cancelled_recv_loses_nothing(tmp_path: Path) -> None:
    out = run_pyzmq(
        """
        import asyncio
        import sys
        import zmq
        import zmq.asyncio


        async def main():
            ctx = zmq.asyncio.Context()
            rep = ctx.socket(zmq.REP)
            rep.bind("tcp://127.0.0.1:*")
            req = ctx.socket(zmq.REQ)
            req.connect(rep.last_endpoint.decode())

            async def server():
                for _ in range(50):
                    await rep.send(await rep.recv() + b"!")

            task = asyncio.ensure_future(server())
            for i in range(50):
                await req.send(b"%d" % i)
                reply = await asyncio.wait_for(req.recv(), 5)
            await asyncio.wait_for(task, 5)
            print("req/rep", reply)

            pull = ctx.socket(zmq.PULL)
            pull.bind(f"ipc://{sys.argv[1]}/pull.ipc")
            push = ctx.socket(zmq.PUSH)
            push.connect(pull.last_endpoint.decode())
            pending = asyncio.ensure_future(pull.recv())
            await asyncio.sleep(0.05)
            pending.cancel()
            await push.send(b"after cancel")
            print("cancelled", pending.cancelled(), await asyncio.wait_for(pull.recv(), 5))

            async def produce():
                for i in range(3000):
                    await push.send_multipart([b"n", b"%d" % i])

            producer = asyncio.ensure_future(produce())
            got = [int((await asyncio.wait_for(pull.recv_multipart(), 5))[1]) for _ in range(3000)]
            await producer
            print("in order", got == list(range(3000)))

            poller = zmq.asyncio.Poller()
            poller.register(pull, zmq.POLLIN)
            print("poll empty", await poller.poll(50))
            await push.send(b"ready")
            print("poll", [(s is pull, e) for s, e in await poller.poll(5000)], await pull.recv())
            pull.rcvtimeo = 50
            try:
                await pull.recv()
            except zmq.Again:
                print("RCVTIMEO raises Again")
            sync = zmq.Context(ctx)  # a sync shadow of the async context
            s = sync.socket(zmq.PUSH)
            s.connect(pull.last_endpoint.decode())
            s.send(b"from sync")
            pull.rcvtimeo = -1
            print(await asyncio.wait_for(pull.recv(), 5))
            s.close()
            ctx.destroy(linger=0)


        asyncio.run(main())
        """,
        str(tmp_path),
    )
    assert out == [
        "req/rep b'49!'",
        "cancelled True b'after cancel'",
        "in order True",
        "poll empty []",
        "poll [(True, 1)] b'ready'",
        "RCVTIMEO raises Again",
        "b'from sync'",
    ]


@needs_pyzmq
@pytest.mark.skipif(find_spec("tornado") is None, reason="tornado is not installed")
def test_zmqstream_on_tornado() -> None:
    out = run_pyzmq(
        """
        import zmq
        from tornado.ioloop import IOLoop
        from zmq.eventloop.zmqstream import ZMQStream

        ctx = zmq.Context()
        rep = ctx.socket(zmq.REP)
        rep.bind("tcp://127.0.0.1:*")
        req = ctx.socket(zmq.REQ)
        req.connect(rep.last_endpoint.decode())
        loop = IOLoop.current()
        server, client = ZMQStream(rep), ZMQStream(req)
        replies = []
        server.on_recv(lambda msg: server.send_multipart([msg[0].upper()]))


        def on_reply(msg):
            replies.append(msg[0])
            if len(replies) < 20:
                client.send(b"hello %d" % len(replies))
            else:
                loop.stop()


        client.on_recv(on_reply)
        client.send(b"hello 0")
        timeout = loop.call_later(10, loop.stop)
        loop.start()
        loop.remove_timeout(timeout)
        print(len(replies), replies[0], replies[-1])
        server.close()
        client.close()
        ctx.term()
        """
    )
    assert out == ["20 b'HELLO 0' b'HELLO 19'"]


# -- proxies and monitors -----------------------------------------------------


@needs_pyzmq
def test_proxy_in_a_thread_push_to_pull_until_term() -> None:
    out = run_pyzmq(
        """
        import threading
        import zmq

        ctx = zmq.Context()
        frontend = ctx.socket(zmq.PULL)
        frontend.bind("tcp://127.0.0.1:*")
        backend = ctx.socket(zmq.PUSH)
        backend.bind("tcp://127.0.0.1:*")
        capture = ctx.socket(zmq.PUSH)
        capture.bind("inproc://capture")
        ended = []


        def run_proxy():
            try:
                zmq.proxy(frontend, backend, capture)
            except zmq.ContextTerminated:
                ended.append("ETERM")
            finally:
                for s in (frontend, backend, capture):
                    s.close(linger=0)


        t = threading.Thread(target=run_proxy)
        t.start()
        push = ctx.socket(zmq.PUSH)
        push.connect(frontend.last_endpoint.decode())
        pull = ctx.socket(zmq.PULL)
        pull.connect(backend.last_endpoint.decode())
        tap = ctx.socket(zmq.PULL)
        tap.connect("inproc://capture")
        for i in range(500):
            push.send_multipart([b"job", b"%d" % i])
        got = [pull.recv_multipart() for _ in range(500)]
        tapped = [tap.recv_multipart() for _ in range(500)]
        print(got[0], got[-1], got == tapped)
        for s in (push, pull, tap):
            s.close(linger=0)
        ctx.term()
        t.join(5)
        print(ended, t.is_alive())
        """
    )
    assert out == ["[b'job', b'0'] [b'job', b'499'] True", "['ETERM'] False"]


@needs_pyzmq
def test_single_socket_device_sends_back_what_it_receives() -> None:
    # The device's thread still polls when the interpreter exits: the exit
    # must be clean (serverlink's exit hook used to close its socket under it).
    out = run_pyzmq(
        """
        import zmq
        from zmq import devices

        device = devices.ThreadDevice(zmq.QUEUE, zmq.REP, -1)
        port = device.bind_in_to_random_port("tcp://127.0.0.1")
        device.start()
        ctx = zmq.Context()
        req = ctx.socket(zmq.REQ)
        req.rcvtimeo = 5000
        req.connect(f"tcp://127.0.0.1:{port}")
        for text in (b"hello", b"hello again"):
            req.send(text)
            print(req.recv())
        req.close()
        ctx.term()
        """
    )
    assert out == ["b'hello'", "b'hello again'"]


@needs_pyzmq
def test_proxy_steerable_and_monitored_queue() -> None:
    out = run_pyzmq(
        """
        import struct
        import threading
        import zmq
        from zmq.devices import monitored_queue

        ctx = zmq.Context()
        ctx.setsockopt(zmq.RCVTIMEO, 5000)
        names = ("front", "back", "ctl", "mqin", "mqout", "mqmon")
        types = (zmq.PULL, zmq.PUSH, zmq.REP, zmq.ROUTER, zmq.DEALER, zmq.PUB)
        socks = {}
        for name, kind in zip(names, types):
            socks[name] = ctx.socket(kind)
            socks[name].bind(f"inproc://{name}")
        result = []


        def steerable():
            result.append(zmq.proxy_steerable(socks["front"], socks["back"], None, socks["ctl"]))


        def queue():
            try:
                monitored_queue(socks["mqin"], socks["mqout"], socks["mqmon"])
            except zmq.ContextTerminated:
                result.append("queue ETERM")
            finally:
                for name in ("mqin", "mqout", "mqmon"):
                    socks[name].close(linger=0)


        threads = [threading.Thread(target=steerable), threading.Thread(target=queue)]
        for t in threads:
            t.start()
        client = {}
        for name, kind in (("front", zmq.PUSH), ("back", zmq.PULL), ("ctl", zmq.REQ)):
            client[name] = ctx.socket(kind)
            client[name].connect(f"inproc://{name}")
        client["front"].send(b"one")
        print(client["back"].recv())
        client["ctl"].send(b"PAUSE")
        print("PAUSE", client["ctl"].recv())
        client["front"].send(b"two")
        client["back"].rcvtimeo = 200
        try:
            client["back"].recv()
        except zmq.Again:
            print("paused")
        client["ctl"].send(b"RESUME")
        client["ctl"].recv()
        client["back"].rcvtimeo = 5000
        print(client["back"].recv())
        client["ctl"].send(b"STATISTICS")
        print([struct.unpack("=Q", f)[0] for f in client["ctl"].recv_multipart()])
        client["ctl"].send(b"TERMINATE")
        print("TERMINATE", client["ctl"].recv())
        threads[0].join(5)
        print("steerable returned", result)

        sub = ctx.socket(zmq.SUB)
        sub.subscribe(b"")
        sub.connect("inproc://mqmon")
        req = ctx.socket(zmq.REQ)
        req.connect("inproc://mqin")
        rep = ctx.socket(zmq.REP)
        rep.connect("inproc://mqout")
        req.send(b"question")
        print(rep.recv())
        rep.send(b"answer")
        print(req.recv())
        inbound, outbound = sub.recv_multipart(), sub.recv_multipart()
        print(inbound[0], inbound[-1], outbound[0], outbound[-1], len(inbound), len(outbound))
        for s in (*client.values(), sub, req, rep, socks["front"], socks["back"], socks["ctl"]):
            s.close(linger=0)
        ctx.term()
        threads[1].join(5)
        print(result, [t.is_alive() for t in threads])
        """
    )
    assert out == [
        "b'one'",
        "PAUSE b''",
        "paused",
        "b'two'",
        "[2, 6, 0, 0, 0, 0, 2, 6]",
        "TERMINATE b''",
        "steerable returned [0]",
        "b'question'",
        "b'answer'",
        "b'in' b'question' b'out' b'answer' 4 4",
        "[0, 'queue ETERM'] [False, False]",
    ]


@needs_pyzmq
def test_monitor_socket_through_pyzmq_utils_monitor() -> None:
    out = run_pyzmq(
        """
        import zmq
        from zmq.utils.monitor import recv_monitor_message

        ctx = zmq.Context()
        server = ctx.socket(zmq.REP)
        events = server.get_monitor_socket()
        server.bind("tcp://127.0.0.1:*")
        client = ctx.socket(zmq.REQ)
        client.connect(server.last_endpoint.decode())
        seen = []
        while "HANDSHAKE_SUCCEEDED" not in seen:
            msg = recv_monitor_message(events)
            seen.append(zmq.Event(msg["event"]).name)
            if seen[-1] == "LISTENING":
                print("endpoint", msg["endpoint"] == server.last_endpoint)
        print(seen)
        client.close(linger=0)
        while "DISCONNECTED" not in seen:
            seen.append(zmq.Event(recv_monitor_message(events)["event"]).name)
        print(seen[-1])
        server.disable_monitor()
        events.close()
        server.close()
        ctx.term()
        """
    )
    assert out == [
        "endpoint True",
        "['LISTENING', 'ACCEPTED', 'HANDSHAKE_SUCCEEDED']",
        "DISCONNECTED",
    ]


# -- what serverlink does not have ---------------------------------------------


@needs_pyzmq
def test_missing_features_are_reported_not_faked() -> None:
    out = run_pyzmq(
        """
        import zmq

        print({c: zmq.has(c) for c in ("ipc", "curve", "gssapi", "pgm", "draft")})
        print(zmq.zmq_version_info(), zmq.DRAFT_API, zmq.IPC_PATH_MAX_LEN > 0)
        for call in (zmq.curve_keypair, lambda: zmq.curve_public(b"x" * 40)):
            try:
                call()
            except zmq.ZMQError as e:
                print("ENOTSUP", e.errno == zmq.ENOTSUP, "CURVE" in str(e))
        ctx = zmq.Context()
        s = ctx.socket(zmq.REP)
        for option, value in ((zmq.CURVE_SERVER, 1), (zmq.PLAIN_USERNAME, b"me")):
            try:
                s.setsockopt(option, value)
            except zmq.ZMQError as e:
                print("EINVAL", e.errno == zmq.EINVAL, zmq.SocketOption(option).name in str(e))
        print("mechanism", s.mechanism == zmq.NULL)
        try:
            s.join("group")
        except RuntimeError as e:
            print("draft:", e)
        ctx.destroy()
        """
    )
    assert out == [
        "{'ipc': True, 'curve': False, 'gssapi': False, 'pgm': False, 'draft': False}",
        "(4, 3, 5) False True",
        "ENOTSUP True True",
        "ENOTSUP True True",
        "EINVAL True True",
        "EINVAL True True",
        "mechanism True",
        "draft: RADIO/DISH groups are draft API, which serverlink does not implement",
    ]


@needs_pyzmq
def test_context_left_open_at_exit_does_not_hang() -> None:
    out = run_pyzmq(
        """
        import zmq

        ctx = zmq.Context.instance()
        push = ctx.socket(zmq.PUSH)
        push.connect("tcp://127.0.0.1:9")  # nobody there: the message can never leave
        push.send(b"stuck")
        print("leaving with an open context")
        """,
        timeout=30,
    )
    assert out == ["leaving with an open context"]


@needs_pyzmq
def test_a_failed_send_of_a_buffer_left_in_a_traceback_cycle_is_collected_safely() -> None:
    # pyzmq's assertRaisesErrno keeps the exception in a frame of its own (a
    # cycle); a failed copy send left a C view exporting from the caller's
    # memoryview in that traceback, and the garbage collector then cleared the
    # memoryview first: "memoryview has 1 exported buffer", then a segfault
    # (pyzmq's own suite crashed so at TestReqRepGreen::test_bad_send_recv).
    out = run_pyzmq(
        """
        import gc, sys
        import zmq

        ctx = zmq.Context()
        rep = ctx.socket(zmq.REP)
        rep.bind("inproc://cycle")

        def attempt(copy):
            try:
                rep.send(b"asdf", copy=copy)
            except zmq.ZMQError:
                e = sys.exc_info()[1]  # frame -> e -> traceback -> frame

        for i in range(400):
            attempt(i % 2 == 0)
            if i % 50 == 0:
                gc.collect()
        rep.close()
        ctx.term()
        print("collected")
        """
    )
    assert out == ["collected"]
