"""The binding: the one Python module that knows serverlink's C API.

Everything else in the package is sugar over this module, as pyzmq's
``sugar/`` sits over its backend: ``Context``, ``Socket``, ``Poller``,
``proxy``, ``Frame``, the loop threads, ``serverlink.asyncio`` and the pyzmq
backend call what is here and never ``serverlink._core`` (the cffi module,
typed by ``_core.pyi``).

What it offers:

- a typed low-level socket, :class:`CSocket` (close, bind/connect/unbind/
  disconnect, options marshalled from one table, every send and receive
  variant, events and fd), and the C context, loops, messages, poll items,
  release queue and proxy forwarder the sugar needs;
- the per-message functions (``fast_send``, ``fast_recv``...): on CPython
  the glue's METH_FASTCALL functions (``_glue.c``: one crossing, the bytes
  built in C, the GIL policy stated per function there); on PyPy the same
  signatures over plain cffi calls. They take the C socket's address as an
  int (0 once closed: ENOTSOCK), so the sugar's hot methods are one call;
- :func:`blocking_wait`, the one loop around a C call that waits: it owns
  EINTR (a signal's handlers run, a handler that raises ends the wait) and
  deadlines (the wait resumes for the time left);
- errno to exception: :func:`last_error` and :func:`raise_last` (the classes
  are serverlink.error's).

GIL: a plain cffi call releases the GIL for its duration. That is what the
waits want (``sl_poll``, ``sl_ctx_term_wait``, ``sl_relq_wait``,
``sl_loop_run``, ``sl_proxy_forward``) and what the rare calls here get; the
per-message calls keep it (see ``_glue.c``).
"""

from __future__ import annotations

import errno as _errno
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from serverlink import _core
from serverlink._core import ffi, lib
from serverlink.constants import BYTES_OPTIONS, FD_OPTIONS, INT64_OPTIONS, Flag, SocketOption
from serverlink.error import ZMQError, error_for

if TYPE_CHECKING:
    from serverlink._core import CData

NULL = ffi.NULL
_EINTR = _errno.EINTR
_EAGAIN = _errno.EAGAIN
_ENOTSOCK = _errno.ENOTSOCK
_DONTWAIT = int(Flag.DONTWAIT)

LOOP_IO: int = lib.SL_LOOP_IO
LOOP_REAPER: int = lib.SL_LOOP_REAPER


# -- errors ---------------------------------------------------------------


def strerror(errnum: int) -> str:
    """libzmq's text for an errno value."""
    return ffi.string(lib.sl_strerror(errnum)).decode("utf-8", "replace")


def last_errno() -> int:
    """The errno of this thread's last failed C call."""
    return ffi.errno


def last_error(what: str = "", errnum: int | None = None) -> ZMQError:
    """The exception for ``errnum`` (default: the last C errno), its text
    followed by ``(what)`` when given."""
    e = ffi.errno if errnum is None else errnum
    if not what:
        return error_for(e)
    return error_for(e, f"{strerror(e)} ({what})")


def raise_last(what: str = "") -> NoReturn:
    """Raise the exception for this thread's last C errno."""
    raise last_error(what)


def closed_error() -> ZMQError:
    return ZMQError(_ENOTSOCK, "Socket operation on non-socket (socket is closed)")


# -- the blocking wait ------------------------------------------------------


def blocking_wait(call: Callable[[int], int], timeout_ms: int) -> int:
    """``call(timeout_ms)`` (a C wait, made without the GIL) until it is done.

    Returns its result (>= 0), or -1 if it timed out (EAGAIN). A signal
    makes the wait return EINTR: Python has run the signal's handlers by
    then (at the return from C), so a handler that raises (Ctrl-C) ends the
    wait with its exception; otherwise the wait resumes for the time left
    (``timeout_ms`` < 0 waits forever). Any other error is raised.
    """
    rc = call(timeout_ms)
    if rc >= 0:
        return rc
    deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms > 0 else 0.0
    while True:
        e = ffi.errno
        if e == _EAGAIN:
            return -1
        if e != _EINTR:
            raise error_for(e)
        if timeout_ms > 0:
            timeout_ms = max(0, math.ceil((deadline - time.monotonic()) * 1000))
        rc = call(timeout_ms)
        if rc >= 0:
            return rc


def _retry(call: Callable[[], int], what: str) -> None:
    """A C call that cannot wait long, retried after EINTR (as libzmq's callers do)."""
    while call() != 0:
        if ffi.errno != _EINTR:
            raise_last(what)


# -- library ------------------------------------------------------------------


def version() -> str:
    """serverlink's own version (the C core's)."""
    return ffi.string(lib.sl_version()).decode()


def pollers() -> list[str]:
    """The poller backends this build has, best first."""
    names: list[str] = []
    while True:
        p = lib.sl_poller_name_at(len(names))
        if p == NULL:
            return names
        names.append(ffi.string(p).decode())


def address(p: CData) -> int:
    """The address of a C object (0 for NULL)."""
    return int(ffi.cast("uintptr_t", p))


# -- context and loops ----------------------------------------------------------


class CLoop:
    """A C loop (a poller and a mailbox), run by one thread (``LoopThread``).

    The attach primitives are here one by one; the decision of which to use
    is ``LoopThread._attach``'s, the one code path (see serverlink.threads).
    """

    __slots__ = ("_handle", "_p")

    def __init__(self, p: CData) -> None:
        self._p = p
        self._handle: CData | None = None  # the mailbox fd's poller entry

    def run(self) -> None:
        """Run until stopped (a blocking call, without the GIL)."""
        lib.sl_loop_run(self._p)

    def stop(self) -> None:
        lib.sl_loop_stop(self._p)

    def ping(self) -> None:
        lib.sl_loop_ping(self._p)

    def running(self) -> bool:
        return bool(lib.sl_loop_running(self._p))

    def load(self) -> int:
        return int(lib.sl_loop_load(self._p))

    def commands(self) -> int:
        return int(lib.sl_loop_commands(self._p))

    def poller_name(self) -> str:
        return ffi.string(lib.sl_loop_poller_name(self._p)).decode()

    # The attach primitives.

    def has_completion_port(self) -> bool:
        """True when the loop's poller is an I/O completion port (IOCP)."""
        return bool(lib.sl_poller_port(lib.sl_loop_poller(self._p)) != NULL)

    def signal_through_port(self) -> None:
        """Point the mailbox's signaler at the completion port (``set_iocp``)."""
        poller = lib.sl_loop_poller(self._p)
        handler = lib.sl_loop_mailbox_handler(self._p)
        signaler = lib.sl_loop_signaler(self._p)
        if lib.sl_signaler_set_iocp(signaler, lib.sl_poller_port(poller), address(handler)) != 0:
            raise_last("set_iocp")

    def set_mailbox_handler(self) -> None:
        poller = lib.sl_loop_poller(self._p)
        if lib.sl_poller_set_mailbox_handler(poller, lib.sl_loop_mailbox_handler(self._p)) != 0:
            raise_last("set_mailbox_handler")

    def clear_mailbox_handler(self) -> None:
        poller = lib.sl_loop_poller(self._p)
        lib.sl_poller_clear_mailbox_handler(poller, lib.sl_loop_mailbox_handler(self._p))

    def adjust_mailbox_load(self, delta: int) -> None:
        if lib.sl_poller_adjust_mailbox_load(lib.sl_loop_poller(self._p), delta) != 0:
            raise_last("adjust_mailbox_load")

    def add_mailbox_fd(self) -> None:
        """Register the mailbox's signaler fd with the poller."""
        poller = lib.sl_loop_poller(self._p)
        fd = lib.sl_signaler_fd(lib.sl_loop_signaler(self._p))
        handle = lib.sl_poller_add_fd(poller, fd, lib.sl_loop_mailbox_handler(self._p))
        if handle == NULL:
            raise_last("add_fd")
        self._handle = handle

    def set_mailbox_pollin(self) -> None:
        assert self._handle is not None
        lib.sl_poller_set_pollin(lib.sl_loop_poller(self._p), self._handle)

    def rm_mailbox_fd(self) -> None:
        if self._handle is not None:
            lib.sl_poller_rm_fd(lib.sl_loop_poller(self._p), self._handle)
            self._handle = None


class CContext:
    """A C context: the registry of loops and sockets, and its termination."""

    __slots__ = ("__weakref__", "_p")

    def __init__(self) -> None:
        p = lib.sl_ctx_new()
        if p == NULL:
            raise_last("context")
        self._p = p

    @property
    def address(self) -> int:
        return address(self._p)

    def add_loop(self, kind: int, poller: str | None) -> CLoop:
        """A new loop of ``kind`` (LOOP_IO, LOOP_REAPER) on the named poller."""
        loop = lib.sl_ctx_add_loop(self._p, kind, poller.encode() if poller else NULL)
        if loop == NULL:
            raise_last()
        return CLoop(loop)

    def term_start(self) -> None:
        """Tell every socket to stop and the reaper to finish (returns at once)."""
        if lib.sl_ctx_term_start(self._p) != 0:
            raise_last()

    def term_wait(self, timeout_ms: int = -1) -> bool:
        """Wait (without the GIL) for the reaper's ``done``; False if the time ran out."""
        p = self._p
        return blocking_wait(lambda t: lib.sl_ctx_term_wait(p, t), timeout_ms) == 0

    def terminating(self) -> bool:
        return bool(lib.sl_ctx_terminating(self._p))

    def destroy(self) -> None:
        """Free the context and its loops (their threads must have been joined)."""
        if self._p != NULL:
            lib.sl_ctx_destroy(self._p)
            self._p = NULL


# -- the per-message functions ------------------------------------------------


class FastFunctions(NamedTuple):
    """The per-message calls; each takes the C socket's address as an int."""

    send: Callable[[int, bytes, int], None]
    send_buffer: Callable[[int, int, int, int], None]
    recv: Callable[[int, int], bytes]
    send_multipart: Callable[[int, Any, int], None]
    recv_multipart: Callable[[int, int], list[bytes]]
    send_many: Callable[[int, Any, int], int]
    recv_many: Callable[[int, int, int], list[Any]]
    send_msg: Callable[[int, int, int], None]
    recv_msg: Callable[[int, int], int]


def _sock(addr: int) -> CData:
    return ffi.cast("sl_socket *", addr)


def _fail() -> None:
    """After a failed call: return to retry (EINTR), else raise."""
    e = ffi.errno
    if e != _EINTR:
        raise error_for(e)


def _cffi_send(addr: int, data: bytes, flags: int) -> None:
    if type(data) is not bytes:
        raise TypeError("data must be bytes")
    while lib.sl_send(_sock(addr), data, len(data), flags) != 0:
        _fail()


def _cffi_send_buffer(addr: int, at: int, size: int, flags: int) -> None:
    p = ffi.cast("const char *", at)
    while lib.sl_send(_sock(addr), p, size, flags) != 0:
        _fail()


def _cffi_recv(addr: int, flags: int) -> bytes:
    data = ffi.new("const char **")
    more = ffi.new("int *")
    s = _sock(addr)
    while (n := lib.sl_recv(s, flags, data, more)) < 0:
        _fail()
    out = ffi.unpack(data[0], n)
    lib.sl_recv_done(s)  # copied out: the message's memory goes now
    return out


def _cffi_send_multipart(addr: int, parts: Any, flags: int) -> None:
    # The tuple and the views are held until the call returns: the C side
    # reads the parts without the GIL (a list could change meanwhile).
    held = tuple(parts)
    if not held:
        raise ValueError("msg_parts must not be empty")
    for i, p in enumerate(held):
        if type(p) is not bytes:
            raise TypeError(f"part {i} of msg_parts must be bytes")
    views = [ffi.from_buffer(p) for p in held]
    try:
        ptrs = ffi.new("const char *[]", views)
        lens = ffi.new("size_t[]", [len(p) for p in held])
        while lib.sl_send_multipart(_sock(addr), ptrs, lens, len(held), flags) != 0:
            _fail()
    finally:
        for v in views:
            ffi.release(v)


def _cffi_recv_multipart(addr: int, flags: int) -> list[bytes]:
    data = ffi.new("const char ***")
    sizes = ffi.new("size_t **")
    s = _sock(addr)
    while (n := lib.sl_recv_multipart(s, flags, data, sizes)) < 0:
        _fail()
    d, z = data[0], sizes[0]
    out = [ffi.unpack(d[i], z[i]) for i in range(n)]
    lib.sl_recv_done(s)  # copied out: the message's memory goes now
    return out


def _cffi_send_many(addr: int, messages: Any, flags: int) -> int:
    held = tuple(messages)
    for i, m in enumerate(held):
        if type(m) is not bytes:
            raise TypeError(f"message {i} must be bytes, not {type(m).__name__}")
    sent = 0
    for m in held:
        f = flags if sent == 0 else flags | _DONTWAIT
        while lib.sl_send(_sock(addr), m, len(m), f) != 0:
            if sent and ffi.errno == _EAGAIN:
                return sent
            _fail()
        sent += 1
    return sent


def _cffi_recv_many(addr: int, max_messages: int, flags: int) -> list[Any]:
    if max_messages < 1:
        raise ValueError("max_messages must be at least 1")
    out: list[Any] = []
    while len(out) < max_messages:
        f = flags if not out else flags | _DONTWAIT
        try:
            parts = _cffi_recv_multipart(addr, f)
        except ZMQError as e:
            if out and e.errno == _EAGAIN:
                break
            raise
        out.append(parts[0] if len(parts) == 1 else parts)
    return out


def _cffi_send_msg(addr: int, msg: int, flags: int) -> None:
    m = ffi.cast("sl_msg *", msg)
    while lib.sl_send_msg(_sock(addr), m, flags) != 0:
        _fail()


def _cffi_recv_msg(addr: int, flags: int) -> int:
    while (m := lib.sl_recv_msg(_sock(addr), flags)) == NULL:
        _fail()
    return address(m)


_CFFI = FastFunctions(
    _cffi_send,
    _cffi_send_buffer,
    _cffi_recv,
    _cffi_send_multipart,
    _cffi_recv_multipart,
    _cffi_send_many,
    _cffi_recv_many,
    _cffi_send_msg,
    _cffi_recv_msg,
)


def fast_functions(use_glue: bool = True) -> FastFunctions:
    """The glue's functions where they can be installed (CPython), else cffi's.

    ``use_glue=False`` gives the cffi versions (what PyPy runs; the tests
    run both).
    """
    if not use_glue or lib.slpy_install() != 1:
        return _CFFI
    return FastFunctions(
        _core.fast_send,
        _core.fast_send_buffer,
        _core.fast_recv,
        _core.fast_send_multipart,
        _core.fast_recv_multipart,
        _core.fast_send_many,
        _core.fast_recv_many,
        _core.fast_send_msg,
        _core.fast_recv_msg,
    )


_FAST = fast_functions()
#: send(addr, data: bytes, flags): one part, copied.
fast_send = _FAST.send
#: send_buffer(addr, address, size, flags): one part copied from memory the caller holds.
fast_send_buffer = _FAST.send_buffer
#: recv(addr, flags) -> bytes.
fast_recv = _FAST.recv
#: send_multipart(addr, list or tuple of bytes, flags): TypeError for other parts.
fast_send_multipart = _FAST.send_multipart
#: recv_multipart(addr, flags) -> list of bytes.
fast_recv_multipart = _FAST.recv_multipart
#: send_many(addr, messages, flags) -> how many were queued.
fast_send_many = _FAST.send_many
#: recv_many(addr, max, flags) -> messages (bytes, or lists of bytes).
fast_recv_many = _FAST.recv_many
#: send_msg(addr, msg address, flags): another reference to a message.
fast_send_msg = _FAST.send_msg
#: recv_msg(addr, flags) -> the address of a message the caller must adopt.
fast_recv_msg = _FAST.recv_msg


# -- messages and zero-copy ------------------------------------------------------


class ReleaseQueue:
    """Where C posts the tokens of zero-copy buffers it no longer reads."""

    __slots__ = ("_out", "_p")

    def __init__(self) -> None:
        p = lib.sl_relq_new()
        if p == NULL:
            raise_last("release queue")
        self._p = p
        self._out = ffi.new("uint64_t[]", 256)

    def take(self) -> list[int]:
        """The tokens released since the last take (the caller serialises takes)."""
        out = self._out
        tokens: list[int] = []
        while True:
            n = lib.sl_relq_take(self._p, out, 256)
            tokens.extend(int(out[i]) for i in range(n))
            if n < 256:
                return tokens

    def wait(self, timeout_ms: int) -> bool:
        """Wait (without the GIL) until a token is there; False on timeout."""
        p = self._p
        return blocking_wait(lambda t: lib.sl_relq_wait(p, t), timeout_ms) == 0


def _owning_data_pointer(m: CData) -> CData:
    """A ``char *`` to m's bytes that destroys m when it is collected: buffers
    taken from it keep it alive, so the bytes stay valid while anything can
    still read them."""
    ptr = ffi.cast("char *", lib.sl_msg_data(m))
    return ffi.gc(ptr, lambda _p, m=m: lib.sl_msg_destroy(m))


class Msg:
    """A C message owned by Python (a Frame's): destroyed with the last
    reference to it or to a buffer of its bytes."""

    __slots__ = ("_data", "address", "more", "size")

    def __init__(self, m: CData) -> None:
        self.address = address(m)  # what fast_send_msg takes
        self.size = int(lib.sl_msg_size(m))
        self.more = bool(lib.sl_msg_more(m))
        self._data = _owning_data_pointer(m)

    @classmethod
    def adopt(cls, addr: int) -> Msg:
        """The message at ``addr``, just received (fast_recv_msg)."""
        return cls(ffi.cast("sl_msg *", addr))

    @classmethod
    def copy_of(cls, data: Any) -> Msg:
        """A message holding a copy of ``data`` (any contiguous buffer)."""
        with ffi.from_buffer(data) as buf:
            m = lib.sl_msg_new(buf, len(buf))
        if m == NULL:
            raise_last()
        return cls(m)

    @classmethod
    def over(cls, buf: CData, queue: ReleaseQueue, token: int) -> Msg:
        """A message over ``buf`` (from :func:`view`), not copied: the caller
        keeps ``buf`` alive until ``token`` comes back from ``queue``."""
        m = lib.sl_msg_new_zc(buf, len(buf), queue._p, token)
        if m == NULL:
            raise_last()
        return cls(m)

    def buffer(self) -> memoryview:
        """The bytes, in place."""
        return memoryview(ffi.buffer(self._data, self.size))

    def bytes(self) -> bytes:
        """A copy of the bytes."""
        return ffi.unpack(self._data, self.size)


def send_buffer(addr: int, data: Any, flags: int) -> None:
    """One part copied from any contiguous buffer (its view held through the call).

    The view is released before this returns, also when the send raises:
    left to the garbage collector in a traceback's cycle, an export from a
    memoryview crashed CPython (the memoryview was cleared first).
    """
    with view(data) as buf:
        fast_send_buffer(addr, address(buf), len(buf), flags)


def view(data: Any, what: str = "data") -> CData:
    """A C view of a bytes-like object (it holds the object's buffer until it
    is released: ``with view(x) as buf``, or dropped), or a TypeError naming
    what was wrong."""
    if isinstance(data, str):
        raise TypeError(f"{what} must be bytes-like, not str (encode it, or use send_string)")
    try:
        return ffi.from_buffer(data)
    except TypeError:
        raise TypeError(f"{what} must be bytes-like, not {type(data).__name__}") from None


# -- sockets ----------------------------------------------------------------------------


def _option_name(option: int) -> str:
    try:
        return SocketOption(option).name
    except ValueError:
        return str(option)


#: How each option's value is carried (the rest are C ints).
_BYTES = frozenset(int(o) for o in BYTES_OPTIONS)
_INT64 = frozenset(int(o) for o in INT64_OPTIONS)
_FD = frozenset(int(o) for o in FD_OPTIONS)
_LAST_ENDPOINT = int(SocketOption.LAST_ENDPOINT)
_EVENTS = int(SocketOption.EVENTS)
_LINGER = int(SocketOption.LINGER)
_BYTES_MAX = 256


def is_bytes_option(option: int) -> bool:
    return option in _BYTES


class CSocket:
    """A C socket: what every socket class of serverlink is sugar over.

    ``addr`` is the C socket's address, 0 once closed (every call then
    raises ENOTSOCK). Errors raise serverlink's exceptions, the text naming
    the operation. Used by one thread at a time, as the C socket is.
    """

    __slots__ = ("__weakref__", "_len", "_out", "_s", "addr", "type")

    def __init__(self, ctx: CContext, socket_type: int) -> None:
        self._s = NULL
        self.addr = 0
        self.type = socket_type
        s = lib.sl_socket_new(ctx._p, socket_type)
        if s == NULL:
            raise_last()
        self._s = s
        self.addr = address(s)
        self._out = ffi.new(f"char[{_BYTES_MAX}]")  # option values come back here
        self._len = ffi.new("size_t *")

    @property
    def closed(self) -> bool:
        return self.addr == 0

    def close(self, linger: int | None = None) -> None:
        """Hand the C socket to the reaper (LINGER set to ``linger`` first, if given)."""
        s = self._s
        if s == NULL:
            return
        if linger is not None:
            lib.sl_setsockopt(s, _LINGER, ffi.new("int *", linger), 4)
        self._s = NULL
        self.addr = 0
        lib.sl_close(s)

    def forget(self) -> None:
        """Drop the C socket without closing it (a forked child's copy: it is the parent's)."""
        self._s = NULL
        self.addr = 0

    # -- endpoints

    def bind(self, uri: str) -> None:
        self._endpoint(lib.sl_bind, uri, "bind")

    def connect(self, uri: str) -> None:
        self._endpoint(lib.sl_connect, uri, "connect")

    def unbind(self, uri: str) -> None:
        self._endpoint(lib.sl_unbind, uri, "unbind")

    def disconnect(self, uri: str) -> None:
        self._endpoint(lib.sl_disconnect, uri, "disconnect")

    def _endpoint(self, fn: Callable[[CData, bytes], int], uri: str, verb: str) -> None:
        b = uri.encode("utf-8")
        s = self._s
        _retry(lambda: fn(s, b), f"{verb} addr={uri!r}")

    def monitor(self, uri: str | None, events: int) -> None:
        """Publish connection events on a PAIR bound to ``uri`` (inproc); None stops."""
        b = uri.encode("utf-8") if uri is not None else NULL
        if lib.sl_socket_monitor(self._s, b, events) != 0:
            raise_last(f"monitor addr={uri!r}")

    # -- options (one table: _BYTES, _INT64, _FD, else int)

    def set(self, option: int, value: int | bytes) -> None:
        """Set an option: bytes for the byte options, an int for the rest.

        TypeError for a value of the wrong kind, ValueError for an int the
        option's C type cannot hold.
        """
        name = _option_name(option)
        if option in _BYTES:
            if isinstance(value, str):
                raise TypeError(f"value for {name} must be bytes, not str (use setsockopt_string)")
            if not isinstance(value, (bytes, bytearray, memoryview)):
                raise TypeError(f"value for {name} must be bytes, not {type(value).__name__}")
            buf = bytes(value)
            rc = lib.sl_setsockopt(self._s, option, buf, len(buf))
        else:
            if not isinstance(value, int):
                raise TypeError(
                    f"value for option {name} must be an int, not {type(value).__name__}"
                )
            ctype = "int64_t" if option in _INT64 else "int"
            try:
                p = ffi.new(ctype + " *", int(value))
            except OverflowError:
                raise ValueError(f"value {value} out of range for {name}") from None
            rc = lib.sl_setsockopt(self._s, option, p, ffi.sizeof(ctype))
        if rc != 0:
            raise_last(f"setsockopt {name}={value!r}")

    def get(self, option: int) -> int | bytes:
        """An option's value: bytes for the byte options, an int for the rest."""
        n = self._len
        if option in _BYTES:
            out = self._out
            n[0] = _BYTES_MAX
            self._getsockopt(option, out, n)
            raw = ffi.unpack(out, n[0])
            return raw.rstrip(b"\0") if option == _LAST_ENDPOINT else raw
        ctype = "int64_t" if option in _INT64 else "intptr_t" if option in _FD else "int"
        v = ffi.new(ctype + " *")
        n[0] = ffi.sizeof(ctype)
        self._getsockopt(option, v, n)
        return int(v[0])

    def _getsockopt(self, option: int, out: CData, n: CData) -> None:
        while lib.sl_getsockopt(self._s, option, out, n) != 0:
            if ffi.errno != _EINTR:
                raise_last(f"getsockopt {_option_name(option)}")

    def events(self) -> int:
        """EVENTS (processing the socket's pending commands first, as libzmq's)."""
        v = self._out
        n = self._len
        n[0] = 4
        if lib.sl_getsockopt(self._s, _EVENTS, v, n) != 0:
            raise_last("getsockopt EVENTS")
        return int(ffi.cast("int *", v)[0])

    def last_send_woke(self) -> bool:
        """Whether the last send woke a sleeping reader (the glue's GIL hint)."""
        return bool(lib.sl_last_send_woke(self._s))

    # -- sending and receiving (each one crossing; the fast_* functions
    #    are what the sugar's hot methods call directly)

    def send(self, data: Any, flags: int = 0) -> None:
        """One part, copied (bytes or any contiguous buffer)."""
        if type(data) is bytes:
            fast_send(self.addr, data, flags)
        else:
            send_buffer(self.addr, data, flags)

    def recv(self, flags: int = 0) -> bytes:
        return fast_recv(self.addr, flags)

    def send_multipart(self, parts: Sequence[bytes], flags: int = 0) -> None:
        fast_send_multipart(self.addr, parts, flags)

    def recv_multipart(self, flags: int = 0) -> list[bytes]:
        return fast_recv_multipart(self.addr, flags)

    def send_many(self, messages: Sequence[bytes], flags: int = 0) -> int:
        return fast_send_many(self.addr, messages, flags)

    def recv_many(self, max_messages: int, flags: int = 0) -> list[Any]:
        return fast_recv_many(self.addr, max_messages, flags)

    def send_msg(self, msg: Msg, flags: int = 0) -> None:
        """Another reference to ``msg`` (no copy of its bytes)."""
        fast_send_msg(self.addr, msg.address, flags)

    def recv_msg(self, flags: int = 0) -> Msg:
        return Msg.adopt(fast_recv_msg(self.addr, flags))

    def send_zerocopy(self, buf: CData, flags: int, queue: ReleaseQueue, token: int) -> None:
        """One part over ``buf`` (from :func:`view`), not copied: the caller
        keeps ``buf`` alive until ``token`` comes back from ``queue``."""
        s = self._s
        while lib.sl_send_zc(s, buf, len(buf), flags, queue._p, token) != 0:
            if ffi.errno != _EINTR:
                raise_last()

    def recv_into(self, buffer: memoryview, nbytes: int, flags: int = 0) -> int:
        """One part into ``buffer`` (at most ``nbytes`` of it); returns the part's size."""
        data = ffi.new("const char **")
        more = ffi.new("int *")
        while (n := lib.sl_recv(self._s, flags, data, more)) < 0:
            if ffi.errno != _EINTR:
                raise_last()
        with ffi.from_buffer(buffer, require_writable=True) as out:
            ffi.memmove(out, data[0], min(n, nbytes))
        lib.sl_recv_done(self._s)
        return n


# -- polling and proxies ------------------------------------------------------------


class PollItems:
    """An array of poll items (sockets and fds) for one ``sl_poll`` call."""

    __slots__ = ("_items", "n")

    def __init__(self, n: int) -> None:
        self.n = n
        self._items = ffi.new("sl_pollitem[]", n) if n else NULL

    def set_socket(self, i: int, s: CSocket, events: int) -> None:
        if s._s == NULL:
            raise closed_error()
        it = self._items[i]
        it.socket = s._s
        it.events = events

    def set_fd(self, i: int, fd: int, events: int) -> None:
        it = self._items[i]
        it.fd = fd
        it.events = events

    def set_events(self, i: int, events: int) -> None:
        self._items[i].events = events

    def revents(self, i: int) -> int:
        return int(self._items[i].revents)

    def poll(self, timeout_ms: int) -> int:
        """Wait up to ``timeout_ms`` (-1: forever) without the GIL; the number
        of items with events (0 when the time ran out)."""
        items, n = self._items, self.n
        return max(0, blocking_wait(lambda t: lib.sl_poll(items, n, t), timeout_ms))


class ProxyStats:
    """A proxy's counters, as libzmq 4.3.5's STATISTICS: frontend received
    messages and bytes, frontend sent messages and bytes, then the backend's."""

    __slots__ = ("_v",)

    def __init__(self) -> None:
        self._v = ffi.new("uint64_t[8]")

    def values(self) -> list[int]:
        return [int(self._v[i]) for i in range(8)]


def proxy_forward(
    src: CSocket,
    dst: CSocket,
    capture: CSocket | None,
    max_messages: int,
    stats: ProxyStats,
    recv_at: int,
    sent_at: int,
) -> int:
    """Move up to ``max_messages`` whole messages from src to dst (each part
    also to capture) while dst takes them without waiting, in one call
    without the GIL; count them in ``stats`` at ``recv_at`` and ``sent_at``.
    Returns how many moved."""
    cap = capture._s if capture is not None else NULL
    v = stats._v
    while True:
        rc = lib.sl_proxy_forward(src._s, dst._s, cap, max_messages, v + recv_at, v + sent_at)
        if rc >= 0:
            return rc
        if ffi.errno != _EINTR:
            raise_last()
