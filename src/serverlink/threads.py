"""The loop threads: ``LoopThread`` and its two kinds, ``IoThread`` and ``Reaper``.

Each loop thread owns a C loop (a poller and a mailbox) and makes one
blocking cffi call into it, ``sl_loop_run``, which returns when the loop is
told to stop. The C loop never calls back into Python.

The mailbox is attached to the poller by :meth:`LoopThread._attach`, the one
code path every loop thread uses (the reaper included): on an I/O completion
port, the signaler is redirected to the port (``set_iocp``), its handler is
registered as a posted-wake-up key and the load is adjusted by hand; on every
other poller, the signaler's fd is added and watched for reading. Detach
mirrors it exactly, in the loop's own thread, after the loop has stopped.
The system serverlink descends from hung at termination because its reaper
skipped the ``set_iocp`` step; here the reaper cannot take another path.
"""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

from serverlink._core import ffi, lib
from serverlink.error import raise_errno


class LoopThread:
    """A thread running one C loop. Use :class:`IoThread` or :class:`Reaper`."""

    kind: ClassVar[int]

    def __init__(self, cctx: Any, poller: str | None, name: str) -> None:
        cname = poller.encode() if poller else ffi.NULL
        loop = lib.sl_ctx_add_loop(cctx, self.kind, cname)
        if loop == ffi.NULL:
            raise_errno()
        self._loop = loop
        # What introspection reports once the C loop is freed (see _release).
        self._final: dict[str, Any] | None = None
        self._lock = threading.Lock()  # orders ping()/stop() against _release()
        self._handle: Any = None
        self._iocp = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    # The one attach/detach path (see the module docstring).

    def _attach(self) -> None:
        poller = lib.sl_loop_poller(self._loop)
        handler = lib.sl_loop_mailbox_handler(self._loop)
        port = lib.sl_poller_port(poller)
        self._iocp = port != ffi.NULL
        if self._iocp:
            key = int(ffi.cast("uintptr_t", handler))
            if lib.sl_signaler_set_iocp(lib.sl_loop_signaler(self._loop), port, key) != 0:
                raise_errno()
            if lib.sl_poller_set_mailbox_handler(poller, handler) != 0:
                raise_errno()
            if lib.sl_poller_adjust_mailbox_load(poller, 1) != 0:
                raise_errno()
        else:
            fd = lib.sl_signaler_fd(lib.sl_loop_signaler(self._loop))
            handle = lib.sl_poller_add_fd(poller, fd, handler)
            if handle == ffi.NULL:
                raise_errno()
            self._handle = handle
            lib.sl_poller_set_pollin(poller, handle)

    def _detach(self) -> None:
        poller = lib.sl_loop_poller(self._loop)
        if self._iocp:
            lib.sl_poller_adjust_mailbox_load(poller, -1)
            lib.sl_poller_clear_mailbox_handler(poller, lib.sl_loop_mailbox_handler(self._loop))
        else:
            lib.sl_poller_rm_fd(poller, self._handle)
            self._handle = None

    def _run(self) -> None:
        lib.sl_loop_run(self._loop)  # blocks, without the GIL, until stopped
        self._detach()

    def start(self) -> None:
        """Attach the mailbox, start the thread, return once the C loop runs.

        Attaching first means no command sent before the loop runs is missed.
        """
        self._attach()
        self._thread.start()
        deadline = time.monotonic() + 10.0
        while not lib.sl_loop_running(self._loop):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0)

    def stop(self) -> None:
        """Ask the loop to stop (a command; returns at once)."""
        with self._lock:
            if self._final is None:
                lib.sl_loop_stop(self._loop)

    def join(self, timeout: float | None = None) -> None:
        if self._thread.ident is not None:  # never started: nothing to join
            self._thread.join(timeout)

    def _release(self) -> None:
        """Record the final state; the context is about to free the C loop."""
        with self._lock:
            self._final = {
                "poller": self.poller,
                "load": self.load,
                "running": self.running,
                "commands": self.commands,
            }
            self._loop = ffi.NULL

    def ping(self) -> None:
        """Send the loop a no-op command; :attr:`commands` counts it once run."""
        with self._lock:
            if self._final is not None:
                raise RuntimeError(f"{self.name} has stopped")
            lib.sl_loop_ping(self._loop)

    @property
    def name(self) -> str:
        return self._thread.name

    @property
    def poller(self) -> str:
        """The poller backend this loop runs on."""
        if self._final is not None:
            return self._final["poller"]  # type: ignore[no-any-return]
        return str(ffi.string(lib.sl_loop_poller_name(self._loop)).decode())

    @property
    def load(self) -> int:
        """Registered fds plus attached mailboxes (zero once stopped)."""
        if self._final is not None:
            return self._final["load"]  # type: ignore[no-any-return]
        return int(lib.sl_loop_load(self._loop))

    @property
    def running(self) -> bool:
        """True while the C loop runs."""
        if self._final is not None:
            return self._final["running"]  # type: ignore[no-any-return]
        return bool(lib.sl_loop_running(self._loop))

    @property
    def alive(self) -> bool:
        """True while the Python thread exists."""
        return self._thread.is_alive()

    @property
    def commands(self) -> int:
        """Commands this loop has processed."""
        if self._final is not None:
            return self._final["commands"]  # type: ignore[no-any-return]
        return int(lib.sl_loop_commands(self._loop))

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.name} {self.poller} {state} load={self.load}>"


class IoThread(LoopThread):
    """An I/O thread: listeners, connecters, sessions, engines and timers."""

    kind = lib.SL_LOOP_IO

    def __init__(self, cctx: Any, poller: str | None, index: int) -> None:
        super().__init__(cctx, poller, f"serverlink-io-{index}")


class Reaper(LoopThread):
    """The reaper: finishes closed sockets, then tells the context it is done."""

    kind = lib.SL_LOOP_REAPER

    def __init__(self, cctx: Any, poller: str | None) -> None:
        super().__init__(cctx, poller, "serverlink-reaper")
