"""Build a C-level test program against the whole core, with any flags.

Used by tests/test_c_core.py (plain and sanitizer builds) and runnable by
hand: ``python tests/cbuild.py test_core out/test_core -fsanitize=address``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSRC = ROOT / "csrc"


def compiler() -> str | None:
    for cc in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if cc and shutil.which(cc):
            return cc
    return None


def build(
    name: str,
    out: Path,
    extra: list[str] | None = None,
    cc: str | None = None,
    only: list[str] | None = None,
) -> Path:
    """Compiles tests/c/<name>.c with the core (or only the csrc/-relative
    files in ``only``, for a harness that needs a few) into ``out``."""
    cc = cc or compiler()
    if cc is None:
        raise RuntimeError("no C compiler found")
    if only is not None:
        sources = [str(CSRC / p) for p in only]
    else:
        sources = sorted(str(p) for p in CSRC.rglob("*.c"))
    cmd = [
        cc,
        "-std=c11",
        "-D_GNU_SOURCE",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-g",
        "-O1",
        f"-I{CSRC}",
        f"-I{ROOT / 'tests' / 'c'}",
        *sources,
        str(ROOT / "tests" / "c" / f"{name}.c"),
        "-o",
        str(out),
        "-lpthread",
        *(extra or []),
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(cmd, check=True)
    return out


if __name__ == "__main__":
    build(sys.argv[1], Path(sys.argv[2]), sys.argv[3:])
