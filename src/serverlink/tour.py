"""The main job: a short tour with measured figures.

Run it as ``python -m serverlink``. Each step prints what it did and what it
measured on this machine.
"""

from __future__ import annotations

import argparse
import time

import serverlink


def tour_lifecycle(n: int) -> None:
    print(f"serverlink {serverlink.__version__}; pollers in this build: {serverlink.pollers()}")
    for poller in serverlink.pollers():
        t0 = time.perf_counter()
        for _ in range(n):
            with serverlink.Context(poller=poller) as ctx:
                ctx.reaper.ping()
        dt = time.perf_counter() - t0
        print(f"  {poller:6s}: {n} contexts created and terminated, {dt / n * 1e6:.0f} us each")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m serverlink", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args(argv)
    tour_lifecycle(100 if args.quick else 1000)
    return 0
