"""``Context``: pyzmq's backend context over a ``serverlink.Context``.

The serverlink context (its reaper, I/O threads and orderly term) does the
work; this class adds what pyzmq's sugar expects of a backend context:
``shadow=`` construction from an address, ``underlying``, ``closed``, and
libzmq's context options through ``get``/``set``. Every backend context on
one C context (the original and its shadows) shares one ``_Shared`` record,
found by address, so options and the socket count agree between them.

Context options, as libzmq has them: IO_THREADS and MAX_SOCKETS are fixed
when the context's first socket is made (before that, a new IO_THREADS
restarts the loops with the new count; after it, setting either is accepted
and changes nothing, as in libzmq, and ``get`` says what is in effect);
MAX_SOCKETS is enforced (EMFILE past it); SOCKET_LIMIT is read-only; IPV6
and BLOCKY are defaults for new sockets (IPV6, and LINGER 0 when BLOCKY is
false). The thread scheduling options and MAX_MSGSZ are not implemented and
raise EINVAL saying so.

A context still open when the interpreter exits is left as libzmq leaves
it: not terminated (its loop threads are daemons, so nothing waits).
"""

from __future__ import annotations

import errno as _errno
import threading
import weakref
from typing import Final

from zmq.error import ZMQError

import serverlink
import serverlink.context as _sl_context
from serverlink.backend.utils import error_for
from serverlink.constants import ContextOption

#: libzmq's defaults and limits.
MAX_SOCKETS_DEFAULT: Final[int] = 1023
SOCKET_LIMIT: Final[int] = 65535
_IPV6: Final[int] = 42
_BLOCKY: Final[int] = 70


class _Shared:
    """What every backend context on one C context shares."""

    def __init__(self, core: serverlink.Context) -> None:
        self.core = core
        self.lock = threading.Lock()
        self.max_sockets = MAX_SOCKETS_DEFAULT
        self.ipv6 = False
        self.blocky = True
        self.sockets_made = False
        self.handles: weakref.WeakSet[serverlink.Socket] = weakref.WeakSet()

    def open_sockets(self) -> int:
        return sum(1 for h in self.handles if not h.closed)


_by_address: weakref.WeakValueDictionary[int, _Shared] = weakref.WeakValueDictionary()


def _new_core(io_threads: int) -> serverlink.Context:
    try:
        core = serverlink.Context(io_threads=io_threads)
    except serverlink.ZMQError as e:
        raise error_for(e.errno if e.errno is not None else _errno.EINVAL, e.strerror) from None
    # As with libzmq, a context left open at exit is left alone: serverlink's
    # own exit hook destroys it, closing from the main thread sockets that
    # other threads (a pyzmq device, say) may still be using, which the core
    # does not survive. Its loop threads are daemons: nothing waits for them.
    _sl_context._live.discard(core)
    return core


class Context:
    """pyzmq's backend Context: a serverlink context, or a shadow of one.

    As with libzmq, ``closed`` is this object's own state: a shadow whose
    context was terminated through another object is not ``closed``, and
    making a socket on it fails with EFAULT.
    """

    _sl_shared: _Shared | None = None
    _sl_closed: bool = True
    _shadow: bool = False

    def __init__(self, io_threads: int = 1, shadow: int = 0) -> None:
        if shadow:
            shared = _by_address.get(int(shadow))
            if shared is None or shared.core.closed:
                raise ZMQError(
                    _errno.EFAULT,
                    f"no open serverlink context at address {int(shadow):#x} "
                    "(shadow works only with contexts made by serverlink.backend)",
                )
            self._shadow = True
        else:
            if not isinstance(io_threads, int) or io_threads < 0:
                raise ZMQError(_errno.EINVAL, f"io_threads must be an int >= 0, not {io_threads!r}")
            shared = _Shared(_new_core(io_threads))
            _by_address[shared.core.underlying] = shared
            self._shadow = False
        self._sl_shared = shared
        self._sl_closed = False

    def _sl_state(self) -> _Shared:
        shared = self._sl_shared
        if shared is None:
            raise ZMQError(_errno.EFAULT, "context was not initialized")
        return shared

    @property
    def underlying(self) -> int:
        """The address of the C context (0 once terminated)."""
        shared = self._sl_shared
        return 0 if shared is None else shared.core.underlying

    @property
    def closed(self) -> bool:
        return self._sl_closed

    @property
    def _sl_core(self) -> serverlink.Context:
        """The serverlink context (for code that wants serverlink's own API)."""
        return self._sl_state().core

    def term(self) -> None:
        """Terminate: blocking calls on its sockets raise ETERM; wait for every socket's close."""
        shared = self._sl_shared
        if shared is None or self._sl_closed:
            return
        address = shared.core.underlying
        shared.core.term()
        self._sl_closed = True
        if _by_address.get(address) is shared:
            del _by_address[address]

    # -- options --------------------------------------------------------

    def set(self, option: int, optval: int) -> None:
        """Set a context option (libzmq's ``zmq_ctx_set``)."""
        shared = self._sl_state()
        if not isinstance(optval, int):
            raise TypeError(f"context option values are ints, not {type(optval).__name__}")
        with shared.lock:
            if option == ContextOption.IO_THREADS:
                self._set_io_threads(shared, optval)
            elif option == ContextOption.MAX_SOCKETS:
                if optval < 1 or optval > SOCKET_LIMIT:
                    raise ZMQError(_errno.EINVAL, f"MAX_SOCKETS must be 1..{SOCKET_LIMIT}")
                if not shared.sockets_made:
                    shared.max_sockets = optval
            elif option == _IPV6:
                shared.ipv6 = bool(optval)
            elif option == _BLOCKY:
                shared.blocky = bool(optval)
            else:
                raise ZMQError(_errno.EINVAL, _unsupported(option))

    def _set_io_threads(self, shared: _Shared, n: int) -> None:
        if n < 0:
            raise ZMQError(_errno.EINVAL, f"IO_THREADS must be >= 0, not {n}")
        if n == len(shared.core.io_threads) or shared.sockets_made:
            return
        old = shared.core
        shared.core = _new_core(n)
        old.term()
        _by_address.pop(old.underlying, None)
        _by_address[shared.core.underlying] = shared

    def get(self, option: int) -> int:
        """Get a context option (libzmq's ``zmq_ctx_get``)."""
        shared = self._sl_state()
        if option == ContextOption.IO_THREADS:
            return len(shared.core.io_threads)
        if option == ContextOption.MAX_SOCKETS:
            return shared.max_sockets
        if option == ContextOption.SOCKET_LIMIT:
            return SOCKET_LIMIT
        if option == _IPV6:
            return int(shared.ipv6)
        if option == _BLOCKY:
            return int(shared.blocky)
        raise ZMQError(_errno.EINVAL, _unsupported(option))

    # -- for Socket -----------------------------------------------------

    def _sl_new_socket(self, socket_type: int) -> tuple[serverlink.Socket, bool, bool]:
        """A new serverlink socket on this context, and the IPV6 and BLOCKY defaults."""
        shared = self._sl_state()
        with shared.lock:
            if shared.open_sockets() >= shared.max_sockets:
                raise ZMQError(
                    _errno.EMFILE,
                    f"Too many open files: the context's MAX_SOCKETS ({shared.max_sockets}) "
                    "sockets are open",
                )
            shared.sockets_made = True
            core = shared.core
        if core.closed:
            raise ZMQError(_errno.EFAULT, "Bad address: the context was terminated")
        try:
            handle = serverlink.Socket(core, socket_type)
        except ValueError as e:
            raise ZMQError(_errno.EINVAL, f"Invalid argument: {e}") from None
        except serverlink.ZMQError as e:
            raise error_for(e.errno if e.errno is not None else _errno.EINVAL, e.strerror) from None
        with shared.lock:
            shared.handles.add(handle)
        return handle, shared.ipv6, shared.blocky


def _unsupported(option: int) -> str:
    try:
        name = ContextOption(option).name
    except ValueError:
        name = {_IPV6: "IPV6", _BLOCKY: "BLOCKY"}.get(option, str(option))
    return f"Invalid argument: context option {name} is not supported by serverlink"
