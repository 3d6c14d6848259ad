"""Hostile and broken peers on tcp (and ipc): each one closes its own connection.

A serverlink PULL is bound on tcp with a monitor; a raw Python socket plays
the hostile peer (garbage, old or wrong greetings, bad handshakes, absurd
frame sizes, floods, silence); a serverlink PUSH and a pyzmq PUSH are good
peers on the same PULL. After each attack: serverlink closed the hostile
connection (the raw socket reads EOF or a reset), the monitor reported it,
the good peers kept working before, during and after, and nothing the
hostile peer sent became a message.

The ZMTP 3.1 bytes are built here by hand from RFC 37
(rfc.zeromq.org/spec/37), not with serverlink's own codec.
"""

from __future__ import annotations

import random
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq as pyzmq

import serverlink as zmq
from serverlink import Again, Context, Event
from serverlink.utils.monitor import recv_monitor_message

pytestmark = pytest.mark.timeout(60)

# ---- ZMTP 3.1 on the wire, by hand (RFC 37) ---------------------------------

SIGNATURE = b"\xff" + bytes(8) + b"\x7f"
MORE, LONG, COMMAND = 0x01, 0x02, 0x04


def greeting(
    major: int = 3, minor: int = 1, mechanism: bytes = b"NULL", as_server: int = 0
) -> bytes:
    """signature, version, mechanism (20 bytes, NUL-padded), as-server, filler."""
    g = SIGNATURE + bytes([major, minor]) + mechanism.ljust(20, b"\0") + bytes([as_server])
    return g + bytes(31)


def frame_header(
    size: int, *, more: bool = False, command: bool = False, long: bool = False
) -> bytes:
    """A frame's flags and size: one size octet up to 255, else eight."""
    flags = (MORE if more else 0) | (COMMAND if command else 0)
    if size > 255 or long:
        return bytes([flags | LONG]) + struct.pack(">Q", size)
    return bytes([flags, size])


def frame(body: bytes, *, more: bool = False, command: bool = False) -> bytes:
    return frame_header(len(body), more=more, command=command) + body


def command(name: bytes, body: bytes = b"", *, more: bool = False) -> bytes:
    return frame(bytes([len(name)]) + name + body, command=True, more=more)


def prop(name: bytes, value: bytes) -> bytes:
    """One metadata property: name (1-octet length) and value (4-octet length)."""
    return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value


def ready(socket_type: bytes | None = b"PUSH", extra: bytes = b"") -> bytes:
    props = prop(b"Socket-Type", socket_type) if socket_type is not None else b""
    return command(b"READY", props + extra)


def ping(ttl_ds: int = 0, context: bytes = b"") -> bytes:
    return command(b"PING", struct.pack(">H", ttl_ds) + context)


HANDSHAKE = greeting() + ready()


def read_frames(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Splits whole frames off a byte string: [(flags, body)], rest."""
    out = []
    while len(data) >= 2:
        flags = data[0]
        if flags & LONG:
            if len(data) < 9:
                break
            size, head = struct.unpack(">Q", data[1:9])[0], 9
        else:
            size, head = data[1], 2
        if len(data) < head + size:
            break
        out.append((flags, data[head : head + size]))
        data = data[head + size :]
    return out, data


# ---- the raw hostile peer -----------------------------------------------------


def connect_raw(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def connect_raw_ipc(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def send_quietly(s: socket.socket, data: bytes) -> None:
    """Sends what it can: serverlink may close the connection mid-way."""
    try:
        s.sendall(data)
    except OSError:
        pass


def assert_closed_by_peer(s: socket.socket, within: float = 5.0) -> None:
    """serverlink closes the connection: EOF or a reset, within `within` s."""
    deadline = time.monotonic() + within
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"serverlink did not close the hostile connection in {within} s")
            s.settimeout(left)
            try:
                if s.recv(65536) == b"":
                    return
            except (ConnectionResetError, BrokenPipeError):
                return
            except socket.timeout:
                continue
    finally:
        s.close()


def assert_still_open(s: socket.socket, for_s: float) -> None:
    """Nothing closed the connection for `for_s` seconds (data may arrive)."""
    deadline = time.monotonic() + for_s
    while (left := deadline - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            assert s.recv(65536) != b"", "the connection was closed"
        except socket.timeout:
            return


def recv_server_handshake(s: socket.socket) -> bytes:
    """Reads serverlink's greeting and READY; returns any bytes after them."""
    data = b""
    s.settimeout(5)
    while True:
        chunk = s.recv(65536)
        assert chunk, "serverlink closed the connection during the handshake"
        data += chunk
        if len(data) >= 64:
            frames, rest = read_frames(data[64:])
            if frames:
                assert data[0] == 0xFF and data[9] == 0x7F and data[10] == 3
                flags, body = frames[0]
                assert flags & COMMAND and body[:6] == b"\x05READY"
                return (
                    b"".join(
                        frame(b, more=bool(f & MORE), command=bool(f & COMMAND))
                        for f, b in frames[1:]
                    )
                    + rest
                )


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


# ---- the target: a PULL with a monitor and two good peers ----------------------


class Target:
    def __init__(
        self, ctx: Context, zctx: pyzmq.Context, ipc_path: str | None = None, **options: int
    ) -> None:
        self.ctx = ctx
        self.pull = ctx.socket(zmq.PULL)
        for name, value in options.items():
            self.pull.setsockopt(getattr(zmq, name), value)
        self.monitor = self.pull.get_monitor_socket()
        self.monitor.rcvtimeo = 100
        self.ipc_path = ipc_path
        self.pull.bind(f"ipc://{ipc_path}" if ipc_path else "tcp://127.0.0.1:*")
        self.endpoint = self.pull.getsockopt_string(zmq.LAST_ENDPOINT)
        self.port = 0 if ipc_path else int(self.endpoint.rsplit(":", 1)[1])
        self.sl_push = ctx.socket(zmq.PUSH)
        self.sl_push.connect(self.endpoint)
        self.zmq_push = zctx.socket(pyzmq.PUSH)
        self.zmq_push.linger = 0
        self.zmq_push.connect(self.endpoint)
        self.sent = 0
        self.events: list[Event | int] = []
        self.expect_events(Event.LISTENING, Event.HANDSHAKE_SUCCEEDED, Event.HANDSHAKE_SUCCEEDED)

    def connect_raw(self) -> socket.socket:
        """A raw connection: the hostile peer."""
        return connect_raw_ipc(self.ipc_path) if self.ipc_path else connect_raw(self.port)

    def check_good(self, tag: str) -> None:
        """One message from each good peer arrives, and nothing else."""
        self.sent += 1
        a = f"sl:{tag}:{self.sent}".encode()
        b = f"pyzmq:{tag}:{self.sent}".encode()
        self.sl_push.send(a)
        self.zmq_push.send(b)
        self.pull.rcvtimeo = 5000
        got = {self.pull.recv(), self.pull.recv()}
        assert got == {a, b}

    def assert_nothing_else(self) -> None:
        self.pull.rcvtimeo = 200
        with pytest.raises(Again):
            junk = self.pull.recv()
            pytest.fail(f"a hostile peer's bytes became a message: {junk[:60]!r}")

    def expect_events(self, *wanted: Event, within: float = 5.0) -> list[Event | int]:
        """Reads monitor events until all of `wanted` (with repeats) were seen;
        returns every event read."""
        need = list(wanted)
        seen: list[Event | int] = []
        deadline = time.monotonic() + within
        while need:
            if time.monotonic() > deadline:
                pytest.fail(f"monitor: still waiting for {need}; saw {seen}")
            try:
                ev = recv_monitor_message(self.monitor)["event"]
            except Again:
                continue
            seen.append(ev)
            if ev in need:
                need.remove(ev)
        self.events += seen
        return seen

    def events_for(self, seconds: float) -> list[Event | int]:
        """Every monitor event that comes within `seconds`."""
        seen: list[Event | int] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                seen.append(recv_monitor_message(self.monitor)["event"])
            except Again:
                continue
        self.events += seen
        return seen

    def close(self) -> None:
        self.zmq_push.close(linger=0)
        for s in (self.sl_push, self.monitor, self.pull):
            s.close(linger=0)


@pytest.fixture(scope="module")
def zctx() -> Iterator[pyzmq.Context]:
    c = pyzmq.Context()
    yield c
    c.term()


@pytest.fixture
def target(ctx: Context, zctx: pyzmq.Context) -> Iterator[Target]:
    t = Target(ctx, zctx)
    yield t
    t.close()


def attack(
    t: Target,
    payload: bytes,
    *events: Event,
    then_close: bool = False,
) -> list[Event | int]:
    """Sends payload from a raw peer; checks (a)-(d). Returns the events."""
    t.check_good("before")
    s = t.connect_raw()
    send_quietly(s, payload)
    t.check_good("during")
    if then_close:
        s.close()
    else:
        assert_closed_by_peer(s)
    seen = t.expect_events(Event.ACCEPTED, *events, Event.DISCONNECTED)
    t.check_good("after")
    t.assert_nothing_else()
    return seen


PROTOCOL_FAILURE = (Event.HANDSHAKE_FAILED_PROTOCOL,)


# ---- greetings -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("size", [11, 64, 1000, 4096])
def test_random_garbage_instead_of_a_greeting(target: Target, seed: int, size: int) -> None:
    junk = random.Random(seed).randbytes(size)
    seen = attack(target, junk, *PROTOCOL_FAILURE)
    assert Event.HANDSHAKE_SUCCEEDED not in seen


def test_five_peers_writing_random_kilobytes_make_no_messages(target: Target) -> None:
    # DESIGN.md: libzmq makes 141 junk messages of this; serverlink none.
    rng = random.Random(141)
    peers = [target.connect_raw() for _ in range(5)]
    for s in peers:
        send_quietly(s, rng.randbytes(4096))
    target.check_good("during")
    for s in peers:
        assert_closed_by_peer(s)
    target.expect_events(*[Event.HANDSHAKE_FAILED_PROTOCOL] * 5, *[Event.DISCONNECTED] * 5)
    target.check_good("after")
    target.assert_nothing_else()


@pytest.mark.parametrize(
    "bad",
    [
        b"\x00" + greeting()[1:],  # first signature byte
        greeting()[:9] + b"\x7e" + greeting()[10:],  # last signature byte, even
        greeting()[:9] + b"\x01" + greeting()[10:],  # odd but not 0x7F
        greeting()[:9] + b"\xff" + greeting()[10:],
    ],
    ids=["first-byte", "last-byte-even", "last-byte-odd", "last-byte-ff"],
)
def test_wrong_signature_byte(target: Target, bad: bytes) -> None:
    attack(target, bad + ready(), *PROTOCOL_FAILURE)


def test_zmtp_1_0_greeting(target: Target) -> None:
    # ZMTP 1.0: no signature, an identity frame (length 1: just the flags).
    attack(target, b"\x01\x00" + b"\x06\x00hello", *PROTOCOL_FAILURE)


def test_zmtp_2_0_greeting(target: Target) -> None:
    # ZMTP 2.0: signature, revision 1, socket type, then an identity frame.
    attack(target, SIGNATURE + b"\x01\x08" + b"\x00\x00" + b"\x00\x05hello", *PROTOCOL_FAILURE)


@pytest.mark.parametrize("major", [0, 1, 2])
def test_zmtp_3_greeting_with_old_major_version(target: Target, major: int) -> None:
    attack(target, greeting(major=major) + ready(), *PROTOCOL_FAILURE)


@pytest.mark.parametrize(
    "mechanism",
    [b"CURVE", b"PLAIN", b"GSSAPI", b"NUL", b"NULL\x01", b"\x01\x02\x03\xff", b"NU\0LL"],
)
def test_unknown_mechanism(target: Target, mechanism: bytes) -> None:
    attack(target, greeting(mechanism=mechanism) + ready(), *PROTOCOL_FAILURE)


def test_as_server_byte_out_of_range(target: Target) -> None:
    attack(target, greeting(as_server=7) + ready(), *PROTOCOL_FAILURE)


# ---- the handshake -------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_garbage_instead_of_ready(target: Target, seed: int) -> None:
    junk = random.Random(seed).randbytes(4096)
    attack(target, greeting() + junk, *PROTOCOL_FAILURE)


@pytest.mark.parametrize(
    "bad_ready",
    [
        ready(None),  # no Socket-Type
        command(b"READY"),  # READY with no properties at all
        ready(b"PULL"),  # PULL to PULL
        ready(b"PAIR"),
        ready(b"push"),  # names are case-sensitive
        ready(b"SPACESHIP"),
        ready(b""),
        ready(b"PUSH\0"),
        ready(None, prop(b"Identity", b"x")),
        ready(None, prop(b"X-Custom", b"PUSH")),
    ],
    ids=[
        "missing",
        "empty",
        "pull",
        "pair",
        "lowercase",
        "unknown",
        "empty-value",
        "trailing-nul",
        "identity-only",
        "custom-only",
    ],
)
def test_ready_with_missing_incompatible_or_unknown_socket_type(
    target: Target, bad_ready: bytes
) -> None:
    attack(target, greeting() + bad_ready, *PROTOCOL_FAILURE)


def test_push_to_push_is_refused(ctx: Context, zctx: pyzmq.Context) -> None:
    # The receiving end is a PUSH: a PUSH peer is incompatible.
    push = ctx.socket(zmq.PUSH)
    mon = push.get_monitor_socket()
    mon.rcvtimeo = 5000
    push.bind("tcp://127.0.0.1:*")
    port = int(push.getsockopt_string(zmq.LAST_ENDPOINT).rsplit(":", 1)[1])
    s = connect_raw(port)
    send_quietly(s, greeting() + ready(b"PUSH"))
    assert_closed_by_peer(s)
    seen = []
    while Event.DISCONNECTED not in seen:
        seen.append(recv_monitor_message(mon)["event"])
    assert Event.HANDSHAKE_FAILED_PROTOCOL in seen
    assert Event.HANDSHAKE_SUCCEEDED not in seen
    # and a serverlink PUSH connecting to it is refused the same way
    other = ctx.socket(zmq.PUSH)
    other.connect(push.getsockopt_string(zmq.LAST_ENDPOINT))
    seen = []
    while Event.DISCONNECTED not in seen:
        seen.append(recv_monitor_message(mon)["event"])
    assert Event.HANDSHAKE_FAILED_PROTOCOL in seen
    for sock in (other, mon, push):
        sock.close(linger=0)


@pytest.mark.parametrize(
    "props",
    [
        b"\x0bSocket-Type\x00\x00\x00\x05PUSH",  # value length one past the end
        b"\x0bSocket-Type\xff\xff\xff\xffPUSH",  # 4 GiB value
        b"\x0bSocket-Type\x00\x00",  # value length cut short
        b"\x0bSocket-Typ",  # name cut short
        b"\x20Socket-Type",  # name length past the end
        b"\x00\x00\x00\x00\x04PUSH",  # empty name
        prop(b"Socket-Type", b"PUSH") + b"\x01",  # a trailing byte
        prop(b"Socket-Type", b"PUSH") + prop(b"Identity", b"x" * 256),  # id too long
    ],
    ids=[
        "value-past-end",
        "value-4g",
        "value-length-short",
        "name-short",
        "name-past-end",
        "empty-name",
        "trailing-byte",
        "identity-256",
    ],
)
def test_malformed_property_list(target: Target, props: bytes) -> None:
    attack(target, greeting() + command(b"READY", props), *PROTOCOL_FAILURE)


def test_data_frames_before_ready(target: Target) -> None:
    seen = attack(target, greeting() + frame(b"sneaky") + ready(), *PROTOCOL_FAILURE)
    assert Event.HANDSHAKE_SUCCEEDED not in seen


def test_multipart_data_before_ready(target: Target) -> None:
    attack(target, greeting() + frame(b"a", more=True) + frame(b"b") + ready(), *PROTOCOL_FAILURE)


def test_ready_with_more_flag(target: Target) -> None:
    attack(
        target,
        greeting() + command(b"READY", prop(b"Socket-Type", b"PUSH"), more=True),
        *PROTOCOL_FAILURE,
    )


def test_other_command_instead_of_ready(target: Target) -> None:
    attack(target, greeting() + ping() + ready(), *PROTOCOL_FAILURE)


def test_error_command_instead_of_ready(target: Target) -> None:
    attack(target, greeting() + command(b"ERROR", b"\x05nope!"), Event.HANDSHAKE_FAILED_NO_DETAIL)


# ---- frames --------------------------------------------------------------------


@pytest.mark.parametrize("size", [2**64 - 1, 2**63], ids=["2^64-1", "2^63"])
@pytest.mark.parametrize("when", ["before-ready", "after-ready"])
def test_frame_size_beyond_int64_is_refused_at_once(target: Target, size: int, when: str) -> None:
    head = greeting() if when == "before-ready" else HANDSHAKE
    events = PROTOCOL_FAILURE if when == "before-ready" else ()
    before = rss_bytes()
    attack(target, head + frame_header(size) + b"x" * 1000, *events)
    assert rss_bytes() - before < 32 << 20


@pytest.mark.parametrize("kind", ["data", "command"])
def test_huge_frame_before_ready_is_refused_at_its_header(target: Target, kind: str) -> None:
    # Before its READY a peer is owed nothing: 10 GiB announced is refused
    # at once, not buffered while the bytes trickle in.
    hdr = frame_header(10 << 30, command=kind == "command")
    attack(target, greeting() + hdr + b"\x05READY" + b"x" * 1000, *PROTOCOL_FAILURE)


@pytest.mark.parametrize("chunk_size", [4096, 65536])
def test_ten_gib_announced_after_ready_memory_grows_only_with_bytes_sent(
    target: Target, chunk_size: int
) -> None:
    # MAXMSGSIZE unset: a 10 GiB frame is legal, so serverlink waits for it,
    # but memory follows the bytes that arrive, not the size announced.
    # A large message first: once one was freed, glibc serves big buffers
    # from the heap, where growing one copies (touches) all its capacity.
    big = b"B" * (24 << 20)
    target.sl_push.send(big)
    target.pull.rcvtimeo = 5000
    assert target.pull.recv() == big
    del big
    target.check_good("before")
    s = target.connect_raw()
    s.sendall(HANDSHAKE + frame_header(10 << 30))
    target.expect_events(Event.ACCEPTED, Event.HANDSHAKE_SUCCEEDED)
    before = rss_bytes()
    chunk = b"\xab" * chunk_size
    sent = 0
    peak = 0
    t_end = time.monotonic() + 2.0
    while time.monotonic() < t_end:  # trickle: a chunk every 20 ms
        s.sendall(chunk)
        sent += len(chunk)
        time.sleep(0.02)
        peak = max(peak, rss_bytes() - before)
    target.check_good("during")
    growth = max(peak, rss_bytes() - before)
    print(f"10 GiB announced, {sent >> 10} KiB trickled: RSS growth {growth >> 10} KiB")
    assert growth < sent + (4 << 20)
    s.close()  # the frame never completes
    target.expect_events(Event.DISCONNECTED)
    target.check_good("after")
    target.assert_nothing_else()


def test_frame_larger_than_maxmsgsize_drops_the_connection(
    ctx: Context, zctx: pyzmq.Context
) -> None:
    t = Target(ctx, zctx, MAXMSGSIZE=1000)
    try:
        # exactly MAXMSGSIZE is fine
        s = t.connect_raw()
        s.sendall(HANDSHAKE + frame(b"m" * 1000))
        t.expect_events(Event.ACCEPTED, Event.HANDSHAKE_SUCCEEDED)
        t.pull.rcvtimeo = 5000
        assert t.pull.recv() == b"m" * 1000
        # one byte more drops the connection before the body arrives
        send_quietly(s, frame_header(1001))
        assert_closed_by_peer(s)
        t.expect_events(Event.DISCONNECTED)
        t.check_good("after")
        # 10 GiB announced against a limit: dropped at the header
        attack(t, HANDSHAKE + frame_header(10 << 30) + b"x" * 100)
        # and a big frame before READY fails the handshake
        attack(t, greeting() + frame_header(5000, command=True), *PROTOCOL_FAILURE)
    finally:
        t.close()


def test_command_frame_with_more_flag(target: Target) -> None:
    attack(target, HANDSHAKE + command(b"PING", b"\x00\x00", more=True) + frame(b"x"))


def test_unknown_command_after_handshake(target: Target) -> None:
    attack(target, HANDSHAKE + command(b"LAUNCH", b"missiles"))


@pytest.mark.parametrize(
    "body",
    [b"", b"\x00", b"\x05PING", b"\x04PING\x00", b"\xffPING"],
    ids=["empty", "empty-name", "name-too-long", "ping-short-ttl", "name-length-past-end"],
)
def test_malformed_command_after_handshake(target: Target, body: bytes) -> None:
    attack(target, HANDSHAKE + frame(body, command=True))


def test_subscribe_to_a_pull_is_refused(target: Target) -> None:
    attack(target, HANDSHAKE + command(b"SUBSCRIBE", b"topic"))


def test_half_a_multipart_message_then_gone(target: Target) -> None:
    # the parts that arrived must not surface as a message
    attack(
        target, HANDSHAKE + frame(b"part1", more=True) + frame(b"part2", more=True), then_close=True
    )


def test_half_a_multipart_message_then_protocol_error(target: Target) -> None:
    attack(target, HANDSHAKE + frame(b"part1", more=True) + command(b"BOGUS"))


def test_valid_messages_from_a_raw_peer_do_arrive(target: Target) -> None:
    # the hand-built bytes are right: the same peer, well-behaved, is heard
    s = target.connect_raw()
    s.sendall(HANDSHAKE + frame(b"a", more=True) + frame(b"b") + frame(b"x" * 300))
    target.pull.rcvtimeo = 5000
    assert target.pull.recv_multipart() == [b"a", b"b"]
    assert target.pull.recv() == b"x" * 300
    target.expect_events(Event.ACCEPTED, Event.HANDSHAKE_SUCCEEDED)
    s.close()
    target.expect_events(Event.DISCONNECTED)


# ---- slow and silent peers -------------------------------------------------------


@pytest.mark.parametrize(
    "partial",
    [b"", b"\xff", greeting()[:11], greeting()[:40], greeting(), greeting() + ready()[:5]],
    ids=["nothing", "1-byte", "11-bytes", "40-bytes", "greeting", "half-ready"],
)
def test_stall_mid_handshake_is_dropped_after_handshake_ivl(
    ctx: Context, zctx: pyzmq.Context, partial: bytes
) -> None:
    t = Target(ctx, zctx, HANDSHAKE_IVL=200)
    try:
        t.check_good("before")
        s = t.connect_raw()
        send_quietly(s, partial)
        t0 = time.monotonic()
        t.check_good("during")
        assert_closed_by_peer(s)
        elapsed = time.monotonic() - t0
        assert elapsed < 3.0
        t.expect_events(Event.ACCEPTED, Event.HANDSHAKE_FAILED_NO_DETAIL, Event.DISCONNECTED)
        t.check_good("after")
        t.assert_nothing_else()
    finally:
        t.close()


def test_peer_that_never_sends_is_dropped(ctx: Context, zctx: pyzmq.Context) -> None:
    t = Target(ctx, zctx, HANDSHAKE_IVL=300)
    try:
        s = t.connect_raw()
        assert_closed_by_peer(s)
        t.expect_events(Event.ACCEPTED, Event.HANDSHAKE_FAILED_NO_DETAIL, Event.DISCONNECTED)
        t.check_good("after")
    finally:
        t.close()


def test_peer_that_never_sends_waits_with_default_handshake_ivl(target: Target) -> None:
    # the default HANDSHAKE_IVL is 30 s: within a second nothing happens
    s = target.connect_raw()
    assert_still_open(s, 0.5)
    target.check_good("during")
    s.close()
    target.expect_events(Event.ACCEPTED, Event.HANDSHAKE_FAILED_NO_DETAIL, Event.DISCONNECTED)


def test_greeting_one_byte_at_a_time_is_fine(target: Target) -> None:
    s = target.connect_raw()
    for b in HANDSHAKE + frame(b"slow but fine"):
        s.send(bytes([b]))
        time.sleep(0.001)
    target.pull.rcvtimeo = 5000
    assert target.pull.recv() == b"slow but fine"
    s.close()
    target.expect_events(Event.ACCEPTED, Event.HANDSHAKE_SUCCEEDED, Event.DISCONNECTED)


@pytest.mark.parametrize("minor", [0, 1, 2], ids=["3.0", "3.1", "3.2"])
def test_zmtp_3_minor_versions_are_accepted(target: Target, minor: int) -> None:
    s = target.connect_raw()
    s.sendall(greeting(minor=minor) + ready() + frame(f"3.{minor}".encode()))
    target.pull.rcvtimeo = 5000
    assert target.pull.recv() == f"3.{minor}".encode()
    s.close()
    target.expect_events(Event.ACCEPTED, Event.HANDSHAKE_SUCCEEDED, Event.DISCONNECTED)


# ---- many at once ------------------------------------------------------------------

HOSTILE_PAYLOADS = [
    lambda rng: rng.randbytes(rng.randrange(1, 4096)),
    lambda rng: greeting(major=2) + rng.randbytes(100),
    lambda rng: greeting(mechanism=b"CURVE") + ready(),
    lambda rng: greeting() + rng.randbytes(2000),
    lambda rng: greeting() + ready(b"PULL"),
    lambda rng: greeting() + frame(b"before ready"),
    lambda rng: HANDSHAKE + frame_header(2**64 - 1),
    lambda rng: HANDSHAKE + command(b"NOPE"),
    lambda rng: HANDSHAKE + frame(b"half", more=True),
]


def test_fifty_hostile_connections_while_a_good_peer_sends_ten_thousand(target: Target) -> None:
    n = 10_000
    errors: list[BaseException] = []

    def hostiles() -> None:
        try:
            rng = random.Random(50)
            socks = [target.connect_raw() for _ in range(50)]
            for i, s in enumerate(socks):
                send_quietly(s, HOSTILE_PAYLOADS[i % len(HOSTILE_PAYLOADS)](rng))
            for s in socks:
                s.close()
        except BaseException as e:  # reported in the main thread
            errors.append(e)

    th = threading.Thread(target=hostiles)
    th.start()
    for i in range(n):
        target.sl_push.send(b"m%d" % i)
    target.pull.rcvtimeo = 10_000
    for i in range(n):
        assert target.pull.recv() == b"m%d" % i
    th.join(30)
    assert not errors, errors
    target.expect_events(*[Event.DISCONNECTED] * 50, within=15)
    target.check_good("after")
    target.assert_nothing_else()


# ---- a hostile server ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "events"),
    [
        (random.Random(3).randbytes(4096), PROTOCOL_FAILURE),
        (SIGNATURE + b"\x01\x08\x00\x00", PROTOCOL_FAILURE),
        (greeting() + ready(b"PULL"), PROTOCOL_FAILURE),
        (greeting() + frame(b"early") + ready(), PROTOCOL_FAILURE),
        (HANDSHAKE + frame_header(2**64 - 1), (Event.HANDSHAKE_SUCCEEDED,)),
        (HANDSHAKE + frame(b"part", more=True) + command(b"NOPE"), (Event.HANDSHAKE_SUCCEEDED,)),
    ],
    ids=["garbage", "zmtp2", "pull", "data-first", "2^64-1", "half-message-then-junk"],
)
def test_connecting_pull_drops_a_hostile_server(
    ctx: Context, payload: bytes, events: tuple[Event, ...]
) -> None:
    # The same engine on the connecting side: the server is the attacker.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(5)
    pull = ctx.socket(zmq.PULL)
    mon = pull.get_monitor_socket()
    mon.rcvtimeo = 5000
    good = ctx.socket(zmq.PUSH)
    good.bind("inproc://good")
    try:
        pull.connect(f"tcp://127.0.0.1:{srv.getsockname()[1]}")
        pull.connect("inproc://good")
        conn, _ = srv.accept()
        send_quietly(conn, payload)
        assert_closed_by_peer(conn)
        seen = []
        while Event.DISCONNECTED not in seen:
            seen.append(recv_monitor_message(mon)["event"])
        for e in events:
            assert e in seen
        good.send(b"still fine")
        pull.rcvtimeo = 5000
        assert pull.recv() == b"still fine"
        pull.rcvtimeo = 200
        with pytest.raises(Again):
            pull.recv()
    finally:
        srv.close()
        for sock in (good, mon, pull):
            sock.close(linger=0)


# ---- running out of fds -------------------------------------------------------------

FD_LIMIT_CHILD = """
import resource, sys, time
import serverlink as zmq
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
pull.setsockopt(zmq.HANDSHAKE_IVL, 0)  # hostile connections are never timed out
pull.bind("tcp://127.0.0.1:*")
print(pull.getsockopt_string(zmq.LAST_ENDPOINT).rsplit(":", 1)[1], flush=True)
sys.stdin.readline()  # the parent has opened its connections
time.sleep(0.5)
c0, w0 = time.process_time(), time.monotonic()
time.sleep(1.0)
print(f"{(time.process_time() - c0) / (time.monotonic() - w0):.2f}", flush=True)
pull.rcvtimeo = 20000
print(pull.recv().decode(), flush=True)  # once fds are free again
pull.close(linger=0)
ctx.term()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX fd limits")
def test_connections_beyond_the_fd_limit_do_not_spin_the_listener(
    zctx: pyzmq.Context,
) -> None:
    # The listener cannot accept (EMFILE) while the backlog stays readable:
    # it must back off, not spin, and accept again once fds are free.
    child = subprocess.Popen(
        [sys.executable, "-c", FD_LIMIT_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdin is not None and child.stdout is not None
        port = int(child.stdout.readline())
        socks = [connect_raw(port) for _ in range(100)]
        child.stdin.write("go\n")
        child.stdin.flush()
        busy = float(child.stdout.readline())
        print(f"listener out of fds: child CPU {busy:.0%}")
        assert busy < 0.5, f"the listener spins at {busy:.0%} CPU when out of fds"
        for s in socks:
            s.close()
        push = zctx.socket(pyzmq.PUSH)
        push.linger = 0
        push.connect(f"tcp://127.0.0.1:{port}")
        push.send(b"accepted again")
        assert child.stdout.readline().strip() == "accepted again"
        push.close()
        assert child.wait(20) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


# ---- the same over ipc -----------------------------------------------------------


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no AF_UNIX")
@pytest.mark.parametrize(
    ("payload", "events"),
    [
        (random.Random(7).randbytes(4096), PROTOCOL_FAILURE),
        (SIGNATURE + b"\x01\x08\x00\x00", PROTOCOL_FAILURE),
        (greeting(mechanism=b"PLAIN") + ready(), PROTOCOL_FAILURE),
        (greeting() + ready(b"PULL"), PROTOCOL_FAILURE),
        (greeting() + frame(b"early") + ready(), PROTOCOL_FAILURE),
        (greeting() + frame_header(10 << 30), PROTOCOL_FAILURE),
        (HANDSHAKE + frame_header(2**64 - 1), ()),
        (HANDSHAKE + command(b"NOPE"), ()),
    ],
    ids=["garbage", "zmtp2", "plain", "pull", "data-first", "10gib-first", "2^64-1", "unknown-cmd"],
)
def test_hostile_peers_over_ipc(
    ctx: Context, zctx: pyzmq.Context, tmp_path: Path, payload: bytes, events: tuple[Event, ...]
) -> None:
    t = Target(ctx, zctx, ipc_path=str(tmp_path / "pull.sock"))
    try:
        attack(t, payload, *events)
    finally:
        t.close()


# ---- floods ----------------------------------------------------------------------


def flood_frames(start: int, count: int, size: int) -> bytes:
    pad = b"." * (size - 8)
    return b"".join(frame(struct.pack(">Q", i) + pad) for i in range(start, start + count))


@pytest.mark.parametrize("poller", zmq.pollers())
def test_flood_into_a_pull_nobody_reads_stays_bounded_then_arrives_in_order(
    zctx: pyzmq.Context, poller: str
) -> None:
    ctx = Context(poller=poller)
    t = Target(ctx, zctx, RCVHWM=10)
    try:
        s = t.connect_raw()
        s.sendall(HANDSHAKE)
        t.expect_events(Event.ACCEPTED, Event.HANDSHAKE_SUCCEEDED)
        total, batch, size = 400_000, 2000, 100  # 40 MB of 100-byte messages
        progress = [0]
        done = threading.Event()

        def flood() -> None:
            s.settimeout(30)
            for start in range(0, total, batch):
                s.sendall(flood_frames(start, batch, size))
                progress[0] = start + batch
            done.set()

        before = rss_bytes()
        th = threading.Thread(target=flood, daemon=True)
        th.start()
        # wait until the sender is blocked: serverlink stopped reading
        last, still_since = -1, time.monotonic()
        while time.monotonic() - still_since < 1.0:
            time.sleep(0.1)
            if progress[0] != last:
                last, still_since = progress[0], time.monotonic()
        assert not done.is_set(), "the flood was never pushed back"
        growth = rss_bytes() - before
        mib = last * size >> 20
        print(f"flood[{poller}]: pushed back after {mib} MiB; RSS growth {growth >> 10} KiB")
        assert growth < 32 << 20
        # the good peers are heard while the flooder is held back
        t.sl_push.send(b"good:sl")
        t.zmq_push.send(b"good:pyzmq")
        # now read: everything arrives, the flood in order
        t.pull.rcvtimeo = 10_000
        good = set()
        i = 0
        t0 = time.monotonic()
        while i < total or len(good) < 2:
            m = t.pull.recv()
            if m.startswith(b"good:"):
                good.add(m)
                continue
            assert struct.unpack(">Q", m[:8])[0] == i
            i += 1
        rate = total / (time.monotonic() - t0)
        print(f"flood[{poller}]: {total} messages then read in order, {rate:,.0f} msg/s")
        assert good == {b"good:sl", b"good:pyzmq"}
        th.join(10)
        assert done.is_set()
        t.check_good("after")
        s.close()
        t.expect_events(Event.DISCONNECTED)
        t.assert_nothing_else()
    finally:
        t.close()
        ctx.destroy(linger=0)


@pytest.mark.parametrize("poller", zmq.pollers())
def test_reset_while_input_is_stopped_does_not_spin_the_io_thread(
    zctx: pyzmq.Context, poller: str
) -> None:
    ctx = Context(poller=poller)
    t = Target(ctx, zctx, RCVHWM=5)
    try:
        s = t.connect_raw()
        s.sendall(HANDSHAKE)
        t.expect_events(Event.ACCEPTED, Event.HANDSHAKE_SUCCEEDED)
        s.settimeout(0.5)
        try:
            for start in range(0, 1_000_000, 1000):
                s.sendall(flood_frames(start, 1000, 100))
        except socket.timeout:
            pass  # blocked: serverlink stopped reading
        # reset (RST): the I/O thread sees an error/hang-up it cannot read
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        time.sleep(0.2)
        cpu0, wall0 = time.process_time(), time.monotonic()
        time.sleep(1.0)
        busy = (time.process_time() - cpu0) / (time.monotonic() - wall0)
        print(f"reset while stopped[{poller}]: process CPU {busy:.0%} over 1 s")
        assert busy < 0.5, f"the I/O thread spins: {busy:.0%} CPU while idle"
        # what was queued before the reset is still delivered in order
        t.pull.rcvtimeo = 1000
        i = 0
        while True:
            try:
                m = t.pull.recv()
            except Again:
                break
            assert struct.unpack(">Q", m[:8])[0] == i
            i += 1
        assert i >= 5
        t.expect_events(Event.DISCONNECTED)
        t.check_good("after")
    finally:
        t.close()
        ctx.destroy(linger=0)


def test_ping_flood_from_a_peer_that_never_reads_stays_bounded(target: Target) -> None:
    s = target.connect_raw()
    s.sendall(HANDSHAKE)
    target.expect_events(Event.ACCEPTED, Event.HANDSHAKE_SUCCEEDED)
    pings = ping(0, b"c" * 16) * 10_000  # 250 KB a batch; a PONG each
    before = rss_bytes()
    s.settimeout(10)
    for _ in range(200):  # 2 million PINGs, 50 MB; never a read
        s.sendall(pings)
    time.sleep(0.3)
    target.check_good("during")
    growth = rss_bytes() - before
    print(f"2M PINGs never read: RSS growth {growth >> 10} KiB")
    assert growth < 16 << 20
    s.close()
    target.expect_events(Event.DISCONNECTED)
    target.check_good("after")
    target.assert_nothing_else()


# ---- heartbeats ------------------------------------------------------------------


def test_silent_peer_is_dropped_by_heartbeat_timeout(ctx: Context, zctx: pyzmq.Context) -> None:
    t = Target(ctx, zctx, HEARTBEAT_IVL=100, HEARTBEAT_TIMEOUT=300)
    try:
        t.check_good("before")
        s = t.connect_raw()
        s.sendall(HANDSHAKE)  # ZMTP 3.1: serverlink PINGs it
        t.expect_events(Event.ACCEPTED, Event.HANDSHAKE_SUCCEEDED)
        t0 = time.monotonic()
        t.check_good("during")
        data = recv_server_handshake(s)
        # it gets PINGs, answers none, and is dropped
        pings = 0
        s.settimeout(5)
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            frames, data = read_frames(data)
            pings += sum(1 for f, b in frames if f & COMMAND and b[:5] == b"\x04PING")
        elapsed = time.monotonic() - t0
        s.close()
        assert pings >= 1
        assert elapsed < 3.0
        seen = t.expect_events(Event.DISCONNECTED)
        assert Event.HANDSHAKE_FAILED_NO_DETAIL not in seen
        # the good peers answer PINGs: still connected, still working
        time.sleep(0.5)
        t.check_good("after")
        assert Event.DISCONNECTED not in t.events_for(0.3)
    finally:
        t.close()


def test_heartbeats_keep_a_peer_whose_messages_the_user_is_slow_to_read(
    ctx: Context, zctx: pyzmq.Context
) -> None:
    # At RCVHWM the engine stops reading: the peer's PONGs wait unread, which
    # is no sign of a dead peer. Dropping it would lose what was in flight.
    t = Target(ctx, zctx, HEARTBEAT_IVL=100, HEARTBEAT_TIMEOUT=300, RCVHWM=10)
    try:
        n = 50_000
        for i in range(n):
            t.sl_push.send(b"%d" % i)
        time.sleep(1.5)  # five heartbeat timeouts, not reading
        t.pull.rcvtimeo = 5000
        for i in range(n):
            assert t.pull.recv() == b"%d" % i
        assert Event.DISCONNECTED not in t.events_for(0.3)
        t.check_good("after")
    finally:
        t.close()


def test_silent_zmtp_3_0_peer_is_not_pinged(ctx: Context, zctx: pyzmq.Context) -> None:
    # ZMTP 3.0 has no PING: a 3.0 peer is not dropped for not answering
    t = Target(ctx, zctx, HEARTBEAT_IVL=100, HEARTBEAT_TIMEOUT=300)
    try:
        s = t.connect_raw()
        s.sendall(greeting(minor=0) + ready())
        t.expect_events(Event.ACCEPTED, Event.HANDSHAKE_SUCCEEDED)
        assert_still_open(s, 1.0)
        s.close()
    finally:
        t.close()


@pytest.mark.parametrize(
    ("context", "echoed"),
    [
        (b"", b""),
        (b"ctx-1234", b"ctx-1234"),
        (bytes(range(16)), bytes(range(16))),
        (b"A" * 40, b"A" * 16),
    ],
    ids=["none", "short", "16", "too-long"],
)
def test_ping_gets_a_pong_with_the_same_context(
    target: Target, context: bytes, echoed: bytes
) -> None:
    s = target.connect_raw()
    s.sendall(HANDSHAKE + ping(0, context))
    data = recv_server_handshake(s)
    s.settimeout(5)
    while True:
        frames, data = read_frames(data)
        if frames:
            break
        data += s.recv(65536)
    flags, body = frames[0]
    assert flags & COMMAND
    assert body == b"\x04PONG" + echoed
    # and the connection is still good for messages
    s.sendall(frame(b"after ping"))
    target.pull.rcvtimeo = 5000
    assert target.pull.recv() == b"after ping"
    s.close()


def test_ping_ttl_drops_a_peer_that_then_goes_silent(target: Target) -> None:
    s = target.connect_raw()
    s.sendall(HANDSHAKE + ping(3))  # "drop me if I am silent 300 ms"
    target.expect_events(Event.ACCEPTED, Event.HANDSHAKE_SUCCEEDED)
    t0 = time.monotonic()
    assert_closed_by_peer(s)
    assert time.monotonic() - t0 < 3.0
    target.expect_events(Event.DISCONNECTED)
    target.check_good("after")
