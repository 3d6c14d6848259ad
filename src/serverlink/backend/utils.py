"""The backend's free functions, and its one way of turning errno into pyzmq's exceptions.

Every error the backend raises is one of pyzmq's classes (``zmq.Again``,
``zmq.ContextTerminated``, ``zmq.ZMQError``...), because the code above it
catches those. What serverlink does not do is said plainly: ``has("curve")``
is False and the CURVE helpers raise ``ZMQError(ENOTSUP)`` naming why.
"""

from __future__ import annotations

import errno as _errno
from typing import Final, NoReturn

from zmq.error import Again, ContextTerminated, InterruptedSystemCall, ZMQError

import serverlink
from serverlink import _binding
from serverlink import version as _version
from serverlink.constants import IPC_PATH_MAX_LEN, SocketOption
from serverlink.error import ETERM, zmq_errno
from serverlink.version import PYZMQ_DRAFT_API

ENOTSUP: Final[int] = getattr(_errno, "ENOTSUP", 156384713)

#: The libzmq API level whose semantics serverlink implements. pyzmq asks it
#: before using version-gated features (monitor sockets need >= 4).
LIBZMQ_API_LEVEL: Final[tuple[int, int, int]] = _version.ZMQ_VERSION_INFO


_NO_SECURITY = (
    "serverlink speaks only the NULL security mechanism: "
    "CURVE, PLAIN and GSSAPI are not implemented"
)

#: Options that exist only with a security mechanism serverlink lacks.
SECURITY_OPTIONS: Final[frozenset[int]] = frozenset(
    o for o in SocketOption if o.name.startswith(("CURVE_", "PLAIN_", "GSSAPI_", "ZAP_"))
)


def strerror(errno: int) -> str:
    """libzmq's text for an errno value."""
    return _binding.strerror(errno)


def zmq_version_info() -> tuple[int, int, int]:
    """The libzmq version whose API serverlink follows (see ``LIBZMQ_API_LEVEL``).

    serverlink's own version is ``serverlink.__version__``.
    """
    return LIBZMQ_API_LEVEL


def has(capability: str) -> bool:
    """Whether serverlink has a capability ('ipc' yes; 'curve', 'pgm', 'draft'... no)."""
    return _version.has(capability)


def curve_keypair() -> tuple[bytes, bytes]:
    """Not available: serverlink has no CURVE (``has('curve')`` is False)."""
    raise ZMQError(ENOTSUP, f"curve_keypair: {_NO_SECURITY}")


def curve_public(secret_key: str | bytes) -> bytes:
    """Not available: serverlink has no CURVE (``has('curve')`` is False)."""
    raise ZMQError(ENOTSUP, f"curve_public: {_NO_SECURITY}")


def error_for(errnum: int, msg: str | None = None) -> ZMQError:
    """pyzmq's exception for an errno value (``msg`` replaces libzmq's text)."""
    if errnum == _errno.EAGAIN:
        return Again(errnum)
    if errnum == ETERM:
        return ContextTerminated(errnum)
    if errnum == _errno.EINTR:
        return InterruptedSystemCall(errnum)
    return ZMQError(errnum, msg)


def from_serverlink(e: serverlink.ZMQError) -> ZMQError:
    """pyzmq's exception for one of serverlink's (the binding raises those)."""
    return error_for(e.errno if e.errno is not None else _errno.EINVAL)


def raise_last(msg: str | None = None) -> NoReturn:
    """Raise pyzmq's exception for this thread's last serverlink errno."""
    raise error_for(_binding.last_errno(), msg)


def security_message(option: int) -> str:
    """The text of the EINVAL raised for an option of a missing mechanism."""
    name = SocketOption(option).name
    return f"{strerror(_errno.EINVAL)}: {name} is not supported ({_NO_SECURITY})"


__all__ = [
    "IPC_PATH_MAX_LEN",
    "PYZMQ_DRAFT_API",
    "curve_keypair",
    "curve_public",
    "error_for",
    "from_serverlink",
    "has",
    "raise_last",
    "security_message",
    "strerror",
    "zmq_errno",
    "zmq_version_info",
]
