"""Context, IoThread and Reaper: start, attach, term, and never hang."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

import serverlink
from serverlink import Context, ContextTerminated

from .conftest import HAVE_PROC_TASKS, open_fds, os_thread_names

pytestmark = pytest.mark.timeout(60)
needs_proc = pytest.mark.skipif(not HAVE_PROC_TASKS, reason="needs /proc/self/task (Linux)")


def serverlink_threads(settle: float = 0.0) -> list[str]:
    """The OS names of the loop threads alive (sl-io-N, sl-reaper).

    With ``settle``, waits up to that many seconds for the list to empty: a
    joined thread still has its last instructions to run before the OS
    forgets it.
    """
    deadline = time.monotonic() + settle
    while True:
        names = sorted(n for n in os_thread_names() if n.startswith("sl-"))
        if not names or time.monotonic() >= deadline:
            return names
        time.sleep(0.01)


def test_pollers_lists_epoll_and_poll_on_linux() -> None:
    names = serverlink.pollers()
    if sys.platform.startswith("linux"):
        assert names[:2] == ["epoll", "poll"]
    assert len(names) == len(set(names))


def test_default_poller_is_the_first_listed() -> None:
    # ... unless SERVERLINK_POLLER names another (CI runs these tests so on kqueue).
    with Context() as ctx:
        assert ctx.poller == (os.environ.get("SERVERLINK_POLLER") or serverlink.pollers()[0])
        assert ctx.reaper.poller == ctx.poller


def test_unknown_poller_raises_value_error_listing_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown poller 'select'.*'poll'"):
        Context(poller="select")


def test_poller_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVERLINK_POLLER", "poll")
    with Context() as ctx:
        assert ctx.poller == "poll"
        assert all(t.poller == "poll" for t in [ctx.reaper, *ctx.io_threads])
    monkeypatch.setenv("SERVERLINK_POLLER", "nonsense")
    with pytest.raises(ValueError, match="nonsense"):
        Context()


def test_explicit_poller_overrides_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVERLINK_POLLER", "poll")
    with Context(poller=serverlink.pollers()[0]) as ctx:
        assert ctx.poller == serverlink.pollers()[0]


@pytest.mark.parametrize("bad", ["2", 1.5, None])
def test_io_threads_must_be_an_int(bad: object) -> None:
    with pytest.raises(TypeError, match="io_threads"):
        Context(io_threads=bad)  # type: ignore[arg-type]


def test_negative_io_threads_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="io_threads"):
        Context(io_threads=-1)


@needs_proc
def test_threads_are_named_and_running(poller: str) -> None:
    ctx = Context(io_threads=3, poller=poller)
    try:
        assert serverlink_threads() == ["sl-io-0", "sl-io-1", "sl-io-2", "sl-reaper"]
        assert [t.name for t in [*ctx.io_threads, ctx.reaper]] == [
            "serverlink-io-0",
            "serverlink-io-1",
            "serverlink-io-2",
            "serverlink-reaper",
        ]
        for t in [ctx.reaper, *ctx.io_threads]:
            assert t.running and t.alive
            assert t.load == 1  # its own mailbox
            assert t.native_id is not None
    finally:
        ctx.term()
    assert serverlink_threads(settle=5) == []
    assert not any(t.alive for t in [ctx.reaper, *ctx.io_threads])


def test_loop_threads_are_os_threads_not_python_threads() -> None:
    # As libzmq's background threads: threading does not list them, so
    # nothing that patches threading (gevent) can turn them into greenlets.
    before = threading.active_count()
    with Context(io_threads=2) as ctx:
        assert threading.active_count() == before
        assert all(t.alive for t in [ctx.reaper, *ctx.io_threads])


def test_thousand_contexts_leak_no_threads_or_fds(poller: str) -> None:
    Context(poller=poller).term()  # warm up lazily created process state
    fds, threads = open_fds(), threading.active_count()
    t0 = time.perf_counter()
    for _ in range(1000):
        Context(poller=poller).term()
    elapsed = time.perf_counter() - t0
    assert open_fds() == fds
    assert threading.active_count() == threads
    if HAVE_PROC_TASKS:
        assert serverlink_threads(settle=5) == []
    print(f"1000 create/term cycles on {poller}: {elapsed:.2f} s; fds {fds}->{open_fds()}")


def test_reaper_command_wakes_its_loop_through_the_attach_path(poller: str) -> None:
    ctx = Context(poller=poller)
    reaper, io = ctx.reaper, ctx.io_threads[0]
    try:
        for loop in (reaper, io):
            before = loop.commands
            loop.ping()
            deadline = time.monotonic() + 5
            while loop.commands == before:
                assert time.monotonic() < deadline, f"{loop.name} was never woken"
                time.sleep(0.001)
    finally:
        ctx.term()
    for loop in (reaper, io):
        assert loop.load == 0
        assert not loop.running
        assert not loop.alive


def test_term_from_another_thread_while_loops_are_busy(poller: str) -> None:
    ctx = Context(io_threads=2, poller=poller)
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            for t in ctx.io_threads:
                try:
                    t.ping()
                except RuntimeError:
                    return  # its loop has been freed: term() finished

    pingers = [threading.Thread(target=hammer) for _ in range(2)]
    for p in pingers:
        p.start()
    time.sleep(0.05)
    terminator = threading.Thread(target=ctx.term)
    terminator.start()
    terminator.join(10)
    stop.set()
    for p in pingers:
        p.join(10)
    assert not terminator.is_alive()
    assert ctx.closed
    assert all(t.load == 0 and not t.running for t in ctx.io_threads)


def test_term_twice_is_harmless() -> None:
    ctx = Context()
    ctx.term()
    ctx.term()
    assert ctx.closed


def test_use_after_term_raises_context_terminated() -> None:
    ctx = Context()
    ctx.term()
    with pytest.raises(ContextTerminated, match="terminated"):
        ctx._check_open()
    with pytest.raises(RuntimeError, match="stopped"):
        ctx.reaper.ping()


def test_context_manager_terminates() -> None:
    with Context() as ctx:
        assert not ctx.closed
    assert ctx.closed
    assert not any(t.alive for t in [ctx.reaper, *ctx.io_threads])
    if HAVE_PROC_TASKS:
        assert serverlink_threads(settle=5) == []


def test_zero_io_threads_is_allowed() -> None:
    with Context(io_threads=0) as ctx:
        assert ctx.io_threads == []
        assert ctx.reaper.running


def test_context_left_open_is_terminated_at_exit() -> None:
    code = (
        "import serverlink\n"
        "ctx = serverlink.Context(io_threads=2)\n"
        "print(sum(t.alive for t in [ctx.reaper, *ctx.io_threads]))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "3"


def test_signals_reach_python_while_loops_run() -> None:
    # Loop threads block signals, so SIGINT reaches the user's thread.
    code = (
        "import os, signal, threading, serverlink\n"
        "ctx = serverlink.Context()\n"
        "threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()\n"
        "try:\n"
        "    import time; time.sleep(5)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted')\n"
        "ctx.term()\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "interrupted"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_child_after_fork_can_make_its_own_context() -> None:
    ctx = Context()
    try:
        pid = os.fork()
        if pid == 0:  # child: the parent's threads are gone; a new context works
            try:
                with Context() as c2:
                    c2.reaper.ping()
                os._exit(0)
            except BaseException:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 0
    finally:
        ctx.term()


def test_term_right_after_close_never_stops_a_socket_being_freed() -> None:
    # term() sends STOP to every socket still in the context's list; the
    # reaper used to tear a closed socket's mailbox down before taking it
    # off that list, so a term() racing it locked a destroyed mutex (abort).
    # In a child process: the failure was an abort.
    code = (
        "import time, serverlink\n"
        "end = time.monotonic() + 3\n"
        "n = 0\n"
        "while time.monotonic() < end:\n"
        "    ctx = serverlink.Context()\n"
        "    for s in [ctx.socket(serverlink.PUSH) for _ in range(4)]:\n"
        "        s.close()\n"
        "    ctx.term()\n"
        "    n += 1\n"
        "print(n)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) > 100
