"""serverlink: brokerless messaging with ZeroMQ-style sockets and a C hot path.

ZeroMQ's socket types (PAIR, PUB/SUB, XPUB/XSUB, PUSH/PULL, REQ/REP,
DEALER/ROUTER) over ``inproc://``, ``ipc://`` and ``tcp://``, speaking ZMTP
3.1 on the wire, so serverlink talks to any libzmq peer (pyzmq, CZMQ,
JeroMQ, NetMQ). The names, constants and behaviour are pyzmq's (libzmq
4.3.5's semantics), so pyzmq code reads the same with
``import serverlink as zmq``::

    import serverlink as zmq

    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = ctx.socket(zmq.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    push.send_multipart([b"hello", b"world"])
    print(pull.recv_multipart())        # [b'hello', b'world']
    ctx.destroy()

``serverlink.asyncio`` has the same classes with awaitable operations;
``PYZMQ_BACKEND=serverlink.backend`` runs pyzmq itself on serverlink's core;
``python -m serverlink`` takes a short tour.
"""

from __future__ import annotations

from serverlink import constants as _constants
from serverlink._binding import pollers
from serverlink._binding import version as _version
from serverlink.constants import *  # noqa: F403

# Names serverlink had before ``constants.__all__`` (not pyzmq's; not in __all__).
from serverlink.constants import BYTES_OPTIONS as BYTES_OPTIONS
from serverlink.constants import (
    EVENT_PROTOCOL_ERROR_ZAP_UNSPECIFIED as EVENT_PROTOCOL_ERROR_ZAP_UNSPECIFIED,
)
from serverlink.constants import (
    EVENT_PROTOCOL_ERROR_ZMTP_UNSPECIFIED as EVENT_PROTOCOL_ERROR_ZMTP_UNSPECIFIED,
)
from serverlink.constants import FD_OPTIONS as FD_OPTIONS
from serverlink.constants import INT64_OPTIONS as INT64_OPTIONS
from serverlink.constants import SNDHWM_DEFAULT as SNDHWM_DEFAULT
from serverlink.context import Context
from serverlink.error import (
    Again,
    ContextTerminated,
    DraftFDWarning,
    InterruptedSystemCall,
    NotDone,
    ZMQBaseError,
    ZMQBindError,
    ZMQError,
    ZMQVersionError,
    strerror,
    zmq_errno,
)
from serverlink.frame import Frame, Message, MessageTracker
from serverlink.poll import Poller, select, zmq_poll
from serverlink.proxy import device, proxy, proxy_steerable
from serverlink.socket import COPY_THRESHOLD, DEFAULT_PROTOCOL, Socket
from serverlink.threads import IoThread, LoopThread, Reaper
from serverlink.utils import Stopwatch
from serverlink.version import (
    DRAFT_API,
    PYZMQ_DRAFT_API,
    has,
    pyzmq_version,
    pyzmq_version_info,
    zmq_version,
    zmq_version_info,
)

__version__: str = _version()

#: pyzmq's typing aliases (``zmq.SyncContext``, ``zmq.SyncSocket``): the blocking classes.
SyncContext = Context
SyncSocket = Socket

__all__ = [  # noqa: RUF022 (grouped: lifecycle, sockets, polling, errors, versions)
    "Context",
    "IoThread",
    "LoopThread",
    "Reaper",
    "SyncContext",
    "COPY_THRESHOLD",
    "DEFAULT_PROTOCOL",
    "Frame",
    "Message",
    "MessageTracker",
    "Socket",
    "SyncSocket",
    "Poller",
    "select",
    "zmq_poll",
    "device",
    "proxy",
    "proxy_steerable",
    "Again",
    "ContextTerminated",
    "DraftFDWarning",
    "InterruptedSystemCall",
    "NotDone",
    "ZMQBaseError",
    "ZMQBindError",
    "ZMQError",
    "ZMQVersionError",
    "strerror",
    "zmq_errno",
    "__version__",
    "DRAFT_API",
    "PYZMQ_DRAFT_API",
    "has",
    "pollers",
    "pyzmq_version",
    "pyzmq_version_info",
    "zmq_version",
    "zmq_version_info",
    "Stopwatch",
]
__all__ += _constants.__all__
