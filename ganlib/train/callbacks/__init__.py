"""Callbacks: logging, progress, sample grids, learning curves, checkpoints, evaluation, schedules.

They plug into :class:`~ganlib.train.Trainer` and keep the loop free of I/O, each in a module
of its own. None of them synchronizes with the device more often than its ``every`` interval
asks: they read the Trainer's host-side :class:`~ganlib.train.History`, which converts the
device metrics in one batch when it is read.

A run directory produced by ``python -m ganlib train`` and these callbacks looks like::

    run/
      config.json            the run's arguments
      metrics.jsonl          one JSON object per logged iteration (MetricsLogger)
      tensorboard/           TensorBoard event files (MetricsLogger)
      curves.png             learning curves (LearningCurves)
      samples/iter_000100.png, samples/latest.png   fixed-noise grids (SampleGrid)
      checkpoints/latest.pt  the newest checkpoint (Checkpointer)
"""

from ganlib.models.sampling import generate_samples
from ganlib.train.callbacks.betas import Beta2Schedule
from ganlib.train.callbacks.budget import TimeBudget
from ganlib.train.callbacks.checkpointer import Checkpointer
from ganlib.train.callbacks.clip import GradientClip
from ganlib.train.callbacks.curves import PANELS, LearningCurves, Panel, panel_layout, register_panel
from ganlib.train.callbacks.evaluation import EvaluateMNIST, EvaluateToy
from ganlib.train.callbacks.landscape import CriticLandscape, draw_landscape
from ganlib.train.callbacks.logger import MetricsLogger, read_log
from ganlib.train.callbacks.lr import LR_SCHEDULES, LRSchedule, build_lr_schedule, register_lr_schedule
from ganlib.train.callbacks.progress import ProgressBar
from ganlib.train.callbacks.replay import ReplayBuffer
from ganlib.train.callbacks.samples import SampleGrid, grid_labels
from ganlib.train.callbacks.standard import standard_callbacks

__all__ = [
    "Beta2Schedule",
    "LR_SCHEDULES",
    "PANELS",
    "Checkpointer",
    "CriticLandscape",
    "EvaluateMNIST",
    "EvaluateToy",
    "GradientClip",
    "LRSchedule",
    "LearningCurves",
    "MetricsLogger",
    "Panel",
    "ProgressBar",
    "ReplayBuffer",
    "SampleGrid",
    "TimeBudget",
    "build_lr_schedule",
    "draw_landscape",
    "generate_samples",
    "grid_labels",
    "panel_layout",
    "read_log",
    "register_lr_schedule",
    "register_panel",
    "standard_callbacks",
]
