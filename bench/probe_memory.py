"""Memory left behind by hostile peers: serverlink beside pyzmq.

    python bench/probe_memory.py rejected [--conns N] [--rounds R] [--libs serverlink,pyzmq]
    python bench/probe_memory.py idle [--conns N] [--rounds R] [--libs serverlink,pyzmq]

A PULL is bound on tcp://127.0.0.1:* in this process (each library in a
process of its own, run one after the other), and raw sockets play the
peers:

- ``rejected``: each peer sends a ZMTP 3.1 greeting, a READY as a PUSH, then
  one command frame of more than 48 bytes that the PULL refuses (cycling
  through an unknown command, ERROR, SUBSCRIBE and a second READY), and
  waits for the server to close the connection.
- ``idle``: each peer connects and sends nothing; the server drops it after
  HANDSHAKE_IVL (200 ms).

The PULL's owner calls getsockopt(EVENTS) every 20 connects and while it
waits for the drops, as a server waiting in recv or poll would: a socket
handles its commands (a pipe for each peer that completed the handshake,
and that pipe's termination) only when its owner calls it, and until then
the session and pipes of a dropped peer wait. ``--busy-owner`` looks only
once a round's peers are all connected, so those pile up.

The PULL's BACKLOG is raised above N so that the peers connect at once
and are all open together (with the default 100, the kernel drops SYNs and
the connects trickle in over seconds, each dropped 200 ms later). After each
round (N peers, all dropped by the server and closed here) the process's
RSS is printed (VmRSS from /proc/self/status), and after a slash what
malloc counts as in use (glibc's mallinfo2: uordblks + hblkhd, every
arena): RSS that stays high while the bytes in use return is memory malloc
keeps for reuse, not a leak. With ``--trim``, glibc's ``malloc_trim(0)``
runs after each round and the RSS after it is shown in parentheses.
Without it, the RSS after one trim at the end is printed last. Linux,
glibc.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import importlib
import json
import resource
import selectors
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

SIGNATURE = b"\xff" + bytes(8) + b"\x7f"
GREETING = SIGNATURE + bytes([3, 1]) + b"NULL".ljust(20, b"\0") + bytes([0]) + bytes(31)


def command(name: bytes, body: bytes = b"") -> bytes:
    """A ZMTP command frame (short form: the probes stay under 256 bytes)."""
    payload = bytes([len(name)]) + name + body
    assert len(payload) < 256
    return bytes([0x04, len(payload)]) + payload


def prop(name: bytes, value: bytes) -> bytes:
    return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value


READY_PUSH = command(b"READY", prop(b"Socket-Type", b"PUSH"))
# Each above the 48-byte inline size, so a frame is a slice of a read block.
REJECTED = [
    command(b"NONSENSE", bytes(64)),
    command(b"ERROR", bytes([40]) + b"x" * 40 + bytes(16)),
    command(b"SUBSCRIBE", b"topic" * 12),
    command(b"READY", prop(b"Socket-Type", b"PUSH") + prop(b"X-Pad", bytes(40))),
]


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


class Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
LIBC.mallinfo2.restype = Mallinfo2


def malloc_in_use_kib() -> int:
    """Bytes malloc has handed out and not had back, in every arena."""
    mi = LIBC.mallinfo2()
    return int(mi.uordblks + mi.hblkhd) // 1024


def malloc_trim() -> None:
    LIBC.malloc_trim(0)


def raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


def wait_closed(peers: list[socket.socket], deadline: float, service: Callable[[], object]) -> int:
    """Reads every peer until the server closes it; returns how many did not
    close before the deadline. ``service()`` runs between reads: the server
    socket's owner looking at it, as a server waiting in recv or poll does
    (a socket handles its commands -- new pipes, terminated pipes -- only
    when its owner calls it)."""
    sel = selectors.DefaultSelector()
    for p in peers:
        p.setblocking(False)
        sel.register(p, selectors.EVENT_READ)
    left = len(peers)
    while left and time.monotonic() < deadline:
        service()
        for key, _ in sel.select(timeout=0.05):
            peer = key.fileobj
            assert isinstance(peer, socket.socket)
            try:
                data = peer.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(peer)
                left -= 1
    sel.close()
    return left


def one_round(
    port: int, probe: str, conns: int, service: Callable[[], object], busy_owner: bool
) -> int:
    peers = []
    for i in range(conns):
        p = socket.create_connection(("127.0.0.1", port))
        if probe == "rejected":
            p.sendall(GREETING + READY_PUSH + REJECTED[i % len(REJECTED)])
        peers.append(p)
        if not busy_owner and i % 20 == 0:
            service()
    stuck = wait_closed(peers, time.monotonic() + 60, service)
    for p in peers:
        p.close()
    return stuck


def run(
    lib: str, probe: str, conns: int, rounds: int, trim: bool, busy_owner: bool
) -> dict[str, Any]:
    raise_fd_limit(4 * conns + 256)
    zmq: Any = importlib.import_module("serverlink" if lib == "serverlink" else "zmq")
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.HANDSHAKE_IVL, 200)
    pull.setsockopt(zmq.LINGER, 0)
    pull.setsockopt(zmq.BACKLOG, conns + 64)
    pull.bind("tcp://127.0.0.1:*")
    port = int(pull.getsockopt(zmq.LAST_ENDPOINT).decode().rsplit(":", 1)[1])

    def service() -> None:
        pull.getsockopt(zmq.EVENTS)

    gc.collect()
    start = rss_kib()
    start_in_use = malloc_in_use_kib()
    rows = []
    for r in range(rounds):
        stuck = one_round(port, probe, conns, service, busy_owner)
        for _ in range(6):  # sessions finish terminating in the I/O thread
            time.sleep(0.05)
            service()
        gc.collect()
        row = {
            "round": r + 1,
            "rss_kib": rss_kib(),
            "in_use_kib": malloc_in_use_kib(),
            "stuck": stuck,
        }
        if trim:
            malloc_trim()
            row["trimmed_kib"] = rss_kib()
        rows.append(row)
    malloc_trim()
    end = rss_kib()
    pull.close()
    ctx.term()
    return {
        "lib": lib,
        "probe": probe,
        "conns": conns,
        "start_kib": start,
        "start_in_use_kib": start_in_use,
        "rounds": rows,
        "end_trimmed_kib": end,
    }


def mib(kib: int) -> str:
    return f"{kib / 1024:6.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("probe", choices=["rejected", "idle"])
    ap.add_argument("--conns", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--libs", default="serverlink,pyzmq")
    ap.add_argument("--trim", action="store_true", help="malloc_trim(0) after each round")
    ap.add_argument(
        "--busy-owner",
        action="store_true",
        help="the PULL's owner looks at it only once all the round's peers are connected",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(run(a.child, a.probe, a.conns, a.rounds, a.trim, a.busy_owner)))
        return
    results = []
    for lib in a.libs.split(","):
        cmd = [
            sys.executable,
            __file__,
            a.probe,
            "--conns",
            str(a.conns),
            "--rounds",
            str(a.rounds),
        ]
        out = subprocess.run(
            [
                *cmd,
                *(["--trim"] if a.trim else []),
                *(["--busy-owner"] if a.busy_owner else []),
                "--child",
                lib,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    trimmed = " (after malloc_trim)" if a.trim else ""
    print(f"probe {a.probe}: {a.conns} peers per round; RSS / malloc in use, MiB{trimmed}")
    print("round " + "".join(f"{r['lib']:>24}" for r in results))
    print(
        "start "
        + "".join(f"{mib(r['start_kib'])} /{mib(r['start_in_use_kib'])}".rjust(24) for r in results)
    )
    for i in range(a.rounds):
        cells = []
        for r in results:
            row = r["rounds"][i]
            stuck = f" {row['stuck']} open!" if row["stuck"] else ""
            after = f" ({mib(row['trimmed_kib'])})" if a.trim else ""
            cells.append(f"{mib(row['rss_kib'])}{after} /{mib(row['in_use_kib'])}{stuck}")
        print(f"{i + 1:5} " + "".join(f"{c:>24}" for c in cells))
    print("trim  " + "".join(f"{mib(r['end_trimmed_kib']):>24}" for r in results))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
