"""gevent: serverlink under ``monkey.patch_all()``, ``zmq.green`` over the backend, and
locust's distributed mode (a master and two workers over zmq.green's ROUTER/DEALER).

Each runs in fresh interpreters (gevent's patching is for a whole process),
bounded by timeouts, on 127.0.0.1 and ephemeral ports.
"""

from __future__ import annotations

import http.server
import importlib.util
import os
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("gevent")

pytestmark = pytest.mark.timeout(120)

BACKENDS = {"serverlink": "serverlink.backend", "pyzmq": None}


def _env(backend: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYZMQ_BACKEND", None)
    if backend is not None:
        env["PYZMQ_BACKEND"] = backend
    return env


def _run(code: str, backend: str | None = None, timeout: float = 60) -> list[str]:
    r = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(backend),
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_context_under_monkey_patching_runs_real_os_threads() -> None:
    out = _run(
        """
        from gevent import monkey; monkey.patch_all()
        import threading
        import gevent
        import serverlink as zmq

        ctx = zmq.Context(io_threads=2)  # never returned: the loop ran in a greenlet
        print("threading sees", len(threading.enumerate()))
        print("alive", all(t.alive for t in [ctx.reaper, *ctx.io_threads]))
        pull = ctx.socket(zmq.PULL)
        port = pull.bind_to_random_port("tcp://127.0.0.1")
        push = ctx.socket(zmq.PUSH)
        push.connect(f"tcp://127.0.0.1:{port}")
        push.send_multipart([b"over", b"tcp"])
        pull.rcvtimeo = 5000
        print(pull.recv_multipart())
        ticks = []
        g = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.001)) for _ in range(3)])
        g.join(5)
        print("hub runs", len(ticks))
        ctx.destroy(linger=0)
        print("stopped", not any(t.alive for t in [ctx.reaper, *ctx.io_threads]))
        """
    )
    assert out == [
        "threading sees 1",
        "alive True",
        "[b'over', b'tcp']",
        "hub runs 3",
        "stopped True",
    ]


GREEN = """
from gevent import monkey; monkey.patch_all()
import gevent
import zmq.backend as backend
import zmq.green as zmq

print(backend.Socket.__module__.split(".")[0])
ctx = zmq.Context()
rep = ctx.socket(zmq.REP)
port = rep.bind_to_random_port("tcp://127.0.0.1")
req = ctx.socket(zmq.REQ)
req.connect(f"tcp://127.0.0.1:{port}")
ticks = []

def ticker():
    for i in range(5):
        ticks.append(i)
        gevent.sleep(0.01)

def server():
    for _ in range(3):
        rep.send(rep.recv().upper())  # a green recv: the ticker runs meanwhile

s = gevent.spawn(server)
t = gevent.spawn(ticker)
gevent.sleep(0.1)
print("ticks while the server waited", len(ticks))
replies = []
for word in (b"a", b"b", b"c"):
    req.send(word)
    replies.append(req.recv())
print(replies)
gevent.joinall([s, t], timeout=10)
poller = zmq.Poller()
poller.register(rep, zmq.POLLIN)
print("poll", poller.poll(50))
with gevent.Timeout(0.1, False):
    rep.recv()
    print("received nothing?")
print("timed out in a green recv")
sub = ctx.socket(zmq.SUB)
sub.subscribe(b"")
pub = ctx.socket(zmq.PUB)
pport = pub.bind_to_random_port("tcp://127.0.0.1")
sub.connect(f"tcp://127.0.0.1:{pport}")
got = gevent.spawn(sub.recv)
while not got.ready():
    pub.send(b"news")
    gevent.sleep(0.01)
print(got.get())
ctx.destroy(linger=0)
print("done")
"""


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_zmq_green_over_the_backend(backend: str) -> None:
    out = _run(GREEN, BACKENDS[backend])
    assert out == [
        "serverlink" if backend == "serverlink" else "zmq",
        "ticks while the server waited 5",
        "[b'A', b'B', b'C']",
        "poll []",
        "timed out in a green recv",
        "b'news'",
        "done",
    ]


LOCUSTFILE = """
import zmq.backend
from locust import HttpUser, constant, task

print("zmq backend:", zmq.backend.Socket.__module__, flush=True)


class Visitor(HttpUser):
    wait_time = constant(0.05)

    @task
    def index(self) -> None:
        self.client.get("/")
"""


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(150)
@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_locust_distributed_master_and_two_workers(
    backend: str, http_server: str, tmp_path: Path
) -> None:
    if importlib.util.find_spec("locust") is None:  # (importing it would patch this process)
        pytest.skip("locust is not installed")
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    port = str(_free_port())
    env = _env(BACKENDS[backend])
    locust = [sys.executable, "-m", "locust", "-f", str(locustfile)]
    logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
    workers = []
    for log in logs:
        with open(log, "w") as f:
            workers.append(
                subprocess.Popen(
                    [*locust, "--worker", "--master-host", "127.0.0.1", "--master-port", port],
                    stdout=f,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=tmp_path,
                )
            )
    try:
        master = subprocess.run(
            [
                *locust,
                "--master",
                "--master-bind-host",
                "127.0.0.1",
                "--master-bind-port",
                port,
                "--headless",
                "--expect-workers",
                "2",
                "--expect-workers-max-wait",
                "60",
                "-u",
                "4",
                "-r",
                "4",
                "-t",
                "2s",
                "--host",
                http_server,
            ],
            capture_output=True,
            text=True,
            timeout=100,
            env=env,
            cwd=tmp_path,
        )
        codes = [w.wait(30) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    out = master.stdout + master.stderr
    assert master.returncode == 0, out
    assert codes == [0, 0], [log.read_text() for log in logs]
    module = "serverlink.backend.socket" if backend == "serverlink" else "zmq.backend.cython"
    for text in [out, *(log.read_text() for log in logs)]:
        assert f"zmq backend: {module}" in text
    assert "2 workers connected" in out
    assert "All users spawned" in out
    # the request table's last total: "Aggregated  <requests>  <fails>(<%>) | ..."
    totals = [s for s in out.splitlines() if s.strip().startswith("Aggregated") and "|" in s]
    requests, failures = totals[-1].split()[1:3]
    assert int(requests) > 0
    assert failures == "0(0.00%)"
