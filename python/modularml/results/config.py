"""How much of a run's results to keep, and where."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

TABLE_FORMATS = ("ipc", "parquet")


class ResultRecording(Enum):
    """Which of a training phase's execution contexts to keep."""

    ALL = "all"
    LAST = "last"
    NONE = "none"

    @classmethod
    def from_value(cls, value: ResultRecording | str) -> ResultRecording:
        """A member, from a member or a case-insensitive name or value.

        Raises:
            ValueError: Not a recording mode.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            for member in cls:
                if value.lower() in (member.value, member.name.lower()):
                    return member
        raise ValueError(f"Invalid ResultRecording: {value!r}; allowed: {[m.value for m in cls]}")


@dataclass
class ResultsConfig:
    """Where results go and which of them are written to disk.

    Attributes:
        results_dir: Directory for results on disk; None keeps everything in memory.
        save_execution: Write execution records.
        save_metrics: Write metrics (and losses).
        save_artifacts: Write artifacts.
        table_format: Format of the tables compacted at each phase end: "ipc" (Arrow
            IPC, `pl.scan_ipc`) or "parquet" (`pl.scan_parquet`, DuckDB, Spark). Both
            are hive-partitioned by run / phase / rank (`modularml.scan_results`).
    """

    results_dir: Path | None = None
    save_execution: bool = True
    save_metrics: bool = True
    save_artifacts: bool = True
    table_format: str = "ipc"

    def __post_init__(self) -> None:
        if self.table_format not in TABLE_FORMATS:
            raise ValueError(
                f"table_format must be one of {TABLE_FORMATS}, got {self.table_format!r}.")
        if self.results_dir is not None:
            self.results_dir = Path(self.results_dir)

    def phase_dir(self, phase_suffix: str) -> Path | None:
        """``results_dir / phase_suffix``, or None in memory."""
        return None if self.results_dir is None else self.results_dir / phase_suffix

    def get_config(self) -> dict[str, Any]:
        """The configuration as plain values."""
        return {
            "results_dir": None if self.results_dir is None else str(self.results_dir),
            "save_execution": self.save_execution,
            "save_metrics": self.save_metrics,
            "save_artifacts": self.save_artifacts,
            "table_format": self.table_format,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ResultsConfig:
        """Inverse of `get_config`."""
        return cls(**config)
