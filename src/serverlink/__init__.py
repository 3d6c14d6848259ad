"""serverlink: brokerless messaging with ZeroMQ-style sockets and a C hot path.

The public names follow pyzmq's, so ``import serverlink as zmq`` reads the
way pyzmq code does.
"""

from __future__ import annotations

from serverlink._binding import pollers
from serverlink._binding import version as _version
from serverlink.constants import *  # noqa: F403
from serverlink.context import Context
from serverlink.error import (
    Again,
    ContextTerminated,
    InterruptedSystemCall,
    NotDone,
    ZMQBaseError,
    ZMQBindError,
    ZMQError,
    strerror,
)
from serverlink.frame import Frame, Message, MessageTracker
from serverlink.poll import Poller, select, zmq_poll
from serverlink.proxy import proxy, proxy_steerable
from serverlink.socket import COPY_THRESHOLD, DEFAULT_PROTOCOL, Socket
from serverlink.threads import IoThread, LoopThread, Reaper
from serverlink.version import (
    has,
    pyzmq_version,
    pyzmq_version_info,
    zmq_version,
    zmq_version_info,
)

__version__: str = _version()

__all__ = [  # noqa: RUF022 (grouped: lifecycle, sockets, polling, errors, versions)
    "COPY_THRESHOLD",
    "DEFAULT_PROTOCOL",
    "Frame",
    "Message",
    "MessageTracker",
    "Socket",
    "Poller",
    "select",
    "zmq_poll",
    "proxy",
    "proxy_steerable",
    "Again",
    "Context",
    "ContextTerminated",
    "InterruptedSystemCall",
    "IoThread",
    "LoopThread",
    "NotDone",
    "Reaper",
    "ZMQBaseError",
    "ZMQBindError",
    "ZMQError",
    "__version__",
    "pollers",
    "strerror",
    "has",
    "pyzmq_version",
    "pyzmq_version_info",
    "zmq_version",
    "zmq_version_info",
]
