"""``Frame`` (a message part that is not copied) and ``MessageTracker``.

A Frame received with ``copy=False`` owns the C message: its bytes are
read in place through :attr:`Frame.buffer`, and the C message lives as long
as the Frame or any buffer taken from it. A Frame made from Python bytes can
be sent many times without copying its payload again.
"""

from __future__ import annotations

import builtins
import sys
from typing import Any

from serverlink import _zerocopy, threads
from serverlink._binding import Msg
from serverlink.constants import MessageOption
from serverlink.error import NotDone


class MessageTracker:
    """Tells when zero-copy sends are done with their buffers (as pyzmq's).

    Told by the zero-copy watcher thread (another OS thread), so its locks
    are the interpreter's own, which work between OS threads under gevent.
    """

    def __init__(self) -> None:
        self._pending: set[int] = set()
        self._lock = threads.native_lock()
        self._gate = threads.native_lock()  # held while something is pending

    def _track(self, token: int) -> None:
        with self._lock:
            if not self._pending:
                self._gate.acquire()
            self._pending.add(token)

    def _released(self, token: int) -> None:
        with self._lock:
            if token in self._pending:
                self._pending.discard(token)
                if not self._pending:
                    self._gate.release()

    @property
    def done(self) -> bool:
        """True once every tracked message has been released by serverlink."""
        _zerocopy.drain()
        return not self._pending

    def wait(self, timeout: float | int = -1) -> None:
        """Wait until done; raise NotDone if ``timeout`` (seconds) passes first."""
        if self.done:
            return
        forever = timeout is None or timeout < 0
        if not self._gate.acquire(True, -1 if forever else float(timeout)):
            if not self.done:
                raise NotDone("message tracker timed out")
            return
        self._gate.release()


class Frame:
    """One message part, whose bytes serverlink does not copy into Python."""

    tracker: MessageTracker | None

    def __init__(self, data: Any = b"", track: bool = False, copy: bool | None = None) -> None:
        if isinstance(data, str):
            raise TypeError("Frame data must be bytes-like, not str (encode it first)")
        try:
            msg = Msg.copy_of(data)
        except TypeError:
            raise TypeError(f"Frame data must be bytes-like, not {type(data).__name__}") from None
        self._init(msg)
        self.tracker = MessageTracker() if track else None

    def _init(self, msg: Msg) -> None:
        self._msg = msg
        self._size = msg.size
        self._more = msg.more
        self._bytes: builtins.bytes | None = None

    @classmethod
    def _from_msg(cls, msg: Msg) -> Frame:
        """Adopt a C message received from a socket."""
        f = cls.__new__(cls)
        f._init(msg)
        f.tracker = None
        return f

    @property
    def more(self) -> bool:
        """True when another part of the same message follows this one."""
        return self._more

    @property
    def buffer(self) -> memoryview:
        """The bytes, in place (no copy); valid while anything refers to them."""
        return self._msg.buffer()

    @property
    def bytes(self) -> builtins.bytes:
        """A copy of the bytes (made once, then cached)."""
        if self._bytes is None:
            self._bytes = self._msg.bytes()
        return self._bytes

    def get(self, option: int | str) -> int | str:
        """Frame properties: MORE (as pyzmq's ``Frame.get``)."""
        if option in (MessageOption.MORE, "MORE", "more"):
            return int(self._more)
        raise ValueError(f"unknown frame property {option!r}")

    def __len__(self) -> int:
        return self._size

    def __bytes__(self) -> builtins.bytes:
        return self.bytes

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Frame):
            return self.bytes == other.bytes
        if isinstance(other, (bytes, bytearray, memoryview)):
            return self.bytes == builtins.bytes(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    if sys.version_info >= (3, 12):

        def __buffer__(self, flags: int) -> memoryview:
            return self.buffer

    def __repr__(self) -> str:
        head = builtins.bytes(self.buffer[:32])
        tail = "..." if self._size > 32 else ""
        return f"<serverlink.Frame({head!r}{tail}) {self._size}B>"


Message = Frame
