"""Reading socket monitor events, as ``zmq.utils.monitor`` does."""

from __future__ import annotations

import struct
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypedDict, overload

from serverlink.constants import Event

if TYPE_CHECKING:
    from serverlink.asyncio import Socket as AsyncSocket
    from serverlink.socket import Socket


class MonitorEvent(TypedDict):
    event: Event | int
    value: int
    endpoint: bytes


def parse_monitor_message(msg: list[bytes]) -> MonitorEvent:
    """Decode the two frames of a monitor event (16-bit event, 32-bit value)."""
    if len(msg) != 2 or len(msg[0]) != 6:
        raise ValueError(f"not a monitor event: {msg!r}")
    event_id, value = struct.unpack("=hi", msg[0])
    event: Event | int
    try:
        event = Event(event_id & 0xFFFF)
    except ValueError:
        event = event_id
    return {"event": event, "value": value, "endpoint": msg[1]}


# The asyncio subclass comes first: its overload is the one that matches it.
@overload
def recv_monitor_message(  # type: ignore[overload-overlap]
    socket: AsyncSocket, flags: int = 0
) -> Awaitable[MonitorEvent]: ...


@overload
def recv_monitor_message(socket: Socket, flags: int = 0) -> MonitorEvent: ...


def recv_monitor_message(socket: Socket, flags: int = 0) -> MonitorEvent | Awaitable[MonitorEvent]:
    """Receive and decode one event from a monitor socket.

    With a ``serverlink.asyncio`` socket, returns an awaitable (as pyzmq's).
    """
    if socket._async:
        return _recv_monitor_message_async(socket, flags)
    msg: Any = socket.recv_multipart(flags)
    return parse_monitor_message(msg)


async def _recv_monitor_message_async(socket: Any, flags: int) -> MonitorEvent:
    return parse_monitor_message(await socket.recv_multipart(flags))
