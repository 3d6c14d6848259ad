"""The package is typed (py.typed): user code using it passes mypy --strict,
with the commonly read options and the asyncio operations typed, not Any."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)


def test_user_code_type_checks_strictly(tmp_path: Path) -> None:
    mypy_api = pytest.importorskip("mypy.api")
    code = textwrap.dedent(
        """
        import asyncio

        import serverlink as zmq
        import serverlink.asyncio as azmq


        def endpoint(s: zmq.Socket) -> bytes:
            return s.last_endpoint


        def options(s: zmq.Socket) -> tuple[int, int, int, bytes]:
            s.linger = 0
            return s.linger, s.rcvtimeo, s.hwm, s.routing_id


        def ready(p: zmq.Poller) -> dict[object, int]:
            return dict(p.poll(0))


        async def ask(s: azmq.Socket) -> str:
            await s.send_string("hi")
            reply: str = await s.recv_string()
            events: int = await s.poll(10)
            return reply * events


        def version() -> tuple[str, bool]:
            return zmq.zmq_version(), zmq.has("ipc")


        asyncio.run(ask(azmq.Context.instance().socket(zmq.REQ)))
        """
    )
    src = tmp_path / "user.py"
    src.write_text(code)
    out, err, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(src)]
    )
    assert status == 0, out + err
