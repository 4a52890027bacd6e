"""Helpers shared by the equivalence tests: copying ganlib's weights into a reference's
parameter table and comparing outputs and gradients in float64."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import Tensor, nn

Convert = Callable[[Tensor], Tensor]


def copy_into_reference(model: nn.Module, shapes: Mapping[str, tuple[int, ...]], name_of: Callable[[str], tuple[str, Convert]]) -> dict[str, Tensor]:
    """The reference's parameters, filled with ``model``'s (float64, leaf tensors that take gradients).

    ``name_of`` maps one of ganlib's parameter names to the reference's name and the layout
    change between them. Every reference parameter must be filled exactly once, with its shape:
    this is what pins the layer list and the parameter count.
    """
    params: dict[str, Tensor] = {}
    for ours, value in model.named_parameters():
        name, convert = name_of(ours)
        assert name in shapes, f"ganlib's {ours} has no counterpart {name} in the reference"
        assert name not in params, f"two of ganlib's parameters map to the reference's {name}"
        converted = convert(value.detach().double())
        assert tuple(converted.shape) == shapes[name], f"{ours} -> {name}: ganlib {tuple(converted.shape)}, reference {shapes[name]}"
        params[name] = converted.clone().requires_grad_(True)
    missing = sorted(set(shapes) - set(params))
    assert not missing, f"the reference has parameters that ganlib lacks: {missing}"
    return params


def parameter_count(shapes: Mapping[str, tuple[int, ...]]) -> int:
    """The number of parameters in a table of shapes."""
    return sum(int(torch.Size(shape).numel()) for shape in shapes.values())


def assert_gradients_equal(
    model: nn.Module, params: Mapping[str, Tensor], name_of: Callable[[str], tuple[str, Convert]], *, atol: float = 1e-10, rtol: float = 1e-8,
) -> None:
    """Every ganlib parameter's gradient equals its reference counterpart's (after the layout change)."""
    for ours, value in model.named_parameters():
        name, convert = name_of(ours)
        reference = params[name].grad
        assert value.grad is not None and reference is not None, ours
        torch.testing.assert_close(convert(value.grad.double()), reference, atol=atol, rtol=rtol, msg=lambda m, o=ours: f"gradient of {o}: {m}")


def identity(t: Tensor) -> Tensor:
    """No layout change."""
    return t


def assert_same_function(
    model: nn.Module, params: Mapping[str, Tensor], name_of: Callable[[str], tuple[str, Convert]], ours: Tensor, theirs: Tensor,
    inputs: tuple[Tensor, Tensor] | None = None,
) -> None:
    """Equal outputs; then one random weighting of them backpropagated through both, and every
    parameter's gradient equal (and the inputs', given as ``(ganlib's, the reference's)``)."""
    torch.testing.assert_close(ours, theirs, atol=1e-12, rtol=1e-10)
    weights = torch.randn_like(ours)
    (ours * weights).sum().backward()
    (theirs * weights).sum().backward()
    assert_gradients_equal(model, params, name_of)
    if inputs is not None:
        torch.testing.assert_close(inputs[0].grad, inputs[1].grad, atol=1e-12, rtol=1e-10)
