"""The ZMTP codec fuzz target (tests/c/fuzz_zmtp.c).

Everywhere: built with the system compiler, plain and under ASan + UBSan,
its own driver runs the seed corpus (tests/c/corpus_zmtp/, every file under
all 256 configurations) and a bounded number of seeded pseudo-random inputs.
Where clang with libFuzzer works: a short coverage-guided run as well, on a
scratch copy of the corpus; skipped cleanly otherwise (``apt-get install
clang`` provides it on Debian and Ubuntu).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from . import cbuild
from .test_zmtp_codec import CODEC_SOURCES, ENV, SANITIZERS, can_build

pytestmark = pytest.mark.skipif(cbuild.compiler() is None, reason="no C compiler")

CORPUS = cbuild.ROOT / "tests" / "c" / "corpus_zmtp"
#: Random inputs per build: a few seconds each.
ITERATIONS = {"plain": 100_000, "asan": 15_000}


def corpus_files() -> list[str]:
    return sorted(str(p) for p in CORPUS.iterdir() if p.is_file())


def test_seed_corpus_has_valid_and_invalid_streams() -> None:
    names = {Path(f).name for f in corpus_files()}
    assert "ready_then_messages.bin" in names
    assert "size_2_64_minus_1.bin" in names
    assert len(names) >= 10


@pytest.mark.timeout(120)
@pytest.mark.parametrize("variant", list(ITERATIONS))
def test_fuzz_driver_over_corpus_and_random_inputs(variant: str, tmp_path: Path) -> None:
    flags = SANITIZERS if variant == "asan" else []
    if flags and not can_build(flags, tmp_path):
        pytest.skip(f"{variant}: the compiler has no such runtime here")
    exe = cbuild.build("fuzz_zmtp", tmp_path / "fuzz_zmtp", flags, only=CODEC_SOURCES)
    n = ITERATIONS[variant]
    r = subprocess.run(
        [str(exe), "-n", str(n), "-s", "20240601", *corpus_files()],
        capture_output=True,
        text=True,
        timeout=100,
        env=ENV,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{len(corpus_files())} corpus files x 256 configs, {n} random inputs" in r.stdout


def _libfuzzer_clang(tmp: Path) -> str | None:
    clang = shutil.which("clang")
    if clang is None:
        return None
    src = tmp / "probe_fuzz.c"
    src.write_text(
        "#include <stddef.h>\n#include <stdint.h>\n"
        "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n"
    )
    r = subprocess.run(
        [clang, "-fsanitize=fuzzer", str(src), "-o", str(tmp / "probe_fuzz")], capture_output=True
    )
    if r.returncode != 0:
        return None
    r = subprocess.run([str(tmp / "probe_fuzz"), "-runs=1"], capture_output=True)
    return clang if r.returncode == 0 else None


@pytest.mark.timeout(120)
def test_libfuzzer_short_run(tmp_path: Path) -> None:
    clang = _libfuzzer_clang(tmp_path)
    if clang is None:
        pytest.skip("no clang with libFuzzer here (apt-get install clang)")
    flags = ["-DSL_LIBFUZZER", "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all"]
    exe = cbuild.build("fuzz_zmtp", tmp_path / "fuzz_zmtp_lf", flags, cc=clang, only=CODEC_SOURCES)
    work = tmp_path / "corpus"  # libFuzzer adds what it finds here, never to the repo
    shutil.copytree(CORPUS, work)
    r = subprocess.run(
        [
            str(exe),
            "-max_total_time=20",
            "-rss_limit_mb=2048",
            "-timeout=10",
            f"-artifact_prefix={tmp_path}/",
            "-print_final_stats=1",
            str(work),
        ],
        capture_output=True,
        text=True,
        timeout=100,
        env=ENV,
    )
    tail = "\n".join(r.stderr.splitlines()[-30:])
    assert r.returncode == 0, tail
    assert "Done" in r.stderr, tail
    print(next((ln for ln in r.stderr.splitlines() if "stat::number_of_executed_units" in ln), ""))
