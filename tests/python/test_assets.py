"""Asset inventory from Python: tables as dicts, SQL, per-table errors,
snapshots and diffs, against a root filesystem made by the test and this host."""
import os
import pwd

import pytest

import vigil


@pytest.fixture
def rootfs(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nsvc:x:42:42::/srv:/bin/false\n")
    (tmp_path / "etc" / "os-release").write_text('ID=pytest\nVERSION_ID="1"\n')
    return tmp_path


def test_tables_listed_with_columns():
    tables = {t["name"]: t for t in vigil.asset_tables()}
    assert "users" in tables and "listening_ports" in tables
    assert tables["processes"]["live_system"] is True
    assert tables["suid_bins"]["on_demand"] is True
    assert [c["name"] for c in tables["users"]["columns"]][:3] == ["uid", "gid", "username"]


def test_root_filesystem_rows_are_dicts(rootfs):
    a = vigil.Assets.root(str(rootfs))
    users = a.collect("users")
    assert users["status"] is None
    assert [u["username"] for u in users["rows"]] == ["root", "svc"]
    assert users["rows"][1]["uid"] == 42
    assert a.collect("os_version")["rows"][0]["id"] == "pytest"
    procs = a.collect("processes")
    assert procs["status"] is not None and "running system" in procs["status"]
    assert procs["rows"] == []


def test_sql_and_errors(rootfs):
    a = vigil.Assets.root(str(rootfs))
    q = a.query("select username from users where uid = 42")
    assert q["rows"] == [{"username": "svc"}]
    with pytest.raises(vigil.InvalidArgumentError) as e:
        a.query("select * from nosuch")
    assert "nosuch" in str(e.value)
    with pytest.raises(vigil.NotFoundError):
        vigil.Assets.root(str(rootfs / "missing"))


def test_snapshot_diff(rootfs, tmp_path_factory):
    d = tmp_path_factory.mktemp("snap")
    a = vigil.Assets.root(str(rootfs))
    a.snapshot(str(d / "1.db"), ["users"])
    with open(rootfs / "etc" / "passwd", "a") as f:
        f.write("toor:x:0:0::/:/bin/sh\n")
    a.snapshot(str(d / "2.db"), ["users"])
    changes = vigil.diff_asset_snapshots(str(d / "1.db"), str(d / "2.db"))
    assert changes == [{"table": "users", "change": "added", "key": "username=toor",
                        "summary": "new username=toor (uid 0)", "notable": True}]


def test_host_users_match_pwd():
    users = vigil.Assets.host().collect("users")
    assert users["status"] is None
    got = {(u["username"], u["uid"]) for u in users["rows"]}
    assert got == {(p.pw_name, p.pw_uid) for p in pwd.getpwall()}


def test_host_processes_include_this_one():
    rows = vigil.Assets.host().query(f"select name, parent from processes where pid = {os.getpid()}")["rows"]
    assert rows == [{"name": rows[0]["name"], "parent": os.getppid()}] and rows[0]["name"]
