"""Shared pieces of the benchmark suite: timing, result rows, machine description."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import median

BENCH_HOME = Path(os.environ.get("MODULARML_BENCH_HOME", Path.home() / ".cache" / "modularml-bench"))
REFERENCE_VENV = BENCH_HOME / "refvenv"
PEER_VENV = BENCH_HOME / "peervenv"
REFERENCE_DIR = Path(__file__).parent / "reference"

# Set by `run.py --tiny` (the test suite's smoke run): smallest sizes, and baselines
# in other virtual environments only when those environments already exist.
TINY = False


@dataclass
class Stat:
    """Median and spread of repeated measurements (seconds, or any unit)."""

    median: float
    min: float
    max: float

    @classmethod
    def of(cls, samples: list[float]) -> Stat:
        return cls(median=median(samples), min=min(samples), max=max(samples))


@dataclass
class Row:
    """One line of the results table: ours against the baselines of the same run."""

    workload: str
    size: int | None
    unit: str
    ours: Stat
    baselines: dict[str, float] = field(default_factory=dict)
    bar: str = ""
    met: bool | None = None
    note: str = ""
    section: str = ""

    def ratio(self, baseline: str) -> float | None:
        """How many times faster (or smaller) ours is than `baseline` (>1 is better for time/size)."""
        value = self.baselines.get(baseline)
        if value is None or self.ours.median == 0:
            return None
        if self.unit.endswith("/s"):
            return self.ours.median / value
        return value / self.ours.median

    @classmethod
    def from_json(cls, data: dict) -> Row:
        fields = {k: v for k, v in data.items() if k != "ratios"}
        return cls(**{**fields, "ours": Stat(**fields["ours"])})

    def to_json(self) -> dict:
        out = asdict(self)
        out["ratios"] = {name: self.ratio(name) for name in self.baselines}
        return out


def repeat(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of `repeats` calls of `fn`, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def machine() -> dict:
    """What the numbers were measured on."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
    }


def run_in_venv(venv: Path, script: Path, args: dict, timeout: float) -> dict:
    """Runs a helper script in another virtual environment and returns its JSON output."""
    python = venv / "bin" / "python"
    proc = subprocess.run(
        [str(python), str(script), json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{script.name} failed in {venv}:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ensure_venv(venv: Path, packages: list[str]) -> str | None:
    """Creates `venv` (reusing the system's torch) with `packages`; returns why not, or None."""
    python = venv / "bin" / "python"
    if TINY:
        return None if python.exists() else f"skipped in tiny mode ({venv} not set up)"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *packages],
            check=True,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return f"could not install {' '.join(packages)}: {str(detail).strip()[-300:]}"
    return None
