"""Shared fixtures: contexts with guaranteed cleanup, per-poller parametrization."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import serverlink

POLLERS = serverlink.pollers()


@pytest.fixture(params=POLLERS)
def poller(request: pytest.FixtureRequest) -> str:
    """Every poller backend this build has."""
    return str(request.param)


@pytest.fixture
def ctx() -> Iterator[serverlink.Context]:
    c = serverlink.Context()
    try:
        yield c
    finally:
        c.destroy(linger=0)


@pytest.fixture
def pctx() -> Iterator[object]:
    """A pyzmq (libzmq) context, the peer no one here wrote."""
    pyzmq = pytest.importorskip("zmq")
    c = pyzmq.Context()
    try:
        yield c
    finally:
        c.destroy(linger=0)


def open_fds() -> int:
    """Number of open fds of this process (Linux: /proc/self/fd)."""
    return len(os.listdir("/proc/self/fd"))


HAVE_PROC_TASKS = os.path.isdir("/proc/self/task")


def os_thread_names() -> list[str]:
    """The OS names of this process's threads (Linux: /proc/self/task/*/comm)."""
    names = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            pass  # it ended meanwhile
    return names
