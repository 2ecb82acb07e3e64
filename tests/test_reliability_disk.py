"""Disk full and permission denied while writing, simulated in a subprocess: an OSError
subclass at the call or at flush, and the data flushed before it is intact."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from modularml._store import PackReader, read_log

CHILD_PRELUDE = """
import errno, os, resource, signal, sys
from modularml._store import TableLog, PackWriter, read_log
SCHEMA = [("name", "str"), ("epoch", "int"), ("value", "f64")]
def rows(start, n):
    return {"name": ["loss"] * n, "epoch": list(range(start, start + n)),
            "value": [float(i) for i in range(start, start + n)]}
"""


def _run_child(body: str, tmp_path, first: str = "") -> subprocess.CompletedProcess:
    script = CHILD_PRELUDE + first + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def test_disk_full_is_an_oserror_at_append_or_flush_and_flushed_rows_survive(tmp_path):
    # RLIMIT_FSIZE makes write() fail with EFBIG past the limit, as a full disk does
    # (ENOSPC); SIGXFSZ is ignored so the process gets the error instead of dying.
    child = _run_child(
        f"""
        path = {str(tmp_path / "metrics.log")!r}
        log = TableLog(path, SCHEMA)
        log.append(rows(0, 100))
        log.flush()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = os.path.getsize(path) + 4096
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        try:
            for k in range(200):
                log.append(rows(100 + 1000 * k, 1000))
            log.flush()
        except OSError as err:
            print("ERRNO", err.errno, type(err).__name__, str(err)[:200])
        else:
            print("NO ERROR")
        try:
            log.append(rows(0, 1))
            log.flush()
        except OSError as err:
            print("AGAIN", err.errno)
        """,
        tmp_path,
    )
    assert child.returncode == 0, child.stderr
    lines = child.stdout.splitlines()
    assert lines[0].startswith("ERRNO 27 OSError") and "metrics.log" in lines[0], lines
    assert lines[1] == "AGAIN 27", lines  # the failure sticks: every later call reports it
    columns, _defect = read_log(tmp_path / "metrics.log")
    assert columns["value"][:100] == [float(i) for i in range(100)]
    assert columns["epoch"] == sorted(columns["epoch"])  # a prefix, nothing torn in between


def test_disk_full_while_writing_artifacts_keeps_earlier_records(tmp_path):
    child = _run_child(
        f"""
        path = {str(tmp_path / "a.pack")!r}
        pack = PackWriter(path)
        first = pack.put(b"kept" * 10, "raw")
        pack.flush()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = os.path.getsize(path) + 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        try:
            for k in range(50):
                pack.put(os.urandom(4096), "raw")
            pack.flush()
        except OSError as err:
            print("ERRNO", err.errno)
        else:
            print("NO ERROR")
        print("FIRST", first)
        """,
        tmp_path,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.splitlines()[0] == "ERRNO 27", child.stdout
    reader = PackReader(tmp_path / "a.pack")
    assert reader.get(0) == (b"kept" * 10, "raw")


@pytest.mark.skipif(not hasattr(os, "setuid"), reason="needs POSIX users")
def test_permission_denied_is_permission_error_at_the_call(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    os.chmod(tmp_path, 0o755)
    # as root, chmod alone does not deny: drop to an unprivileged user in the child
    drop = "os.setgid(65534); os.setuid(65534)\n" if os.geteuid() == 0 else ""
    child = _run_child(
        f"""
        for make in (lambda p: TableLog(p, SCHEMA), PackWriter):
            try:
                make({str(locked / "x")!r})
            except PermissionError as err:
                print("DENIED", err.errno, "x" in str(err))
        """,
        tmp_path,
        first=drop,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.splitlines() == ["DENIED 13 True", "DENIED 13 True"]
    assert os.listdir(locked) == []
