"""The model registry: models by name, rebuilt from a saved config, and generators from checkpoints.

A checkpoint records the generator's registry name and its ``config`` (the constructor
arguments). :func:`load_generator` rebuilds it through :func:`get_model`, which accepts only
registered names and plain config values and checks both before any layer is allocated, so a
crafted checkpoint cannot call arbitrary code or ask for absurd sizes. Register your own
model with :func:`register_model` and ``python -m ganlib sample`` can draw from it.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import torch
from torch import nn

from ganlib.checkpoint import load_checkpoint

__all__ = ["get_model", "list_models", "load_generator", "model_name", "register_model"]

_MODELS: dict[str, type[nn.Module]] = {}

M = TypeVar("M", bound=type[nn.Module])

_PLAIN = (bool, int, float, str, type(None))


def register_model(name: str) -> Callable[[M], M]:
    """Class decorator: register a model under ``name``.

    The class must accept its ``config`` as keyword arguments and should expose it as a
    ``config`` dict attribute (what checkpoints save), with plain values only: numbers,
    strings, booleans, ``None`` and lists of them.

    Args:
        name: The registry name, e.g. ``"dcgan-generator"``.

    Returns:
        The decorator, which returns the class unchanged.

    Raises:
        ValueError: If ``name`` is already taken by another class.

    Example:
        >>> import torch
        >>> @register_model("doc-linear-generator")
        ... class LinearGenerator(torch.nn.Module):
        ...     def __init__(self, latent_dim: int = 2):
        ...         super().__init__()
        ...         self.latent_dim, self.config = latent_dim, {"latent_dim": latent_dim}
        ...         self.net = torch.nn.Linear(latent_dim, 2)
        ...     def forward(self, z):
        ...         return self.net(z)
        >>> type(get_model("doc-linear-generator", latent_dim=3)).__name__
        'LinearGenerator'
    """

    def decorator(cls: M) -> M:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name={name!r} is invalid; expected a non-empty string")
        previous = _MODELS.get(name)
        if previous is not None and previous.__qualname__ != cls.__qualname__:
            raise ValueError(f"model name {name!r} is already registered to {previous.__qualname__}")
        _MODELS[name] = cls
        cls.registry_name = name  # type: ignore[attr-defined]
        return cls

    return decorator


def list_models() -> list[str]:
    """The registered model names, sorted."""
    return sorted(_MODELS)


def model_name(model: nn.Module) -> str | None:
    """The registry name of ``model``'s class.

    Args:
        model: A model.

    Returns:
        The name, or ``None`` if its class is not registered.
    """
    for name, cls in _MODELS.items():
        if type(model) is cls:
            return name
    return None


def _check_value(name: str, key: str, value: object) -> None:
    items = value if isinstance(value, (list, tuple)) else [value]
    if not all(isinstance(item, _PLAIN) for item in items):
        raise ValueError(f"model {name!r}: config value {key}={value!r} is not a plain number, string, boolean or list of them")


def get_model(name: str, **config: Any) -> nn.Module:
    """Build a registered model from its config.

    The name and the config's keys and value types are checked before the constructor
    runs; the constructor checks the values' ranges before it allocates anything.

    Args:
        name: A name from :func:`list_models`.
        **config: Constructor arguments.

    Returns:
        The model.

    Raises:
        ValueError: If ``name`` is unknown (the valid names are listed), a key is not a
            constructor argument, or a value is not plain data or out of range.

    Example:
        >>> get_model("dcgan-generator", latent_dim=8, image_size=16, width=4).config["width"]
        4
    """
    try:
        cls = _MODELS[name]
    except (KeyError, TypeError):
        raise ValueError(f"model {name!r} is not registered; registered models are {', '.join(map(repr, list_models()))}") from None
    parameters = inspect.signature(cls.__init__).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    valid = [k for k in parameters if k != "self"]
    for key, value in config.items():
        if not accepts_any and key not in valid:
            raise ValueError(f"model {name!r} has no argument {key!r}; its arguments are {', '.join(valid)}")
        _check_value(name, key, value)
    return cls(**config)


def _legacy_name(class_name: object) -> str | None:
    # Checkpoints of ganlib 0.1.0 recorded the class name ("DCGANGenerator") instead.
    for name, cls in _MODELS.items():
        if cls.__name__ == class_name:
            return name
    return None


def load_generator(
    path: str | os.PathLike[str],
    *,
    use_ema: bool = True,
    map_location: torch.device | str | None = "cpu",
) -> tuple[nn.Module, bool]:
    """Rebuild a generator from a checkpoint, with no architecture flags to repeat.

    A checkpoint written by :class:`~ganlib.train.Trainer` records the generator's registry
    name and its ``config``; the generator is rebuilt from them through :func:`get_model`
    and loaded with the EMA weights when the run kept an EMA and ``use_ema`` is true.

    Args:
        path: A checkpoint file or a run directory.
        use_ema: Prefer the EMA weights when present.
        map_location: Device of the returned generator.

    Returns:
        ``(generator, used_ema)``, the generator in eval mode.

    Raises:
        FileNotFoundError: If there is no checkpoint at ``path``.
        ValueError: If the checkpoint does not describe a registered generator.
    """
    state = load_checkpoint(path, map_location=map_location)
    name = state.get("generator_model") or _legacy_name(state.get("generator_class"))
    config = state.get("generator_config")
    if name is None or not isinstance(config, Mapping):
        recorded = state.get("generator_model", state.get("generator_class"))
        raise ValueError(
            f"checkpoint {path} does not describe a registered generator (model {recorded!r}, "
            f"config {config!r}); register the class with ganlib.models.register_model, or rebuild "
            "the generator yourself and load state['generator']"
        )
    generator = get_model(str(name), **dict(config))
    used_ema = use_ema and state.get("ema") is not None
    if used_ema:
        prefix = "module."
        weights = {k[len(prefix) :]: v for k, v in state["ema"].items() if k.startswith(prefix)}
    else:
        weights = state["generator"]
    generator.load_state_dict(weights)
    return generator.to(map_location).eval(), used_ema
