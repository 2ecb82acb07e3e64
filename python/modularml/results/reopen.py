"""Reopening a results directory offline: `open_results(path)` -> ResultsDirectory."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from modularml import _store
from modularml.results import codecs
from modularml.results.experiment_run import ExperimentRun
from modularml.results.group_results import PhaseGroupResults
from modularml.results.persist import PACK_NAME, file_crc32
from modularml.results.records import ArtifactEntry
from modularml.results.run_dir import MANIFEST, check_marker, read_manifest

_SCOPE = ("kind", "label", "epoch", "batch", "edge")


class _Pack:
    """Lazy pack access for one phase shard; records decode on demand."""

    def __init__(self, path: Path, allow_pickle: bool, defects: list[str]) -> None:
        self.path = path
        self.allow_pickle = allow_pickle
        self._reader: Any = None
        self._defects = defects
        if path.exists():
            self._reader = _store.PackReader(path)
            defects.extend(f"{path}: {message}" for message in self._reader.corrupt)

    def raw(self, ref: int) -> tuple[bytes, str]:
        if self._reader is None:
            raise FileNotFoundError(f"{self.path} is missing")
        return self._reader.get(ref)

    def load(self, ref: int | None, what: str) -> Any:
        if ref is None:
            return None
        data, codec = self.raw(ref)
        return codecs.decode(data, codec, allow_pickle=self.allow_pickle, what=what)


class StoredExecution:
    """A recorded execution context read back from disk: its tensors, loaded lazily."""

    def __init__(self, pack: _Pack, ref: int, epoch_idx: int | None, batch_idx: int | None):
        self.epoch_idx = epoch_idx
        self.batch_idx = batch_idx
        self.losses = None
        self._pack, self._ref = pack, ref
        self._arrays: dict[str, Any] | None = None

    def _loaded(self) -> dict[str, Any]:
        if self._arrays is None:
            import torch

            arrays = self._pack.load(self._ref, "execution record")
            self._arrays = {key: torch.from_numpy(a) for key, a in arrays.items()}
        return self._arrays

    @property
    def outputs(self) -> dict[str, Any]:
        return {k.split("\x00")[0]: v for k, v in self._loaded().items()
                if k.endswith("\x00outputs")}

    def domain_data(self, node_label: str, domain: str) -> Any:
        """A node's "outputs", "targets" or "features" as recorded (CPU tensors)."""
        try:
            return self._loaded()[f"{node_label}\x00{domain}"]
        except KeyError:
            raise KeyError(f"no {domain!r} recorded for node {node_label!r}") from None

    def __repr__(self) -> str:
        return f"StoredExecution(epoch_idx={self.epoch_idx}, batch_idx={self.batch_idx})"


class UnavailableCallbackResult:
    """Placeholder for a callback result that could not be rebuilt from disk.

    Attributes:
        kind, callback_label, epoch_idx, batch_idx, edge: The result's scope.
        type_name: The original class.
        fields: The fields that were read back.
        reason: What was lost and why.
    """

    def __init__(self, scope: dict[str, Any], type_name: str, fields: dict[str, Any],
                 reason: str) -> None:
        self.kind = scope["kind"]
        self.callback_label = scope["label"]
        self.epoch_idx = scope["epoch"]
        self.batch_idx = scope["batch"]
        self.edge = scope["edge"]
        self.type_name = type_name
        self.fields = fields
        self.reason = reason

    def __repr__(self) -> str:
        return f"UnavailableCallbackResult({self.type_name}, kind={self.kind!r}: {self.reason})"


def _lazy_artifact(pack: _Pack, row: tuple[Any, ...]) -> ArtifactEntry:
    name, epoch, batch, ref, png = row
    return ArtifactEntry(
        name, epoch, batch,
        loader=lambda: pack.load(ref, f"artifact {name!r}"),
        png_loader=None if png is None else lambda: pack.load(png, "png"),
    )


class _PhaseLoader:
    """Reads one phase shard directory into a read-only PhaseResults."""

    def __init__(self, directory: Path, pack: _Pack, defects: list[str],
                 record: dict[str, Any] | None = None) -> None:
        self.directory = directory
        self.defects = defects
        self.pack = pack
        self.record = record  # a nested phase: its rows come from this record

    def load(self, cls: type, label: str) -> Any:
        results = cls(label)
        for name in ("metrics", "losses"):
            table = getattr(results, f"_{name}")
            path = self.directory / f"{name}.log"
            if self.record is not None:
                columns = self.record.get(name) or {}
                if any(columns.values()):
                    table.extend(columns)
            elif path.exists():
                self._defect(path, _store.load_log(path, table))
        self._load_artifacts(results)
        self._load_callbacks(results)
        self._load_executions(results)
        return results

    def _defect(self, path: Path, message: str | None) -> None:
        if message:
            self.defects.append(message if str(path) in message else f"{path}: {message}")

    def _rows(self, name: str) -> dict[str, list[Any]]:
        if self.record is not None:
            return self.record.get(name, {})
        path = self.directory / f"{name}.log"
        if not path.exists():
            return {}
        rows, defect = _store.read_log(path)
        self._defect(path, defect)
        return rows

    def _load_artifacts(self, results: Any) -> None:
        rows = self._rows("artifacts")
        columns = ("name", "epoch", "batch", "ref", "png")
        for row in zip(*(rows.get(c, []) for c in columns), strict=True):
            entry = _lazy_artifact(self.pack, row)
            results._artifacts.append(*row[:3], results._keep(entry))

    def _load_callbacks(self, results: Any) -> None:
        rows = self._rows("callbacks")
        for values in zip(*(rows.get(c, []) for c in (*_SCOPE, "ref")), strict=True):
            scope = dict(zip(_SCOPE, values[:5], strict=True))
            obj = self._callback(scope, values[5])
            results._callbacks.append(*values[:5], results._keep(obj))

    def _load_executions(self, results: Any) -> None:
        rows = self._rows("executions")
        if not rows.get("gen"):
            return
        last = max(rows["gen"])
        for gen, epoch, batch, ref in zip(
            rows["gen"], rows["epoch"], rows["batch"], rows["ref"], strict=True
        ):
            if gen == last:
                ctx = StoredExecution(self.pack, ref, epoch, batch)
                results._executions.append(epoch, batch, results._keep(ctx))

    def _callback(self, scope: dict[str, Any], ref: int) -> Any:
        try:
            data, codec = self.pack.raw(ref)
            record = json.loads(data) if codec == "callback" else None
        except (OSError, IndexError, ValueError) as e:
            return UnavailableCallbackResult(scope, "?", {}, f"record unreadable: {e}")
        if record is None:
            note = codecs.decode(data, codec, allow_pickle=False)
            return UnavailableCallbackResult(scope, note.type_name, {}, note.reason)
        fields, lost = {}, []
        for name, stored in record["fields"].items():
            try:
                fields[name] = self._field(stored)
            except Exception as e:  # any field that fails is named in the placeholder
                lost.append(f"{name}: {e}")
                continue
            if isinstance(fields[name], codecs.LostObject):
                lost.append(f"{name}: {fields[name].reason}")
        return _rebuild(record, fields, lost, scope)

    def _field(self, stored: dict[str, Any]) -> Any:
        if "json" in stored:
            return stored["json"]
        if "phase" in stored:
            data, _ = self.pack.raw(stored["phase"])
            record = json.loads(data)
            cls = getattr(importlib.import_module("modularml.results"), record["class"])
            nested = _PhaseLoader(self.directory, self.pack, self.defects, record)
            return nested.load(cls, record["label"])
        return self.pack.load(stored["ref"], "callback field")


def _rebuild(record: dict[str, Any], fields: dict[str, Any], lost: list[str],
             scope: dict[str, Any]) -> Any:
    """The original callback result class rebuilt from its fields (modularml classes only)."""
    type_name = f"{record['module']}.{record['class']}"
    if not lost and record["module"].startswith("modularml."):
        try:
            cls = getattr(importlib.import_module(record["module"]), record["class"])
            return cls(**fields)
        except Exception as e:  # a class that changed shape: keep the fields instead
            lost.append(f"rebuild failed: {e}")
    elif not lost:
        lost.append("not a modularml class (user classes are never imported when reopening)")
    return UnavailableCallbackResult(scope, type_name, fields, "; ".join(lost))


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _phase_classes() -> dict[str, type]:
    module = importlib.import_module("modularml.results")
    return {name: getattr(module, name) for name in
            ("TrainResults", "EvalResults", "FitResults", "PhaseResults")}


def _group_tree(label: str, phases: list[tuple[list[str], Any]]) -> Any:
    """The run's results: one phase, or groups rebuilt from each phase's group path."""
    if len(phases) == 1 and not phases[0][0]:
        return phases[0][1]
    top = PhaseGroupResults(label=label)
    for path, results in phases:
        group = top
        for group_label in path[1:]:
            children = dict(group.items())
            child = children.get(group_label)
            if not isinstance(child, PhaseGroupResults):
                child = PhaseGroupResults(label=group_label)
                group.add_result(child)
            group = child
        group.add_result(results)
    return top


def load_run(run_dir: Path, allow_pickle: bool, defects: list[str]) -> ExperimentRun | None:
    """One run directory as an ExperimentRun (None when its manifest is unreadable)."""
    body, defect = read_manifest(run_dir / MANIFEST)
    if defect:
        defects.append(defect)
    if not body:
        return None
    # a DDP run: one shard per rank; `results` is rank 0's, `metadata["ranks"]` all of them
    ranks = {rank: _load_rank(run_dir, body, rank, allow_pickle, defects)
             for rank in body["ranks"] if (run_dir / f"rank={rank}").is_dir()}
    first = ranks[min(ranks)] if ranks else _group_tree(body["label"], [])
    return ExperimentRun(
        label=body["label"], status=body["status"], started_at=_parse_time(body["started_at"]),
        ended_at=_parse_time(body["ended_at"]), results=first,
        metadata={"path": str(run_dir), "experiment": body.get("experiment"),
                  "phases": body["phases"], "ranks": ranks},
    )


def _load_rank(run_dir: Path, body: dict[str, Any], rank: int, allow_pickle: bool,
               defects: list[str]) -> Any:
    """One rank's shard of a run (its phases, rebuilt into the run's group tree)."""
    classes = _phase_classes()
    phases = []
    for entry in body["phases"]:
        cls = classes.get(entry["class"], classes["PhaseResults"])
        directory = run_dir / f"rank={rank}" / entry["slug"]
        loader = _PhaseLoader(directory, _Pack(directory / PACK_NAME, allow_pickle, defects),
                              defects)
        phases.append((entry["groups"], loader.load(cls, entry["label"])))
    return _group_tree(body["label"], phases)


class ResultsDirectory:
    """The runs recorded under one results directory, reopened read-only.

    Attributes:
        path: The results directory.
        runs: Its ExperimentRuns in the order they started.
        defects: Damage found while reading (file and byte offset each); the valid
            prefix of every damaged file was still read.
    """

    def __init__(self, path: Path, runs: list[ExperimentRun], defects: list[str]) -> None:
        self.path = path
        self.runs = runs
        self.defects = defects

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self) -> Iterator[ExperimentRun]:
        return iter(self.runs)

    def __getitem__(self, index: int) -> ExperimentRun:
        return self.runs[index]

    def __repr__(self) -> str:
        return f"ResultsDirectory({str(self.path)!r}, runs={len(self.runs)})"

    def to_polars(self) -> Any:
        """Every scalar record of every run and rank in one tidy frame.

        Leading columns: ``run`` (the run directory name: unique, unlike labels) and
        ``rank`` (the DDP rank whose shard holds the record; 0 for a single process).
        """
        import polars as pl

        frames = []
        for run in self.runs:
            name = Path(run.metadata["path"]).name
            for rank, results in run.metadata.get("ranks", {0: run.results}).items():
                frame = results.to_polars()
                frames.append(frame.select(pl.lit(name).alias("run"),
                                           pl.lit(rank, dtype=pl.Int64).alias("rank"), pl.all()))
        if not frames:
            return pl.DataFrame({"run": [], "rank": []},
                                schema={"run": pl.String, "rank": pl.Int64})
        return pl.concat(frames, how="diagonal_relaxed")

    def verify(self) -> list[str]:
        """Read every byte of every file: defects of logs, packs, manifests and compacted tables."""
        found = list(self.defects)
        for run in self.runs:
            for entry in run.metadata["phases"]:
                for relative, crc in entry.get("files", {}).items():
                    path = self.path / relative
                    if not path.exists() or file_crc32(path) != crc:
                        found.append(f"{path}: checksum mismatch or missing")
        for pack in self.path.glob(f"*/rank=*/**/{PACK_NAME}"):
            found.extend(f"{pack}: {m}" for m in _store.PackReader(pack).verify())
        for sidecar in self.path.rglob("*.crc"):  # block checksums of compacted tables
            problem = _store.verify_table(sidecar.with_suffix(""))
            if problem is not None:
                found.append(problem)
        return sorted(set(found))

    def plot(self, metrics: Any = None, **options: Any) -> Any:
        """Metric curves of every run, labelled by run (see `modularml.viz.plot_runs`)."""
        from modularml.viz.plotting import plot_runs

        return plot_runs(self.runs, metrics, **options)

    def _repr_html_(self) -> str:
        from modularml.viz.html import runs_html

        return runs_html(f"ResultsDirectory {str(self.path)!r}", self.runs)


def open_results(path: str | os.PathLike[str], *, allow_pickle: bool = False) -> ResultsDirectory:
    """Reopen a results directory written with ``ResultsConfig(results_dir=...)``.

    Works in a new process with no experiment, model or featureset. Damaged files are
    read up to the damage and listed in ``defects``; nothing is unpickled unless
    ``allow_pickle=True``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ResultsFormatError: (a ValueError) not a results directory, or a newer format.
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"No such results directory: {root}")
    check_marker(root)
    defects: list[str] = []
    runs = []
    for manifest in root.glob(f"*/{MANIFEST}"):
        try:
            run = load_run(manifest.parent, allow_pickle, defects)
        except (KeyError, TypeError, ValueError, IndexError) as e:  # a damaged manifest body
            if not any(str(manifest) in d for d in defects):
                raise
            defects.append(f"{manifest}: unusable ({type(e).__name__}: {e})")
            continue
        if run is not None:
            runs.append(run)
    runs.sort(key=lambda r: (r.started_at or datetime.min, r.metadata["path"]))
    return ResultsDirectory(root, runs, defects)
