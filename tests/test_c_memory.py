"""What hostile peers leave in the C core's heap (tests/c/test_memory.c).

The program is linked with the allocator wrapped (GNU ld's ``--wrap``), so
it counts every block the core holds -- read blocks and message contents
included -- without a counter in the library and without trusting RSS.
Each case drops peers twice and compares the heap after the second round
with what it was after the first; the idle case also bounds what a
connection that never greets holds while it waits for HANDSHAKE_IVL.
Plain and under AddressSanitizer (whose LeakSanitizer also checks the
exit)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from . import cbuild
from .test_c_core import VARIANTS, _can_build

pytestmark = [
    pytest.mark.skipif(cbuild.compiler() is None, reason="no C compiler"),
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="GNU ld's --wrap and malloc_usable_size"
    ),
]

WRAP = "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup"


@pytest.fixture(scope="module", params=["plain", "asan"])
def test_memory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp(f"cmem-{request.param}")
    flags = VARIANTS[request.param]
    if flags and not _can_build(flags, tmp):
        pytest.skip(f"{request.param}: the compiler has no such runtime here")
    return cbuild.build("test_memory", tmp / "test_memory", [*flags, WRAP])


def run(binary: Path, *args: str) -> str:
    env = {"ASAN_OPTIONS": "detect_leaks=1"}
    r = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, f"{binary.name} {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
    return r.stdout


# Each refused after the handshake, each above the 48-byte inline size (a
# slice of the engine's 8 KiB read block); subscribe-large is read straight
# into a message of its own.
REJECTED = ["unknown", "error", "subscribe", "subscribe-large", "ready", "malformed"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", REJECTED)
def test_rejected_command_leaves_nothing_in_the_heap(test_memory: Path, kind: str) -> None:
    out = run(test_memory, "rejected", kind)
    assert f"rejected {kind}: 32 peers dropped" in out


@pytest.mark.timeout(120)
def test_idle_connection_costs_no_buffers_and_leaves_nothing(test_memory: Path) -> None:
    out = run(test_memory, "idle")
    assert "idle: 64 peers waiting" in out
