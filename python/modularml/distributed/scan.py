"""`scan_results`: every compacted table of a results directory (or a sweep) as one LazyFrame."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

TABLES = ("metrics", "losses", "callbacks", "artifacts", "executions")


def scan_results(path: str | os.PathLike[str], table: str = "metrics") -> Any:
    """A `polars.LazyFrame` over one compacted table of every run, phase and rank.

    `path` is a results directory (`ResultsConfig(results_dir=...)`; a sweep is many runs
    in one), or a directory holding several of them. The partition columns `run`,
    `phase` and `rank` come from the hive-style paths
    (`tables/<table>/run=<run>/phase=<phase>/rank=<r>/part-0.parquet`), so the same
    files are read by `pl.scan_parquet(..., hive_partitioning=True)`, DuckDB
    (`read_parquet('.../**/*.parquet', hive_partitioning=true)`) or Spark. Runs written
    with `table_format="ipc"` are scanned with `pl.scan_ipc` instead. `run` is the run
    directory's name, unique within one results directory only: give the runs of a sweep
    spread over several results directories distinct labels.

    Raises:
        ValueError: unknown table.
        FileNotFoundError: no compacted table under `path` (runs still going, or killed
            before a phase ended, have none yet: use `open_results`).
    """
    import polars as pl

    if table not in TABLES:
        raise ValueError(f"Unknown table {table!r}; one of {TABLES}.")
    root = Path(path)
    frames = []
    for tables_dir in _tables_dirs(root, table):
        base = tables_dir / table
        if any(base.glob("**/*.parquet")):
            frames.append(pl.scan_parquet(base / "**" / "*.parquet", hive_partitioning=True,
                                          hive_schema=_hive_schema()))
        if any(base.glob("**/*.arrow")):
            frames.append(pl.scan_ipc(base / "**" / "*.arrow", hive_partitioning=True,
                                      hive_schema=_hive_schema()))
    if not frames:
        raise FileNotFoundError(f"No compacted {table!r} tables under {root}.")
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")


def _tables_dirs(root: Path, table: str) -> list[Path]:
    if (root / "tables" / table).is_dir():
        return [root / "tables"]
    return sorted(p.parent for p in root.glob(f"**/tables/{table}") if p.is_dir())


def _hive_schema() -> Any:
    import polars as pl

    return {"run": pl.String, "phase": pl.String, "rank": pl.Int64}
