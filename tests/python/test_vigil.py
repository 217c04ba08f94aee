"""Tests of the vigil Python package (bindings/python) against the build tree."""

import json
import os
import socket
import shutil
import subprocess
import threading
import time

import pytest

import vigil


# ---- without privileges ---------------------------------------------------------

def test_version():
    assert vigil.version() == os.environ.get("VIGIL_EXPECTED_VERSION", vigil.version())
    assert vigil.version().count(".") == 2
    assert vigil.schema_version() >= 1000


def test_fields():
    fields = vigil.fields()
    assert len(fields) > 10
    by_name = {f["name"]: f for f in fields}
    assert by_name["proc.name"]["type"] == "string"
    assert by_name["proc.name"]["description"]
    assert by_name["fd.name"]["argument"] == "none"
    assert set(fields[0]) == {"name", "type", "description", "argument"}


def test_event_types():
    types = {t["name"]: t for t in vigil.event_types()}
    assert types["exec"]["id"] == 1
    assert types["open"]["category"] == "file"


def test_open_missing_recording_names_the_path(tmp_path):
    path = str(tmp_path / "missing.vgl")
    with pytest.raises(vigil.NotFoundError) as info:
        vigil.Capture.open_recording(path)
    assert path in str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value, vigil.Error)


def test_not_a_recording(tmp_path):
    path = tmp_path / "garbage.vgl"
    path.write_bytes(b"this is not a recording at all" * 10)
    with pytest.raises(vigil.Error) as info:
        vigil.Capture.open_recording(path)
    assert str(path) in str(info.value)


def test_unknown_event_type_is_a_value_error():
    with pytest.raises(ValueError, match="bogus"):
        vigil.Capture.live(events="exec,bogus")
    with pytest.raises(vigil.InvalidArgumentError, match="bogus"):
        vigil.Capture.open_recording("/nonexistent.vgl", events=["bogus"])

    with pytest.raises(ValueError, match="payload_bytes"):
        vigil.Capture.live(events="sendto", payload_bytes=128)


# ---- live capture (root) -----------------------------------------------------------

def _find(cap, predicate, count=1, timeout=15.0):
    """Collects events matching predicate until `count` or timeout."""
    found = []
    deadline = time.monotonic() + timeout
    for ev in cap.events(duration=timeout):
        if predicate(ev):
            found.append(ev)
            if len(found) >= count:
                break
        if time.monotonic() > deadline:
            break
    return found


@pytest.mark.privileged
def test_live_exec_and_open(root):
    cat = os.path.realpath(shutil.which("cat"))  # /bin/cat -> /usr/bin/cat on Debian 12
    with vigil.Capture.live(events="exec,open") as cap:
        proc = subprocess.Popen(["cat", "/etc/hostname"], stdout=subprocess.DEVNULL)
        proc.wait()
        exec_ev = open_ev = None
        for ev in cap.events(duration=15):
            if ev.pid != proc.pid:
                continue
            if ev.type == "exec" and exec_ev is None:
                exec_ev = ev
            elif ev.type == "open" and ev["fd.name"] == "/etc/hostname":
                open_ev = ev
            if exec_ev and open_ev:
                break
        stats = cap.stats()

    assert exec_ev is not None, "no exec event of cat"
    assert open_ev is not None, "no open event of /etc/hostname"
    # Events are snapshots: still readable after later events and close().
    assert exec_ev["proc.exepath"] == cat
    assert exec_ev["proc.name"] == "cat"
    assert exec_ev["proc.pid"] == proc.pid
    assert exec_ev["fd.name"] is None  # not applicable to exec
    assert exec_ev.syscall == "execve"
    assert exec_ev.type_id == 1
    assert exec_ev.result == 0
    assert exec_ev.comm == "cat"
    assert exec_ev.tid == proc.pid
    assert exec_ev.time_ns > 1_600_000_000 * 10**9
    assert exec_ev["proc.cmdline"] == "cat /etc/hostname"
    assert open_ev["proc.exepath"] == cat
    assert open_ev.syscall.startswith("open")
    assert open_ev.result >= 0
    assert open_ev.get("no.such.field", "dflt") == "dflt"
    with pytest.raises(KeyError):
        open_ev["no.such.field"]
    assert open_ev.field_string("fd.name") == "/etc/hostname"
    assert isinstance(open_ev.bytes(), bytes) and len(open_ev.bytes()) > 16

    d = exec_ev.to_dict()
    assert d["type"] == "exec" and d["syscall"] == "execve"
    assert d["pid"] == proc.pid and d["tid"] == proc.pid
    assert d["comm"] == "cat" and d["result"] == 0
    assert d["args"]["args"] == ["cat", "/etc/hostname"]
    assert d["proc.exepath"] == cat
    assert d["proc.name"] == "cat"
    assert d["evt.type"] == "execve"
    assert d["user.uid"] == os.geteuid()
    assert d["user.name"] == "root"
    assert "fd.name" not in d  # only fields that apply
    od = open_ev.to_dict()
    assert od["fd.name"] == "/etc/hostname"
    assert od["type"] == "open"

    j = json.loads(exec_ev.json())
    assert j["type"] == "exec" and j["pid"] == proc.pid
    assert j["proc"]["exepath"] == cat

    for key in ("events_received", "events_delivered", "events_filtered", "events_malformed",
                "kernel_drops", "kernel_drops_total", "processes_tracked", "process_evictions",
                "process_misses", "containers_tracked", "container_evictions", "bytes_recorded"):
        assert key in stats, key
    assert set(stats["kernel_drops"]) == {"process", "file", "network", "identity", "namespace",
                                          "kernel", "tamper", "asset"}
    assert stats["events_delivered"] >= 2


@pytest.mark.privileged
def test_gil_released_while_waiting(root):
    # A type that (almost) never happens, so next() waits its full second.
    with vigil.Capture.live(events="pivot_root") as cap:
        counter = [0]
        running = threading.Event()
        done = threading.Event()

        def spin():
            running.set()
            while not done.is_set():
                counter[0] += 1

        t = threading.Thread(target=spin)
        t.start()
        running.wait()
        before = counter[0]
        start = time.monotonic()
        while time.monotonic() - start < 1.0:
            cap.next(timeout=1.0 - (time.monotonic() - start))
        progress = counter[0] - before
        done.set()
        t.join()
    # With the GIL held during the wait the thread could not run at all.
    assert progress > 10000, progress


@pytest.mark.privileged
def test_stop_from_another_thread_wakes_next(root):
    with vigil.Capture.live(events="pivot_root") as cap:
        timer = threading.Timer(0.3, cap.stop)
        timer.start()
        start = time.monotonic()
        assert cap.next(timeout=10) is None
        assert time.monotonic() - start < 5
        assert cap.at_end
        assert list(cap) == []  # iteration ends after stop
        timer.join()
    assert cap.closed
    with pytest.raises(vigil.Error, match="closed"):
        cap.next()


@pytest.mark.privileged
def test_record_and_replay(root, tmp_path):
    rec = tmp_path / "rec.vgl"
    with vigil.Capture.live(events="exec", write_path=str(rec)) as cap:
        pids = []
        for _ in range(3):
            p = subprocess.Popen(["/bin/true"])
            p.wait()
            pids.append(p.pid)
        live = _find(cap, lambda ev: ev.pid in pids, count=3)
        # drain what is left so that the recording and the live list match
        live += list(cap.events(timeout=0.5))
    assert {ev.pid for ev in live} >= set(pids)

    replay = list(vigil.Capture.open_recording(rec))
    live_json = [ev.json() for ev in live]
    replay_json = [ev.json() for ev in replay]
    assert replay_json[: len(live_json)] == live_json

    # A truncated recording: events before the damage, then DataLossError.
    data = rec.read_bytes()
    trunc = tmp_path / "trunc.vgl"
    trunc.write_bytes(data[:-5])
    got = []
    with pytest.raises(vigil.DataLossError, match="offset"):
        for ev in vigil.Capture.open_recording(trunc):
            got.append(ev.json())
    assert got == replay_json[: len(got)]
    assert len(got) == len(replay_json) - 1


@pytest.mark.privileged
def test_sendto_payload_bytes(root):
    """sendto is captured when named, with as many payload bytes as asked
    (evt.buffer: binary, so a str with surrogate escapes for bytes >= 0x80)."""
    with vigil.Capture.live(events="sendto", exclude_self=False, payload_bytes=5) as cap:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"\xca\xfe" + b"vigil-payload", ("127.0.0.1", 9))
        s.close()
        port = lambda ev: ev["fd.sport"] == 9 and ev.pid == os.getpid()
        found = _find(cap, lambda ev: ev.type == "sendto" and port(ev))
    assert found, "no sendto event"
    buf = found[0]["evt.buffer"]
    assert buf.encode("utf-8", "surrogateescape") == b"\xca\xfevig"
    assert found[0]["fd.name_changed"] is True
    assert found[0]["fd.connected"] is False
