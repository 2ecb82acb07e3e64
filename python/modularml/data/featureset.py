"""FeatureSet: named per-sample columns held as contiguous numpy arrays, with splits.

Columns are named `<domain>.<key>.<rep>` (domain: features, targets, tags; rep: raw). Each
column is one array of shape `(n_samples, *per_sample_shape)`; trailing singleton
per-sample dimensions are squeezed, so a per-sample `(1,)` target is stored as a scalar.
Models see a domain as the selected columns stacked on axis 1: `(N, n_columns, *shape)`.
"""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from modularml.data.reference import FeatureSetReference
from modularml.data.splits import largest_remainder_sizes

DOMAINS = ("features", "targets", "tags")


def _as_column(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values)
    except ValueError as e:  # ragged per-sample arrays
        e.add_note(f"while reading column {name!r}: per-sample arrays must share one shape")
        raise
    if arr.dtype == object:
        raise ValueError(f"Column {name!r} holds ragged or mixed per-sample values.")
    while arr.ndim > 1 and arr.shape[-1] == 1:  # (N, ..., 1) -> (N, ...)
        arr = arr[..., 0]
    return np.ascontiguousarray(arr)


def _listify(keys: str | Sequence[str] | None) -> list[str]:
    if keys is None:
        return []
    return [keys] if isinstance(keys, str) else list(keys)


def stack_columns(columns: Mapping[str, np.ndarray], names: Sequence[str]) -> np.ndarray:
    """Stack the named columns on a new axis 1: `(N, len(names), *per_sample_shape)`."""
    arrays = [columns[n] for n in names]
    shapes = {a.shape[1:] for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"Columns {list(names)} have different per-sample shapes {shapes}.")
    return np.stack(arrays, axis=1)


class FeatureSet:
    """A labelled collection of samples with feature, target and tag columns.

    Build one with `FeatureSet.from_dict` or `FeatureSet.from_polars`. Creating a FeatureSet
    registers it in the active experiment context under its label.
    """

    def __init__(self, label: str, columns: Mapping[str, Any], *, register: bool = True) -> None:
        if not columns:
            raise ValueError("A FeatureSet needs at least one column.")
        self._label = label
        self.node_id = str(uuid.uuid4())
        self._columns = {name: _as_column(v, name) for name, v in sorted(columns.items())}
        lengths = {len(a) for a in self._columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"Columns of FeatureSet {label!r} differ in length: {lengths}.")
        self._n = lengths.pop()
        for name in self._columns:
            if name.split(".")[0] not in DOMAINS or name.count(".") != 2:
                raise ValueError(f"Column {name!r} is not named '<domain>.<key>.<rep>'.")
        self._splits: dict[str, FeatureSetView] = {}
        if register:
            from modularml.core.experiment.context import ExperimentContext

            ExperimentContext.get_active().register(self)

    # -- constructors ------------------------------------------------------------------
    @classmethod
    def from_dict(
        cls,
        label: str,
        data: Mapping[str, Any],
        feature_keys: str | Sequence[str],
        target_keys: str | Sequence[str],
        tag_keys: str | Sequence[str] | None = None,
    ) -> FeatureSet:
        """Build from `{key: per-sample values}`: a list of per-sample arrays, or an array.

        Keys not listed in `feature_keys`, `target_keys` or `tag_keys` are ignored.
        """
        columns: dict[str, Any] = {}
        for domain, keys in zip(DOMAINS, (feature_keys, target_keys, tag_keys), strict=True):
            for key in _listify(keys):
                if key not in data:
                    raise KeyError(f"{domain[:-1]} key {key!r} is not in data ({list(data)}).")
                columns[f"{domain}.{key}.raw"] = data[key]
        return cls(label, columns)

    @classmethod
    def from_polars(
        cls,
        label: str,
        df: Any,
        feature_cols: str | Sequence[str],
        target_cols: str | Sequence[str],
        tag_cols: str | Sequence[str] | None = None,
    ) -> FeatureSet:
        """Build from a polars DataFrame: one row per sample; list/array columns hold arrays."""
        data: dict[str, Any] = {}
        for col in [*_listify(feature_cols), *_listify(target_cols), *_listify(tag_cols)]:
            values = df.get_column(col).to_numpy()
            if values.dtype == object:  # a List column: one array per row
                values = np.stack([np.asarray(v) for v in values])
            data[col] = values
        return cls.from_dict(label, data, feature_cols, target_cols, tag_cols)

    # -- inspection --------------------------------------------------------------------
    @property
    def label(self) -> str:
        return self._label

    @property
    def n_samples(self) -> int:
        return self._n

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"FeatureSet(label={self._label!r}, n_samples={self._n})"

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """Fully qualified column name -> array (read-only views)."""
        out = {}
        for name, arr in self._columns.items():
            view = arr.view()
            view.flags.writeable = False
            out[name] = view
        return out

    def _keys(self, domain: str, include_domain_prefix: bool, include_rep_suffix: bool) -> list:
        names = [n for n in self._columns if n.startswith(domain + ".")]
        if not include_domain_prefix:
            names = [n.split(".", 1)[1] for n in names]
        if not include_rep_suffix:
            names = [n.rsplit(".", 1)[0] for n in names]
        return names

    def get_feature_keys(self, *, include_domain_prefix=True, include_rep_suffix=True) -> list:
        return self._keys("features", include_domain_prefix, include_rep_suffix)

    def get_target_keys(self, *, include_domain_prefix=True, include_rep_suffix=True) -> list:
        return self._keys("targets", include_domain_prefix, include_rep_suffix)

    def get_tag_keys(self, *, include_domain_prefix=True, include_rep_suffix=True) -> list:
        return self._keys("tags", include_domain_prefix, include_rep_suffix)

    def get_all_keys(self) -> list[str]:
        return list(self._columns)

    def get_feature_shapes(self) -> dict[str, tuple[int, ...]]:
        return {n: self._columns[n].shape[1:] for n in self.get_feature_keys()}

    def get_target_shapes(self) -> dict[str, tuple[int, ...]]:
        return {n: self._columns[n].shape[1:] for n in self.get_target_keys()}

    def get_features(self, fmt: str = "numpy") -> Any:
        return self.to_view().get_features(fmt)

    def get_targets(self, fmt: str = "numpy") -> Any:
        return self.to_view().get_targets(fmt)

    # -- column selection --------------------------------------------------------------
    def select_columns(self, domain: str, selectors: str | Iterable[str] | None) -> tuple:
        """Resolve selectors (`"voltage"`, `"voltage.raw"`, full names, wildcards) to names."""
        names = self._keys(domain, True, True)
        if selectors is None:
            return tuple(names)
        chosen: list[str] = []
        for sel in _listify(selectors):  # type: ignore[arg-type]
            pattern = sel if sel.startswith(domain + ".") else f"{domain}.{sel}"
            hits = [n for n in names if fnmatch.fnmatchcase(n, pattern) or n == pattern + ".raw"]
            if not hits:
                raise KeyError(f"No {domain} column matches {sel!r}; available: {names}.")
            chosen.extend(h for h in hits if h not in chosen)
        return tuple(sorted(chosen))

    def reference(
        self,
        *,
        features: str | Sequence[str] | None = None,
        targets: str | Sequence[str] | None = None,
        tags: str | Sequence[str] | None = None,
    ) -> FeatureSetReference:
        """A frozen column selection of this FeatureSet; an unspecified domain takes all."""
        return FeatureSetReference(
            node_label=self._label,
            node_id=self.node_id,
            features=self.select_columns("features", features),
            targets=self.select_columns("targets", targets),
            tags=self.select_columns("tags", tags),
        )

    # -- splits ------------------------------------------------------------------------
    def to_view(self, label: str | None = None) -> FeatureSetView:
        return FeatureSetView(self, np.arange(self._n), label)

    def split_random(
        self, ratios: Mapping[str, float], *, seed: int = 13, return_views: bool = False
    ) -> dict[str, FeatureSetView] | None:
        """Shuffle the samples (seeded) and cut them into splits of the given ratios.

        Sizes come from largest-remainder rounding of `ratio * n_samples`, so they always
        sum to `n_samples` (500 at 0.7/0.15/0.15 gives 350/75/75).
        """
        clash = [name for name in ratios if name in self._splits]
        if clash:
            raise ValueError(
                f"Split label {clash[0]!r} already exists; call clear_splits() first."
            )
        sizes = largest_remainder_sizes(ratios, self._n)
        order = np.random.default_rng(seed).permutation(self._n)
        views, start = {}, 0
        for name, size in sizes.items():
            views[name] = FeatureSetView(self, np.sort(order[start : start + size]), name)
            start += size
        self._splits.update(views)
        return views if return_views else None

    def add_split(self, view: FeatureSetView) -> None:
        if view.source is not self:
            raise ValueError("The view's source is not this FeatureSet.")
        if not view.label or view.label in self._splits:
            raise ValueError(f"Split label {view.label!r} is missing or already exists.")
        self._splits[view.label] = view

    def clear_splits(self) -> None:
        self._splits.clear()

    @property
    def splits(self) -> dict[str, FeatureSetView]:
        return dict(self._splits)

    @property
    def available_splits(self) -> list[str]:
        return list(self._splits)

    @property
    def n_splits(self) -> int:
        return len(self._splits)

    def get_split(self, name: str) -> FeatureSetView:
        try:
            return self._splits[name]
        except KeyError:
            raise KeyError(
                f"FeatureSet {self._label!r} has no split {name!r}; available: "
                f"{self.available_splits}"
            ) from None

    def __getitem__(self, name: str) -> FeatureSetView:
        return self.get_split(name)


class FeatureSetView:
    """Rows of a FeatureSet (by position); splits are views. Tensors are built once per view."""

    def __init__(self, source: FeatureSet, indices: Any, label: str | None = None) -> None:
        self.source = source
        self.indices = np.asarray(indices, dtype=np.int64)
        self.label = label
        self._tensor_cache: dict[tuple, tuple[Any, Any]] = {}

    @property
    def n_samples(self) -> int:
        return len(self.indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __repr__(self) -> str:
        return (
            f"FeatureSetView(source={self.source.label!r}, n_samples={len(self)}, "
            f"label={self.label!r})"
        )

    def _stack(self, names: Sequence[str]) -> np.ndarray:
        return stack_columns(self.source._columns, names)[self.indices]

    def get_features(self, fmt: str = "numpy", columns: Sequence[str] | None = None) -> Any:
        names = columns or self.source.get_feature_keys()
        if fmt == "dict":
            return {n: self.source._columns[n][self.indices] for n in names}
        return self._stack(names)

    def get_targets(self, fmt: str = "numpy", columns: Sequence[str] | None = None) -> Any:
        names = columns or self.source.get_target_keys()
        if fmt == "dict":
            return {n: self.source._columns[n][self.indices] for n in names}
        return self._stack(names)

    def tensors(self, reference: FeatureSetReference, device: Any) -> tuple[Any, Any]:
        """`(features, targets)` float32 tensors on `device` for the reference's columns.

        Built once per (columns, device) and kept on the view, so every epoch and every
        phase run over this split reuses them; batches are index gathers into these.
        """
        import torch

        key = (reference.features, reference.targets, str(device))
        cached = self._tensor_cache.get(key)
        if cached is None:

            def to_tensor(names: Sequence[str]) -> Any:
                if not names:
                    return None
                arr = self._stack(names)
                return torch.from_numpy(arr).to(device=device, dtype=torch.float32)

            cached = (to_tensor(reference.features), to_tensor(reference.targets))
            self._tensor_cache[key] = cached
        return cached
