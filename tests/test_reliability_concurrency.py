"""Several Python threads logging and querying one PhaseResults at once (the store releases
the GIL for writes and queries): nothing is lost, and every query sees a consistent
snapshot (whole batches, never a torn one)."""

from __future__ import annotations

import threading

import numpy as np

from modularml._store import Table
from modularml.results import TrainResults

WRITERS, BATCHES, PER_BATCH = 4, 2000, 50


def _write(results, worker: int, errors: list) -> None:
    try:
        for b in range(BATCHES):
            results.log_metrics(
                np.full(PER_BATCH, float(worker)), names=f"w{worker}", epoch_idx=b,
                batch_idx=np.arange(PER_BATCH),
            )
            results.log_metric("single", float(worker), b, worker)
    except BaseException as err:  # pragma: no cover - reported by the test
        errors.append(err)


def _query(results, stop: threading.Event, seen_lengths: list, errors: list) -> None:
    try:
        while not stop.is_set():
            frame = results.metrics().to_polars()
            counts = frame.group_by("name", "epoch").len()
            bulk = counts.filter(counts["name"] != "single")
            # batched appends are all-or-nothing: a snapshot never holds part of one
            assert set(bulk["len"].to_list()) <= {PER_BATCH}
            seen_lengths.append(frame.height)
            assert len(results.metrics().where(name="w0")) % PER_BATCH == 0
    except BaseException as err:  # pragma: no cover - reported by the test
        errors.append(err)


def test_threads_logging_and_querying_lose_nothing_and_see_whole_batches():
    results = TrainResults(label="t")
    errors: list[BaseException] = []
    stop = threading.Event()
    seen_lengths: list[list[int]] = [[], []]  # per reader: each one's snapshots only grow
    writers = [threading.Thread(target=_write, args=(results, w, errors)) for w in range(WRITERS)]
    readers = [
        threading.Thread(target=_query, args=(results, stop, seen, errors)) for seen in seen_lengths
    ]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert not errors, errors
    assert results.metrics().to_polars().height == WRITERS * BATCHES * (PER_BATCH + 1)
    for w in range(WRITERS):
        bulk = results.metrics().where(name=f"w{w}")
        assert len(bulk) == BATCHES * PER_BATCH
        assert bulk.to_polars()["value"].sum() == w * BATCHES * PER_BATCH
    assert len(results.metrics().where(name="single")) == WRITERS * BATCHES
    assert all(seen and seen == sorted(seen) for seen in seen_lengths)


def test_native_table_appends_from_threads_are_exact_and_views_are_snapshots():
    table = Table([("k", "int"), ("v", "f64")])
    n_threads, per_thread = 4, 5000

    def append(worker: int) -> None:
        for i in range(per_thread):
            table.append(worker, float(i))

    snapshots = []
    threads = [threading.Thread(target=append, args=(w,)) for w in range(n_threads)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        view = table.view()
        snapshots.append((len(view), view))
    for t in threads:
        t.join()
    assert len(table) == n_threads * per_thread
    for length, view in snapshots:  # a view never grows after it was taken
        assert len(view) == length and len(view.column("v")) == length
    sums = table.view().collapse(["k"], "sum")
    assert sorted(sums.column("v")) == [float(sum(range(per_thread)))] * n_threads
