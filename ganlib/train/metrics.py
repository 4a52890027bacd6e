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

from ganlib.errors import NonFiniteError

__all__ = ["FiniteGuard", "MetricAccumulator", "Metrics", "NonFiniteError", "finite_or_none", "metric_name"]


def metric_name(phase: str, term: str) -> str:
    """The logged name of an objective's term: a namespace, a slash, a name.

    ``loss`` becomes ``loss/critic`` or ``loss/generator``; a term that already has a
    namespace (``penalty/gp``, ``accuracy/real``) keeps it; any other term goes under its
    phase (``critic/wasserstein``, ``generator/d_fake``). The learning curves draw one panel
    per namespace, so every term an objective reports is drawn.

    Args:
        phase: ``"critic"`` or ``"generator"``.
        term: The objective's name for the term.

    Returns:
        The name in logs and plots.

    Example:
        >>> metric_name("critic", "loss"), metric_name("critic", "penalty/gp"), metric_name("generator", "d_fake")
        ('loss/critic', 'penalty/gp', 'generator/d_fake')
    """
    if term == "loss":
        return f"loss/{phase}"
    return term if "/" in term else f"{phase}/{term}"


@dataclass(frozen=True)
class Metrics:
    """One generator iteration's metrics, kept on the training device.

    Attributes:
        iteration: The generator iteration these metrics belong to (1-based).
        names: Names of the device values, in the order of ``values``: the objective's critic
            terms (its ``loss`` as ``loss/critic``) and generator terms (``loss/generator``,
            ``generator/d_fake`` ...), each averaged over the steps that reported it (see
            :func:`metric_name`).
        values: A 1-D tensor of those values, on the training device.
        extras: Host-side scores reported by callbacks' :meth:`~ganlib.train.Callback.measure`
            for this iteration, e.g. ``fid``; read-only.

    Example:
        >>> import torch
        >>> m = Metrics(3, ("loss/critic",), torch.tensor([0.5]), {"score/fid": 12.0})
        >>> m.to_dict()
        {'loss/critic': 0.5, 'score/fid': 12.0}
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
        >>> acc.report("critic", {"loss": torch.tensor(1.0), "penalty/gp": torch.tensor(4.0)})
        >>> acc.report("critic", {"loss": torch.tensor(3.0)})
        >>> acc.finish(1).to_dict()
        {'loss/critic': 2.0, 'penalty/gp': 4.0}
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
    """``value``, or ``None`` when it is NaN or infinite (strict JSON has no NaN).

    Args:
        value: A number.

    Returns:
        The number, or ``None``.
    """
    return value if math.isfinite(value) else None


class FiniteGuard:
    """Watches every iteration's metrics for NaN and infinity without synchronizing each time.

    Each observed iteration updates a device-side count of consecutive iterations with a
    non-finite metric and a sticky flag that trips when the count reaches ``patience``;
    :meth:`check` reads the flag (one synchronization) and, if it tripped, finds the first
    non-finite value of that streak and raises :class:`NonFiniteError`. The Trainer reads it
    every ``every`` iterations and before every checkpoint. Watching the metrics covers losses,
    penalties, parameters and gradients: a NaN in a parameter or a gradient shows in the next
    iteration's losses.

    ``patience`` is 1 in fp32 and bf16: the first non-finite value stops training. Under fp16
    loss scaling a few non-finite losses are expected while the scale settles (the scaler
    skips those steps), so the Trainer gives the guard a patience of 20 there; a run whose
    losses stay non-finite (NaN in the data, say) still stops, instead of skipping every step.

    Args:
        device: The training device.
        every: Read the flag every this many iterations.
        patience: Consecutive non-finite iterations that trip the guard.
    """

    def __init__(self, device: torch.device, every: int = 10, patience: int = 1) -> None:
        self.every = every
        self.patience = patience
        self._ok = torch.ones((), dtype=torch.bool, device=device)
        self._streak = torch.zeros((), dtype=torch.int64, device=device)
        self._pending: list[Metrics] = []
        self._failure: NonFiniteError | None = None

    def observe(self, metrics: Metrics) -> None:
        """Fold one iteration's metrics into the flag (no synchronization).

        Args:
            metrics: The iteration's metrics.
        """
        if metrics.values.numel():
            finite = torch.isfinite(metrics.values).all()
            self._streak.add_(1).mul_(~finite)  # reset to 0 on a finite iteration
            self._ok.logical_and_(self._streak < self.patience)
        self._pending.append(metrics)
        del self._pending[: -max(self.every, self.patience)]

    def check_if_due(self) -> None:
        """:meth:`check` when ``every`` iterations have been observed since the last read."""
        if len(self._pending) >= self.every:
            self.check()

    def healthy(self) -> bool:
        """Whether the guard has not tripped (one synchronization).

        Returns:
            ``True`` when no run of ``patience`` non-finite iterations has been seen.
        """
        return self._failure is None and bool(self._ok)

    def check(self) -> None:
        """Read the flag; raise if it tripped.

        Raises:
            NonFiniteError: Naming the first non-finite value of the streak that tripped it.
        """
        if self._failure is not None:
            raise self._failure
        if bool(self._ok):
            return
        first = None
        for metrics in self._pending:  # the last non-finite streak's first value
            bad = [(name, value) for name, value in metrics.to_dict().items() if not math.isfinite(value)]
            if not bad:
                first = None
            elif first is None:
                first = (metrics.iteration, *bad[0])
        iteration, name, value = first if first is not None else (self._pending[-1].iteration if self._pending else 0, "unknown", math.nan)
        self._failure = NonFiniteError(iteration, name, value)
        raise self._failure

    def reset(self) -> None:
        """Forget everything observed (after restoring a checkpoint)."""
        self._ok.fill_(True)
        self._streak.zero_()
        self._pending.clear()
        self._failure = None
