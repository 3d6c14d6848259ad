"""``Socket``: pyzmq's backend socket over a serverlink C socket.

The C socket is owned by a ``serverlink.Socket`` (the *handle*): it makes the
socket, registers it with its context (so ``destroy``, the reaper and the
atexit hook all know it) and closes it. Every backend socket on one C socket
(the original and its shadows, as ``zmq.asyncio`` makes them) holds the same
handle, found by address, so closing any of them closes all of them and no
shadow can use a freed socket: a closed handle's pointer is NULL, which
every C call reports as ENOTSOCK.

The hot methods make one cffi call each, as serverlink's own Socket does;
errors become pyzmq's exceptions. ``get(FD)`` is the socket's mailbox fd,
edge-triggered as libzmq's, and ``get(EVENTS)`` processes the socket's
commands first, as libzmq's does: that pair is what ``zmq.asyncio`` and
tornado's ``ZMQStream`` build on.
"""

from __future__ import annotations

import errno as _errno
import weakref
from typing import TYPE_CHECKING, Any, cast

import zmq
import zmq.constants
from zmq.error import ZMQError

import serverlink
from serverlink import _zerocopy
from serverlink._core import ffi, lib
from serverlink.backend.frame import Frame
from serverlink.backend.utils import (
    IPC_PATH_MAX_LEN,
    SECURITY_OPTIONS,
    error_for,
    raise_last,
    security_message,
)
from serverlink.constants import BYTES_OPTIONS, EVENT_ALL, FD_OPTIONS, INT64_OPTIONS, SocketOption
from serverlink.frame import MessageTracker as _SLTracker

if TYPE_CHECKING:
    from serverlink.backend.context import Context

_NULL = ffi.NULL
_EINTR = _errno.EINTR
_sl_send = lib.sl_send
_sl_recv = lib.sl_recv
# bytes in, bytes out: the glue's one-crossing functions (serverlink.socket)
_fast_send = serverlink.socket._fast_send
_fast_recv = serverlink.socket._fast_recv
_SLError = serverlink.ZMQError


def _pyzmq_error(e: serverlink.ZMQError) -> ZMQError:
    """pyzmq's exception for one of serverlink's (the fast calls raise those)."""
    return error_for(e.errno if e.errno is not None else _errno.EINVAL)


_unpack = ffi.unpack
_ROUTING_ID = int(SocketOption.ROUTING_ID)
_BYTES = frozenset(int(o) for o in BYTES_OPTIONS)


def _pyzmq_bytes_options() -> frozenset[int]:
    opt_type = getattr(zmq.constants, "_OptType", None)
    if opt_type is None:
        return frozenset()
    return frozenset(
        int(o)
        for o in zmq.constants.SocketOption
        if getattr(o, "_opt_type", None) == opt_type.bytes
    )


#: Options whose values are bytes for pyzmq (serverlink's, and those it lacks).
_BYTES_VALUED = _BYTES | _pyzmq_bytes_options()
_INT64 = frozenset(int(o) for o in INT64_OPTIONS)
_FD = frozenset(int(o) for o in FD_OPTIONS)

#: C socket address -> its handle, for shadows.
_handles: weakref.WeakValueDictionary[int, serverlink.Socket] = weakref.WeakValueDictionary()


def _c_addr(addr: str | bytes) -> bytes:
    if isinstance(addr, str):
        return addr.encode("utf-8")
    if isinstance(addr, bytes):
        return addr
    raise TypeError(f"address must be str or bytes, not {type(addr).__name__}")


class _NoSocket:
    """The handle of a backend socket whose construction failed: closed, NULL."""

    _s: Any = _NULL
    _addr = 0
    closed = True
    underlying = 0

    def close(self, linger: int | None = None) -> None:
        return None


_NO_SOCKET = _NoSocket()


class Socket:
    """pyzmq's backend Socket on a serverlink C socket."""

    context: Any = None
    copy_threshold: int = 0
    _shadow: bool = False
    _sl_handle: serverlink.Socket | _NoSocket = _NO_SOCKET
    _sl_data: Any
    _sl_more: Any
    _sl_int: Any
    _sl_len: Any
    _sl_bytes: Any

    def __init__(
        self,
        context: Context | None = None,
        socket_type: int = -1,
        shadow: int = 0,
        copy_threshold: int | None = None,
    ) -> None:
        self.copy_threshold = zmq.COPY_THRESHOLD if copy_threshold is None else copy_threshold
        self.context = context
        if shadow:
            handle = _handles.get(int(shadow))
            if handle is None:
                raise ZMQError(
                    _errno.ENOTSOCK,
                    f"no serverlink socket at address {int(shadow):#x} "
                    "(shadow works only with sockets made by serverlink.backend)",
                )
            self._shadow = True
        else:
            if context is None:
                raise TypeError("context must be specified")
            if socket_type < 0:
                raise TypeError("socket_type must be specified")
            make = getattr(context, "_sl_new_socket", None)
            if make is None:
                raise TypeError(
                    f"context must be a serverlink.backend Context, not {type(context).__name__}"
                )
            handle, ipv6, blocky = make(socket_type)
            _handles[handle.underlying] = handle
            if ipv6:
                lib.sl_setsockopt(handle._s, SocketOption.IPV6, ffi.new("int *", 1), 4)
            if not blocky:
                lib.sl_setsockopt(handle._s, SocketOption.LINGER, ffi.new("int *", 0), 4)
            self._shadow = False
        self._sl_handle = handle
        self._sl_data = ffi.new("const char **")
        self._sl_more = ffi.new("int *")
        self._sl_int = ffi.new("int *")
        self._sl_len = ffi.new("size_t *")
        self._sl_bytes = ffi.new("char[256]")

    # -- lifecycle ------------------------------------------------------

    @property
    def underlying(self) -> int:
        """The address of the C socket (0 once closed)."""
        return self._sl_handle.underlying

    @property
    def closed(self) -> bool:
        return self._sl_handle.closed

    @property
    def _closed(self) -> bool:
        # pyzmq's sugar reads this name (in __repr__).
        return self.closed

    def close(self, linger: int | None = None) -> None:
        """Close the socket (LINGER set to ``linger`` first, if given); returns at once."""
        h = self._sl_handle
        if not h.closed:
            h.close(linger=linger)

    # -- endpoints ------------------------------------------------------

    def bind(self, addr: str | bytes) -> None:
        b = _c_addr(addr)
        s = self._sl_handle._s
        while lib.sl_bind(s, b) != 0:
            e = ffi.errno
            if e == _EINTR:
                continue
            path = b.decode("utf-8", "replace").split("://", 1)[-1]
            if e == _errno.ENAMETOOLONG:
                raise ZMQError(
                    e,
                    f'ipc path "{path}" is longer than {IPC_PATH_MAX_LEN} characters '
                    "(sizeof(sockaddr_un.sun_path)).",
                )
            if e == _errno.ENOENT:
                raise ZMQError(e, f'No such file or directory for ipc path "{path}".')
            raise error_for(e)

    def connect(self, addr: str | bytes) -> None:
        self._endpoint(lib.sl_connect, addr)

    def unbind(self, addr: str | bytes) -> None:
        self._endpoint(lib.sl_unbind, addr)

    def disconnect(self, addr: str | bytes) -> None:
        self._endpoint(lib.sl_disconnect, addr)

    def _endpoint(self, fn: Any, addr: str | bytes) -> None:
        b = _c_addr(addr)
        s = self._sl_handle._s
        while fn(s, b) != 0:
            if ffi.errno != _EINTR:
                raise_last()

    def monitor(self, addr: str | bytes | None, events: int = EVENT_ALL) -> None:
        """Publish this socket's events on a PAIR bound to ``addr`` (inproc); None stops it."""
        if events < 0:
            events = EVENT_ALL
        b = _NULL if addr is None else _c_addr(addr)
        if lib.sl_socket_monitor(self._sl_handle._s, b, events) != 0:
            raise_last()

    def join(self, group: str | bytes) -> None:
        raise RuntimeError("RADIO/DISH groups are draft API, which serverlink does not implement")

    def leave(self, group: str | bytes) -> None:
        raise RuntimeError("RADIO/DISH groups are draft API, which serverlink does not implement")

    # -- options --------------------------------------------------------

    def set(self, option: int, optval: int | bytes) -> None:
        """Set a socket option (libzmq's numbers and value types)."""
        if isinstance(optval, str):
            raise TypeError("unicode not allowed, use setsockopt_string")
        s = self._sl_handle._s
        if option in _BYTES_VALUED:
            if not isinstance(optval, (bytes, bytearray, memoryview)):
                raise TypeError(f"expected bytes, got: {optval!r}")
            buf = bytes(optval)
            rc = lib.sl_setsockopt(s, option, buf, len(buf))
        else:
            if not isinstance(optval, int):
                raise TypeError(f"expected int, got: {optval!r}")
            ctype = "int64_t *" if option in _INT64 else "int *"
            try:
                p = ffi.new(ctype, optval)
            except OverflowError:
                raise ZMQError(_errno.EINVAL, f"value {optval} out of range") from None
            rc = lib.sl_setsockopt(s, option, p, 8 if option in _INT64 else 4)
        if rc != 0:
            self._option_failed(option)

    def _option_failed(self, option: int) -> None:
        e = ffi.errno
        if e == _errno.EINVAL and option in SECURITY_OPTIONS:
            raise ZMQError(e, security_message(option))
        raise error_for(e)

    def get(self, option: int) -> int | bytes:
        """Get a socket option: int, or bytes for the byte options."""
        s = self._sl_handle._s
        n = self._sl_len
        if option in _BYTES:
            n[0] = 256
            while lib.sl_getsockopt(s, option, self._sl_bytes, n) != 0:
                if ffi.errno != _EINTR:
                    self._option_failed(option)
            v = cast(bytes, _unpack(self._sl_bytes, n[0]))
            if option != _ROUTING_ID and v.endswith(b"\0"):
                v = v[:-1]
            return v
        if option in _INT64 or option in _FD:
            ctype = "int64_t" if option in _INT64 else "intptr_t"
            p = ffi.new(ctype + " *")
            n[0] = ffi.sizeof(ctype)
            while lib.sl_getsockopt(s, option, p, n) != 0:
                if ffi.errno != _EINTR:
                    self._option_failed(option)
            return int(p[0])
        v32 = self._sl_int
        n[0] = 4
        while lib.sl_getsockopt(s, option, v32, n) != 0:
            if ffi.errno != _EINTR:
                self._option_failed(option)
        return int(v32[0])

    # -- sending --------------------------------------------------------

    def send(self, data: Any, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """Send one frame (see pyzmq's ``Socket.send``)."""
        if type(data) is bytes and copy:
            try:
                _fast_send(self._sl_handle._addr, data, flags)
            except _SLError as e:
                raise _pyzmq_error(e) from None
            return None
        if isinstance(data, str):
            raise TypeError("unicode not allowed, use send_string")
        if isinstance(data, Frame):
            if track and not data.tracker:
                raise ValueError("Not a tracked message")
            while lib.sl_send_msg(self._sl_handle._s, data._sl_msg, flags) != 0:
                if ffi.errno != _EINTR:
                    raise_last()
            return data.tracker
        view = memoryview(data)
        if not view.contiguous:
            view = memoryview(view.tobytes())
        buf = ffi.from_buffer(view)
        if copy:
            return self._retry_send(buf, flags)
        if self.copy_threshold and len(buf) < self.copy_threshold:
            self._retry_send(buf, flags)
            return zmq._FINISHED_TRACKER
        return self._send_zerocopy(buf, flags, track)

    def _retry_send(self, buf: Any, flags: int) -> None:
        while _sl_send(self._sl_handle._s, buf, len(buf), flags) != 0:
            if ffi.errno != _EINTR:
                raise_last()

    def _send_zerocopy(self, buf: Any, flags: int, track: bool) -> Any:
        # `buf` (which holds the exported buffer) stays pinned until C releases it.
        sl_tracker = _SLTracker() if track else None
        token = _zerocopy.pin(buf, sl_tracker)
        if sl_tracker is not None:
            sl_tracker._track(token)
        q = _zerocopy.queue()
        try:
            while lib.sl_send_zc(self._sl_handle._s, buf, len(buf), flags, q, token) != 0:
                if ffi.errno != _EINTR:
                    raise_last()
        finally:
            _zerocopy.drain()
        if sl_tracker is None:
            return None
        from serverlink.backend._tracker import ZeroCopyTracker

        return ZeroCopyTracker(sl_tracker)

    # -- receiving ------------------------------------------------------

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """Receive one frame: bytes, or a ``zmq.Frame`` with ``copy=False``."""
        if copy:
            try:
                return _fast_recv(self._sl_handle._addr, flags)
            except _SLError as e:
                raise _pyzmq_error(e) from None
        while True:
            m = lib.sl_recv_msg(self._sl_handle._s, flags)
            if m != _NULL:
                return cast("type[Frame]", zmq.Frame)._sl_received(m)
            if ffi.errno != _EINTR:
                raise_last()

    def recv_into(self, buffer: Any, /, *, nbytes: int = 0, flags: int = 0) -> int:
        """Receive one frame into ``buffer``; returns the frame's size.

        Bytes past ``nbytes`` (default: the buffer's size) are discarded.
        """
        view = memoryview(buffer)
        if not view.contiguous:
            raise BufferError("Can only recv_into contiguous buffers")
        if view.readonly:
            raise BufferError("Cannot recv_into readonly buffer")
        if nbytes < 0:
            raise ValueError(f"{nbytes=} must be non-negative")
        if nbytes == 0:
            nbytes = view.nbytes
        elif nbytes > view.nbytes:
            raise ValueError(f"{nbytes=} too big for memoryview of {view.nbytes}B")
        while True:
            n = _sl_recv(self._sl_handle._s, flags, self._sl_data, self._sl_more)
            if n >= 0:
                break
            if ffi.errno != _EINTR:
                raise_last()
        ffi.memmove(ffi.from_buffer(view, require_writable=True), self._sl_data[0], min(n, nbytes))
        return int(n)
