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

Options, as pyzmq has them: ``get``/``set`` are libzmq's context options
(``zmq_ctx_get``/``zmq_ctx_set``, the semantics of libzmq 4.3.5, see
:meth:`Context.set`); ``setsockopt``/``getsockopt`` (and ``sockopts``) are
defaults applied to every new socket; attributes name either, by option
name (``ctx.max_sockets = 10`` sets a context option, ``ctx.linger = 0`` a
socket default), with pyzmq's rules. The pyzmq backend
(``serverlink.backend``) uses this implementation and only adapts errors.
"""

from __future__ import annotations

import atexit
import errno as _errno
import logging
import os
import threading
import time
import warnings
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, TypeVar, cast

from serverlink._binding import CContext, CSocket, pollers
from serverlink.constants import ContextOption, SocketOption
from serverlink.error import ETERM, ContextTerminated, ZMQError
from serverlink.socket import Socket
from serverlink.threads import (
    IoThread,
    LoopThread,
    Reaper,
    apply_scheduling,
    loop_thread_idents,
)


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


#: libzmq's defaults and limits.
MAX_SOCKETS_DEFAULT = 1023
SOCKET_LIMIT = 65535
MSG_T_SIZE = 64  # sizeof(zmq_msg_t): what libzmq answers, for code that asks
_INT_MAX = 2**31 - 1
_IPV6 = int(SocketOption.IPV6)
_BLOCKY = int(SocketOption.BLOCKY)
_ZERO_COPY_RECV = int(ContextOption.ZERO_COPY_RECV)


class IoThreadList(list[IoThread]):
    """A context's I/O threads; as a number (``int()``, ``==``), how many there are.

    pyzmq's ``ctx.io_threads`` is the IO_THREADS option, an int; serverlink's
    was, and is, the list of its threads. This list is both: ``ctx.io_threads
    == 2`` and ``int(ctx.io_threads)`` read as pyzmq code means them, and
    ``ctx.io_threads = 2`` sets the option.
    """

    __hash__ = None

    def __index__(self) -> int:
        return len(self)

    def __int__(self) -> int:
        return len(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int) and not isinstance(other, bool):
            return len(self) == other
        return list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other


class _Options:
    """libzmq's context options (ctx.cpp), as last set."""

    def __init__(self, io_threads: int) -> None:
        self.io_threads = io_threads
        self.max_sockets = MAX_SOCKETS_DEFAULT
        self.ipv6 = False
        self.blocky = True
        self.max_msgsz = _INT_MAX
        self.zero_copy = True
        self.thread_priority = -1
        self.thread_sched_policy = -1
        self.thread_affinity: frozenset[int] = frozenset()
        self.thread_name_prefix = ""
        # Fixed when the first socket is made, as libzmq starts then.
        self.started = False
        self.max_sockets_in_effect = MAX_SOCKETS_DEFAULT


def _int_value(option: int, value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if not isinstance(value, int):
        raise TypeError(
            f"value of context option {_option_name(option)} must be an int, "
            f"not {type(value).__name__}"
        )
    return value


def _option_name(option: int) -> str:
    names = {_IPV6: "IPV6", _BLOCKY: "BLOCKY", 3: "SOCKET_LIMIT/THREAD_PRIORITY"}
    if option in names:
        return names[option]
    try:
        return ContextOption(option).name
    except ValueError:
        return str(option)


def _einval(option: int, why: str) -> ZMQError:
    return ZMQError(_errno.EINVAL, f"Invalid argument: context option {_option_name(option)} {why}")


def _atoi(text: str) -> int:
    """C's atoi (what libzmq's get(THREAD_NAME_PREFIX) returns)."""
    t = text.lstrip()
    end = 1 if t[:1] in ("-", "+") else 0
    while end < len(t) and t[end].isdigit():
        end += 1
    try:
        return int(t[:end])
    except ValueError:
        return 0


_log = logging.getLogger("serverlink")
_live: weakref.WeakSet[Context] = weakref.WeakSet()
_instance_lock = threading.Lock()
_C = TypeVar("_C", bound="Context")


class Context:
    """A serverlink context: the owner of sockets and of the loop threads."""

    #: What ``socket()`` makes (``serverlink.asyncio.Context`` makes asyncio sockets).
    _socket_class: ClassVar[type[Socket]] = Socket

    #: Socket options every new socket gets (``setsockopt``; pyzmq's ``sockopts``).
    sockopts: dict[int, Any]

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
        self._sockets: weakref.WeakSet[Socket] = weakref.WeakSet()
        self._reserved = 0  # sockets being made (counted against MAX_SOCKETS)
        self._reaper: Reaper | None = None
        self._io: list[IoThread] = []
        self._opts = _Options(io_threads)
        self.sockopts = {}
        self._start_loops(io_threads)
        _live.add(self)

    def _start_loops(self, io_threads: int) -> None:
        """A new C context with its reaper and ``io_threads`` I/O threads running."""
        cctx = CContext()
        self._ctx = cctx
        self._reaper = None
        self._io = []
        try:
            self._reaper = Reaper(cctx, self._poller)
            self._reaper.start()
            for i in range(io_threads):
                t = IoThread(cctx, self._poller, i)
                t.start()
                self._io.append(t)
            loops = self._loops()
            for loop in loops:
                loop.set_name_prefix(self._opts.thread_name_prefix)
            o = self._opts
            self._schedule(loops, o.thread_sched_policy, o.thread_priority, o.thread_affinity)
        except BaseException:
            self._shutdown()
            raise

    def _loops(self) -> list[LoopThread]:
        loops: list[LoopThread] = [*self._io]
        if self._reaper is not None:
            loops.append(self._reaper)
        return loops

    # -- introspection --------------------------------------------------

    @property
    def poller(self) -> str:
        """The poller backend every loop of this context runs on."""
        return self._poller

    @property
    def io_threads(self) -> IoThreadList:
        """The I/O threads (a list that compares and converts as their count, see
        :class:`IoThreadList`); setting it sets the IO_THREADS option."""
        return IoThreadList(self._io)

    @io_threads.setter
    def io_threads(self, value: int) -> None:
        self.set(ContextOption.IO_THREADS, value)

    @property
    def reaper(self) -> Reaper:
        """The reaper thread (it finishes closed sockets)."""
        if self._reaper is None:
            raise ContextTerminated(ETERM)
        return self._reaper

    @property
    def closed(self) -> bool:
        """True once ``term()`` has finished."""
        return self._closed

    @property
    def underlying(self) -> int:
        """The address of the C context (0 once terminated)."""
        return 0 if self._ctx is None else self._ctx.address

    def _check_open(self) -> CContext:
        ctx = self._ctx
        if self._closed or ctx is None:
            raise ContextTerminated(ETERM)
        return ctx

    # -- options (libzmq's zmq_ctx_set/zmq_ctx_get) ------------------------

    def set(self, option: int, optval: int | str | bytes) -> None:
        """Set a context option (libzmq 4.3.5's ``zmq_ctx_set``).

        libzmq starts its threads with a context's first socket, and so
        IO_THREADS, MAX_SOCKETS and the thread options take effect only when
        set before that socket; set later, they are kept (``get`` returns
        them) and change nothing. serverlink's loop threads run from
        ``Context()`` on, and take those set before the first socket at once:

        - IO_THREADS (>= 0): the loops restart with the new count (on a new
          C context: ``underlying`` changes). MAX_SOCKETS (>= 1) is
          enforced: a socket past it raises ``ZMQError(EMFILE)``.
        - THREAD_SCHED_POLICY, THREAD_PRIORITY (>= 0), THREAD_AFFINITY_CPU_ADD
          and _REMOVE (a CPU number; removing one not added is EINVAL):
          applied to every loop thread with libzmq's rules (see
          ``serverlink.threads.apply_scheduling``). When the OS refuses
          (EPERM without the privilege, EINVAL for a priority the policy
          does not take), ``ZMQError`` with its errno, and the option keeps
          its value (libzmq aborts the process there). Where the platform
          has no way to apply them (Linux is the one that has), they are
          kept and a ``RuntimeWarning`` says they have no effect.
        - THREAD_NAME_PREFIX (an int, or str/bytes of 1..16 bytes): the loop
          threads are named ``PREFIX/serverlink-io-N`` (``LoopThread.name``)
          and ``PREFIX/sl-io-N`` (the OS's name, on Linux).

        Any time: IPV6 and BLOCKY (>= 0) are defaults of sockets made
        afterwards (IPV6 set; LINGER 0 when BLOCKY is 0, where libzmq's
        default LINGER is -1); MAX_MSGSZ (>= 0, at most INT_MAX) and
        ZERO_COPY_RECV (>= 0) are kept and returned by ``get`` (in libzmq
        4.3.5 neither changes anything a program can see either; message
        sizes are MAXMSGSIZE's job). SOCKET_LIMIT and MSG_T_SIZE are
        read-only (SOCKET_LIMIT's number, 3, sets THREAD_PRIORITY, as in
        libzmq). Anything else, or a value out of range: ``ZMQError(EINVAL)``.
        """
        restart = None
        with self._lock:
            self._check_open()
            o = self._opts
            if option == ContextOption.THREAD_NAME_PREFIX and isinstance(optval, (str, bytes)):
                raw = optval.encode() if isinstance(optval, str) else bytes(optval)
                if not 0 < len(raw) <= 16:
                    raise _einval(option, "must be 1..16 bytes")
                self._set_name_prefix(raw.decode("utf-8", "replace"))
                return
            value = _int_value(option, optval)
            if value < 0:
                raise _einval(option, f"must be >= 0, not {value}")
            if option == ContextOption.IO_THREADS:
                o.io_threads = value
                if not o.started and value != len(self._io):
                    restart = value
            elif option == ContextOption.MAX_SOCKETS:
                if value < 1:
                    raise _einval(option, "must be >= 1")
                o.max_sockets = value
                if not o.started:
                    o.max_sockets_in_effect = value
            elif option == _IPV6:
                o.ipv6 = value != 0
            elif option == _BLOCKY:
                o.blocky = value != 0
            elif option == ContextOption.MAX_MSGSZ:
                o.max_msgsz = min(value, _INT_MAX)
            elif option == _ZERO_COPY_RECV:
                o.zero_copy = value != 0
            elif option == ContextOption.THREAD_PRIORITY:
                self._reschedule(option, value, o.thread_sched_policy, value, o.thread_affinity)
                o.thread_priority = value
            elif option == ContextOption.THREAD_SCHED_POLICY:
                self._reschedule(option, value, value, o.thread_priority, o.thread_affinity)
                o.thread_sched_policy = value
            elif option == ContextOption.THREAD_AFFINITY_CPU_ADD:
                cpus = o.thread_affinity | {value}
                self._reschedule(option, value, -1, -1, cpus)
                o.thread_affinity = cpus
            elif option == ContextOption.THREAD_AFFINITY_CPU_REMOVE:
                if value not in o.thread_affinity:
                    raise _einval(option, f"cannot remove CPU {value}: it was not added")
                cpus = o.thread_affinity - {value}
                # No CPU left means no affinity set (as libzmq): the threads keep theirs.
                self._reschedule(option, value, -1, -1, cpus)
                o.thread_affinity = cpus
            elif option == ContextOption.THREAD_NAME_PREFIX:
                self._set_name_prefix(str(value))
            else:
                raise _einval(option, "is not one serverlink (or libzmq 4.3.5) has")
            if restart is not None:
                self._restart_loops(restart)

    def get(self, option: int) -> int:
        """A context option's value (libzmq 4.3.5's ``zmq_ctx_get``; see :meth:`set`).

        SOCKET_LIMIT is 65535 and MSG_T_SIZE 64 (libzmq's ``zmq_msg_t``);
        THREAD_PRIORITY's number is SOCKET_LIMIT's, so it reads 65535, and
        the affinity options cannot be read (EINVAL), as in libzmq.
        """
        with self._lock:
            self._check_open()
            o = self._opts
            values: dict[int, Callable[[], int]] = {
                ContextOption.IO_THREADS: lambda: o.io_threads,
                ContextOption.MAX_SOCKETS: lambda: o.max_sockets,
                ContextOption.SOCKET_LIMIT: lambda: SOCKET_LIMIT,
                _IPV6: lambda: int(o.ipv6),
                _BLOCKY: lambda: int(o.blocky),
                ContextOption.MAX_MSGSZ: lambda: o.max_msgsz,
                ContextOption.MSG_T_SIZE: lambda: MSG_T_SIZE,
                _ZERO_COPY_RECV: lambda: int(o.zero_copy),
                ContextOption.THREAD_SCHED_POLICY: lambda: o.thread_sched_policy,
                ContextOption.THREAD_NAME_PREFIX: lambda: _atoi(o.thread_name_prefix),
            }
            value = values.get(int(option))
            if value is None:
                raise _einval(option, "cannot be read")
            return value()

    @property
    def thread_name_prefix(self) -> str:
        """THREAD_NAME_PREFIX as set (``get`` returns it as C's atoi would)."""
        return self._opts.thread_name_prefix

    @thread_name_prefix.setter
    def thread_name_prefix(self, value: int | str | bytes) -> None:
        self.set(ContextOption.THREAD_NAME_PREFIX, value)

    def _set_name_prefix(self, prefix: str) -> None:
        self._opts.thread_name_prefix = prefix
        if not self._opts.started:
            for loop in self._loops():
                loop.set_name_prefix(prefix)

    def _reschedule(
        self, option: int, value: int, policy: int, priority: int, cpus: frozenset[int]
    ) -> None:
        """Apply scheduling options to the loop threads (before the first socket),
        or say why they cannot take effect."""
        if self._opts.started:
            return
        try:
            self._schedule(self._loops(), policy, priority, cpus)
        except OSError as e:
            raise ZMQError(
                e.errno,
                f"{os.strerror(e.errno or 0)}: context option {_option_name(option)}={value} "
                "cannot take effect on serverlink's loop threads",
            ) from None

    @staticmethod
    def _schedule(
        loops: list[LoopThread], policy: int, priority: int, cpus: frozenset[int]
    ) -> None:
        if policy == -1 and priority == -1 and not cpus:
            return
        try:
            for loop in loops:
                if loop.native_id is None:
                    raise NotImplementedError("this platform gives no thread ids")
                apply_scheduling(loop.native_id, policy, priority, cpus)
        except NotImplementedError as e:
            warnings.warn(
                f"serverlink's thread scheduling options are kept but have no effect: {e}",
                RuntimeWarning,
                stacklevel=4,
            )

    def _restart_loops(self, io_threads: int) -> None:
        """Before the first socket: a new C context with ``io_threads`` I/O threads."""
        cctx = self._check_open()
        cctx.term_start()  # no socket yet: the reaper is done at once
        cctx.term_wait(-1)
        self._stop_loops()
        self._start_loops(io_threads)

    # -- socket defaults (pyzmq's) ------------------------------------------

    def setsockopt(self, opt: int, value: Any) -> None:
        """Set a socket option every socket made from now on gets (pyzmq's).

        An option a socket type refuses is skipped for that socket, as pyzmq
        does (SUBSCRIBE on a PUSH, say).
        """
        self.sockopts[opt] = value

    def getsockopt(self, opt: int) -> Any:
        """A default set with :meth:`setsockopt` (KeyError if none, as pyzmq's)."""
        return self.sockopts[opt]

    # -- attributes: option names, with pyzmq's rules ------------------------

    def __getattr__(self, name: str) -> Any:
        # Only names Python did not find: a context option's or a socket default's.
        if name.startswith("_"):
            raise AttributeError(name)
        key = name.upper()
        if key in ContextOption.__members__:
            try:
                return self.get(ContextOption[key])
            except ZMQError as e:
                if e.errno == _errno.EINVAL:
                    raise AttributeError(f"{name} attribute is write-only") from None
                raise
        if key in SocketOption.__members__:
            opt = SocketOption[key]
            if opt in self.sockopts:
                return self.sockopts[opt]
            raise AttributeError(f"no default set for socket option {key}")
        raise AttributeError(f"{type(self).__name__} has no such option: {key}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name in self.__dict__ or _declared(type(self), name):
            object.__setattr__(self, name, value)
            return
        key = name.upper()
        if key in ContextOption.__members__:
            self.set(ContextOption[key], value)
        elif key in SocketOption.__members__:
            self.sockopts[SocketOption[key]] = value
        else:
            raise AttributeError(f"{type(self).__name__} has no such option: {key}")

    def __delattr__(self, name: str) -> None:
        if name in self.__dict__ or name.startswith("_"):
            object.__delattr__(self, name)
            return
        key = name.upper()
        if key not in SocketOption.__members__:
            raise AttributeError(f"No such socket option: {key!r}")
        opt = SocketOption[key]
        if opt not in self.sockopts:
            raise AttributeError(key)
        del self.sockopts[opt]

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *(n.lower() for n in ContextOption.__members__)]

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
        self._stop_loops()
        self._closed = True
        _live.discard(self)

    def _stop_loops(self) -> None:
        """Stop and join the loop threads, then free the C context."""
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
        for loop in self._loops():
            loop._release()
        cctx.destroy()
        self._ctx = None

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

    def socket(
        self, socket_type: int, socket_class: Callable[..., Socket] | None = None, **kwargs: Any
    ) -> Socket:
        """Create a socket of the given type (``serverlink.PUSH``...).

        It gets the context's socket defaults (:meth:`setsockopt`); one its
        type refuses is skipped, as pyzmq does. ``socket_class`` (and
        ``kwargs`` for it) makes another class of socket, as pyzmq's.
        After ``term()``: ``ContextTerminated`` (ETERM).
        """
        make = self._socket_class if socket_class is None else socket_class
        s = make(self, socket_type, **kwargs)
        for opt, value in list(self.sockopts.items()):
            try:
                s.setsockopt(opt, value)
            except ZMQError:
                pass  # an option this type refuses (SUBSCRIBE on a PUSH...)
        return s

    def _new_csocket(self, socket_type: int) -> CSocket:
        """A new C socket, counted against MAX_SOCKETS, with the context's IPV6 and
        BLOCKY defaults (what every socket class is made through)."""
        with self._lock:
            cctx = self._check_open()
            o = self._opts
            if not o.started:
                o.started = True
                o.max_sockets_in_effect = o.max_sockets
            limit = o.max_sockets_in_effect
            if len(self._sockets) + self._reserved >= limit:
                raise ZMQError(
                    _errno.EMFILE,
                    f"Too many open files: the context's MAX_SOCKETS ({limit}) sockets are open",
                )
            h = CSocket(cctx, socket_type)
            self._reserved += 1
        try:
            if o.ipv6:
                h.set(_IPV6, 1)
            if not o.blocky:
                h.set(SocketOption.LINGER, 0)
        except BaseException:
            h.close(0)
            with self._lock:
                self._reserved -= 1
            raise
        return h

    def _register(self, s: Socket) -> None:
        with self._lock:
            self._reserved -= 1
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


def _declared(cls: type, name: str) -> bool:
    """Whether ``name`` is an attribute the class (or a base) declares (pyzmq's rule)."""
    return any(name in c.__dict__ or name in getattr(c, "__annotations__", {}) for c in cls.__mro__)


@atexit.register
def _term_all_at_exit() -> None:
    for ctx in list(_live):
        ctx._term_at_exit()
