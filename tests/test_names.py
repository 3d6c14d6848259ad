"""pyzmq's names: every constant and enum of ``zmq.constants`` with libzmq 4.3.5's value,
the aliases, ``__all__``, and the few module-level names beside them."""

from __future__ import annotations

import enum
import subprocess
import sys
import threading
import warnings

import pytest

import serverlink
import serverlink.constants as slc
from serverlink import Context

zmq = pytest.importorskip("zmq")
import zmq.constants as zc  # noqa: E402

#: pyzmq's re-exports of the enum module, not constants.
_NOT_CONSTANTS = {"Enum", "IntEnum", "IntFlag"}

#: Names of ``dir(zmq)`` that serverlink leaves out on purpose, and why.
LEFT_OUT = {
    # security (another part of issue 13): has("curve") is False meanwhile
    "curve_keypair": "CURVE is not implemented yet",
    "curve_public": "CURVE is not implemented yet",
    # building C extensions against libzmq's headers and library
    "get_includes": "serverlink ships no libzmq headers",
    "get_library_dirs": "serverlink ships no libzmq library",
    "_libs_on_path": "pyzmq's bundled-libzmq loader",
    # pyzmq's package layout and its accidental re-exports
    "backend": "pyzmq's backend package (serverlink.backend is a backend *for* pyzmq)",
    "sugar": "pyzmq's package layout",
    "_typing": "pyzmq's package layout",
    "_FINISHED_TRACKER": "pyzmq internal",
    "Enum": "the enum module's class, re-exported by accident",
    "IntFlag": "the enum module's class, re-exported by accident",
    "IntEnum": "the enum module's class, re-exported by accident",
    "contextmanager": "contextlib's, re-exported by accident",
    "os": "a module, re-exported by accident",
    "sys": "a module, re-exported by accident",
}

PYZMQ_CONSTANTS = [n for n in zc.__all__ if n not in _NOT_CONSTANTS]


def test_every_pyzmq_constant_has_pyzmq_value() -> None:
    missing = [n for n in PYZMQ_CONSTANTS if not hasattr(serverlink, n)]
    assert missing == []
    for name in PYZMQ_CONSTANTS:
        ours, theirs = getattr(serverlink, name), getattr(zc, name)
        if isinstance(theirs, type):
            continue
        assert int(ours) == int(theirs), name
        assert type(ours).__name__ == type(theirs).__name__, name


@pytest.mark.parametrize(
    "name", sorted(n for n in PYZMQ_CONSTANTS if isinstance(getattr(zc, n), type))
)
def test_every_enum_matches_pyzmq(name: str) -> None:
    ours, theirs = getattr(slc, name), getattr(zc, name)
    assert issubclass(ours, enum.IntFlag) == issubclass(theirs, enum.IntFlag), name
    theirs_members = {k: int(v) for k, v in theirs.__members__.items()}
    ours_members = {k: int(v) for k, v in ours.__members__.items()}
    extra = set(ours_members) - set(theirs_members)
    # libzmq's draft ZMQ_ZERO_COPY_RECV context option, which pyzmq does not name,
    # and errnos serverlink named before it followed pyzmq's list
    assert extra <= {"ZERO_COPY_RECV", "EINTR", "ENOENT", "ENOMEM"}, extra
    assert {k: ours_members[k] for k in theirs_members} == theirs_members


def test_dir_of_pyzmq_is_covered_or_left_out_with_a_reason() -> None:
    public = {n for n in dir(zmq) if not n.startswith("__")}
    gap = sorted(public - set(dir(serverlink)) - set(LEFT_OUT))
    assert gap == []
    # what is left out is really absent (so this list stays true)
    assert [n for n in LEFT_OUT if hasattr(serverlink, n)] == []


def test_all_lists_the_constants_and_star_import_gives_them() -> None:
    assert set(PYZMQ_CONSTANTS) <= set(serverlink.__all__)
    assert [n for n in serverlink.__all__ if not hasattr(serverlink, n)] == []
    assert len(serverlink.__all__) == len(set(serverlink.__all__))
    ns: dict[str, object] = {}
    exec("from serverlink import *", ns)
    assert ns["EVENT_ALL_V2"] == zmq.EVENT_ALL_V2
    assert ns["IDENTITY"] == zmq.ROUTING_ID
    assert ns["Context"] is Context


def test_help_shows_the_constants() -> None:
    code = "import pydoc, serverlink; print(pydoc.render_doc(serverlink, renderer=pydoc.plaintext))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    for name in ("EVENT_ALL_V1", "NOTIFY_CONNECT", "RECONNECT_STOP_CONN_REFUSED", "IDENTITY"):
        assert f"{name} = " in r.stdout, name
    assert "bind_to_random_port" in r.stdout  # the package docstring's example


def test_aliases_are_the_same_members() -> None:
    assert serverlink.IDENTITY is serverlink.SocketOption.ROUTING_ID
    assert serverlink.CONNECT_RID is serverlink.CONNECT_ROUTING_ID
    assert serverlink.DELAY_ATTACH_ON_CONNECT is serverlink.IMMEDIATE
    assert serverlink.FAIL_UNROUTABLE is serverlink.ROUTER_BEHAVIOR is serverlink.ROUTER_MANDATORY
    assert serverlink.XREQ is serverlink.DEALER and serverlink.XREP is serverlink.ROUTER
    assert serverlink.NOBLOCK is serverlink.DONTWAIT
    assert serverlink.THREAD_PRIORITY == serverlink.SOCKET_LIMIT == 3
    assert serverlink.EVENT_ALL is serverlink.EVENT_ALL_V1


def test_flags_combine_as_pyzmq_s() -> None:
    assert serverlink.Event(513) == serverlink.EVENT_CONNECTED | serverlink.EVENT_DISCONNECTED
    assert repr(serverlink.Event(513)) == repr(zmq.Event(513))
    assert serverlink.Event(0x10000001) == zmq.PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND
    assert isinstance(serverlink.POLLIN | serverlink.POLLOUT, serverlink.PollEvent)
    assert isinstance(serverlink.DONTWAIT | serverlink.SNDMORE, serverlink.Flag)
    assert serverlink.EVENT_ALL_V2 == serverlink.EVENT_ALL_V1 | serverlink.EVENT_PIPES_STATS


def test_alias_option_attributes_on_sockets(ctx: Context) -> None:
    d = ctx.socket(serverlink.DEALER)
    d.identity = b"me"
    assert d.routing_id == b"me"
    d.delay_attach_on_connect = 1
    assert d.immediate == 1
    r = ctx.socket(serverlink.ROUTER)
    r.router_behavior = 1
    assert r.router_mandatory == 1
    assert r.fail_unroutable == 1


def test_draft_socket_types_are_named_and_refused(ctx: Context) -> None:
    assert serverlink.SERVER == zmq.SERVER and serverlink.CHANNEL == zmq.CHANNEL
    with pytest.raises(ValueError, match=r"SERVER.*use one of PAIR"):
        ctx.socket(serverlink.SERVER)


def test_module_level_helpers() -> None:
    assert serverlink.IPC_PATH_MAX_LEN == zmq.IPC_PATH_MAX_LEN
    assert serverlink.DRAFT_API is False and serverlink.PYZMQ_DRAFT_API is False
    assert serverlink.SyncContext is serverlink.Context
    assert serverlink.SyncSocket is serverlink.Socket
    e, pe = serverlink.ZMQVersionError("5.0", "Thing"), zmq.ZMQVersionError("5.0", "Thing")
    assert str(e) == str(pe) and repr(e) == repr(pe)
    assert isinstance(e, NotImplementedError)
    assert issubclass(serverlink.DraftFDWarning, RuntimeWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DeprecationWarning):
            serverlink.Stopwatch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sw = serverlink.Stopwatch()
    sw.start()
    assert sw.stop() >= 0


def test_zmq_errno_is_the_last_failure_s(ctx: Context) -> None:
    s = ctx.socket(serverlink.PUSH)
    with pytest.raises(serverlink.ZMQError) as info:
        s.bind("nonsense://x")
    assert serverlink.zmq_errno() == info.value.errno == serverlink.EPROTONOSUPPORT


def test_device_is_a_proxy() -> None:
    ctx = Context()
    front, back = ctx.socket(serverlink.PULL), ctx.socket(serverlink.PUSH)
    front.bind("inproc://device-in")
    back.bind("inproc://device-out")
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            serverlink.device(serverlink.STREAMER, front, back)
        except serverlink.ContextTerminated as e:
            outcome.append(e)
        finally:
            front.close(linger=0)
            back.close(linger=0)

    t = threading.Thread(target=run)
    t.start()
    push, pull = ctx.socket(serverlink.PUSH), ctx.socket(serverlink.PULL)
    push.connect("inproc://device-in")
    pull.connect("inproc://device-out")
    pull.rcvtimeo = 5000
    push.send(b"through")
    assert pull.recv() == b"through"
    push.close(linger=0)
    pull.close(linger=0)
    ctx.term()
    t.join(10)
    assert not t.is_alive()
    assert len(outcome) == 1


def test_every_public_method_of_socket_and_context_has_a_docstring() -> None:
    import serverlink.asyncio as azmq

    undocumented = []
    for cls in (serverlink.Socket, serverlink.Context, azmq.Socket, azmq.Context):
        for name in dir(cls):
            if name.startswith("_"):
                continue
            raw = next(vars(k)[name] for k in cls.__mro__ if name in vars(k))
            if isinstance(raw, property):
                doc = raw.__doc__
            elif callable(getattr(cls, name)):
                doc = getattr(cls, name).__doc__
            else:
                continue
            if not doc:
                undocumented.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert undocumented == []
