"""``python -m ganlib train``: train any model on any data with any objective, into a run directory.

With no arguments it trains the course's vanilla GAN on the 2-D harmonic curve (under a minute
on a 2-core CPU) and draws the critic's landscape. Every setting the chosen objective's
paper fixes (optimizer, learning rate, n_critic, critic norm; :mod:`ganlib.recipes`) is the
default, and every default can be overridden.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlib.cli.arguments import non_negative_float, non_negative_int, positive_float, positive_int, unit_interval
from ganlib.data import DATASETS, TOYS, Dataset, load_dataset, parse_digits, toy_bounds, toy_samples
from ganlib.losses import LOSSES, OBJECTIVES, PENALTIES, Objective, get_objective
from ganlib.metrics import EvaluateMNIST, EvaluateToy
from ganlib.models import (
    AutoencoderCritic,
    ConditionalDCGANGenerator,
    DCGAN5Critic,
    DCGAN5Generator,
    DCGANCritic,
    DCGANGenerator,
    MLPCritic,
    MLPGenerator,
    ProjectionCritic,
    course_mlp,
)
from ganlib.nn import NORM_NAMES
from ganlib.recipes import RECIPES, Recipe, recipe_for
from ganlib.runs import RunError, plan_run, prepare_directory, saved_config, write_config
from ganlib.train import (
    CAPTURE_MODES,
    EMA,
    PRECISIONS,
    Callback,
    Checkpointer,
    CriticLandscape,
    Distributed,
    LearningCurves,
    MetricsLogger,
    ProgressBar,
    TimeBudget,
    Trainer,
    TrainingInterrupted,
    load_checkpoint,
    resolve_device,
    standard_callbacks,
)

__all__ = ["add_parser", "build_parser"]

log = logging.getLogger("ganlib.train")

MODELS = ("dcgan", "dcgan5", "mlp")
OBJECTIVE_NAMES = tuple(dict.fromkeys([*RECIPES, *LOSSES, *OBJECTIVES]))

ARCHITECTURE = (
    "data", "model", "conditional", "image_size", "channels", "width", "latent_dim", "critic_norm", "generator_norm",
    "classes", "batch_size", "seed", "ema", "objective",
)
"""Settings that define a run: a resume that changes one of them is refused."""


def _add_arguments(p: argparse.ArgumentParser) -> None:
    data = p.add_argument_group("data")
    data.add_argument("--data", default=None, metavar="NAME", help=f"one of {', '.join(DATASETS)} (default: harmonic)")
    data.add_argument("--data-root", default=None, help="directory of the torchvision data sets (default: $GANLIB_DATA, then ~/.cache/ganlib/datasets)")
    data.add_argument("--download", action="store_true", help="download a missing torchvision data set (needs the network)")
    data.add_argument("--classes", type=parse_digits, default=None, help="train on these classes only, e.g. 3 or 0,1,2 (labelled data)")
    data.add_argument("--image-size", type=positive_int, default=None, help="image side (default: 64 for the DCGANs, 28 for the MLP on MNIST)")
    data.add_argument("--channels", type=int, choices=(1, 3), default=None, help="channels of folder: images (default 3)")

    models = p.add_argument_group("models")
    models.add_argument("--model", choices=MODELS, default=None, help="dcgan (default for images), dcgan5 (5x5 homework variant), mlp (default for 2-D toys)")
    models.add_argument("--conditional", action="store_true", help="class-conditional generator and projection critic (dcgan, labelled data)")
    models.add_argument("--width", type=positive_int, default=None, help="base channel width of the DCGANs (64), hidden width of toy MLPs (512; the harmonic curve uses the course's 16-32 / 256-128-64 MLPs unless given)")
    models.add_argument("--latent-dim", type=positive_int, default=None, help="noise size")
    models.add_argument("--critic-norm", choices=NORM_NAMES, default=None, help="the critic's normalization (default: the objective's recipe)")
    models.add_argument("--generator-norm", choices=NORM_NAMES, default=None, help="the generator's normalization (default batch)")

    objective = p.add_argument_group("objective")
    objective.add_argument("--objective", choices=OBJECTIVE_NAMES, default=None, help="default: minimax (with an EMA) for the harmonic curve, non-saturating for the MLP on images, wgan-gp otherwise")
    objective.add_argument("--penalty", choices=(*PENALTIES, "clip"), default=None, help="add a penalty (or weight clipping) to the loss")
    objective.add_argument("--penalty-weight", type=non_negative_float, default=None, help="its weight (lambda or gamma; the paper's by default)")
    objective.add_argument("--penalty-every", type=positive_int, default=None, help="lazy regularization: apply every N critic steps, weight times N (default 1)")
    objective.add_argument("--clip", type=positive_float, default=None, help="bound of weight clipping (with --penalty clip; 0.01)")
    objective.add_argument("--label-smoothing", type=unit_interval, default=None, metavar="REAL_LABEL", help="one-sided label smoothing for minimax/non-saturating, e.g. 0.9")
    objective.add_argument("--margin", type=positive_float, default=None, help="EBGAN's energy margin m")
    objective.add_argument("--pull-away", type=non_negative_float, default=None, metavar="WEIGHT", help="EBGAN's pulling-away term against mode collapse (the paper: 0.1)")
    objective.add_argument("--gamma", type=unit_interval, default=None, help="BEGAN's diversity ratio")

    optimization = p.add_argument_group("optimization")
    optimization.add_argument("--iterations", type=positive_int, default=None, help="total generator iterations (default 2000; 5000 for the harmonic curve)")
    optimization.add_argument("--time-budget", type=positive_float, default=None, metavar="SECONDS", help="stop (with a checkpoint) after this much training time")
    optimization.add_argument("--batch-size", type=positive_int, default=None, help="per process (default: 32 for the harmonic curve, 256 for other toys, 64 for images)")
    optimization.add_argument("--n-critic", type=positive_int, default=None, help="critic steps per generator step (default: the recipe's)")
    optimization.add_argument("--optimizer", choices=("adam", "rmsprop"), default=None)
    optimization.add_argument("--lr", type=positive_float, default=None)
    optimization.add_argument("--betas", type=unit_interval, nargs=2, default=None, metavar=("BETA1", "BETA2"))
    optimization.add_argument("--ema", type=unit_interval, default=None, metavar="DECAY", help="keep an EMA of the generator, e.g. 0.999")
    optimization.add_argument("--precision", choices=PRECISIONS, default=None, help="default fp32")
    optimization.add_argument("--capture", choices=("auto", *CAPTURE_MODES), default=None, help="record each iteration as a CUDA graph (default auto: on CUDA with tensor data)")
    optimization.add_argument("--seed", type=int, default=None, help="default 0")
    optimization.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:1, ...")

    run = p.add_argument_group("run directory")
    run.add_argument("--out", type=Path, default=None, help="run directory (default: runs/DATA-OBJECTIVE)")
    run.add_argument("--resume", type=Path, default=None, help="run directory or checkpoint to continue")
    run.add_argument("--overwrite", action="store_true", help="replace an existing run in --out")
    run.add_argument("--log-every", type=positive_int, default=None, help="write metrics every N iterations")
    run.add_argument("--sample-every", type=positive_int, default=None, help="sample grid / landscape frame every N iterations (default: 500 for the harmonic curve, 250 for other toys, 25 for images)")
    run.add_argument("--checkpoint-every", type=positive_int, default=None, help="checkpoint every N iterations")
    run.add_argument("--keep-checkpoints", type=non_negative_int, default=None, metavar="K", help="also keep the last K periodic checkpoints (default 0); with --eval-every, checkpoints/best.pt holds the state with the best FID so far")
    run.add_argument("--eval-every", type=non_negative_int, default=None, help="score with the MNIST judge every N iterations (MNIST only; default 0: off)")
    run.add_argument("--eval-samples", type=positive_int, default=None, help="samples per evaluation (default 1000)")


def build_parser() -> argparse.ArgumentParser:
    """The ``train`` command's parser on its own (for ``parse_args`` with resume defaults)."""
    parser = argparse.ArgumentParser(prog="python -m ganlib train", description=__doc__.split("\n\n")[0])
    _add_arguments(parser)
    return parser


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``train`` command."""
    train = commands.add_parser("train", help="train any model on any data with any objective", description=__doc__.split("\n\n")[0])
    _add_arguments(train)
    train.set_defaults(run=run)


# --- resolving the settings -------------------------------------------------------------------


_FIXED_DEFAULTS: dict[str, Any] = {
    "data": "harmonic", "generator_norm": "batch", "penalty_every": 1, "precision": "fp32", "capture": "auto",
    "seed": 0, "device": "auto", "keep_checkpoints": 0, "eval_every": 0, "eval_samples": 1000,
}


def _resolve(args: argparse.Namespace) -> Recipe:
    """Fill every setting not given (``None``) from the data, the model and the objective's recipe."""
    for key, value in _FIXED_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    toy = args.data in TOYS
    if args.model is None:
        args.model = "mlp" if toy else "dcgan"
    if toy and args.model != "mlp":
        raise ValueError(f"--model {args.model} draws images; the 2-D toy {args.data!r} needs --model mlp")
    if args.conditional and (toy or args.model == "mlp"):
        raise ValueError("--conditional needs labelled image data and --model dcgan or dcgan5")
    course_mnist = args.model == "mlp" and not toy  # the course's vanilla GAN on images
    if args.objective is None:
        # The harmonic curve: minimax with an EMA measured closest to the curve (see the 2-D guide).
        args.objective = "minimax" if args.data == "harmonic" else "non-saturating" if course_mnist else "wgan-gp"
    if toy and args.objective in ("wgan-gp", "wgan-clip") and args.penalty is None:
        # Spelled out as loss + penalty, so that the toy settings below can set the weight.
        args.objective, args.penalty = "wasserstein", "gp" if args.objective == "wgan-gp" else "clip"
    recipe = recipe_for(args.objective, args.penalty)
    if recipe.critic == "autoencoder" and (toy or args.conditional):
        raise ValueError(f"--objective {args.objective} needs an autoencoder critic on unconditional image data")
    course = args.data == "harmonic" and args.width is None  # the course's 2-16-32-2 / 256-128-64 MLPs
    # Other toys follow the WGAN-GP paper's toy code (ReLU MLPs, batch 256, Adam betas (0.5, 0.9),
    # lambda 0.1), at width 128 and 3000 iterations: 8 of 8 modes covered in about 90 s here.
    toy_penalty = toy and not course and args.penalty in ("gp", "lp", "dragan")
    defaults: dict[str, Any] = {
        "channels": 3 if args.data.startswith("folder:") else None,  # other data know their channels
        "image_size": 28 if args.model == "mlp" else 64,
        "width": None if course else 128 if toy else 64,
        "latent_dim": 2 if toy else 100,
        "iterations": 5000 if course else 3000 if toy else 2000,
        "batch_size": 32 if args.data == "harmonic" else 256 if toy else 64,
        "n_critic": recipe.n_critic,
        "optimizer": recipe.optimizer,
        "lr": 1e-3 if course else 1e-4 if course_mnist else recipe.lr,
        "betas": list((0.9, 0.999) if course or course_mnist else (0.5, 0.9) if toy_penalty else recipe.betas),
        "penalty_weight": 0.1 if toy_penalty else None,
        "critic_norm": "none" if toy or args.model == "mlp" else recipe.critic_norm,
        "log_every": 50 if toy else 10,
        "sample_every": 500 if course else 250 if toy else 25,  # the harmonic default: 10 frames, under a minute
        "checkpoint_every": 500 if toy else 50,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if course and args.ema is None and args.objective == "minimax":
        args.ema = 0.999
    if toy:
        args.image_size = None
    return recipe


def _models(args: argparse.Namespace, dataset: Dataset, recipe: Recipe) -> tuple[nn.Module, nn.Module]:
    if dataset.toy is not None:
        if args.width is None:
            return course_mlp("harmonic")
        hidden = [args.width] * 3
        return (
            MLPGenerator(args.latent_dim, [2], hidden, activation="relu", output="none"),
            MLPCritic(2, hidden, norm=args.critic_norm, activation="relu"),
        )
    channels, size = dataset.channels, args.image_size
    if args.model == "mlp":  # the course's vanilla GAN, at any image size
        return (
            MLPGenerator(args.latent_dim, [channels, size, size], [256, 512, 1024], activation="relu"),
            MLPCritic(channels * size * size, [1024, 512, 256], norm=args.critic_norm, activation="relu", dropout=0.3),
        )
    if args.conditional:
        if dataset.num_classes is None:
            raise ValueError(f"--conditional needs labels, and {args.data!r} has none (a flat folder?)")
        return (
            ConditionalDCGANGenerator(dataset.num_classes, args.latent_dim, size, channels, args.width, norm=args.generator_norm),
            ProjectionCritic(dataset.num_classes, size, channels, args.width, norm=args.critic_norm),
        )
    generator_class, critic_class = (DCGAN5Generator, DCGAN5Critic) if args.model == "dcgan5" else (DCGANGenerator, DCGANCritic)
    generator = generator_class(args.latent_dim, size, channels, args.width, norm=args.generator_norm)
    if recipe.critic == "autoencoder":
        return generator, AutoencoderCritic(size, channels, args.width, code_dim=args.latent_dim, norm=args.critic_norm)
    return generator, critic_class(size, channels, args.width, norm=args.critic_norm)


_OWN_SETTINGS = {  # settings that belong to one family of objectives: key -> (flag, the losses that take it)
    "label_smoothing": ("--label-smoothing", ("minimax", "non-saturating")),
    "margin": ("--margin", ("ebgan",)),
    "pull_away": ("--pull-away", ("ebgan",)),
    "gamma": ("--gamma", ("began",)),
}


def _objective(args: argparse.Namespace, recipe: Recipe) -> Objective:
    for key, (flag, owners) in _OWN_SETTINGS.items():
        if getattr(args, key) is not None and recipe.objective not in owners:
            raise ValueError(f"{flag} belongs to --objective {' or '.join(owners)}; --objective {args.objective} does not take it")
    kwargs: dict[str, Any] = {}
    if args.label_smoothing is not None:
        kwargs["real_label"] = args.label_smoothing
    if args.margin is not None:
        kwargs["margin"] = args.margin
    if args.pull_away is not None:
        kwargs["pull_away"] = args.pull_away
    if args.gamma is not None:
        kwargs["gamma"] = args.gamma
    if args.penalty is None and args.clip is None and args.penalty_weight is None and args.penalty_every == 1:
        return recipe.build_objective(**kwargs)
    penalty = args.penalty or recipe.penalty
    if penalty is None and args.clip is None:
        raise ValueError("--penalty-weight and --penalty-every need a penalty: add --penalty gp, lp, dragan, r1 or r2")
    return get_objective(recipe.objective, penalty=penalty, penalty_weight=args.penalty_weight, penalty_every=args.penalty_every, clip=args.clip, **kwargs)


def _optimizer(args: argparse.Namespace, module: nn.Module, fused: bool) -> torch.optim.Optimizer:
    if args.optimizer == "rmsprop":
        return torch.optim.RMSprop(module.parameters(), lr=args.lr)
    return torch.optim.Adam(module.parameters(), lr=args.lr, betas=tuple(args.betas), fused=fused or None)


def _callbacks(args: argparse.Namespace, run_dir: Path, dataset: Dataset, objective: Objective) -> list[Callback]:
    # The time budget comes first: it decides in measure(), before the evaluations score.
    budget: list[Callback] = [TimeBudget(args.time_budget)] if args.time_budget else []
    return budget + _run_callbacks(args, run_dir, dataset, objective)


def _run_callbacks(args: argparse.Namespace, run_dir: Path, dataset: Dataset, objective: Objective) -> list[Callback]:
    if args.eval_every and args.data != "mnist":
        raise ValueError(f"--eval-every scores with the MNIST judge; it does not apply to {args.data!r} (toys report their own measures)")
    if dataset.toy is not None:
        real = toy_samples(dataset.toy, 1000, torch.Generator().manual_seed(args.seed + 7))
        wasserstein = "wasserstein" in objective.name or objective.name.startswith("wgan")
        return [
            EvaluateToy(dataset.toy, every=args.sample_every, num=2000),
            MetricsLogger(run_dir, every=args.log_every),
            ProgressBar(every=args.log_every, print_every=args.log_every * 4),
            CriticLandscape(run_dir, real, toy_bounds(dataset.toy), every=args.sample_every, gradient=wasserstein, seed=args.seed + 1),
            LearningCurves(run_dir, every=args.sample_every),
            Checkpointer(run_dir, every=args.checkpoint_every, keep=args.keep_checkpoints),
        ]
    evaluation = None
    if args.eval_every:
        digit = args.classes[0] if args.classes is not None and len(args.classes) == 1 else None
        evaluation = EvaluateMNIST(args.eval_every, num=args.eval_samples, digit=digit)
    return standard_callbacks(
        run_dir, log_every=args.log_every, sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
        keep_checkpoints=args.keep_checkpoints, evaluation=evaluation, seed=args.seed,
    )


def _saved(trainer: Trainer, run_dir: Path) -> str:
    if trainer.last_checkpoint is None:
        return "no checkpoint was written"
    iteration, path = trainer.last_checkpoint
    return f"the checkpoint of iteration {iteration} is in {path}; continue with --resume {run_dir}"


def run(args: argparse.Namespace) -> int:
    """Train; returns the exit status."""
    if args.resume is not None:  # the saved run's settings fill what is not typed again
        _, _, saved = saved_config(args.resume)
        for key, value in saved.items():
            if key in vars(args) and getattr(args, key) in (None, False) and key not in ("resume", "out", "overwrite"):
                setattr(args, key, value)
    recipe = _resolve(args)
    distributed = Distributed.from_environment(args.device)
    main_process = distributed is None or distributed.is_main
    logging.basicConfig(level=logging.INFO if main_process else logging.WARNING, format="%(message)s")
    device = distributed.device if distributed is not None else resolve_device(args.device)
    rank, world = (0, 1) if distributed is None else (distributed.rank, distributed.world_size)
    settings = {**{k: v for k, v in vars(args).items() if k != "run"}, "world_size": world, "global_batch_size": args.batch_size * world}
    default_out = Path("runs") / f"{args.data.replace('folder:', 'folder-').replace('/', '-')}-{args.objective}"
    plan = plan_run(settings, out=args.out, resume=args.resume, overwrite=args.overwrite, default_out=default_out, fixed=ARCHITECTURE)

    dataset = load_dataset(args.data, args.data_root, image_size=args.image_size or 64, classes=args.classes, channels=args.channels, download=args.download and main_process, device=device)
    torch.manual_seed(args.seed)
    generator, critic = _models(args, dataset, recipe)
    generator.to(device)
    critic.to(device)
    torch.manual_seed(args.seed + rank)
    objective = _objective(args, recipe)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    tensor_data = dataset.toy is None
    capture = args.capture if args.capture != "auto" else ("cuda-graph" if device.type == "cuda" and tensor_data and distributed is None else "none")
    fused = device.type == "cuda"
    trainer = Trainer(
        generator,
        critic,
        objective,
        _optimizer(args, generator, fused),
        _optimizer(args, critic, fused),
        dataset.stream(args.batch_size, seed=args.seed, rank=rank, world_size=world, labels=args.conditional),
        n_critic=args.n_critic,
        callbacks=_callbacks(args, plan.run_dir, dataset, objective),
        ema=EMA(generator, args.ema) if args.ema is not None else None,
        seed=args.seed,
        precision=args.precision,
        capture=capture,
        distributed=distributed,
    )
    if plan.checkpoint is not None:
        trainer.load_state_dict(load_checkpoint(plan.checkpoint, map_location=device))
        if args.iterations < trainer.iteration:
            raise RunError(f"--iterations {args.iterations} is below the {trainer.iteration} iterations the run has done; it counts the total")
        for optimizer in (trainer.generator_optimizer, trainer.critic_optimizer):
            for group in optimizer.param_groups:
                group["lr"] = args.lr
                if "betas" in group:
                    group["betas"] = tuple(args.betas)
        log.info("resumed %s at iteration %d", plan.checkpoint, trainer.iteration)
        for key, (old, new) in plan.changed.items():
            log.info("  %s changed from %r to %r", key, old, new)
    if main_process:
        prepare_directory(plan, overwrite=args.overwrite)
        write_config(plan.run_dir, plan.config)
        log.info(
            "training %s on %s: %s, n_critic=%d, %s(lr=%g), batch %d, %d iterations, on %s -> %s",
            args.model, args.data, objective.name, args.n_critic, args.optimizer, args.lr, args.batch_size, args.iterations, device, plan.run_dir,
        )
    try:
        trainer.fit(args.iterations)
    except TrainingInterrupted as stop:
        log.info("%s: stopped after iteration %d; %s", signal.Signals(stop.signum).name, stop.iteration, _saved(trainer, plan.run_dir))
        return stop.exit_code
    except KeyboardInterrupt:
        log.warning("interrupted again: stopped at once during iteration %d, which is lost; %s", trainer.iteration + 1, _saved(trainer, plan.run_dir))
        return 130
    finally:
        if distributed is not None:
            distributed.close()
    if main_process:
        log.info("done: %d iterations in %s", trainer.iteration, plan.run_dir)
    return 0


if __name__ == "__main__":  # pragma: no cover - use python -m ganlib train
    from ganlib.cli import main

    sys.exit(main(["train", *sys.argv[1:]]))
