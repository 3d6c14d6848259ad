"""Weather updates: PUB/SUB with subscription filters (the zguide's wuserver/wuclient).

    python weather.py [ENDPOINT]            default: tcp://127.0.0.1:5556

A publisher binds ENDPOINT and sends "zipcode temperature humidity" updates;
two subscribers connect, each filtering the zip codes it wants (a SUB socket
receives only messages starting with one of its subscriptions), and report
the average temperature of what they got.

A subscriber that joins late misses what was published before its
subscriptions reached the publisher (the "slow joiner"). So the publisher
first repeats a "!sync" message, which every subscriber also subscribed to
(after its zip codes: subscriptions travel in order), until each has seen
one; only then does it publish the updates, from a seeded generator, and a
final "!end". Nothing is lost, and the output is the same on every run.
"""

from __future__ import annotations

import queue
import random
import sys
import threading

import zmq

UPDATES = 500
ZIPCODES = ["10001", "60601", "73301", "94016", "98101"]
SUBSCRIBERS = {"downtown": ["10001"], "west coast": ["94016", "98101"]}


def publisher(
    ctx: zmq.SyncContext, endpoint: str, bound: queue.Queue[str], synced: queue.Queue[str]
) -> None:
    socket = ctx.socket(zmq.PUB)
    socket.bind(endpoint)
    bound.put(socket.get_string(zmq.LAST_ENDPOINT))
    waiting = len(SUBSCRIBERS)
    while waiting:  # repeat "!sync" until every subscriber has seen one
        socket.send_string("!sync")
        try:
            synced.get(timeout=0.01)
            waiting -= 1
        except queue.Empty:
            pass
    rng = random.Random(2024)
    for _ in range(UPDATES):
        zipcode = rng.choice(ZIPCODES)
        temperature = rng.randrange(-20, 100)
        humidity = rng.randrange(10, 60)
        socket.send_string(f"{zipcode} {temperature} {humidity}")
    socket.send_string("!end")
    socket.close()


def subscriber(
    ctx: zmq.SyncContext,
    address: str,
    zipcodes: list[str],
    synced: queue.Queue[str],
    results: dict[str, list[int]],
) -> None:
    socket = ctx.socket(zmq.SUB)
    socket.connect(address)
    for zipcode in zipcodes:
        socket.setsockopt_string(zmq.SUBSCRIBE, zipcode)
    socket.setsockopt_string(zmq.SUBSCRIBE, "!")
    seen_sync = False
    while True:
        update = socket.recv_string()
        if update == "!sync":
            if not seen_sync:
                seen_sync = True
                synced.put(address)
            continue
        if update == "!end":
            break
        zipcode, temperature, _ = update.split()
        results.setdefault(zipcode, []).append(int(temperature))
    socket.close()


def main() -> None:
    endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5556"
    ctx = zmq.Context()
    bound: queue.Queue[str] = queue.Queue()
    synced: queue.Queue[str] = queue.Queue()
    pub = threading.Thread(target=publisher, args=(ctx, endpoint, bound, synced))
    pub.start()
    address = bound.get(timeout=10)
    results: dict[str, dict[str, list[int]]] = {name: {} for name in SUBSCRIBERS}
    subs = [
        threading.Thread(target=subscriber, args=(ctx, address, zipcodes, synced, results[name]))
        for name, zipcodes in SUBSCRIBERS.items()
    ]
    for t in subs:
        t.start()
    for t in [pub, *subs]:
        t.join()
    print(f"Published {UPDATES} updates for {len(ZIPCODES)} zip codes")
    for name, zipcodes in SUBSCRIBERS.items():
        got = results[name]
        print(f"Subscriber '{name}' filtered {', '.join(zipcodes)}: received {sorted(got)}")
        for zipcode in zipcodes:
            temps = got[zipcode]
            average = sum(temps) / len(temps)
            print(f"  zipcode {zipcode}: average {average:.1f}F over {len(temps)} updates")
    ctx.term()


if __name__ == "__main__":
    main()
