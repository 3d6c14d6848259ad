"""asyncio sockets: ``Context``, ``Socket`` and ``Poller`` whose operations are awaited.

``import serverlink.asyncio as zmq`` reads like pyzmq's ``zmq.asyncio``:
``await sock.recv()``, ``await sock.send_multipart(parts)``,
``await poller.poll(timeout)``. Any asyncio loop that has ``add_reader``
works: the default selector loop and uvloop.

Design
------
A socket's FD (its mailbox's fd) does not say "readable": it says that
commands arrived, i.e. that EVENTS may have changed. Any call that processes
commands (a send, a receive, reading EVENTS) consumes that signal, so a
message can sit in the queue while the FD stays quiet. Waiting on the FD
alone is the trap pyzmq users fall into; here the rule is:

1. Every operation first tries once with DONTWAIT. When that works (the
   message is there, the queue has room) there is no future, no callback
   and no loop iteration: one call into C, as in the blocking API.
2. Otherwise the coroutine queues a future (per direction, in arrival
   order) and the socket watches its FD with ``loop.add_reader``. The
   attempt that just failed processed every pending command, so from then
   on any change of readiness comes with a new command, hence a wake-up.
3. On every wake-up, and after every operation that succeeded while other
   operations wait (its call processed commands: it may have consumed the
   wake-up meant for them), the socket reads EVENTS (``_pump``) and wakes
   the first waiter of each direction that is ready, and every poll that
   is. A woken waiter retries with DONTWAIT; when it is done it reads EVENTS
   again, which wakes the next one. So readiness is never left unseen.
4. A message is taken off the socket only by the coroutine that returns it,
   in the same step, with no ``await`` in between. A future only ever
   carries "your turn" (never a message), so cancelling a waiting
   coroutine, a ``wait_for`` timeout, or cancelling a task just after its
   future was resolved loses nothing: a waiter cancelled after it was woken
   hands its turn to the next waiter. (Receiving into a future instead would
   lose the message whenever the task awaiting that future is cancelled
   before it resumes: asyncio then throws CancelledError into the task
   although the future holds the message.)
5. While nobody waits the FD is not watched (it is released one loop
   iteration after the last waiter leaves, so back-to-back awaits keep it):
   an idle socket costs nothing, there is no thread per socket, no timer
   and no busy polling. Thousands of sockets share one loop.

Operations on one socket complete in the order they started, per direction.
RCVTIMEO and SNDTIMEO apply to waits (``Again`` when they expire), as in
pyzmq; ``asyncio.wait_for`` works too. Closing a socket cancels the
operations that wait on it (as pyzmq does); terminating its context makes
them raise ``ContextTerminated``. A socket serves one event loop at a time.

Differences from pyzmq: the operations are coroutines, not futures: they
run when awaited (a ``send`` that is never awaited sends nothing, and
Python warns that the coroutine was never awaited).

Windows: the FD is a socket (a loopback pair), so the selector loop
watches it like any other. The ProactorEventLoop, the default there, has no
``add_reader``; rather than hide a selector thread, serverlink raises a
RuntimeError that says to use a selector loop:
``asyncio.run(main(), loop_factory=asyncio.SelectorEventLoop)`` (3.12+) or
``asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())``.
"""

from __future__ import annotations

import asyncio
import errno as _errno
import pickle
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast, overload

from serverlink import context as _context
from serverlink import poll as _poll
from serverlink import socket as _socket
from serverlink.constants import Flag, PollEvent, SocketOption
from serverlink.error import Again, ZMQError, error_for
from serverlink.frame import Frame, MessageTracker

__all__ = ["Context", "Poller", "Socket"]

_T = TypeVar("_T")
_RT = TypeVar("_RT")

# The per-message calls: the glue's vectorcall functions (one crossing, the
# bytes built in C, the GIL kept unless a copy is large), as Socket uses them.
_fast_send = _socket._fast_send
_fast_recv = _socket._fast_recv
_fast_recv_multipart = _socket._fast_recv_multipart
_DONTWAIT = int(Flag.DONTWAIT)
_POLLIN = int(PollEvent.POLLIN)
_POLLOUT = int(PollEvent.POLLOUT)
_POLLERR = int(PollEvent.POLLERR)
_EAGAIN = _errno.EAGAIN

_SyncSocket = _socket.Socket

#: An attempt that would block returns this instead of raising Again.
_AGAIN: Any = object()

_NO_ADD_READER = (
    "serverlink.asyncio needs an event loop that can watch a socket for reading "
    "(loop.add_reader), and {loop!r} cannot. On Windows the default ProactorEventLoop "
    "has no add_reader: use a SelectorEventLoop, e.g. "
    "asyncio.run(main(), loop_factory=asyncio.SelectorEventLoop) on Python 3.12+, or "
    "asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy()) before it."
)


def _add_reader(loop: asyncio.AbstractEventLoop, fd: int, cb: Callable[..., Any], *a: Any) -> None:
    try:
        loop.add_reader(fd, cb, *a)
    except NotImplementedError:
        raise RuntimeError(_NO_ADD_READER.format(loop=loop)) from None


def _remove_reader(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    try:
        loop.remove_reader(fd)
    except (RuntimeError, ValueError, OSError):
        pass  # the loop is closed: nothing is watched any more


def _resolve(fut: asyncio.Future[Any], value: Any) -> None:
    if not fut.done():
        fut.set_result(value)


def _settle(fut: asyncio.Future[Any], make_error: Callable[[], BaseException] | None) -> None:
    """Cancel fut (make_error None) or fail it, unless it is done or its loop is gone."""
    if fut.done():
        return
    try:
        if make_error is None:
            fut.cancel()
        else:
            fut.set_exception(make_error())
    except RuntimeError:
        pass  # its loop is closed (a socket closed at exit): nobody awaits it


def _expire(cur: list[asyncio.Future[None]]) -> None:
    fut = cur[0]
    if not fut.done():
        fut.set_exception(error_for(_EAGAIN))


class _Waiters:
    """The operations of one direction (receive or send) that wait on a socket."""

    __slots__ = ("active", "queue", "woken")

    def __init__(self) -> None:
        self.queue: deque[asyncio.Future[None]] = deque()  # waiting, in order
        self.woken = 0  # told "your turn", not yet resumed
        self.active = 0  # inside the slow path: queued, woken or retrying

    def wake(self) -> None:
        """Wake the first waiter, unless one is already woken (it will pass it on)."""
        if self.woken:
            return
        q = self.queue
        while q:
            fut = q.popleft()
            if not fut.done():
                fut.set_result(None)
                self.woken += 1
                return

    def abandon(self, fut: asyncio.Future[None]) -> None:
        """A waiter leaves without retrying (cancelled, timed out, failed)."""
        if fut.done() and not fut.cancelled() and fut.exception() is None:
            self.woken -= 1  # woken, then cancelled: the caller passes the turn on
            return
        try:
            self.queue.remove(fut)
        except ValueError:
            pass

    def fail(self, make_error: Callable[[], BaseException] | None) -> None:
        """Every queued waiter gets make_error() (None: is cancelled)."""
        while self.queue:
            _settle(self.queue.popleft(), make_error)


class Socket(_SyncSocket):
    """A serverlink socket whose sends, receives and polls are awaited.

    Create it with ``serverlink.asyncio.Context().socket(type)``. Options,
    bind/connect and close are the same as ``serverlink.Socket``'s.
    """

    _async = True
    _rw: _Waiters
    _sw: _Waiters
    _polls: list[tuple[asyncio.Future[Any], int, bool]]
    _fd: int
    _loop: asyncio.AbstractEventLoop | None
    _watching: bool
    _unwatch_scheduled: bool
    _rcvtimeo: int
    _sndtimeo: int

    def __init__(self, context: _context.Context, socket_type: int) -> None:
        super().__init__(context, socket_type)
        self._rw = _Waiters()
        self._sw = _Waiters()
        self._polls = []  # (future, events, from a Poller) of awaited polls
        self._waiting = 0  # operations waiting, every kind: nonzero -> pump after calls
        self._fd = int(_SyncSocket.getsockopt(self, SocketOption.FD))
        self._loop = None
        self._watching = False
        self._unwatch_scheduled = False
        self._rcvtimeo = -1
        self._sndtimeo = -1

    # -- readiness --------------------------------------------------------

    def _pump(self) -> int:
        """Read EVENTS (processing commands) and wake who can proceed; return EVENTS.

        The FD's reader and every operation that may have processed commands
        while others wait call this. It never raises: an error (ETERM) goes
        to every waiter.
        """
        h = self._h
        if h is None:
            return 0
        try:
            ev = h.events()
        except ZMQError as e:
            if e.errno == _errno.EINTR:
                return 0  # the FD is still readable: the reader comes back
            err = e.errno if e.errno is not None else _errno.EINVAL
            self._fail(lambda: error_for(err))
            return 0
        self._dispatch(ev)
        return ev

    def _dispatch(self, ev: int) -> None:
        if ev & _POLLIN:
            self._rw.wake()
        if ev & _POLLOUT:
            self._sw.wake()
        for fut, mask, _ in self._polls:
            if ev & mask and not fut.done():
                fut.set_result(ev & mask)

    def _fail(self, make_error: Callable[[], BaseException] | None) -> None:
        """Every waiter gets make_error() (None: cancelled); stop watching the FD.

        A Poller's poll is woken instead of cancelled when the socket closes:
        it looks again and raises ENOTSOCK naming the socket, as a plain
        Poller does.
        """
        self._rw.fail(make_error)
        self._sw.fail(make_error)
        for fut, _, from_poller in self._polls:
            if make_error is None and from_poller:
                _resolve(fut, 0)
            else:
                _settle(fut, make_error)
        self._unwatch()

    def _watch(self) -> asyncio.AbstractEventLoop:
        """Watch the FD on the running loop (if not already); return the loop."""
        loop = asyncio.get_running_loop()
        if self._watching:
            if self._loop is loop:
                return loop
            if self._waiting:
                raise RuntimeError(
                    f"{self!r} has operations waiting on another event loop "
                    f"({self._loop!r}): a socket serves one loop at a time"
                )
            self._unwatch()
        if self._closed:
            raise _socket._closed_error()
        _add_reader(loop, self._fd, self._pump)
        self._loop = loop
        self._watching = True
        return loop

    def _unwatch(self) -> None:
        loop = self._loop
        if self._watching and loop is not None:
            self._watching = False
            _remove_reader(loop, self._fd)

    def _idle(self) -> None:
        """Nobody waits: stop watching after this loop iteration, unless someone waits again."""
        loop = self._loop
        if not self._watching or self._unwatch_scheduled or loop is None:
            return
        try:
            loop.call_soon(self._unwatch_if_idle)
        except RuntimeError:  # the loop is closed
            self._unwatch()
            return
        self._unwatch_scheduled = True

    def _unwatch_if_idle(self) -> None:
        self._unwatch_scheduled = False
        if not self._waiting:
            self._unwatch()

    def _after_call(self) -> None:
        # A call that processed commands may have consumed the FD's signal.
        if self._waiting:
            self._pump()

    async def _wait(self, w: _Waiters, timeo: int, attempt: Callable[..., Any], *args: Any) -> Any:
        """Queue on w until attempt(*args) (a DONTWAIT try) gets through."""
        if timeo == 0:
            raise error_for(_EAGAIN)
        loop = self._watch()
        deadline = loop.time() + timeo / 1000 if timeo > 0 else None
        cur: list[asyncio.Future[None]] = []
        timer = loop.call_at(deadline, _expire, cur) if deadline is not None else None
        w.active += 1
        self._waiting += 1
        try:
            fut = loop.create_future()
            w.queue.append(fut)
            while True:
                cur[:] = [fut]
                try:
                    await fut
                except BaseException:
                    w.abandon(fut)
                    raise
                w.woken -= 1
                r = attempt(*args)
                if r is not _AGAIN:
                    return r
                # Woken, but someone else got there first: wait again, at the front.
                if deadline is not None and loop.time() >= deadline:
                    raise error_for(_EAGAIN)
                fut = loop.create_future()
                w.queue.appendleft(fut)
        finally:
            if timer is not None:
                timer.cancel()
            w.active -= 1
            self._waiting -= 1
            if self._waiting:
                self._pump()  # done or gone: the next waiter may go now
            else:
                self._idle()

    # -- attempts: one DONTWAIT try (flags first), _AGAIN when it would block --

    def _try_recv(self, flags: int, copy: bool, track: bool) -> Any:
        if copy:
            try:
                return _fast_recv(self._addr, flags)
            except Again:
                return _AGAIN
        try:
            return _SyncSocket.recv(self, flags, copy=False)
        except ZMQError as e:
            if e.errno == _EAGAIN:
                return _AGAIN
            raise

    def _try_recv_multipart(self, flags: int, copy: bool, track: bool) -> Any:
        if copy:
            try:
                return _fast_recv_multipart(self._addr, flags)
            except Again:
                return _AGAIN
        try:
            return _SyncSocket.recv_multipart(self, flags, copy=False)
        except ZMQError as e:
            if e.errno == _EAGAIN:
                return _AGAIN
            raise

    def _try_send(self, flags: int, data: Any, copy: bool, track: bool) -> Any:
        if type(data) is bytes and copy and not track:
            try:
                _fast_send(self._addr, data, flags)
            except Again:
                return _AGAIN
            return None
        try:
            return _SyncSocket.send(self, data, flags, copy, track)
        except ZMQError as e:
            if e.errno == _EAGAIN:
                return _AGAIN
            raise

    def _try_send_multipart(self, flags: int, parts: Sequence[Any], copy: bool, track: bool) -> Any:
        try:
            return _SyncSocket.send_multipart(self, parts, flags, copy, track)
        except ZMQError as e:
            if e.errno == _EAGAIN:
                return _AGAIN
            raise

    async def _op(
        self, w: _Waiters, timeo: int, attempt: Callable[..., Any], flags: int, *args: Any
    ) -> Any:
        """Try now, unless others of this direction wait first; else wait for the turn.

        With DONTWAIT in flags: try now and raise Again if it would block.
        """
        if flags & _DONTWAIT or not w.active:
            r = attempt(flags | _DONTWAIT, *args)
            if r is not _AGAIN:
                if self._waiting:
                    self._pump()
                return r
            if flags & _DONTWAIT:
                raise error_for(_EAGAIN)
        return await self._wait(w, timeo, attempt, flags | _DONTWAIT, *args)

    # -- receiving ----------------------------------------------------------

    async def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """Receive one message part: bytes, or a Frame with ``copy=False``."""
        return await self._op(self._rw, self._rcvtimeo, self._try_recv, flags, copy, track)

    async def recv_multipart(  # type: ignore[override]
        self, flags: int = 0, copy: bool = True, track: bool = False
    ) -> list[Any]:
        """Receive every part of one message."""
        r = await self._op(self._rw, self._rcvtimeo, self._try_recv_multipart, flags, copy, track)
        return r  # type: ignore[no-any-return]

    async def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> str:  # type: ignore[override]
        """Receive a message and decode it (UTF-8 by default)."""
        data: bytes = await self.recv(flags)
        return data.decode(encoding)

    recv_unicode = recv_string  # type: ignore[assignment]

    async def recv_json(self, flags: int = 0, **kwargs: Any) -> Any:
        """Receive one JSON message; ``kwargs`` go to ``json.loads``."""
        return _socket._json_loads(await self.recv(flags), **kwargs)

    async def recv_pyobj(self, flags: int = 0) -> Any:
        """Receive a pickled object (trust the sender: unpickling runs its code)."""
        return pickle.loads(await self.recv(flags))

    @overload  # type: ignore[override]
    async def recv_serialized(
        self, deserialize: Callable[[list[bytes]], _RT], flags: int = 0, copy: bool = True
    ) -> _RT: ...

    @overload
    async def recv_serialized(
        self, deserialize: Callable[[list[Frame]], _RT], flags: int = 0, copy: bool = True
    ) -> _RT: ...

    async def recv_serialized(
        self, deserialize: Callable[[list[Any]], _RT], flags: int = 0, copy: bool = True
    ) -> _RT:
        """Receive a multipart message and return ``deserialize(parts)``."""
        return deserialize(await self.recv_multipart(flags, copy=copy))

    # -- sending ------------------------------------------------------------

    async def send(  # type: ignore[override]
        self, data: Any, flags: int = 0, copy: bool = True, track: bool = False
    ) -> MessageTracker | None:
        """Send one message part (``flags``: SNDMORE; DONTWAIT raises Again at once)."""
        r = await self._op(self._sw, self._sndtimeo, self._try_send, flags, data, copy, track)
        return r  # type: ignore[no-any-return]

    async def send_multipart(  # type: ignore[override]
        self, msg_parts: Sequence[Any], flags: int = 0, copy: bool = True, track: bool = False
    ) -> MessageTracker | None:
        """Send a multipart message: all parts are delivered or none."""
        r = await self._op(
            self._sw, self._sndtimeo, self._try_send_multipart, flags, msg_parts, copy, track
        )
        return r  # type: ignore[no-any-return]

    async def send_string(  # type: ignore[override]
        self, u: str, flags: int = 0, copy: bool = True, encoding: str = "utf-8"
    ) -> None:
        """Send a str, encoded (UTF-8 by default)."""
        if not isinstance(u, str):
            raise TypeError(f"send_string needs a str, not {type(u).__name__}")
        await self.send(u.encode(encoding), flags, copy)

    send_unicode = send_string  # type: ignore[assignment]

    async def send_json(self, obj: Any, flags: int = 0, **kwargs: Any) -> None:  # type: ignore[override]
        """Send ``obj`` as one JSON message; ``kwargs`` go to ``json.dumps``."""
        await self.send(_socket._json_dumps(obj, **kwargs), flags)

    async def send_pyobj(  # type: ignore[override]
        self, obj: Any, flags: int = 0, protocol: int = _socket.DEFAULT_PROTOCOL, **kwargs: Any
    ) -> MessageTracker | None:
        """Send ``obj`` pickled; ``kwargs`` (copy, track) go to ``send``."""
        return await self.send(pickle.dumps(obj, protocol), flags, **kwargs)

    async def send_serialized(  # type: ignore[override]
        self,
        msg: _T,
        serialize: Callable[[_T], Sequence[Any]],
        flags: int = 0,
        copy: bool = True,
        **kwargs: Any,
    ) -> MessageTracker | None:
        """Send ``serialize(msg)`` as one multipart message."""
        return await self.send_multipart(serialize(msg), flags, copy=copy, **kwargs)

    # -- polling ------------------------------------------------------------

    async def poll(self, timeout: int | None = None, flags: int = _POLLIN) -> int:  # type: ignore[override]
        """Wait up to ``timeout`` ms (None: forever) for ``flags``; return the events (0: none)."""
        if self._closed:
            raise _socket._closed_error()
        ms = _socket._timeout_ms(timeout)
        ev = self._events()
        if self._waiting:
            self._dispatch(ev)
        if ev & flags or ms == 0:
            return ev & flags
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[int] = loop.create_future()
        remove = self._add_poll_waiter(fut, flags, False)
        timer = loop.call_later(ms / 1000, _resolve, fut, 0) if ms > 0 else None
        try:
            return await fut
        finally:
            if timer is not None:
                timer.cancel()
            remove()

    def _add_poll_waiter(
        self, fut: asyncio.Future[Any], flags: int, from_poller: bool
    ) -> Callable[[], None]:
        """fut gets the events when the socket is ready for flags; returns the undo."""
        self._watch()
        entry = (fut, flags, from_poller)
        self._polls.append(entry)
        self._waiting += 1

        def remove() -> None:
            try:
                self._polls.remove(entry)
            except ValueError:
                return
            self._waiting -= 1
            if not self._waiting:
                self._idle()

        return remove

    # -- calls that may process commands, and options ----------------------

    def _endpoint(self, verb: str, addr: str) -> None:
        try:
            super()._endpoint(verb, addr)
        finally:
            self._after_call()

    def setsockopt(self, option: int, value: int | bytes) -> None:
        """Set a socket option (RCVTIMEO/SNDTIMEO also bound the awaited operations)."""
        super().setsockopt(option, value)
        if option == SocketOption.RCVTIMEO:
            self._rcvtimeo = int(value)
        elif option == SocketOption.SNDTIMEO:
            self._sndtimeo = int(value)
        self._after_call()

    set = setsockopt

    def getsockopt(self, option: int) -> int | bytes:
        """Get a socket option's value (int, or bytes for byte options)."""
        try:
            return super().getsockopt(option)
        finally:
            self._after_call()

    get = getsockopt

    def close(self, linger: int | None = None) -> None:
        """Close the socket; operations waiting on it are cancelled (as pyzmq's)."""
        if self._closed:
            return
        self._fail(None)
        super().close(linger)


class Context(_context.Context):
    """A serverlink context whose sockets are ``serverlink.asyncio.Socket``."""

    _socket_class = Socket

    def socket(
        self,
        socket_type: int,
        socket_class: Callable[..., _socket.Socket] | None = None,
        **kwargs: Any,
    ) -> Socket:
        """Create an asyncio socket of the given type (with the context's socket defaults)."""
        return cast(Socket, super().socket(socket_type, socket_class, **kwargs))


class _FdWatchers:
    """The plain fds an event loop watches for asyncio Pollers.

    One ``add_reader``/``add_writer`` per fd however many polls wait on it,
    so two polls of the same fd do not replace each other's callback.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._tables: tuple[dict[int, list[asyncio.Future[Any]]], ...] = ({}, {})

    def add(self, fd: int, write: bool, fut: asyncio.Future[Any]) -> Callable[[], None]:
        table = self._tables[write]
        futs = table.get(fd)
        if futs is None:
            futs = table[fd] = []
            if write:
                self._loop.add_writer(fd, self._fire, futs)
            else:
                _add_reader(self._loop, fd, self._fire, futs)
        futs.append(fut)

        def remove() -> None:
            futs.remove(fut)
            if not futs and table.get(fd) is futs:
                del table[fd]
                if write:
                    self._loop.remove_writer(fd)
                else:
                    _remove_reader(self._loop, fd)

        return remove

    @staticmethod
    def _fire(futs: list[asyncio.Future[Any]]) -> None:
        for fut in futs:
            _resolve(fut, None)


_fd_watchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _FdWatchers] = (
    weakref.WeakKeyDictionary()
)


def _watchers(loop: asyncio.AbstractEventLoop) -> _FdWatchers:
    w = _fd_watchers.get(loop)
    if w is None:
        w = _fd_watchers[loop] = _FdWatchers(loop)
    return w


class Poller(_poll.Poller):
    """A Poller whose ``poll`` is awaited (``serverlink.Poller``'s registration API).

    serverlink.asyncio sockets are watched through their own readiness
    machinery; a plain ``serverlink.Socket`` is watched through its FD
    (operations on it by other tasks during the wait can consume that
    wake-up: prefer asyncio sockets), and plain fds with add_reader/add_writer.
    """

    async def poll(self, timeout: int | None = None) -> list[tuple[Any, int]]:  # type: ignore[override]
        """Wait up to ``timeout`` ms (None: forever); return ``[(socket or fd, events)]``."""
        ms = _socket._timeout_ms(timeout)
        ready = super().poll(0)
        if ready or ms == 0:
            return ready
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ms / 1000 if ms > 0 else None
        while True:
            fut: asyncio.Future[Any] = loop.create_future()
            undo = self._watch_all(loop, fut)
            timer = loop.call_at(deadline, _resolve, fut, None) if deadline is not None else None
            try:
                await fut
            finally:
                if timer is not None:
                    timer.cancel()
                for u in undo:
                    u()
            ready = super().poll(0)
            if ready or (deadline is not None and loop.time() >= deadline):
                return ready

    def _watch_all(
        self, loop: asyncio.AbstractEventLoop, fut: asyncio.Future[Any]
    ) -> list[Callable[[], None]]:
        undo: list[Callable[[], None]] = []
        try:
            for obj, flags in self.sockets:
                if isinstance(obj, Socket):
                    undo.append(obj._add_poll_waiter(fut, flags, True))
                elif isinstance(obj, _SyncSocket):
                    if obj._closed:
                        raise _socket._closed_error()
                    undo.append(_watchers(loop).add(obj.fd, False, fut))
                else:
                    fd = _poll._fileno(obj)
                    if flags & (_POLLIN | _POLLERR):
                        undo.append(_watchers(loop).add(fd, False, fut))
                    if flags & _POLLOUT:
                        undo.append(_watchers(loop).add(fd, True, fut))
        except BaseException:
            for u in undo:
                u()
            raise
        return undo
