"""Pictures of 2-D training: real points, generated points and the critic's landscape.

For 2-D toy data the most telling picture is the critic itself: its value over the plane as
filled contours, with the real and the generated points on top, and, for the Wasserstein
objectives, the norm of its gradient, which a gradient penalty pulls toward 1 and weight
clipping leaves saturated (Gulrajani et al., 2017, Figure 1).
"""

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

__all__ = ["CriticLandscape", "draw_landscape"]


@torch.no_grad()
def _scores(critic: torch.nn.Module, points: Tensor) -> Tensor:
    return torch.cat([critic(chunk).flatten() for chunk in points.split(8192)])


def _gradient_norms(critic: torch.nn.Module, points: Tensor) -> Tensor:
    norms = []
    for chunk in points.split(8192):
        chunk = chunk.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(chunk).sum(), chunk)
        norms.append(grad.norm(dim=1))
    return torch.cat(norms)


def draw_landscape(
    critic: torch.nn.Module,
    real: Tensor,
    fake: Tensor,
    bounds: tuple[float, float, float, float],
    path: str | os.PathLike[str],
    *,
    resolution: int = 100,
    gradient: bool = False,
    title: str = "",
) -> Path:
    """Draw the critic's value (and gradient-norm) surface with real and generated points.

    Args:
        critic: Maps points ``(N, 2)`` to scores ``(N,)``; it is evaluated in eval mode and
            its mode restored afterwards.
        real: Real points ``(N, 2)``.
        fake: Generated points ``(M, 2)``.
        bounds: ``(x_min, x_max, y_min, y_max)``.
        path: The PNG to write (atomically).
        resolution: Grid points per axis.
        gradient: Add a panel with the gradient norm :math:`\\lVert \\nabla_x D(x) \\rVert`.
        title: A title for the figure.

    Returns:
        The path written.
    """
    import numpy as np
    from matplotlib.figure import Figure

    x_min, x_max, y_min, y_max = bounds
    device = next(critic.parameters()).device
    xs, ys = torch.linspace(x_min, x_max, resolution), torch.linspace(y_min, y_max, resolution)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    grid = torch.stack([gx.flatten(), gy.flatten()], dim=1).to(device)
    was_training = critic.training
    critic.eval()
    try:
        surfaces = [("critic score", _scores(critic, grid))]
        if gradient:
            surfaces.append(("gradient norm", _gradient_norms(critic, grid)))
    finally:
        critic.train(was_training)
    fig = Figure(figsize=(5.2 * len(surfaces), 4.4))
    axes = fig.subplots(1, len(surfaces), squeeze=False)[0]
    real_np, fake_np = real.detach().cpu().numpy(), fake.detach().cpu().numpy()
    for ax, (label, values) in zip(axes, surfaces, strict=True):
        surface = values.detach().cpu().reshape(resolution, resolution).numpy()
        filled = ax.contourf(gx.numpy(), gy.numpy(), surface, levels=20, cmap="viridis" if label == "critic score" else "magma")
        fig.colorbar(filled, ax=ax, label=label)
        ax.scatter(real_np[:, 0], real_np[:, 1], s=3, c="white", alpha=0.6, label="real", linewidths=0)
        ax.scatter(fake_np[:, 0], fake_np[:, 1], s=3, c="#ff4d4d", alpha=0.7, label="generated", linewidths=0)
        ax.set_xlim(x_min, x_max)
        ax.set_ylim(y_min, y_max)
        ax.set_aspect("equal" if np.isclose(x_max - x_min, y_max - y_min) else "auto")
        ax.set_title(label)
        ax.legend(loc="upper right", fontsize=7, markerscale=3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=80, format="png"))


@register_callback("critic-landscape")
class CriticLandscape(Callback):
    """Draw 2-D training every ``every`` iterations into ``landscape/``, and a GIF at the end.

    Each frame shows the real points (a fixed sample), the generator's points (from fixed
    noise), and the critic's value surface as filled contours; with ``gradient=True`` a second
    panel shows the critic's gradient norm. Frames go to ``landscape/iter_XXXXXX.png`` and
    ``landscape/latest.png``; at the end of training they are joined into ``landscape.gif``.

    Args:
        run_dir: The run directory.
        real: Real points ``(N, 2)`` to draw.
        bounds: The window ``(x_min, x_max, y_min, y_max)``.
        every: Draw every this many iterations.
        num_fake: Generated points per frame.
        resolution: Grid points per axis of the surfaces.
        gradient: Also draw the gradient-norm surface (for the Wasserstein objectives).
        seed: Seed of the fixed noise.
    """

    def __init__(
        self,
        run_dir: str | os.PathLike[str],
        real: Tensor,
        bounds: tuple[float, float, float, float],
        every: PositiveInt = 100,
        num_fake: PositiveInt = 1000,
        resolution: PositiveInt = 100,
        gradient: bool = False,
        seed: int = 5,
    ) -> None:
        self.directory = Path(run_dir) / "landscape"
        self.gif = Path(run_dir) / "landscape.gif"
        self.real = real.detach().cpu()
        self.bounds = bounds
        self.every = check_int("every", every, expected="a positive number of iterations")
        self.num_fake = check_int("num_fake", num_fake)
        self.resolution = check_int("resolution", resolution, minimum=8, expected="at least 8 grid points per axis")
        self.gradient = gradient
        self.seed = seed
        self._noise: Tensor | None = None

    def on_fit_start(self, trainer: Loop) -> None:  # noqa: D102
        if self._noise is None:
            self._noise = torch.randn(self.num_fake, trainer.latent_dim, generator=torch.Generator().manual_seed(self.seed))

    def draw(self, trainer: Loop) -> Path:
        """Draw the current state now.

        Args:
            trainer: The Trainer.

        Returns:
            The frame's path.
        """
        assert self._noise is not None, "on_fit_start has not run"
        fake = generate_samples(trainer.sampling_generator, self._noise.to(trainer.device))
        path = self.directory / f"iter_{trainer.iteration:06d}.png"
        draw_landscape(trainer.critic, self.real, fake, self.bounds, path, resolution=self.resolution, gradient=self.gradient, title=f"iteration {trainer.iteration}")
        write_atomically(self.directory / "latest.png", lambda tmp: tmp.write_bytes(path.read_bytes()))
        return path

    def on_iteration_end(self, trainer: Loop, metrics: Metrics) -> None:  # noqa: D102
        if metrics.iteration % self.every == 0:
            self.draw(trainer)

    def on_fit_end(self, trainer: Loop) -> None:  # noqa: D102
        if trainer.iteration % self.every != 0:
            self.draw(trainer)
        self.write_gif()

    def on_interrupt(self, trainer: Loop) -> None:
        """A run stopped by Ctrl-C or SIGTERM leaves its last frame and the animation, as a finished one does."""
        self.on_fit_end(trainer)

    def write_gif(self) -> Path | None:
        """Join the frames into ``landscape.gif`` (PIL); ``None`` when there are none.

        Returns:
            The GIF's path, or ``None``.
        """
        from PIL import Image

        frames = sorted(self.directory.glob("iter_*.png"))
        if not frames:
            return None
        images = [Image.open(frame).convert("P", palette=Image.Palette.ADAPTIVE) for frame in frames]
        return write_atomically(self.gif, lambda tmp: images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=250, loop=0))

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"noise": self._noise}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        self._noise = state["noise"]
