"""The benchmark suite runs end to end at tiny sizes, so it cannot rot.

No timing is asserted: only that every section ran and produced sane numbers.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCHES = Path(__file__).resolve().parents[1] / "benches"


def test_suite_runs_every_section_at_tiny_sizes(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCHES / "run.py"), "--tiny", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["failures"] == {}
    assert report["tiny"] is True and report["machine"]["cores"] >= 1
    workloads = {row["workload"] for row in report["rows"]}
    for expected in (
        'losses(node).where(epoch=k).collapse("batch","mean").one()',
        'metrics().where(name="train_loss")',
        "TrainPhase step, seed MLP, batch 32 (recording all)",
        "log one scalar per call (in memory)",
        "seed training cells end to end (after imports)",
        "durable metric logging: log_metrics(10k array) + flush(durable) per 100k",
        "DDP step per rank: 2 rank(s), results results_dir, recording all",
    ):
        assert expected in workloads
    for row in report["rows"]:
        ours = row["ours"]
        assert math.isfinite(ours["median"]) and ours["median"] > 0, row
        assert ours["min"] <= ours["median"] <= ours["max"], row
        assert all(v > 0 for v in row["baselines"].values()), row
    table = (tmp_path / "latest.md").read_text()
    assert table.count("\n|") == len(report["rows"]) + 2  # header and rule
