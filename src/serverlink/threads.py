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

from serverlink._binding import LOOP_IO, LOOP_REAPER, CContext, CLoop


class LoopThread:
    """A thread running one C loop. Use :class:`IoThread` or :class:`Reaper`."""

    kind: ClassVar[int]

    def __init__(self, cctx: CContext, poller: str | None, name: str) -> None:
        self._loop: CLoop | None = cctx.add_loop(self.kind, poller)
        # What introspection reports once the C loop is freed (see _release).
        self._final: dict[str, Any] | None = None
        self._lock = threading.Lock()  # orders ping()/stop() against _release()
        self._iocp = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _c(self) -> CLoop:
        loop = self._loop
        if loop is None:
            raise RuntimeError(f"{self.name} has stopped")
        return loop

    # The one attach/detach path (see the module docstring).

    def _attach(self) -> None:
        loop = self._c()
        self._iocp = loop.has_completion_port()
        if self._iocp:
            loop.signal_through_port()
            loop.set_mailbox_handler()
            loop.adjust_mailbox_load(1)
        else:
            loop.add_mailbox_fd()
            loop.set_mailbox_pollin()

    def _detach(self) -> None:
        loop = self._c()
        if self._iocp:
            loop.adjust_mailbox_load(-1)
            loop.clear_mailbox_handler()
        else:
            loop.rm_mailbox_fd()

    def _run(self) -> None:
        self._c().run()  # blocks, without the GIL, until stopped
        self._detach()

    def start(self) -> None:
        """Attach the mailbox, start the thread, return once the C loop runs.

        Attaching first means no command sent before the loop runs is missed.
        """
        self._attach()
        self._thread.start()
        deadline = time.monotonic() + 10.0
        loop = self._c()
        while not loop.running():
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0)

    def stop(self) -> None:
        """Ask the loop to stop (a command; returns at once)."""
        with self._lock:
            if self._final is None:
                self._c().stop()

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
            self._loop = None

    def ping(self) -> None:
        """Send the loop a no-op command; :attr:`commands` counts it once run."""
        with self._lock:
            if self._final is not None:
                raise RuntimeError(f"{self.name} has stopped")
            self._c().ping()

    @property
    def name(self) -> str:
        return self._thread.name

    @property
    def poller(self) -> str:
        """The poller backend this loop runs on."""
        if self._final is not None:
            return self._final["poller"]  # type: ignore[no-any-return]
        return self._c().poller_name()

    @property
    def load(self) -> int:
        """Registered fds plus attached mailboxes (zero once stopped)."""
        if self._final is not None:
            return self._final["load"]  # type: ignore[no-any-return]
        return self._c().load()

    @property
    def running(self) -> bool:
        """True while the C loop runs."""
        if self._final is not None:
            return self._final["running"]  # type: ignore[no-any-return]
        return self._c().running()

    @property
    def alive(self) -> bool:
        """True while the Python thread exists."""
        return self._thread.is_alive()

    @property
    def commands(self) -> int:
        """Commands this loop has processed."""
        if self._final is not None:
            return self._final["commands"]  # type: ignore[no-any-return]
        return self._c().commands()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.name} {self.poller} {state} load={self.load}>"


class IoThread(LoopThread):
    """An I/O thread: listeners, connecters, sessions, engines and timers."""

    kind = LOOP_IO

    def __init__(self, cctx: CContext, poller: str | None, index: int) -> None:
        super().__init__(cctx, poller, f"serverlink-io-{index}")


class Reaper(LoopThread):
    """The reaper: finishes closed sockets, then tells the context it is done."""

    kind = LOOP_REAPER

    def __init__(self, cctx: CContext, poller: str | None) -> None:
        super().__init__(cctx, poller, "serverlink-reaper")
