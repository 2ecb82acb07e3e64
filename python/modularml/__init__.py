"""modularml: train PyTorch models with callbacks; query what they logged.

Public names are loaded on first use, so `import modularml` does no work beyond
checking that the native extension matches this package.
"""

from __future__ import annotations

import importlib
from typing import Any

from modularml._version import __version__, check_native_version

check_native_version()

# public name -> module that defines it; imported on first attribute access
_EXPORTS: dict[str, str] = {
    "AppliedLoss": "modularml.graph.loss",
    "Loss": "modularml.graph.loss",
    "ModelGraph": "modularml.graph.model_graph",
    "ModelNode": "modularml.graph.model_node",
    "Optimizer": "modularml.graph.optimizer",
    "FeatureSet": "modularml.data.featureset",
    "FeatureSetView": "modularml.data.featureset",
    "FeatureSetReference": "modularml.data.reference",
    "Experiment": "modularml.core.experiment.experiment",
    "ExperimentContext": "modularml.core.experiment.context",
    "EmptyExperimentContextError": "modularml.core.experiment.context",
    "NodeNotFoundError": "modularml.core.experiment.context",
    "CorruptFileError": "modularml._store",
    "StorePanicError": "modularml._store",
    "ExecutionContext": "modularml.core.experiment.execution_context",
    "ExperimentCallback": "modularml.core.experiment.callbacks.experiment_callback",
    "InputBinding": "modularml.core.experiment.phases.phase",
    "TrainPhase": "modularml.core.experiment.phases.train_phase",
    "EvalPhase": "modularml.core.experiment.phases.eval_phase",
    "FitPhase": "modularml.core.experiment.phases.fit_phase",
    "PhaseGroup": "modularml.core.experiment.phases.phase_group",
    "ResultRecording": "modularml.results",
    "ResultsConfig": "modularml.results",
    "TrainResults": "modularml.results",
    "EvalResults": "modularml.results",
    "FitResults": "modularml.results",
    "PhaseGroupResults": "modularml.results",
    "ExperimentRun": "modularml.results",
    "open_results": "modularml.results.reopen",
    "ResultsDirectory": "modularml.results.reopen",
    "EarlyStopping": "modularml.callbacks",
    "EvalLossMetric": "modularml.callbacks",
    "scan_results": "modularml.distributed.scan",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'modularml' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
