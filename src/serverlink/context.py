"""``Context``: the reaper and the I/O threads, and their orderly end.

A context starts its reaper and ``io_threads`` I/O threads on one poller
backend (chosen automatically, or by ``poller=`` or ``SERVERLINK_POLLER``).
``term()`` stops blocking calls on its sockets with ``ContextTerminated``,
waits until every closed socket has been reaped (LINGER honoured), then stops
and joins the loop threads and frees the C objects. A context left open at
interpreter exit is terminated by an atexit hook.

A forked child inherits a copy of the context but not its threads: there,
``term()``, ``destroy()`` and closing its sockets only mark them closed (as
pyzmq does), so the child never waits on a reaper that only the parent has.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from types import TracebackType
from typing import ClassVar, TypeVar, cast

from serverlink._binding import CContext, pollers
from serverlink.error import ContextTerminated, ZMQError
from serverlink.socket import Socket
from serverlink.threads import IoThread, LoopThread, Reaper, loop_thread_idents


def _choose_poller(poller: str | None) -> str:
    if poller is None:
        poller = os.environ.get("SERVERLINK_POLLER") or None
    available = pollers()
    if poller is None:
        return available[0]
    if not isinstance(poller, str):
        raise TypeError(f"poller must be a str or None, not {type(poller).__name__}")
    if poller not in available:
        raise ValueError(
            f"unknown poller {poller!r}: this build has {', '.join(repr(p) for p in available)}"
        )
    return poller


_log = logging.getLogger("serverlink")
_live: weakref.WeakSet[Context] = weakref.WeakSet()
_instance_lock = threading.Lock()
_C = TypeVar("_C", bound="Context")


class Context:
    """A serverlink context: the owner of sockets and of the loop threads."""

    #: What ``socket()`` makes (``serverlink.asyncio.Context`` makes asyncio sockets).
    _socket_class: ClassVar[type[Socket]] = Socket

    #: Seconds ``term()`` waits on sockets before it logs (logger "serverlink",
    #: WARNING) which are still open and where they bind or connect; None
    #: turns that off. Set it on a context or on the class.
    term_warning_after: float | None = 5.0

    @classmethod
    def instance(cls: type[_C], io_threads: int = 1) -> _C:
        """The process-wide shared context of this class (as pyzmq's).

        Made on first use, and made again if it was terminated or if this
        process is a fork of the one that made it. Each class has its own:
        ``serverlink.asyncio.Context.instance()`` makes asyncio sockets.
        """
        pid = os.getpid()
        inst = cls.__dict__.get("_instance")
        if inst is None or inst.closed or cls.__dict__.get("_instance_pid") != pid:
            with _instance_lock:
                inst = cls.__dict__.get("_instance")
                if inst is None or inst.closed or cls.__dict__.get("_instance_pid") != pid:
                    inst = cls(io_threads=io_threads)
                    type.__setattr__(cls, "_instance", inst)
                    type.__setattr__(cls, "_instance_pid", pid)
        return cast(_C, inst)

    def __init__(self, io_threads: int = 1, poller: str | None = None) -> None:
        if not isinstance(io_threads, int) or isinstance(io_threads, bool):
            raise TypeError(f"io_threads must be an int, not {type(io_threads).__name__}")
        if io_threads < 0:
            raise ValueError(f"io_threads must be >= 0, not {io_threads}")
        self._poller = _choose_poller(poller)
        self._pid = os.getpid()  # the process whose threads run this context
        self._lock = threading.Lock()
        # term() callers wait on this; one of them at a time waits in C
        # (the context's mailbox has one reader), see _await_termination.
        self._terminated = threading.Condition(self._lock)
        self._waiter = False
        self._closed = False
        self._ctx: CContext | None = None
        cctx = CContext()
        self._ctx = cctx
        self._sockets: weakref.WeakSet[Socket] = weakref.WeakSet()
        self._reaper: Reaper | None = None
        self._io: list[IoThread] = []
        try:
            self._reaper = Reaper(cctx, self._poller)
            self._reaper.start()
            for i in range(io_threads):
                t = IoThread(cctx, self._poller, i)
                t.start()
                self._io.append(t)
        except BaseException:
            self._shutdown()
            raise
        _live.add(self)

    # -- introspection --------------------------------------------------

    @property
    def poller(self) -> str:
        """The poller backend every loop of this context runs on."""
        return self._poller

    @property
    def io_threads(self) -> list[IoThread]:
        return list(self._io)

    @property
    def reaper(self) -> Reaper:
        if self._reaper is None:
            raise ContextTerminated(msg="context was terminated")
        return self._reaper

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def underlying(self) -> int:
        """The address of the C context (0 once terminated)."""
        return 0 if self._ctx is None else self._ctx.address

    def _check_open(self) -> CContext:
        ctx = self._ctx
        if self._closed or ctx is None:
            raise ContextTerminated(msg="context was terminated")
        return ctx

    # -- termination ----------------------------------------------------

    def term(self) -> None:
        """Terminate: wait until every socket is closed and reaped, then stop.

        Blocking calls on this context's sockets in other threads raise
        ContextTerminated; each socket must still be closed for term() to
        return (as in libzmq). Any number of threads may call term() and
        destroy() together: each returns once the context is terminated.
        After ``term_warning_after`` seconds of waiting, the sockets still
        open are logged, so that a hang explains itself.
        """
        with self._lock:
            if self._closed:
                return
            if self._forked():
                self._forget()
                return
            self._check_open().term_start()
        self._await_termination(None)

    def _await_termination(self, timeout: float | None) -> bool:
        """Wait until the context is terminated; False if ``timeout`` (s) passed first.

        One caller at a time waits in C (without the GIL; a signal runs its
        handler, and Ctrl-C ends that caller's wait), and once the reaper is
        done it stops the loops and frees the C context; the other callers
        wait here until it has, or take its place if it left early.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._terminated:
            while not self._closed and self._waiter:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._terminated.wait(left)
            if self._closed:
                return True
            self._waiter = True
            cctx = self._ctx
        assert cctx is not None
        try:
            if not self._wait_for_reaper(cctx, deadline):
                return False
            with self._lock:
                if not self._closed:
                    self._shutdown()
            return True
        finally:
            with self._terminated:
                self._waiter = False
                self._terminated.notify_all()

    def _wait_for_reaper(self, cctx: CContext, deadline: float | None) -> bool:
        """Wait in C for the reaper's ``done`` (False past the deadline), warning once."""
        after = self.term_warning_after
        warn_at = None if after is None else time.monotonic() + after
        while True:
            now = time.monotonic()
            ends = [t for t in (deadline, warn_at) if t is not None]
            if not ends:
                return cctx.term_wait(-1)
            if cctx.term_wait(max(0, int((min(ends) - now) * 1000))):
                return True
            if warn_at is not None and time.monotonic() >= warn_at:
                self._warn_open_sockets(after or 0.0)
                warn_at = None
            elif deadline is not None and time.monotonic() >= deadline:
                return False

    def _warn_open_sockets(self, waited: float) -> None:
        with self._lock:
            socks = [s for s in self._sockets if not s.closed]
        if socks:
            what = "; ".join(s._describe() for s in socks)
            _log.warning(
                "Context.term() has waited %.1f s for %d socket(s) still open: %s. "
                "term() returns once every socket is closed (close them, or call "
                "destroy(linger=0)); set Context.term_warning_after = None to silence this.",
                waited,
                len(socks),
                what,
            )
        else:
            _log.warning(
                "Context.term() has waited %.1f s: every socket is closed, and closed "
                "sockets are still sending what they queued, as their LINGER allows "
                "(close with linger=0 to drop it); set Context.term_warning_after = None "
                "to silence this.",
                waited,
            )

    def _shutdown(self) -> None:
        for t in self._io:
            t.stop()
        for t in self._io:
            t.join()
        cctx = self._ctx
        assert cctx is not None
        if self._reaper is not None:
            if not cctx.terminating():
                self._reaper.stop()  # construction failed before term(): stop it directly
            self._reaper.join()
        loops: list[LoopThread] = [*self._io]
        if self._reaper is not None:
            loops.append(self._reaper)
        for loop in loops:
            loop._release()
        cctx.destroy()
        self._ctx = None
        self._closed = True
        _live.discard(self)

    def _forked(self) -> bool:
        """True in a forked child: the C context belongs to the parent's threads."""
        return self._pid != os.getpid()

    def _forget(self) -> None:
        self._ctx = None
        self._closed = True
        _live.discard(self)

    def destroy(self, linger: int | None = None) -> None:
        """Close every socket of this context (with ``linger`` if given), then term().

        Not thread-safe against other threads using those sockets, as in pyzmq.
        """
        if self._closed:
            return
        with self._lock:
            socks = list(self._sockets)
        for s in socks:
            s.close(linger=linger)
        self.term()

    # -- sockets --------------------------------------------------------

    def socket(self, socket_type: int) -> Socket:
        """Create a socket of the given type (``serverlink.PUSH``...)."""
        return self._socket_class(self, socket_type)

    def _register(self, s: Socket) -> None:
        with self._lock:
            self._sockets.add(s)

    def _unregister(self, s: Socket) -> None:
        with self._lock:
            self._sockets.discard(s)

    def __enter__(self) -> Context:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # As pyzmq: leaving the block closes what is still open, then terms.
        self.destroy()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._io)} io threads"
        return f"<serverlink.Context {self._poller} {state}>"

    def _term_at_exit(self, grace: float = 1.0) -> None:
        """End a context left open at interpreter exit, never crashing or hanging.

        When no other Python thread is left, nobody else can be using its
        sockets: they are closed (LINGER 0) and the context terminated.
        Otherwise (daemon threads) closing a socket under a thread that is
        inside a call on it would be a use-after-free; so the sockets are
        only told to stop, through their mailboxes (their blocked calls
        raise ContextTerminated), and their owners get ``grace`` seconds to
        close them; what is still open then is left to the process's exit.
        """
        if self._closed:
            return
        if self._forked():
            self._forget()
            return
        me = threading.current_thread()
        others = [
            t
            for t in threading.enumerate()
            if t is not me and t.is_alive() and t.ident not in loop_thread_idents
        ]
        if not others:
            self.destroy(linger=0)
            return
        with self._lock:
            cctx = self._ctx
            if self._closed or cctx is None:
                return
            try:
                cctx.term_start()
            except ZMQError:
                return
        self._await_termination(grace)


@atexit.register
def _term_all_at_exit() -> None:
    for ctx in list(_live):
        ctx._term_at_exit()
