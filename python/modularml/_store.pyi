"""Type stubs for the native extension. User code never imports this module."""

from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any, TypeAlias, final

from typing_extensions import CapsuleType

__all__ = [
    "ArrowStream",
    "CorruptFileError",
    "PackReader",
    "PackWriter",
    "StorePanicError",
    "StringDict",
    "Table",
    "TableLog",
    "View",
    "__version__",
    "compact_log",
    "load_log",
    "create_run_dir",
    "partition_dir",
    "read_log",
    "slug",
    "verify_table",
    "write_ipc",
    "write_json_atomic",
    "write_parquet",
    "_panic_holding_table_lock",
]

__version__: str

_Scalar: TypeAlias = str | int | float | None
_Path = str | PathLike[str]
_Schema = list[tuple[str, str]]

@final
class StringDict:
    def __new__(cls) -> StringDict: ...
    def intern(self, value: str) -> int: ...
    def lookup(self, code: int) -> str: ...
    def __len__(self) -> int: ...

@final
class Table:
    """Append-only, thread-safe columnar table.

    Column types: ``str``, ``int`` (nullable), ``f64``, ``f64?`` (nullable),
    ``obj`` (u32 handle into a Python-side list).
    """

    def __new__(cls, schema: list[tuple[str, str]]) -> Table: ...
    def append(self, *values: _Scalar) -> None:
        """One row, values in schema order; all-or-nothing (TypeError on a bad value)."""
    def extend(self, columns: Mapping[str, Any]) -> None:
        """Many rows: per column a list, a 1-d numpy array or a broadcast scalar."""
    def __len__(self) -> int: ...
    @property
    def columns(self) -> list[str]: ...
    def nbytes(self) -> int:
        """Bytes held by columns and indexes."""
    def view(self) -> View:
        """Snapshot of the rows present now; later appends never change it."""

@final
class View:
    """Immutable selection of rows of one table, or an owned result table."""

    def __len__(self) -> int: ...
    @property
    def columns(self) -> list[str]: ...
    def where_in(self, column: str, values: Iterable[_Scalar]) -> View:
        """Rows whose value is in ``values`` (None matches null)."""
    def distinct(self, column: str) -> list[Any]:
        """Distinct values in first-seen order."""
    def column(self, column: str) -> list[Any]:
        """The column's values for the view's rows, in order."""
    def row(self, position: int) -> tuple[Any, ...]:
        """One row in schema order; negative positions count from the end."""
    def take(self, positions: list[int]) -> View:
        """Rows at these positions (negative counts from the end), in that order."""
    def sort_positions(self, by: list[str]) -> list[int]:
        """Positions in stable ascending order of ``by``, nulls first."""
    def group(self, by: list[str]) -> tuple[View, list[list[int]]]:
        """Groups in first-seen order: their ``by`` values and their positions."""
    def collapse(self, by: list[str], reducer: str) -> View:
        """Reduce every f64/f64?/obj column per group of ``by``.

        Reducers: mean, sum, min, max, first, last, count (count gives int).
        """
    def to_arrow(self) -> ArrowStream:
        """The rows as an Arrow C stream (``polars.DataFrame(stream)``)."""

@final
class ArrowStream:
    """A view's rows, exported through the Arrow PyCapsule stream interface."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> CapsuleType: ...
    def __len__(self) -> int: ...

class CorruptFileError(OSError):
    """A file's bytes are not what was written: checksum mismatch, bad magic or truncation."""

class StorePanicError(RuntimeError):
    """An internal error (a Rust panic) inside the store; the call changed nothing."""

def _panic_holding_table_lock(table: Table) -> None:
    """Test hook: panics inside the store while holding `table`'s write lock."""

@final
class TableLog:
    def __new__(
        cls, path: _Path, schema: _Schema, *, max_delay: float = 0.2, max_bytes: int = 4194304
    ) -> TableLog: ...
    def append(self, columns: dict[str, list]) -> None: ...
    def append_table(self, table: Table, start: int) -> int:
        """Appends rows ``start..`` of ``table`` (columns by name); returns ``len(table)``."""
    def flush(self, durable: bool = True) -> None: ...
    def close(self) -> None: ...
    @property
    def path(self) -> Path: ...
    def __enter__(self) -> TableLog: ...
    def __exit__(
        self,
        _kind: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None: ...

@final
class PackWriter:
    def __new__(cls, path: _Path) -> PackWriter: ...
    def put(self, data: bytes, codec: str) -> int: ...
    def flush(self, durable: bool = True) -> None: ...
    def close(self) -> None: ...
    def __len__(self) -> int: ...
    def __enter__(self) -> PackWriter: ...
    def __exit__(
        self,
        _kind: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None: ...

@final
class PackReader:
    def __new__(cls, path: _Path) -> PackReader: ...
    def get(self, id: int) -> tuple[bytes, str]: ...
    def ids(self) -> list[int]: ...
    def verify(self) -> list[str]: ...
    @property
    def corrupt(self) -> list[str]: ...
    def __len__(self) -> int: ...

def read_log(path: _Path) -> tuple[dict[str, list], str | None]: ...
def load_log(path: _Path, table: Table) -> str | None:
    """Loads a log's valid rows into ``table`` (columns by name); the first defect or None."""
def write_ipc(path: _Path, columns: dict[str, list], schema: _Schema) -> None: ...
def write_parquet(path: _Path, columns: dict[str, list], schema: _Schema) -> None: ...
def compact_log(log_path: _Path, out_path: _Path, format: str = "ipc") -> str | None: ...
def verify_table(path: _Path) -> str | None: ...
def write_json_atomic(path: _Path, text: str) -> None: ...
def slug(label: str) -> str: ...
def create_run_dir(parent: _Path, label: str) -> Path: ...
def partition_dir(root: _Path, table: str, keys: list[tuple[str, str]]) -> Path: ...
