"""The loop threads: ``LoopThread`` and its two kinds, ``IoThread`` and ``Reaper``.

Each loop thread owns a C loop (a poller and a mailbox) and makes one
blocking cffi call into it, ``sl_loop_run``, which returns when the loop is
told to stop. The C loop never calls back into Python.

The mailbox is attached to the poller by :meth:`LoopThread._attach`, the one
code path every loop thread uses (the reaper included): on an I/O completion
port, the signaler is redirected to the port (``set_iocp``), its handler is
registered as a posted-wake-up key and the load is adjusted by hand; on every
other poller, the signaler's fd is added and watched for reading. Detach
mirrors it exactly, in the loop's own thread, after the loop has stopped.
The system serverlink descends from hung at termination because its reaper
skipped the ``set_iocp`` step; here the reaper cannot take another path.

A loop thread is always a real OS thread, whatever the application patched:
it is started with the interpreter's own ``_thread`` primitives (gevent's
originals when gevent's monkey patching replaced them), never through
``threading``, whose ``Thread`` is a greenlet under ``monkey.patch_all()``:
the loop's blocking call then blocked the process's only OS thread, and
``Context()`` never returned. Like libzmq's background threads, loop
threads are therefore not in ``threading.enumerate()``; the OS knows them
as ``sl-io-N`` and ``sl-reaper`` (Linux), and :attr:`LoopThread.name` is
``serverlink-io-N`` / ``serverlink-reaper``.
"""

from __future__ import annotations

import _thread
import os
import sys
import time
from collections.abc import Callable
from typing import Any, ClassVar

from serverlink._binding import LOOP_IO, LOOP_REAPER, CContext, CLoop

_StartThread = Callable[[Callable[[], None], tuple[()]], int]

# The interpreter's primitives as they were when serverlink was imported
# (what a patch made after that does not change).
_START: _StartThread = _thread.start_new_thread
_ALLOCATE_LOCK: Callable[[], Any] = _thread.allocate_lock
_NATIVE_ID: Callable[[], int] | None = getattr(_thread, "get_native_id", None)

#: Thread idents of the loop threads running now (Context's exit hook skips them).
loop_thread_idents: set[int] = set()


def _primitives() -> tuple[_StartThread, Callable[[], Any], Callable[[], int] | None]:
    """start_new_thread, allocate_lock and get_native_id as the interpreter made them.

    When gevent's monkey module is loaded, ``_thread`` may have been patched
    before serverlink was imported: gevent keeps the originals.
    """
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None:
        start, lock = monkey.get_original("_thread", ["start_new_thread", "allocate_lock"])
        native = monkey.get_original("_thread", "get_native_id") if _NATIVE_ID else None
        return start, lock, native
    return _START, _ALLOCATE_LOCK, _NATIVE_ID


def native_lock() -> Any:
    """A lock of the interpreter's own (one that works between OS threads
    even where gevent replaced ``threading``'s)."""
    return _primitives()[1]()


def start_os_thread(target: Callable[[], None], os_name: str) -> int:
    """Run ``target`` in a new real OS thread (whatever gevent patched), known
    to the OS as ``os_name``; returns its ident."""
    start, _, native_id = _primitives()

    def run() -> None:
        if native_id is not None:
            set_os_thread_name(native_id(), os_name)
        target()

    return start(run, ())


def apply_scheduling(native_id: int, policy: int, priority: int, cpus: frozenset[int]) -> None:
    """Apply libzmq's thread scheduling options to one OS thread (Linux).

    As libzmq's ``thread_t::applySchedulingParameters``: ``policy`` -1 keeps
    the thread's policy; under SCHED_FIFO/SCHED_RR ``priority`` (-1: keep)
    is the static priority, under the other policies it is 0 and a
    ``priority`` above 0 lowers the thread's nice value to -20; ``cpus``
    (when not empty) is its CPU affinity. Raises NotImplementedError where
    the platform gives no way to do this for another thread, and OSError
    when the OS refuses (libzmq aborts the process there).
    """
    setscheduler = getattr(os, "sched_setscheduler", None)
    setaffinity = getattr(os, "sched_setaffinity", None)
    if not sys.platform.startswith("linux") or setscheduler is None or setaffinity is None:
        raise NotImplementedError(f"{sys.platform} has no per-thread scheduling call in Python")
    if policy != -1 or priority != -1:
        if policy == -1:
            policy = os.sched_getscheduler(native_id)
        realtime = policy in (os.SCHED_FIFO, os.SCHED_RR)
        if not realtime:
            level = 0
        elif priority != -1:
            level = priority
        else:
            level = os.sched_getparam(native_id).sched_priority
        setscheduler(native_id, policy, os.sched_param(level))
        if not realtime and priority > 0:
            os.setpriority(os.PRIO_PROCESS, native_id, -20)
    if cpus:
        setaffinity(native_id, cpus)


def set_os_thread_name(native_id: int | None, name: str) -> bool:
    """Name an OS thread of this process (what top -H, gdb and py-spy show).

    Linux only (through /proc; 15 bytes kept, as the kernel keeps). It is a
    cosmetic: False where it cannot be done, as libzmq ignores failures too.
    """
    if native_id is None or not sys.platform.startswith("linux"):
        return False
    try:
        with open(f"/proc/self/task/{native_id}/comm", "wb") as f:
            f.write(name.encode("utf-8", "replace")[:15])
        return True
    except OSError:
        return False


class LoopThread:
    """A thread running one C loop. Use :class:`IoThread` or :class:`Reaper`."""

    kind: ClassVar[int]

    def __init__(self, cctx: CContext, poller: str | None, name: str, os_name: str) -> None:
        self._loop: CLoop | None = cctx.add_loop(self.kind, poller)
        # What introspection reports once the C loop is freed (see _release).
        self._final: dict[str, Any] | None = None
        start, allocate_lock, native_id = _primitives()
        self._start_thread = start
        self._get_native_id = native_id
        self._lock = allocate_lock()  # orders ping()/stop() against _release()
        self._done = allocate_lock()  # held from start() until the thread ends
        self._iocp = False
        self._base_name = name
        self._base_os_name = os_name
        self._name = name
        self._os_name = os_name
        self._ident: int | None = None
        self._native_id: int | None = None

    def _c(self) -> CLoop:
        loop = self._loop
        if loop is None:
            raise RuntimeError(f"{self.name} has stopped")
        return loop

    # The one attach/detach path (see the module docstring).

    def _attach(self) -> None:
        loop = self._c()
        self._iocp = loop.has_completion_port()
        if self._iocp:
            loop.signal_through_port()
            loop.set_mailbox_handler()
            loop.adjust_mailbox_load(1)
        else:
            loop.add_mailbox_fd()
            loop.set_mailbox_pollin()

    def _detach(self) -> None:
        loop = self._c()
        if self._iocp:
            loop.adjust_mailbox_load(-1)
            loop.clear_mailbox_handler()
        else:
            loop.rm_mailbox_fd()

    def _run(self) -> None:
        try:
            if self._get_native_id is not None:
                self._native_id = self._get_native_id()
            set_os_thread_name(self._native_id, self._os_name)
            self._c().run()  # blocks, without the GIL, until stopped
            self._detach()
        finally:
            if self._ident is not None:
                loop_thread_idents.discard(self._ident)
            self._done.release()

    def start(self) -> None:
        """Attach the mailbox, start the OS thread, return once the C loop runs.

        Attaching first means no command sent before the loop runs is missed.
        """
        self._attach()
        self._done.acquire()
        try:
            self._ident = self._start_thread(self._run, ())
        except BaseException:
            self._done.release()
            raise
        loop_thread_idents.add(self._ident)
        deadline = time.monotonic() + 10.0
        loop = self._c()
        while not loop.running():
            if not self.alive or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0)

    def stop(self) -> None:
        """Ask the loop to stop (a command; returns at once)."""
        with self._lock:
            if self._final is None:
                self._c().stop()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the thread has ended (it ends once its loop is stopped)."""
        if self._ident is None:  # never started: nothing to join
            return
        if self._done.acquire(True, -1 if timeout is None else max(0.0, timeout)):
            self._done.release()

    def _release(self) -> None:
        """Record the final state; the context is about to free the C loop."""
        with self._lock:
            self._final = {
                "poller": self.poller,
                "load": self.load,
                "running": self.running,
                "commands": self.commands,
            }
            self._loop = None

    def ping(self) -> None:
        """Send the loop a no-op command; :attr:`commands` counts it once run."""
        with self._lock:
            if self._final is not None:
                raise RuntimeError(f"{self.name} has stopped")
            self._c().ping()

    @property
    def name(self) -> str:
        """``serverlink-io-N`` or ``serverlink-reaper``."""
        return self._name

    def set_name_prefix(self, prefix: str) -> None:
        """Prefix the thread's names with ``prefix/`` (libzmq's THREAD_NAME_PREFIX).

        The OS name (Linux) is cut to 15 bytes, as libzmq's is.
        """
        lead = f"{prefix}/" if prefix else ""
        self._name = lead + self._base_name
        self._os_name = lead + self._base_os_name
        if self._native_id is not None and self.alive:
            set_os_thread_name(self._native_id, self._os_name)

    @property
    def os_name(self) -> str:
        """The name the OS knows the thread by (Linux; at most 15 bytes of it are kept)."""
        return self._os_name

    @property
    def native_id(self) -> int | None:
        """The OS's id of the thread (None before it starts, or where there is none)."""
        return self._native_id

    @property
    def poller(self) -> str:
        """The poller backend this loop runs on."""
        if self._final is not None:
            return self._final["poller"]  # type: ignore[no-any-return]
        return self._c().poller_name()

    @property
    def load(self) -> int:
        """Registered fds plus attached mailboxes (zero once stopped)."""
        if self._final is not None:
            return self._final["load"]  # type: ignore[no-any-return]
        return self._c().load()

    @property
    def running(self) -> bool:
        """True while the C loop runs."""
        if self._final is not None:
            return self._final["running"]  # type: ignore[no-any-return]
        return self._c().running()

    @property
    def alive(self) -> bool:
        """True from start() until the thread ends."""
        return self._ident is not None and bool(self._done.locked())

    @property
    def commands(self) -> int:
        """Commands this loop has processed."""
        if self._final is not None:
            return self._final["commands"]  # type: ignore[no-any-return]
        return self._c().commands()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.name} {self.poller} {state} load={self.load}>"


class IoThread(LoopThread):
    """An I/O thread: listeners, connecters, sessions, engines and timers."""

    kind = LOOP_IO

    def __init__(self, cctx: CContext, poller: str | None, index: int) -> None:
        super().__init__(cctx, poller, f"serverlink-io-{index}", f"sl-io-{index}")


class Reaper(LoopThread):
    """The reaper: finishes closed sockets, then tells the context it is done."""

    kind = LOOP_REAPER

    def __init__(self, cctx: CContext, poller: str | None) -> None:
        super().__init__(cctx, poller, "serverlink-reaper", "sl-reaper")
