"""Artifact packs through the Python API: round trips, compression, damage."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from modularml import _store


def artifacts() -> list[tuple[bytes, str]]:
    rng = np.random.default_rng(0)
    return [
        (np.arange(10_000, dtype=np.float64).tobytes(), "npy"),
        (rng.random(10_000).tobytes(), "npy"),
        (b"", "empty"),
        ('{"ü": [1, 2]}'.encode(), "json"),
        (os.urandom(3000), "png"),
    ]


def write(path: Path) -> list[tuple[bytes, str]]:
    expected = artifacts()
    with _store.PackWriter(path) as writer:
        ids = [writer.put(data, codec) for data, codec in expected]
        assert len(writer) == len(expected)
    assert ids == list(range(len(expected)))
    return expected


def test_artifacts_round_trip_with_their_codec_tags(tmp_path: Path):
    path = tmp_path / "artifacts.pack"
    expected = write(path)
    reader = _store.PackReader(path)
    assert len(reader) == len(expected) and reader.ids() == list(range(len(expected)))
    assert [reader.get(i) for i in range(len(expected))] == expected
    assert reader.corrupt == [] and reader.verify() == []
    raw = sum(len(data) for data, _ in expected)
    assert path.stat().st_size < raw - 50_000, "the arange array was not compressed"
    with pytest.raises(IndexError, match="unknown artifact record 9"):
        reader.get(9)


def test_a_pack_is_never_overwritten(tmp_path: Path):
    path = tmp_path / "artifacts.pack"
    write(path)
    with pytest.raises(FileExistsError):
        _store.PackWriter(path)


def test_records_put_after_the_last_flush_survive_a_lost_index(tmp_path: Path):
    path = tmp_path / "artifacts.pack"
    expected = write(path)
    Path(f"{path}.idx").unlink()
    assert [_store.PackReader(path).get(i) for i in range(len(expected))] == expected


def test_a_flipped_byte_names_the_record_file_and_offset(tmp_path: Path):
    path = tmp_path / "artifacts.pack"
    expected = write(path)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # inside the last record
    path.write_bytes(bytes(data))
    reader = _store.PackReader(path)
    last = len(expected) - 1
    with pytest.raises(
        _store.CorruptFileError, match=rf"record {last}: .*artifacts.pack.*offset \d+"
    ):
        reader.get(last)
    assert [reader.get(i) for i in range(last)] == expected[:last]
    assert len(reader.verify()) == 1


def test_a_damaged_index_is_reported_and_records_still_read(tmp_path: Path):
    path = tmp_path / "artifacts.pack"
    expected = write(path)
    index = Path(f"{path}.idx")
    damaged = bytearray(index.read_bytes())
    damaged[25] ^= 0x01
    index.write_bytes(bytes(damaged))
    reader = _store.PackReader(path)
    assert len(reader.corrupt) == 1 and "artifacts.pack.idx" in reader.corrupt[0]
    assert [reader.get(i) for i in range(len(expected))] == expected


def test_put_after_close_and_bad_codec_are_value_errors(tmp_path: Path):
    writer = _store.PackWriter(tmp_path / "a.pack")
    with pytest.raises(ValueError, match="codec tag"):
        writer.put(b"x", "c" * 300)
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.put(b"x", "raw")
