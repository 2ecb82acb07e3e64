"""TrainPhase, EvalPhase, FitPhase and PhaseGroup."""
