"""The examples, each run three ways with the same output.

Every script in ``examples/`` is written in pyzmq's idiom (``import zmq``)
and runs, in a subprocess bounded by a timeout:

- ``pyzmq``: on pyzmq itself (its libzmq);
- ``serverlink``: on serverlink's native API, through
  ``examples/run_on_serverlink.py`` (whose ``zmq`` is a shim of serverlink's
  names; pyzmq is not involved);
- ``pyzmq-on-serverlink``: on pyzmq with ``PYZMQ_BACKEND=serverlink.backend``.

Each run must print exactly the example's expected output, over tcp
(ephemeral ports) and over ipc (paths in a temporary directory).
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

import serverlink

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MODES = ["pyzmq", "serverlink", "pyzmq-on-serverlink"]

HELLO_WORLD = [
    line
    for n in range(10)
    for line in (
        f"Sending request {n} ...",
        "Received request: Hello",
        f"Received reply {n} [ World ]",
    )
]
WEATHER = [
    "Published 500 updates for 5 zip codes",
    "Subscriber 'downtown' filtered 10001: received ['10001']",
    "  zipcode 10001: average 41.3F over 95 updates",
    "Subscriber 'west coast' filtered 94016, 98101: received ['94016', '98101']",
    "  zipcode 94016: average 40.4F over 106 updates",
    "  zipcode 98101: average 44.1F over 96 updates",
]
PIPELINE = [
    "Ventilator sent 100 tasks, total expected cost: 534 msec",
    "Sink received 100 distinct results",
    "Every task done once: True",
    "Total cost of the work done: 534 msec",
    "Workers stopped: 3 of 3",
]
BROKER = [
    line
    for name in ("alice", "bob", "carol")
    for line in (
        f"{name} got 5 replies:",
        *(f"  {name} request {n} -> {name.upper()} REQUEST {n}" for n in range(5)),
    )
] + ["Broker and workers stopped"]
ASYNCIO_PUBSUB = [
    "forecaster (subscribed to weather) received 3 messages:",
    "  [weather] rain in the morning",
    "  [weather] sun after noon",
    "  [weather] wind from the west",
    "reader (subscribed to news, sports) received 4 messages:",
    "  [sports] home team wins 3-1",
    "  [news] library opens late",
    "  [sports] marathon on sunday",
    "  [news] bridge repaired",
]
POLLER_SERVER = [
    "Server answered 4 requests and read 4 log lines, then stopped",
    "Replies: ['pong 0', 'pong 1', 'pong 2', 'pong 3']",
    "Log: ['starting', 'loaded 3 plugins', 'listening', 'END']",
]

#: example -> (number of endpoints it takes, expected output)
EXPECTED: dict[str, tuple[int, list[str]]] = {
    "hello_world": (1, HELLO_WORLD),
    "weather": (1, WEATHER),
    "pipeline": (2, PIPELINE),
    "broker": (2, BROKER),
    "asyncio_pubsub": (1, ASYNCIO_PUBSUB),
    "poller_server": (2, POLLER_SERVER),
}


def _missing_from_serverlink(example: str) -> str | None:
    """Why serverlink's native API cannot run this example yet, or None if it can.

    These parts of serverlink's pyzmq-style API are being written on another
    branch; until they land, the native run of the examples using them is skipped.
    """
    if example == "asyncio_pubsub" and find_spec("serverlink.asyncio") is None:
        return "serverlink.asyncio does not exist yet (zmq.asyncio has no serverlink twin)"
    if example == "poller_server" and not hasattr(serverlink, "Poller"):
        return "serverlink.Poller does not exist yet (zmq.Poller has no serverlink twin)"
    if example == "broker" and not hasattr(serverlink, "proxy"):
        return "serverlink.proxy does not exist yet (zmq.proxy has no serverlink twin)"
    return None


def run_example(example: str, mode: str, endpoints: list[str], timeout: float = 60) -> list[str]:
    script = str(EXAMPLES / f"{example}.py")
    env = dict(os.environ)
    env.pop("PYZMQ_BACKEND", None)
    if mode == "serverlink":
        argv = [sys.executable, str(EXAMPLES / "run_on_serverlink.py"), script, *endpoints]
    else:
        argv = [sys.executable, script, *endpoints]
        if mode == "pyzmq-on-serverlink":
            env["PYZMQ_BACKEND"] = "serverlink.backend"
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{mode}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout.splitlines()


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("example", list(EXPECTED))
def test_example_prints_the_same_three_ways(
    example: str, mode: str, transport: str, tmp_path: Path
) -> None:
    if mode != "serverlink" and find_spec("zmq") is None:
        pytest.skip("pyzmq is not installed")
    if mode == "serverlink":
        missing = _missing_from_serverlink(example)
        if missing is not None:
            pytest.skip(missing)
    count, expected = EXPECTED[example]
    if transport == "tcp":
        endpoints = ["tcp://127.0.0.1:*"] * count
    else:
        endpoints = [f"ipc://{tmp_path}/{n}.ipc" for n in range(count)]
    assert run_example(example, mode, endpoints) == expected


def test_the_shim_is_serverlink_and_nothing_of_pyzmq(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sys\n"
        "import zmq\n"
        "import serverlink\n"
        "print(zmq.Context is serverlink.Context, zmq.Socket is serverlink.Socket)\n"
        "print(zmq.PUSH == 8, zmq.__version__ == serverlink.__version__)\n"
        "print(sorted(n for n in sys.modules if n == 'zmq' or n.startswith('zmq.')))\n"
        "from pathlib import Path\n"
        "print(Path(zmq.__file__).parent.parent.name)\n"
    )
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "run_on_serverlink.py"), str(probe)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "True True",
        "True True",
        "['zmq']",
        "serverlink_shim",
    ]
