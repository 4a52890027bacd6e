"""Training: the Trainer and its rooms.

* :mod:`ganlib.train.trainer` -- the loop and the steps of an iteration;
* :mod:`ganlib.train.callback` -- the Callback API, its dispatch, and ``register_callback``;
* :mod:`ganlib.train.callbacks` -- ganlib's callbacks (logging, progress, grids, curves,
  checkpoints, evaluation, learning-rate schedules);
* :mod:`ganlib.train.state` -- what a checkpoint holds, its format number and migrations;
* :mod:`ganlib.train.schedule` -- how critic and generator steps alternate;
* :mod:`ganlib.train.optimizers` -- optimizers by name, with what each takes;
* :mod:`ganlib.train.history` -- the host-side table of every iteration's metrics;
* :mod:`ganlib.train.precision`, :mod:`~ganlib.train.distributed`,
  :mod:`~ganlib.train.capture`, :mod:`~ganlib.train.feed` -- the seams of the step;
* :mod:`ganlib.train.signals`, :mod:`~ganlib.train.ema`, :mod:`~ganlib.train.rng`,
  :mod:`~ganlib.train.device`.
"""

from ganlib.checkpoint import CHECKPOINT_DIR, LATEST, find_checkpoint, load_checkpoint, save_checkpoint
from ganlib.errors import NonFiniteError, TrainingInterrupted
from ganlib.train.callback import CALLBACKS, Callback, CallbackList, Loop, register_callback
from ganlib.train.callbacks import (
    LR_SCHEDULES,
    PANELS,
    Checkpointer,
    CriticLandscape,
    EvaluateMNIST,
    EvaluateToy,
    Beta2Schedule,
    GradientClip,
    LearningCurves,
    LRSchedule,
    MetricsLogger,
    Panel,
    ProgressBar,
    ReplayBuffer,
    SampleGrid,
    TimeBudget,
    build_lr_schedule,
    draw_landscape,
    generate_samples,
    grid_labels,
    panel_layout,
    read_log,
    register_lr_schedule,
    register_panel,
    standard_callbacks,
)
from ganlib.train.capture import CapturePlan, GraphCapture, capture_blocker, make_capturable
from ganlib.train.device import resolve_device
from ganlib.train.distributed import Distributed
from ganlib.train.ema import EMA
from ganlib.train.growth import Growth, GrowthPlan, grow_optimizer
from ganlib.train.history import History, migrate_name
from ganlib.train.metrics import FiniteGuard, MetricAccumulator, Metrics, metric_name
from ganlib.train.precision import PRECISIONS, Precision
from ganlib.train.rng import get_rng_state, set_rng_state
from ganlib.train.optimizers import OPTIMIZERS, build_optimizer, register_optimizer
from ganlib.train.schedule import STEP_SCHEDULES, AdaptiveSchedule, FixedSchedule, StepSchedule, Steps, register_step_schedule
from ganlib.train.state import CHECKPOINT_FORMAT, upgrade_state
from ganlib.train.steps import StepRunner
from ganlib.train.trainer import CAPTURE_MODES, Trainer

__all__ = [
    "CALLBACKS",
    "CAPTURE_MODES",
    "CHECKPOINT_DIR",
    "CHECKPOINT_FORMAT",
    "EMA",
    "Growth",
    "GrowthPlan",
    "grow_optimizer",
    "LATEST",
    "LR_SCHEDULES",
    "OPTIMIZERS",
    "PANELS",
    "PRECISIONS",
    "STEP_SCHEDULES",
    "AdaptiveSchedule",
    "Beta2Schedule",
    "Callback",
    "CallbackList",
    "CapturePlan",
    "Checkpointer",
    "CriticLandscape",
    "Distributed",
    "EvaluateMNIST",
    "EvaluateToy",
    "FiniteGuard",
    "FixedSchedule",
    "GradientClip",
    "GraphCapture",
    "History",
    "LRSchedule",
    "LearningCurves",
    "Loop",
    "MetricAccumulator",
    "Metrics",
    "MetricsLogger",
    "NonFiniteError",
    "Panel",
    "Precision",
    "ProgressBar",
    "ReplayBuffer",
    "SampleGrid",
    "StepSchedule",
    "Steps",
    "TimeBudget",
    "StepRunner",
    "Trainer",
    "TrainingInterrupted",
    "build_lr_schedule",
    "build_optimizer",
    "capture_blocker",
    "draw_landscape",
    "find_checkpoint",
    "generate_samples",
    "get_rng_state",
    "grid_labels",
    "load_checkpoint",
    "make_capturable",
    "metric_name",
    "migrate_name",
    "panel_layout",
    "read_log",
    "register_callback",
    "register_lr_schedule",
    "register_optimizer",
    "register_panel",
    "register_step_schedule",
    "resolve_device",
    "save_checkpoint",
    "set_rng_state",
    "standard_callbacks",
    "upgrade_state",
]
