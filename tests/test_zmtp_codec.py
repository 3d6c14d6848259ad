"""The ZMTP codec's C unit tests (tests/c/test_zmtp.c), one pytest test each,
built plain and under AddressSanitizer + UndefinedBehaviorSanitizer."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from . import cbuild

pytestmark = [
    pytest.mark.skipif(cbuild.compiler() is None, reason="no C compiler"),
    pytest.mark.timeout(120),
]

#: What the codec needs of the core: a harness for it alone builds in a second.
CODEC_SOURCES = ["transport/zmtp.c", "core/msg.c", "platform/thread.c"]

SANITIZERS = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
]
VARIANTS = {"plain": [], "asan": SANITIZERS}
ENV = {"ASAN_OPTIONS": "detect_leaks=1", "UBSAN_OPTIONS": "print_stacktrace=1"}


def can_build(flags: list[str], tmp: Path, cc: str | None = None) -> bool:
    """Whether this compiler builds and runs a program with these flags."""
    cc = cc or cbuild.compiler()
    if cc is None:
        return False
    src = tmp / "probe.c"
    src.write_text("int main(void){return 0;}\n")
    r = subprocess.run([cc, *flags, str(src), "-o", str(tmp / "probe")], capture_output=True)
    return r.returncode == 0 and subprocess.run([str(tmp / "probe")]).returncode == 0


@pytest.fixture(scope="module", params=list(VARIANTS))
def test_zmtp(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp(f"zmtp-{request.param}")
    flags = VARIANTS[request.param]
    if flags and not can_build(flags, tmp):
        pytest.skip(f"{request.param}: the compiler has no such runtime here")
    return cbuild.build("test_zmtp", tmp / "test_zmtp", flags, only=CODEC_SOURCES)


def _names() -> list[str]:
    src = (cbuild.ROOT / "tests" / "c" / "test_zmtp.c").read_text()
    table = src[src.index("static const test tests[]") :]
    return [line.split('"')[1] for line in table.splitlines() if line.strip().startswith('{ "')]


@pytest.mark.parametrize("name", _names())
def test_codec(test_zmtp: Path, name: str) -> None:
    r = subprocess.run([str(test_zmtp), name], capture_output=True, text=True, timeout=60, env=ENV)
    assert r.returncode == 0, f"{name}:\n{r.stdout}\n{r.stderr}"
    assert r.stdout.strip() == f"ok {name}"


def test_every_codec_test_is_collected(test_zmtp: Path) -> None:
    r = subprocess.run([str(test_zmtp), "--list"], capture_output=True, text=True, timeout=30)
    assert r.stdout.split() == _names()
