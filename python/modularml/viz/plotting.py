"""Metric curves as matplotlib Figures: one phase, several runs, or one series.

Figures are built with `matplotlib.figure.Figure`, not pyplot: no global state,
no window, any backend. A notebook shows a returned Figure inline; call
``fig.savefig(path)`` to write it.

Per-batch values are drawn as a thin line, per-epoch values as a marked line on
the same axes (the batches of epoch ``e`` spread around ``x = e``), phase-level
values as a dashed horizontal line. A per-batch line of more than
`MAX_LINE_POINTS` points is drawn from the means of consecutive points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import polars as pl

from modularml.viz.curves import default_curves, place, results_curves, series_curves

Per = Literal["both", "batch", "epoch"]
Source = tuple[str, pl.DataFrame]  # legend label, placed curve frame

# a per-batch line longer than this is drawn from means of consecutive points
MAX_LINE_POINTS = 4000

_LEVELS: dict[str, tuple[str, ...]] = {
    "both": ("batch", "epoch", "phase"),
    "batch": ("batch", "phase"),
    "epoch": ("epoch", "phase"),
}


def plot_results(
    results: Any,
    metrics: str | Sequence[str] | None = None,
    *,
    per: Per = "both",
    overlay: bool = False,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Any:
    """Curves of one phase's (or one group's) results.

    Args:
        results: A PhaseResults, or a PhaseGroupResults (one legend entry per phase).
        metrics: Metric names to draw (a loss is named ``node/label``); default:
            every metric, or every loss when the phase logged no metric.
        per: ``"both"``, ``"batch"`` (only per-batch values) or ``"epoch"``.
        overlay: Draw every metric on one axes instead of one axes per metric.
        title: Figure title (default: the results' label).
        figsize: Figure size in inches (default: from the number of axes).

    Returns:
        A ``matplotlib.figure.Figure``.

    Raises:
        ValueError: A requested metric was not logged, or ``per`` is unknown.
    """
    sources = [(label, results_curves(phase)) for label, phase in _phases(results)]
    heading = results.label if title is None else title
    return _figure(sources, metrics, per=per, overlay=overlay, title=heading, figsize=figsize)


def plot_runs(
    runs: Iterable[Any],
    metrics: str | Sequence[str] | None = None,
    *,
    per: Per = "both",
    overlay: bool = False,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Any:
    """Curves of several runs (an experiment's history, a results directory's runs).

    Each run's phases are one legend entry each, labelled by the run's label (and
    ``run/phase`` when a run has several phases). Arguments as in `plot_results`.
    """
    sources: list[Source] = []
    for run in runs:
        phases = _phases(run.results)
        for phase_label, phase in phases:
            label = run.label if len(phases) == 1 else f"{run.label}/{phase_label}"
            sources.append((label, results_curves(phase)))
    return _figure(sources, metrics, per=per, overlay=overlay, title=title, figsize=figsize)


def plot_series(series: Any, *, per: Per = "both", ax: Any = None, title: str | None = None) -> Any:
    """Curves of a metric or loss series on one axes, one legend entry per name.

    Args:
        series: A MetricDataSeries or LossDataSeries (filtered or collapsed).
        per: ``"both"``, ``"batch"`` or ``"epoch"``.
        ax: Draw on these matplotlib axes instead of a new Figure.
        title: Axes title.

    Returns:
        The Figure drawn on.
    """
    _check_per(per)
    points = place(series_curves(series))
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(6, 3.6), layout="constrained").subplots()
    names = points["curve"].unique(maintain_order=True).to_list()
    for index, name in enumerate(names):
        curve = points.filter(pl.col("curve") == name)
        _draw(ax, curve, label=name, color=_color(index), levels=_LEVELS[per])
    _finish_axes(ax, points, title=title, legend=len(names) > 1)
    return ax.figure


# --------------------------------------------------------------------- internals


def _phases(results: Any) -> list[tuple[str, Any]]:
    flatten = getattr(results, "flatten", None)
    if flatten is not None:
        return list(flatten().items())
    return [(results.label, results)]


def _check_per(per: str) -> None:
    if per not in _LEVELS:
        raise ValueError(f"per must be one of {sorted(_LEVELS)}, got {per!r}.")


def _unique_labels(labels: list[str]) -> list[str]:
    # two runs with one label still get two legend entries
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _chosen_metrics(sources: list[Source], metrics: str | Sequence[str] | None) -> list[str]:
    frames = [frame for _, frame in sources]
    everything = pl.concat(frames) if frames else pl.DataFrame({"curve": [], "record": []})
    available = everything["curve"].unique(maintain_order=True).to_list()
    if metrics is None:
        return default_curves(everything)["curve"].unique(maintain_order=True).to_list()
    chosen = [metrics] if isinstance(metrics, str) else list(metrics)
    missing = [name for name in chosen if name not in available]
    if missing:
        raise ValueError(f"No metric {missing[0]!r} in these results; available: {available}")
    return chosen


def _figure(
    sources: list[Source],
    metrics: str | Sequence[str] | None,
    *,
    per: Per,
    overlay: bool,
    title: str | None,
    figsize: tuple[float, float] | None,
) -> Any:
    from matplotlib.figure import Figure

    _check_per(per)
    labels = _unique_labels([label for label, _ in sources])
    placed = [(label, place(frame)) for label, (_, frame) in zip(labels, sources, strict=True)]
    chosen = _chosen_metrics(sources, metrics)
    panels = [chosen] if overlay else [[name] for name in chosen]
    panels = panels or [[]]  # nothing logged: one empty, captioned axes
    ncols = min(len(panels), 2) or 1
    nrows = max(math.ceil(len(panels) / ncols), 1)
    size = figsize or (5.6 * ncols, 3.6 * nrows)
    fig = Figure(figsize=size, layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, names in zip(grid, panels, strict=False):
        _panel(ax, placed, names, levels=_LEVELS[per])
    for ax in grid[len(panels) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def _panel(ax: Any, placed: list[Source], names: list[str], *, levels: tuple[str, ...]) -> None:
    """One axes: ``names`` of every source; colours by source (or source and name)."""
    several = len(names) > 1
    drawn = []
    for name_index, name in enumerate(names):
        for source_index, (label, frame) in enumerate(placed):
            points = frame.filter(pl.col("curve") == name)
            if not len(points):
                continue
            entry = _entry(label, name, several=several, sources=len(placed))
            index = name_index * len(placed) + source_index if several else source_index
            _draw(ax, points, label=entry, color=_color(index), levels=levels)
            drawn.append(points)
    all_points = pl.concat(drawn) if drawn else None
    if not names:
        ax.text(0.5, 0.5, "no metrics recorded", ha="center", va="center", transform=ax.transAxes)
    _finish_axes(ax, all_points, title=names[0] if len(names) == 1 else None, legend=bool(drawn))


def _entry(label: str, name: str, *, several: bool, sources: int) -> str:
    """Legend text: the source on a one-metric axes, the metric (and source) on an overlay."""
    if not several:
        return label
    return f"{label}: {name}" if sources > 1 else name


def _draw(
    ax: Any, points: pl.DataFrame, *, label: str, color: Any, levels: tuple[str, ...]
) -> None:
    """One curve of one source: thin per-batch line, marked per-epoch line, phase lines."""
    # a level left out by `per` reads as no points
    batches, epochs, phase = (
        points.filter(pl.col("level") == level).sort("x") if level in levels else points.clear()
        for level in ("batch", "epoch", "phase")
    )
    has_epochs, has_batches = len(epochs) > 0, len(batches) > 0
    if has_batches:
        # the batch line joins the legend only when no epoch line stands for the curve
        thin = f"_{label} per batch" if has_epochs else label
        batches = _thinned(batches)
        ax.plot(batches["x"], batches["value"], lw=0.8, alpha=0.45, color=color, label=thin)
    if has_epochs:
        ax.plot(epochs["x"], epochs["value"], marker="o", ms=4, lw=1.6, color=color, label=label)
    for position, value in enumerate(phase["value"]):
        entry = label if position == 0 and not (has_epochs or has_batches) else f"_{label}"
        ax.axhline(value, ls="--", lw=1, color=color, label=entry)


def _thinned(points: pl.DataFrame) -> pl.DataFrame:
    """At most `MAX_LINE_POINTS` points: means of runs of consecutive points."""
    if len(points) <= MAX_LINE_POINTS:
        return points
    step = math.ceil(len(points) / MAX_LINE_POINTS)
    groups = pl.int_range(pl.len()) // step
    return points.group_by(groups.alias("group"), maintain_order=True).agg(
        pl.col("x").mean(), pl.col("value").mean()
    )


def _finish_axes(ax: Any, points: pl.DataFrame | None, *, title: str | None, legend: bool) -> None:
    from matplotlib.ticker import MaxNLocator

    on_epochs = points is not None and points["epoch"].is_not_null().any()
    ax.set_xlabel("epoch" if on_epochs else "batch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    if legend and any(not line.get_label().startswith("_") for line in ax.get_lines()):
        ax.legend(fontsize="small")


def _color(index: int) -> Any:
    from matplotlib import rcParams

    cycle = rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    return cycle[index % len(cycle)]
