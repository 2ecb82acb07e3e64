"""AxisSeries: a typed, query-able view of the rows of one results table.

A series wraps a native ``View`` (``_inner``). Its ``axes`` are the view's key
columns that queries address; the other columns hold values (floats) or ``obj``
handles into ``_objects``, a Python list the series shares with its table.
Every query makes one native call and wraps the result in the same class;
`where` filters are gathered and reach the store together, cheapest first,
when the rows are first needed.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

from modularml import _store

Reducer = str | Callable[[list[Any]], Any]


def _normalise(value: Any) -> Any:
    # numpy integers are not ints to the native store; bools stay bools
    if isinstance(value, numbers.Integral) and not isinstance(value, (int, bool)):
        return int(value)
    return value


def _allowed_values(view: Any, axis: str, spec: Any) -> list[Any]:
    """Turn one `where` coordinate into the list of axis values it accepts."""
    if callable(spec):
        # one call per distinct value present, never one per row
        return [value for value in view.distinct(axis) if spec(value)]
    if isinstance(spec, Iterable) and not isinstance(spec, (str, bytes)):
        return [_normalise(value) for value in spec]
    return [_normalise(spec)]


def read_columns(view: Any, names: Sequence[str]) -> list[list[Any]]:
    """The view's columns ``names`` in order; a column the view lacks reads as None."""
    present = set(view.columns)
    size = len(view)
    return [view.column(name) if name in present else [None] * size for name in names]


class AxisSeries:
    """Rows of one results table, keyed by ``axes``.

    Subclasses fix the element type: they set ``_value_columns``, ``_schema``,
    ``_reducers`` and implement `_materialize` (rows -> elements) and
    `_result_row` (a Python reducer's result -> value columns).

    Rows are kept in insertion order. Keys need not be unique: logging the same
    key twice keeps both rows; `at` and `data` return the last one.
    """

    __slots__ = ("_source", "_filters", "_view", "axes", "_objects")

    _value_columns: ClassVar[tuple[str, ...]] = ("obj",)
    _schema: ClassVar[dict[str, str]] = {}
    _reducers: ClassVar[frozenset[str]] = frozenset({"first", "last"})

    def __init__(
        self,
        inner: Any,
        axes: Sequence[str],
        objects: list[Any] | None = None,
        *,
        filters: Sequence[tuple[str, list[Any]]] = (),
    ) -> None:
        self._source = inner
        # (column, allowed values) still to apply to the source, so that chained
        # `where` calls reach the store together and in a cheap order
        self._filters = tuple(filters)
        self._view = None if self._filters else inner
        self.axes: tuple[str, ...] = tuple(axes)
        self._objects: list[Any] = objects if objects is not None else []

    @property
    def _inner(self) -> Any:
        """The native View of the series' rows (filters applied on first use)."""
        if self._view is None:
            view = self._source
            for column, values in sorted(self._filters, key=self._filter_cost):
                view = view.where_in(column, values)
            self._view = view
        return self._view

    def _filter_cost(self, item: tuple[str, list[Any]]) -> int:
        # one epoch or batch value selects few rows through the store's index;
        # string codes come next; wide integer memberships last
        column, values = item
        if self._schema.get(column) == "int":
            return 0 if len(values) == 1 else 2
        return 1

    # ----------------------------------------------------------- subclass hooks

    def _materialize(self, view: Any) -> list[Any]:
        """Elements for the rows of ``view`` (default: the objects behind ``obj``)."""
        objects = self._objects
        return [objects[handle] for handle in view.column("obj")]

    def _result_row(self, result: Any) -> tuple[Any, ...]:
        """Value columns for one Python reducer result (default: not supported)."""
        raise TypeError(f"{type(self).__name__} cannot store {type(result).__name__} results.")

    # ------------------------------------------------------------------ helpers

    def _derive(self, inner: Any, axes: Sequence[str], objects: list[Any] | None = None) -> Any:
        return type(self)(inner, axes, self._objects if objects is None else objects)

    def _check_axis(self, axis: str) -> None:
        if axis not in self.axes:
            raise KeyError(f"Unknown axis {axis!r}. Available: {self.axes}")

    def _check_values(self, axis: str, values: list[Any]) -> None:
        # fail at the `where` call, not at the first use of the (lazy) result
        expected = {"int": int, "str": str}.get(self._schema.get(axis, ""))
        for value in values:
            if expected is not None and value is not None and not isinstance(value, expected):
                raise TypeError(
                    f"Axis {axis!r} holds {expected.__name__} values; "
                    f"got {type(value).__name__} {value!r}."
                )

    def _value_at(self, position: int) -> Any:
        return self._materialize(self._inner.take([position]))[0]

    @property
    def _stores_objects(self) -> bool:
        return self._value_columns == ("obj",)

    # ------------------------------------------------------------------- access

    def __len__(self) -> int:
        return len(self._inner)

    def values(self) -> list[Any]:
        """Elements in insertion order."""
        return self._materialize(self._inner)

    def keys(self) -> list[Any]:
        """Keys in insertion order: scalars for one axis, tuples otherwise, ``()`` for none."""
        columns = [self._inner.column(axis) for axis in self.axes]
        if len(columns) == 1:
            return columns[0]
        if not columns:
            return [()] * len(self)
        return list(zip(*columns, strict=True))

    def items(self) -> Iterator[tuple[Any, Any]]:
        """``(key, element)`` pairs in insertion order."""
        return iter(zip(self.keys(), self.values(), strict=True))

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    @property
    def data(self) -> dict[Any, Any]:
        """``{key: element}``; for a repeated key the last row wins."""
        return dict(self.items())

    def axis_values(self, axis: str) -> list[Any]:
        """Distinct values of one axis in first-seen order.

        Raises:
            KeyError: ``axis`` is not one of the series' axes.
        """
        self._check_axis(axis)
        return self._inner.distinct(axis)

    def axes_values(self) -> dict[str, list[Any]]:
        """``{axis: distinct values in first-seen order}`` for every axis."""
        return {axis: self._inner.distinct(axis) for axis in self.axes}

    @property
    def shape(self) -> dict[str, int]:
        """``{axis: number of distinct values}``."""
        return {axis: len(values) for axis, values in self.axes_values().items()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(keyed_by={self.axes!r}, len={len(self)})"

    def _repr_html_(self) -> str:
        # notebooks: a caption and the first and last rows, never every row
        from modularml.viz.html import series_html

        return series_html(self)

    # ------------------------------------------------------------------ queries

    def where(self, **coords: Any) -> Any:
        """Keep the rows whose axis values match every coordinate.

        Each coordinate is a scalar (equality; None matches missing values), a
        non-string iterable (membership), or a callable predicate (called once
        per distinct value of the axis). Chainable; the series class is kept.

        Raises:
            KeyError: A coordinate names an unknown axis.
        """
        for axis in coords:
            self._check_axis(axis)
        plain = [(a, _allowed_values(None, a, s)) for a, s in coords.items() if not callable(s)]
        for axis, values in plain:
            self._check_values(axis, values)
        series = type(self)(
            self._source, self.axes, self._objects, filters=self._filters + tuple(plain)
        )
        predicates = {a: s for a, s in coords.items() if callable(s)}
        if not predicates:
            return series
        view = series._inner
        for axis, predicate in predicates.items():
            view = view.where_in(axis, _allowed_values(view, axis, predicate))
        return self._derive(view, self.axes)

    def select(self, **coords: Any) -> list[Any]:
        """The elements `where` would keep, as a list."""
        return self.where(**coords).values()

    def at(self, **coords: Any) -> Any:
        """The element at one exact key (every axis given).

        Raises:
            KeyError: An axis is missing or unknown, or no row has that key.
        """
        for axis in coords:
            self._check_axis(axis)
        for axis in self.axes:
            if axis not in coords:
                raise KeyError(f"Missing axis {axis!r}. Required axes: {self.axes}")
        found = self.where(**{axis: [value] for axis, value in coords.items()})
        if not len(found):
            raise KeyError(f"No item at {coords!r}.")
        return found._value_at(len(found) - 1)

    def __getitem__(self, key: Any) -> Any:
        parts = key if isinstance(key, tuple) and len(self.axes) != 1 else (key,)
        if len(parts) != len(self.axes):
            raise KeyError(f"Key {key!r} does not match axes {self.axes}.")
        return self.at(**dict(zip(self.axes, parts, strict=True)))

    def one(self) -> Any:
        """The only element.

        Raises:
            ValueError: The series does not hold exactly one element.
        """
        if len(self) != 1:
            raise ValueError(
                f"Expected exactly one item, found {len(self)}; narrow the series with "
                f"where() on its axes {tuple(self.axes)} or use first()/last()/at()."
            )
        return self._value_at(0)

    def _position(self, sort_by: str | Sequence[str] | None, last: bool) -> int:
        if not len(self):
            which = "last" if last else "first"
            raise ValueError(f"Cannot take the {which} element of an empty series.")
        if sort_by is None:
            return len(self) - 1 if last else 0
        by = [sort_by] if isinstance(sort_by, str) else list(sort_by)
        for axis in by:
            self._check_axis(axis)
        positions = self._inner.sort_positions(by)
        return positions[-1] if last else positions[0]

    def first(self, *, sort_by: str | Sequence[str] | None = None) -> Any:
        """The first element, in insertion order or sorted by axes.

        Args:
            sort_by: An axis or list of axes; sorting is stable, ascending, with
                missing values first.

        Raises:
            ValueError: The series is empty.
            KeyError: ``sort_by`` names an unknown axis.
        """
        return self._value_at(self._position(sort_by, last=False))

    def last(self, *, sort_by: str | Sequence[str] | None = None) -> Any:
        """The last element, in insertion order or sorted by axes (see `first`)."""
        return self._value_at(self._position(sort_by, last=True))

    def squeeze(self) -> Any:
        """Drop every axis that has a single distinct value.

        Returns ``self`` when no axis drops, including for an empty series.
        """
        if not len(self):
            return self
        kept = tuple(axis for axis in self.axes if len(self._inner.distinct(axis)) != 1)
        return self if kept == self.axes else self._derive(self._inner, kept)

    # ------------------------------------------------------------------ collapse

    def allowed_reducers(self) -> list[str]:
        """The string reducers `collapse` accepts for this series (callables always work)."""
        return sorted(self._reducers)

    def collapse(self, axis: str, reducer: Reducer) -> Any:
        """Reduce over one axis: one element per distinct key of the other axes.

        Args:
            axis: The axis to remove.
            reducer: One of `allowed_reducers`, or a callable taking the list of a
                group's elements (in insertion order) and returning one element.

        Raises:
            KeyError: Unknown axis.
            ValueError: Reducer not allowed for this series, or empty series.
        """
        self._check_axis(axis)
        self._check_reducer(reducer)
        if not len(self):
            raise ValueError(f"Cannot collapse an empty {type(self).__name__} (0 items).")
        by = [c for c in self._inner.columns if c not in self._value_columns and c != axis]
        axes = tuple(a for a in self.axes if a != axis)
        if callable(reducer):
            return self._reduce_in_python(by, axes, reducer)
        if reducer == "concat":
            return self._reduce_in_python(by, axes, concat)
        view = self._inner.collapse(by, reducer)
        if reducer == "count":
            # the store may count in integers; the series keeps its float value columns
            view = self._build({name: view.column(name) for name in view.columns})
        return self._derive(view, axes)

    def _check_reducer(self, reducer: Reducer) -> None:
        if callable(reducer):
            return
        if reducer not in self._reducers:
            raise ValueError(
                f"Reducer {reducer!r} is not supported by {type(self).__name__}; "
                f"allowed: {self.allowed_reducers()}, or a callable."
            )

    def _reduce_in_python(self, by: list[str], axes: tuple[str, ...], reducer: Callable) -> Any:
        keys, groups = self._inner.group(by)
        elements = self.values()
        results = [reducer([elements[p] for p in group]) for group in groups]
        columns = {name: keys.column(name) for name in by}
        objects = self._objects
        if self._stores_objects:
            objects = results
            columns["obj"] = list(range(len(results)))
        else:
            rows = [self._result_row(result) for result in results]
            for index, name in enumerate(self._value_columns):
                columns[name] = [row[index] for row in rows]
        return self._derive(self._build(columns), axes, objects)

    def _build(self, columns: dict[str, list[Any]]) -> Any:
        """A new view holding ``columns``, typed by the series' schema."""
        table = _store.Table([(name, self._schema[name]) for name in columns])
        table.extend(columns)
        return table.view()

    # ---------------------------------------------------------------- polars

    def to_polars(self) -> Any:
        """The rows as a ``polars.DataFrame`` (no copy).

        Axis and value columns keep their names; an ``obj`` column holds integer
        handles: pass them to `objects` to get the Python objects.
        """
        import polars as pl

        return pl.DataFrame(self._inner.to_arrow())

    def objects(self, handles: Iterable[int] | int) -> Any:
        """The Python objects behind ``obj`` handles (one handle, or an iterable of them)."""
        if isinstance(handles, Iterable):
            return [self._objects[int(handle)] for handle in handles]
        return self._objects[int(handles)]


def concat(parts: list[Any]) -> Any:
    """Concatenate tensors or arrays along axis 0 (the ``"concat"`` reducer)."""
    first = parts[0]
    if type(first).__module__.startswith("torch"):
        import torch

        return torch.cat(parts, dim=0)
    if type(first).__module__.startswith("numpy"):
        import numpy as np

        return np.concatenate(parts, axis=0)
    raise TypeError(f"'concat' needs torch tensors or numpy arrays, got {type(first).__name__}.")
