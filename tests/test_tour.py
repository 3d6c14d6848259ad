"""The first impression: ``python -m serverlink`` and the benchmark's output files."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(60)
def test_tour_runs_without_waiting_out_timeouts() -> None:
    # It used to wait out 2 s receive timeouts four times (an end marker
    # sent before the subscribers subscribed to it, dealers waiting for
    # jobs that went to others): 8 s of its 11.
    t0 = time.monotonic()
    r = subprocess.run(
        [sys.executable, "-m", "serverlink", "--quick"],
        capture_output=True,
        text=True,
        timeout=50,
    )
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "msg/s" in out and " m/s" not in out
    for line in ("weather.  received 200", "sports.   received 100", "(all)     received 300"):
        assert line in out
    for w in range(3):
        assert f"worker-{w} did 10 jobs" in out
    assert "All messages arrived" in out
    assert elapsed < 6, f"the quick tour took {elapsed:.1f} s"


def test_a_quick_benchmark_run_keeps_the_full_run_s_results() -> None:
    spec = importlib.util.spec_from_file_location("bench_compare", ROOT / "bench" / "compare.py")
    assert spec is not None and spec.loader is not None
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    assert compare.output_stem("", False) == "results"
    assert compare.output_stem("", True) == "results-quick"
    assert compare.output_stem("tput tcp", True) == "results-only"
    ignored = (ROOT / "bench" / ".gitignore").read_text().split()
    assert "results-quick.*" in ignored and "results-only.*" in ignored
