"""Every compatibility shim of the package in one place, each with the version that removes it.

A name that moved to another module stays reachable from its old home with a
:class:`DeprecationWarning` naming the new one (:func:`moved_attribute`, called by the old
module's ``__getattr__``). Other shims (a 0.2 run's config, a 0.1 checkpoint, 0.2's metric
names) are listed in :data:`SHIMS` beside the function that carries them.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

__all__ = ["MOVED", "SHIMS", "migrate_flagship_config", "moved_attribute"]

_GRADIENTS = (
    "critic_gradient_norm", "critic_input_gradient", "gradient_penalty", "input_gradient", "interpolate",
    "penalty_from_norms", "perturb", "squared_gradient_norm", "zero_centered_penalty",
)

MOVED: dict[str, dict[str, tuple[str, str]]] = {
    # old module -> {name: (new module, the version that removes the old name)}
    "ganlib.losses.penalties": {
        **{name: ("ganlib.losses.gradients", "0.6") for name in _GRADIENTS},
        "WeightClip": ("ganlib.losses.constraints", "0.6"),
        "LeCamPenalty": ("ganlib.losses.lecam", "0.6"),
        "LeCamStyleGAN2Penalty": ("ganlib.losses.lecam", "0.6"),
    },
    "ganlib.metrics": {
        "EvaluateMNIST": ("ganlib.train", "0.5"),
        "EvaluateToy": ("ganlib.train", "0.5"),
    },
    "ganlib.runs": {
        "cli_errors": ("ganlib.errors", "0.6"),
        "DEBUG_ENV_VAR": ("ganlib.errors", "0.6"),
    },
    "ganlib.models.registry": {
        "load_generator": ("ganlib.checkpoint", "0.6"),
    },
}
"""Names that moved (0.4 unless said): each old module's ``__getattr__`` answers through here."""

SHIMS: dict[str, tuple[str, str]] = {
    # what is read -> (where the shim is, the version that removes it)
    "0.2 flagship config.json keys (digits, gp_weight, preset, no_ema)": ("ganlib._compat.migrate_flagship_config", "0.6"),
    "checkpoint formats 1 and 2": ("ganlib.train.state.MIGRATIONS", "1.0"),
    "0.2 metric names in metrics.jsonl (critic_loss, wasserstein, acc_real, ...)": ("ganlib.train.history", "1.0"),
    "0.3 keywords of get_objective('wgan-gp'): gp_weight, target, one_sided": ("ganlib.losses.registry.Composition.renamed", "0.6"),
}
"""The shims that translate old files (kept longer, since old runs stay on disk) and old keywords."""


def moved_attribute(module: str, name: str) -> Any:
    """The value of ``module.name`` that moved, with a warning naming its new home.

    Args:
        module: The old module's ``__name__``.
        name: The attribute asked for.

    Returns:
        The attribute from its new module.

    Raises:
        AttributeError: If ``name`` did not move out of ``module`` (as a module without it would).
    """
    target = MOVED.get(module, {}).get(name)
    if target is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    new, removed_in = target
    warnings.warn(f"{module}.{name} moved to {new}.{name}; the old name goes in ganlib {removed_in}", DeprecationWarning, stacklevel=3)
    return getattr(importlib.import_module(new), name)


# ganlib 0.2's flagship example recorded its own keys; they map onto this command's.
_FLAGSHIP_KEYS = {"digits": "classes", "gp_weight": "penalty_weight"}


def migrate_flagship_config(saved: dict[str, Any]) -> dict[str, Any]:
    """A ganlib 0.2 flagship run's ``config.json`` in the ``train`` command's keys (0.2 runs
    stay resumable); any other config is returned as it is."""
    if "digits" not in saved or "data" in saved:
        return saved
    migrated = {_FLAGSHIP_KEYS.get(k, k): v for k, v in saved.items() if k not in ("preset", "no_ema")}
    migrated.update(data="mnist", model="dcgan", objective="wgan-gp" if migrated.get("penalty_weight", 10.0) == 10.0 else "wasserstein")
    if migrated["objective"] == "wasserstein":
        migrated["penalty"] = ["gp"]
    else:
        migrated.pop("penalty_weight", None)
    if saved.get("no_ema"):
        migrated["ema"] = None
    return migrated
