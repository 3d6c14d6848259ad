"""Request-reply broker: ROUTER in front, DEALER behind, zmq.proxy between them.

    python broker.py [FRONTEND [BACKEND]]   default: tcp://127.0.0.1:5559 tcp://127.0.0.1:5560

Clients (REQ) connect to the broker's ROUTER at FRONTEND; workers (REP)
connect to its DEALER at BACKEND; ``zmq.proxy`` moves requests one way and
replies the other (the zguide's msgqueue and rrclient/rrworker). The ROUTER
prefixes each request with its client's routing id and routes the reply
back by it, so every client gets its own answers, whichever worker did the
work. The proxy, like the workers, runs until the context is terminated.
"""

from __future__ import annotations

import queue
import sys
import threading

import zmq

CLIENTS = ["alice", "bob", "carol"]
WORKERS = 3
REQUESTS = 5


def broker(
    ctx: zmq.SyncContext, frontend_ep: str, backend_ep: str, bound: queue.Queue[str]
) -> None:
    frontend = ctx.socket(zmq.ROUTER)
    frontend.bind(frontend_ep)
    backend = ctx.socket(zmq.DEALER)
    backend.bind(backend_ep)
    bound.put(frontend.get_string(zmq.LAST_ENDPOINT))
    bound.put(backend.get_string(zmq.LAST_ENDPOINT))
    try:
        zmq.proxy(frontend, backend)
    except zmq.ContextTerminated:
        pass
    finally:
        frontend.close(linger=0)
        backend.close(linger=0)


def worker(ctx: zmq.SyncContext, address: str) -> None:
    socket = ctx.socket(zmq.REP)
    socket.connect(address)
    try:
        while True:
            request = socket.recv_string()
            socket.send_string(f"{request} -> {request.upper()}")
    except zmq.ContextTerminated:
        pass
    finally:
        socket.close(linger=0)


def client(ctx: zmq.SyncContext, address: str, name: str, replies: list[str]) -> None:
    socket = ctx.socket(zmq.REQ)
    socket.connect(address)
    for n in range(REQUESTS):
        socket.send_string(f"{name} request {n}")
        replies.append(socket.recv_string())
    socket.close()


def main() -> None:
    frontend_ep = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5559"
    backend_ep = sys.argv[2] if len(sys.argv) > 2 else "tcp://127.0.0.1:5560"
    ctx = zmq.Context()
    bound: queue.Queue[str] = queue.Queue()
    broker_thread = threading.Thread(target=broker, args=(ctx, frontend_ep, backend_ep, bound))
    broker_thread.start()
    frontend, backend = bound.get(timeout=10), bound.get(timeout=10)

    workers = [threading.Thread(target=worker, args=(ctx, backend)) for _ in range(WORKERS)]
    replies: dict[str, list[str]] = {name: [] for name in CLIENTS}
    clients = [
        threading.Thread(target=client, args=(ctx, frontend, name, replies[name]))
        for name in CLIENTS
    ]
    for t in workers + clients:
        t.start()
    for t in clients:
        t.join()
    for name in CLIENTS:
        print(f"{name} got {len(replies[name])} replies:")
        for reply in replies[name]:
            print(f"  {reply}")
    ctx.term()  # stops the proxy and the workers
    for t in [broker_thread, *workers]:
        t.join()
    print("Broker and workers stopped")


if __name__ == "__main__":
    main()
