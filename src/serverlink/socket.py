"""``Socket``: pyzmq's socket API over the C socket core.

The hot methods are a few lines each that make one cffi call: ``send``
passes the bytes straight to C (which copies them into the message, or
stores them inline), ``recv`` gets back a pointer and a size and makes the
``bytes`` object from them. ``send_multipart`` and ``recv_multipart`` cross
into C once per message, not once per part. Blocking waits happen in C
without the GIL; a signal interrupts them so Ctrl-C works.

The helpers (``send_json``, ``recv_pyobj``, ``send_serialized``...) are
pyzmq's: they encode, then make the one call of ``send``/``recv``. The
compound operations call this class's ``send``/``recv`` directly, never an
override, so the asyncio subclass can reuse them as its non-blocking attempts.
"""

from __future__ import annotations

import builtins
import errno as _errno
import json
import pickle
import random
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from serverlink import _binding, _zerocopy
from serverlink._binding import CSocket, Msg, PollItems, closed_error
from serverlink.constants import EVENT_ALL, Flag, PollEvent, SocketOption, SocketType
from serverlink.error import ZMQBindError, ZMQError
from serverlink.frame import Frame, MessageTracker

if TYPE_CHECKING:
    from serverlink.context import Context
    from serverlink.poll import Poller

#: Below this size a copy=False send copies anyway (as pyzmq's default).
COPY_THRESHOLD = 65536

# The per-message calls: one crossing each, the GIL kept unless they block
# (the binding's fast functions; see _glue.c).
_fast_send = _binding.fast_send
_fast_recv = _binding.fast_recv
_fast_send_multipart = _binding.fast_send_multipart
_fast_recv_multipart = _binding.fast_recv_multipart
_fast_send_buffer = _binding.fast_send_buffer
_fast_send_many = _binding.fast_send_many
_fast_recv_many = _binding.fast_recv_many
_fast_send_msg = _binding.fast_send_msg
_fast_recv_msg = _binding.fast_recv_msg
_ENOTSOCK = _errno.ENOTSOCK

# Orders close() between threads (a socket closed by its thread while
# Context.destroy() closes it from another is closed once).
_close_lock = threading.Lock()

#: The pickle protocol of ``send_pyobj`` (as pyzmq's).
DEFAULT_PROTOCOL = pickle.DEFAULT_PROTOCOL

_T = TypeVar("_T")
_RT = TypeVar("_RT")


def _timeout_ms(timeout: float | None) -> int:
    """pyzmq's poll timeout: milliseconds; None or negative waits forever."""
    if timeout is None or timeout < 0:
        return -1
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of milliseconds or None, not {timeout!r}")
    return int(timeout)


def _closed_error() -> ZMQError:
    return closed_error()


class Socket:
    """A serverlink socket. Create it with ``Context.socket(type)``."""

    #: The binding's socket (what Poller, proxy and the pyzmq backend reach).
    _h: CSocket | None
    #: The C socket's address, 0 once closed: what the hot methods pass.
    _addr: int
    context: Context
    _type: int
    #: True on sockets whose waiters must hear of commands processed elsewhere
    #: (``serverlink.asyncio.Socket``): a Poller then calls ``_pump`` after polling.
    _async: bool = False
    #: How many asyncio operations wait on this socket (always 0 here).
    _waiting: int = 0
    # Instance attributes are set as attributes, never through __dict__:
    # touching __dict__ makes CPython 3.11 give up its inline attribute
    # values, and every ``self._addr`` of the per-message path then costs
    # twice as much (bench/profile_calls.py: 26.8 vs 8.9 ns per read).
    _pollers: weakref.WeakSet[Poller] | None
    _monitor_socket: Socket | None
    _pollitem: PollItems | None
    #: (verb, endpoint) of the binds and connects in force (what term() names).
    _endpoints: list[tuple[str, str]]

    def __init__(self, context: Context, socket_type: int) -> None:
        if not isinstance(socket_type, int) or isinstance(socket_type, bool):
            raise TypeError(f"socket_type must be an int, not {type(socket_type).__name__}")
        self._h = None
        self._addr = 0
        self._type = socket_type
        self._closed = True  # until the C socket exists
        try:
            h = context._new_csocket(socket_type)
        except ZMQError as e:
            if e.errno == _errno.EINVAL:
                names = ", ".join(t.name for t in SocketType if t <= SocketType.XSUB)
                raise ValueError(
                    f"unsupported socket type {socket_type!r}: use one of {names}"
                ) from None
            raise
        self._h = h
        self._addr = h.addr
        self.context = context
        self._pollers = None  # the Pollers whose cached items name this socket
        self._pollitem = None
        self._endpoints = []
        self._closed = False
        context._register(self)

    def _c(self) -> CSocket:
        """The binding's socket, or ENOTSOCK once closed."""
        h = self._h
        if h is None:
            raise closed_error()
        return h

    # -- lifecycle ------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once ``close()`` has been called (or the context closed the socket)."""
        return bool(self._closed)

    @property
    def type(self) -> int:
        """The socket type (``serverlink.PUSH``...), as ``getsockopt(TYPE)``."""
        return self._type

    @property
    def socket_type(self) -> int:
        """The socket type (pyzmq's other name for ``type``)."""
        return self._type

    @property
    def underlying(self) -> int:
        """The address of the C socket (0 once closed)."""
        return self._addr

    def close(self, linger: int | None = None) -> None:
        """Hand the socket to the reaper and return at once.

        ``linger`` (ms), if given, replaces the LINGER option first: 0 drops
        queued messages, -1 keeps trying to deliver them, N tries for N ms.
        """
        if linger is not None and not isinstance(linger, int):
            raise TypeError(f"linger must be an int, not {type(linger).__name__}")
        with _close_lock:
            if self._closed:
                return
            h = self._h
            self._h = None
            self._addr = 0
            self._closed = True
        self._pollitem = None
        pollers = getattr(self, "_pollers", None)
        if pollers:
            for p in list(pollers):
                p._forget_items()  # their cached items point at the C socket
        if h is not None:
            if self.context._forked():
                h.forget()  # (in a forked child the C socket is the parent's)
            else:
                h.close(linger)
        self.context._unregister(self)

    def _registered_in(self, poller: Poller) -> None:
        """``poller`` caches this socket's C pointer: tell it when it closes."""
        pollers = getattr(self, "_pollers", None)
        if pollers is None:
            pollers = weakref.WeakSet()
            self._pollers = pollers
        pollers.add(poller)

    def __enter__(self) -> Socket:
        return self

    def __exit__(
        self,
        exc_type: builtins.type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # A socket dropped without close() would keep term() waiting forever.
        if not getattr(self, "_closed", True):
            self.close()

    def __repr__(self) -> str:
        try:
            name = SocketType(self._type).name
        except ValueError:
            name = str(self._type)
        state = " closed" if self._closed else ""
        kind = "serverlink.asyncio.Socket" if self._async else "serverlink.Socket"
        return f"<{kind}({name}){state} at {id(self):#x}>"

    # -- endpoints ------------------------------------------------------

    def _endpoint(self, verb: str, addr: str) -> None:
        if not isinstance(addr, str):
            raise TypeError(f"addr must be a str, not {type(addr).__name__}")
        h = self._c()
        getattr(h, verb)(addr)
        if verb in ("bind", "connect"):
            if verb == "bind" and "*" in addr:
                addr = cast(bytes, h.get(SocketOption.LAST_ENDPOINT)).decode("utf-8", "replace")
            self._endpoints.append((verb, addr))
        else:
            was = "bind" if verb == "unbind" else "connect"
            if (was, addr) in self._endpoints:
                self._endpoints.remove((was, addr))

    def _describe(self) -> str:
        """Its type and endpoints, e.g. ``PUSH (connect tcp://127.0.0.1:5555)``."""
        try:
            name = SocketType(self._type).name
        except ValueError:
            name = str(self._type)
        ends = ", ".join(f"{verb} {addr}" for verb, addr in self._endpoints)
        return f"{name} ({ends or 'no endpoint'})"

    def bind(self, addr: str) -> None:
        """Bind to an endpoint (``inproc://name``, ``tcp://host:port``, ``ipc://path``)."""
        self._endpoint("bind", addr)

    def connect(self, addr: str) -> None:
        """Connect to an endpoint; the connection is made (and remade) in the background."""
        self._endpoint("connect", addr)

    def unbind(self, addr: str) -> None:
        """Stop listening on an endpoint given to ``bind`` (or reported by ``last_endpoint``)."""
        self._endpoint("unbind", addr)

    def disconnect(self, addr: str) -> None:
        """Drop the connection made by ``connect(addr)``."""
        self._endpoint("disconnect", addr)

    # -- monitoring -----------------------------------------------------

    def monitor(self, addr: str | None, events: int = EVENT_ALL) -> None:
        """Publish this socket's connection events on a PAIR bound to ``addr``.

        ``addr`` must be an ``inproc://`` endpoint; ``None`` stops monitoring.
        Read the events with :func:`serverlink.utils.monitor.recv_monitor_message`.
        """
        if addr is not None and not isinstance(addr, str):
            raise TypeError(f"addr must be a str or None, not {type(addr).__name__}")
        self._c().monitor(addr, events)

    def disable_monitor(self) -> None:
        """Stop the monitoring started by ``monitor``/``get_monitor_socket``."""
        self._monitor_socket = None
        self.monitor(None)

    def get_monitor_socket(self, events: int = EVENT_ALL, addr: str | None = None) -> Socket:
        """Start monitoring and return a PAIR socket that receives the events."""
        if addr is None:
            addr = f"inproc://serverlink.monitor.{id(self):x}"
        self.monitor(addr, events)
        m = self.context.socket(SocketType.PAIR)
        m.connect(addr)
        self._monitor_socket = m
        return m

    # -- options --------------------------------------------------------

    def setsockopt(self, option: int, value: int | bytes) -> None:
        """Set a socket option (libzmq's numbers; see ``SocketOption``)."""
        self._c().set(option, value)

    def getsockopt(self, option: int) -> int | bytes:
        """Get a socket option's value (int, or bytes for byte options)."""
        return self._c().get(option)

    set = setsockopt
    get = getsockopt

    def setsockopt_string(self, option: int, value: str, encoding: str = "utf-8") -> None:
        """Set a bytes option from a str, encoded (UTF-8 by default)."""
        if not isinstance(value, str):
            raise TypeError(f"value must be a str, not {type(value).__name__}")
        self.setsockopt(option, value.encode(encoding))

    def getsockopt_string(self, option: int, encoding: str = "utf-8") -> str:
        """Get a bytes option as a str, decoded (UTF-8 by default)."""
        v = self.getsockopt(option)
        if not isinstance(v, bytes):
            raise TypeError(f"option {self._option_name(option)} is not a bytes option")
        return v.decode(encoding)

    set_string = setsockopt_string
    get_string = getsockopt_string

    @staticmethod
    def _option_name(option: int) -> str:
        try:
            return SocketOption(option).name
        except ValueError:
            return str(option)

    if TYPE_CHECKING:
        # Every option is also an attribute (``sock.reconnect_ivl = 50``):
        # properties made below the class, so attribute access stays on
        # Python's fast path (a __getattr__ hook slows every ``self.x``).
        def __getattr__(self, name: str) -> Any: ...

    def subscribe(self, topic: str | bytes) -> None:
        """SUB: receive messages starting with ``topic`` (str is UTF-8 encoded)."""
        self.setsockopt(SocketOption.SUBSCRIBE, topic.encode() if isinstance(topic, str) else topic)

    def unsubscribe(self, topic: str | bytes) -> None:
        """SUB: stop receiving messages for a ``topic`` given to ``subscribe``."""
        self.setsockopt(
            SocketOption.UNSUBSCRIBE, topic.encode() if isinstance(topic, str) else topic
        )

    # -- sending --------------------------------------------------------

    def send(
        self, data: Any, flags: int = 0, copy: bool = True, track: bool = False
    ) -> MessageTracker | None:
        """Send one message part (``flags``: DONTWAIT, SNDMORE).

        ``data`` is bytes or any object with the buffer protocol, or a
        Frame. With ``copy=False`` a large buffer is not copied: serverlink
        keeps the object alive until it is done with it; ``track=True``
        returns a MessageTracker that tells when that is.
        """
        if type(data) is bytes and copy and not track:
            _fast_send(self._addr, data, flags)
            return None
        if isinstance(data, Frame):
            _fast_send_msg(self._addr, data._msg.address, flags)
            return data.tracker
        buf = _binding.view(data)
        if (copy or len(buf) < COPY_THRESHOLD) and not track:
            with buf:  # released even if the send raises (see _binding.send_buffer)
                _fast_send_buffer(self._addr, _binding.address(buf), len(buf), flags)
            return None
        # Zero-copy: the view (which holds the object's exported buffer, so
        # a bytearray cannot be resized under C) stays pinned until C has
        # released every copy of the message.
        # The watcher thread drops the pin once C is done (or at once, if the
        # send fails: C releases the message it made).
        h = self._c()
        tracker = MessageTracker() if track else None
        token = _zerocopy.pin(buf, tracker)
        if tracker is not None:
            tracker._track(token)
        try:
            h.send_zerocopy(buf, flags, _zerocopy.queue(), token)
        except BaseException:
            del buf  # the pin alone holds the view now, not the traceback
            raise
        return tracker

    def send_multipart(
        self, msg_parts: Sequence[Any], flags: int = 0, copy: bool = True, track: bool = False
    ) -> MessageTracker | None:
        """Send a multipart message: all parts are delivered or none."""
        if copy and not track and type(msg_parts) in (list, tuple):
            try:
                _fast_send_multipart(self._addr, msg_parts, flags)
                return None
            except TypeError:
                pass  # a part that is not bytes: the general path below
        if isinstance(msg_parts, (bytes, str)) or not hasattr(msg_parts, "__len__"):
            raise TypeError(
                f"msg_parts must be a sequence of bytes-like parts, not {type(msg_parts).__name__}"
            )
        n = len(msg_parts)
        if n == 0:
            raise ValueError("msg_parts must not be empty")
        for i, part in enumerate(msg_parts):
            if not isinstance(part, Frame) and not isinstance(part, (bytes, bytearray, memoryview)):
                try:
                    memoryview(part)
                except TypeError:
                    raise TypeError(
                        f"part {i} of msg_parts must be bytes-like, not {type(part).__name__}"
                    ) from None
        tracker = None
        for i, part in enumerate(msg_parts):
            more = Flag.SNDMORE if i < n - 1 else 0
            t = Socket.send(self, part, flags | more, copy=copy, track=track)
            if t is not None:
                tracker = t
        return tracker

    def send_string(
        self, u: str, flags: int = 0, copy: bool = True, encoding: str = "utf-8"
    ) -> None:
        """Send a str, encoded (UTF-8 by default)."""
        if not isinstance(u, str):
            raise TypeError(f"send_string needs a str, not {type(u).__name__}")
        self.send(u.encode(encoding), flags, copy)

    send_unicode = send_string

    def send_json(self, obj: Any, flags: int = 0, **kwargs: Any) -> None:
        """Send ``obj`` as one JSON message (UTF-8); ``kwargs`` go to ``json.dumps``."""
        self.send(_json_dumps(obj, **kwargs), flags)

    def send_pyobj(
        self, obj: Any, flags: int = 0, protocol: int = DEFAULT_PROTOCOL, **kwargs: Any
    ) -> MessageTracker | None:
        """Send ``obj`` pickled; ``kwargs`` (copy, track) go to ``send``.

        Unpickling runs code of the sender's choosing: receive pickles only
        from peers you trust.
        """
        return self.send(pickle.dumps(obj, protocol), flags, **kwargs)

    def send_serialized(
        self,
        msg: _T,
        serialize: Callable[[_T], Sequence[Any]],
        flags: int = 0,
        copy: bool = True,
        **kwargs: Any,
    ) -> MessageTracker | None:
        """Send ``serialize(msg)`` (a list of bytes-like parts) as one multipart message."""
        return self.send_multipart(serialize(msg), flags, copy=copy, **kwargs)

    # -- receiving ------------------------------------------------------

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """Receive one message part: bytes, or a Frame with ``copy=False``."""
        if copy:
            return _fast_recv(self._addr, flags)
        return Frame._from_msg(Msg.adopt(_fast_recv_msg(self._addr, flags)))

    def recv_multipart(self, flags: int = 0, copy: bool = True, track: bool = False) -> list[Any]:
        """Receive every part of one message, in one call into C."""
        if copy:
            return cast("list[Any]", _fast_recv_multipart(self._addr, flags))
        parts = [Socket.recv(self, flags, copy=False)]
        while parts[-1].more:
            parts.append(Socket.recv(self, flags, copy=False))
        return parts

    # -- batches --------------------------------------------------------

    def send_many(self, messages: Sequence[bytes], flags: int = 0) -> int:
        """Send each element of ``messages`` (bytes) as one message, in one call.

        Blocks (unless DONTWAIT) only for the first; returns how many were
        queued, stopping at the first the socket would not take at once.
        """
        if type(messages) not in (list, tuple):
            messages = list(messages)
        return int(_fast_send_many(self._addr, messages, flags))

    def recv_many(self, max_messages: int = 1000, flags: int = 0) -> list[Any]:
        """Receive up to ``max_messages`` messages in one call.

        Blocks (unless DONTWAIT) only for the first, then takes what is
        already there. Each element is bytes, or a list of bytes for a
        multipart message.
        """
        return _fast_recv_many(self._addr, max_messages, flags)

    def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> str:
        """Receive a message and decode it (UTF-8 by default)."""
        return cast(bytes, self.recv(flags)).decode(encoding)

    recv_unicode = recv_string

    def recv_json(self, flags: int = 0, **kwargs: Any) -> Any:
        """Receive one JSON message; ``kwargs`` go to ``json.loads``."""
        return _json_loads(self.recv(flags), **kwargs)

    def recv_pyobj(self, flags: int = 0) -> Any:
        """Receive a pickled object (trust the sender: unpickling runs its code)."""
        return pickle.loads(self.recv(flags))

    @overload
    def recv_serialized(
        self, deserialize: Callable[[list[bytes]], _RT], flags: int = 0, copy: bool = True
    ) -> _RT: ...

    @overload
    def recv_serialized(
        self, deserialize: Callable[[list[Frame]], _RT], flags: int = 0, copy: bool = True
    ) -> _RT: ...

    def recv_serialized(
        self, deserialize: Callable[[list[Any]], _RT], flags: int = 0, copy: bool = True
    ) -> _RT:
        """Receive a multipart message and return ``deserialize(parts)``."""
        return deserialize(self.recv_multipart(flags, copy=copy))

    @property
    def rcvmore(self) -> bool:
        """True when the part just received has more parts after it."""
        return bool(self.getsockopt(SocketOption.RCVMORE))

    # -- polling --------------------------------------------------------

    def _events(self) -> int:
        """EVENTS, in one call (processing the socket's pending commands)."""
        return self._c().events()

    def _pump(self) -> int:
        """Tell waiters what the socket is ready for (asyncio sockets; nothing here)."""
        return 0

    def poll(self, timeout: int | None = None, flags: int = PollEvent.POLLIN) -> int:
        """Wait up to ``timeout`` ms (None: forever) for ``flags``.

        Returns the events seen (0 when the time ran out), as pyzmq's.
        """
        h = self._c()
        item = self._pollitem
        if item is None:
            item = self._pollitem = PollItems(1)
        item.set_socket(0, h, flags)
        if item.poll(_timeout_ms(timeout)) == 0:
            return 0
        return item.revents(0)

    # -- endpoints, pyzmq's helpers --------------------------------------

    def bind_to_random_port(
        self, addr: str, min_port: int = 49152, max_port: int = 65536, max_tries: int = 100
    ) -> int:
        """Bind ``addr`` (``tcp://host``, no port) to a random port; return the port.

        With the default range the system picks a free ephemeral port (as
        pyzmq does); otherwise ports in [min_port, max_port) are tried at
        random, ``max_tries`` times, before ZMQBindError.
        """
        if not isinstance(addr, str):
            raise TypeError(f"addr must be a str, not {type(addr).__name__}")
        if min_port == 49152 and max_port == 65536:
            self.bind(f"{addr}:*")
            return int(self.last_endpoint.decode("ascii", "replace").rsplit(":", 1)[1])
        if not min_port < max_port:
            raise ValueError(f"min_port ({min_port}) must be below max_port ({max_port})")
        for _ in range(max_tries):
            port = random.randrange(min_port, max_port)
            try:
                self.bind(f"{addr}:{port}")
            except ZMQError as e:
                if e.errno == _errno.EADDRINUSE or (
                    sys.platform == "win32" and e.errno == _errno.EACCES
                ):
                    continue
                raise
            return port
        raise ZMQBindError("Could not bind socket to random port.")

    # -- typed options (the rest go through __getattr__ as pyzmq's) --------

    @property
    def last_endpoint(self) -> bytes:
        """The endpoint last bound or connected, with the port ``:*`` chose."""
        return cast(bytes, self.getsockopt(SocketOption.LAST_ENDPOINT))

    @property
    def linger(self) -> int:
        """LINGER (ms): how long a closed socket keeps trying to send (-1: until sent)."""
        return cast(int, self.getsockopt(SocketOption.LINGER))

    @linger.setter
    def linger(self, value: int) -> None:
        self.setsockopt(SocketOption.LINGER, value)

    @property
    def rcvtimeo(self) -> int:
        """RCVTIMEO (ms): how long a receive waits before ``Again`` (-1: forever)."""
        return cast(int, self.getsockopt(SocketOption.RCVTIMEO))

    @rcvtimeo.setter
    def rcvtimeo(self, value: int) -> None:
        self.setsockopt(SocketOption.RCVTIMEO, value)

    @property
    def sndtimeo(self) -> int:
        """SNDTIMEO (ms): how long a send waits at the HWM before ``Again`` (-1: forever)."""
        return cast(int, self.getsockopt(SocketOption.SNDTIMEO))

    @sndtimeo.setter
    def sndtimeo(self, value: int) -> None:
        self.setsockopt(SocketOption.SNDTIMEO, value)

    @property
    def sndhwm(self) -> int:
        """SNDHWM: how many outgoing messages are queued per peer (0: no limit)."""
        return cast(int, self.getsockopt(SocketOption.SNDHWM))

    @sndhwm.setter
    def sndhwm(self, value: int) -> None:
        self.setsockopt(SocketOption.SNDHWM, value)

    @property
    def rcvhwm(self) -> int:
        """RCVHWM: how many incoming messages are queued per peer (0: no limit)."""
        return cast(int, self.getsockopt(SocketOption.RCVHWM))

    @rcvhwm.setter
    def rcvhwm(self, value: int) -> None:
        self.setsockopt(SocketOption.RCVHWM, value)

    def get_hwm(self) -> int:
        """SNDHWM (as pyzmq's, which reads SNDHWM for ``hwm``)."""
        return self.sndhwm

    def set_hwm(self, value: int) -> None:
        """Set both SNDHWM and RCVHWM (as pyzmq's)."""
        self.sndhwm = value
        self.rcvhwm = value

    hwm = property(get_hwm, set_hwm, None, "SNDHWM; setting it sets SNDHWM and RCVHWM.")

    @property
    def routing_id(self) -> bytes:
        """ROUTING_ID (``identity``): the name a ROUTER peer knows this socket by."""
        return cast(bytes, self.getsockopt(SocketOption.ROUTING_ID))

    @routing_id.setter
    def routing_id(self, value: bytes) -> None:
        self.setsockopt(SocketOption.ROUTING_ID, value)

    identity = routing_id

    @property
    def fd(self) -> int:
        """The FD to watch for readability (then read ``events``), as libzmq's."""
        return cast(int, self.getsockopt(SocketOption.FD))

    @property
    def events(self) -> int:
        """EVENTS: POLLIN/POLLOUT as the socket is ready now."""
        return cast(int, self.getsockopt(SocketOption.EVENTS))


def _json_dumps(obj: Any, **kwargs: Any) -> bytes:
    return json.dumps(obj, **kwargs).encode("utf-8")


def _json_loads(data: bytes, **kwargs: Any) -> Any:
    return json.loads(data.decode("utf-8"), **kwargs)


def _option_property(option: SocketOption) -> property:
    def fget(self: Socket) -> Any:
        return self.getsockopt(option)

    def fset(self: Socket, value: Any) -> None:
        self.setsockopt(option, value)

    return property(fget, fset, doc=f"The {option.name} socket option.")


# Every name, aliases included (``sock.identity``, ``sock.delay_attach_on_connect``).
for _name, _opt in SocketOption.__members__.items():
    if not hasattr(Socket, _name.lower()):
        setattr(Socket, _name.lower(), _option_property(_opt))
del _name, _opt
