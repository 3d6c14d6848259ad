"""Hello World: a REP server and a REQ client (the zguide's hwserver/hwclient).

    python hello_world.py [ENDPOINT]        default: tcp://127.0.0.1:5555

The server binds ENDPOINT (``tcp://host:*`` picks a free port) and answers
every "Hello" with "World"; the client connects to the address the server
bound and makes ten requests. Both run in this process, on two threads, and
the script ends by itself. REQ/REP go in lockstep, so the output is the same
on every run.
"""

from __future__ import annotations

import queue
import sys
import threading

import zmq

REQUESTS = 10


def server(ctx: zmq.SyncContext, endpoint: str, bound: queue.Queue[str]) -> None:
    socket = ctx.socket(zmq.REP)
    socket.bind(endpoint)
    bound.put(socket.get_string(zmq.LAST_ENDPOINT))
    for _ in range(REQUESTS):
        message = socket.recv()
        print(f"Received request: {message.decode()}")
        socket.send(b"World")
    socket.close()


def main() -> None:
    endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5555"
    ctx = zmq.Context()
    bound: queue.Queue[str] = queue.Queue()
    thread = threading.Thread(target=server, args=(ctx, endpoint, bound))
    thread.start()

    socket = ctx.socket(zmq.REQ)
    socket.connect(bound.get(timeout=10))
    for request in range(REQUESTS):
        print(f"Sending request {request} ...")
        socket.send(b"Hello")
        message = socket.recv()
        print(f"Received reply {request} [ {message.decode()} ]")
    socket.close()
    thread.join()
    ctx.term()


if __name__ == "__main__":
    main()
