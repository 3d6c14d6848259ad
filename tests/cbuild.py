"""Build a C-level test program against the whole core, with any flags.

Used by tests/test_c_core.py (plain and sanitizer builds), by
tests/test_c_platform.py (with the kqueue emulation) and, cross-compiled for
Windows with mingw-w64, by tests/test_windows_wine.py. Runnable by hand:
``python tests/cbuild.py test_core out/test_core -fsanitize=address``, or
``python tests/cbuild.py --windows test_windows out/`` (makes out/test_windows.exe).
"""

from __future__ import annotations

import concurrent.futures
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


KQUEUE_EMU = ROOT / "tests" / "c" / "kqueue_emu"
# Flags (and the extra source) of a build whose kqueue backend runs on the
# epoll-based emulation: kqueue is then one more poller, never the default.
KQUEUE_EMU_FLAGS = [
    "-DSLI_KQUEUE_EMULATION",
    f"-I{KQUEUE_EMU}",
    str(KQUEUE_EMU / "kqueue_emu.c"),
]

MINGW = "x86_64-w64-mingw32-gcc"


def mingw() -> str | None:
    return shutil.which(MINGW)


def build_windows(
    names: list[str], outdir: Path, extra: list[str] | None = None
) -> dict[str, Path]:
    """Cross-compiles test programs for 64-bit Windows (the IOCP poller):
    the core once, its files in parallel, then each program linked with it."""
    cc = mingw()
    if cc is None:
        raise RuntimeError(f"{MINGW} not found")
    flags = [
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-g",
        "-O2",
        f"-I{CSRC}",
        f"-I{ROOT / 'tests' / 'c'}",
        *(extra or []),
    ]
    objdir = outdir / "obj"
    objdir.mkdir(parents=True, exist_ok=True)
    sources = sorted(CSRC.rglob("*.c"))

    def compile_one(src: Path) -> Path:
        obj = objdir / (str(src.relative_to(CSRC)).replace(os.sep, "_") + ".o")
        subprocess.run([cc, *flags, "-c", str(src), "-o", str(obj)], check=True)
        return obj

    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        objects = [str(o) for o in pool.map(compile_one, sources)]
    built = {}
    for name in names:
        out = outdir / f"{name}.exe"
        cmd = [
            cc,
            *flags,
            str(ROOT / "tests" / "c" / f"{name}.c"),
            *objects,
            "-o",
            str(out),
            "-static-libgcc",
            "-lws2_32",
            "-lmswsock",
        ]
        subprocess.run(cmd, check=True)
        built[name] = out
    return built


if __name__ == "__main__":
    if sys.argv[1] == "--windows":
        build_windows([sys.argv[2]], Path(sys.argv[3]), sys.argv[4:])
    else:
        build(sys.argv[1], Path(sys.argv[2]), sys.argv[3:])
