"""tests/c/test_windows.c built natively, with the kqueue emulation
(tests/c/kqueue_emu) compiled in, and run on every poller of this build plus
kqueue: the loop and I/O paths (reaper wake-up, create/close/term cycles,
LINGER, the signaler switch at reaping, tcp exchanges, accept, reconnect,
no spinning while idle, ipc) that test_windows_wine.py runs on IOCP."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import serverlink

from . import cbuild

pytestmark = [
    pytest.mark.skipif(cbuild.compiler() is None, reason="no C compiler"),
    pytest.mark.timeout(300),
]

POLLERS = [*serverlink.pollers(), *(["kqueue"] if "kqueue" not in serverlink.pollers() else [])]

CASES = [
    ("reaper", "100", "100 pings woke the reaper"),
    ("cycles", "1000", "1000 create/use/close/term cycles"),
    ("linger", "0", "linger 200: term with a stalled peer"),
    ("switch", "60", "every command taken in order across the switch"),
    ("reap-queued", "100", "all reaped"),
    ("tcp", "16", "16 x 1 MiB each way"),
    ("fanin", "32", "32 connections accepted"),
    ("reconnect", "0", "3 server restarts followed"),
    ("idle", "1000", "a retrying connecter"),
    ("ipc", "0", "ipc: exchange"),
]


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("c-platform") / "test_windows"
    return cbuild.build("test_windows", out, cbuild.KQUEUE_EMU_FLAGS)


@pytest.mark.parametrize("poller", POLLERS)
@pytest.mark.parametrize(("test", "arg", "expect"), CASES, ids=[c[0] for c in CASES])
def test_platform(program: Path, poller: str, test: str, arg: str, expect: str) -> None:
    r = subprocess.run(
        [str(program), test, poller, arg], capture_output=True, text=True, timeout=240
    )
    assert r.returncode == 0, f"{test} on {poller}:\n{r.stdout}\n{r.stderr}"
    assert expect in r.stdout, r.stdout
