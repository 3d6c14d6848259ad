"""``Context``: pyzmq's backend context over a ``serverlink.Context``.

The serverlink context (its reaper, I/O threads and orderly term, and
libzmq's context options: IO_THREADS, MAX_SOCKETS enforced with EMFILE,
IPV6 and BLOCKY as socket defaults, the thread options, MAX_MSGSZ...; see
``serverlink.Context.set``) does the work; this class adds what pyzmq's
sugar expects of a backend context: ``shadow=`` construction from an
address, ``underlying``, ``closed``, and pyzmq's exceptions. Every backend
context on one C context (the original and its shadows) holds the same
serverlink context, found by address. pyzmq's sugar keeps the socket
defaults (``ctx.setsockopt``, ``ctx.linger = 0``) itself.

A context still open when the interpreter exits is left as libzmq leaves
it: not terminated (its loop threads do not keep the process alive).
"""

from __future__ import annotations

import errno as _errno
import weakref

from zmq.error import ZMQError

import serverlink
import serverlink.context as _sl_context
from serverlink.backend.utils import error_for
from serverlink.constants import ContextOption

#: libzmq's defaults and limits (serverlink.context's).
MAX_SOCKETS_DEFAULT = _sl_context.MAX_SOCKETS_DEFAULT
SOCKET_LIMIT = _sl_context.SOCKET_LIMIT

#: The serverlink context at each C context's address (for shadows).
_by_address: weakref.WeakValueDictionary[int, serverlink.Context] = weakref.WeakValueDictionary()


def _converted(e: serverlink.ZMQError) -> ZMQError:
    return error_for(e.errno if e.errno is not None else _errno.EINVAL, e.strerror)


def _new_core(io_threads: int) -> serverlink.Context:
    try:
        core = serverlink.Context(io_threads=io_threads)
    except serverlink.ZMQError as e:
        raise _converted(e) from None
    # As with libzmq, a context left open at exit is left alone: serverlink's
    # own exit hook destroys it, closing from the main thread sockets that
    # other threads (a pyzmq device, say) may still be using, which the core
    # does not survive. Its loop threads do not keep the process alive.
    _sl_context._live.discard(core)
    return core


class Context:
    """pyzmq's backend Context: a serverlink context, or a shadow of one.

    As with libzmq, ``closed`` is this object's own state: a shadow whose
    context was terminated through another object is not ``closed``, and
    making a socket on it fails with EFAULT.
    """

    _sl_context: serverlink.Context | None = None
    _sl_closed: bool = True
    _shadow: bool = False

    def __init__(self, io_threads: int = 1, shadow: int = 0) -> None:
        if shadow:
            core = _by_address.get(int(shadow))
            if core is None or core.closed:
                raise ZMQError(
                    _errno.EFAULT,
                    f"no open serverlink context at address {int(shadow):#x} "
                    "(shadow works only with contexts made by serverlink.backend)",
                )
            self._shadow = True
        else:
            if not isinstance(io_threads, int) or io_threads < 0:
                raise ZMQError(_errno.EINVAL, f"io_threads must be an int >= 0, not {io_threads!r}")
            core = _new_core(io_threads)
            _by_address[core.underlying] = core
            self._shadow = False
        self._sl_context = core
        self._sl_closed = False

    @property
    def _sl_core(self) -> serverlink.Context:
        """The serverlink context (for code that wants serverlink's own API)."""
        core = self._sl_context
        if core is None:
            raise ZMQError(_errno.EFAULT, "context was not initialized")
        return core

    def _sl_open_core(self) -> serverlink.Context:
        # pyzmq's own backend raises RuntimeError for options of a closed context.
        if self._sl_closed:
            raise RuntimeError("Context has been destroyed")
        return self._sl_core

    @property
    def underlying(self) -> int:
        """The address of the C context (0 once terminated)."""
        core = self._sl_context
        return 0 if core is None else core.underlying

    @property
    def closed(self) -> bool:
        return self._sl_closed

    def term(self) -> None:
        """Terminate: blocking calls on its sockets raise ETERM; wait for every socket's close."""
        core = self._sl_context
        if core is None or self._sl_closed:
            return
        address = core.underlying
        core.term()
        self._sl_closed = True
        if _by_address.get(address) is core:
            del _by_address[address]

    # -- options: serverlink's, with pyzmq's exceptions ---------------------

    def set(self, option: int, optval: int) -> None:
        """Set a context option (libzmq's ``zmq_ctx_set``; see ``serverlink.Context.set``)."""
        core = self._sl_open_core()
        if not isinstance(optval, int):
            raise TypeError(f"context option values are ints, not {type(optval).__name__}")
        before = core.underlying
        try:
            core.set(option, optval)
        except serverlink.ZMQError as e:
            raise _converted(e) from None
        if option == ContextOption.IO_THREADS and core.underlying != before:
            # the loops restarted on a new C context (before the first socket)
            _by_address.pop(before, None)
            _by_address[core.underlying] = core

    def get(self, option: int) -> int:
        """Get a context option (libzmq's ``zmq_ctx_get``)."""
        try:
            return self._sl_open_core().get(option)
        except serverlink.ZMQError as e:
            raise _converted(e) from None

    # -- for Socket -----------------------------------------------------

    def _sl_new_socket(self, socket_type: int) -> serverlink.Socket:
        """A new serverlink socket on this context (MAX_SOCKETS, IPV6 and BLOCKY applied)."""
        core = self._sl_core
        if core.closed:
            raise ZMQError(_errno.EFAULT, "Bad address: the context was terminated")
        try:
            return serverlink.Socket(core, socket_type)
        except ValueError as e:
            raise ZMQError(_errno.EINVAL, f"Invalid argument: {e}") from None
        except serverlink.ZMQError as e:
            raise _converted(e) from None
