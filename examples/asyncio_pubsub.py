"""PUB/SUB on asyncio: one publisher and two subscribers as coroutines of one event loop.

    python asyncio_pubsub.py [ENDPOINT]     default: tcp://127.0.0.1:5561

With ``zmq.asyncio``, send and recv return awaitables: a coroutine waiting
for a message lets the others run. Messages have two frames, a topic and a
body; a SUB socket filters on the topic frame. As in weather.py, the
publisher repeats a "!sync" topic until both subscribers have seen it, so
none of the news that follows is lost to a late subscription.
"""

from __future__ import annotations

import asyncio
import sys

import zmq
import zmq.asyncio

NEWS = [
    ("weather", "rain in the morning"),
    ("sports", "home team wins 3-1"),
    ("news", "library opens late"),
    ("weather", "sun after noon"),
    ("markets", "quiet day"),
    ("sports", "marathon on sunday"),
    ("weather", "wind from the west"),
    ("news", "bridge repaired"),
]
SUBSCRIBERS = {"forecaster": ["weather"], "reader": ["news", "sports"]}


async def publisher(
    ctx: zmq.asyncio.Context, endpoint: str, bound: asyncio.Future[str], synced: asyncio.Queue[str]
) -> None:
    pub = ctx.socket(zmq.PUB)
    pub.bind(endpoint)
    bound.set_result(pub.get_string(zmq.LAST_ENDPOINT))
    waiting = len(SUBSCRIBERS)
    while waiting:
        await pub.send_multipart([b"!sync", b""])
        try:
            await asyncio.wait_for(synced.get(), 0.01)
            waiting -= 1
        except asyncio.TimeoutError:
            pass
    for topic, body in NEWS:
        await pub.send_multipart([topic.encode(), body.encode()])
    await pub.send_multipart([b"!end", b""])
    pub.close()


async def subscriber(
    ctx: zmq.asyncio.Context, address: str, topics: list[str], synced: asyncio.Queue[str]
) -> list[str]:
    sub = ctx.socket(zmq.SUB)
    sub.connect(address)
    for wanted in topics:
        sub.subscribe(wanted.encode())
    sub.subscribe(b"!")
    seen_sync = False
    received = []
    while True:
        topic, body = await sub.recv_multipart()
        if topic == b"!sync":
            if not seen_sync:
                seen_sync = True
                await synced.put(address)
        elif topic == b"!end":
            break
        else:
            received.append(f"[{topic.decode()}] {body.decode()}")
    sub.close()
    return received


async def main() -> None:
    endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5561"
    ctx = zmq.asyncio.Context()
    bound: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    synced: asyncio.Queue[str] = asyncio.Queue()
    pub = asyncio.ensure_future(publisher(ctx, endpoint, bound, synced))
    address = await bound
    results = await asyncio.gather(
        *(subscriber(ctx, address, topics, synced) for topics in SUBSCRIBERS.values())
    )
    await pub
    for (name, topics), received in zip(SUBSCRIBERS.items(), results):
        print(f"{name} (subscribed to {', '.join(topics)}) received {len(received)} messages:")
        for line in received:
            print(f"  {line}")
    ctx.term()


if __name__ == "__main__":
    asyncio.run(main())
