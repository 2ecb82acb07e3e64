"""Built-in phase callbacks and the result types hooks return."""

from modularml.callbacks.config import callback_from_config
from modularml.callbacks.early_stopping import EarlyStopping, EarlyStoppingResult
from modularml.callbacks.eval_loss_metric import EvalLossMetric
from modularml.callbacks.evaluation import Evaluation, EvaluationCallbackResult
from modularml.callbacks.metric import EvaluationMetric, MetricCallback
from modularml.results import ArtifactResult, CallbackResult, MetricResult, PayloadResult

__all__ = [
    "ArtifactResult",
    "CallbackResult",
    "EarlyStopping",
    "EarlyStoppingResult",
    "EvalLossMetric",
    "Evaluation",
    "EvaluationCallbackResult",
    "EvaluationMetric",
    "MetricCallback",
    "MetricResult",
    "PayloadResult",
    "callback_from_config",
]
