#!/usr/bin/env python3
"""serverlink side by side with pyzmq and pyomq, plus raw sockets and C.

    python bench/compare.py            # full run (~6-9 min on 2 cores)
    python bench/compare.py --quick    # short run (< 90 s)
    python bench/compare.py --only "tput tcp" --reps 5
    python bench/compare.py --libs serverlink,pyzmq --no-c

Every measurement is one subprocess (bench/worker.py, or a C binary from
bench/c/) with a timeout; a crash or hang is reported as "failed" for that
cell and the run goes on. Within a cell the libraries alternate (A B C, then
B C A, then C A B, ...) for --reps repetitions; tables show medians, and
bench/results.json keeps every repetition. A cell where any repetition lost
messages, crashed or hung is shown as FAIL, never as a number.

--only takes comma-separated patterns; a cell is kept when, for some
pattern, every space-separated word of it is one of the cell's tags (kind:
tput lat batch raw c; transport: inproc tcp ipc; mode: thread proc; size:
16B 256B 4KiB 64KiB 1MiB; library). Example: --only "tput 1MiB,lat inproc".
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKER = HERE / "worker.py"
LIBS = ["serverlink", "pyzmq", "pyomq"]

SIZES = [16, 256, 4096, 65536, 1 << 20]
# throughput: messages per run (full mode), about 0.3-1 s for these libraries
TPUT_COUNT = {16: 300_000, 256: 250_000, 4096: 100_000, 65536: 8_000, 1 << 20: 500}
TPUT_MODES = [
    ("inproc", "thread"),
    ("tcp", "proc"),
    ("ipc", "proc"),
    ("tcp", "thread"),
    ("ipc", "thread"),
]
LAT_COUNT = {16: 100_000, 256: 100_000, 4096: 100_000, 65536: 20_000, 1 << 20: 2_000}
LAT_MODES = [("inproc", "thread"), ("tcp", "proc"), ("ipc", "proc"), ("tcp", "thread")]
# Latency patterns: name -> socket types (client, echo). Add "reqrep" here and
# it is measured for every library that can make a REQ socket (else "n/a").
LAT_PATTERNS = ["pair"]
RAW_SIZES = [4096, 65536, 1 << 20]
RAW_MODES = [("tcp", "proc"), ("ipc", "proc"), ("tcp", "thread"), ("ipc", "thread")]
BATCH_MODES = [("inproc", "thread"), ("tcp", "proc")]
ZC_SIZES = [65536, 1 << 20]  # send(copy=False)/recv(copy=False): the row that says otherwise
ZC_MODES = [("inproc", "thread"), ("tcp", "proc"), ("ipc", "proc")]
CALL_SIZES = [16, 4096, 65536, 1 << 20]  # per-call cost, one thread, inproc
BATCH_COUNT = 300_000
# C: serverlink core vs the libzmq inside pyzmq, same loops (bench/c/slbench.c)
C_TPUT = [
    (t, m, s)
    for t, m in [("inproc", "thread"), ("tcp", "thread"), ("tcp", "proc"), ("ipc", "proc")]
    for s in (16, 65536, 1 << 20)
]
C_TPUT_COUNT = {16: 2_000_000, 65536: 20_000, 1 << 20: 1_000}
C_LAT = [
    (t, m, s)
    for t, m in [("inproc", "thread"), ("tcp", "proc"), ("ipc", "proc")]
    for s in (16, 4096, 1 << 20)
]
C_LAT_COUNT = {16: 20_000, 4096: 15_000, 1 << 20: 300}


def size_label(n: int) -> str:
    if n >= 1 << 20:
        return f"{n >> 20}MiB"
    if n >= 1024:
        return f"{n >> 10}KiB"
    return f"{n}B"


def fmt_rate(v: float | None) -> str:
    if v is None:
        return "-"
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def fmt_us(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def fmt_ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


# -- running one measurement ---------------------------------------------------


def cpu_counters() -> tuple[float, float, float] | None:
    """(busy CPU s of the whole machine, steal s, CPU s of our reaped descendants)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        hz = os.sysconf("SC_CLK_TCK")
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy = v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq
        steal = v[7] if len(v) > 7 else 0
        return busy / hz, steal / hz, ru.ru_utime + ru.ru_stime
    except (OSError, ValueError, IndexError):
        return None


LAST_FOREIGN: list[float | None] = [None]


def run_proc(cmd: list[str], timeout: float) -> tuple[str, str, int | None, bool]:
    """Run in a new session; on timeout kill the whole process group.

    Also notes in LAST_FOREIGN how many cores *other* processes kept busy
    meanwhile (machine busy time minus our run's own CPU time, per second):
    the noise that run was measured under."""
    c0 = cpu_counters()
    w0 = time.monotonic()
    p = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        cwd="/tmp",
    )
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
    # stragglers in the group (a peer the worker could not reap)
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    c1 = cpu_counters()
    wall = time.monotonic() - w0
    LAST_FOREIGN[0] = None
    if c0 and c1 and wall > 0:
        LAST_FOREIGN[0] = round(max(0.0, (c1[0] - c0[0]) - (c1[2] - c0[2])) / wall, 2)
    return out.decode(errors="replace"), err.decode(errors="replace"), p.returncode, timed_out


def run_worker(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    t0 = time.monotonic()
    out, err, rc, timed_out = run_proc([sys.executable, str(WORKER), json.dumps(spec)], timeout)
    res: dict[str, Any] | None = None
    teardown: dict[str, Any] | None = None
    for line in out.splitlines():
        if line.startswith("RESULT "):
            res = json.loads(line[7:])
        elif line.startswith("TEARDOWN "):
            teardown = json.loads(line[9:])
    if res is None:
        tail = err.strip().splitlines()[-1:] if err.strip() else []
        why = "timeout (killed)" if timed_out else f"exit {rc}"
        res = {"ok": False, "error": f"{why}, no result" + (f": {tail[0][:300]}" if tail else "")}
    if teardown is None and res.get("ok"):
        teardown = {"ok": False, "error": "killed in teardown" if timed_out else f"exit {rc}"}
    if teardown is not None:
        res["teardown"] = teardown
    if rc not in (0, None) and res.get("ok") and rc < 0:
        res["note"] = f"worker died with signal {-rc} after reporting"
    if rc not in (0, None) and err.strip():
        # what the process said on its way down (an assertion, a faulthandler stack)
        res["stderr"] = "\n".join(err.strip().splitlines()[-12:])[-1500:]
        if teardown is not None and not teardown.get("ok"):
            teardown["stderr"] = res["stderr"]
    res["wall_s"] = round(time.monotonic() - t0, 3)
    return res


def run_c(binary: Path, args: list[str], timeout: float) -> dict[str, Any]:
    t0 = time.monotonic()
    out, err, rc, timed_out = run_proc([str(binary), *args], timeout)
    for line in out.splitlines():
        if line.startswith("{"):
            res = dict(json.loads(line))
            res["wall_s"] = round(time.monotonic() - t0, 3)
            if rc != 0 and res.get("ok"):
                res["ok"] = False
                res["error"] = f"exit {rc} after reporting" + (
                    f": {err.strip().splitlines()[-1][:300]}" if err.strip() else ""
                )
            return res
    why = "timeout (killed)" if timed_out else f"exit {rc}"
    return {"ok": False, "error": f"{why}: {err.strip()[-300:]}"}


def wake_floor(c_bins: dict[str, Path], reps: int) -> float | None:
    """Median round trip (us) of bench/c/wakefloor: the machine's wake-up floor."""
    if "wakefloor" not in c_bins:
        return None
    runs = [run_c(c_bins["wakefloor"], ["20000"], 60) for _ in range(reps)]
    meds = [r["median_us"] for r in runs if r.get("ok")]
    return statistics.median(meds) if meds else None


# -- the plan ---------------------------------------------------------------------


class Cell:
    def __init__(
        self,
        kind: str,
        transport: str,
        mode: str,
        size: int,
        pattern: str,
        libs: list[str],
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.transport = transport
        self.mode = mode
        self.size = size
        self.pattern = pattern
        self.libs = libs
        self.extra = extra or {}
        self.runs: dict[str, list[dict[str, Any]]] = {lib: [] for lib in libs}

    def tags(self) -> set[str]:
        return {
            self.kind,
            self.transport,
            self.mode,
            size_label(self.size),
            self.pattern,
            *self.libs,
        }

    def key(self) -> str:
        return f"{self.kind} {self.pattern} {self.transport}/{self.mode} {size_label(self.size)}"


def matches(cell: Cell, only: list[list[str]] | None) -> bool:
    if not only:
        return True
    tags = {t.lower() for t in cell.tags()}
    return any(all(w.lower() in tags for w in pat) for pat in only)


def build_plan(
    args: argparse.Namespace,
    libs: list[str],
    c_bins: dict[str, Path],
    probes: dict[str, dict[str, Any]],
) -> list[Cell]:
    q = args.quick
    scale = 0.2 if q else 1.0
    cells: list[Cell] = []
    sizes = SIZES
    for tr, mode in TPUT_MODES:
        for s in sizes:
            cells.append(
                Cell(
                    "tput",
                    tr,
                    mode,
                    s,
                    "push-pull",
                    libs,
                    {"count": max(50, int(TPUT_COUNT[s] * scale)), "max_s": 1.0 if q else 3.0},
                )
            )
    lat_sizes = [16, 4096, 1 << 20] if q else SIZES
    patterns = list(LAT_PATTERNS)
    for pat in patterns:
        for tr, mode in LAT_MODES if not q else LAT_MODES[:3]:
            for s in lat_sizes:
                cells.append(
                    Cell(
                        "lat",
                        tr,
                        mode,
                        s,
                        pat,
                        libs,
                        {"count": LAT_COUNT[s], "max_s": 0.15 if q else 0.5},
                    )
                )
    for s in CALL_SIZES:
        cells.append(
            Cell("call", "inproc", "1thread", s, "push-pull", libs, {"max_s": 0.3 if q else 0.6})
        )
    for tr, mode in ZC_MODES:
        for s in ZC_SIZES if not q else ZC_SIZES[-1:]:
            cells.append(
                Cell(
                    "zc",
                    tr,
                    mode,
                    s,
                    "push-pull",
                    libs,
                    {"count": max(50, int(TPUT_COUNT[s] * scale)), "max_s": 1.0 if q else 3.0},
                )
            )
    for tr, mode in BATCH_MODES:
        cells.append(
            Cell(
                "batch",
                tr,
                mode,
                16,
                "push-pull",
                libs,
                {"count": int(BATCH_COUNT * scale), "max_s": 1.0 if q else 3.0},
            )
        )
    for tr, mode in RAW_MODES:
        for s in RAW_SIZES:
            who = ["raw-py", "raw-c"] if mode == "proc" and "raw" in c_bins else ["raw-py"]
            cells.append(
                Cell(
                    "raw",
                    tr,
                    mode,
                    s,
                    "stream",
                    who,
                    {"count": max(50, int(TPUT_COUNT[s] * scale * 2)), "max_s": 1.0 if q else 3.0},
                )
            )
    cbackends = [b for b in ("serverlink", "libzmq") if b in c_bins]
    if cbackends:
        for tr, mode, s in C_TPUT:
            if q and s == 65536:
                continue
            cells.append(
                Cell(
                    "c",
                    tr,
                    mode,
                    s,
                    "push-pull",
                    [f"c-{b}" for b in cbackends],
                    {"count": max(50, int(C_TPUT_COUNT[s] * scale))},
                )
            )
        for tr, mode, s in C_LAT:
            if q and s == 4096:
                continue
            cells.append(
                Cell(
                    "c",
                    tr,
                    mode,
                    s,
                    "pair",
                    [f"c-{b}" for b in cbackends],
                    {"count": max(50, int(C_LAT_COUNT[s] * (0.3 if q else 1.0)))},
                )
            )
    only = [p.replace("/", " ").split() for p in args.only.split(",")] if args.only else None
    return [c for c in cells if matches(c, only)]


def run_cell(
    cell: Cell,
    reps: int,
    c_bins: dict[str, Path],
    probes: dict[str, dict[str, Any]],
    quick: bool = False,
) -> None:
    libs = cell.libs
    for r in range(reps):
        order = libs[r % len(libs) :] + libs[: r % len(libs)]
        for lib in order:
            if lib in probes and not probes[lib].get("ok"):
                cell.runs[lib].append({"ok": False, "na": True, "error": "library not available"})
                continue
            if cell.kind == "call":
                spec = {
                    "role": "percall",
                    "lib": lib,
                    "size": cell.size,
                    "max_s": cell.extra["max_s"],
                    "deadline": 15.0,
                }
                res = run_worker(spec, timeout=25)
            elif cell.kind in ("tput", "batch", "lat", "zc"):
                spec = {
                    "role": "tput" if cell.kind == "zc" else cell.kind,
                    "lib": lib,
                    "zerocopy": cell.kind == "zc",
                    "transport": cell.transport,
                    "mode": cell.mode,
                    "size": cell.size,
                    "pattern": cell.pattern,
                    "count": cell.extra["count"],
                    "max_s": cell.extra["max_s"],
                }
                # a healthy run takes ~max_s; a hang is reported after this
                spec["deadline"] = (8.0 if quick else 20.0) + 2 * cell.extra["max_s"]
                res = run_worker(spec, timeout=spec["deadline"] + 10)
            elif lib == "raw-py":
                spec = {
                    "role": "raw",
                    "transport": cell.transport,
                    "mode": cell.mode,
                    "size": cell.size,
                    "count": cell.extra["count"],
                    "max_s": cell.extra["max_s"],
                    "deadline": 30.0,
                }
                res = run_worker(spec, timeout=40)
            elif lib == "raw-c":
                res = run_c(
                    c_bins["raw"],
                    [
                        "tcp" if cell.transport == "tcp" else "unix",
                        str(cell.size),
                        str(cell.extra["count"]),
                    ],
                    15 if quick else 30,
                )
            else:  # c-serverlink / c-libzmq
                kind = "tput" if cell.pattern == "push-pull" else "lat"
                res = run_c(
                    c_bins[lib[2:]],
                    [kind, cell.transport, cell.mode, str(cell.size), str(cell.extra["count"])],
                    15 if quick else 40,
                )
            res["rep"] = r
            res["foreign_cores"] = LAST_FOREIGN[0]
            cell.runs[lib].append(res)


# -- summarising -----------------------------------------------------------------


METRICS = {
    "tput": ["msgs_per_s", "mb_per_s"],
    "batch": ["msgs_per_s", "mb_per_s"],
    "zc": ["msgs_per_s", "mb_per_s"],
    "call": ["send_ns", "recv_ns", "pair_ns"],
    "raw": ["msgs_per_s", "mb_per_s"],
    "lat": ["median_us", "p99_us", "rt_per_s"],
}


def summarise(cell: Cell, lib: str) -> dict[str, Any]:
    runs = cell.runs[lib]
    metrics = METRICS.get(cell.kind)
    if metrics is None:
        metrics = (
            ["msgs_per_s", "mb_per_s"]
            if cell.pattern == "push-pull"
            else ["median_us", "p99_us", "rt_per_s"]
        )
    good = [r for r in runs if r.get("ok")]
    s: dict[str, Any] = {"runs": len(runs), "ok_runs": len(good)}
    if any(r.get("na") for r in runs):
        s["status"] = "n/a"
    elif len(good) == len(runs) and runs:
        s["status"] = "ok"
    else:
        s["status"] = "failed"
        s["errors"] = sorted({str(r.get("error")) for r in runs if not r.get("ok")})
    hung = [r["teardown"] for r in runs if r.get("teardown") and not r["teardown"].get("ok")]
    if hung:
        s["teardown_problems"] = sorted(
            {
                str(h.get("error")) + (f" [{h['stderr'][-300:]}]" if h.get("stderr") else "")
                for h in hung
            }
        )
    if good:
        s["median"] = {m: statistics.median(r[m] for r in good) for m in metrics if m in good[0]}
        if "median_us" in good[0]:
            # the least disturbed repetition: on a shared machine latency is
            # bimodal (a free core, or a wake-up through the scheduler)
            s["best"] = {"median_us": min(r["median_us"] for r in good)}
        apis = {str(r["api"]) for r in good if r.get("api")}
        if apis:
            s["api"] = ", ".join(sorted(apis))
    return s


def value(cell: Cell, lib: str, metric: str, which: str = "median") -> float | None:
    s = summarise(cell, lib) if lib in cell.runs else None
    if not s or s["status"] != "ok":
        return None
    v = s.get(which, {}).get(metric)
    return None if v is None else float(v)


def show(cell: Cell, lib: str, metric: str, fmt: Any) -> str:
    if lib not in cell.runs:
        return "-"
    s = summarise(cell, lib)
    if s["status"] == "n/a":
        return "n/a"
    if s["status"] == "failed":
        return f"FAIL {s['runs'] - s['ok_runs']}/{s['runs']}"
    return str(fmt(s["median"].get(metric)))


def tables(cells: list[Cell], libs: list[str], reps: int) -> str:
    out: list[str] = []
    sl = "serverlink"
    find = {(c.kind, c.transport, c.mode, c.size, c.pattern): c for c in cells}

    def ratios(c: Cell, metric: str, which: str = "median") -> list[str]:
        """serverlink's value over each other library's, one column each."""
        if sl not in libs:
            return []
        mine = value(c, sl, metric, which)
        return [fmt_ratio(mine, value(c, lib, metric, which)) for lib in libs if lib != sl]

    def line(cols: list[str], widths: list[int]) -> str:
        return "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cols, widths))
        )

    tput = [c for c in cells if c.kind == "tput"]
    if tput:
        out.append(
            f"THROUGHPUT  PUSH->PULL, messages/s (MB/s), median of {reps}; measured at the "
            "receiver, first to last message; ratio >1 = serverlink faster"
        )
        hdr = ["transport/mode", "size", *[f"{lib}" for lib in libs]]
        if sl in libs:
            hdr += [f"sl/{lib}" for lib in libs if lib != sl]
        w = [15, 6, *[18] * len(libs), *[9] * (len(hdr) - 2 - len(libs))]
        out.append(line(hdr, w))
        for c in tput:
            cols = [f"{c.transport}/{c.mode}", size_label(c.size)]
            for lib in libs:
                v = show(c, lib, "msgs_per_s", fmt_rate)
                mb = value(c, lib, "mb_per_s")
                cols.append(
                    v
                    + (
                        f" ({mb:.0f})"
                        if mb is not None and mb >= 1
                        else f" ({mb:.1f})"
                        if mb is not None
                        else ""
                    )
                )
            cols += ratios(c, "msgs_per_s")
            out.append(line(cols, w))
        out.append("")

    lat = [c for c in cells if c.kind == "lat"]
    if lat:
        out.append(
            f"LATENCY  round trip in us: median / p99 (median of {reps} runs) [best run's "
            "median]; ratios of medians, and of best runs; <1 = serverlink faster"
        )
        hdr = ["pattern", "transport/mode", "size", *libs]
        if sl in libs:
            hdr += [f"sl/{lib}" for lib in libs if lib != sl]
            hdr += [f"best sl/{lib}" for lib in libs if lib != sl]
        w = [7, 15, 6, *[24] * len(libs), *[max(9, len(h)) for h in hdr[3 + len(libs) :]]]
        out.append(line(hdr, w))
        for c in lat:
            cols = [c.pattern, f"{c.transport}/{c.mode}", size_label(c.size)]
            for lib in libs:
                med = show(c, lib, "median_us", fmt_us)
                p99 = value(c, lib, "p99_us")
                best = value(c, lib, "median_us", "best")
                cols.append(
                    med
                    + (f" / {fmt_us(p99)}" if p99 is not None else "")
                    + (f" [{fmt_us(best)}]" if best is not None else "")
                )
            cols += ratios(c, "median_us") + ratios(c, "median_us", "best")
            out.append(line(cols, w))
        out.append("")

    call = [c for c in cells if c.kind == "call"]
    if call:
        out.append(
            f"PER-CALL COST  ns per send() / per recv(), one thread, inproc, no waiting "
            f"(K sends then K receives); median of {reps}; ratio of send+recv "
            "<1 = serverlink cheaper"
        )
        hdr = ["size", *libs]
        if sl in libs:
            hdr += [f"sl/{lib}" for lib in libs if lib != sl]
        w = [6, *[20] * len(libs), *[9] * (len(hdr) - 1 - len(libs))]
        out.append(line(hdr, w))
        for c in call:
            cols = [size_label(c.size)]
            for lib in libs:
                snd = value(c, lib, "send_ns")
                rcv = value(c, lib, "recv_ns")
                cols.append(
                    f"{snd:.0f} / {rcv:.0f}"
                    if snd is not None and rcv is not None
                    else show(c, lib, "send_ns", str)
                )
            cols += ratios(c, "pair_ns")
            out.append(line(cols, w))
        out.append("")

    zc = [c for c in cells if c.kind == "zc"]
    if zc:
        out.append(
            f"ZERO-COPY  as THROUGHPUT but send(copy=False) / recv(copy=False) (a Frame; its "
            f"len() is checked); messages/s (MB/s), median of {reps}"
        )
        hdr = ["transport/mode", "size", *libs]
        if sl in libs:
            hdr += [f"sl/{lib}" for lib in libs if lib != sl]
        w = [15, 6, *[18] * len(libs), *[9] * (len(hdr) - 2 - len(libs))]
        out.append(line(hdr, w))
        for c in zc:
            cols = [f"{c.transport}/{c.mode}", size_label(c.size)]
            for lib in libs:
                v = show(c, lib, "msgs_per_s", fmt_rate)
                mb = value(c, lib, "mb_per_s")
                cols.append(v + (f" ({mb:.0f})" if mb is not None else ""))
            cols += ratios(c, "msgs_per_s")
            out.append(line(cols, w))
        out.append("")

    batch = [c for c in cells if c.kind == "batch"]
    if batch:
        out.append(
            f"BATCH  16 B messages/s through the batch API if the library has one "
            f"(send_many/recv_many), else a send/recv loop; median of {reps}"
        )
        hdr = ["transport/mode", *libs]
        if sl in libs:
            hdr += [f"sl/{lib}" for lib in libs if lib != sl]
        w = [15, *[30] * len(libs), *[9] * (len(hdr) - 1 - len(libs))]
        out.append(line(hdr, w))
        for c in batch:
            cols = [f"{c.transport}/{c.mode}"]
            for lib in libs:
                s = summarise(c, lib)
                cols.append(
                    show(c, lib, "msgs_per_s", fmt_rate)
                    + (f" [{s['api']}]" if s.get("api") else "")
                )
            cols += ratios(c, "msgs_per_s")
            out.append(line(cols, w))
        out.append("")

    raw = [c for c in cells if c.kind == "raw"]
    if raw:
        out.append(
            "FRACTION OF RAW  MB/s of each library / MB/s of a plain socket moving the same "
            "bytes (tcp loopback; ipc = unix stream socket)"
        )
        hdr = [
            "transport/mode",
            "size",
            "raw-py MB/s",
            "raw-C MB/s",
            *[f"{lib}/raw-py" for lib in libs],
            *[f"{lib}/raw-C" for lib in libs],
        ]
        w = [15, 6, 11, 10, *[max(9, len(h)) for h in hdr[4:]]]
        out.append(line(hdr, w))
        seen = set()
        for c in raw:
            k = (c.transport, c.mode, c.size)
            if k in seen:
                continue
            seen.add(k)
            vpy = value(c, "raw-py", "mb_per_s") if "raw-py" in c.runs else None
            # raw-C runs in proc mode only; thread rows are compared to it too
            rc = [
                x
                for x in raw
                if x.transport == c.transport and x.size == c.size and "raw-c" in x.runs
            ]
            vc = value(rc[0], "raw-c", "mb_per_s") if rc else None
            tp = find.get(("tput", c.transport, c.mode, c.size, "push-pull"))
            cols = [
                f"{c.transport}/{c.mode}",
                size_label(c.size),
                f"{vpy:.0f}" if vpy else "-",
                f"{vc:.0f}" if vc else "-",
            ]
            for ref in (vpy, vc):
                for lib in libs:
                    cols.append(fmt_ratio(value(tp, lib, "mb_per_s") if tp else None, ref))
            out.append(line(cols, w))
        out.append("")

    cc = [c for c in cells if c.kind == "c"]
    if cc:
        out.append(
            "C CORE  (no Python: the ceiling the bindings sit on) -- bench/c/slbench.c, "
            "serverlink core vs the libzmq inside pyzmq, same loops; "
            "py/C = the Python binding's share of its own C core"
        )
        hdr = [
            "what",
            "transport/mode",
            "size",
            "serverlink C",
            "libzmq C",
            "slC/zmqC",
            "sl-py/slC",
            "pyzmq/zmqC",
        ]
        w = [10, 15, 6, 18, 18, 9, 9, 10]
        out.append(line(hdr, w))
        for c in cc:
            is_t = c.pattern == "push-pull"
            metric = "msgs_per_s" if is_t else "median_us"
            f = fmt_rate if is_t else fmt_us
            cols = [
                ("tput msg/s" if is_t else "lat med us"),
                f"{c.transport}/{c.mode}",
                size_label(c.size),
            ]
            for b in ("c-serverlink", "c-libzmq"):
                v = show(c, b, metric, f)
                if is_t:
                    mb = value(c, b, "mb_per_s")
                    v += f" ({mb:.0f})" if mb is not None else ""
                else:
                    p = value(c, b, "p99_us")
                    v += f" / {fmt_us(p)}" if p is not None else ""
                cols.append(v)
            cols.append(fmt_ratio(value(c, "c-serverlink", metric), value(c, "c-libzmq", metric)))
            kind = "tput" if is_t else "lat"
            py = find.get((kind, c.transport, c.mode, c.size, "push-pull" if is_t else "pair"))
            cols.append(
                fmt_ratio(
                    value(py, "serverlink", metric) if py and "serverlink" in py.runs else None,
                    value(c, "c-serverlink", metric),
                )
            )
            cols.append(
                fmt_ratio(
                    value(py, "pyzmq", metric) if py and "pyzmq" in py.runs else None,
                    value(c, "c-libzmq", metric),
                )
            )
            out.append(line(cols, w))
        out.append("")

    notes = []
    for c in cells:
        for lib in c.runs:
            s = summarise(c, lib)
            if s["status"] == "failed":
                notes.append(f"FAILED {lib} {c.key()}: {'; '.join(s['errors'])[:400]}")
            if s.get("teardown_problems"):
                notes.append(f"TEARDOWN {lib} {c.key()}: {'; '.join(s['teardown_problems'])}")
    # noise: how busy the rest of the machine was, and cells whose reps disagree
    foreign: list[float] = [
        float(r["foreign_cores"])
        for c in cells
        for runs in c.runs.values()
        for r in runs
        if r.get("foreign_cores") is not None
    ]
    if foreign:
        busy = len([f for f in foreign if f > 0.25])
        out.append(
            f"NOISE  other processes kept a median of {statistics.median(foreign):.2f} "
            f"cores busy during the runs (max {max(foreign):.2f}); {busy} of "
            f"{len(foreign)} runs had > 0.25 core of foreign load"
        )
    wide = []
    for c in cells:
        for lib in c.runs:
            s = summarise(c, lib)
            m = METRICS.get(c.kind, ["msgs_per_s"])[0]
            if c.kind == "c":
                m = "msgs_per_s" if c.pattern == "push-pull" else "median_us"
            vals = [r[m] for r in c.runs[lib] if r.get("ok") and r.get(m)]
            if s["status"] == "ok" and len(vals) > 1 and max(vals) > 2 * min(vals):
                wide.append(f"{lib} {c.key()}")
    if wide:
        out.append(
            f"       repetitions differ by more than 2x in {len(wide)} cells: "
            + ", ".join(wide[:12])
            + (" ..." if len(wide) > 12 else "")
        )
    if foreign or wide:
        out.append("")
    if notes:
        out.append("PROBLEMS")
        out.extend(notes)
        out.append("")
    return "\n".join(out)


# -- machine, chart, json ------------------------------------------------------------


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "csrc", "src"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") or None
    except (OSError, subprocess.SubprocessError):
        return None


def machine(probes: dict[str, dict[str, Any]], load0: tuple[float, ...]) -> dict[str, Any]:
    cpu = "?"
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_start": load0,
        "repo_commit": git_commit(),  # of this checkout (csrc/src dirty or not)
        "libs": {
            k: {x: v.get(x) for x in ("version", "zmq_version", "file", "types", "batch", "error")}
            for k, v in probes.items()
        },
    }


def chart(cells: list[Cell], libs: list[str], path: Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib not installed: no chart (pip install matplotlib, or the 'bench' extra)"
    tmodes = [
        m for m in TPUT_MODES if any(c.kind == "tput" and (c.transport, c.mode) == m for c in cells)
    ]
    lmodes = [
        m for m in LAT_MODES if any(c.kind == "lat" and (c.transport, c.mode) == m for c in cells)
    ]
    ncol = max(len(tmodes), len(lmodes), 1)
    nrow = (1 if tmodes else 0) + (1 if lmodes else 0)
    if nrow == 0:
        return "nothing to chart"
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.6 * nrow), squeeze=False)
    colors = {"serverlink": "#1f77b4", "pyzmq": "#ff7f0e", "pyomq": "#2ca02c"}
    rows = []
    if tmodes:
        rows.append(("tput", tmodes, "msgs_per_s", "messages/s (log)"))
    if lmodes:
        rows.append(("lat", lmodes, "median_us", "median round trip, us (log)"))
    for ri, (kind, modes, metric, ylabel) in enumerate(rows):
        for ci in range(ncol):
            ax = axes[ri][ci]
            if ci >= len(modes):
                ax.axis("off")
                continue
            tr, mode = modes[ci]
            cs = [
                c
                for c in cells
                if c.kind == kind
                and (c.transport, c.mode) == (tr, mode)
                and (kind != "lat" or c.pattern == "pair")
            ]
            width = 0.8 / max(1, len(libs))
            for li, lib in enumerate(libs):
                xs, ys = [], []
                for xi, c in enumerate(cs):
                    v = value(c, lib, metric)
                    if v is None:
                        ax.text(
                            xi + (li - (len(libs) - 1) / 2) * width,
                            1,
                            "x",
                            ha="center",
                            color=colors.get(lib, "k"),
                            transform=ax.get_xaxis_transform(),
                            va="top",
                        )
                        continue
                    xs.append(xi + (li - (len(libs) - 1) / 2) * width)
                    ys.append(v)
                ax.bar(xs, ys, width, label=lib, color=colors.get(lib))
            ax.set_yscale("log")
            ax.set_xticks(range(len(cs)))
            ax.set_xticklabels([size_label(c.size) for c in cs])
            ax.set_title(
                f"{'throughput' if kind == 'tput' else 'latency (PAIR)'} {tr}/{mode}", fontsize=10
            )
            if ci == 0:
                ax.set_ylabel(ylabel)
            ax.grid(axis="y", alpha=0.3)
    call = [c for c in cells if c.kind == "call"]
    if call and lmodes and len(lmodes) < ncol:
        ax = axes[-1][len(lmodes)]
        ax.axis("on")
        width = 0.8 / max(1, len(libs))
        for li, lib in enumerate(libs):
            xs, ys, ys2 = [], [], []
            for xi, c in enumerate(call):
                snd, rcv = value(c, lib, "send_ns"), value(c, lib, "recv_ns")
                if snd is None or rcv is None:
                    continue
                xs.append(xi + (li - (len(libs) - 1) / 2) * width)
                ys.append(snd)
                ys2.append(rcv)
            ax.bar(xs, ys, width, color=colors.get(lib), label=lib)
            ax.bar(xs, ys2, width, bottom=ys, color=colors.get(lib), alpha=0.5)
        ax.set_yscale("log")
        ax.set_xticks(range(len(call)))
        ax.set_xticklabels([size_label(c.size) for c in call])
        ax.set_title("per-call ns: send (solid) + recv (light), 1 thread", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("serverlink vs pyzmq vs pyomq (medians; x = failed / n/a)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=70)
    plt.close(fig)
    return f"chart: {os.path.relpath(path)}"


def output_stem(only: str, quick: bool) -> str:
    """Where a run writes by default: only a full run writes the tracked bench/results.*."""
    if only:
        return "results-only"
    return "results-quick" if quick else "results"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short run (< 90 s)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per cell (3; quick: 1)")
    ap.add_argument("--only", default="", help='filter cells, e.g. "tput tcp,lat 16B"')
    ap.add_argument("--libs", default=",".join(LIBS), help="comma-separated subset of libraries")
    ap.add_argument("--no-c", action="store_true", help="skip the C benchmarks")
    ap.add_argument(
        "--json",
        default=None,
        help="default bench/results.json (bench/results-only.json with --only, "
        "bench/results-quick.json with --quick, so a partial or short run keeps the full one)",
    )
    ap.add_argument("--png", default=None, help="default bench/results.png (or -only, -quick)")
    ap.add_argument("--txt", default=None, help="default bench/results.txt (or -only, -quick)")
    args = ap.parse_args()
    stem = output_stem(args.only, args.quick)
    args.json = args.json or str(HERE / f"{stem}.json")
    args.png = args.png or str(HERE / f"{stem}.png")
    args.txt = args.txt or str(HERE / f"{stem}.txt")
    reps = args.reps or (1 if args.quick else 3)
    t_start = time.monotonic()
    load0 = os.getloadavg()
    libs = [x for x in args.libs.split(",") if x]

    probes: dict[str, dict[str, Any]] = {}
    for lib in libs:
        r = run_worker({"role": "probe", "lib": lib, "deadline": 20}, 30)
        probes[lib] = r
        if r.get("ok"):
            print(
                f"{lib}: {r.get('module')} {r.get('version')}"
                + (f" (libzmq {r['zmq_version']})" if r.get("zmq_version") else "")
                + f"; batch API: {'yes' if r.get('batch') else 'no'}; REQ: "
                + ("yes" if r["types"].get("REQ") is True else "no"),
                flush=True,
            )
        else:
            print(f"{lib}: NOT AVAILABLE ({r.get('error')})", flush=True)

    c_bins: dict[str, Path] = {}
    if not args.no_c:
        try:
            sys.path.insert(0, str(HERE / "c"))
            import build as cbuild  # bench/c/build.py

            c_bins = cbuild.build()  # type: ignore[attr-defined,unused-ignore]
            print("C benchmarks: " + ", ".join(sorted(c_bins)), flush=True)
        except Exception as e:  # no compiler, or a build error
            print(f"C benchmarks skipped: {e}", flush=True)

    cells = build_plan(args, libs, c_bins, probes)
    print(f"{len(cells)} cells x {reps} reps ({'quick' if args.quick else 'full'})", flush=True)
    for i, c in enumerate(cells):
        t0 = time.monotonic()
        run_cell(c, reps, c_bins, probes, args.quick)
        bits = []
        for lib in c.runs:
            s = summarise(c, lib)
            if s["status"] != "ok":
                bits.append(f"{lib}={s['status']}")
            else:
                m = s["median"]
                if "msgs_per_s" in m:
                    bits.append(f"{lib}={fmt_rate(m['msgs_per_s'])}")
                elif "median_us" in m:
                    bits.append(f"{lib}={fmt_us(m['median_us'])}us")
                else:
                    bits.append(f"{lib}={m['send_ns']:.0f}/{m['recv_ns']:.0f}ns")
        print(
            f"[{i + 1:3}/{len(cells)}] {c.key():34} {' '.join(bits)}  "
            f"({time.monotonic() - t0:.1f}s)",
            file=sys.stderr,
            flush=True,
        )

    text = tables(cells, libs, reps)
    floor = wake_floor(c_bins, reps) if any(c.kind == "lat" for c in cells) else None
    if floor is not None:
        text += (
            f"\n\nWAKE-UP FLOOR  two C threads ping-ponging a token through eventfds, each "
            f"blocking in poll() (bench/c/wakefloor.c), no library: median {floor:.1f} us "
            f"(median of {reps}); no round trip that wakes a sleeping thread per hop beats it"
        )
    print()
    print(text)
    elapsed = time.monotonic() - t_start
    meta = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "quick": args.quick,
        "reps": reps,
        "elapsed_s": round(elapsed, 1),
        "machine": machine(probes, load0),
        "wake_floor_us": floor,
        "loadavg_end": os.getloadavg(),
    }
    rows = []
    for c in cells:
        for lib, runs in c.runs.items():
            rows.append(
                {
                    "kind": c.kind,
                    "library": lib,
                    "transport": c.transport,
                    "mode": c.mode,
                    "pattern": c.pattern,
                    "size": c.size,
                    "params": c.extra,
                    **summarise(c, lib),
                    "repetitions": runs,
                }
            )
    Path(args.json).write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    Path(args.txt).write_text(
        f"# {meta['date']}  {meta['command']}  ({elapsed:.0f} s)\n"
        f"# {meta['machine']['nproc']} x {meta['machine']['cpu']}, Python "
        f"{meta['machine']['python']}, loadavg {meta['machine']['loadavg_start']}\n\n" + text
    )
    print(f"results: {os.path.relpath(args.json)}, {os.path.relpath(args.txt)}")
    print(chart(cells, libs, Path(args.png)))
    print(f"elapsed: {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
