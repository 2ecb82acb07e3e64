"""One run directory shared by every rank: rank 0 creates it, the others write beside it."""

from __future__ import annotations

from typing import Any

from modularml.distributed.ranks import broadcast_object, is_distributed, rank, world_size


def make_recorder(config: Any, label: str, experiment_label: str) -> Any:
    """A RunRecorder for this rank: the run's directory is rank 0's, shared with all ranks.

    Rank 0 creates the run directory (and owns its manifest); its name is broadcast once,
    then every rank writes only its own `rank=<r>/` shard: no lock and no other
    coordination between ranks while the run goes on.
    """
    from modularml.results.run_dir import RunRecorder

    if not is_distributed():
        return RunRecorder(config, label, experiment_label)
    this_rank = rank()
    recorder = None
    if this_rank == 0:
        recorder = RunRecorder(config, label, experiment_label, rank=0, world_size=world_size())
    run_dir = broadcast_object(None if recorder is None else str(recorder.run_dir))
    if recorder is None:
        recorder = RunRecorder(config, label, experiment_label, rank=this_rank,
                               world_size=world_size(), run_dir=run_dir)
    return recorder
