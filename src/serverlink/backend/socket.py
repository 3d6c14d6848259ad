"""``Socket``: pyzmq's backend socket over a serverlink C socket.

The C socket is owned by a ``serverlink.Socket`` (the *handle*): it makes the
socket, registers it with its context (so ``destroy``, the reaper and the
atexit hook all know it) and closes it. Every backend socket on one C socket
(the original and its shadows, as ``zmq.asyncio`` makes them) holds the same
handle, found by address, so closing any of them closes all of them and no
shadow can use a freed socket: a closed handle has no C socket, which every
call reports as ENOTSOCK. What reaches C goes through serverlink._binding.

The hot methods make one call into C each, as serverlink's own Socket does;
errors become pyzmq's exceptions. ``get(FD)`` is the socket's mailbox fd,
edge-triggered as libzmq's, and ``get(EVENTS)`` processes the socket's
commands first, as libzmq's does: that pair is what ``zmq.asyncio`` and
tornado's ``ZMQStream`` build on.
"""

from __future__ import annotations

import errno as _errno
import weakref
from typing import TYPE_CHECKING, Any, NoReturn

import zmq
import zmq.constants
from zmq.error import ZMQError

import serverlink
from serverlink import _binding, _zerocopy
from serverlink._binding import CSocket, Msg
from serverlink.backend.frame import Frame
from serverlink.backend.utils import (
    IPC_PATH_MAX_LEN,
    SECURITY_OPTIONS,
    error_for,
    from_serverlink,
    security_message,
)
from serverlink.constants import EVENT_ALL, SocketOption
from serverlink.frame import MessageTracker as _SLTracker

if TYPE_CHECKING:
    from serverlink.backend.context import Context

# The per-message calls: the binding's one-crossing functions, as serverlink.Socket's.
_fast_send = _binding.fast_send
_fast_recv = _binding.fast_recv
_fast_recv_msg = _binding.fast_recv_msg
_fast_send_msg = _binding.fast_send_msg
_SLError = serverlink.ZMQError
_ROUTING_ID = int(SocketOption.ROUTING_ID)


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
_BYTES_VALUED = frozenset(o for o in SocketOption if _binding.is_bytes_option(o)) | (
    _pyzmq_bytes_options()
)

#: C socket address -> its handle, for shadows.
_handles: weakref.WeakValueDictionary[int, serverlink.Socket] = weakref.WeakValueDictionary()


def _c_addr(addr: str | bytes) -> str:
    if isinstance(addr, str):
        return addr
    if isinstance(addr, bytes):
        return addr.decode("utf-8")
    raise TypeError(f"address must be str or bytes, not {type(addr).__name__}")


def _closed() -> ZMQError:
    return ZMQError(_errno.ENOTSOCK, "Socket operation on non-socket (socket is closed)")


class _NoSocket:
    """The handle of a backend socket whose construction failed: closed."""

    _h: CSocket | None = None
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
            handle = make(socket_type)
            _handles[handle.underlying] = handle
            self._shadow = False
        self._sl_handle = handle

    def _sl_c(self) -> CSocket:
        """The binding's socket, or pyzmq's ENOTSOCK once closed."""
        h = self._sl_handle._h
        if h is None:
            raise _closed()
        return h

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
        uri = _c_addr(addr)
        try:
            self._sl_c().bind(uri)
        except _SLError as exc:
            e = exc.errno
            path = uri.split("://", 1)[-1]
            if e == _errno.ENAMETOOLONG:
                raise ZMQError(
                    e,
                    f'ipc path "{path}" is longer than {IPC_PATH_MAX_LEN} characters '
                    "(sizeof(sockaddr_un.sun_path)).",
                ) from None
            if e == _errno.ENOENT:
                raise ZMQError(e, f'No such file or directory for ipc path "{path}".') from None
            raise from_serverlink(exc) from None

    def connect(self, addr: str | bytes) -> None:
        try:
            self._sl_c().connect(_c_addr(addr))
        except _SLError as e:
            raise from_serverlink(e) from None

    def unbind(self, addr: str | bytes) -> None:
        try:
            self._sl_c().unbind(_c_addr(addr))
        except _SLError as e:
            raise from_serverlink(e) from None

    def disconnect(self, addr: str | bytes) -> None:
        try:
            self._sl_c().disconnect(_c_addr(addr))
        except _SLError as e:
            raise from_serverlink(e) from None

    def monitor(self, addr: str | bytes | None, events: int = EVENT_ALL) -> None:
        """Publish this socket's events on a PAIR bound to ``addr`` (inproc); None stops it."""
        if events < 0:
            events = EVENT_ALL
        try:
            self._sl_c().monitor(None if addr is None else _c_addr(addr), events)
        except _SLError as e:
            raise from_serverlink(e) from None

    def join(self, group: str | bytes) -> None:
        raise RuntimeError("RADIO/DISH groups are draft API, which serverlink does not implement")

    def leave(self, group: str | bytes) -> None:
        raise RuntimeError("RADIO/DISH groups are draft API, which serverlink does not implement")

    # -- options --------------------------------------------------------

    def set(self, option: int, optval: int | bytes) -> None:
        """Set a socket option (libzmq's numbers and value types)."""
        if isinstance(optval, str):
            raise TypeError("unicode not allowed, use setsockopt_string")
        h = self._sl_c()
        if option in _BYTES_VALUED:
            if not isinstance(optval, (bytes, bytearray, memoryview)):
                raise TypeError(f"expected bytes, got: {optval!r}")
            if not _binding.is_bytes_option(option):
                self._option_failed(option, _errno.EINVAL)  # pyzmq's, not serverlink's
        elif not isinstance(optval, int):
            raise TypeError(f"expected int, got: {optval!r}")
        try:
            h.set(option, optval)
        except ValueError:
            raise ZMQError(_errno.EINVAL, f"value {optval!r} out of range") from None
        except _SLError as e:
            self._option_failed(option, e.errno)

    def _option_failed(self, option: int, e: int | None) -> NoReturn:
        e = _errno.EINVAL if e is None else e
        if e == _errno.EINVAL and option in SECURITY_OPTIONS:
            raise ZMQError(e, security_message(option))
        raise error_for(e)

    def get(self, option: int) -> int | bytes:
        """Get a socket option: int, or bytes for the byte options."""
        h = self._sl_c()
        try:
            v = h.get(option)
        except _SLError as e:
            self._option_failed(option, e.errno)
        if isinstance(v, bytes) and option != _ROUTING_ID and v.endswith(b"\0"):
            v = v[:-1]
        return v

    # -- sending --------------------------------------------------------

    def send(self, data: Any, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """Send one frame (see pyzmq's ``Socket.send``)."""
        if type(data) is bytes and copy:
            try:
                _fast_send(self._sl_handle._addr, data, flags)
            except _SLError as e:
                raise from_serverlink(e) from None
            return None
        if isinstance(data, str):
            raise TypeError("unicode not allowed, use send_string")
        try:
            if isinstance(data, Frame):
                if track and not data.tracker:
                    raise ValueError("Not a tracked message")
                _fast_send_msg(self._sl_handle._addr, data._sl_msg.address, flags)
                return data.tracker
            view = memoryview(data)
            if not view.contiguous:
                view = memoryview(view.tobytes())
            if copy:
                _binding.send_buffer(self._sl_handle._addr, view, flags)
                return None
            if self.copy_threshold and view.nbytes < self.copy_threshold:
                _binding.send_buffer(self._sl_handle._addr, view, flags)
                return zmq._FINISHED_TRACKER
            return self._send_zerocopy(view, flags, track)
        except _SLError as e:
            raise from_serverlink(e) from None

    def _send_zerocopy(self, view: memoryview, flags: int, track: bool) -> Any:
        # The C view (which holds the exported buffer) stays pinned until C
        # releases the message.
        h = self._sl_c()
        buf = _binding.view(view)
        sl_tracker = _SLTracker() if track else None
        token = _zerocopy.pin(buf, sl_tracker)
        if sl_tracker is not None:
            sl_tracker._track(token)
        try:
            h.send_zerocopy(buf, flags, _zerocopy.queue(), token)
        except BaseException:
            del buf  # the pin alone holds the view now, not the traceback
            raise
        if sl_tracker is None:
            return None
        from serverlink.backend._tracker import ZeroCopyTracker

        return ZeroCopyTracker(sl_tracker)

    # -- receiving ------------------------------------------------------

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """Receive one frame: bytes, or a ``zmq.Frame`` with ``copy=False``."""
        try:
            if copy:
                return _fast_recv(self._sl_handle._addr, flags)
            msg = Msg.adopt(_fast_recv_msg(self._sl_handle._addr, flags))
        except _SLError as e:
            raise from_serverlink(e) from None
        return zmq.Frame._sl_received(msg)  # type: ignore[attr-defined]

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
        try:
            return self._sl_c().recv_into(view, nbytes, flags)
        except _SLError as e:
            raise from_serverlink(e) from None
