"""PhaseWriter: moves one phase's records from its native tables to disk.

Scalar tables (metrics, losses) go to their append logs in one native call per
table per flush (`TableLog.append_table`), never row by row in Python. Object
tables (callbacks, artifacts, executions) are few rows: their objects are encoded
(`codecs`) into one artifact pack and the log rows hold the pack record ids. Pack
records are flushed before the log rows that name them, so a row on disk never
points past the pack.
"""

from __future__ import annotations

import dataclasses
import json
import time
import zlib
from pathlib import Path
from typing import Any

from modularml import _store
from modularml.results import codecs
from modularml.results.typed_series import LOSSES_SCHEMA, METRICS_SCHEMA

_SCOPE = ("kind", "label", "epoch", "batch", "edge")
DISK_SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "metrics": list(METRICS_SCHEMA.items()),
    "losses": list(LOSSES_SCHEMA.items()),
    "callbacks": [("kind", "str"), ("label", "str"), ("epoch", "int"), ("batch", "int"),
                  ("edge", "str"), ("ref", "int")],
    "artifacts": [("name", "str"), ("epoch", "int"), ("batch", "int"), ("ref", "int"),
                  ("png", "int")],
    "executions": [("gen", "int"), ("epoch", "int"), ("batch", "int"), ("ref", "int")],
}
PACK_NAME = "objects.pack"
# flush by time/size between epochs: at most this many seconds or pending metric rows
FLUSH_SECONDS = 1.0
FLUSH_ROWS = 1 << 18
_DOMAINS = ("outputs", "targets", "features")


def saved_tables(config: Any) -> list[str]:
    """The tables a ResultsConfig writes (the callbacks index always)."""
    names = ["metrics", "losses"] if config.save_metrics else []
    names.append("callbacks")
    if config.save_artifacts:
        names.append("artifacts")
    if config.save_execution:
        names.append("executions")
    return names


def file_crc32(path: Path) -> int:
    """CRC-32 of a whole file, read in 1 MiB chunks."""
    crc = 0
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


class PhaseWriter:
    """Writes one PhaseResults under ``directory`` (a new directory).

    Files are created on first use: a table that gets no rows has no log, a phase
    without objects no pack.

    Args:
        results: The phase's results (its tables are read, never changed).
        directory: The phase's shard directory; must not exist.
        tables: Table names to write (see `saved_tables`).
        pack: Nested mode (a phase inside a callback result): no files of its own,
            objects go to this writer's pack (see `encode_phase`).
    """

    def __init__(self, results: Any, directory: Path | None, tables: list[str],
                 pack: PhaseWriter | None = None) -> None:
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=False)
        self.directory = directory
        self._results = results
        self._tables = tables
        self._logs: dict[str, Any] = {}
        self._pack_owner = pack if pack is not None else self
        self._pack_writer: Any = None
        self._done = dict.fromkeys(tables, 0)
        self._executions_table: Any = None
        self._generation = -1
        self._artifact_refs: dict[int, tuple[int, int | None]] = {}
        self._last_flush = time.monotonic()
        self.closed = False

    # ------------------------------------------------------------------ files

    def _log(self, name: str) -> Any:
        log = self._logs.get(name)
        if log is None:
            assert self.directory is not None
            path = self.directory / f"{name}.log"
            log = self._logs[name] = _store.TableLog(path, DISK_SCHEMAS[name])
        return log

    def _put_bytes(self, data: bytes, codec: str) -> int:
        owner = self._pack_owner
        if owner._pack_writer is None:
            assert owner.directory is not None
            owner._pack_writer = _store.PackWriter(owner.directory / PACK_NAME)
        return owner._pack_writer.put(data, codec)

    # ------------------------------------------------------------------ flushing

    def flush_if_due(self) -> None:
        """Flush when the last flush is FLUSH_SECONDS old or FLUSH_ROWS metrics wait."""
        waiting = len(self._results._metrics) - self._done.get("metrics", 0)
        if waiting >= FLUSH_ROWS or time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.flush(durable=False)

    def flush(self, durable: bool = False) -> None:
        """Write every record added since the last flush; returns when the OS has them.

        Args:
            durable: Also fsync (survives power loss, not only a killed process).
        """
        if self.closed:
            return
        pending = {name: rows for name, rows in self._object_rows() if rows}
        if self._pack_writer is not None:
            self._pack_writer.flush(durable)  # records before the rows that name them
        results = self._results
        for name in ("metrics", "losses"):
            table = getattr(results, f"_{name}")
            if name in self._tables and len(table) > self._done[name]:
                self._done[name] = self._log(name).append_table(table, self._done[name])
        for name, rows in pending.items():
            self._log(name).append(rows)
        for log in self._logs.values():
            log.flush(durable)
        self._last_flush = time.monotonic()

    def close(self, tables_root: Path | None, partition: list[tuple[str, str]],
              table_format: str = "ipc") -> dict[str, int]:
        """Final durable flush, close, compact each log under ``tables_root``.

        ``table_format``: "ipc" (``part-0.arrow``) or "parquet" (``part-0.parquet``).

        Returns:
            ``{compacted file path relative to tables_root's parent: CRC-32}``.
        """
        if self.closed:
            return {}
        self.flush(durable=True)
        self.closed = True
        for log in self._logs.values():
            log.close()
        if self._pack_writer is not None:
            self._pack_writer.close()
        crcs: dict[str, int] = {}
        if tables_root is None:
            return crcs
        for name in self._logs:
            suffix = "parquet" if table_format == "parquet" else "arrow"
            target = _store.partition_dir(tables_root, name, partition) / f"part-0.{suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            _store.compact_log(self.directory / f"{name}.log", target, format=table_format)
            crcs[str(target.relative_to(tables_root.parent))] = file_crc32(target)
        return crcs

    # ------------------------------------------------------------ object tables

    def _object_rows(self) -> list[tuple[str, dict[str, list[Any]] | None]]:
        out = []
        if "callbacks" in self._tables:
            out.append(("callbacks", self._callback_rows()))
        if "artifacts" in self._tables:
            out.append(("artifacts", self._artifact_rows()))
        if "executions" in self._tables:
            out.append(("executions", self._execution_rows()))
        return out

    def _new_rows(self, name: str, table: Any) -> Any:
        view = table.view()
        start, end = self._done[name], len(view)
        self._done[name] = end
        return view.take(list(range(start, end))) if end > start else None

    def _artifact_rows(self) -> dict[str, list[Any]] | None:
        new = self._new_rows("artifacts", self._results._artifacts)
        if new is None:
            return None
        objects, stored = self._results._objects, self._artifact_refs
        refs, pngs = [], []
        for handle in new.column("obj"):
            found = stored.pop(handle, None)
            ref, png = found if found is not None else self.put(objects[handle].artifact)
            refs.append(ref)
            pngs.append(png)
        return {"name": new.column("name"), "epoch": new.column("epoch"),
                "batch": new.column("batch"), "ref": refs, "png": pngs}

    def _callback_rows(self) -> dict[str, list[Any]] | None:
        new = self._new_rows("callbacks", self._results._callbacks)
        if new is None:
            return None
        objects = self._results._objects
        rows = {column: new.column(column) for column in _SCOPE}
        rows["ref"] = [self._put_callback(objects[h]) for h in new.column("obj")]
        return rows

    def _execution_rows(self) -> dict[str, list[Any]] | None:
        table = self._results._executions
        if table is not self._executions_table:  # cleared or replaced: a new generation
            self._executions_table, self._generation = table, self._generation + 1
            self._done["executions"] = 0
        new = self._new_rows("executions", table)
        if new is None:
            return None
        objects = self._results._objects
        refs = [self._put_execution(objects[h]) for h in new.column("obj")]
        return {"gen": [self._generation] * len(refs), "epoch": new.column("epoch"),
                "batch": new.column("batch"), "ref": refs}

    # ----------------------------------------------------------------- encoding

    def put_artifact(self, handle: int, value: Any) -> None:
        """Encode and queue a just-logged artifact; its index row goes out at the next flush."""
        if "artifacts" in self._tables and not self.closed:
            self._artifact_refs[handle] = self.put(value)

    def put(self, value: Any) -> tuple[int, int | None]:
        """Store one object in the pack: ``(record id, PNG record id or None)``."""
        try:
            data, codec = codecs.encode(value)
        except TypeError as e:
            return self._put_lost(value, str(e)), None
        png = None
        if codec == "figure":
            png = self._put_bytes(codecs.figure_png(value), "png")
        return self._put_bytes(data, codec), png

    def _put_lost(self, value: Any, reason: str) -> int:
        note = {"type": f"{type(value).__module__}.{type(value).__qualname__}", "reason": reason}
        return self._put_bytes(json.dumps(note).encode(), "lost")

    def _put_callback(self, result: Any) -> int:
        """A callback result as a JSON record: its class and a pack record per field."""
        if not dataclasses.is_dataclass(result):
            return self._put_lost(result, "not a dataclass CallbackResult")
        fields: dict[str, Any] = {}
        for field in dataclasses.fields(result):
            fields[field.name] = self._put_field(getattr(result, field.name))
        cls = type(result)
        record = {"module": cls.__module__, "class": cls.__qualname__, "fields": fields}
        return self._put_bytes(json.dumps(record).encode(), "callback")

    def _put_field(self, value: Any) -> dict[str, Any]:
        from modularml.results.phase_results import PhaseResults

        if isinstance(value, PhaseResults):  # an evaluation's results: a nested phase
            return {"phase": self._put_phase(value)}
        if codecs.is_json_value(value):
            return {"json": value}
        ref, png = self.put(value)
        return {"ref": ref, "png": png}

    def _put_phase(self, results: Any) -> int:
        """A (small) nested phase as one JSON record; its objects go to this pack."""
        nested = PhaseWriter(results, None, list(DISK_SCHEMAS), pack=self._pack_owner)
        record: dict[str, Any] = {"class": type(results).__name__, "label": results.label}
        for name in ("metrics", "losses"):
            view = getattr(results, f"_{name}").view()
            record[name] = {column: view.column(column) for column in view.columns}
        record.update((name, rows) for name, rows in nested._object_rows() if rows)
        return self._put_bytes(json.dumps(record).encode(), "phase")

    def _put_execution(self, ctx: Any) -> int:
        """A context's tensors as raw typed arrays: (node, domain) -> array."""
        arrays = {}
        for node in list(getattr(ctx, "outputs", None) or {}):
            for domain in _DOMAINS:
                try:
                    value = ctx.domain_data(node, domain)
                except (KeyError, AttributeError, TypeError):
                    continue
                if value is not None:
                    arrays[f"{node}\x00{domain}"] = value.detach().cpu().numpy()
        return self._put_bytes(codecs.pack_arrays(arrays), "arrays")
