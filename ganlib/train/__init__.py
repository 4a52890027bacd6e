"""Training: the Trainer, its seams (precision, distribution, capture), callbacks and the EMA."""

from ganlib.checkpoint import CHECKPOINT_DIR, LATEST, find_checkpoint, load_checkpoint, save_checkpoint
from ganlib.train.callbacks import (
    Checkpointer,
    LearningCurves,
    MetricsLogger,
    ProgressBar,
    SampleGrid,
    TimeBudget,
    generate_samples,
    grid_labels,
    standard_callbacks,
)
from ganlib.train.landscape import CriticLandscape, draw_landscape
from ganlib.train.capture import GraphCapture, capture_blocker, make_capturable
from ganlib.train.device import resolve_device
from ganlib.train.distributed import Distributed
from ganlib.train.ema import EMA
from ganlib.train.metrics import FiniteGuard, MetricAccumulator, Metrics, NonFiniteError, metric_name
from ganlib.train.precision import PRECISIONS, Precision
from ganlib.train.rng import get_rng_state, set_rng_state
from ganlib.train.trainer import CAPTURE_MODES, Callback, Trainer, TrainingInterrupted

__all__ = [
    "CAPTURE_MODES",
    "CHECKPOINT_DIR",
    "EMA",
    "LATEST",
    "PRECISIONS",
    "Callback",
    "Checkpointer",
    "CriticLandscape",
    "Distributed",
    "FiniteGuard",
    "GraphCapture",
    "LearningCurves",
    "MetricAccumulator",
    "Metrics",
    "MetricsLogger",
    "NonFiniteError",
    "Precision",
    "ProgressBar",
    "SampleGrid",
    "TimeBudget",
    "Trainer",
    "TrainingInterrupted",
    "capture_blocker",
    "draw_landscape",
    "find_checkpoint",
    "generate_samples",
    "grid_labels",
    "get_rng_state",
    "load_checkpoint",
    "make_capturable",
    "metric_name",
    "resolve_device",
    "save_checkpoint",
    "set_rng_state",
    "standard_callbacks",
]
