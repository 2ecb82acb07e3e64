"""A writer SIGKILLed at random instants never costs a flushed record.

A child process appends rows and artifacts in a loop and, after each flush
returns, prints how many it had flushed. The parent kills it at a random
instant, reopens everything, and checks that every flushed record is there,
exactly once, in order, with no exception. Each trial reopens the same log
for appending, so torn tails are also cut off and written past again.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from modularml import _store

TRIALS = 60
SCHEMA = [("seq", "int"), ("name", "str"), ("value", "f64")]

CHILD = """
import os, sys
from modularml import _store
log_path, pack_path = sys.argv[1], sys.argv[2]
schema = [("seq", "int"), ("name", "str"), ("value", "f64")]
seq = len(_store.read_log(log_path)[0].get("seq", [])) if os.path.exists(log_path) else 0
log = _store.TableLog(log_path, schema)
pack = _store.PackWriter(pack_path)
print("ready", flush=True)
i = 0
while True:
    n = 1 + i % 40
    rows = range(seq, seq + n)
    log.append({"seq": list(rows), "name": [f"m/{r % 3}" for r in rows], "value": [r * 0.5 for r in rows]})
    seq += n
    pack.put(str(i).encode() * (1 + i % 300), "txt")
    log.flush(durable=i % 4 == 0)
    pack.flush(durable=i % 4 == 1)
    i += 1
    print(seq, i, flush=True)
"""


def run_and_kill(log_path: Path, pack_path: Path, rng: random.Random) -> tuple[int, int]:
    """Runs the child until a random instant, SIGKILLs it; returns what it had flushed."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(log_path), str(pack_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    if rng.random() < 0.2:
        time.sleep(rng.uniform(0.0, 0.15))  # sometimes while it starts and opens the files
    else:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.08))
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    lines = [line.split() for line in child.stdout.read().splitlines() if line != "ready"]
    complete = [line for line in lines if len(line) == 2]
    rows, artifacts = (int(complete[-1][0]), int(complete[-1][1])) if complete else (0, 0)
    return rows, artifacts


def check_log(log_path: Path, flushed: int) -> int:
    if not log_path.exists():
        assert flushed == 0
        return 0
    columns, problem = _store.read_log(log_path)
    seq = columns.get("seq", [])
    assert len(seq) >= flushed, f"lost flushed rows: {len(seq)} < {flushed}"
    assert seq == list(range(len(seq))), "rows duplicated or out of order"
    assert columns["value"] == [s * 0.5 for s in seq]
    assert problem is None or "torn tail" in problem, problem
    return len(seq)


def check_pack(pack_path: Path, flushed: int) -> None:
    if not pack_path.exists():
        assert flushed == 0
        return
    reader = _store.PackReader(pack_path)
    assert len(reader) >= flushed, f"lost flushed artifacts: {len(reader)} < {flushed}"
    assert reader.ids() == list(range(len(reader)))
    assert reader.corrupt == []
    for i in reader.ids():
        assert reader.get(i) == (str(i).encode() * (1 + i % 300), "txt")


def test_sigkill_at_random_instants_keeps_every_flushed_record(tmp_path: Path):
    rng = random.Random(20261204)
    log_path = tmp_path / "metrics.log"
    total_before, deadline = 0, time.monotonic() + 240
    for trial in range(TRIALS):
        assert time.monotonic() < deadline, f"only {trial} trials in the time bound"
        pack_path = tmp_path / f"artifacts-{trial}.pack"
        before = check_log(log_path, 0)
        rows, artifacts = run_and_kill(log_path, pack_path, rng)
        total = check_log(log_path, max(rows, before))
        check_pack(pack_path, artifacts)
        total_before = total
    assert total_before > 0, "no trial flushed anything"
