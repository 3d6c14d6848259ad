"""The cffi ffibuilder: compiles csrc/ into ``serverlink._core``.

Out-of-line API mode: the cdef is the part of ``csrc/serverlink.h`` between
its cdef markers, so the C header is the one contract between C and Python.
``setup.py`` names this module in ``cffi_modules``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from cffi import FFI

ROOT = Path(__file__).resolve().parents[2]
CSRC = ROOT / "csrc"
HEADER = CSRC / "serverlink.h"
GLUE = Path(__file__).resolve().parent / "_glue.c"

# The glue's one cffi-visible function: it installs the per-message fast
# functions (METH_FASTCALL, CPython only) into serverlink._core. Declared
# here, not in serverlink.h, because the GIL is the binding's business, not
# the C core's.
GLUE_CDEF = """
int slpy_install(void);
"""


def cdef_text() -> str:
    text = HEADER.read_text()
    m = re.search(r"/\* --- cdef begin --- \*/(.*)/\* --- cdef end --- \*/", text, re.S)
    if m is None:
        raise RuntimeError(f"{HEADER}: cdef markers not found")
    return m.group(1)


def c_sources() -> list[str]:
    sources = sorted(os.path.relpath(p, ROOT) for p in CSRC.rglob("*.c"))
    # Test builds only, never a wheel: more C files, e.g. the kqueue
    # emulation (tests/c/kqueue_emu) with SERVERLINK_CFLAGS=-DSLI_KQUEUE_EMULATION.
    # Relative to the project root (setuptools takes no absolute paths).
    extra = os.environ.get("SERVERLINK_EXTRA_SOURCES")
    if extra:
        sources += [os.path.relpath(Path(s).resolve(), ROOT) for s in extra.split(os.pathsep) if s]
    return sources


def compile_args() -> tuple[list[str], list[tuple[str, str | None]], list[str]]:
    if sys.platform == "win32":
        cflags = ["/O2", "/W3"] if "GCC" not in sys.version else ["-std=c11", "-O2"]
        return cflags, [("WIN32_LEAN_AND_MEAN", None)], ["ws2_32", "mswsock"]
    cflags = ["-std=c11", "-O2", "-Wall", "-Wextra", "-fvisibility=hidden"]
    extra = os.environ.get("SERVERLINK_CFLAGS")
    if extra:
        cflags += extra.split()
    return cflags, [("_GNU_SOURCE", None)], ["pthread"]


ffibuilder = FFI()
ffibuilder.cdef(cdef_text() + GLUE_CDEF)
_cflags, _macros, _libs = compile_args()
ffibuilder.set_source(
    "serverlink._core",
    '#include "serverlink.h"\n' + GLUE.read_text(),
    sources=c_sources(),
    include_dirs=[os.path.relpath(CSRC, ROOT)],
    define_macros=_macros,
    extra_compile_args=_cflags,
    libraries=_libs,
)

if __name__ == "__main__":
    os.chdir(ROOT)
    ffibuilder.compile(tmpdir=str(ROOT / "build" / "cffi"), verbose=True)
