"""Bounded mutation testing of every on-disk reader through the Python API.

Thousands of corrupted and truncated files: every reader either returns the valid
prefix (with a defect message) or raises an OSError subclass (CorruptFileError), never
crashes the interpreter, hangs, or returns rows that were not written.
"""

from __future__ import annotations

import random
import time

import pytest

from modularml._store import (
    CorruptFileError,
    PackReader,
    PackWriter,
    TableLog,
    compact_log,
    read_log,
    verify_table,
)

SCHEMA = [("name", "str"), ("epoch", "int"), ("value", "f64"), ("aux", "f64?"), ("obj", "obj")]
TIME_BUDGET_S = 12.0  # per reader; the loops stop early rather than run long


def _rows(start: int, n: int) -> dict[str, list]:
    return {
        "name": [f"m{(start + i) % 3}" if i % 5 else None for i in range(n)],
        "epoch": [start + i if i % 4 else None for i in range(n)],
        "value": [float(start + i) for i in range(n)],
        "aux": [None if i % 2 else 0.5 * i for i in range(n)],
        "obj": [start + i for i in range(n)],
    }


@pytest.fixture(scope="module")
def log_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("log") / "metrics.log"
    with TableLog(path, SCHEMA) as log:
        for k in range(3):  # three batch frames after the schema frame
            log.append(_rows(10 * k, 4))
            log.flush(durable=False)
    return path.read_bytes()


@pytest.fixture(scope="module")
def pack_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "artifacts.pack"
    with PackWriter(path) as pack:
        pack.put(b"small", "raw")
        pack.put(bytes(range(256)) * 8, "npy")  # compressible: a zstd record
        pack.put(b"x" * 40, "json")
    return path.read_bytes(), (path.parent / "artifacts.pack.idx").read_bytes()


def _mutations(data: bytes, rng: random.Random, count: int):
    """Single-byte flips and overwrites, byte runs, insertions, deletions, splices."""
    n = len(data)
    for _ in range(count):
        buf = bytearray(data)
        kind = rng.randrange(5)
        at = rng.randrange(n)
        if kind == 0:
            buf[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            buf[at] = rng.randrange(256)
        elif kind == 2:
            buf[at : at + rng.randrange(1, 16)] = bytes(rng.randrange(256) for _ in range(8))
        elif kind == 3:
            del buf[at : at + rng.randrange(1, 32)]
        else:
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 24)))
        yield bytes(buf)


def _check_log(path, written: dict[str, list]) -> str:
    try:
        columns, defect = read_log(path)
    except OSError as err:  # CorruptFileError or a real I/O error: both are OSError
        return f"raised:{type(err).__name__}"
    rows = len(columns["value"]) if columns else 0
    for name, values in (columns or {}).items():
        # the valid prefix is a prefix of what was written, never invented rows
        assert values == written[name][: len(values)], name
    return "prefix" if defect is None and rows == len(written["value"]) else "defect"


def test_log_reader_survives_every_truncation_and_thousands_of_mutations(tmp_path, log_bytes):
    written = {k: sum((_rows(10 * j, 4)[k] for j in range(3)), []) for k, _ in SCHEMA}
    path = tmp_path / "m.log"
    outcomes: dict[str, int] = {}
    for cut in range(len(log_bytes)):  # truncation at every offset
        path.write_bytes(log_bytes[:cut])
        outcome = _check_log(path, written)
        assert outcome != "prefix" or cut == len(log_bytes)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    rng, deadline, done = random.Random(8), time.monotonic() + TIME_BUDGET_S, 0
    for mutated in _mutations(log_bytes, rng, 4000):
        path.write_bytes(mutated)
        outcome = _check_log(path, written)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        done += 1
        if time.monotonic() > deadline:
            break
    assert done >= 1000, f"only {done} mutations in the time budget"
    assert outcomes.get("defect", 0) > 0


def test_log_reopen_for_append_after_damage_cuts_the_tail_or_raises(tmp_path, log_bytes):
    rng = random.Random(9)
    path = tmp_path / "m.log"
    for mutated in _mutations(log_bytes, rng, 300):
        path.write_bytes(mutated)
        try:
            with TableLog(path, SCHEMA) as log:
                log.append(_rows(100, 2))
        except (OSError, ValueError, TypeError):  # damage or schema mismatch: a clear error
            continue
        columns, _ = read_log(path)
        assert columns["value"][-2:] == [100.0, 101.0] or columns["value"] == []


def test_compaction_of_damaged_logs_never_crashes(tmp_path, log_bytes):
    rng = random.Random(10)
    path, out = tmp_path / "m.log", tmp_path / "m.arrow"
    for i, mutated in enumerate(_mutations(log_bytes, rng, 300)):
        path.write_bytes(mutated)
        target = out.with_name(f"m{i}.arrow")
        try:
            compact_log(path, target)
        except OSError:
            continue
        assert verify_table(target) is None


def _check_pack(path) -> None:
    try:
        reader = PackReader(path)
    except OSError:
        return
    for record in reader.ids():
        try:
            data, codec = reader.get(record)
        except OSError:
            continue
        assert isinstance(data, bytes) and isinstance(codec, str)
    assert all(isinstance(m, str) for m in reader.verify())
    with pytest.raises(IndexError):
        reader.get(10**9)


def test_pack_reader_survives_truncation_and_mutation_of_pack_and_index(tmp_path, pack_bytes):
    pack, index = pack_bytes
    path = tmp_path / "a.pack"
    index_path = tmp_path / "a.pack.idx"
    for cut in range(0, len(pack), 3):
        path.write_bytes(pack[:cut])
        index_path.write_bytes(index)
        _check_pack(path)
    for cut in range(len(index)):
        path.write_bytes(pack)
        index_path.write_bytes(index[:cut])
        _check_pack(path)
    rng, deadline, done = random.Random(11), time.monotonic() + TIME_BUDGET_S, 0
    for mutated_pack, mutated_index in zip(
        _mutations(pack, rng, 2000), _mutations(index, rng, 2000), strict=True
    ):
        path.write_bytes(mutated_pack if done % 2 else pack)
        index_path.write_bytes(mutated_index if done % 3 == 0 else index)
        _check_pack(path)
        done += 1
        if time.monotonic() > deadline:
            break
    assert done >= 1000


def test_a_record_flip_is_reported_by_get_as_corrupt_file_error(tmp_path, pack_bytes):
    pack, index = pack_bytes
    path = tmp_path / "a.pack"
    bad = bytearray(pack)
    bad[-3] ^= 0xFF  # inside the last record's payload
    path.write_bytes(bytes(bad))
    (tmp_path / "a.pack.idx").write_bytes(index)
    reader = PackReader(path)
    last = reader.ids()[-1]
    with pytest.raises(CorruptFileError, match=str(path.name)):
        reader.get(last)
    assert reader.get(reader.ids()[0]) == (b"small", "raw")


def test_checksum_sidecar_catches_every_sampled_flip_in_a_compacted_table(tmp_path, log_bytes):
    log, table = tmp_path / "m.log", tmp_path / "m.arrow"
    log.write_bytes(log_bytes)
    compact_log(log, table)
    data = table.read_bytes()
    rng = random.Random(12)
    for at in rng.sample(range(len(data)), min(400, len(data))):
        bad = bytearray(data)
        bad[at] ^= 0x10
        table.write_bytes(bytes(bad))
        assert verify_table(table) is not None
    table.write_bytes(data[:-1])
    assert verify_table(table) is not None
