"""pyzmq's convenience surface: json/pyobj/serialized helpers, random ports,
Context.instance(), versions and capabilities, typed option properties."""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import textwrap

import pytest

import serverlink as zmq
from serverlink import Context, ZMQBindError, ZMQError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def pair(ctx: Context) -> tuple[zmq.Socket, zmq.Socket]:
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://helpers")
    b.connect("inproc://helpers")
    a.rcvtimeo = b.rcvtimeo = 5000
    return a, b


def test_json_roundtrip_with_kwargs(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    a.send_json({"b": [1, 2.5, None], "a": "héllo"}, sort_keys=True)
    assert b.recv() == b'{"a": "h\\u00e9llo", "b": [1, 2.5, null]}'  # json.dumps's defaults
    a.send_json("héllo", ensure_ascii=False)
    assert b.recv() == '"héllo"'.encode()
    a.send_json({"x": 1})
    assert b.recv_json(object_hook=lambda d: sorted(d.items())) == [("x", 1)]


def test_pyobj_roundtrip_and_protocol(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    obj = {"set": {1, 2}, "tuple": (1, "two"), "bytes": b"\x00"}
    a.send_pyobj(obj)
    assert b.recv_pyobj() == obj
    a.send_pyobj([1], protocol=2)
    raw = b.recv()
    assert raw[:2] == b"\x80\x02" and pickle.loads(raw) == [1]
    assert zmq.DEFAULT_PROTOCOL == pickle.DEFAULT_PROTOCOL


def test_serialized_roundtrip_as_bytes_and_frames(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair

    def serialize(msg: dict[str, str]) -> list[bytes]:
        return [k.encode() + b"=" + v.encode() for k, v in msg.items()]

    def deserialize(parts: list[bytes]) -> dict[str, str]:
        return dict(p.decode().split("=", 1) for p in parts)

    a.send_serialized({"a": "1", "b": "2"}, serialize)
    assert b.recv_serialized(deserialize) == {"a": "1", "b": "2"}
    a.send_serialized({"c": "3"}, serialize)
    frames = b.recv_serialized(lambda fs: fs, copy=False)
    assert [f.bytes for f in frames] == [b"c=3"]


def test_unicode_aliases(pair: tuple[zmq.Socket, zmq.Socket]) -> None:
    a, b = pair
    a.send_unicode("ünï")
    assert b.recv_unicode() == "ünï"


def test_bind_to_random_port_lets_the_system_choose(ctx: Context) -> None:
    s = ctx.socket(zmq.PULL)
    port = s.bind_to_random_port("tcp://127.0.0.1")
    assert s.last_endpoint == f"tcp://127.0.0.1:{port}".encode()
    c = ctx.socket(zmq.PUSH)
    c.connect(f"tcp://127.0.0.1:{port}")
    c.send(b"found it")
    s.rcvtimeo = 5000
    assert s.recv() == b"found it"


def test_bind_to_random_port_in_a_range(ctx: Context) -> None:
    s = ctx.socket(zmq.PULL)
    port = s.bind_to_random_port("tcp://127.0.0.1", min_port=20000, max_port=60000)
    assert 20000 <= port < 60000
    assert s.last_endpoint.endswith(b":%d" % port)


def test_bind_to_random_port_gives_up_after_max_tries(ctx: Context) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        s = ctx.socket(zmq.PULL)
        with pytest.raises(ZMQBindError, match="random port"):
            s.bind_to_random_port("tcp://127.0.0.1", port, port + 1, max_tries=3)


def test_bind_to_random_port_raises_other_errors(ctx: Context) -> None:
    s = ctx.socket(zmq.PULL)
    with pytest.raises(ZMQError):
        s.bind_to_random_port("tcp://no.such.host.invalid", 40000, 40010, max_tries=2)
    with pytest.raises(ValueError, match="min_port"):
        s.bind_to_random_port("tcp://127.0.0.1", 5000, 5000)


def test_context_instance_is_shared_until_terminated() -> None:
    a = Context.instance()
    try:
        assert Context.instance() is a
        s = a.socket(zmq.PAIR)
        s.close()
    finally:
        a.term()
    b = Context.instance()
    try:
        assert b is not a and not b.closed
    finally:
        b.term()


def test_each_context_class_has_its_own_instance() -> None:
    class MyContext(Context):
        pass

    base = Context.instance()
    mine = MyContext.instance()
    try:
        assert type(mine) is MyContext and mine is not base
        assert MyContext.instance() is mine and Context.instance() is base
    finally:
        mine.term()
        base.term()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_its_own_instance_and_exits_without_waiting() -> None:
    # The child inherits the parent's context but not its threads: its own
    # Context.instance() is new, and at exit (atexit, __del__) it must not
    # wait on the parent's reaper. The parent's context keeps working.
    script = textwrap.dedent(
        """
        import os, sys, time
        import serverlink as zmq
        parent = zmq.Context.instance()
        a, b = parent.socket(zmq.PAIR), parent.socket(zmq.PAIR)
        a.bind("inproc://fork")
        b.connect("inproc://fork")
        pid = os.fork()
        if pid == 0:
            child = zmq.Context.instance()
            assert child is not parent
            s = child.socket(zmq.PUSH)
            s.bind("inproc://child")
            sys.exit(0)  # a normal exit: atexit and __del__ run
        t0 = time.monotonic()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert time.monotonic() - t0 < 10
        a.send(b"still working")
        assert b.recv() == b"still working"
        parent.destroy()
        """
    )
    r = subprocess.run([sys.executable, "-c", script], timeout=50, capture_output=True)
    assert r.returncode == 0, r.stderr.decode()


def test_versions_say_what_is_emulated() -> None:
    assert zmq.zmq_version() == "4.3.5"
    assert zmq.zmq_version_info() == (4, 3, 5)
    major, minor, patch = zmq.pyzmq_version_info()
    assert zmq.pyzmq_version() == f"{major}.{minor}.{patch}" and major >= 25
    assert zmq.__version__ == "0.1.0"


def test_has_reports_capabilities_by_libzmq_names() -> None:
    if os.name == "posix":
        assert zmq.has("ipc") is True
    for cap in ("curve", "gssapi", "pgm", "tipc", "norm", "vmci", "ws", "wss", "draft"):
        assert zmq.has(cap) is False
    assert zmq.has("no-such-thing") is False
    with pytest.raises(TypeError):
        zmq.has(1)  # type: ignore[arg-type]


def test_typed_option_properties_read_and_write(ctx: Context) -> None:
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.rcvtimeo = 250
    s.sndtimeo = 125
    s.sndhwm = 10
    s.rcvhwm = 20
    assert (s.linger, s.rcvtimeo, s.sndtimeo, s.sndhwm, s.rcvhwm) == (0, 250, 125, 10, 20)
    assert s.getsockopt(zmq.RCVTIMEO) == 250
    s.hwm = 7
    assert (s.hwm, s.sndhwm, s.rcvhwm) == (7, 7, 7)
    s.routing_id = b"me"
    assert s.identity == b"me" and s.getsockopt(zmq.ROUTING_ID) == b"me"
    s.identity = b"you"
    assert s.routing_id == b"you"
    assert isinstance(s.fd, int) and s.fd >= 0
    assert s.events == 0  # a DEALER with no peer: neither in nor out
    assert s.last_endpoint == b""
    s.bind("tcp://127.0.0.1:*")
    assert s.last_endpoint.startswith(b"tcp://127.0.0.1:")
    with pytest.raises(AttributeError):
        s.last_endpoint = b"x"  # type: ignore[misc]


def test_helpers_interoperate_with_pyzmq(ctx: Context, pctx: object) -> None:
    import zmq as pyzmq

    assert isinstance(pctx, pyzmq.Context)
    ours = ctx.socket(zmq.PAIR)
    theirs = pctx.socket(pyzmq.PAIR)
    ours.rcvtimeo = theirs.rcvtimeo = 5000
    ours.linger = theirs.linger = 0
    port = ours.bind_to_random_port("tcp://127.0.0.1")
    theirs.connect(f"tcp://127.0.0.1:{port}")
    theirs.send_json({"from": "pyzmq"})
    assert ours.recv_json() == {"from": "pyzmq"}
    ours.send_json({"from": "serverlink"})
    assert theirs.recv_json() == {"from": "serverlink"}
    theirs.send_pyobj(("a", 1))
    assert ours.recv_pyobj() == ("a", 1)
    ours.send_pyobj({"b": 2})
    assert theirs.recv_pyobj() == {"b": 2}
    theirs.send_serialized([1, 2], lambda m: [bytes([x]) for x in m])
    assert ours.recv_serialized(lambda parts: [p[0] for p in parts]) == [1, 2]
