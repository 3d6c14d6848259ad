"""REQ/REP/DEALER/ROUTER in C (tests/c/test_reqrep.c), built like the core's
own tests: plain, under AddressSanitizer + UndefinedBehaviorSanitizer (with
leak checking) and under ThreadSanitizer, where the compiler supports them."""

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
def test_reqrep(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp(f"c-reqrep-{request.param}")
    flags = VARIANTS[request.param]
    if flags and not _can_build(flags, tmp):
        pytest.skip(f"{request.param}: the compiler has no such runtime here")
    return cbuild.build("test_reqrep", tmp / "test_reqrep", flags)


def test_c_req_rep_round_trips_between_threads(test_reqrep: Path) -> None:
    assert "reqrep: 20000 round trips" in run(test_reqrep, "reqrep")


def test_c_dealers_to_router_keep_order_per_peer(test_reqrep: Path) -> None:
    out = run(test_reqrep, "routerdealer")
    assert "routerdealer: 4 dealers x 50000 messages, order kept" in out


def test_c_peers_coming_and_going_under_handover(test_reqrep: Path) -> None:
    assert "churn: 300 peers came and went" in run(test_reqrep, "churn")
