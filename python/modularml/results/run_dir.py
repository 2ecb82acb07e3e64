"""RunRecorder: one experiment run's directory, manifest and phase writers.

Layout (see docs/internals.md, "On-disk layout")::

    <results_dir>/modularml-results.json          format marker and version
    <results_dir>/<run-slug>/manifest.json         rank 0; rewritten atomically
    <results_dir>/<run-slug>/rank=<r>/<phase-slug>/ *.log, objects.pack(.idx)
    <results_dir>/tables/<table>/run=<run-slug>/phase=<phase-slug>/rank=<r>/part-0.arrow
"""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from modularml import _store
from modularml.results.persist import PhaseWriter, saved_tables

FORMAT_NAME = "modularml-results"
FORMAT_VERSION = 1
MARKER = "modularml-results.json"
MANIFEST = "manifest.json"


class ResultsFormatError(ValueError):
    """A directory is not a results directory, or has a format this version cannot read."""


def check_marker(root: Path) -> None:
    """Raise ResultsFormatError unless ``root`` holds a marker of a readable version."""
    marker = root / MARKER
    try:
        info = json.loads(marker.read_text())
    except FileNotFoundError:
        raise ResultsFormatError(f"{root} is not a results directory (no {MARKER}).") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise ResultsFormatError(f"{marker} is not a valid format marker: {e}") from None
    valid = (isinstance(info, dict) and set(info) == {"format", "version"}
             and info["format"] == FORMAT_NAME and isinstance(info["version"], int))
    if not valid:
        raise ResultsFormatError(f"{marker} does not mark a modularml results directory.")
    if info["version"] > FORMAT_VERSION:
        raise ResultsFormatError(
            f"{root} has results format version {info['version']}; this modularml reads "
            f"up to version {FORMAT_VERSION}. Upgrade modularml to read it."
        )


def ensure_root(root: Path) -> None:
    """Create ``root`` and its marker, or check the marker of an existing one."""
    root.mkdir(parents=True, exist_ok=True)
    if (root / MARKER).exists():
        check_marker(root)
        return
    _store.write_json_atomic(root / MARKER, json.dumps(
        {"format": FORMAT_NAME, "version": FORMAT_VERSION}))


def manifest_text(body: dict[str, Any]) -> str:
    """The manifest as JSON with a CRC-32 of its canonical body (detects any changed byte)."""
    canonical = json.dumps(body, sort_keys=True)
    return json.dumps({"crc32": zlib.crc32(canonical.encode()), "body": body}, indent=1)


def read_manifest(path: Path) -> tuple[dict[str, Any], str | None]:
    """``(body, defect or None)``; a damaged manifest gives an empty body and the defect."""
    try:
        data = json.loads(path.read_text())
        body = data["body"]
        canonical = json.dumps(body, sort_keys=True)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        return {}, f"{path}: not a valid manifest ({e})"
    if zlib.crc32(canonical.encode()) != data.get("crc32"):
        return body, f"{path}: checksum mismatch (a byte changed after it was written)"
    return body, None


def _now() -> str:
    return datetime.now().isoformat()


class RunRecorder:
    """Writes one ExperimentRun (a phase or a group) under a results directory.

    Args:
        config: The experiment's ResultsConfig (``results_dir`` set).
        label: The run's label.
        experiment: The experiment's label.
        rank: This process's rank (DDP); rank 0 owns the manifest.
        world_size: Number of ranks writing this run (listed in the manifest).
        run_dir: The run directory rank 0 created (ranks other than 0 write their shard
            there; see `modularml.distributed.runs`); None creates a new one.
    """

    def __init__(self, config: Any, label: str, experiment: str, rank: int = 0, *,
                 world_size: int = 1, run_dir: str | Path | None = None) -> None:
        self.root = Path(config.results_dir)
        self._tables = saved_tables(config)
        self._format = config.table_format
        self.rank = rank
        if run_dir is None:
            ensure_root(self.root)
            run_dir = _store.create_run_dir(self.root, label)
        self.run_dir = Path(run_dir)
        self._writers: dict[int, tuple[PhaseWriter, dict[str, Any]]] = {}
        self._manifest: dict[str, Any] = {
            "format_version": FORMAT_VERSION, "label": label, "experiment": experiment,
            "status": "running", "started_at": _now(), "ended_at": None,
            "ranks": list(range(world_size)), "phases": [],
        }
        self._write()

    def _write(self) -> None:
        if self.rank == 0:
            _store.write_json_atomic(self.run_dir / MANIFEST, manifest_text(self._manifest))

    def attach(self, results: Any, group_path: list[str]) -> None:
        """Start writing ``results`` (a new phase of this run) to disk."""
        index = len(self._manifest["phases"])
        phase_slug = f"{index}-{_store.slug(results.label)}"
        directory = self.run_dir / f"rank={self.rank}" / phase_slug
        writer = PhaseWriter(results, directory, self._tables)
        entry = {"label": results.label, "class": type(results).__name__, "slug": phase_slug,
                 "groups": list(group_path), "status": "running", "files": {}}
        self._manifest["phases"].append(entry)
        self._writers[id(results)] = (writer, entry)
        results._writer = writer
        self._write()

    def phase_done(self, results: Any, status: str) -> None:
        """Close a phase's writer (final flush, compaction) and record its status."""
        found = self._writers.pop(id(results), None)
        if found is None:
            return
        writer, entry = found
        results._writer = None
        partition = [("run", self.run_dir.name), ("phase", entry["slug"]),
                     ("rank", str(self.rank))]
        entry["files"] = writer.close(self.root / "tables", partition, self._format)
        entry["status"] = status
        self._write()

    def finish(self, status: str) -> None:
        """Record the run's final status: "failed", else "completed" (an early stop too)."""
        self._manifest["status"] = "failed" if status == "failed" else "completed"
        self._manifest["ended_at"] = _now()
        self._write()
