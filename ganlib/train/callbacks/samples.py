"""Fixed-noise sample grids, saved as the run trains."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from ganlib._files import write_atomically
from ganlib._validation import check_int
from ganlib.contract import PositiveInt
from ganlib.models.sampling import generate_samples
from ganlib.train.callback import Callback, register_callback

if TYPE_CHECKING:
    from ganlib.train.metrics import Metrics
    from ganlib.train.callback import Loop

__all__ = ["SampleGrid", "grid_labels"]


def grid_labels(trainer: Loop, num: int) -> Tensor | None:
    """The labels a sample grid uses: every class in turn.

    Args:
        trainer: The Trainer whose generator is sampled.
        num: How many samples the grid holds.

    Returns:
        Labels ``0, 1, ..., K-1, 0, 1, ...`` (``num`` of them, on the CPU) for a class-conditional
        Trainer; the data's first ``num`` conditions for one conditioned on something else (a
        LAPGAN level's coarse images, the same ones at every grid); else ``None``.
    """
    if not trainer.conditional:
        return None
    if getattr(trainer.generator, "num_classes", None) is None:
        conditions = getattr(trainer.data, "labels", None)
        if conditions is None or len(conditions) < num:
            raise ValueError(f"a sample grid of {num} needs as many conditions from the data; it has {0 if conditions is None else len(conditions)}")
        return conditions[:num].cpu()
    classes = int(getattr(trainer.generator, "num_classes"))  # noqa: B009 - conditional generators have it
    return torch.arange(num) % classes


@register_callback("sample-grid")
class SampleGrid(Callback):
    """Save a grid of samples from fixed noise every ``every`` iterations and at the end.

    Grids go to ``samples/iter_XXXXXX.png`` and ``samples/latest.png`` (torchvision's
    :func:`~torchvision.utils.save_image`, written atomically). The noise is drawn once from
    ``seed`` and kept in the callback's state, so the grids of a run, resumed or not, all
    show the same latent points. Samples come from :attr:`Trainer.sampling_generator` (the
    EMA when present) in eval mode. For a conditional generator each column is one class.

    Args:
        run_dir: The run directory.
        every: Save every this many iterations.
        num: Number of samples in the grid.
        nrow: Samples per grid row.
        seed: Seed of the fixed noise.
    """

    def __init__(self, run_dir: str | os.PathLike[str], every: PositiveInt = 50, num: PositiveInt = 64, nrow: PositiveInt = 8, seed: int = 1234) -> None:
        self.directory = Path(run_dir) / "samples"
        self.every = check_int("every", every, expected="a positive number of iterations")
        self.num = check_int("num", num)
        self.nrow = check_int("nrow", nrow)
        self.seed = seed
        self._noise: Tensor | None = None

    def on_fit_start(self, trainer: Loop) -> None:  # noqa: D102
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._noise is None:
            rng = torch.Generator().manual_seed(self.seed)
            self._noise = torch.randn(self.num, trainer.latent_dim, generator=rng)

    def save(self, trainer: Loop) -> Path:
        """Save the grid for the current iteration now.

        Args:
            trainer: The Trainer whose sampling generator draws the grid.

        Returns:
            The numbered grid's path.
        """
        assert self._noise is not None, "on_fit_start has not run"
        labels = grid_labels(trainer, self.num)
        images = generate_samples(trainer.sampling_generator, self._noise.to(trainer.device), labels=labels)
        nrow = self.nrow if labels is None else int(labels.max()) + 1
        from torchvision.utils import make_grid, save_image

        grid = make_grid(images, nrow=nrow, normalize=True, value_range=(-1, 1), padding=2)
        path = self.directory / f"iter_{trainer.iteration:06d}.png"
        write_atomically(path, lambda tmp: save_image(grid, tmp, format="png"))
        write_atomically(self.directory / "latest.png", lambda tmp: save_image(grid, tmp, format="png"))
        return path

    def on_iteration_end(self, trainer: Loop, metrics: Metrics) -> None:  # noqa: D102
        if metrics.iteration % self.every == 0:
            self.save(trainer)

    def on_fit_end(self, trainer: Loop) -> None:  # noqa: D102
        if trainer.iteration % self.every != 0:
            self.save(trainer)

    def on_interrupt(self, trainer: Loop) -> None:
        """A run stopped by Ctrl-C or SIGTERM leaves its last grid, as a finished one does."""
        self.on_fit_end(trainer)

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"noise": self._noise}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        self._noise = state["noise"]
