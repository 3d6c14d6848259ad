"""Exceptions with pyzmq's names and libzmq's errno values.

Every error the C core reports carries an errno; :func:`error_for` turns it
into the matching exception (``Again`` for EAGAIN, ``ContextTerminated`` for
ETERM, ``ZMQError`` otherwise), with libzmq's message text.
"""

from __future__ import annotations

import errno as _errno
from typing import NoReturn

HAUSNUMERO = 156384712
EFSM = HAUSNUMERO + 51
ENOCOMPATPROTO = HAUSNUMERO + 52
ETERM = HAUSNUMERO + 53
EMTHREAD = HAUSNUMERO + 54


def strerror(errnum: int) -> str:
    """libzmq's text for an errno value."""
    # The C core has the text; the binding imports this module, so it is
    # imported here, late.
    from serverlink._binding import strerror as c_strerror

    return c_strerror(errnum)


class ZMQBaseError(Exception):
    """Base of every serverlink exception."""


class ZMQError(ZMQBaseError):
    """An error reported by the core, carrying its errno (as pyzmq's)."""

    errno: int | None
    strerror: str

    def __init__(self, errno: int | None = None, msg: str | None = None) -> None:
        self.errno = errno
        if msg is None:
            msg = strerror(errno) if errno is not None else "unknown error"
        self.strerror = msg
        super().__init__(msg)

    def __str__(self) -> str:
        return self.strerror

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.strerror!r})"


class Again(ZMQError):
    """EAGAIN: the operation would block (DONTWAIT, or a timeout expired)."""


class ContextTerminated(ZMQError):
    """ETERM: the context was terminated."""


class InterruptedSystemCall(ZMQError):
    """EINTR, when a signal handler asked for the call to stop."""


class ZMQBindError(ZMQBaseError):
    """A bind to a random port failed after every try."""


class NotDone(ZMQBaseError):
    """A tracked message was not yet sent when the wait timed out."""


class ZMQVersionError(NotImplementedError):
    """A feature needs a newer libzmq than the API level serverlink follows (4.3.5).

    As pyzmq's: ``str(e)`` is "<msg> requires libzmq >= <min_version>, have 4.3.5".
    """

    msg: str
    min_version: str
    version: str

    def __init__(self, min_version: str, msg: str = "Feature") -> None:
        from serverlink.version import zmq_version

        self.msg = msg
        self.min_version = min_version
        self.version = zmq_version()
        super().__init__(str(self))

    def __repr__(self) -> str:
        return f"ZMQVersionError('{self}')"

    def __str__(self) -> str:
        return f"{self.msg} requires libzmq >= {self.min_version}, have {self.version}"


class DraftFDWarning(RuntimeWarning):
    """pyzmq's warning about FD on its draft thread-safe sockets.

    serverlink has no draft sockets, so it never issues this warning; the
    class is here for code that filters it.
    """

    def __init__(self, msg: str = "") -> None:
        super().__init__(msg or "FD on draft thread-safe sockets is experimental")


def zmq_errno() -> int:
    """The errno of this thread's last failed serverlink call (libzmq's ``zmq_errno``)."""
    from serverlink._binding import last_errno

    return last_errno()


def error_for(errnum: int, msg: str | None = None) -> ZMQError:
    """The exception object for an errno value."""
    if errnum == _errno.EAGAIN:
        return Again(errnum, msg)
    if errnum == ETERM:
        return ContextTerminated(errnum, msg)
    if errnum == _errno.EINTR:
        return InterruptedSystemCall(errnum, msg)
    return ZMQError(errnum, msg)


def raise_errno(errnum: int, msg: str | None = None) -> NoReturn:
    """Raise the exception for ``errnum``."""
    raise error_for(errnum, msg)
