#!/usr/bin/env python3
"""One benchmark measurement, in a process of its own.

``compare.py`` runs ``python bench/worker.py '<json spec>'`` once per cell and
repetition, with a timeout, so a crash or hang of one library never takes the
harness down. The worker prints two lines on stdout::

    RESULT {...}     the measurement (or {"ok": false, "error": ...})
    TEARDOWN {...}   whether closing the sockets and terminating the context
                     finished (a hang there is reported, not hidden)

Every library runs the *same* functions below, parameterised by the module
(``import zmq`` / ``import serverlink as zmq`` / ``import pyomq as zmq``); only
``load()`` knows which one it is. Sockets use each library's default options
(HWM 1000 etc.); the only option ever set is LINGER at close.

Roles (spec["role"]):
  tput        PUSH->PULL throughput, measured at the receiver (this process);
              the sender is a thread here (spec["mode"] == "thread") or a
              child process (mode "proc", role tput-send).
  lat         ping-pong round trips (PAIR, or REQ/REP), measured at the
              client (this process); the echo side is a thread or a child.
  batch       like tput with 16 B messages, through send_many/recv_many when
              the library has them, else a plain loop of send/recv.
  raw         plain Python ``socket`` stream (tcp loopback / unix socket)
              moving the same bytes, the ceiling for the bulk rows.
  percall     ns per send() and per recv() call, one thread, inproc, no
              waiting (the binding's own cost, free of scheduling noise).
  tput with spec["zerocopy"]: send(copy=False) / recv(copy=False).
"""

from __future__ import annotations

import faulthandler
import importlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

MODULES = {"serverlink": "serverlink", "pyzmq": "zmq", "pyomq": "pyomq"}
# Latency patterns: name -> (client type, server type). Adding REQ/REP to the
# harness is one entry in compare.LAT_PATTERNS; the worker already knows it.
PATTERNS = {"pair": ("PAIR", "PAIR"), "reqrep": ("REQ", "REP")}
BATCH = 64  # messages per send_many/recv_many call in the batch row

_phase = "start"
_done = threading.Event()
_result_printed = False
_children: list[subprocess.Popen[bytes]] = []
_child_err: list[str] = []


def emit(tag: str, obj: dict[str, Any]) -> None:
    sys.stdout.write(f"{tag} {json.dumps(obj)}\n")
    sys.stdout.flush()


def emit_result(obj: dict[str, Any]) -> None:
    global _result_printed
    if not _result_printed:
        _result_printed = True
        emit("RESULT", obj)


def load(lib: str) -> Any:
    return importlib.import_module(MODULES[lib])


def ipc_path(tag: str) -> str:
    return os.path.join(tempfile.gettempdir(), f"slb-{os.getpid()}-{tag}.ipc")


def endpoint(transport: str, tag: str) -> str:
    if transport == "inproc":
        return f"inproc://bench-{tag}"
    if transport == "tcp":
        return "tcp://127.0.0.1:*"
    if transport == "ipc":
        return "ipc://" + ipc_path(tag)
    raise ValueError(transport)


def bound(sock: Any, requested: str) -> str:
    le = sock.last_endpoint
    if isinstance(le, bytes):
        le = le.decode()
    return le or requested


def child_tail() -> str:
    return " | ".join(_child_err)[-600:]


# -- watchdog ------------------------------------------------------------


def watchdog(deadline_s: float) -> None:
    """Report a hang or a dead peer, kill the children and exit."""
    t_end = time.monotonic() + deadline_s
    while not _done.wait(0.1):
        for c in _children:
            rc = c.poll()
            if rc not in (None, 0) and _phase in ("setup", "measure"):
                time.sleep(1.0)  # let the main thread finish if it can
                if _done.is_set() or _result_printed:
                    break
                _collect_child_err(c)
                emit_result(
                    {
                        "ok": False,
                        "error": f"peer process exited rc={rc} during {_phase}: " + child_tail(),
                    }
                )
                _hard_exit(3)
        if time.monotonic() > t_end:
            where = main_thread_state()
            peer = ""
            for c in _children:
                if c.poll() is None:
                    try:  # the child dumps its stacks (faulthandler) to its stderr
                        os.kill(c.pid, signal.SIGUSR1)
                    except OSError:
                        pass
            time.sleep(0.3)
            for c in _children:
                peer += _child_result(c)
                _collect_child_err(c)
            if not _result_printed:
                emit_result(
                    {
                        "ok": False,
                        "error": f"timeout after {deadline_s:.0f}s in phase {_phase}"
                        f" [{where}]"
                        + (f" [peer: {peer}]" if peer else "")
                        + (" [peer stderr: " + child_tail() + "]" if _child_err else ""),
                    }
                )
            else:
                emit("TEARDOWN", {"ok": False, "error": f"hung in {_phase} (> deadline)"})
            _hard_exit(4)


def main_thread_state() -> str:
    """Where the main thread is stuck, with its loop counters (no per-message cost)."""
    frame = sys._current_frames().get(threading.main_thread().ident or 0)
    bits = []
    while frame is not None:
        code = frame.f_code
        if code.co_filename == __file__ and code.co_name not in ("main",):
            loc = {k: v for k, v in frame.f_locals.items() if k in ("n", "i", "total", "count")}
            bits.append(
                f"{code.co_name}:{frame.f_lineno} {loc}"
                if loc
                else f"{code.co_name}:{frame.f_lineno}"
            )
        frame = frame.f_back
    return " <- ".join(bits) or "?"


def _child_result(c: subprocess.Popen[bytes]) -> str:
    f = getattr(c, "_outfile", None)
    if f is None:
        return ""
    try:
        f.seek(0)
        lines = [
            ln for ln in f.read().decode(errors="replace").splitlines() if ln.startswith("RESULT")
        ]
        return lines[0][7:] if lines else f"no result yet (pid {c.pid}, rc {c.poll()})"
    except Exception:
        return ""


def _collect_child_err(c: subprocess.Popen[bytes]) -> None:
    f = getattr(c, "_errfile", None)
    if f is None:
        return
    try:
        f.seek(0)
        txt = f.read().decode(errors="replace").strip()
        if txt:
            # keep the innermost frames of a faulthandler dump, or the last line
            lines = [ln.strip() for ln in txt.splitlines() if ln.strip()]
            blocks: list[list[str]] = []
            for ln in lines:
                if "thread 0x" in ln.lower():
                    blocks.append([])
                elif ln.startswith("File ") and blocks:
                    blocks[-1].append(ln.replace(os.path.dirname(__file__) + "/", ""))
            ours = [b for b in blocks if any(f.endswith("in <module>") for f in b)]
            if ours:
                _child_err.append("stack: " + " <- ".join(ours[0][:3]))
            elif not blocks:
                _child_err.append(lines[-1])
    except Exception:
        pass


def _hard_exit(code: int) -> None:
    for c in _children:
        try:
            c.kill()
        except Exception:
            pass
    sys.stdout.flush()
    os._exit(code)


def spawn(spec: dict[str, Any]) -> subprocess.Popen[bytes]:
    errf = tempfile.TemporaryFile()
    outf = tempfile.TemporaryFile()
    # The peer's stdin is its go-ahead to close: it stays connected until the
    # measuring side has the END marker and closes the pipe (see peer_wait).
    p = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), json.dumps(spec)],
        stdout=outf,
        stderr=errf,
        stdin=subprocess.PIPE,
    )
    p._errfile = errf  # type: ignore[attr-defined]
    p._outfile = outf  # type: ignore[attr-defined]
    _children.append(p)
    return p


def peer_wait() -> None:
    """In a peer: block until the measuring process closes our stdin, so the
    peer never disconnects while its last messages are in flight (the
    measurement is of the stream, not of a library's flush-at-close)."""
    try:
        sys.stdin.buffer.read()
    except (OSError, ValueError):
        pass


def child_output(p: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    if p.stdin is not None:
        try:
            p.stdin.close()  # the go-ahead: the peer may close now
        except OSError:
            pass
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return {"ok": False, "error": "peer did not exit"}
    outf = p._outfile  # type: ignore[attr-defined]
    outf.seek(0)
    for line in outf.read().decode(errors="replace").splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[7:]))
    _collect_child_err(p)
    return {"ok": False, "error": f"peer rc={p.returncode}: " + child_tail()}


# -- the measured loops (identical for every library) ----------------------


def send_loop(sock: Any, size: int, count: int, max_s: float) -> int:
    """Send up to `count` messages of `size` bytes (stop early after max_s),
    then an END marker (shorter than any payload) carrying the count."""
    payload = b"x" * size
    send = sock.send
    chunk = max(1, min(256, (8 << 20) // size))
    t_end = time.perf_counter() + max_s
    n = 0
    while n < count:
        k = min(chunk, count - n)
        for _ in range(k):
            send(payload)
        n += k
        if time.perf_counter() > t_end:
            break
    send(b"END%d" % n)
    return n


def send_loop_zc(sock: Any, size: int, count: int, max_s: float) -> int:
    """send_loop with copy=False (the library may keep a reference instead of copying)."""
    payload = b"x" * size
    send = sock.send
    chunk = max(1, min(256, (8 << 20) // size))
    t_end = time.perf_counter() + max_s
    n = 0
    while n < count:
        k = min(chunk, count - n)
        for _ in range(k):
            send(payload, copy=False)
        n += k
        if time.perf_counter() > t_end:
            break
    send(b"END%d" % n)
    return n


def recv_loop_zc(sock: Any, size: int) -> tuple[int, int, float]:
    """recv_loop with copy=False: frames, whose length is checked, not their bytes."""
    recv = sock.recv
    f = recv(copy=False)
    t0 = time.perf_counter()
    n = 0
    while len(f) == size:
        n += 1
        f = recv(copy=False)
    t1 = time.perf_counter()
    return n, int(bytes(f.buffer)[3:]), t1 - t0


def recv_loop(sock: Any, size: int) -> tuple[int, int, float]:
    """Receive until the END marker: (received, sent, seconds first->last)."""
    recv = sock.recv
    m = recv()
    t0 = time.perf_counter()
    n = 0
    while len(m) == size:
        n += 1
        m = recv()
    t1 = time.perf_counter()
    return n, int(m[3:]), t1 - t0


def send_batch_loop(sock: Any, count: int, max_s: float, api: str) -> int:
    payload = b"x" * 16
    batch = [payload] * BATCH
    t_end = time.perf_counter() + max_s
    n = 0
    if api == "many":
        # send_many(list) returns how many it queued (it may stop short
        # rather than block): resend the rest
        send_many = sock.send_many
        while n < count:
            off = send_many(batch)
            off = BATCH if off is None else off  # an API that returns nothing sent all
            while off < BATCH:
                off += send_many(batch[off:])
            n += BATCH
            if (n & 4095) == 0 and time.perf_counter() > t_end:
                break
    else:
        send = sock.send
        while n < count:
            for m in batch:
                send(m)
            n += BATCH
            if (n & 4095) == 0 and time.perf_counter() > t_end:
                break
    sock.send(b"END%d" % n)
    return n


def recv_batch_loop(sock: Any, api: str) -> tuple[int, int, float]:
    n = 0
    if api == "many":
        recv_many = sock.recv_many
        msgs = recv_many(BATCH)
        t0 = time.perf_counter()
        while True:
            last = msgs[-1]
            if len(last) != 16:
                n += len(msgs) - 1
                break
            n += len(msgs)
            msgs = recv_many(BATCH)
        t1 = time.perf_counter()
        return n, int(last[3:]), t1 - t0
    return recv_loop(sock, 16)


def echo_loop(sock: Any, size: int) -> int:
    recv = sock.recv
    send = sock.send
    n = 0
    while True:
        m = recv()
        send(m)
        if len(m) != size:
            return n
        n += 1


def ping_loop(sock: Any, size: int, count: int, max_s: float, warmup: int) -> dict[str, Any]:
    payload = b"x" * size
    send = sock.send
    recv = sock.recv
    for _ in range(warmup):
        send(payload)
        if len(recv()) != size:
            raise RuntimeError("bad echo during warm-up")
    clock = time.perf_counter_ns
    samples: list[int] = []
    append = samples.append
    t_start = clock()
    t_end = t_start + int(max_s * 1e9)
    bad = 0
    for i in range(count):
        t0 = clock()
        send(payload)
        m = recv()
        t1 = clock()
        append(t1 - t0)
        if len(m) != size:
            bad += 1
        if (i & 15) == 0 and t1 > t_end:
            break
    total = clock() - t_start
    send(b"END")
    recv()
    samples.sort()
    k = len(samples)
    return {
        "round_trips": k,
        "bad_replies": bad,
        "median_us": samples[k // 2] / 1e3,
        "p99_us": samples[min(k - 1, int(k * 0.99))] / 1e3,
        "mean_us": statistics.fmean(samples) / 1e3,
        "rt_per_s": k / (total / 1e9),
    }


# -- roles -------------------------------------------------------------------


def close_all(ctx: Any, *socks: Any) -> dict[str, Any]:
    global _phase
    _phase = "teardown"
    t0 = time.perf_counter()
    for s in socks:
        if s is not None:
            s.close(linger=0)
    ctx.term()
    return {"ok": True, "seconds": time.perf_counter() - t0}


def role_tput(spec: dict[str, Any]) -> None:
    global _phase
    zmq = load(spec["lib"])
    batch = spec["role"] == "batch"
    size = 16 if batch else spec["size"]
    ctx = zmq.Context()
    _phase = "setup"
    pull = ctx.socket(zmq.PULL)
    pull.bind(endpoint(spec["transport"], "t"))
    ep = bound(pull, endpoint(spec["transport"], "t"))
    api_send = "many" if batch and hasattr(pull, "send_many") else "loop"
    api_recv = "many" if batch and hasattr(pull, "recv_many") else "loop"
    sent_box: list[int] = []
    th = None
    child = None
    if spec["mode"] == "thread":
        push = ctx.socket(zmq.PUSH)
        push.connect(ep)

        def run() -> None:
            try:
                if batch:
                    sent_box.append(send_batch_loop(push, spec["count"], spec["max_s"], api_send))
                elif spec.get("zerocopy"):
                    sent_box.append(send_loop_zc(push, size, spec["count"], spec["max_s"]))
                else:
                    sent_box.append(send_loop(push, size, spec["count"], spec["max_s"]))
            except BaseException as e:  # report, don't hang the receiver silently
                emit_result({"ok": False, "error": f"sender thread: {type(e).__name__}: {e}"})
                _hard_exit(5)

        th = threading.Thread(target=run, daemon=True)
    else:
        push = None
        child = spawn(
            {**spec, "role": "tput-send", "endpoint": ep, "batch_sender": batch, "api": api_send}
        )
    _phase = "measure"
    if th is not None:
        th.start()
    if batch:
        n, sent, secs = recv_batch_loop(pull, api_recv)
    elif spec.get("zerocopy"):
        n, sent, secs = recv_loop_zc(pull, size)
    else:
        n, sent, secs = recv_loop(pull, size)
    if th is not None:
        th.join()
    peer: dict[str, Any] = {}
    if child is not None:
        _phase = "peer-exit"
        peer = child_output(child, 30)
    msgs = max(n - 1, 0)
    res: dict[str, Any] = {
        "ok": n == sent and n > 1 and peer.get("ok", True),
        "received": n,
        "sent": sent,
        "seconds": secs,
        "msgs_per_s": msgs / secs if secs > 0 else 0.0,
        "mb_per_s": msgs * size / secs / 1e6 if secs > 0 else 0.0,
        "api": ("send_many/recv_many" if api_send == "many" else "send/recv loop")
        if batch
        else "send/recv(copy=False)"
        if spec.get("zerocopy")
        else "send/recv",
    }
    if n != sent:
        res["error"] = f"receiver got {n} of {sent} messages"
    elif not peer.get("ok", True):
        res["error"] = "peer: " + str(peer.get("error"))
    emit_result(res)
    emit("TEARDOWN", close_all(ctx, pull, push))


def role_tput_send(spec: dict[str, Any]) -> None:
    global _phase
    zmq = load(spec["lib"])
    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    push.connect(spec["endpoint"])
    _phase = "measure"
    if spec.get("batch_sender"):
        n = send_batch_loop(push, spec["count"], spec["max_s"], spec["api"])
    elif spec.get("zerocopy"):
        n = send_loop_zc(push, spec["size"], spec["count"], spec["max_s"])
    else:
        n = send_loop(push, spec["size"], spec["count"], spec["max_s"])
    emit_result({"ok": True, "sent": n})
    _phase = "peer-wait"
    peer_wait()
    _phase = "teardown"
    push.close(linger=10000)  # let the queue drain: every message must arrive
    ctx.term()
    emit("TEARDOWN", {"ok": True})


def role_lat(spec: dict[str, Any]) -> None:
    global _phase
    zmq = load(spec["lib"])
    ctype, stype = PATTERNS[spec["pattern"]]
    ctx = zmq.Context()
    _phase = "setup"
    try:
        cli = ctx.socket(getattr(zmq, ctype))
    except Exception as e:
        emit_result({"ok": False, "na": True, "error": f"no {ctype} socket: {e}"})
        emit("TEARDOWN", close_all(ctx))
        return
    cli.bind(endpoint(spec["transport"], "l"))
    ep = bound(cli, endpoint(spec["transport"], "l"))
    srv = None
    th = None
    child = None
    if spec["mode"] == "thread":
        srv = ctx.socket(getattr(zmq, stype))
        srv.connect(ep)
        th = threading.Thread(target=echo_loop, args=(srv, spec["size"]), daemon=True)
        th.start()
    else:
        child = spawn({**spec, "role": "lat-echo", "endpoint": ep})
    _phase = "measure"
    res = ping_loop(cli, spec["size"], spec["count"], spec["max_s"], spec.get("warmup", 200))
    if th is not None:
        th.join(10)
    peer: dict[str, Any] = {}
    if child is not None:
        _phase = "peer-exit"
        peer = child_output(child, 30)
    res["ok"] = res["bad_replies"] == 0 and peer.get("ok", True)
    if not peer.get("ok", True):
        res["error"] = "peer: " + str(peer.get("error"))
    emit_result(res)
    emit("TEARDOWN", close_all(ctx, cli, srv))


def role_lat_echo(spec: dict[str, Any]) -> None:
    global _phase
    zmq = load(spec["lib"])
    _ctype, stype = PATTERNS[spec["pattern"]]
    ctx = zmq.Context()
    srv = ctx.socket(getattr(zmq, stype))
    srv.connect(spec["endpoint"])
    _phase = "measure"
    n = echo_loop(srv, spec["size"])
    emit_result({"ok": True, "echoed": n})
    _phase = "peer-wait"
    peer_wait()
    _phase = "teardown"
    srv.close(linger=5000)  # the END reply must get out
    ctx.term()
    emit("TEARDOWN", {"ok": True})


# raw sockets: the same bytes, no messaging library ---------------------------


def raw_listen(transport: str) -> tuple[socket.socket, Any]:
    if transport == "tcp":
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.bind(("127.0.0.1", 0))
        addr: Any = ls.getsockname()
    else:
        addr = ipc_path("raw")
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(addr)
    ls.listen(1)
    return ls, addr


def raw_send(transport: str, addr: Any, size: int, count: int, max_s: float) -> int:
    fam = socket.AF_INET if transport == "tcp" else socket.AF_UNIX
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.connect(tuple(addr) if transport == "tcp" else addr)
    payload = b"x" * size
    sendall = s.sendall
    t_end = time.perf_counter() + max_s
    n = 0
    while n < count:
        sendall(payload)
        n += 1
        if (n & 15) == 0 and time.perf_counter() > t_end:
            break
    s.shutdown(socket.SHUT_WR)
    s.close()
    return n


def raw_recv(conn: socket.socket, size: int) -> tuple[int, float, int]:
    """Read to EOF: (total bytes, seconds after the first read, first read's bytes)."""
    buf = bytearray(max(size, 1 << 20))
    view = memoryview(buf)
    recv_into = conn.recv_into
    total = recv_into(view)
    t0 = time.perf_counter()
    first = total
    while True:
        k = recv_into(view)
        if k == 0:
            break
        total += k
    t1 = time.perf_counter()
    return total, t1 - t0, first


def role_raw(spec: dict[str, Any]) -> None:
    global _phase
    _phase = "setup"
    size = spec["size"]
    ls, addr = raw_listen(spec["transport"])
    sent_box: list[int] = []
    th = None
    child = None
    if spec["mode"] == "thread":

        def run() -> None:
            sent_box.append(raw_send(spec["transport"], addr, size, spec["count"], spec["max_s"]))

        th = threading.Thread(target=run, daemon=True)
        th.start()
    else:
        child = spawn({**spec, "role": "raw-send", "addr": addr})
    conn, _ = ls.accept()
    _phase = "measure"
    total, secs, first = raw_recv(conn, size)
    conn.close()
    ls.close()
    if spec["transport"] != "tcp":
        os.unlink(addr)
    if th is not None:
        th.join()
        sent = sent_box[0]
    else:
        peer = child_output(child, 30) if child else {}
        sent = int(peer.get("sent", -1))
    nbytes = total - first  # bytes that arrived after the clock started
    res = {
        "ok": total == sent * size,
        "received": total // size,
        "sent": sent,
        "seconds": secs,
        "msgs_per_s": nbytes / size / secs if secs > 0 else 0.0,
        "mb_per_s": nbytes / secs / 1e6 if secs > 0 else 0.0,
        "api": "socket.sendall/recv_into",
    }
    if not res["ok"]:
        res["error"] = f"received {total} bytes, sent {sent * size}"
    emit_result(res)
    emit("TEARDOWN", {"ok": True})


def role_raw_send(spec: dict[str, Any]) -> None:
    n = raw_send(spec["transport"], spec["addr"], spec["size"], spec["count"], spec["max_s"])
    emit_result({"ok": True, "sent": n})
    peer_wait()


def role_percall(spec: dict[str, Any]) -> None:
    """The cost of one send() and one recv() call, single thread, inproc, no
    waiting: K sends fill the queue (K < HWM), then K receives drain it; the
    median over rounds of the mean per call. Isolates the binding's per-call
    cost from thread scheduling, the GIL hand-off and the machine's noise."""
    global _phase
    zmq = load(spec["lib"])
    size = spec["size"]
    ctx = zmq.Context()
    _phase = "setup"
    pull = ctx.socket(zmq.PULL)
    pull.bind("inproc://percall")
    push = ctx.socket(zmq.PUSH)
    push.connect("inproc://percall")
    payload = b"x" * size
    send = push.send
    recv = pull.recv
    k = 200 if size < 65536 else 20
    clock = time.perf_counter_ns
    ts: list[float] = []
    tr: list[float] = []
    _phase = "measure"
    t_end = time.perf_counter() + spec["max_s"]
    got = 0
    while time.perf_counter() < t_end or len(ts) < 5:
        t0 = clock()
        for _ in range(k):
            send(payload)
        t1 = clock()
        for _ in range(k):
            if len(recv()) == size:
                got += 1
        t2 = clock()
        ts.append((t1 - t0) / k)
        tr.append((t2 - t1) / k)
    send_ns, recv_ns = statistics.median(ts), statistics.median(tr)
    res = {
        "ok": got == k * len(ts),
        "rounds": len(ts),
        "send_ns": send_ns,
        "recv_ns": recv_ns,
        "pair_ns": send_ns + recv_ns,
        "api": "send/recv",
    }
    emit_result(res)
    emit("TEARDOWN", close_all(ctx, pull, push))


def role_probe(spec: dict[str, Any]) -> None:
    """What a library has: version, socket types, batch API."""
    zmq = load(spec["lib"])
    info: dict[str, Any] = {"ok": True, "module": zmq.__name__}
    info["version"] = getattr(zmq, "__version__", "?")
    info["file"] = getattr(zmq, "__file__", None)
    zv = getattr(zmq, "zmq_version", None)
    info["zmq_version"] = zv() if callable(zv) else None
    ctx = zmq.Context()
    types: dict[str, bool | str] = {}
    socks = []
    for name in ("PAIR", "PUSH", "PULL", "REQ", "REP"):
        try:
            s = ctx.socket(getattr(zmq, name))
            socks.append(s)
            types[name] = True
        except Exception as e:
            types[name] = f"{type(e).__name__}: {e}"
    info["types"] = types
    info["batch"] = (
        bool(socks) and hasattr(socks[0], "send_many") and hasattr(socks[0], "recv_many")
    )
    emit_result(info)
    emit("TEARDOWN", close_all(ctx, *socks))


ROLES = {
    "tput": role_tput,
    "batch": role_tput,
    "tput-send": role_tput_send,
    "lat": role_lat,
    "lat-echo": role_lat_echo,
    "raw": role_raw,
    "raw-send": role_raw_send,
    "probe": role_probe,
    "percall": role_percall,
}


def main() -> None:
    spec = json.loads(sys.argv[1])
    faulthandler.enable()  # a crash (SIGABRT, SIGSEGV) leaves its Python stacks on stderr
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    role = spec["role"]
    if role == "batch":
        spec["size"] = 16
    threading.Thread(target=watchdog, args=(spec.get("deadline", 60.0),), daemon=True).start()
    try:
        ROLES[role](spec)
    except BaseException as e:
        emit_result({"ok": False, "error": f"{type(e).__name__}: {e} (phase {_phase})"})
        _done.set()
        _hard_exit(1)
    _done.set()
    for c in _children:
        try:
            c.wait(5)
        except subprocess.TimeoutExpired:
            c.kill()
    for tag in ("t", "l"):  # ipc endpoint files a library left behind
        try:
            os.unlink(ipc_path(tag))
        except OSError:
            pass


if __name__ == "__main__":
    main()
