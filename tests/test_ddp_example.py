"""The documented example, launched the documented way: torchrun with 2 processes."""

from __future__ import annotations

import os
import subprocess
import sys

from ddp_helpers import free_port


def test_torchrun_launches_the_example(tmp_path):
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1",
               "--nproc_per_node=2", "--master_addr=127.0.0.1", f"--master_port={free_port()}",
               "-m", "modularml.examples.ddp_train", "--epochs", "2",
               "--results-dir", str(tmp_path / "runs")]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MODULARML_PROGRESS": "0"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "world_size=2" in lines  # printed by rank 0 only, once
    assert sum(line.startswith("epoch ") for line in lines) == 2
    assert sorted(p.name for p in next((tmp_path / "runs").glob("*/manifest.json")).parent
                  .glob("rank=*")) == ["rank=0", "rank=1"]
