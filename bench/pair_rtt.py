"""Two-thread PAIR round trip over inproc, serverlink and pyzmq alternated.

    python bench/pair_rtt.py [rounds]

Prints the median round trip (us) of each library per round. Short and
quick to repeat: the GIL policy of the per-message calls shows here first.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import threading
import time


def rtt(mod_name: str, n: int = 20_000) -> float:
    zmq = importlib.import_module(mod_name)
    ctx = zmq.Context()
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://rtt")
    b.connect("inproc://rtt")

    def echo() -> None:
        for _ in range(n):
            b.send(b.recv())

    t = threading.Thread(target=echo)
    t.start()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        a.send(b"x")
        a.recv()
        samples.append(time.perf_counter() - t0)
    t.join()
    a.close(linger=0)
    b.close(linger=0)
    ctx.term()
    return statistics.median(samples) * 1e6


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    for r in range(rounds):
        sl, pz = rtt("serverlink"), rtt("zmq")
        print(f"round {r}: serverlink {sl:.1f} us, pyzmq {pz:.1f} us, ratio {sl / pz:.2f}")


if __name__ == "__main__":
    main()
