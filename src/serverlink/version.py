"""Versions and capabilities, with pyzmq's function names.

serverlink is not libzmq and not pyzmq, but code written for them asks
these questions to decide what it may use. The answers say what serverlink
emulates: libzmq 4.3.5's API and ZMTP 3.1 (``zmq_version``), and pyzmq's
Python API as of 27.0 (``pyzmq_version``). serverlink's own version is
``serverlink.__version__``.
"""

from __future__ import annotations

import sys

#: The libzmq API level whose semantics serverlink follows.
ZMQ_VERSION_INFO: tuple[int, int, int] = (4, 3, 5)
#: The pyzmq API level whose names and behaviour serverlink follows.
PYZMQ_VERSION_INFO: tuple[int, int, int] = (27, 0, 0)

#: Whether libzmq's draft API (RADIO/DISH, CLIENT/SERVER...) is there: never, in serverlink.
DRAFT_API: bool = False
#: pyzmq's name for the same.
PYZMQ_DRAFT_API: bool = False

_CAPABILITIES = {
    # Unix sockets; on Windows the same transport needs AF_UNIX (Windows 10 1803+).
    "ipc": True,
    "pgm": False,
    "tipc": False,
    "norm": False,
    "vmci": False,
    "ws": False,
    "wss": False,
    "curve": False,
    "gssapi": False,
    "draft": False,
}
if sys.platform == "win32":
    _CAPABILITIES["ipc"] = sys.getwindowsversion().build >= 17063


def zmq_version_info() -> tuple[int, int, int]:
    """The libzmq version whose API serverlink emulates: (4, 3, 5)."""
    return ZMQ_VERSION_INFO


def zmq_version() -> str:
    """The libzmq version whose API serverlink emulates, as a string: "4.3.5"."""
    return "{}.{}.{}".format(*ZMQ_VERSION_INFO)


def pyzmq_version_info() -> tuple[int, int, int]:
    """The pyzmq API level serverlink follows."""
    return PYZMQ_VERSION_INFO


def pyzmq_version() -> str:
    """The pyzmq API level serverlink follows, as a string."""
    return "{}.{}.{}".format(*PYZMQ_VERSION_INFO)


def has(capability: str) -> bool:
    """Whether this build has a capability, by libzmq's ``zmq_has`` names.

    "ipc" (True where Unix sockets exist); "curve", "gssapi", "pgm", "tipc",
    "norm", "vmci", "ws", "wss" and "draft" are False; unknown names are False.
    """
    if not isinstance(capability, str):
        raise TypeError(f"capability must be a str, not {type(capability).__name__}")
    return _CAPABILITIES.get(capability, False)


__all__ = [
    "DRAFT_API",
    "PYZMQ_DRAFT_API",
    "has",
    "pyzmq_version",
    "pyzmq_version_info",
    "zmq_version",
    "zmq_version_info",
]
