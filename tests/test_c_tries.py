"""The subscription tries' C tests (tests/c/test_tries.c): random operations
against a model, and 64 KiB topics, built plain and under ASan/UBSan."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import cbuild
from .test_c_core import VARIANTS, _can_build, run

pytestmark = [
    pytest.mark.skipif(cbuild.compiler() is None, reason="no C compiler"),
    pytest.mark.timeout(300),
]


@pytest.fixture(scope="module", params=[v for v in VARIANTS if v != "tsan"])
def test_tries(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The tries belong to one socket and one thread: TSan has nothing to see.
    tmp = tmp_path_factory.mktemp(f"tries-{request.param}")
    flags = VARIANTS[request.param]
    if flags and not _can_build(flags, tmp):
        pytest.skip(f"{request.param}: the compiler has no such runtime here")
    return cbuild.build("test_tries", tmp / "test_tries", flags)


def test_trie_counts_prefixes_like_a_plain_list(test_tries: Path) -> None:
    assert "200000 random operations agree" in run(test_tries, "trie")


def test_mtrie_tracks_pipes_per_prefix_like_a_plain_list(test_tries: Path) -> None:
    assert "200000 random operations agree" in run(test_tries, "mtrie")


def test_tries_handle_64k_topics_without_recursion(test_tries: Path) -> None:
    assert "1024 nested topics up to 65536 bytes" in run(test_tries, "long")
