"""Training: the Trainer, its callbacks, checkpoints and the EMA of generator weights."""

from ganlib.train.callbacks import (
    Checkpointer,
    EvaluateMNIST,
    LearningCurves,
    MetricsLogger,
    ProgressBar,
    SampleGrid,
    generate_samples,
    standard_callbacks,
)
from ganlib.train.checkpoint import (
    CHECKPOINT_DIR,
    LATEST,
    find_checkpoint,
    get_rng_state,
    load_checkpoint,
    load_generator,
    save_checkpoint,
    set_rng_state,
)
from ganlib.train.device import resolve_device
from ganlib.train.ema import EMA
from ganlib.train.trainer import Callback, Metrics, Trainer

__all__ = [
    "CHECKPOINT_DIR",
    "EMA",
    "EvaluateMNIST",
    "LATEST",
    "Callback",
    "Checkpointer",
    "LearningCurves",
    "Metrics",
    "MetricsLogger",
    "ProgressBar",
    "SampleGrid",
    "Trainer",
    "find_checkpoint",
    "generate_samples",
    "get_rng_state",
    "load_checkpoint",
    "load_generator",
    "resolve_device",
    "save_checkpoint",
    "set_rng_state",
    "standard_callbacks",
]
