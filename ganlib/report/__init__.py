"""Reports of runs: one self-contained HTML page per run, study or bench
(:func:`write_report`), and runs compared side by side (:mod:`ganlib.report.compare`)."""

from ganlib.report.compare import RunRecord, compare_table, differing_settings, draw_comparison, final_values, load_run, load_runs, shared_metrics
from ganlib.report.page import build_report, write_report

__all__ = [
    "RunRecord",
    "build_report",
    "compare_table",
    "differing_settings",
    "draw_comparison",
    "final_values",
    "load_run",
    "load_runs",
    "shared_metrics",
    "write_report",
]
