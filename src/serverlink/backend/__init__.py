"""pyzmq's backend contract over serverlink: ``PYZMQ_BACKEND=serverlink.backend``.

pyzmq loads its backend from the module named by ``PYZMQ_BACKEND``; with
this one, pyzmq's whole pure-Python layer (``zmq.Context``, ``zmq.Socket``
and their helpers, ``zmq.Poller``, ``zmq.asyncio``, ``zmq.eventloop``,
``zmq.proxy``, ``zmq.devices``, ``zmq.utils.monitor``) runs on serverlink's
C core, and no pyzmq C extension is loaded::

    PYZMQ_BACKEND=serverlink.backend python app.py

The names are those of pyzmq's ``zmq/backend/select.py`` (``public_api``
plus ``monitored_queue``); ``Context`` and ``Socket`` are the base classes
of pyzmq's ``zmq.Context`` and ``zmq.Socket``, and ``Frame`` of ``zmq.Frame``.

What serverlink does not have is reported, not faked: ``has("curve")``,
``has("draft")``... are False, ``curve_keypair``/``curve_public`` raise
``ZMQError(ENOTSUP)``, security options raise ``ZMQError(EINVAL)`` naming
the missing mechanism. ``zmq_version_info()`` is the libzmq API level
serverlink follows (4.3.5); serverlink's own version is
``serverlink.__version__``. This package needs pyzmq installed.
"""

from __future__ import annotations

import sys

from serverlink.backend.context import Context
from serverlink.backend.devices import monitored_queue, proxy, proxy_steerable
from serverlink.backend.frame import Frame, Message
from serverlink.backend.poll import zmq_poll
from serverlink.backend.socket import Socket
from serverlink.backend.utils import (
    IPC_PATH_MAX_LEN,
    PYZMQ_DRAFT_API,
    curve_keypair,
    curve_public,
    has,
    strerror,
    zmq_errno,
    zmq_version_info,
)


def _check_selected() -> None:
    # Imported any other way than by pyzmq's backend selection, `import zmq`
    # (inside this package) loads pyzmq on its own backend, whose classes
    # these are not the bases of: nothing here would work, so say so now.
    zmq_backend = sys.modules.get("zmq.backend")
    chosen = getattr(zmq_backend, "Socket", None)
    if chosen is not None and chosen is not Socket:
        raise ImportError(
            f"pyzmq is running on {chosen.__module__}: serverlink.backend works only as "
            "pyzmq's backend, chosen before zmq is first imported "
            "(PYZMQ_BACKEND=serverlink.backend)"
        )


_check_selected()

__all__ = [
    "IPC_PATH_MAX_LEN",
    "PYZMQ_DRAFT_API",
    "Context",
    "Frame",
    "Message",
    "Socket",
    "curve_keypair",
    "curve_public",
    "has",
    "monitored_queue",
    "proxy",
    "proxy_steerable",
    "strerror",
    "zmq_errno",
    "zmq_poll",
    "zmq_version_info",
]
