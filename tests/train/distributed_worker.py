"""Worker processes for the distributed tests (gloo, on the CPU).

``run_scenarios`` is started on every rank by ``torch.multiprocessing.spawn``; run as a
script (``torchrun ... distributed_worker.py fail OUT``) one rank fails on purpose.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import torch

from ganlib.checkpoint import load_checkpoint
from ganlib.data import TensorBatches
from ganlib.losses import ComposedObjective, GradientPenalty, WassersteinLoss, interpolate
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.train import Callback, Checkpointer, Distributed, MetricsLogger, Trainer, TrainingInterrupted

GLOBAL_BATCH = 32


class MidpointGradientPenalty(GradientPenalty):
    """The WGAN-GP penalty at the midpoints, so that runs with different batch splits draw no ε."""

    def points(self, step):
        real = step.require_real()
        return interpolate(real, step.fake, torch.full((len(real),), 0.5))


def data() -> torch.Tensor:
    return torch.rand(64, 1, 16, 16, generator=torch.Generator().manual_seed(99)) * 2 - 1


def make_trainer(distributed: Distributed | None, *, seed: int = 0, callbacks=()) -> Trainer:
    world, rank = (1, 0) if distributed is None else (distributed.world_size, distributed.rank)
    torch.manual_seed(seed)
    generator = DCGANGenerator(latent_dim=4, image_size=16, width=4, norm="layer")  # no batch statistics
    critic = DCGANCritic(image_size=16, width=4, norm="layer")
    adam = {"lr": 1e-3, "betas": (0.0, 0.9)}
    objective = ComposedObjective(WassersteinLoss(), [MidpointGradientPenalty(10.0)])
    return Trainer(
        generator,
        critic,
        objective,
        torch.optim.Adam(generator.parameters(), **adam),
        torch.optim.Adam(critic.parameters(), **adam),
        TensorBatches(data(), GLOBAL_BATCH // world, seed=seed, rank=rank, world_size=world),
        n_critic=2,
        seed=seed,
        callbacks=callbacks,
        distributed=distributed,
    )


def parameters(trainer: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for m in (trainer.generator, trainer.critic) for p in m.parameters()]


class SignalAt(Callback):
    """Sends SIGTERM to this process at one iteration, on one rank."""

    all_ranks = True

    def __init__(self, rank: int, iteration: int) -> None:
        self.rank, self.iteration = rank, iteration

    def on_iteration_end(self, trainer, metrics):
        if trainer.distributed.rank == self.rank and metrics.iteration == self.iteration:
            os.kill(os.getpid(), signal.SIGTERM)


def _init(rank: int, world: int, port: int) -> Distributed:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    return Distributed(torch.device("cpu"), backend="gloo", timeout=60)


def run_scenarios(rank: int, world: int, port: int, out: str) -> None:
    out_dir = Path(out)
    distributed = _init(rank, world, port)
    results: dict[str, object] = {}

    equivalent = make_trainer(distributed)
    equivalent.fit(3)
    results["equivalence"] = parameters(equivalent)

    straight = make_trainer(distributed)
    straight.fit(4)
    results["straight"] = parameters(straight)

    run_dir = out_dir / "run"
    logs = out_dir / f"logs-rank{rank}"
    first = make_trainer(distributed, callbacks=[MetricsLogger(logs, every=1, tensorboard=False), SignalAt(1, 2), Checkpointer(run_dir, every=100)])
    try:
        first.fit(4)
        results["stopped_at"] = None
    except TrainingInterrupted as stop:
        results["stopped_at"] = stop.iteration
        results["exit_code"] = stop.exit_code

    torch.manual_seed(12345 + rank)  # disturb the global RNGs, as a new process would
    resumed = make_trainer(distributed, seed=7)
    resumed.load_state_dict(load_checkpoint(run_dir))
    resumed.fit(4)
    results["resumed"] = parameters(resumed)
    torch.save(results, out_dir / f"rank{rank}.pt")
    distributed.close()


def fail(out: str) -> None:
    """torchrun entry: rank 1 raises at iteration 2; the job must end, not hang."""
    distributed = Distributed.from_environment("cpu")
    assert distributed is not None

    class Fail(Callback):
        all_ranks = True

        def on_iteration_end(self, trainer, metrics):
            if distributed.rank == 1 and metrics.iteration == 2:
                raise ValueError("rank 1 failed on purpose")

    make_trainer(distributed, callbacks=[Fail()]).fit(50)


if __name__ == "__main__":
    mode, out_arg = sys.argv[1], sys.argv[2]
    if mode == "fail":
        torch.set_num_threads(1)
        fail(out_arg)
