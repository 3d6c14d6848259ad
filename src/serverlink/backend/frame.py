"""``Frame``: pyzmq's message frame over a serverlink C message.

A frame owns one ``sl_msg``. Received with ``recv(copy=False)``, it is read
in place through :attr:`Frame.buffer`. Made from Python data, it follows
pyzmq: with ``copy=False`` (or, by default, for data of ``copy_threshold``
bytes or more) the C message refers to the data itself, which stays pinned
until serverlink has released the message and every copy of it (the frame
gone, its sends done); ``track=True`` gives a tracker that says when. Small
data is copied, and a copied frame's tracker is done from the start.

pyzmq's ``zmq.Frame`` subclasses this class, so frames the backend creates
(on receive) are made with ``zmq.Frame`` itself.
"""

from __future__ import annotations

import builtins
import errno as _errno
import sys
from typing import Any

import zmq

import serverlink
from serverlink import _binding, _zerocopy
from serverlink._binding import Msg
from serverlink.backend.utils import from_serverlink
from serverlink.constants import MessageOption
from serverlink.frame import MessageTracker as _SLTracker


def _view_of(data: Any) -> memoryview:
    if isinstance(data, str):
        raise TypeError("Unicode strings are not allowed. Only: bytes, buffer interfaces.")
    view = memoryview(data)
    if not view.contiguous:
        raise BufferError("memoryview: underlying buffer is not contiguous")
    return view


class Frame:
    """One message part whose bytes live in a serverlink C message."""

    more: bool
    tracker: Any
    _sl_msg: Msg
    _sl_size: int
    _sl_bytes: builtins.bytes | None
    _sl_buffer: memoryview | None

    def __init__(
        self,
        data: Any = None,
        track: bool = False,
        copy: bool | None = None,
        copy_threshold: int | None = None,
    ) -> None:
        self.more = False
        self.tracker = zmq._FINISHED_TRACKER if track else None
        try:
            if data is None:
                self._sl_adopt(Msg.copy_of(b""))
                return
            view = _view_of(data)
            if copy is None:
                threshold = zmq.COPY_THRESHOLD if copy_threshold is None else copy_threshold
                copy = bool(threshold) and view.nbytes < threshold
            if copy:
                self._sl_adopt(Msg.copy_of(view))
                return
            # Zero-copy: `buf` (which holds the exported buffer) stays pinned
            # until C has released the message and all its copies.
            buf = _binding.view(view)
            _zerocopy.drain()
            sl_tracker = _SLTracker() if track else None
            token = _zerocopy.pin(buf, sl_tracker)
            if sl_tracker is not None:
                sl_tracker._track(token)
            self._sl_adopt(Msg.over(buf, _zerocopy.queue(), token))
        except serverlink.ZMQError as e:
            raise from_serverlink(e) from None
        if sl_tracker is not None:
            from serverlink.backend._tracker import ZeroCopyTracker

            self.tracker = ZeroCopyTracker(sl_tracker)

    def _sl_adopt(self, msg: Msg) -> None:
        self._sl_msg = msg
        self._sl_size = msg.size
        self._sl_bytes = None
        self._sl_buffer = None

    @classmethod
    def _sl_received(cls, msg: Msg) -> Frame:
        """A frame owning ``msg``, just received from a socket."""
        f = cls.__new__(cls)
        f._sl_adopt(msg)
        f.more = msg.more
        f.tracker = None
        return f

    @property
    def buffer(self) -> memoryview:
        """The bytes, in place (no copy); valid while anything refers to them."""
        if self._sl_buffer is None:
            self._sl_buffer = self._sl_msg.buffer()
        return self._sl_buffer

    @property
    def bytes(self) -> builtins.bytes:
        """A copy of the bytes (made once, then cached)."""
        if self._sl_bytes is None:
            self._sl_bytes = self._sl_msg.bytes()
        return self._sl_bytes

    def __len__(self) -> int:
        return self._sl_size

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Frame):
            return self.bytes == other.bytes
        try:
            return self.bytes == memoryview(other).tobytes()  # type: ignore[arg-type]
        except TypeError:
            return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    if sys.version_info >= (3, 12):

        def __buffer__(self, flags: int) -> memoryview:
            return self.buffer

    def __copy__(self) -> Frame:
        return self.fast_copy()

    def fast_copy(self) -> Frame:
        """Another frame on the same C message (no copy of the bytes)."""
        f = type(self).__new__(type(self))
        f._sl_msg = self._sl_msg  # one C message, alive while either frame is
        f._sl_size = self._sl_size
        f._sl_bytes = self._sl_bytes
        f._sl_buffer = self._sl_buffer
        f.more = self.more
        f.tracker = self.tracker
        return f

    def get(self, option: int | str) -> int | str:
        """Frame properties: MORE. serverlink does not expose ZMTP metadata."""
        if option in (MessageOption.MORE, "more", "MORE"):
            return int(self.more)
        what = option if isinstance(option, str) else f"option {option}"
        raise zmq.ZMQError(
            _errno.EINVAL,
            f"Invalid argument: message property {what!r} is not available "
            "(serverlink gives frames no metadata properties)",
        )

    def set(self, option: int | str, value: Any) -> None:
        """No frame property is settable: routing_id/group are draft API serverlink lacks."""
        raise zmq.ZMQError(
            _errno.EINVAL,
            f"Invalid argument: message property {option!r} cannot be set "
            "(serverlink has no draft API: no routing_id, no group)",
        )


Message = Frame
