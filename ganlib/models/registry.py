"""The model registry: models by name (classes, builders and named variants), built from the
data's shape or from a saved config.

A model is registered with :func:`register_model`, as torchvision's ``register_model`` and
timm's builder registry do: on a class (its constructor's arguments are its ``config``), or on
a builder function, or as a *variant* that fixes some arguments of another builder
(``register_model("sngan-resnet-critic-32", ResNetCritic, defaults={...})``).

* :func:`get_model` builds by name from plain arguments, checked before any layer is
  allocated (a crafted checkpoint cannot call arbitrary code or ask for absurd sizes);
* :func:`build_model` builds by name for a data set: the arguments the data decides (image
  size, channels, the noise size, the number of classes) are filled from a
  :class:`ModelContext`, so ``python -m ganlib train --critic NAME`` works for any registered
  critic;
* a checkpoint records each model's registry name and ``config``, and
  :func:`ganlib.checkpoint.load_generator` rebuilds the generator from them.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from torch import nn

from ganlib import _compat
from ganlib.registry import Registry

__all__ = [
    "MODELS",
    "ModelContext",
    "build_model",
    "get_model",
    "list_models",
    "model_name",
    "model_role",
    "model_spec",
    "register_model",
]

MODELS: Registry[Callable[..., nn.Module]] = Registry("model")
"""Every registered model: classes, builder functions and variants."""

M = TypeVar("M", bound=Callable[..., Any])

_PLAIN = (bool, int, float, str, type(None))
_ROLES = ("generator", "critic")


def _infer_role(name: str) -> str | None:
    return next((role for role in _ROLES if name.endswith(f"-{role}") or f"-{role}-" in name), None)


def register_model(
    name: str,
    builder: Callable[..., nn.Module] | None = None,
    *,
    role: str | None = None,
    defaults: Mapping[str, Any] | None = None,
    context: Callable[[ModelContext], dict[str, Any]] | None = None,
    policy: Mapping[str, Mapping[str, Any]] | None = None,
    replace: bool = False,
) -> Any:
    """Register a model class or builder under ``name`` (a decorator when ``builder`` is omitted).

    The builder must accept its configuration as keyword arguments. A class should expose
    them as a ``config`` dict attribute with plain values only (numbers, strings, booleans,
    ``None`` and lists of them): that is what checkpoints save to rebuild it.

    Args:
        name: The registry name, e.g. ``"dcgan-generator"``.
        builder: The class or function; omit it to decorate.
        role: ``"generator"`` or ``"critic"``; read from the name (``...-generator``,
            ``...-critic``) when ``None``. The command line offers generators to
            ``--generator`` and critics to ``--critic``.
        defaults: Arguments this name fixes (a *variant* of another builder); arguments given
            to :func:`get_model` override them.
        context: Maps a :class:`ModelContext` (what the data decides) to the builder's
            arguments, for builders whose arguments are not named ``latent_dim``,
            ``image_size``, ``channels``, ``num_classes``, ``width`` or ``norm``.
        policy: On a family's generator: the ``train`` settings the family proposes per kind
            of data (``{"images": {"lr": 1e-4}}``; kinds ``"toy"`` and ``"images"``), used
            where the command line leaves them unset.
        replace: Replace another model registered under ``name``.

    Returns:
        The builder unchanged, or the decorator.

    Raises:
        ValueError: If ``name`` is taken by another model (and ``replace`` is false) or
            ``role`` is invalid.

    Example:
        >>> import torch
        >>> @register_model("doc-linear-generator")
        ... class LinearGenerator(torch.nn.Module):
        ...     '''A linear map from noise to 2-D points.'''
        ...     def __init__(self, latent_dim: int = 2):
        ...         super().__init__()
        ...         self.latent_dim, self.config = latent_dim, {"latent_dim": latent_dim}
        ...         self.net = torch.nn.Linear(latent_dim, 2)
        ...     def forward(self, z):
        ...         return self.net(z)
        >>> type(get_model("doc-linear-generator", latent_dim=3)).__name__
        'LinearGenerator'
        >>> _ = register_model("doc-wide-linear-generator", LinearGenerator, defaults={"latent_dim": 16})
        >>> get_model("doc-wide-linear-generator").latent_dim
        16
    """
    if builder is None:
        return lambda target: register_model(name, target, role=role, defaults=defaults, context=context, policy=policy, replace=replace)
    role = role if role is not None else _infer_role(name)
    if role is not None and role not in _ROLES:
        raise ValueError(f"role={role!r} is invalid; expected 'generator', 'critic' or None")
    MODELS.register(name, builder, replace=replace, role=role, defaults=dict(defaults or {}), context=context, policy={k: dict(v) for k, v in (policy or {}).items()})
    if isinstance(builder, type) and not defaults and "registry_name" not in vars(builder):
        builder.registry_name = name  # type: ignore[attr-defined]
    return builder


def list_models(pattern: str | None = None, *, role: str | None = None) -> list[str]:
    """The registered model names, sorted.

    Args:
        pattern: An ``fnmatch`` pattern, e.g. ``"*resnet*"``.
        role: Only generators (``"generator"``) or critics (``"critic"``).

    Returns:
        The names.
    """
    return MODELS.names(pattern) if role is None else MODELS.names(pattern, role=role)


def model_role(name: str) -> str | None:
    """The role of a registered model.

    Args:
        name: A registered model name.

    Returns:
        ``"generator"``, ``"critic"``, or ``None`` when the registration does not say.

    Raises:
        ValueError: If ``name`` is not registered.
    """
    return MODELS.entry(name).metadata.get("role")


def _class_name(cls: type) -> str | None:
    name = vars(cls).get("registry_name")
    if isinstance(name, str) and name in MODELS and MODELS.get(name) is cls:
        return name
    return next((entry.name for entry in MODELS.entries() if entry.obj is cls and not entry.metadata.get("defaults")), None)


def model_name(model: nn.Module) -> str | None:
    """The registry name that rebuilds ``model``: its class's, or the builder's that made it.

    Args:
        model: A model.

    Returns:
        The name, or ``None`` if neither its class nor its builder is registered.
    """
    return model_spec(model)[0]


def model_spec(model: nn.Module) -> tuple[str | None, dict[str, Any] | None]:
    """The registry name and config that rebuild ``model`` (what checkpoints record).

    Args:
        model: A model.

    Returns:
        ``(name, config)``: the class's registered name and the model's ``config`` attribute;
        else the builder and arguments :func:`get_model` used; else ``(None, config)``.
    """
    config = getattr(model, "config", None)
    config = dict(config) if isinstance(config, Mapping) else None
    name = _class_name(type(model))
    if name is not None:
        return name, config
    built = getattr(model, "_ganlib_built", None)
    if isinstance(built, tuple) and len(built) == 2:
        return built[0], dict(built[1])
    return None, config


def _check_value(name: str, key: str, value: object) -> None:
    items = value if isinstance(value, (list, tuple)) else [value]
    if not all(isinstance(item, _PLAIN) for item in items):
        raise ValueError(f"model {name!r}: config value {key}={value!r} is not a plain number, string, boolean or list of them")


def get_model(name: str, **config: Any) -> nn.Module:
    """Build a registered model from plain arguments.

    The name and the arguments' keys and value types are checked before the builder runs;
    the builder checks the values' ranges before it allocates anything. A variant's fixed
    arguments are used where ``config`` does not give them.

    Args:
        name: A name from :func:`list_models`.
        **config: The builder's arguments.

    Returns:
        The model.

    Raises:
        ValueError: If ``name`` is unknown (the valid names are listed), a key is not one of
            the builder's arguments, or a value is not plain data or out of range.

    Example:
        >>> get_model("dcgan-generator", latent_dim=8, image_size=16, width=4).config["width"]
        4
    """
    if not isinstance(name, str) or name not in MODELS:
        raise ValueError(f"model {name!r} is not registered; registered models are {', '.join(map(repr, list_models()))}")
    for key, value in config.items():
        _check_value(name, key, value)
    entry = MODELS.entry(name)
    model = MODELS.build(name, **config)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model {name!r} built a {type(model).__name__}, not a torch.nn.Module")
    if _class_name(type(model)) is None:  # a builder of an unregistered class: remember how it was made
        model._ganlib_built = (entry.name, {**entry.metadata.get("defaults", {}), **config})  # type: ignore[assignment]
    return model


@dataclass(frozen=True)
class ModelContext:
    """What the data and the command line decide about the models to build.

    Attributes:
        sample_shape: One sample's shape: ``(C, H, W)`` for images, ``(2,)`` for 2-D points.
        latent_dim: The noise size (generators).
        num_classes: The number of classes, for conditional models; ``None`` otherwise.
        width: A base width, when the user gave one.
        norm: A normalization name, when the user (or the recipe) gave one.
        typed: Which of ``latent_dim``, ``width`` and ``norm`` the user typed: a variant
            that fixes one of them otherwise refuses the typed value (see :func:`build_model`).
    """

    sample_shape: tuple[int, ...]
    latent_dim: int | None = None
    num_classes: int | None = None
    width: int | None = None
    norm: str | None = None
    typed: frozenset[str] = frozenset()

    @property
    def images(self) -> bool:
        """Whether the samples are images ``(C, H, W)``."""
        return len(self.sample_shape) == 3

    def standard_arguments(self) -> dict[str, Any]:
        """The arguments a builder may take by their usual names, ``None`` where unknown.

        ``latent_dim``, ``image_size`` and ``channels`` (images), ``num_classes``, ``width``,
        ``norm``, ``sample_shape``, ``in_features`` (the flattened sample size) and
        ``out_shape`` (the sample shape, as the MLP generator names it).
        """
        size = self.sample_shape[-1] if self.images else None
        channels = self.sample_shape[0] if self.images else None
        return {
            "latent_dim": self.latent_dim, "image_size": size, "channels": channels, "num_classes": self.num_classes,
            "width": self.width, "norm": self.norm, "sample_shape": list(self.sample_shape),
            "in_features": math.prod(self.sample_shape), "out_shape": list(self.sample_shape),
        }


def _accepted(builder: Callable[..., Any]) -> set[str] | None:
    try:
        parameters = inspect.signature(builder).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    return {k for k in parameters if k != "self"}


def build_model(name: str, context: ModelContext, **overrides: Any) -> nn.Module:
    """Build a registered model for a data set.

    The builder's arguments come, in increasing priority, from: what the
    :class:`ModelContext` says (by the builder's ``context`` function, or by the usual names
    of :meth:`ModelContext.standard_arguments` that the builder accepts, ``None`` values
    left out); the variant's fixed arguments; ``overrides`` (``--critic-arg KEY=VALUE``).
    This is the one place where a variant's fixed arguments meet the run's: a value the
    variant fixes wins over a default, and one the user typed (``ModelContext.typed``) or the
    data decides (the image size, the channels) that differs is refused in one line, never
    ignored.

    Args:
        name: A registered model name.
        context: What the data decides.
        **overrides: Arguments that win over everything else.

    Returns:
        The model.

    Raises:
        ValueError: As :func:`get_model`.

    Example:
        >>> critic = build_model("dcgan-critic", ModelContext((1, 16, 16)), width=4)
        >>> critic.config["image_size"], critic.config["channels"], critic.config["width"]
        (16, 1, 4)
    """
    entry = MODELS.entry(name)
    hook = entry.metadata.get("context")
    if hook is not None:
        from_context = dict(hook(context))
    else:
        accepted = _accepted(entry.obj)
        from_context = {
            k: v for k, v in context.standard_arguments().items()
            if v is not None and (accepted is None or k in accepted) and k not in ("sample_shape", "in_features", "out_shape")
        }
        # The sample-shape spellings only for builders that take them (the MLPs).
        for key in ("sample_shape", "in_features", "out_shape"):
            if accepted is not None and key in accepted:
                from_context[key] = context.standard_arguments()[key]
    fixed = entry.metadata.get("defaults", {})
    accepted = _accepted(entry.obj)
    if not context.images and accepted is not None and "image_size" in accepted and "image_size" not in overrides:
        raise ValueError(f"model {name!r} draws images; the data are 2-D points {context.sample_shape}: use a model for points (--model mlp)")
    for key in sorted(fixed.keys() & from_context.keys() - overrides.keys()):
        if fixed[key] != from_context[key] and (key in context.typed or key in ("image_size", "channels", "num_classes")):
            given = f"--{key.replace('_', '-')} {from_context[key]}" if key in context.typed else f"the data's {key.replace('_', ' ')} {from_context[key]}"
            raise ValueError(
                f"model {name!r} is a variant that fixes {key}={fixed[key]!r}, and {given} differs; "
                f"drop it, or choose a model that takes {key} (or set it with --generator-arg / --critic-arg {key}=...)"
            )
    arguments = {**{k: v for k, v in from_context.items() if k not in fixed}, **overrides}
    return get_model(name, **arguments)


def _legacy_name(class_name: object) -> str | None:
    # Checkpoints of ganlib 0.1.0 recorded the class name ("DCGANGenerator") instead.
    for entry in MODELS.entries():
        if isinstance(entry.obj, type) and entry.obj.__name__ == class_name and not entry.metadata.get("defaults"):
            return entry.name
    return None


def __getattr__(name: str) -> Any:
    return _compat.moved_attribute(__name__, name)
