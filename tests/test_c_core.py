"""The C core's own tests (tests/c/test_core.c), built with the system
compiler: plain, and under AddressSanitizer + UndefinedBehaviorSanitizer and
ThreadSanitizer where the compiler supports them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import serverlink

from . import cbuild

pytestmark = pytest.mark.skipif(cbuild.compiler() is None, reason="no C compiler")

VARIANTS = {
    "plain": [],
    "asan": [
        "-fsanitize=address,undefined",
        "-fno-sanitize-recover=all",
        "-fno-omit-frame-pointer",
    ],
    "tsan": ["-fsanitize=thread"],
}


def _can_build(flags: list[str], tmp: Path) -> bool:
    src = tmp / "probe.c"
    src.write_text("int main(void){return 0;}\n")
    cc = cbuild.compiler()
    assert cc is not None
    r = subprocess.run([cc, *flags, str(src), "-o", str(tmp / "probe")], capture_output=True)
    return r.returncode == 0 and subprocess.run([str(tmp / "probe")]).returncode == 0


@pytest.fixture(scope="module", params=list(VARIANTS))
def test_core(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp(f"c-{request.param}")
    flags = VARIANTS[request.param]
    if flags and not _can_build(flags, tmp):
        pytest.skip(f"{request.param}: the compiler has no such runtime here")
    return cbuild.build("test_core", tmp / "test_core", flags)


def run(binary: Path, *args: str) -> str:
    env = {"ASAN_OPTIONS": "detect_leaks=1", "TSAN_OPTIONS": "halt_on_error=1"}
    r = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=240, env=env)
    assert r.returncode == 0, f"{binary.name} {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
    assert "WARNING: ThreadSanitizer" not in r.stderr, r.stderr
    return r.stdout


@pytest.mark.timeout(300)
def test_ypipe_keeps_order_and_wakes_sleeping_reader(test_core: Path) -> None:
    out = run(test_core, "ypipe")
    assert "2000000 items in order" in out


@pytest.mark.timeout(300)
def test_mailbox_four_writers_lose_nothing_and_keep_order(test_core: Path) -> None:
    out = run(test_core, "mailbox")
    assert "4 writers x 250000 commands, none lost, order kept" in out


@pytest.mark.timeout(300)
@pytest.mark.parametrize("poller", serverlink.pollers())
def test_c_lifecycle_reaper_wakes_and_loads_return_to_zero(test_core: Path, poller: str) -> None:
    n = "1000" if test_core.parent.name.startswith("c-plain") else "100"
    out = run(test_core, "lifecycle", poller, n)
    assert f"lifecycle[{poller}]: {n} contexts" in out


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_traffic_of_every_message_size_between_threads(test_core: Path, transport: str) -> None:
    out = run(test_core, "traffic", transport)
    assert f"traffic {transport}: 60000 messages" in out
