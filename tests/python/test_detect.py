"""Rules, detection and filters from Python: load errors with positions,
rule listing, alerts from a live capture and from a recording (Falco's JSON
alert format), filters on real events, the GIL released while polling."""
import json
import os
import subprocess
import tempfile
import threading

import pytest

import vigil

BROKEN = (
    "- rule: Broken\n"
    "  desc: d\n"
    "  priority: WARNING\n"
    "  condition: proc.name = bash )\n"
    "  output: x\n"
    "- rule: Needs env\n"
    "  desc: d\n"
    "  priority: INFO\n"
    "  condition: evt.type = execve and fd.containername contains X\n"
    "  output: y\n"
)

FALCO_KEYS = {"time", "rule", "priority", "source", "hostname", "output", "output_fields", "tags"}


def test_rule_errors_carry_positions():
    with pytest.raises(vigil.RuleError) as info:
        vigil.Rules.load(strings={"bad.yaml": BROKEN})
    e = info.value
    assert isinstance(e, ValueError) and isinstance(e, vigil.InvalidArgumentError)
    assert (e.file, e.line, e.column) == ("bad.yaml", 4, 31)
    assert "bad.yaml:4:31" in str(e)
    errors = [d for d in e.diagnostics if d["severity"] == "error"]
    assert errors and errors[0]["item"] == "rule 'Broken'"
    assert errors[0]["text"].startswith("bad.yaml:4:31: error:")


def test_rules_listing_lenient():
    rules = vigil.Rules.load(strings=[("bad.yaml", BROKEN)], strict=False)
    listing = {r["name"]: r for r in rules.rules()}
    assert listing["Broken"]["state"] == "invalid"
    assert listing["Needs env"]["state"] == "unsupported"
    assert listing["Needs env"]["missing"] == ["field fd.containername"]
    assert listing["Needs env"]["line"] == 6
    assert rules.enabled_count == 0
    assert len(rules) == 2
    assert any(d["severity"] == "error" for d in rules.diagnostics())


def test_default_rules_and_capture_events():
    rules = vigil.Rules.default()
    assert rules.enabled_count >= 1
    assert {r["source"] for r in rules.rules()} == {"syscall", "assets"}
    events = rules.capture_events().split(",")
    assert {"exec", "fork", "exit", "asset_change"} <= set(events)


def test_missing_rules_file_and_bad_filter():
    with pytest.raises(FileNotFoundError, match="/nonexistent/rules.yaml"):
        vigil.Rules.load(["/nonexistent/rules.yaml"])
    with pytest.raises(vigil.InvalidArgumentError, match="condition:1:"):
        vigil.Filter("proc.name = bash and")
    with pytest.raises(ValueError, match="proc.nosuch"):
        vigil.Filter("proc.nosuch = 1")
    assert vigil.Filter("evt.type = openat and fd.name = /x").event_types() == ["open"]


def _unique_open_rules(path):
    return vigil.Rules.load(strings={"py.yaml": (
        "- rule: Py unique open\n"
        "  desc: d\n"
        "  condition: evt.type in (open, openat) and fd.name = %s\n"
        "  output: \"opened %%fd.name by %%proc.name (%%proc.pid)\"\n"
        "  priority: CRITICAL\n"
        "  tags: [py_test, T0000]\n" % path)})


@pytest.mark.privileged
def test_live_alert_once(root):
    with tempfile.TemporaryDirectory(prefix="vigil-py-detect-") as d:
        path = os.path.join(d, "target")
        rules = _unique_open_rules(path)
        det = vigil.Detector(rules, hostname="py-host")
        with vigil.Capture.live(rules=rules, exclude_self=False) as cap:
            with open(path, "w") as f:
                f.write("x")
            alerts = list(det.alerts(cap, duration=2.0))
        assert len(alerts) == 1, alerts
        a = alerts[0]
        assert (a.rule, a.priority, a.rule_index) == ("Py unique open", "Critical", 0)
        assert a.tags == ["py_test", "T0000"]
        assert a.hostname == "py-host"
        assert a.output == "opened %s by %s (%d)" % (path, a.ancestry[0]["name"], os.getpid())
        assert a.output_fields["proc.pid"] == os.getpid()
        assert a.ancestry[0]["pid"] == os.getpid()
        assert a.ancestry[1]["pid"] == os.getppid()
        assert a.container is None
        assert a.suppressed_before == 0

        d1 = a.to_dict()
        assert set(d1) == FALCO_KEYS | {"vigil"}
        assert d1["priority"] == "Critical" and d1["output_fields"]["fd.name"] == path
        assert d1["vigil"]["event"]["pid"] == os.getpid()
        assert set(json.loads(a.to_json(vigil_fields=False))) == FALCO_KEYS
        assert ": Critical opened " in a.to_json(iso8601_time=True)

        ev = a.event()
        assert ev["fd.name"] == path and ev.pid == os.getpid()
        assert vigil.Filter("fd.name = %s and proc.pid = %d" % (path, os.getpid())).matches(ev)
        assert not vigil.Filter("proc.name = no-such-process").matches(ev)
        # macros of a rule set are usable in filters
        macros = vigil.Rules.load(strings={"m.yaml": "- macro: opened\n  condition: evt.type = openat\n"})
        assert vigil.Filter("opened and fd.name = %s" % path, rules=macros).matches(ev)

        # The same event through process(), with a fresh detector.
        again = vigil.Detector(rules).process(ev)
        assert [x.rule for x in again] == ["Py unique open"]

        st = det.stats()
        assert st["alerts"] == 1 and st["suppressed"] == 0 and st["events"] >= 1
        assert st["rules"][0]["matches"] == 1 and st["rules"][0]["evaluations"] >= 1


@pytest.mark.privileged
def test_alerts_over_a_recording(root, tmp_path):
    rec = tmp_path / "rec.vgl"
    true_path = os.path.realpath("/bin/true")
    pids = []
    with vigil.Capture.live(events="exec", write_path=str(rec)) as cap:
        for _ in range(3):
            p = subprocess.Popen(["/bin/true"])
            p.wait()
            pids.append(p.pid)
        list(cap.events(timeout=1.0))
    rules = vigil.Rules.load(strings={"exec.yaml": (
        "- rule: Ran true\n  desc: d\n"
        "  condition: evt.type = execve and proc.exepath = %s\n"
        "  output: \"true ran (pid %%proc.pid)\"\n  priority: INFO\n" % true_path)})
    det = vigil.Detector(rules)
    with vigil.Capture.open_recording(rec, rules=rules) as replay:
        alerts = list(det.alerts(replay))
    assert sorted(a.output_fields["proc.pid"] for a in alerts) == sorted(pids)
    assert all(a.output == "true ran (pid %d)" % a.output_fields["proc.pid"] for a in alerts)


@pytest.mark.privileged
def test_gil_released_while_polling(root):
    rules = _unique_open_rules("/nonexistent/never-opened")
    det = vigil.Detector(rules)
    with vigil.Capture.live(rules=rules) as cap:
        t = threading.Thread(target=lambda: det.poll(cap, timeout=1.0))
        t.start()
        spins = 0
        while t.is_alive():
            spins += 1  # runs only if poll() released the GIL
        t.join()
    assert spins > 1000


@pytest.mark.privileged
def test_asset_rule_alerts_on_a_new_listener(root):
    """A rule of source assets: the capture inventories listening ports every
    0.3 s; a wildcard listener opened by this process becomes an alert."""
    import socket
    rules = vigil.Rules.load(strings={"a.yaml": (
        "- rule: Py new port\n"
        "  desc: d\n"
        "  condition: asset.table = listening_ports and asset.change = added\n"
        "  output: \"port %asset.value[port] by %asset.value[name]\"\n"
        "  priority: NOTICE\n"
        "  source: assets\n"
        "  tags: [T1571]\n")})
    det = vigil.Detector(rules)
    with vigil.Capture.live(rules=rules, asset_interval=0.3) as cap:
        with socket.socket() as s:
            s.bind(("0.0.0.0", 0))
            s.listen(1)
            port = s.getsockname()[1]
            alerts = []
            for a in det.alerts(cap, duration=15.0):
                alerts.append(a)
                if a.output.startswith("port %d " % port):
                    break
    mine = [a for a in alerts if a.output.startswith("port %d " % port)]
    assert len(mine) == 1, [a.output for a in alerts]
    assert mine[0].source == "assets"
    assert mine[0].to_dict()["source"] == "assets"
    assert mine[0].event()["asset.value[port]"] == str(port)


def test_wait_for_host_names():
    """fd.sip.name checks resolve in the background; waiting returns True
    once every name was looked up, for rule sets and filters alike."""
    rules = vigil.Rules.load(strings=[("h.yaml", """- rule: To localhost
  desc: d
  condition: evt.type = connect and fd.sip.name in (localhost, nosuch.invalid)
  output: o
  priority: INFO
""")])
    assert rules.wait_for_host_names(timeout=20) is True
    f = vigil.Filter("evt.type = connect and fd.sip.name = localhost")
    assert f.wait_for_host_names(20) is True
    assert vigil.Filter("proc.name = x").wait_for_host_names(0) is True  # no names
    with pytest.raises(ValueError, match="timeout"):
        rules.wait_for_host_names(timeout=-1)
