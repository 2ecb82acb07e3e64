"""An evaluation's losses summed over ranks, so every rank sees the global values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modularml.distributed.ranks import all_reduce_sum


def _local_sums(eval_results: Any, node: str, label: str, rows: dict[Any, int]) -> list[float]:
    """[sum of value * rows, rows, sum of values, batches] of one loss on this rank."""
    if node not in eval_results.loss_nodes():
        return [0.0, 0.0, 0.0, 0.0]
    weighted = total_rows = plain = batches = 0.0
    for record, batch in _records(eval_results, node, label):
        n = rows.get(batch, 0)
        weighted += record.auxiliary * n
        total_rows += n
        plain += record.auxiliary
        batches += 1
    return [weighted, total_rows, plain, batches]


def _records(eval_results: Any, node: str, label: str) -> list[tuple[Any, Any]]:
    series = eval_results.losses(node).where(label=label)
    return [(rec, key[1]) for key, rec in series.items()]


def reduce_eval_losses(
    eval_results: Any, losses: Sequence[Any]
) -> dict[str, dict[str, dict[str, float]]]:
    """`{node: {loss label: {"mean": m, "sum": s}}}` over the batches of every rank.

    "mean" weights each batch by its rows (the value a single process gets for a
    row-averaged loss evaluated in one batch); "sum" adds the per-batch values of all
    ranks. One all_reduce for all losses; every rank must call this (a collective).
    """
    rows = {ctx.batch_idx: _n_rows(ctx) for ctx in eval_results.execution_contexts().values()}
    flat: list[float] = []
    for loss in losses:
        flat += _local_sums(eval_results, loss.node_label, loss.label, rows)
    summed = all_reduce_sum(flat)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for i, loss in enumerate(losses):
        weighted, total_rows, plain, _batches = summed[4 * i: 4 * i + 4]
        mean = weighted / total_rows if total_rows else float("nan")
        out.setdefault(loss.node_label, {})[loss.label] = {"mean": mean, "sum": plain}
    return out


def _n_rows(exec_ctx: Any) -> int:
    outputs = exec_ctx.outputs
    return len(next(iter(outputs.values()))) if outputs else 0
