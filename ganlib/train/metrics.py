"""Per-iteration metrics: reported by name from any step, averaged on the device, read lazily.

Objectives return named terms on every step, and the set of names may change from step to
step (a lazy penalty reports its value only on the steps that compute it). The
:class:`MetricAccumulator` adds each reported term into a device-side running sum that is
allocated once per name and counts the reports on the host, so a report costs one in-place
addition and never a synchronization. At the end of an iteration it yields an immutable
:class:`Metrics` record: each name's mean over the steps that reported it. Values stay on the
device until a callback asks for them (:meth:`Metrics.to_dict`), so a callback that writes
every k iterations costs one synchronization every k iterations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import torch
from torch import Tensor

__all__ = ["MetricAccumulator", "Metrics", "metric_name"]


def metric_name(phase: str, term: str) -> str:
    """The logged name of an objective's term.

    ``loss`` becomes ``critic_loss`` or ``generator_loss``; other generator terms get a
    ``generator_`` prefix; critic terms keep their names.

    Args:
        phase: ``"critic"`` or ``"generator"``.
        term: The objective's name for the term.

    Returns:
        The name in logs and plots.

    Example:
        >>> metric_name("critic", "loss"), metric_name("critic", "gp"), metric_name("generator", "d_fake")
        ('critic_loss', 'gp', 'generator_d_fake')
    """
    if term == "loss":
        return f"{phase}_loss"
    return term if phase == "critic" else f"{phase}_{term}"


@dataclass(frozen=True)
class Metrics:
    """One generator iteration's metrics, kept on the training device.

    Attributes:
        iteration: The generator iteration these metrics belong to (1-based).
        names: Names of the device values, in the order of ``values``: the objective's critic
            terms (its ``loss`` as ``critic_loss``) and generator terms (``generator_loss``,
            ``generator_d_fake`` ...), each averaged over the steps that reported it.
        values: A 1-D tensor of those values, on the training device.
        extras: Host-side scores reported by callbacks' :meth:`~ganlib.train.Callback.measure`
            for this iteration, e.g. ``fid``; read-only.

    Example:
        >>> import torch
        >>> m = Metrics(3, ("critic_loss",), torch.tensor([0.5]), {"fid": 12.0})
        >>> m.to_dict()
        {'critic_loss': 0.5, 'fid': 12.0}
    """

    iteration: int
    names: tuple[str, ...]
    values: Tensor
    extras: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extras", MappingProxyType(dict(self.extras)))

    def to_dict(self) -> dict[str, float]:
        """The metrics, extras included, as Python floats (one device synchronization)."""
        return {**dict(zip(self.names, self.values.tolist(), strict=True)), **self.extras}

    def with_extras(self, extras: Mapping[str, float]) -> Metrics:
        """A copy with more host-side scores (the device values are shared, not copied).

        Args:
            extras: Named host-side values to add.

        Returns:
            The new record.
        """
        return Metrics(self.iteration, self.names, self.values, {**self.extras, **extras})


class MetricAccumulator:
    """Device-side running sums of named terms, with host-side counts.

    Args:
        device: Where the sums live (the training device).

    Example:
        >>> import torch
        >>> acc = MetricAccumulator(torch.device("cpu"))
        >>> acc.reset()
        >>> acc.report("critic", {"loss": torch.tensor(1.0), "gp": torch.tensor(4.0)})
        >>> acc.report("critic", {"loss": torch.tensor(3.0)})
        >>> acc.finish(1).to_dict()
        {'critic_loss': 2.0, 'gp': 4.0}
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self._sums: dict[str, Tensor] = {}
        self._counts: dict[str, int] = {}
        self._scale_cache: dict[tuple[tuple[str, ...], tuple[int, ...]], Tensor] = {}

    def reset(self) -> None:
        """Start a new iteration: zero the sums in place and the counts."""
        if self._sums:
            torch._foreach_zero_(list(self._sums.values()))
        self._counts = dict.fromkeys(self._counts, 0)

    def report(self, phase: str, terms: Mapping[str, Tensor]) -> None:
        """Add one step's terms.

        Args:
            phase: ``"critic"`` or ``"generator"``, for the names (:func:`metric_name`).
            terms: Scalar tensors; gradients are not kept.
        """
        for term, value in terms.items():
            name = metric_name(phase, term)
            total = self._sums.get(name)
            if total is None:
                total = self._sums[name] = torch.zeros((), device=self.device)
                self._counts.setdefault(name, 0)
            total.add_(value.detach().reshape(()))
            self._counts[name] = self._counts.get(name, 0) + 1

    @property
    def names(self) -> tuple[str, ...]:
        """Names reported since the last :meth:`reset`, in order of first report."""
        return tuple(name for name, count in self._counts.items() if count)

    def finish(self, iteration: int) -> Metrics:
        """The iteration's :class:`Metrics`: each reported name's mean, in a new device tensor.

        Args:
            iteration: The completed iteration's number.
        """
        names = self.names
        counts = tuple(self._counts[name] for name in names)
        if not names:
            return Metrics(iteration, (), torch.empty(0, device=self.device))
        scale = self._scale_cache.get((names, counts))
        if scale is None:
            scale = torch.tensor([1.0 / c for c in counts], device=self.device)
            self._scale_cache[(names, counts)] = scale
        values = torch.stack([self._sums[name] for name in names]).mul_(scale)
        return Metrics(iteration, names, values)

    @property
    def sums(self) -> list[Tensor]:
        """The static sum buffers (a CUDA graph writes into them in place)."""
        return list(self._sums.values())


def finite_or_none(value: float) -> float | None:
    """``value``, or ``None`` when it is NaN or infinite (strict JSON has no NaN)."""
    return value if math.isfinite(value) else None
