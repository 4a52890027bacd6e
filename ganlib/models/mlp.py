"""Fully connected generators and critics: the vanilla GAN of the course, and toy-data models.

Goodfellow et al. (2014) trained multilayer perceptrons; the course this library serves trains
two of them, which :func:`course_mlp` builds by name:

* ``"harmonic"``, for the 2-D curve :math:`x_2 = \\sin x_1`: generator 2-16-32-2 (ReLU),
  discriminator 2-256-128-64-1 (ReLU, dropout 0.3);
* ``"mnist"``, for 28x28 digits: generator 100-256-512-1024-784 (ReLU, Tanh output),
  discriminator 784-1024-512-256-1 (ReLU, dropout 0.3).

The discriminator (critic) returns raw scores; the course's final sigmoid is the loss's
business (:func:`~ganlib.losses.minimax_critic_loss` works on logits).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from ganlib._validation import check_int
from ganlib.contract import Fraction, NonNegativeFloat, PositiveInt
from ganlib.models.registry import ModelContext, register_model
from ganlib.nn import resolve_norm

__all__ = ["ACTIVATIONS", "INITS", "MLPCritic", "MLPGenerator", "course_mlp"]

_MLP_NORMS = ("none", "spectral", "layer")
_MAX_FEATURES = 1 << 16

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "elu": nn.ELU}
"""Hidden activations by name."""


def _activation(name: str, negative_slope: float) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation={name!r} is not supported; expected one of {', '.join(map(repr, ACTIVATIONS))}")
    return nn.LeakyReLU(negative_slope) if name == "leaky_relu" else ACTIVATIONS[name]()


INITS = ("default", "wgan-gp")
"""Weight initializations of the MLPs: PyTorch's default, or the WGAN-GP paper's toy code's."""


def _linear(fan_in: int, fan_out: int, init: str, *, output: bool) -> nn.Linear:
    """A linear layer, initialized as ``init`` says.

    ``"wgan-gp"``: as ``gan_toy.py`` (Gulrajani et al. 2017) initializes its ReLU layers
    (``'he'``) and its last linear layer (``'glorot'``): weights uniform on
    :math:`\\pm\\sqrt{3}\\,\\sigma` with :math:`\\sigma^2 = 2 / n_{in}` (hidden) or
    :math:`2 / (n_{in} + n_{out})` (output), i.e. bounds :math:`\\sqrt{6 / n_{in}}` and
    :math:`\\sqrt{6 / (n_{in} + n_{out})}`; zero biases.
    """
    if init not in INITS:
        raise ValueError(f"init={init!r} is invalid; expected one of {', '.join(map(repr, INITS))}")
    layer = nn.Linear(fan_in, fan_out)
    if init == "wgan-gp":
        bound = (6.0 / (fan_in + fan_out)) ** 0.5 if output else (6.0 / fan_in) ** 0.5
        nn.init.uniform_(layer.weight, -bound, bound)
        nn.init.zeros_(layer.bias)
    return layer


def _check_widths(name: str, widths: Sequence[int]) -> list[int]:
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise ValueError(f"{name}={widths!r} is invalid; expected a list of layer widths")
    for width in widths:
        check_int(name, width, maximum=_MAX_FEATURES, expected=f"layer widths from 1 to {_MAX_FEATURES}")
    return list(widths)


def _check_shape(shape: Sequence[int]) -> tuple[int, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    for size in shape:
        check_int("out_shape", size, maximum=_MAX_FEATURES, expected=f"sizes from 1 to {_MAX_FEATURES}")
    return tuple(shape)


def _generator_context(context: ModelContext) -> dict[str, Any]:
    # From the data: the sample shape (images end in Tanh, points are unbounded); from the
    # command line: --width W means three hidden layers of W (otherwise the course's sizes).
    arguments: dict[str, Any] = {"out_shape": list(context.sample_shape), "activation": "relu", "output": "tanh" if context.images else "none"}
    if context.latent_dim is not None:
        arguments["latent_dim"] = context.latent_dim
    if context.width is not None:
        arguments["hidden"] = [context.width] * 3
    return arguments


def _critic_context(context: ModelContext) -> dict[str, Any]:
    # On images without --width, the course's vanilla-GAN discriminator (1024-512-256, ReLU,
    # dropout 0.3); on points, ReLU layers of --width, as the WGAN-GP paper's toy code.
    arguments: dict[str, Any] = {"in_features": context.standard_arguments()["in_features"], "activation": "relu"}
    if context.width is not None:
        arguments["hidden"] = [context.width] * 3
    elif context.images:
        arguments["hidden"] = list(_COURSE["mnist"][1]["hidden"])
    if context.images:
        arguments["dropout"] = 0.3
    if context.norm is not None:
        arguments["norm"] = context.norm
    return arguments


# On images the MLP GAN is the course's MNIST exercise: 28x28, non-saturating, Adam 1e-4 (0.9, 0.999),
# batch 32, and no normalization in the critic.
_IMAGE_POLICY = {"objective": "non-saturating", "image_size": 28, "batch_size": 32, "lr": 1e-4, "betas": [0.9, 0.999], "critic_norm": "none"}


@register_model("mlp-generator", context=_generator_context, policy={"images": _IMAGE_POLICY})
class MLPGenerator(nn.Module):
    """Fully connected generator: ``Linear -> activation`` blocks, then a linear output.

    Args:
        latent_dim: Size of the noise vector.
        out_shape: Shape of one sample, e.g. ``[2]`` for 2-D points or ``[1, 28, 28]`` for
            images (the output is reshaped to it).
        hidden: Widths of the hidden layers.
        activation: Hidden activation: ``relu``, ``leaky_relu``, ``tanh`` or ``elu``.
        output: ``"tanh"`` (images in [-1, 1]) or ``"none"`` (unbounded, for points).
        negative_slope: Slope of ``leaky_relu``.
        init: ``"default"`` (PyTorch's) or ``"wgan-gp"`` (the WGAN-GP toy code's: He-uniform
            hidden layers, Glorot-uniform output, zero biases).

    Shape:
        ``(N, latent_dim) -> (N, *out_shape)``.

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Example:
        >>> import torch
        >>> MLPGenerator(latent_dim=2, out_shape=[2], hidden=[16, 32], output="none")(torch.randn(5, 2)).shape
        torch.Size([5, 2])
    """

    def __init__(
        self,
        latent_dim: PositiveInt = 100,
        out_shape: Sequence[int] = (1, 28, 28),
        hidden: Sequence[int] = (256, 512, 1024),
        activation: str = "relu",
        output: str = "tanh",
        negative_slope: NonNegativeFloat = 0.2,
        init: str = "default",
    ) -> None:
        super().__init__()
        check_int("latent_dim", latent_dim, maximum=_MAX_FEATURES, expected=f"an integer from 1 to {_MAX_FEATURES}")
        shape = _check_shape(out_shape)
        widths = _check_widths("hidden", hidden)
        if output not in ("tanh", "none"):
            raise ValueError(f"output={output!r} is invalid; expected 'tanh' (images) or 'none' (points)")
        self.latent_dim = latent_dim
        self.out_shape = shape
        self.config = {
            "latent_dim": latent_dim, "out_shape": list(shape), "hidden": widths, "activation": activation,
            "output": output, "negative_slope": negative_slope, "init": init,
        }
        layers: list[nn.Module] = []
        width = latent_dim
        for out in widths:
            layers += [_linear(width, out, init, output=False), _activation(activation, negative_slope)]
            width = out
        features = 1
        for size in shape:
            features *= size
        layers.append(_linear(width, features, init, output=True))
        if output == "tanh":
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        """Map noise ``(N, latent_dim)`` to samples ``(N, *out_shape)``."""
        return self.net(z).view(-1, *self.out_shape)


@register_model("mlp-critic", context=_critic_context)
class MLPCritic(nn.Module):
    """Fully connected critic: ``Linear -> [norm] -> activation -> [dropout]`` blocks, then a linear score.

    With ``norm="spectral"`` every linear layer is spectrally normalized and LeakyReLU is
    1-Lipschitz, so the whole critic is 1-Lipschitz up to the power-iteration error
    (Miyato et al., 2018). It returns raw scores: no sigmoid.

    Args:
        in_features: Number of input features; inputs of shape ``(N, ...)`` are flattened.
        hidden: Widths of the hidden layers.
        norm: ``"none"``, ``"spectral"`` or ``"layer"``.
        negative_slope: Slope of the LeakyReLU for negative inputs.
        activation: Hidden activation: ``leaky_relu``, ``relu``, ``tanh`` or ``elu``.
        dropout: Dropout probability after each hidden activation (0: none).
        init: ``"default"`` (PyTorch's) or ``"wgan-gp"`` (He-uniform hidden layers,
            Glorot-uniform output, zero biases), applied before any spectral normalization.

    Shape:
        ``(N, *)`` with ``prod(*) == in_features`` -> ``(N,)``.

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Example:
        >>> import torch
        >>> MLPCritic(2, hidden=(8, 8))(torch.zeros(5, 2)).shape
        torch.Size([5])
    """

    def __init__(
        self,
        in_features: PositiveInt,
        hidden: Sequence[int] = (64, 64),
        norm: str = "none",
        negative_slope: NonNegativeFloat = 0.2,
        activation: str = "leaky_relu",
        dropout: Fraction = 0.0,
        init: str = "default",
    ) -> None:
        super().__init__()
        if norm not in _MLP_NORMS:
            raise ValueError(f"norm={norm!r} is not supported by MLPCritic; expected one of {_MLP_NORMS}")
        check_int("in_features", in_features, maximum=_MAX_FEATURES, expected=f"an integer from 1 to {_MAX_FEATURES}")
        widths = _check_widths("hidden", hidden)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout={dropout!r} is invalid; expected a probability in [0, 1)")
        self.config = {
            "in_features": in_features, "hidden": widths, "norm": norm, "negative_slope": negative_slope,
            "activation": activation, "dropout": dropout, "init": init,
        }
        spec = resolve_norm(norm)
        layers: list[nn.Module] = []
        width = in_features
        for out in widths:
            layers += [spec.weight(_linear(width, out, init, output=False)), spec.layer(out), _activation(activation, negative_slope)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = out
        layers.append(spec.weight(_linear(width, 1, init, output=True)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """Score inputs ``(N, *)``; returns ``(N,)``."""
        return self.net(x.flatten(1)).flatten()


_COURSE: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "harmonic": ({"latent_dim": 2, "out_shape": [2], "hidden": [16, 32], "output": "none"}, {"in_features": 2, "hidden": [256, 128, 64]}),
    "mnist": ({"latent_dim": 100, "out_shape": [1, 28, 28], "hidden": [256, 512, 1024], "output": "tanh"}, {"in_features": 784, "hidden": [1024, 512, 256]}),
}


def course_mlp(name: str) -> tuple[MLPGenerator, MLPCritic]:
    """The course's MLP GANs: ``"harmonic"`` (the 2-D curve) or ``"mnist"`` (28x28 digits).

    Both use ReLU in the generator and ReLU with dropout 0.3 in the discriminator.

    Args:
        name: ``"harmonic"`` or ``"mnist"``.

    Returns:
        ``(generator, critic)``.

    Raises:
        ValueError: If ``name`` is unknown.

    Example:
        >>> g, d = course_mlp("harmonic")
        >>> g.config["hidden"], d.config["hidden"], d.config["dropout"]
        ([16, 32], [256, 128, 64], 0.3)
    """
    if name not in _COURSE:
        raise ValueError(f"course_mlp({name!r}): expected one of {', '.join(map(repr, _COURSE))}")
    generator, critic = _COURSE[name]
    return MLPGenerator(**generator, activation="relu"), MLPCritic(**critic, activation="relu", dropout=0.3)


def _course_generator_context(context: ModelContext) -> dict[str, Any]:
    arguments: dict[str, Any] = {"out_shape": list(context.sample_shape)}
    if context.latent_dim is not None:
        arguments["latent_dim"] = context.latent_dim
    return arguments


def _course_critic_context(context: ModelContext) -> dict[str, Any]:
    return {"in_features": context.standard_arguments()["in_features"]}


# The course's two MLP GANs as named models: their layer sizes are fixed, the shapes follow the data.
for _course, (_generator, _critic) in _COURSE.items():
    _fixed_generator = {k: v for k, v in _generator.items() if k in ("hidden", "output")}
    _fixed_critic = {k: v for k, v in _critic.items() if k == "hidden"}
    register_model(f"course-{_course}-generator", MLPGenerator, defaults={**_fixed_generator, "activation": "relu"}, context=_course_generator_context)
    register_model(f"course-{_course}-critic", MLPCritic, defaults={**_fixed_critic, "activation": "relu", "dropout": 0.3}, context=_course_critic_context)
