"""pyzmq on serverlink: ``PYZMQ_BACKEND=serverlink.backend``.

pyzmq chooses its backend when ``zmq`` is first imported, so each test runs
its pyzmq code in a fresh interpreter (bounded by a timeout) and checks what
that code printed. Where a behaviour is libzmq's contract (errors, the FD and
EVENTS pair), the same code also runs on pyzmq's own backend, and the two
outputs must be the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from importlib.util import find_spec

import pytest
from serverlink._core import ffi, lib

import serverlink

BACKEND = "serverlink.backend"
NATIVE = "native"  # pyzmq's own backend (its bundled libzmq)

needs_pyzmq = pytest.mark.skipif(find_spec("zmq") is None, reason="pyzmq is not installed")


def run_pyzmq(code: str, *args: str, backend: str = BACKEND, timeout: float = 60) -> list[str]:
    """Run ``code`` in a new interpreter on the given pyzmq backend; its output lines."""
    env = dict(os.environ)
    env.pop("PYZMQ_BACKEND", None)
    if backend != NATIVE:
        env["PYZMQ_BACKEND"] = backend
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout.splitlines()


# -- native serverlink -------------------------------------------------------


def test_hwm_set_after_connect_applies_to_existing_pipe(ctx: serverlink.Context) -> None:
    # libzmq applies SNDHWM/RCVHWM changes to attached pipes (update_pipe_options);
    # pyzmq code relies on it (e.g. hwm = 0 after connect for an unbounded queue).
    a = ctx.socket(serverlink.PAIR)
    a.bind("inproc://hwm-after-connect")
    b = ctx.socket(serverlink.PAIR)
    b.connect("inproc://hwm-after-connect")
    b.sndhwm = 0
    a.rcvhwm = 0
    for _ in range(5000):
        b.send(b"x", serverlink.DONTWAIT)
    assert [a.recv(serverlink.DONTWAIT) for _ in range(5000)] == [b"x"] * 5000


def test_poll_reports_eterm_at_once_when_term_stops_its_socket(ctx: serverlink.Context) -> None:
    # EVENTS used to swallow ETERM the one time it processed `stop`, so sl_poll
    # went back to sleep on a mailbox nothing would signal again (a proxy or
    # monitored_queue thread in poll then hung context term).
    s = ctx.socket(serverlink.PULL)
    s.bind("inproc://poll-eterm")
    result: list[tuple[int, bool]] = []

    def poll() -> None:
        item = ffi.new("sl_pollitem[]", 1)
        item[0].socket = s._s
        item[0].events = serverlink.POLLIN
        rc = lib.sl_poll(item, 1, 10_000)
        result.append((rc, ffi.errno == serverlink.ETERM))
        s.close()

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.1)
    t0 = time.monotonic()
    ctx.term()
    t.join(15)
    assert result == [(-1, True)]
    assert time.monotonic() - t0 < 5
