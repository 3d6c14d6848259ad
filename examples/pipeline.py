"""Divide and conquer: ventilator, workers and sink (the zguide's taskvent/taskwork/tasksink).

    python pipeline.py [VENTILATOR [SINK]]  default: tcp://127.0.0.1:5557 tcp://127.0.0.1:5558

The ventilator binds a PUSH socket at VENTILATOR and hands out tasks (a
number of milliseconds of "work"); three workers each PULL tasks from it,
do the work and PUSH a result to the sink, which binds a PULL socket at SINK
and collects them. PUSH spreads the tasks over the workers that are
connected; which worker did what varies from run to run, but the sink gets
every result exactly once, so what it prints does not.

The workers block in recv() until the context is terminated: term() makes
that recv raise ContextTerminated, each worker closes its sockets and
returns, and term() returns once they all have.
"""

from __future__ import annotations

import queue
import random
import sys
import threading
import time

import zmq

TASKS = 100
WORKERS = 3


def worker(ctx: zmq.SyncContext, tasks_address: str, sink_address: str) -> None:
    receiver = ctx.socket(zmq.PULL)
    receiver.connect(tasks_address)
    sender = ctx.socket(zmq.PUSH)
    sender.connect(sink_address)
    try:
        while True:
            task = receiver.recv_string()
            number, msec = task.split(":")
            time.sleep(int(msec) / 1000)  # the work
            sender.send_string(f"{number}:{msec}")
    except zmq.ContextTerminated:
        pass
    finally:
        receiver.close(linger=0)
        sender.close(linger=0)


def sink(ctx: zmq.SyncContext, endpoint: str, bound: queue.Queue[str], report: list[str]) -> None:
    receiver = ctx.socket(zmq.PULL)
    receiver.bind(endpoint)
    bound.put(receiver.get_string(zmq.LAST_ENDPOINT))
    assert receiver.recv_string() == "start of batch"
    done: dict[int, int] = {}
    for _ in range(TASKS):
        number, msec = receiver.recv_string().split(":")
        done[int(number)] = done.get(int(number), 0) + int(msec)
    report.append(f"Sink received {len(done)} distinct results")
    report.append(f"Every task done once: {sorted(done) == list(range(TASKS))}")
    report.append(f"Total cost of the work done: {sum(done.values())} msec")
    receiver.close()


def main() -> None:
    vent_endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5557"
    sink_endpoint = sys.argv[2] if len(sys.argv) > 2 else "tcp://127.0.0.1:5558"
    ctx = zmq.Context()

    bound: queue.Queue[str] = queue.Queue()
    report: list[str] = []
    sink_thread = threading.Thread(target=sink, args=(ctx, sink_endpoint, bound, report))
    sink_thread.start()
    sink_address = bound.get(timeout=10)

    ventilator = ctx.socket(zmq.PUSH)
    ventilator.bind(vent_endpoint)
    tasks_address = ventilator.get_string(zmq.LAST_ENDPOINT)
    workers = [
        threading.Thread(target=worker, args=(ctx, tasks_address, sink_address))
        for _ in range(WORKERS)
    ]
    for t in workers:
        t.start()

    # Tell the sink a batch starts, then send the tasks.
    start = ctx.socket(zmq.PUSH)
    start.connect(sink_address)
    start.send_string("start of batch")
    rng = random.Random(11)
    total = 0
    for number in range(TASKS):
        msec = rng.randint(1, 10)
        total += msec
        ventilator.send_string(f"{number}:{msec}")
    print(f"Ventilator sent {TASKS} tasks, total expected cost: {total} msec")

    sink_thread.join()
    print("\n".join(report))
    ventilator.close()
    start.close()
    ctx.term()  # the workers' recv() raises ContextTerminated
    for t in workers:
        t.join()
    print(f"Workers stopped: {sum(not t.is_alive() for t in workers)} of {WORKERS}")


if __name__ == "__main__":
    main()
