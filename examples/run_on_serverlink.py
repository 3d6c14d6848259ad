"""Run a pyzmq-style script on serverlink's native API: its ``import zmq`` gets serverlink.

    python run_on_serverlink.py SCRIPT [ARG...]

Puts ``serverlink_shim/`` (a package named ``zmq`` made of serverlink's
names) first on ``sys.path``, then runs SCRIPT as ``__main__`` with ARGs.
pyzmq is not involved. (To run pyzmq itself on serverlink instead, keep
pyzmq and set ``PYZMQ_BACKEND=serverlink.backend``.)
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    sys.path.insert(0, str(Path(__file__).resolve().parent / "serverlink_shim"))
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
