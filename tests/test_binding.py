"""The binding (serverlink._binding): the one module that knows the C API.

Its shape (only it imports serverlink._core, whose stub matches the built
module), and the memory safety of the calls that give the GIL away while C
reads Python objects.
"""

from __future__ import annotations

import ast
import errno
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from serverlink import _binding, _core

pytestmark = pytest.mark.timeout(120)

PACKAGE = Path(_binding.__file__).resolve().parent


def _imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_only_the_binding_imports_the_cffi_module() -> None:
    importers = sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "serverlink._core" in _imports_of(p)
    )
    assert importers == ["_binding.py"]


def _stub_names(cls: str) -> set[str]:
    tree = ast.parse((PACKAGE / "_core.pyi").read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            out = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    out.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    out.add(item.target.id)
            return out
    raise AssertionError(f"{cls} not in _core.pyi")


def test_core_stub_declares_exactly_what_the_module_has() -> None:
    built = {n for n in dir(_core.lib) if not n.startswith("__")}
    assert _stub_names("_Lib") == built
    fast = {n for n in dir(_core) if n.startswith("fast_")}
    stub = (PACKAGE / "_core.pyi").read_text()
    declared = set(re.findall(r"^def (fast_\w+)\(", stub, re.M))
    if fast:  # CPython: the glue installed them
        assert declared == fast


def test_glue_states_its_gil_policy_per_function_and_redefines_no_python_macro() -> None:
    glue = (PACKAGE / "_glue.c").read_text()
    assert "#undef Py_" not in glue and "#define Py_" not in glue
    assert "__func__" not in glue
    # Every fast function says what it does with the GIL, in its own comment.
    for m in re.finditer(r"\n(/\*(?:(?!\*/).)*\*/)\nstatic PyObject \*slpy_fast_(\w+)", glue, re.S):
        assert "GIL" in m.group(1), m.group(2)
    assert len(re.findall(r"static PyObject \*slpy_fast_\w+\(", glue)) == 9


# The crash of issue 11: send_multipart dropped its references to the parts
# while keeping pointers into them, then gave the GIL away to block; another
# thread that replaced a part freed the memory being sent.
_REPLACED_PART = """
import sys, threading, time
import serverlink as zmq
from serverlink import _binding

fast = _binding.fast_functions(use_glue=sys.argv[1] == "glue")
ctx = zmq.Context()
push = ctx.socket(zmq.PUSH)
push.linger = 0
push.bind("inproc://replaced")
a = bytes([97]) * (1 << 20)
parts = [a, bytes([98]) * (1 << 20)]
done = []

def send():
    fast.send_multipart(push._addr, parts, 0)  # no peer yet: blocks, without the GIL
    done.append(True)

t = threading.Thread(target=send)
t.start()
time.sleep(0.3)
parts[1] = b"x"                                # the list's reference goes
junk = [bytes([122]) * (1 << 20) for _ in range(8)]  # its memory is reused
pull = ctx.socket(zmq.PULL)
pull.connect("inproc://replaced")
got = pull.recv_multipart()
t.join(10)
ok = done == [True] and got == [a, bytes([98]) * (1 << 20)]
print("intact" if ok else "corrupted")
pull.close()
push.close()
ctx.term()
"""


@pytest.mark.parametrize("path", ["glue", "cffi"])
def test_send_multipart_holds_its_parts_while_blocked(path: str) -> None:
    if path == "glue" and _binding.fast_functions(True).send is _binding.fast_functions(False).send:
        pytest.skip("the glue is not available on this interpreter")
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_REPLACED_PART), path],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.split() == ["intact"]


def test_blocking_wait_resumes_after_a_signal_with_the_time_left() -> None:
    calls: list[int] = []

    def call(timeout: int) -> int:
        calls.append(timeout)
        if len(calls) == 1:
            _binding.ffi.errno = errno.EINTR  # a C wait cut short by a signal
            return -1
        return 0

    assert _binding.blocking_wait(call, 1000) == 0
    assert calls[0] == 1000 and 0 < calls[1] <= 1000


def test_blocking_wait_reports_a_timeout_and_raises_other_errors() -> None:
    def timed_out(timeout: int) -> int:
        _binding.ffi.errno = errno.EAGAIN
        return -1

    assert _binding.blocking_wait(timed_out, 5) == -1

    def failed(timeout: int) -> int:
        _binding.ffi.errno = errno.ENOTSOCK
        return -1

    with pytest.raises(_binding.ZMQError) as e:
        _binding.blocking_wait(failed, 5)
    assert e.value.errno == errno.ENOTSOCK
