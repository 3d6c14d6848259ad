"""One thread serving several sockets with zmq.Poller (the zguide's mspoller, grown).

    python poller_server.py [ECHO [LOG]]    default: tcp://127.0.0.1:5562 tcp://127.0.0.1:5563

The server binds a REP socket at ECHO (it answers each request) and a PULL
socket at LOG (it collects log lines), and also watches a plain socket, not
a ZeroMQ one: the end of a socket pair through which an operator thread
asks it to stop. ``zmq.Poller`` waits on all three at once and says which
are ready. A client thread makes requests, another pushes log lines ending
with "END"; once both are done the operator writes to the socket pair. The
server stops when it has been asked to and has read the log up to "END".
"""

from __future__ import annotations

import socket
import sys
import threading

import zmq

REQUESTS = 4
LOG_LINES = ["starting", "loaded 3 plugins", "listening", "END"]


def echo_client(ctx: zmq.SyncContext, address: str, replies: list[str]) -> None:
    req = ctx.socket(zmq.REQ)
    req.connect(address)
    for n in range(REQUESTS):
        req.send_string(f"ping {n}")
        replies.append(req.recv_string())
    req.close()


def log_client(ctx: zmq.SyncContext, address: str) -> None:
    push = ctx.socket(zmq.PUSH)
    push.connect(address)
    for line in LOG_LINES:
        push.send_string(line)
    push.close()


def operator(clients: list[threading.Thread], stop: socket.socket) -> None:
    for t in clients:
        t.join()
    stop.sendall(b"stop")


def main() -> None:
    echo_ep = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5562"
    log_ep = sys.argv[2] if len(sys.argv) > 2 else "tcp://127.0.0.1:5563"
    ctx = zmq.Context()
    echo = ctx.socket(zmq.REP)
    echo.bind(echo_ep)
    log = ctx.socket(zmq.PULL)
    log.bind(log_ep)
    stop_read, stop_write = socket.socketpair()

    replies: list[str] = []
    clients = [
        threading.Thread(
            target=echo_client, args=(ctx, echo.get_string(zmq.LAST_ENDPOINT), replies)
        ),
        threading.Thread(target=log_client, args=(ctx, log.get_string(zmq.LAST_ENDPOINT))),
    ]
    for t in clients:
        t.start()
    op = threading.Thread(target=operator, args=(clients, stop_write))
    op.start()

    poller = zmq.Poller()
    poller.register(echo, zmq.POLLIN)
    poller.register(log, zmq.POLLIN)
    poller.register(stop_read.fileno(), zmq.POLLIN)
    echoed = 0
    logged: list[str] = []
    stop_asked = False
    while not (stop_asked and logged and logged[-1] == "END"):
        events = dict(poller.poll(10_000))
        if not events:
            raise SystemExit("nothing happened for 10 s")
        if echo in events:
            request = echo.recv_string()
            echo.send_string(request.replace("ping", "pong"))
            echoed += 1
        if log in events:
            logged.append(log.recv_string())
        if stop_read.fileno() in events:
            stop_read.recv(16)
            stop_asked = True
            poller.unregister(stop_read.fileno())

    op.join()
    print(f"Server answered {echoed} requests and read {len(logged)} log lines, then stopped")
    print(f"Replies: {replies}")
    print(f"Log: {logged}")
    for s in (echo, log):
        s.close()
    stop_read.close()
    stop_write.close()
    ctx.term()


if __name__ == "__main__":
    main()
