"""Pluggable normalization, resolved from a name or a callable.

A normalization has two possible effects on a convolutional block:

* a *feature layer* placed after the convolution (BatchNorm, LayerNorm, InstanceNorm), and
* a *weight reparametrization* of the convolution itself (spectral normalization).

:func:`resolve_norm` turns a user's choice into a :class:`Norm` that carries both, so a
block never branches on which normalization it was given. Every feature-layer factory takes
the channel count as its first argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganlib.registry import Registry, summary_of

__all__ = ["NORMS", "NORM_NAMES", "Norm", "NormLike", "list_norms", "norm_name", "register_norm", "resolve_norm"]

NormLike = Union[str, "Norm", Callable[[int], nn.Module]]
"""A normalization choice: one of :data:`NORM_NAMES`, a :class:`Norm`, or a callable that
maps a channel count to a feature layer (``functools.partial(nn.GroupNorm, 4)`` does not
qualify because its first argument is the group count; wrap it in a lambda)."""


def _identity_layer(channels: int) -> nn.Module:
    return nn.Identity()


def _identity_weight(module: nn.Module) -> nn.Module:
    return module


def _layer_norm(channels: int) -> nn.Module:
    # GroupNorm with one group normalizes over (C, H, W) per sample, which is the layer norm
    # of Gulrajani et al. (2017), with a per-channel affine and no dependence on image size.
    return nn.GroupNorm(1, channels)


def _instance_norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=True)


_SUMMARIES = {
    "batch": "BatchNorm2d: batch statistics (DCGAN's choice; avoid in a critic under a gradient penalty)",
    "layer": "GroupNorm(1, C): layer norm over (C, H, W) per sample (the WGAN-GP paper's choice)",
    "instance": "InstanceNorm2d with an affine: per sample and channel",
    "spectral": "spectral normalization of every weight (Miyato et al. 2018); no feature layer",
    "none": "no normalization",
}


@dataclass(frozen=True)
class Norm:
    """A resolved normalization.

    Attributes:
        name: A short name for messages and reprs.
        layer: Factory ``channels -> nn.Module`` for the feature layer that follows a
            convolution. :class:`torch.nn.Identity` when the normalization has none.
        weight: Function that reparametrizes a convolution or linear layer in place and
            returns it (spectral normalization); the identity otherwise.
        has_layer: Whether :attr:`layer` produces a real feature layer. Blocks use it to
            decide whether the convolution needs its own bias (a following norm with an
            affine shift makes the bias redundant).
    """

    name: str
    layer: Callable[[int], nn.Module]
    weight: Callable[[nn.Module], nn.Module] = _identity_weight
    has_layer: bool = True


NORMS: Registry[Norm] = Registry("normalization")
"""Every normalization by name: the built-ins and those given to :func:`register_norm`."""

for _builtin in (
    Norm("batch", nn.BatchNorm2d),
    Norm("layer", _layer_norm),
    Norm("instance", _instance_norm),
    Norm("spectral", _identity_layer, spectral_norm, has_layer=False),
    Norm("none", _identity_layer, has_layer=False),
):
    NORMS.register(_builtin.name, _builtin, summary=_SUMMARIES[_builtin.name])

NORM_NAMES: tuple[str, ...] = ("batch", "layer", "instance", "spectral", "none")
"""The built-in normalization names: ``batch``, ``layer``, ``instance``, ``spectral``, ``none``."""


def register_norm(name: str, norm: Norm | Callable[[int], nn.Module], *, replace: bool = False) -> Norm:
    """Register a normalization under ``name``, so models accept it by name and checkpoints
    that name it can be rebuilt.

    Args:
        name: The new name; built-in names cannot be replaced.
        norm: A :class:`Norm`, or a callable mapping a channel count to a feature layer.
        replace: Replace another normalization registered under ``name``.

    Returns:
        The registered :class:`Norm` (named ``name``).

    Raises:
        ValueError: If ``name`` is empty or built in, or taken and ``replace`` is false.

    Example:
        >>> from torch import nn
        >>> norm = register_norm("group4", lambda c: nn.GroupNorm(4, c))
        >>> resolve_norm("group4").layer(8).num_groups
        4
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name={name!r} is invalid; expected a non-empty string")
    if name in NORM_NAMES:
        raise ValueError(f"name={name!r} is a built-in normalization and cannot be replaced")
    if isinstance(norm, Norm):
        spec = Norm(name, norm.layer, norm.weight, norm.has_layer)
    elif callable(norm):
        spec = Norm(name, norm)
    else:
        raise TypeError(f"norm must be a Norm or a callable channels -> nn.Module, got {type(norm).__name__}")
    previous = NORMS[name] if name in NORMS else None
    if previous is not None and (previous.layer, previous.weight, previous.has_layer) == (spec.layer, spec.weight, spec.has_layer):
        return previous  # the same normalization again: nothing to do
    NORMS.register(name, spec, replace=replace, summary=_summary_of_factory(norm))
    return spec


def _summary_of_factory(norm: object) -> str:
    layer = norm.layer if isinstance(norm, Norm) else norm
    return summary_of(layer) or f"registered by {getattr(layer, '__module__', 'a plugin')}"


def list_norms() -> list[str]:
    """The names :func:`resolve_norm` accepts: the built-ins, then registered ones."""
    return [*NORM_NAMES, *(n for n in NORMS.names() if n not in NORM_NAMES)]


def norm_name(norm: NormLike) -> str:
    """The name under which ``norm`` can be rebuilt from a saved config.

    Args:
        norm: A normalization choice.

    Returns:
        Its own name if it is a string or a registered normalization, else the name of the
        callable (which a checkpoint cannot rebuild until it is registered with
        :func:`register_norm`).
    """
    if isinstance(norm, str):
        return norm
    for name, spec in NORMS.items():
        if spec is norm or spec.layer is norm or (isinstance(norm, Norm) and (spec.layer, spec.weight, spec.has_layer) == (norm.layer, norm.weight, norm.has_layer)):
            return name
    return norm.name if isinstance(norm, Norm) else getattr(norm, "__name__", type(norm).__name__)


def resolve_norm(norm: NormLike) -> Norm:
    """Resolve a normalization choice to a :class:`Norm`.

    Args:
        norm: One of :data:`NORM_NAMES` or a name given to :func:`register_norm`; a
            :class:`Norm`; or a callable taking the channel count and returning a feature
            layer, e.g. ``lambda c: nn.GroupNorm(4, c)``.

            * ``"batch"``: :class:`torch.nn.BatchNorm2d` (Ioffe & Szegedy, 2015).
            * ``"layer"``: ``GroupNorm(1, C)``, layer norm over (C, H, W) with a per-channel
              affine, as in the WGAN-GP critic (Gulrajani et al., 2017).
            * ``"instance"``: :class:`torch.nn.InstanceNorm2d` with an affine.
            * ``"spectral"``: :func:`torch.nn.utils.parametrizations.spectral_norm` on the
              convolution weight (Miyato et al., 2018); no feature layer.
            * ``"none"``: nothing.

    Returns:
        The resolved :class:`Norm`.

    Raises:
        ValueError: If ``norm`` is a string that is neither built in nor registered.
        TypeError: If ``norm`` is neither a string, a :class:`Norm` nor a callable.

    Example:
        >>> layer = resolve_norm("layer").layer(8)
        >>> type(layer).__name__, layer.num_groups, layer.num_channels
        ('GroupNorm', 1, 8)
        >>> resolve_norm("spectral").has_layer
        False
    """
    if isinstance(norm, Norm):
        return norm
    if isinstance(norm, str):
        if norm in NORMS:
            return NORMS[norm]
        raise ValueError(
            f"norm={norm!r} is not a known normalization; valid names are "
            f"{', '.join(repr(n) for n in list_norms())}, or pass a callable "
            "channels -> nn.Module (register it with ganlib.nn.register_norm to save it by name)"
        )
    if callable(norm):
        return Norm(getattr(norm, "__name__", type(norm).__name__), norm)
    raise TypeError(
        f"norm must be a name from {NORM_NAMES}, a Norm or a callable channels -> nn.Module, "
        f"got {type(norm).__name__}"
    )
