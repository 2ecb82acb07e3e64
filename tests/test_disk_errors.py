"""Errors of the background writers reach the caller, and threads can share a log."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from modularml import _store

# Runs in a child: a file-size limit makes the writer thread's write fail (EFBIG),
# as a full disk would (ENOSPC), without filling anything.
FILE_TOO_BIG = """
import errno, os, resource, signal, sys
from modularml import _store
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, resource.RLIM_INFINITY))
log = _store.TableLog(sys.argv[1], [("value", "f64")])
log.append({"value": [0.5] * 100_000})
try:
    log.flush()
except OSError as e:
    assert e.errno == errno.EFBIG and sys.argv[1] in str(e), e
    print("flush raised")
try:
    log.append({"value": [1.0]})
except OSError as e:
    print("append raised again")
pack = _store.PackWriter(sys.argv[1] + ".pack")
pack.put(bytes(100_000), "raw-zeros-compress")  # compresses: fits
pack.put(os.urandom(100_000), "raw")
try:
    pack.flush()
except OSError as e:
    assert e.errno == errno.EFBIG, e
    print("pack flush raised")
"""


def test_a_failed_background_write_raises_at_the_next_call_and_keeps_raising(tmp_path: Path):
    path = tmp_path / "metrics.log"
    result = subprocess.run(
        [sys.executable, "-c", FILE_TOO_BIG, str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "flush raised",
        "append raised again",
        "pack flush raised",
    ]
    columns, problem = _store.read_log(path)  # what did reach the disk still reads
    assert problem is None or "torn tail" in problem


def test_threads_append_and_flush_one_log_without_losing_rows(tmp_path: Path):
    path = tmp_path / "metrics.log"
    log = _store.TableLog(path, [("thread", "int"), ("seq", "int")])

    def work(thread: int) -> None:
        for start in range(0, 1000, 50):
            log.append({"thread": [thread] * 50, "seq": list(range(start, start + 50))})
            if start % 200 == 0:
                log.flush(durable=False)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    columns, problem = _store.read_log(path)
    assert problem is None
    for thread in range(4):
        seq = [s for t, s in zip(columns["thread"], columns["seq"], strict=True) if t == thread]
        assert seq == list(range(1000))


def test_closing_while_other_threads_append_and_flush_does_not_hang(tmp_path: Path):
    log = _store.TableLog(tmp_path / "m.log", [("seq", "int")])
    pack = _store.PackWriter(tmp_path / "a.pack")
    stopped: list[str] = []

    def work() -> None:
        try:
            while True:
                log.append({"seq": list(range(100))})
                pack.put(b"x" * 1000, "raw")
                log.flush(durable=True)
                pack.flush(durable=False)
        except ValueError as e:
            stopped.append(str(e))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    log.close()
    pack.close()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads), "a writer thread hung"
    assert len(stopped) == 3 and all("is closed" in message for message in stopped)
    assert len(_store.read_log(tmp_path / "m.log")[0]["seq"]) % 100 == 0
