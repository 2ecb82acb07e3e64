"""The seed example's training cells end to end, ours vs the reference, each in its own
process (same script: benches/reference/seed_common.py), seconds after imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from statistics import median

from common import REFERENCE_DIR, REFERENCE_VENV, Row, Stat, ensure_venv

SCRIPT = REFERENCE_DIR / "seed_common.py"


def _seconds(python: str) -> dict:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run([python, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"seed script failed under {python}:\n{proc.stderr[-1500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(quick: bool) -> list[Row]:
    repeats = 1 if quick else 3
    ours = [_seconds(sys.executable) for _ in range(repeats)]
    baselines, note = {}, ""
    why = ensure_venv(REFERENCE_VENV, ["modularml==1.0.0", "ipython"])
    if why is None:
        ref_python = str(REFERENCE_VENV / "bin" / "python")
        baselines["reference"] = median(_seconds(ref_python)["seconds"] for _ in range(repeats))
    else:
        note = why
    train = Stat.of([o["seconds"] for o in ours])
    imports = Stat.of([o["import_seconds"] for o in ours])
    return [
        Row("seed training cells end to end (after imports)", None, "s", train, baselines, note=note),
        Row("import modularml + torch", None, "s", imports),
    ]
