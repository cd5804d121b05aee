"""Outputs never destroy what they replace (``mixopt.io.atomic``): only regular files are
replaced, streams are written in place, a replaced file keeps its mode and owner, a file
that appears after the check is never replaced without --force, and several files are
one update or none."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mixopt.cli import Exit, main
from mixopt.io import atomic
from mixopt.io.atomic import check_new, replace_all, write_atomic
from tests.conftest import INSTANCES

CAN = str(INSTANCES / "can-body.toml")


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_dev_null_stays_a_device() -> None:
    before = os.stat(os.devnull)
    for force in ((), ("--force",)):
        code, _, err = run("solve", CAN, "--format", "json", "-o", os.devnull, *force)
        assert code == 0, err
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1"])
def test_a_stream_is_written_in_place(name: str, tmp_path: Path) -> None:
    into = tmp_path / "redirected.json"
    with into.open("w") as fh:  # stdout is a regular file here: it must not be replaced
        r = subprocess.run([sys.executable, "-m", "mixopt", "solve", CAN, "--format", "json",
                            "-o", name], stdout=fh, stderr=subprocess.PIPE, text=True,
                           timeout=300, check=False)
    assert r.returncode == 0, r.stderr
    assert json.loads(into.read_text())["status"] == "optimal"
    assert [p.name for p in tmp_path.iterdir()] == ["redirected.json"]


def test_a_fifo_a_folder_and_a_device_are_refused_by_name(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    code, out, err = run("solve", CAN, "--format", "json", "-o", str(fifo), "--force")
    assert code == Exit.INVALID_INPUT and out == ""
    assert err == (f"mixopt: {fifo}: is a FIFO (named pipe): mixopt writes outputs to regular "
                   "files only (to stream one, name /dev/stdout)\n")
    with pytest.raises(OSError, match="is a folder"):
        check_new(tmp_path, force=True)
    with pytest.raises(OSError, match="is a device"):
        write_atomic(Path("/dev/zero"), "x", force=True)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_replaced_file_keeps_its_mode_and_owner(tmp_path: Path) -> None:
    private = tmp_path / "plan.json"
    private.write_text("old")
    os.chmod(private, 0o600)
    owner = (os.getuid(), os.getgid())
    if os.getuid() == 0:  # as root: give it to someone else; it must stay theirs
        owner = (12345, 23456)
        os.chown(private, *owner)
    code, _, err = run("solve", CAN, "--format", "json", "-o", str(private), "--force")
    assert code == 0, err
    st = private.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and (st.st_uid, st.st_gid) == owner
    assert json.loads(private.read_text())["status"] == "optimal"
    new = tmp_path / "new.json"
    write_atomic(new, "{}")
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~atomic._umask()


def test_an_owner_that_cannot_be_kept_is_refused(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = tmp_path / "theirs.json"
    theirs.write_text("theirs")
    real_stat = os.stat

    def someone_elses(path: object, *a: object, **k: object) -> os.stat_result:
        st = real_stat(path, *a, **k)
        if Path(str(path)) == theirs:
            return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink,
                                   st.st_uid + 1, st.st_gid, st.st_size, 0, 0, 0))
        return st

    def refuse(*a: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "stat", someone_elses)
    monkeypatch.setattr(os, "chown", refuse)
    with pytest.raises(PermissionError, match="replacing it would change its owner"):
        write_atomic(theirs, "mine", force=True)
    assert theirs.read_text() == "theirs" and [p.name for p in tmp_path.iterdir()] == [
        "theirs.json"]


def test_a_file_that_appears_meanwhile_is_never_replaced(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"

    def racing_writer(tmp: Path) -> None:  # another process wins the race mid-write
        tmp.write_text("ours")
        target.write_text("theirs")

    with pytest.raises(FileExistsError, match="pass --force"):
        write_atomic(target, racing_writer)
    assert target.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file


def test_racing_commands_never_both_write(tmp_path: Path) -> None:
    out = tmp_path / "same.json"
    procs = [subprocess.Popen([sys.executable, "-m", "mixopt", "solve", CAN, "--format",
                               "json", "-o", str(out)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for p in procs:
        p.stderr.close()
    wrote = [err for code, err in results if code == 0]
    refused = [err for code, err in results if code == Exit.INVALID_INPUT]
    assert len(wrote) == 1 and len(refused) == 2, results
    assert all("exists; pass --force" in err for err in refused)
    assert json.loads(out.read_text())["status"] == "optimal"


def test_a_symbolic_link_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, "new", force=True)
    assert link.is_symlink() and real.read_text() == "new"


def test_several_files_are_one_update_or_none(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = (tmp_path / n for n in ("a.toml", "b.csv", "c.csv"))
    a.write_text("a0")
    b.write_text("b0")
    os.chmod(b, 0o640)
    real_install = atomic._install
    calls = []

    def fails_third(t: atomic.Target, tmp: Path, force: bool) -> None:
        calls.append(t.real.name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(t.path))
        real_install(t, tmp, force)

    monkeypatch.setattr(atomic, "_install", fails_third)
    with pytest.raises(OSError, match="No space left"):
        replace_all({a: "a1", b: "b1", c: "c1"}, force=True)
    assert (a.read_text(), b.read_text(), c.exists()) == ("a0", "b0", False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml", "b.csv"]
    monkeypatch.setattr(atomic, "_install", real_install)
    replace_all({a: "a1", b: "b1", c: "c1"}, force=True)
    assert (a.read_text(), b.read_text(), c.read_text()) == ("a1", "b1", "c1")
    assert stat.S_IMODE(b.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml", "b.csv", "c.csv"]
    with pytest.raises(FileExistsError):  # without force: nothing replaced, nothing new
        replace_all({tmp_path / "d.csv": "d", a: "a2"})
    assert not (tmp_path / "d.csv").exists() and a.read_text() == "a1"


def test_free_text_no_workbook_or_report_could_hold_is_refused_by_name(tmp_path: Path) -> None:
    month = tmp_path / "m.toml"
    month.write_text((INSTANCES / "can-body.toml").read_text().replace(
        'kind = "post-consumer scrap"', 'kind = "post-consumer\\u0007 scrap"', 1))
    code, _, err = run("solve", str(month), "--format", "xlsx", "-o", str(tmp_path / "r.xlsx"))
    assert code == Exit.INVALID_INPUT
    assert "row 1 ('UBC bales'), field 'kind': contains the control character U+0007" in err
    assert not (tmp_path / "r.xlsx").exists()
    month.write_text((INSTANCES / "can-body.toml").read_text().replace(
        'kind = "post-consumer scrap"', 'kind = "post-consumer\\tscrap\\nbales"', 1))
    assert run("validate", str(month))[0] == 0  # tabs and line breaks are text
