"""Context options (libzmq's zmq_ctx_set/get), socket defaults set on a context, and
attribute access, side by side with pyzmq where the behaviour must match."""

from __future__ import annotations

import errno
import os
import sys
import threading
import time
import types
import warnings
from typing import Any

import pytest

import serverlink
from serverlink import Context, ContextTerminated, ZMQError

from .conftest import HAVE_PROC_TASKS, os_thread_names

pytestmark = pytest.mark.timeout(60)

linux_only = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and HAVE_PROC_TASKS), reason="Linux threads"
)


def _outcome(call: Any) -> Any:
    try:
        return call()
    except Exception as e:  # the kind of failure is the outcome
        code = getattr(e, "errno", None)
        return (type(e).__name__, errno.errorcode.get(code, code) if code else None)


def exercise(zmq: types.ModuleType) -> list[Any]:
    """What a pyzmq program sees of context options and defaults, step by step."""
    out: list[Any] = []
    ctx = zmq.Context()
    try:
        out.append([ctx.get(o) for o in (zmq.IO_THREADS, zmq.MAX_SOCKETS, zmq.SOCKET_LIMIT)])
        out.append([ctx.max_sockets, ctx.socket_limit, ctx.thread_priority, ctx.msg_t_size])
        out.append([ctx.get(zmq.IPV6), ctx.get(zmq.BLOCKY), ctx.get(zmq.MAX_MSGSZ)])
        out.append(_outcome(lambda: ctx.thread_affinity_cpu_add))  # write-only
        out.append(_outcome(lambda: ctx.sndhwm))  # no default set
        out.append(_outcome(lambda: ctx.get(99)))
        out.append(_outcome(lambda: ctx.set(99, 1)))
        out.append(_outcome(lambda: setattr(ctx, "nonsense", 1)))
        out.append(_outcome(lambda: ctx.getsockopt(zmq.SNDHWM)))
        ctx.linger = 0
        ctx.setsockopt(zmq.SNDHWM, 7)
        ctx.subscribe = b"topic"  # refused by a PUSH, taken by a SUB
        out.append(sorted((int(k), v) for k, v in ctx.sockopts.items()))
        out.append([ctx.linger, ctx.getsockopt(zmq.SNDHWM)])
        push = ctx.socket(zmq.PUSH)
        out.append([push.linger, push.sndhwm, push.rcvhwm])
        sub = ctx.socket(zmq.SUB)
        out.append(sub.linger)
        del ctx.linger
        out.append(_outcome(lambda: ctx.linger))
        out.append(ctx.socket(zmq.PULL).linger)
        out.append(_outcome(lambda: delattr(ctx, "linger")))
        ctx.set(zmq.IPV6, 1)
        ctx.set(zmq.BLOCKY, 0)
        pull = ctx.socket(zmq.PULL)
        out.append([pull.ipv6, pull.linger])
        ctx.ipv6 = 0  # a socket option's name: a socket default, as pyzmq's
        out.append([ctx.get(zmq.IPV6), ctx.socket(zmq.PULL).ipv6])
        ctx.max_sockets = 50  # after the first socket: kept, in effect? no (libzmq)
        out.append(ctx.get(zmq.MAX_SOCKETS))
        out.append(_outcome(lambda: ctx.set(zmq.MAX_SOCKETS, 0)))
        out.append(_outcome(lambda: ctx.set(zmq.IO_THREADS, -1)))
        out.append(_outcome(lambda: ctx.set(zmq.MSG_T_SIZE, 1)))
        out.append(_outcome(lambda: ctx.set(zmq.THREAD_AFFINITY_CPU_REMOVE, 0)))
    finally:
        ctx.destroy(linger=0)
    return out


def test_options_and_defaults_as_pyzmq_s() -> None:
    zmq = pytest.importorskip("zmq")
    ours = exercise(serverlink)
    assert ours == exercise(zmq)
    assert ours[0] == [1, 1023, 65535]
    assert ours[1] == [1023, 65535, 65535, 64]


def test_max_sockets_is_enforced_and_fixed_at_the_first_socket() -> None:
    with Context() as ctx:
        ctx.max_sockets = 2
        a, b = ctx.socket(serverlink.PUB), ctx.socket(serverlink.PUB)
        with pytest.raises(ZMQError, match="MAX_SOCKETS") as info:
            ctx.socket(serverlink.PUB)
        assert info.value.errno == errno.EMFILE
        ctx.max_sockets = 10  # kept (get says so), not in effect
        assert ctx.get(serverlink.MAX_SOCKETS) == 10
        with pytest.raises(ZMQError):
            ctx.socket(serverlink.PUB)
        a.close()  # a closed socket frees its place
        c = ctx.socket(serverlink.PUB)
        assert not c.closed and not b.closed


def test_max_sockets_holds_under_threads_racing_to_make_sockets() -> None:
    with Context() as ctx:
        ctx.max_sockets = 5
        made: list[serverlink.Socket] = []
        refused: list[int] = []
        lock = threading.Lock()

        def make() -> None:
            for _ in range(5):
                try:
                    s = ctx.socket(serverlink.PUSH)
                except ZMQError as e:
                    with lock:
                        refused.append(e.errno or 0)
                else:
                    with lock:
                        made.append(s)

        threads = [threading.Thread(target=make) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(made) == 5
        assert refused == [errno.EMFILE] * 15


def test_linger_zero_on_the_context_lets_term_return() -> None:
    # ctx.linger = 0 used to be ignored: a message queued for a peer that
    # never comes kept term() waiting forever.
    ctx = Context()
    ctx.linger = 0
    push = ctx.socket(serverlink.PUSH)
    push.connect("tcp://127.0.0.1:1")  # nobody there
    push.send(b"never delivered", serverlink.DONTWAIT)
    push.close()
    done = threading.Event()
    t = threading.Thread(target=lambda: (ctx.term(), done.set()), daemon=True)
    t.start()
    assert done.wait(10), "term() waited on a message LINGER 0 should have dropped"


def test_socket_after_term_raises_context_terminated_with_eterm() -> None:
    ctx = Context()
    ctx.term()
    with pytest.raises(ContextTerminated) as info:
        ctx.socket(serverlink.PUSH)
    assert info.value.errno == serverlink.ETERM
    with pytest.raises(ContextTerminated):
        ctx.get(serverlink.IO_THREADS)
    with pytest.raises(ContextTerminated):
        ctx.set(serverlink.IO_THREADS, 1)


def test_io_threads_before_the_first_socket_restarts_the_loops() -> None:
    with Context(io_threads=1) as ctx:
        old = ctx.io_threads[0]
        ctx.io_threads = 3
        assert ctx.get(serverlink.IO_THREADS) == 3
        assert ctx.io_threads == 3 and len(ctx.io_threads) == 3
        assert all(t.alive and t.running for t in [ctx.reaper, *ctx.io_threads])
        assert not old.alive and not old.running  # (the C context may reuse its address)
        pull = ctx.socket(serverlink.PULL)
        port = pull.bind_to_random_port("tcp://127.0.0.1")
        push = ctx.socket(serverlink.PUSH)
        push.connect(f"tcp://127.0.0.1:{port}")
        push.send(b"on the new loops")
        pull.rcvtimeo = 5000
        assert pull.recv() == b"on the new loops"
        ctx.io_threads = 1  # after the first socket: kept only
        assert ctx.get(serverlink.IO_THREADS) == 1
        assert len(ctx.io_threads) == 3
        push.close(linger=0)
        pull.close(linger=0)


def test_io_threads_is_the_thread_list_and_compares_as_its_count() -> None:
    with Context(io_threads=2) as ctx:
        threads = ctx.io_threads
        assert threads == 2 and threads != 3 and int(threads) == 2
        assert [t.name for t in threads] == ["serverlink-io-0", "serverlink-io-1"]
        assert threads == list(threads)
        assert list(range(threads)) == [0, 1]
    with Context(io_threads=0) as ctx:
        assert ctx.io_threads == [] and ctx.io_threads == 0


def test_asyncio_contexts_apply_socket_defaults() -> None:
    import serverlink.asyncio as azmq

    ctx = azmq.Context()
    try:
        ctx.linger = 0
        s = ctx.socket(serverlink.PUSH)
        assert isinstance(s, azmq.Socket)
        assert s.linger == 0
    finally:
        ctx.destroy(linger=0)


def test_socket_class_and_kwargs_as_pyzmq_s() -> None:
    class Tagged(serverlink.Socket):
        def __init__(self, context: Context, socket_type: int, tag: str = "") -> None:
            super().__init__(context, socket_type)
            self.tag = tag

    with Context() as ctx:
        ctx.sndhwm = 3
        s = ctx.socket(serverlink.PUSH, socket_class=Tagged, tag="mine")
        assert isinstance(s, Tagged) and s.tag == "mine" and s.sndhwm == 3


# -- the thread options (Linux: the OS is asked what it did) -----------------


def _loop_threads(ctx: Context) -> list[serverlink.LoopThread]:
    return [ctx.reaper, *ctx.io_threads]


@linux_only
def test_thread_name_prefix_names_the_loop_threads() -> None:
    with Context(io_threads=2) as ctx:
        ctx.set(serverlink.THREAD_NAME_PREFIX, 42)
        assert ctx.get(serverlink.THREAD_NAME_PREFIX) == 42
        assert [t.name for t in _loop_threads(ctx)] == [
            "42/serverlink-reaper",
            "42/serverlink-io-0",
            "42/serverlink-io-1",
        ]
        assert sorted(n for n in os_thread_names() if n.startswith("42/")) == [
            "42/sl-io-0",
            "42/sl-io-1",
            "42/sl-reaper",
        ]
        ctx.thread_name_prefix = "app"  # libzmq's string form (zmq_ctx_set_ext)
        assert ctx.get(serverlink.THREAD_NAME_PREFIX) == 0  # atoi("app"), as libzmq
        ctx.io_threads = 1  # new loops get the prefix too
        assert sorted(n for n in os_thread_names() if n.startswith("app/")) == [
            "app/sl-io-0",
            "app/sl-reaper",
        ]
        with pytest.raises(ZMQError):
            ctx.thread_name_prefix = "x" * 17


@linux_only
def test_affinity_applies_to_every_loop_thread() -> None:
    cpu = min(os.sched_getaffinity(0))
    with Context(io_threads=2) as ctx:
        ctx.set(serverlink.THREAD_AFFINITY_CPU_ADD, cpu)
        for t in _loop_threads(ctx):
            assert t.native_id is not None
            assert os.sched_getaffinity(t.native_id) == {cpu}
        ctx.set(serverlink.THREAD_AFFINITY_CPU_REMOVE, cpu)
        with pytest.raises(ZMQError) as info:
            ctx.set(serverlink.THREAD_AFFINITY_CPU_REMOVE, cpu)
        assert info.value.errno == errno.EINVAL
    assert os.sched_getaffinity(0) != set() and cpu in os.sched_getaffinity(0)


@linux_only
def test_sched_policy_applies_and_a_refusal_is_said() -> None:
    with Context() as ctx:
        ctx.set(serverlink.THREAD_SCHED_POLICY, os.SCHED_BATCH)  # no privilege needed
        assert ctx.get(serverlink.THREAD_SCHED_POLICY) == os.SCHED_BATCH
        for t in _loop_threads(ctx):
            assert t.native_id is not None
            assert os.sched_getscheduler(t.native_id) == os.SCHED_BATCH
        # SCHED_FIFO with no priority: the kernel refuses priority 0 (libzmq aborts)
        with pytest.raises(ZMQError, match="THREAD_SCHED_POLICY=1 cannot take effect") as info:
            ctx.set(serverlink.THREAD_SCHED_POLICY, os.SCHED_FIFO)
        assert info.value.errno in (errno.EINVAL, errno.EPERM)
        assert ctx.get(serverlink.THREAD_SCHED_POLICY) == os.SCHED_BATCH


@linux_only
def test_thread_options_after_the_first_socket_are_kept_without_effect() -> None:
    with Context() as ctx:
        ctx.socket(serverlink.PUSH).close()
        before = {t.native_id: os.sched_getscheduler(t.native_id or 0) for t in ctx.io_threads}
        ctx.set(serverlink.THREAD_SCHED_POLICY, os.SCHED_IDLE)
        ctx.set(serverlink.THREAD_NAME_PREFIX, 9)
        assert ctx.get(serverlink.THREAD_SCHED_POLICY) == os.SCHED_IDLE
        assert ctx.get(serverlink.THREAD_NAME_PREFIX) == 9
        after = {t.native_id: os.sched_getscheduler(t.native_id or 0) for t in ctx.io_threads}
        assert after == before
        assert not any(n.startswith("9/") for n in os_thread_names())


def test_scheduling_without_a_way_to_apply_it_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    import serverlink.context

    def unavailable(*args: object) -> None:
        raise NotImplementedError("this platform has no per-thread scheduling call")

    monkeypatch.setattr(serverlink.context, "apply_scheduling", unavailable)
    with Context() as ctx:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ctx.set(serverlink.THREAD_AFFINITY_CPU_ADD, 0)
        assert any("no effect" in str(w.message) for w in caught)
        ctx.set(serverlink.THREAD_AFFINITY_CPU_REMOVE, 0)  # it was kept


def test_zero_copy_recv_and_max_msgsz_are_kept() -> None:
    with Context() as ctx:
        assert ctx.get(serverlink.ZERO_COPY_RECV) == 1
        ctx.set(serverlink.ZERO_COPY_RECV, 0)
        assert ctx.get(serverlink.ZERO_COPY_RECV) == 0
        ctx.set(serverlink.MAX_MSGSZ, 2**40)
        assert ctx.get(serverlink.MAX_MSGSZ) == 2**31 - 1
        with pytest.raises(TypeError, match="MAX_MSGSZ"):
            ctx.set(serverlink.MAX_MSGSZ, "big")  # type: ignore[arg-type]


def test_term_after_options_leaves_no_thread() -> None:
    ctx = Context(io_threads=2)
    ctx.io_threads = 1
    ctx.term()
    deadline = time.monotonic() + 5
    while any(t.alive for t in _loop_threads(ctx)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.alive for t in _loop_threads(ctx))
