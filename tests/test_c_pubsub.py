"""The pub/sub C tests, built plain and under the sanitizers:
tests/c/test_tries.c (the subscription tries against a model, 64 KiB
topics) and tests/c/test_pubsub.c (XPUB to SUBs in other threads, then
termination with messages still queued)."""

from __future__ import annotations

from pathlib import Path

import pytest

import serverlink

from . import cbuild
from .test_c_core import VARIANTS, _can_build, run

pytestmark = [
    pytest.mark.skipif(cbuild.compiler() is None, reason="no C compiler"),
    pytest.mark.timeout(300),
]


def _build(name: str, variant: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp(f"{name}-{variant}")
    flags = VARIANTS[variant]
    if flags and not _can_build(flags, tmp):
        pytest.skip(f"{variant}: the compiler has no such runtime here")
    return cbuild.build(name, tmp / name, flags)


# The tries belong to one socket and so to one thread: TSan has nothing to see.
@pytest.fixture(scope="module", params=[v for v in VARIANTS if v != "tsan"])
def test_tries(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build("test_tries", str(request.param), tmp_path_factory)


@pytest.fixture(scope="module", params=list(VARIANTS))
def test_pubsub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build("test_pubsub", str(request.param), tmp_path_factory)


def test_trie_counts_prefixes_like_a_plain_list(test_tries: Path) -> None:
    assert "200000 random operations agree" in run(test_tries, "trie")


def test_mtrie_tracks_pipes_per_prefix_like_a_plain_list(test_tries: Path) -> None:
    assert "200000 random operations agree" in run(test_tries, "mtrie")


def test_tries_handle_64k_topics_without_recursion(test_tries: Path) -> None:
    assert "1024 nested topics up to 65536 bytes" in run(test_tries, "long")


@pytest.mark.parametrize("poller", serverlink.pollers())
def test_c_xpub_to_subs_in_threads_then_terminate_with_queued_messages(
    test_pubsub: Path, poller: str
) -> None:
    assert "none lost" in run(test_pubsub, poller)
