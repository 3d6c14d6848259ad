"""``python -m serverlink``: a short tour that shows the library working."""

from __future__ import annotations

from serverlink.tour import main

if __name__ == "__main__":
    raise SystemExit(main())
