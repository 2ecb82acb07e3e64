"""Micro-benchmarks of the native store against Polars, measured in the same run.

Prints medians of repeated runs:
  - append: one metric row per Python call (vs appending to lists + one pl.DataFrame)
  - extend: batched numpy columns (vs pl.DataFrame per batch + pl.concat)
  - nbytes: bytes per metric row (vs DataFrame.estimated_size)
  - query: where(epoch=k) + collapse(by=(epoch, label), mean) on a losses table,
    and where(name=x) on a metrics table, each vs the same filter (+ group_by) in Polars

Usage: python benches/bench_store.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from modularml import _store

METRICS = [("name", "str"), ("epoch", "int"), ("batch", "int"), ("value", "f64")]
LOSSES = [
    ("node", "str"),
    ("label", "str"),
    ("epoch", "int"),
    ("batch", "int"),
    ("trainable", "f64?"),
    ("auxiliary", "f64?"),
]
NAMES = ["loss", "acc", "lr", "grad_norm"]


def median_seconds(
    ours: Callable[[], object], polars: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median wall times of `repeats` calls of each, interleaved so that load
    from other processes hits both sides alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for run, out in ((ours, times[0]), (polars, times[1])):
            gc.collect()
            # Let Polars' worker threads stop spinning before the next timing.
            time.sleep(0.02)
            start = time.perf_counter()
            run()
            out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


# (label, ours, polars, unit) of every row printed, for benches/run.py
RESULTS: list[tuple[str, float, float, str]] = []


def row(label: str, ours: float, polars: float, unit: str, lower_is_better: bool = True) -> None:
    RESULTS.append((label, ours, polars, unit))
    ratio = polars / ours if lower_is_better else ours / polars
    print(f"{label:<38} {ours:>12.4g} {polars:>12.4g} {unit:<10} {ratio:>9.1f}x")


def bench_append(n: int, repeats: int) -> None:
    names = [NAMES[i % 4] for i in range(n)]

    def ours() -> None:
        table = _store.Table(METRICS)
        append = table.append
        for i in range(n):
            append(names[i], i >> 12, i, 0.5)

    def polars() -> None:
        cols: tuple[list, list, list, list] = ([], [], [], [])
        for i in range(n):
            cols[0].append(names[i])
            cols[1].append(i >> 12)
            cols[2].append(i)
            cols[3].append(0.5)
        pl.DataFrame(dict(zip(("name", "epoch", "batch", "value"), cols, strict=True)))

    us = 1e6 / n
    mine, theirs = median_seconds(ours, polars, repeats)
    row(f"append, per call (n={n:.0e})", mine * us, theirs * us, "us/row")


def bench_extend(n: int, batch: int, repeats: int) -> None:
    values = np.random.default_rng(0).random(batch)
    batches = np.arange(batch, dtype=np.int64)

    def ours() -> None:
        table = _store.Table(METRICS)
        for k in range(n // batch):
            table.extend({"name": "loss", "epoch": k, "batch": batches, "value": values})

    def polars() -> None:
        frames = [
            pl.DataFrame({"name": "loss", "epoch": k, "batch": batches, "value": values})
            for k in range(n // batch)
        ]
        pl.concat(frames, rechunk=False)

    scale = 1e-6 * n * 2  # two array columns of values per row
    mine, theirs = median_seconds(ours, polars, repeats)
    ours_rate, polars_rate = scale / mine, scale / theirs
    row(
        f"extend, numpy batches of {batch} (n={n:.0e})",
        ours_rate,
        polars_rate,
        "M values/s",
        lower_is_better=False,
    )


def metrics_data(n: int) -> dict[str, object]:
    return {
        "name": np.array(NAMES)[np.arange(n) % 4].tolist(),
        "epoch": np.arange(n, dtype=np.int64) // max(1, n // 100),
        "batch": np.arange(n, dtype=np.int64) % 1000,
        "value": np.random.default_rng(1).random(n),
    }


def bench_nbytes(n: int) -> None:
    table = _store.Table(METRICS)
    data = metrics_data(n)
    table.extend(data)
    frame = pl.DataFrame(data, schema_overrides={"name": pl.Categorical})
    row(
        f"memory per metric row (n={n:.0e})",
        table.nbytes() / n,
        frame.estimated_size() / n,
        "bytes/row",
    )


def losses_data(n: int) -> dict[str, object]:
    epochs = max(1, min(100, n // 100))
    rng = np.random.default_rng(2)
    trainable = rng.random(n)
    auxiliary = (
        [None if i % 3 == 0 else float(i) for i in range(n)] if n <= 10**5 else rng.random(n)
    )
    return {
        "node": "mse",
        "label": np.array(["train", "val"])[(np.arange(n) % 10 == 9).astype(int)].tolist(),
        "epoch": np.arange(n, dtype=np.int64) * epochs // n,
        "batch": np.arange(n, dtype=np.int64) % 1000,
        "trainable": trainable,
        "auxiliary": auxiliary,
    }


def bench_query(n: int, repeats: int) -> None:
    data = losses_data(n)
    table = _store.Table(LOSSES)
    table.extend(data)
    view = table.view()
    frame = pl.DataFrame(view.to_arrow())
    k = int(data["epoch"][len(data["epoch"]) // 2])  # type: ignore[index]
    del data  # large Python lists make every gc.collect() slow

    def ours() -> object:
        return view.where_in("epoch", [k]).collapse(["epoch", "label"], "mean")

    def polars() -> object:
        return (
            frame.filter(pl.col("epoch") == k)
            .group_by(["epoch", "label"], maintain_order=True)
            .agg(pl.col("trainable").mean(), pl.col("auxiliary").mean())
        )

    # Same groups, same values up to summation order.
    assert_frame_equal(pl.DataFrame(ours().to_arrow()), polars())  # type: ignore[attr-defined]
    us = 1e6
    mine, theirs = median_seconds(ours, polars, repeats)
    row(f"where(epoch=k)+collapse mean (n={n:.0e})", mine * us, theirs * us, "us")


def bench_where_name(n: int, repeats: int) -> None:
    table = _store.Table(METRICS)
    table.extend(metrics_data(n))
    view = table.view()
    frame = pl.DataFrame(view.to_arrow())

    def ours() -> object:
        return pl.DataFrame(view.where_in("name", ["lr"]).to_arrow())

    def polars() -> object:
        return frame.filter(pl.col("name") == "lr")

    assert ours().equals(polars())  # type: ignore[attr-defined]
    us = 1e6
    mine, theirs = median_seconds(ours, polars, repeats)
    row(f"where(name=x) -> DataFrame (n={n:.0e})", mine * us, theirs * us, "us")


def run_all(quick: bool, tiny: bool = False) -> None:
    sizes = [10**3, 10**4, 10**5] if quick else [10**3, 10**4, 10**5, 10**6, 10**7]
    repeats = 3 if quick else 7
    if tiny:
        sizes, repeats = [10**3, 10**4], 1
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# {os.cpu_count()} CPUs, load average {load}; medians of {repeats} runs")
    print(f"{'benchmark':<38} {'modularml':>12} {'polars':>12} {'unit':<10} {'speedup':>10}")
    bench_append(10**4 if tiny else 10**5 if quick else 10**6, repeats)
    bench_extend(10**5 if tiny else 10**6 if quick else 10**7, 10**4, repeats)
    for n in sizes[-2:]:
        bench_nbytes(n)
    for n in sizes:
        bench_query(n, repeats)
    for n in sizes:
        bench_where_name(n, repeats)


BARS = {  # label prefix -> (bar, test on ours)
    "append, per call": ("<= 0.5 us/row", lambda ours: ours <= 0.5),
    "extend, numpy": (">= 50 M values/s", lambda ours: ours >= 50),
    "memory per metric row": ("<= 32 bytes/row", lambda ours: ours <= 32),
}


def run(quick: bool) -> list:
    """Rows for benches/run.py (medians; Polars measured in the same run)."""
    import common
    from common import Row, Stat

    RESULTS.clear()
    run_all(quick, tiny=common.TINY)
    rows = []
    for label, ours, polars, unit in RESULTS:
        bar, met = next(((b, test(ours)) for p, (b, test) in BARS.items() if label.startswith(p)), ("", None))
        if label.startswith("memory") and int(label.rsplit("e+", 1)[1].rstrip(")")) < 6:
            bar, met = "", None  # the bar is for large tables (chunk overhead amortised)
        if label.startswith("where(epoch=k)") and "n=1e+07" in label:
            bar, met = "<= polars at 1e7", ours <= polars
        rows.append(Row(f"store: {label}", None, unit, Stat(ours, ours, ours), {"polars": polars}, bar, met))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    run_all(parser.parse_args().quick)


if __name__ == "__main__":
    main()
