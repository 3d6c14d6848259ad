"""Build the C benchmarks into bench/c/build/ (compare.py calls this).

- ``slbench``: bench/c/slbench.c against the whole serverlink core (csrc/),
  the way tests/cbuild.py builds the C tests, but at -O2 (as the Python
  extension is built, see src/serverlink/_build.py) and without -g/-Werror;
  the context is started with tests/c/harness.h, as the C tests do it.
- ``zmqbench``: the same source with -DBENCH_LIBZMQ, linked against the
  libzmq inside the installed pyzmq wheel (skipped if pyzmq is absent).
- ``rawsock``: the raw tcp/unix socket ceiling.

Usage: ``python bench/c/build.py`` -> prints the paths built, one per line.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "build"
sys.path.insert(0, str(ROOT))

from tests.cbuild import compiler  # noqa: E402  (the tests' compiler choice)

CFLAGS = ["-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra"]


def _newer(out: Path, inputs: list[Path]) -> bool:
    return out.exists() and all(out.stat().st_mtime >= p.stat().st_mtime for p in inputs)


def pyzmq_libzmq() -> Path | None:
    try:
        import zmq
    except ImportError:
        return None
    site = Path(zmq.__file__).resolve().parents[1]
    libs = sorted(glob.glob(str(site / "pyzmq.libs" / "libzmq*.so*")))
    if libs:
        return Path(libs[0])
    # a pyzmq built against a system libzmq: its extension names the library
    return None


def build(force: bool = False) -> dict[str, Path]:
    cc = compiler()
    if cc is None:
        raise RuntimeError("no C compiler found")
    OUT.mkdir(exist_ok=True)
    built: dict[str, Path] = {}
    csrc = ROOT / "csrc"
    sources = sorted(csrc.rglob("*.c"))
    headers = [*sorted(csrc.rglob("*.h")), ROOT / "tests" / "c" / "harness.h"]

    out = OUT / "slbench"
    src = HERE / "slbench.c"
    if force or not _newer(out, [src, *sources, *headers]):
        subprocess.run(
            [
                cc,
                *CFLAGS,
                f"-I{csrc}",
                f"-I{ROOT / 'tests' / 'c'}",
                *map(str, sources),
                str(src),
                "-o",
                str(out),
                "-lpthread",
            ],
            check=True,
        )
    built["serverlink"] = out

    lz = pyzmq_libzmq()
    if lz is not None:
        out = OUT / "zmqbench"
        if force or not _newer(out, [src, lz]):
            subprocess.run(
                [
                    cc,
                    *CFLAGS,
                    "-DBENCH_LIBZMQ",
                    str(src),
                    "-o",
                    str(out),
                    str(lz),
                    f"-Wl,-rpath,{lz.parent}",
                    "-lpthread",
                ],
                check=True,
            )
        built["libzmq"] = out

    out = OUT / "rawsock"
    src = HERE / "rawsock.c"
    if force or not _newer(out, [src]):
        subprocess.run([cc, *CFLAGS, str(src), "-o", str(out)], check=True)
    built["raw"] = out

    out = OUT / "wakefloor"
    src = HERE / "wakefloor.c"
    if force or not _newer(out, [src]):
        subprocess.run([cc, *CFLAGS, str(src), "-o", str(out), "-lpthread"], check=True)
    built["wakefloor"] = out
    return built


if __name__ == "__main__":
    for name, path in build(force="--force" in sys.argv).items():
        print(f"{name}\t{os.path.relpath(path)}")
