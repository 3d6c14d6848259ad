"""sl_poll and sl_proxy_forward in C (tests/c/test_poll_proxy.c), built like
the core's own tests: plain, under AddressSanitizer + UndefinedBehaviorSanitizer
(with leak checking) and under ThreadSanitizer, where the compiler supports them."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import cbuild
from .test_c_core import VARIANTS, _can_build, run

pytestmark = [
    pytest.mark.skipif(cbuild.compiler() is None, reason="no C compiler"),
    pytest.mark.timeout(300),
]


@pytest.fixture(scope="module", params=list(VARIANTS))
def test_poll_proxy(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    tmp = tmp_path_factory.mktemp(f"c-poll-proxy-{request.param}")
    flags = VARIANTS[request.param]
    if flags and not _can_build(flags, tmp):
        pytest.skip(f"{request.param}: the compiler has no such runtime here")
    return cbuild.build("test_poll_proxy", tmp / "test_poll_proxy", flags)


def test_c_proxy_forwards_and_captures_shared_parts(test_poll_proxy: Path) -> None:
    assert "proxy: 20000 messages forwarded and captured" in run(test_poll_proxy, "proxy")


def test_c_poll_sees_messages_fds_and_termination(test_poll_proxy: Path) -> None:
    assert "poll: message, fd and termination seen" in run(test_poll_proxy, "poll")
