"""On-disk format: durable logging rate, artifact put latency, reopen time.

Prints medians of repeated runs. Bars (DESIGN.md): durable metric logging
>= 1e6 records/s; an 80 KB array artifact written in <= 100 us as seen by the
training thread; reopening 1e7 records in < 1 s.

Run: python benches/bench_disk.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from modularml import _store

SCHEMA = [("name", "str"), ("epoch", "int"), ("batch", "int"), ("value", "f64")]


def metric_rows(count: int, epoch: int) -> dict[str, list]:
    return {
        "name": [f"metric_{i % 8}" for i in range(count)],
        "epoch": [epoch] * count,
        "batch": list(range(count)),
        "value": [i * 1e-3 for i in range(count)],
    }


def median_of(repeats: int, run: Callable[[], float]) -> float:
    return statistics.median(run() for _ in range(repeats))


def durable_log_rate(directory: Path, records: int, chunk: int, per_flush: int) -> float:
    """Records/s appending `chunk` rows per call, flush(durable=True) every `per_flush` rows."""
    rows = metric_rows(chunk, 0)
    path = directory / f"rate-{time.perf_counter_ns()}.log"
    start = time.perf_counter()
    log = _store.TableLog(path, SCHEMA)
    for done in range(chunk, records + 1, chunk):
        log.append(rows)
        if done % per_flush == 0:
            log.flush(durable=True)
    log.close()
    elapsed = time.perf_counter() - start
    path.unlink()
    return records / elapsed


def artifact_put_latencies(directory: Path, count: int) -> list[float]:
    """Seconds per put of an 80 KB float64 array (tobytes + put), 0.5 ms of "training" between."""
    array = np.random.default_rng(0).random(10_000)
    writer = _store.PackWriter(directory / f"artifacts-{time.perf_counter_ns()}.pack")
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        writer.put(array.tobytes(), "npy")
        latencies.append(time.perf_counter() - start)
        busy_until = time.perf_counter() + 5e-4
        while time.perf_counter() < busy_until:
            pass
    writer.close()  # not on the training thread's hot path
    return latencies


def write_big_log(path: Path, records: int) -> None:
    chunk = min(records, 1_000_000)
    rows = metric_rows(chunk, 0)
    with _store.TableLog(path, SCHEMA) as log:
        for _ in range(records // chunk):
            log.append(rows)


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def reopen_times(directory: Path, records: int, repeats: int) -> dict[str, float]:
    log_path, ipc_path = directory / "big.log", directory / "big.arrow"
    parquet_path = directory / "big.parquet"
    write_big_log(log_path, records)
    _store.compact_log(log_path, ipc_path)
    _store.compact_log(log_path, parquet_path, format="parquet")
    assert pl.scan_ipc(ipc_path).select(pl.len()).collect().item() == records
    return {
        "scan compacted IPC (pl.scan_ipc().collect())": median_of(
            repeats, lambda: timed(lambda: pl.scan_ipc(ipc_path).collect())
        ),
        "scan compacted Parquet (pl.scan_parquet().collect())": median_of(
            repeats, lambda: timed(lambda: pl.scan_parquet(parquet_path).collect())
        ),
        "compact a crashed log to IPC (compact_log)": median_of(
            repeats, lambda: timed(lambda: _store.compact_log(log_path, ipc_path))
        ),
        "compact a crashed log to Parquet": median_of(
            repeats,
            lambda: timed(lambda: _store.compact_log(log_path, parquet_path, format="parquet")),
        ),
        "read_log -> Python lists": median_of(
            repeats, lambda: timed(lambda: _store.read_log(log_path))
        ),
    }


# -- through the results layer (ResultsConfig(results_dir=...)) ----------------------------


def open_phase(directory: Path) -> tuple[Any, Any]:
    """A TrainResults writing to a fresh results directory, and its RunRecorder."""
    from modularml.results import ResultsConfig, TrainResults
    from modularml.results.run_dir import RunRecorder

    root = directory / f"res-{time.perf_counter_ns()}"
    recorder = RunRecorder(ResultsConfig(results_dir=root), "bench", "bench")
    results = TrainResults("bench")
    recorder.attach(results, [])
    return results, recorder


def results_log_rate(directory: Path, records: int, per_call: int, per_flush: int) -> float:
    """Records/s through `log_metrics` (``per_call`` values a call; 1 = `log_metric`),
    flush(durable=True) every ``per_flush`` records, final flush included."""
    results, recorder = open_phase(directory)
    values, batches = np.arange(per_call, dtype=float), np.arange(per_call)
    start = time.perf_counter()
    for done in range(per_call, records + 1, per_call):
        if per_call == 1:
            results.log_metric("loss", 0.5, 0, done)
        else:
            results.log_metrics(values, names="loss", epoch_idx=0, batch_idx=batches)
        if done % per_flush == 0:
            results.flush(durable=True)
    results.flush(durable=True)
    elapsed = time.perf_counter() - start
    recorder.phase_done(results, "completed")
    return records / elapsed


def results_artifact_latencies(directory: Path, count: int) -> list[float]:
    """Seconds per `log_artifact` of an 80 KB float64 array on a disk-backed phase."""
    results, recorder = open_phase(directory)
    array = np.random.default_rng(0).random(10_000)
    latencies = []
    for i in range(count):
        start = time.perf_counter()
        results.log_artifact("arr", array, i)
        latencies.append(time.perf_counter() - start)
        busy_until = time.perf_counter() + 5e-4
        while time.perf_counter() < busy_until:
            pass
    recorder.phase_done(results, "completed")
    return latencies


def results_reopen_time(directory: Path, records: int, repeats: int) -> float:
    """Seconds for `open_results` of a run of ``records`` metrics, counted."""
    from modularml import open_results

    results, recorder = open_phase(directory)
    chunk = min(records, 1_000_000)
    names = [f"metric_{i % 8}" for i in range(chunk)]
    for epoch in range(records // chunk):
        results.log_metrics(np.arange(chunk, dtype=float), names=names, epoch_idx=epoch,
                            batch_idx=np.arange(chunk))
    recorder.phase_done(results, "completed")
    del results

    def reopen() -> float:
        start = time.perf_counter()
        opened = open_results(recorder.root)
        assert len(opened.runs[0].results.metrics()) == records
        return time.perf_counter() - start

    return median_of(repeats, reopen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    quick = parser.parse_args().quick
    records, reopen_records, repeats = (
        (200_000, 100_000, 3) if quick else (2_000_000, 10_000_000, 5)
    )
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        per_epoch = median_of(
            repeats, lambda: durable_log_rate(directory, records, 10_000, 100_000)
        )
        per_batch = median_of(
            repeats, lambda: durable_log_rate(directory, records // 10, 1_000, 1_000)
        )
        print(
            f"durable logging, fsync per 100k records: {per_epoch / 1e6:8.2f} M records/s  (bar >= 1)"
        )
        print(f"durable logging, fsync per 1k records:   {per_batch / 1e6:8.2f} M records/s")
        latencies = sorted(artifact_put_latencies(directory, 200 if quick else 1000))
        p50 = statistics.median(latencies) * 1e6
        p99 = latencies[int(len(latencies) * 0.99)] * 1e6
        print(
            f"80 KB artifact put (caller):   median {p50:7.1f} us, p99 {p99:7.1f} us  (bar <= 100)"
        )
        for what, seconds in reopen_times(directory, reopen_records, repeats).items():
            print(f"reopen {reopen_records:.0e} records, {what}: {seconds:6.3f} s  (bar < 1)")
        print("-- through the results layer (ResultsConfig(results_dir=...)) --")
        rate = median_of(repeats, lambda: results_log_rate(directory, records, 10_000, 100_000))
        print(f"log_metrics(10k array) + flush(durable) per 100k: {rate / 1e6:8.2f} M records/s (bar >= 1)")
        single = median_of(repeats, lambda: results_log_rate(directory, records // 10, 1, 10_000))
        print(f"log_metric(one) + flush(durable) per 10k:        {single / 1e6:8.2f} M records/s")
        latencies = sorted(results_artifact_latencies(directory, 200 if quick else 1000))
        p50 = statistics.median(latencies) * 1e6
        p99 = latencies[int(len(latencies) * 0.99)] * 1e6
        print(f"log_artifact 80 KB array (training thread): median {p50:7.1f} us, p99 {p99:7.1f} us (bar <= 100)")
        seconds = results_reopen_time(directory, reopen_records, repeats)
        print(f"open_results of {reopen_records:.0e} metric records: {seconds:6.3f} s  (bar < 1)")


if __name__ == "__main__":
    main()


def run(quick: bool) -> list:
    """Rows for benches/run.py (the native disk layer; medians)."""
    import common
    from common import Row, Stat

    records, reopen_records, repeats = (200_000, 100_000, 3) if quick else (2_000_000, 10_000_000, 5)
    if common.TINY:
        records, reopen_records, repeats = 20_000, 10_000, 1
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        rates = [durable_log_rate(directory, records, 10_000, 100_000) for _ in range(repeats)]
        latencies = sorted(artifact_put_latencies(directory, 20 if common.TINY else 200 if quick else 1000))
        reopen = reopen_times(directory, reopen_records, repeats)
    rate = Stat.of(rates)
    put = Stat.of([s * 1e6 for s in latencies])
    rows = [
        Row("durable metric logging (TableLog, fsync per 100k)", records, "records/s", rate,
            bar=">= 1M records/s", met=rate.median >= 1e6),
        Row("80 KB array artifact put, seen by the caller", None, "us", put,
            bar="<= 100 us", met=put.median <= 100),
    ]
    for what, seconds in reopen.items():
        met = seconds < 1 if reopen_records >= 10_000_000 else None
        rows.append(Row(f"reopen: {what}", reopen_records, "s", Stat(seconds, seconds, seconds),
                        bar="< 1 s at 1e7", met=met))
    return rows
