"""Look at results: metric curves as matplotlib Figures, summaries as tables and HTML.

Nothing here is imported by `import modularml`; matplotlib is loaded only when a
plot is made.
"""

from modularml.viz.plotting import plot_results, plot_runs, plot_series
from modularml.viz.summary import metric_summary, run_summary

__all__ = ["metric_summary", "plot_results", "plot_runs", "plot_series", "run_summary"]
