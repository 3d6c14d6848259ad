"""Reading socket monitor events, as ``zmq.utils.monitor`` does."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, TypedDict

from serverlink.constants import Event

if TYPE_CHECKING:
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


def recv_monitor_message(socket: Socket, flags: int = 0) -> MonitorEvent:
    """Receive and decode one event from a monitor socket."""
    msg: Any = socket.recv_multipart(flags)
    return parse_monitor_message(msg)
