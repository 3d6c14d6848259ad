"""The Windows build, under Wine: the C core cross-compiled with mingw-w64
(so its poller is IOCP) together with tests/c/test_windows.c and
tests/c/test_core.c, run with Wine in a fresh WINEPREFIX made in a temporary
directory, each run under a timeout.

The programs drive the C API exactly as the Python classes do (harness.h's
attach path: ``sl_signaler_set_iocp``, ``sl_poller_set_mailbox_handler``,
``sl_poller_adjust_mailbox_load``). What they measure is printed (the 1,000
create/use/close/term cycles, the tcp exchange), uncaptured.

Needs ``x86_64-w64-mingw32-gcc`` and ``wine``: .ci/install-platform-tools
installs them. Without them these tests skip, saying why, except in CI
(``CI=true``), where a missing tool fails them instead of hiding them.
A Windows CPython cannot be had here (neither PyPI nor Debian ships one), so
the Python suite itself is not run under Wine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import cbuild

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

pytestmark = pytest.mark.timeout(600)


def _wine() -> str | None:
    for name in ("wine", "wine64", "/usr/lib/wine/wine64"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _wineserver() -> str | None:
    return shutil.which("wineserver") or shutil.which("/usr/lib/wine/wineserver")


class Wine:
    """Runs Windows programs in one private prefix."""

    def __init__(self, wine: str, prefix: Path) -> None:
        self.wine = wine
        self.env = {
            **os.environ,
            "WINEPREFIX": str(prefix),
            "WINEDEBUG": "-all",
            # No Mono/Gecko installers when the prefix is made.
            "WINEDLLOVERRIDES": "mscoree,mshtml=",
        }
        self.env.pop("DISPLAY", None)

    def run(self, exe: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.wine, str(exe), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def check(self, exe: Path, *args: str, timeout: float = 300) -> str:
        r = self.run(exe, *args, timeout=timeout)
        assert r.returncode == 0, (
            f"{exe.name} {' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
        )
        return r.stdout


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    missing = [t for t, found in ((cbuild.MINGW, cbuild.mingw()), ("wine", _wine())) if not found]
    if missing:
        msg = f"{', '.join(missing)} not installed (.ci/install-platform-tools installs them)"
        if IN_CI:
            pytest.fail(f"CI must run the Windows tests, but {msg}")
        pytest.skip(msg)
    wine_path = _wine()
    assert wine_path is not None
    w = Wine(wine_path, tmp_path_factory.mktemp("wineprefix"))
    yield w
    server = _wineserver()
    if server:  # end this prefix's server (it would linger a few seconds)
        subprocess.run([server, "-k"], env=w.env, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def programs(wine: Wine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    built = cbuild.build_windows(
        ["test_windows", "test_core"], tmp_path_factory.mktemp("win-build")
    )
    # The first run makes the prefix (several seconds); it also shows the
    # program starts at all: without arguments it prints its usage.
    r = wine.run(built["test_windows"], timeout=300)
    assert r.returncode == 2 and "usage" in r.stderr, r.stdout + r.stderr
    return built


def report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        for line in text.strip().splitlines():
            print(f"\n  [wine] {line}", end="")
        print()


def test_core_ypipe_and_mailbox(wine: Wine, programs: dict[str, Path]) -> None:
    assert "2000000 items in order" in wine.check(programs["test_core"], "ypipe")
    out = wine.check(programs["test_core"], "mailbox")
    assert "4 writers x 250000 commands, none lost, order kept" in out


def test_iocp_is_the_poller(wine: Wine, programs: dict[str, Path]) -> None:
    # The reaper and the I/O threads attach through set_iocp: a ping to the
    # reaper wakes it, 1,000 times, and every load returns to zero.
    out = wine.check(programs["test_core"], "lifecycle", "iocp", "1000")
    assert "lifecycle[iocp]: 1000 contexts" in out


# (test, argument, what the output must say)
CASES = [
    ("reaper", "200", "200 pings woke the reaper"),
    ("cycles", "1000", "1000 create/use/close/term cycles"),
    ("linger", "0", "linger 200: term with a stalled peer"),
    ("switch", "60", "every command taken in order across the switch"),
    ("reap-queued", "100", "all reaped"),
    ("tcp", "16", "16 x 1 MiB each way"),
    ("fanin", "32", "32 connections accepted"),
    ("reconnect", "0", "3 server restarts followed"),
    ("idle", "1500", "a retrying connecter"),
    ("ipc", "0", "ipc:"),
]


@pytest.mark.parametrize(("test", "arg", "expect"), CASES, ids=[c[0] for c in CASES])
def test_windows(
    wine: Wine,
    programs: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    test: str,
    arg: str,
    expect: str,
) -> None:
    out = wine.check(programs["test_windows"], test, "iocp", arg)
    assert expect in out, out
    report(capsys, out)
