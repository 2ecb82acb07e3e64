"""Runs the whole benchmark suite and writes benches/results/latest.{md,json}.

    python benches/run.py            # full suite (tens of minutes)
    python benches/run.py --quick    # small sizes, under two minutes

Every comparison is a ratio measured in the same run: against the reference
package (modularml==1.0.0, installed into its own virtual environment because it
has the same import name), a hand-written torch loop, Polars on an in-memory
DataFrame, and peer loggers (TensorBoard, MLflow) where they install.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import common  # noqa: E402
from common import Row, machine  # noqa: E402

# module name -> what it measures; each exposes run(quick: bool) -> list[Row]
SECTIONS = {
    "bench_store": "native store: append, batched append, bytes per record",
    "bench_queries": "seed queries vs the reference and Polars",
    "bench_train_step": "training-step overhead vs raw torch and the reference",
    "bench_disk": "durable logging, artifact writes, reopen",
    "bench_peers": "scalar logging vs TensorBoard and MLflow",
    "bench_seed": "the seed example end to end vs the reference",
    "bench_ddp": "step time per rank at 1 and 2 gloo ranks (report only)",
}

RESULTS_DIR = Path(__file__).parent / "results"


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return _seconds(value)
    if abs(value) >= 1e6:
        return f"{value / 1e6:.2f}M {unit}"
    return f"{value:.3g} {unit}"


def _seconds(value: float) -> str:
    for scale, suffix in ((1, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {suffix}"
    return f"{value * 1e9:.3g} ns"


def markdown(rows: list[Row], info: dict, quick: bool) -> str:
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, "
        f"Python {info['python']}, torch {info['torch']}. Mode: {'quick' if quick else 'full'}.",
        "Ratio: how many times faster (or smaller) ours is than the baseline; below 1 means slower.",
        "",
        "| workload | size | ours: median [min-max] | baselines (same run) | ratio | bar | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        spread = f"{fmt(row.ours.median, row.unit)} [{fmt(row.ours.min, row.unit)}-{fmt(row.ours.max, row.unit)}]"
        base = "; ".join(f"{k}: {fmt(v, row.unit)}" for k, v in row.baselines.items()) or "-"
        ratios = "; ".join(f"{r:.3g}x vs {k}" for k, r in ((k, row.ratio(k)) for k in row.baselines) if r) or "-"
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        size = f"{row.size:.0e}" if row.size else ""
        note = f" ({row.note})" if row.note else ""
        lines.append(f"| {row.workload}{note} | {size} | {spread} | {base} | {ratios} | {row.bar} | {met} |")
    return "\n".join(lines) + "\n"


def _keep_other_sections(path: Path, rerun: list[str], quick: bool) -> list[Row]:
    """Rows of the sections not rerun, from the last report of the same mode."""
    if not path.exists():
        return []
    old = json.loads(path.read_text())
    if old.get("quick") != quick:
        return []
    return [Row.from_json(r) for r in old["rows"] if r.get("section") not in rerun]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under two minutes")
    parser.add_argument("--tiny", action="store_true", help="smoke run at the smallest sizes (tests)")
    parser.add_argument("--only", nargs="*", choices=sorted(SECTIONS), help="run only these sections")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where latest.md / latest.json go")
    args = parser.parse_args()
    common.TINY = args.tiny
    quick = args.quick or args.tiny

    rows: list[Row] = []
    failures: dict[str, str] = {}
    for name in args.only or SECTIONS:
        t0 = time.perf_counter()
        print(f"== {name}: {SECTIONS[name]}", flush=True)
        try:
            for row in importlib.import_module(name).run(quick=quick):
                row.section = name
                rows.append(row)
        except Exception as exc:  # one broken section must not hide the others
            failures[name] = f"{type(exc).__name__}: {exc}"
            print(f"   FAILED: {failures[name]}", flush=True)
        print(f"   {time.perf_counter() - t0:.1f}s", flush=True)

    info = machine()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only:
        rows = _keep_other_sections(args.out / "latest.json", args.only, quick) + rows
    table = markdown(rows, info, quick)
    if failures:
        table += "\nFailed sections: " + "; ".join(f"{k}: {v}" for k, v in failures.items()) + "\n"
    (args.out / "latest.md").write_text(table)
    payload = {"machine": info, "quick": quick, "tiny": args.tiny, "rows": [r.to_json() for r in rows], "failures": failures}
    (args.out / "latest.json").write_text(json.dumps(payload, indent=2))
    print(table)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
