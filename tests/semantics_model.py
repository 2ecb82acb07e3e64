"""Pure-Python models used as oracles by the results tests.

Two models live here:

* `SeriesModel`: the query semantics of an axis series (where, collapse, squeeze,
  first/last, axes_values, select, one, at) over plain rows. Hypothesis tests
  compare the real series against it.
* `TableModel` / `ViewModel`: the native `Table`/`View` contract of
  docs/internals.md §1, slow and obvious; the conformance tests check the real
  native store against it.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import polars as pl

REDUCERS = ("mean", "sum", "min", "max", "first", "last", "count")
NUMERIC = ("f64", "f64?")


# ---------------------------------------------------------------- series model


def matches(value: Any, spec: Any) -> bool:
    """Does one axis value satisfy one `where` coordinate?"""
    if callable(spec):
        return bool(spec(value))
    if isinstance(spec, Iterable) and not isinstance(spec, (str, bytes)):
        return value in list(spec)
    return value == spec if spec is not None else value is None


def reduce_values(values: list[Any], reducer: str) -> Any:
    """A native reducer over one group's values, skipping nulls."""
    present = [v for v in values if v is not None]
    if reducer == "count":
        return float(len(present))
    if not present:
        return None
    simple = {"sum": sum, "min": min, "max": max}
    if reducer in simple:
        return float(simple[reducer](present))
    if reducer == "mean":
        return sum(present) / len(present)
    return present[0] if reducer == "first" else present[-1]


class SeriesModel:
    """An axis series as rows: each row is a dict of axis and value fields."""

    def __init__(self, axes: tuple[str, ...], rows: list[dict], value_fields: tuple[str, ...]):
        self.axes = tuple(axes)
        self.rows = [dict(r) for r in rows]
        self.value_fields = tuple(value_fields)

    def _derive(self, axes: tuple[str, ...], rows: list[dict]) -> SeriesModel:
        return SeriesModel(axes, rows, self.value_fields)

    def keys(self) -> list[Any]:
        keys = [tuple(r[a] for a in self.axes) for r in self.rows]
        return [k[0] for k in keys] if len(self.axes) == 1 else keys

    def values(self) -> list[tuple]:
        return [tuple(r.get(f) for f in self.value_fields) for r in self.rows]

    def where(self, **coords: Any) -> SeriesModel:
        for axis in coords:
            if axis not in self.axes:
                raise KeyError(axis)
        kept = [r for r in self.rows if all(matches(r[a], s) for a, s in coords.items())]
        return self._derive(self.axes, kept)

    def select(self, **coords: Any) -> list[tuple]:
        return self.where(**coords).values()

    def collapse(self, axis: str, reducer: str) -> SeriesModel:
        if not self.rows:
            raise ValueError("empty")
        rest = tuple(a for a in self.axes if a != axis)
        groups: dict[tuple, list[dict]] = {}
        for row in self.rows:
            groups.setdefault(tuple(row[a] for a in rest), []).append(row)
        out = []
        for key, members in groups.items():
            row = dict(zip(rest, key, strict=True))
            for f in self.value_fields:
                row[f] = reduce_values([m.get(f) for m in members], reducer)
            out.append(row)
        return self._derive(rest, out)

    def axes_values(self) -> dict[str, list]:
        return {a: list(dict.fromkeys(r[a] for r in self.rows)) for a in self.axes}

    def squeeze(self) -> SeriesModel:
        if not self.rows:
            return self
        counts = {a: len(v) for a, v in self.axes_values().items()}
        return self._derive(tuple(a for a in self.axes if counts[a] != 1), self.rows)

    def _sorted(self, sort_by: Any) -> list[dict]:
        if sort_by is None:
            return self.rows
        by = [sort_by] if isinstance(sort_by, str) else list(sort_by)
        return sorted(self.rows, key=lambda r: tuple((r[a] is not None, r[a] or 0) for a in by))

    def first(self, sort_by: Any = None) -> tuple:
        if not self.rows:
            raise ValueError("empty")
        row = self._sorted(sort_by)[0]
        return tuple(row.get(f) for f in self.value_fields)

    def last(self, sort_by: Any = None) -> tuple:
        if not self.rows:
            raise ValueError("empty")
        row = self._sorted(sort_by)[-1]
        return tuple(row.get(f) for f in self.value_fields)

    def at(self, **coords: Any) -> tuple:
        """The last row whose key equals ``coords`` exactly."""
        found = [r for r in self.rows if all(r[a] == v for a, v in coords.items())]
        if not found:
            raise KeyError(coords)
        return tuple(found[-1].get(f) for f in self.value_fields)

    def one(self) -> tuple:
        if len(self.rows) != 1:
            raise ValueError(f"Expected exactly one item, found {len(self.rows)}.")
        return self.values()[0]


# ---------------------------------------------------------- native store model


def _check_value(column: str, kind: str, value: Any) -> Any:
    expected = {"str": "str", "int": "int", "f64": "float", "f64?": "float or None", "obj": "int"}
    nullable = kind in ("str", "int", "f64?")
    if value is None:
        if nullable:
            return None
        raise TypeError(f"column {column!r} expects {expected[kind]}, got None")
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, numbers.Integral) and not isinstance(value, bool),
        "obj": isinstance(value, numbers.Integral) and not isinstance(value, bool),
        "f64": isinstance(value, numbers.Real) or hasattr(value, "__float__"),
    }[kind if kind != "f64?" else "f64"]
    if not ok or isinstance(value, (str, bytes)) and kind not in ("str",):
        raise TypeError(f"column {column!r} expects {expected[kind]}, got {type(value).__name__}")
    if kind in NUMERIC:
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"column {column!r} expects {expected[kind]}: {exc}") from None
    return value if kind == "str" else int(value)


class ViewModel:
    """Model of the native `View`: owned column lists (a snapshot)."""

    def __init__(
        self, schema: list[tuple[str, str]], data: dict[str, list], length: int | None = None
    ):
        self._schema = list(schema)
        self._types = dict(schema)
        self._data = data
        # a view of zero columns (the keys of a group by nothing) still has rows
        self._length = length if length is not None else len(next(iter(data.values()), []))

    @property
    def columns(self) -> list[str]:
        return [c for c, _ in self._schema]

    def __len__(self) -> int:
        return self._length

    def _check(self, column: str) -> None:
        if column not in self._types:
            raise KeyError(f"unknown column {column!r}; columns: {self.columns}")

    def take(self, positions: list[int]) -> ViewModel:
        data = {c: [v[p] for p in positions] for c, v in self._data.items()}
        return ViewModel(self._schema, data, len(positions))

    def where_in(self, column: str, values: list) -> ViewModel:
        self._check(column)
        wanted = list(values)
        col = self._data[column]
        return self.take([i for i, v in enumerate(col) if any(_same(v, w) for w in wanted)])

    def distinct(self, column: str) -> list:
        self._check(column)
        return list(dict.fromkeys(self._data[column]))

    def column(self, column: str) -> list:
        self._check(column)
        return list(self._data[column])

    def row(self, position: int) -> tuple:
        if not 0 <= position < len(self):
            raise IndexError(f"row {position} out of range for a view of {len(self)} rows")
        return tuple(self._data[c][position] for c in self.columns)

    def sort_positions(self, by: list[str]) -> list[int]:
        for c in by:
            self._check(c)

        def key(i: int) -> tuple:
            return tuple((self._data[c][i] is not None, self._data[c][i] or 0) for c in by)

        return sorted(range(len(self)), key=key)

    def _groups(self, by: list[str]) -> dict[tuple, list[int]]:
        for c in by:
            self._check(c)
        groups: dict[tuple, list[int]] = {}
        for i in range(len(self)):
            groups.setdefault(tuple(self._data[c][i] for c in by), []).append(i)
        return groups

    def group(self, by: list[str]) -> tuple[ViewModel, list[list[int]]]:
        groups = self._groups(by)
        firsts = [members[0] for members in groups.values()]
        data = {c: [self._data[c][p] for p in firsts] for c in by}
        keys = ViewModel([(c, self._types[c]) for c in by], data, len(firsts))
        return keys, list(groups.values())

    def collapse(self, by: list[str], reducer: str) -> ViewModel:
        if reducer not in REDUCERS:
            raise ValueError(f"unknown reducer {reducer!r}; allowed: {list(REDUCERS)}")
        values = [(c, t) for c, t in self._schema if t in NUMERIC or t == "obj"]
        if any(t == "obj" for _, t in values) and reducer not in ("first", "last"):
            raise ValueError(
                f"reducer {reducer!r} not allowed on obj columns; allowed: ['first', 'last']"
            )
        keys, groups = self.group(by)
        data = {c: keys.column(c) for c in by}
        for c, _ in values:
            data[c] = [reduce_values([self._data[c][p] for p in g], reducer) for g in groups]
        return ViewModel([(c, self._types[c]) for c in by] + values, data, len(groups))

    def to_arrow(self) -> pl.DataFrame:
        dtypes = {
            "str": pl.String,
            "int": pl.Int64,
            "f64": pl.Float64,
            "f64?": pl.Float64,
            "obj": pl.UInt32,
        }
        return pl.DataFrame(
            {c: pl.Series(c, self._data[c], dtype=dtypes[t]) for c, t in self._schema}
        )


def _same(value: Any, wanted: Any) -> bool:
    return value is None if wanted is None else value is not None and value == wanted


class TableModel:
    """Model of the native `Table`: append-only typed columns."""

    def __init__(self, schema: list[tuple[str, str]]):
        self._schema = [(str(c), str(t)) for c, t in schema]
        self._data: dict[str, list] = {c: [] for c, _ in self._schema}

    @property
    def columns(self) -> list[str]:
        return [c for c, _ in self._schema]

    def __len__(self) -> int:
        return len(self._data[self._schema[0][0]])

    def append(self, *values: Any) -> None:
        if len(values) != len(self._schema):
            raise TypeError(f"expected {len(self._schema)} values, got {len(values)}")
        checked = [_check_value(c, t, v) for (c, t), v in zip(self._schema, values, strict=True)]
        for (c, _), v in zip(self._schema, checked, strict=True):
            self._data[c].append(v)

    def extend(self, columns: dict[str, Any]) -> None:
        missing = [c for c in self.columns if c not in columns]
        if missing:
            raise ValueError(f"missing columns {missing}")
        lengths = {len(v) for v in columns.values() if isinstance(v, (list, np.ndarray))}
        if len(lengths) > 1:
            raise ValueError(f"column lengths differ: {sorted(lengths)}")
        n = lengths.pop() if lengths else 1
        staged = {}
        for c, t in self._schema:
            v = columns[c]
            seq = v.tolist() if isinstance(v, np.ndarray) else v if isinstance(v, list) else [v] * n
            staged[c] = [_check_value(c, t, x) for x in seq]
        for c in self.columns:
            self._data[c].extend(staged[c])

    def nbytes(self) -> int:
        return 0

    def view(self) -> ViewModel:
        return ViewModel(self._schema, {c: list(v) for c, v in self._data.items()}, len(self))


Predicate = Callable[[Any], bool]
