"""Results of phases and runs: records, callback results, series, and their containers."""

from modularml.results.callback_results import (
    ArtifactResult,
    CallbackResult,
    MetricResult,
    PayloadResult,
)
from modularml.results.config import ResultRecording, ResultsConfig
from modularml.results.execution_meta import PhaseExecutionMeta, PhaseGroupExecutionMeta
from modularml.results.experiment_run import ExperimentRun
from modularml.results.group_results import PhaseGroupResults
from modularml.results.phase_kinds import EvalResults, FitResults, TrainResults
from modularml.results.phase_results import PhaseResults
from modularml.results.records import ArtifactEntry, LossRecord, MetricEntry
from modularml.results.series import AxisSeries
from modularml.results.typed_series import (
    ArtifactDataSeries,
    CallbackDataSeries,
    ExecutionDataSeries,
    LossDataSeries,
    MetricDataSeries,
    TensorDataSeries,
)

__all__ = [
    "ArtifactDataSeries",
    "ArtifactEntry",
    "ArtifactResult",
    "AxisSeries",
    "CallbackDataSeries",
    "CallbackResult",
    "EvalResults",
    "ExecutionDataSeries",
    "ExperimentRun",
    "FitResults",
    "LossDataSeries",
    "LossRecord",
    "MetricDataSeries",
    "MetricEntry",
    "MetricResult",
    "PayloadResult",
    "PhaseExecutionMeta",
    "PhaseGroupExecutionMeta",
    "PhaseGroupResults",
    "PhaseResults",
    "ResultRecording",
    "ResultsConfig",
    "TensorDataSeries",
    "TrainResults",
]
