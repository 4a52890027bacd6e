"""Choosing a device explicitly, never by hidden default."""

from __future__ import annotations

import torch

__all__ = ["resolve_device"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Resolve a device request.

    Args:
        device: ``"auto"`` (CUDA if available, then Apple MPS, then the CPU), or anything
            :class:`torch.device` accepts, e.g. ``"cpu"`` or ``"cuda:1"``.

    Returns:
        The device.

    Raises:
        ValueError: If the request names a device type this build of PyTorch cannot use.

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"device={device!r} is not a valid device ({error}); try 'auto', 'cpu' or 'cuda'") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available; use 'auto' or 'cpu'")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available; use 'auto' or 'cpu'")
    return resolved
