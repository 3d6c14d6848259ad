"""``zmq.asyncio`` that is ``serverlink.asyncio`` (the very module object)."""

import sys

import serverlink.asyncio

sys.modules[__name__] = serverlink.asyncio
