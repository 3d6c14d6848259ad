#!/usr/bin/env python3
"""Instructions per message of the hot calls, counted by callgrind (not timed).

callgrind counts instructions, so the figure is the same on a busy machine:
the evidence for "no slower" when the wall-clock rows are noisy. One thread,
inproc PUSH->PULL, 16 B messages, 500 queued then drained, N rounds; the
same loop with no calls is subtracted.

    python bench/callgrind_calls.py [ROUNDS]     # needs valgrind on PATH

With ``--worker MODE ROUNDS`` it is the program callgrind runs.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

BATCH = 500


def worker(mode: str, rounds: int) -> None:
    import serverlink as zmq

    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.bind("inproc://callgrind")
    push = ctx.socket(zmq.PUSH)
    push.connect("inproc://callgrind")
    payload = b"x" * 16
    msgs = [payload] * BATCH
    for _ in range(rounds):
        if mode == "single":
            for _ in range(BATCH):
                push.send(payload)
            for _ in range(BATCH):
                pull.recv()
        elif mode == "batch":
            push.send_many(msgs)
            got = 0
            while got < BATCH:
                got += len(pull.recv_many(BATCH))
        else:
            for _ in range(BATCH):
                pass
            for _ in range(BATCH):
                pass
    push.close(linger=0)
    pull.close(linger=0)
    ctx.term()


def count(mode: str, rounds: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        proc = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--worker",
                mode,
                str(rounds),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    m = re.search(r"Collected : (\d+)", proc.stderr)
    if m is None:
        raise RuntimeError(f"no callgrind total in:\n{proc.stderr}")
    return int(m.group(1))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]))
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    base = count("empty", rounds)
    n = rounds * BATCH
    for mode, label in (("single", "send()+recv() pair"), ("batch", "send_many/recv_many")):
        per = (count(mode, rounds) - base) / n
        print(f"{label:24s} {per:8.0f} instructions per message")


if __name__ == "__main__":
    main()
