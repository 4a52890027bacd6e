"""``python -m ganlib train``: train any registered model on any data with any objective, into a run directory.

With no arguments it trains the course's vanilla GAN on the 2-D harmonic curve (under a minute
on a 2-core CPU with one thread) and draws the critic's landscape. Every setting the chosen
objective's paper fixes (optimizer, learning rate, n_critic, critic norm; :mod:`ganlib.recipes`)
is the default, and every default can be overridden. Every choice is read from the registries
when the command starts, after the plugins are loaded (:mod:`ganlib.plugins`), so a plugin's
models, penalties, callbacks, data sources, augmentations and schedules are valid choices.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlib.augment import AUGMENTATIONS, Augment
from ganlib.cli.arguments import (
    HelpFormatter,
    choices_help,
    collect,
    key_value,
    learning_rate,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    sample_count,
    seed,
    unit_interval,
)
from ganlib.data import DATASETS, TOYS, Dataset, dataset_names, load_dataset, parse_digits, source_metadata
from ganlib.errors import RunError, TrainingInterrupted
from ganlib.losses import LOSSES, OBJECTIVES, PENALTIES, Objective, get_objective
from ganlib.models import MODELS, ModelContext, build_model, list_models
from ganlib.nn import list_norms
from ganlib.recipes import RECIPES, Recipe, recipe_for
from ganlib.plugins import PLUGINS_ENV_VAR, loaded_plugins
from ganlib.runs import CONFIG, RunPlan, plan_run, prepare_directory, run_lock, saved_config, write_config
from ganlib.checkpoint import check_format
from ganlib.train.optimizers import OPTIMIZERS, build_optimizer, takes_betas
from ganlib.train import (
    CALLBACKS,
    CAPTURE_MODES,
    EMA,
    LR_SCHEDULES,
    PRECISIONS,
    STEP_SCHEDULES,
    Callback,
    Checkpointer,
    CriticLandscape,
    Distributed,
    EvaluateMNIST,
    EvaluateToy,
    LearningCurves,
    LRSchedule,
    MetricsLogger,
    ProgressBar,
    Trainer,
    build_lr_schedule,
    load_checkpoint,
    resolve_device,
    standard_callbacks,
)

__all__ = ["ARCHITECTURE", "OPTIMIZERS", "add_parser", "build_parser", "model_families", "run"]

log = logging.getLogger("ganlib.train")


ARCHITECTURE = (
    "data", "data_arg", "model", "generator", "critic", "generator_arg", "critic_arg", "conditional", "image_size", "channels",
    "width", "latent_dim", "critic_norm", "generator_norm", "classes", "batch_size", "seed", "ema", "objective", "penalty",
    "penalty_arg", "augment", "augment_arg",
)
"""Settings that define a run: a resume that changes one of them is refused."""


def model_families() -> list[str]:
    """``--model`` choices: the names F for which ``F-generator`` and ``F-critic`` are registered."""
    generators = {n[: -len("-generator")] for n in MODELS.names(aliases=True) if n.endswith("-generator")}
    critics = {n[: -len("-critic")] for n in MODELS.names(aliases=True) if n.endswith("-critic")}
    return sorted(name for name in generators & critics if not name.endswith("-conditional"))


def _objective_names() -> list[str]:
    return list(dict.fromkeys([*RECIPES.names(), *LOSSES.names(), *OBJECTIVES.names()]))


def _add_arguments(p: argparse.ArgumentParser) -> None:
    data = p.add_argument_group("data")
    data.add_argument("--data", default=None, metavar="NAME", help=choices_help(dataset_names(), "data source (default: harmonic)"))
    data.add_argument("--data-arg", type=key_value, action="append", metavar="KEY=VALUE", help="an option of the data source (e.g. points=100000 for a toy's fixed set)")
    data.add_argument("--data-root", default=None, help="directory of the torchvision data sets (default: $GANLIB_DATA, then ~/.cache/ganlib/datasets)")
    data.add_argument("--download", action="store_true", help="download a missing torchvision data set (needs the network)")
    data.add_argument("--classes", type=parse_digits, default=None, help="train on these classes only, e.g. 3 or 0,1,2 (labelled data)")
    data.add_argument("--image-size", type=positive_int, default=None, help="image side (default: 64 for the DCGANs, 28 for the MLP on MNIST)")
    data.add_argument("--channels", type=int, choices=(1, 3), default=None, help="channels of folder: images (default 3)")

    models = p.add_argument_group("models")
    models.add_argument("--model", default=None, metavar="FAMILY", help=choices_help(model_families(), "FAMILY-generator and FAMILY-critic (default: dcgan for images, mlp for 2-D toys)"))
    models.add_argument("--generator", default=None, metavar="NAME", help=choices_help(list_models(role="generator"), "any registered generator"))
    models.add_argument("--critic", default=None, metavar="NAME", help=choices_help(list_models(role="critic"), "any registered critic"))
    models.add_argument("--generator-arg", type=key_value, action="append", metavar="KEY=VALUE", help="an argument of the generator's builder")
    models.add_argument("--critic-arg", type=key_value, action="append", metavar="KEY=VALUE", help="an argument of the critic's builder")
    models.add_argument("--conditional", action="store_true", help="class-conditional generator and critic (FAMILY-conditional-*; labelled data)")
    models.add_argument("--width", type=positive_int, default=None, help="base channel width of the image models (each model's default: 64 for the DCGANs), hidden width of toy MLPs (128; the harmonic curve uses the course's 16-32 / 256-128-64 MLPs unless given)")
    models.add_argument("--latent-dim", type=positive_int, default=None, help="noise size")
    models.add_argument("--critic-norm", default=None, metavar="NORM", help=choices_help(list_norms(), "the critic's normalization (default: the objective's recipe)"))
    models.add_argument("--generator-norm", default=None, metavar="NORM", help="the generator's normalization (default batch)")
    models.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None, help="channels_last memory format (default: on the CPU, where it measured faster, unless a model says otherwise)")

    objective = p.add_argument_group("objective")
    objective.add_argument("--objective", default=None, metavar="NAME", help=choices_help(_objective_names(), "a recipe, a loss or a named objective (default: minimax with an EMA for the harmonic curve, non-saturating for the MLP on images, wgan-gp otherwise)"))
    objective.add_argument("--objective-arg", type=key_value, action="append", metavar="KEY=VALUE", help="an argument of the loss or objective (e.g. real_label=0.9, margin=1)")
    objective.add_argument("--penalty", action="append", default=None, metavar="NAME", help=choices_help([*PENALTIES.names(), "clip"], "add a penalty (repeat for several)"))
    objective.add_argument("--penalty-arg", type=key_value, action="append", metavar="[NAME.]KEY=VALUE", help="a penalty's own parameter (e.g. decay=0.99, or r1.weight=5 with several penalties)")
    objective.add_argument("--penalty-weight", type=non_negative_float, default=None, help="its weight (lambda or gamma; the paper's by default)")
    objective.add_argument("--penalty-every", type=positive_int, default=None, help="lazy regularization: apply every N steps, weight times N (default 1)")
    objective.add_argument("--clip", type=positive_float, default=None, help="bound of weight clipping (with --penalty clip; 0.01)")
    objective.add_argument("--label-smoothing", type=unit_interval, default=None, metavar="REAL_LABEL", help="one-sided label smoothing for minimax/non-saturating, e.g. 0.9")
    objective.add_argument("--margin", type=positive_float, default=None, help="EBGAN's energy margin m")
    objective.add_argument("--pull-away", type=non_negative_float, default=None, metavar="WEIGHT", help="EBGAN's pulling-away term against mode collapse (the paper: 0.1)")
    objective.add_argument("--gamma", type=unit_interval, default=None, help="BEGAN's diversity ratio")
    objective.add_argument("--augment", default=None, metavar="NAME", help=choices_help(AUGMENTATIONS.names(), "augment every batch the critic sees"))
    objective.add_argument("--augment-arg", type=key_value, action="append", metavar="KEY=VALUE", help="an argument of the augmentation (e.g. policy=color,translation)")

    optimization = p.add_argument_group("optimization")
    optimization.add_argument("--iterations", type=positive_int, default=None, help="total generator iterations (default 2000; 5000 for the harmonic curve)")
    optimization.add_argument("--time-budget", type=positive_float, default=None, metavar="SECONDS", help="stop (with a checkpoint) after this much training time")
    optimization.add_argument("--batch-size", type=positive_int, default=None, help="per process (default: 32 for the harmonic curve, 256 for other toys, 64 for images)")
    optimization.add_argument("--n-critic", type=positive_int, default=None, help="critic steps per generator step (default: the recipe's)")
    optimization.add_argument("--step-schedule", default=None, metavar="NAME", help=choices_help(STEP_SCHEDULES.names(), "how critic and generator steps alternate (default fixed)"))
    optimization.add_argument("--step-schedule-arg", type=key_value, action="append", metavar="KEY=VALUE", help="an argument of the step schedule, repeated for each (adaptive needs two, e.g. critic_threshold=1.2 and generator_threshold=0.8)")
    optimization.add_argument("--optimizer", choices=OPTIMIZERS.names(), default=None, help="both networks' optimizer (default: the recipe's)")
    optimization.add_argument("--lr", type=learning_rate, default=None, help="both networks' learning rate")
    optimization.add_argument("--betas", type=unit_interval, nargs=2, default=None, metavar=("BETA1", "BETA2"), help="Adam's betas, both networks")
    for role in ("generator", "critic"):
        optimization.add_argument(f"--{role}-optimizer", choices=OPTIMIZERS.names(), default=None, help=f"the {role}'s own optimizer")
        optimization.add_argument(f"--{role}-lr", type=learning_rate, default=None, help=f"the {role}'s own learning rate")
        optimization.add_argument(f"--{role}-betas", type=unit_interval, nargs=2, default=None, metavar=("BETA1", "BETA2"), help=f"the {role}'s own Adam betas")
    optimization.add_argument("--lr-schedule", default=None, metavar="NAME", help=choices_help(LR_SCHEDULES.names(), "a learning-rate schedule for both networks"))
    optimization.add_argument("--lr-schedule-arg", type=key_value, action="append", metavar="KEY=VALUE", help="an argument of the schedule (e.g. step_size=500)")
    optimization.add_argument("--ema", type=unit_interval, default=None, metavar="DECAY", help="keep an EMA of the generator, e.g. 0.999")
    optimization.add_argument("--no-ema", action="store_true", help="keep no EMA, even where the recipe keeps one")
    optimization.add_argument("--precision", choices=PRECISIONS, default=None, help="default fp32")
    optimization.add_argument("--capture", choices=("auto", *CAPTURE_MODES), default=None, help="record each iteration as a CUDA graph (default auto: on CUDA with tensor data)")
    optimization.add_argument("--sync-bn", action="store_true", help="synchronize the generator's BatchNorm statistics across processes (torchrun on CUDA)")
    optimization.add_argument("--seed", type=seed, default=None, help="default 0")
    optimization.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:1, ...")
    optimization.add_argument("--threads", type=positive_int, default=None, help="CPU threads (default: what torch chooses, or $OMP_NUM_THREADS); 1 per process when several share a machine")

    run_group = p.add_argument_group("run directory")
    run_group.add_argument("--out", type=Path, default=None, help="run directory (default: runs/DATA-OBJECTIVE)")
    run_group.add_argument("--resume", type=Path, default=None, help="run directory or checkpoint to continue")
    run_group.add_argument("--overwrite", action="store_true", help="replace an existing run in --out (only the files a ganlib run wrote)")
    run_group.add_argument("--log-every", type=positive_int, default=None, help="write metrics every N iterations")
    run_group.add_argument("--sample-every", type=positive_int, default=None, help="sample grid / landscape frame every N iterations (default: 500 for the harmonic curve, 250 for other toys, 25 for images)")
    run_group.add_argument("--checkpoint-every", type=positive_int, default=None, help="checkpoint every N iterations")
    run_group.add_argument("--keep-checkpoints", type=non_negative_int, default=None, metavar="K", help="also keep the last K periodic checkpoints (default 0); with --eval-every, checkpoints/best.pt holds the state with the best FID so far")
    run_group.add_argument("--eval-every", type=non_negative_int, default=None, help="score with the MNIST judge every N iterations (MNIST only; default 0: off)")
    run_group.add_argument("--eval-samples", type=sample_count, default=None, help="samples per evaluation (default 1000)")
    run_group.add_argument("--callback", action="append", default=None, metavar="NAME", help=choices_help(CALLBACKS.names(), "add a registered callback (repeat for several)"))
    run_group.add_argument("--callback-arg", type=key_value, action="append", metavar="[NAME.]KEY=VALUE", help="an argument of a callback")


def build_parser() -> argparse.ArgumentParser:
    """The ``train`` command's parser on its own."""
    parser = argparse.ArgumentParser(prog="python -m ganlib train", description=__doc__.split("\n\n")[0], formatter_class=HelpFormatter)
    _add_arguments(parser)
    return parser


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``train`` command."""
    train = commands.add_parser("train", help="train any model on any data with any objective", description=__doc__.split("\n\n")[0], formatter_class=HelpFormatter)
    _add_arguments(train)
    train.set_defaults(run=run)


# --- resolving the settings -------------------------------------------------------------------

_FIXED_DEFAULTS: dict[str, Any] = {
    "data": "harmonic", "generator_norm": "batch", "penalty_every": 1, "precision": "fp32", "capture": "auto",
    "seed": 0, "device": "auto", "keep_checkpoints": 0, "eval_every": 0, "eval_samples": 1000,
}

_KEY_VALUE_FLAGS = ("data_arg", "generator_arg", "critic_arg", "objective_arg", "penalty_arg", "augment_arg", "step_schedule_arg", "lr_schedule_arg", "callback_arg")


def _is_toy(data: str) -> bool:
    source = data.partition(":")[0]
    return source in TOYS or (source in DATASETS and bool(DATASETS.entry(source).metadata.get("toy")))


def _objective_critic(objective: str, recipe: Recipe) -> str:
    name = recipe.objective
    if name in OBJECTIVES:
        return str(OBJECTIVES.entry(name).metadata.get("critic", "scores"))
    return recipe.critic


def _apply_recipe_settings(args: argparse.Namespace, recipe: Recipe) -> None:
    """The recipe's own settings (its ``settings``), where the command line left them unset."""
    for key, value in recipe.settings.items():
        if not hasattr(args, key) or key in ("objective", "resume", "out"):
            raise ValueError(f"--objective {args.objective}: its recipe sets {key!r}, which is not a train setting")
        current = getattr(args, key)
        if isinstance(value, dict):
            setattr(args, key, {**value, **(current or {})})
        elif isinstance(value, list):  # a recipe's callbacks stay beside those typed
            setattr(args, key, [*value, *(v for v in current or () if v not in value)])
        elif current is None:
            setattr(args, key, value)


_OWNERS = {"lr_schedule_arg": ("lr_schedule", LR_SCHEDULES), "step_schedule_arg": ("step_schedule", STEP_SCHEDULES), "augment_arg": ("augment", AUGMENTATIONS)}
"""The ``--*-arg`` flags that belong to one component flag: without it they would do nothing."""


def _refuse_orphan_arguments(args: argparse.Namespace) -> None:
    for flag, (owner, registry) in _OWNERS.items():
        given = getattr(args, flag)
        if given and getattr(args, owner) is None:
            keys = ", ".join(f"{k}=..." for k in given)
            raise ValueError(
                f"--{flag.replace('_', '-')} {keys} would do nothing without --{owner.replace('_', '-')}; "
                f"add --{owner.replace('_', '-')} NAME ({', '.join(registry.names())}), or drop it"
            )


def _resolve(args: argparse.Namespace) -> Recipe:
    """Fill every setting not given (``None``) from the data, the model and the objective's recipe."""
    for flag in _KEY_VALUE_FLAGS:  # KEY=VALUE lists become dicts (a resumed config holds dicts already)
        value = getattr(args, flag)
        if not isinstance(value, dict):
            setattr(args, flag, collect(value, "--" + flag.replace("_", "-")))
    for key, value in _FIXED_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    toy = _is_toy(args.data)
    if args.objective is None:
        # The harmonic curve: minimax with an EMA measured closest to the curve (see the 2-D guide).
        images_mlp = args.model == "mlp" and not toy
        args.objective = "minimax" if args.data == "harmonic" else "non-saturating" if images_mlp else "wgan-gp"
    preset: str | None = None
    if args.objective in ("wgan-gp", "wgan-clip") and (toy or args.penalty_weight is not None or args.penalty or args.penalty_every != 1 or args.penalty_arg):
        # Spelled out as loss + penalty, so that its weight and arguments can be set; the penalties
        # asked for are added to the preset's own, never dropped.
        preset = "gp" if args.objective == "wgan-gp" else "clip"
        args.objective, args.penalty = "wasserstein", [preset, *(p for p in (args.penalty or []) if p != preset)]
    if args.objective not in _objective_names():
        raise ValueError(f"--objective {args.objective!r} is unknown; valid names are {', '.join(_objective_names())}")
    recipe = recipe_for(args.objective, tuple(args.penalty) if args.penalty else None)
    if preset is not None:  # the preset's paper settings (optimizer, n_critic, norm), with every penalty asked for
        recipe = replace(recipe_for(args.objective, preset), penalty=recipe.penalty, penalty_weight=recipe.penalty_weight)
    _apply_recipe_settings(args, recipe)
    _refuse_orphan_arguments(args)
    if args.model is None:
        args.model = recipe.model or ("mlp" if toy else "dcgan")
    course = args.data == "harmonic" and args.width is None and args.model == "mlp" and args.generator is None and args.critic is None
    images_mlp = args.model == "mlp" and not toy
    # Other toys follow the WGAN-GP paper's toy code (ReLU MLPs, batch 256, Adam betas (0.5, 0.9),
    # lambda 0.1), at width 128 and 3000 iterations: 8 of 8 modes covered in about 90 s here.
    toy_penalty = toy and not course and bool(set(args.penalty or []) & {"gp", "lp", "dragan"})
    defaults: dict[str, Any] = {
        "image_size": None if toy else 28 if images_mlp else 64,
        "width": 128 if toy and not course else None,  # None: each image model's own default (64 for the DCGANs)
        "latent_dim": 2 if toy else 100,
        "iterations": 5000 if course else 3000 if toy else 2000,
        "batch_size": 32 if args.data == "harmonic" or images_mlp else 256 if toy else 64,
        "n_critic": recipe.n_critic,
        "optimizer": recipe.optimizer,
        "lr": 1e-3 if course else 1e-4 if images_mlp else recipe.lr,
        "betas": list((0.9, 0.999) if course or images_mlp else (0.5, 0.9) if toy_penalty else recipe.betas),
        "penalty_weight": 0.1 if toy_penalty else None,
        "critic_norm": "none" if toy or args.model == "mlp" else recipe.critic_norm,
        "log_every": 50 if toy else 10,
        "sample_every": 500 if course else 250 if toy else 25,  # the harmonic default: 10 frames, under a minute
        "checkpoint_every": 500 if toy else 50,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if course:
        args.model = "course-harmonic"
    if args.no_ema:
        args.ema = None
    elif args.ema is None:
        args.ema = 0.999 if course and args.objective == "minimax" else recipe.ema
    return recipe


def _model_names(args: argparse.Namespace, recipe: Recipe, toy: bool) -> tuple[str, str]:
    family = args.model
    suffix = "-conditional" if args.conditional else ""
    generator = args.generator or f"{family}{suffix}-generator"
    if args.critic is not None:
        critic = args.critic
    elif _objective_critic(args.objective, recipe) == "autoencoder":
        if toy or args.conditional:
            raise ValueError(f"--objective {args.objective} needs an autoencoder critic on unconditional image data")
        if f"{family}-autoencoder-critic" in MODELS:
            critic = f"{family}-autoencoder-critic"
        elif family == "dcgan":
            critic = "autoencoder-critic"  # the DCGAN-shaped autoencoder of EBGAN/BEGAN
        else:
            raise ValueError(
                f"--objective {args.objective} needs an autoencoder critic, and --model {family} has none "
                f"(no {family}-autoencoder-critic is registered); use --model dcgan, or name one with --critic"
            )
    else:
        critic = f"{family}{suffix}-critic"
    for role, name in (("generator", generator), ("critic", critic)):
        if name not in MODELS:
            if args.conditional and args.generator is None and args.critic is None:
                families = [f for f in model_families() if f"{f}-conditional-generator" in MODELS]
                raise ValueError(f"--model {family} has no conditional models; --conditional works with {', '.join(families) or 'no family'}")
            flag = f"--{role}" if getattr(args, role) is not None else "--model"
            valid = list_models(role=role)
            raise ValueError(f"{flag}: no {role} named {name!r} is registered; registered {role}s are {', '.join(valid)}")
    return generator, critic


def _models(args: argparse.Namespace, dataset: Dataset, recipe: Recipe) -> tuple[nn.Module, nn.Module]:
    toy = dataset.toy is not None
    generator_name, critic_name = _model_names(args, recipe, toy)
    if args.conditional and dataset.num_classes is None:
        raise ValueError(f"--conditional needs labels, and {args.data!r} has none (a flat folder?)")
    classes = dataset.num_classes if args.conditional else None
    shape = dataset.sample_shape
    generator = build_model(generator_name, ModelContext(shape, args.latent_dim, classes, args.width, args.generator_norm), **args.generator_arg)
    critic = build_model(critic_name, ModelContext(shape, args.latent_dim, classes, args.width, args.critic_norm), **args.critic_arg)
    if getattr(generator, "latent_dim", args.latent_dim) != args.latent_dim:
        args.latent_dim = int(generator.latent_dim)  # type: ignore[arg-type]  # the model decides (a --generator-arg)
    return generator, critic


_OWN_SETTINGS = {  # named flags for an objective's own arguments: key -> (flag, argument)
    "label_smoothing": ("--label-smoothing", "real_label"),
    "margin": ("--margin", "margin"),
    "pull_away": ("--pull-away", "pull_away"),
    "gamma": ("--gamma", "gamma"),
}


def _objective(args: argparse.Namespace, recipe: Recipe) -> Objective:
    kwargs: dict[str, Any] = dict(args.objective_arg)
    for key, (_, argument) in _OWN_SETTINGS.items():
        value = getattr(args, key)
        if value is not None:
            kwargs[argument] = value
    try:
        if not args.penalty and args.clip is None and args.penalty_weight is None and args.penalty_every == 1 and not args.penalty_arg:
            return recipe.build_objective(**kwargs)
        penalties = list(args.penalty or recipe.penalties)
        if not penalties and args.clip is None:
            raise ValueError("--penalty-weight, --penalty-every and --penalty-arg need a penalty: add --penalty gp, lp, dragan, r1, r2, lecam ...")
        weight = args.penalty_weight if args.penalty_weight is not None else (recipe.penalty_weight if tuple(penalties) == recipe.penalties else None)
        return get_objective(recipe.objective, penalty=penalties, penalty_weight=weight, penalty_every=args.penalty_every, penalty_args=args.penalty_arg, clip=args.clip, **kwargs)
    except ValueError as error:
        message = str(error)
        for key, (flag, argument) in _OWN_SETTINGS.items():
            if f"argument {argument!r}" in message and getattr(args, key) is not None:
                raise ValueError(f"{flag} does not apply to --objective {args.objective}: {message}") from None
        raise


def _optimizer(kind: str, module: nn.Module, lr: float, betas: list[float] | None, fused: bool, role: str) -> torch.optim.Optimizer:
    if betas is not None and not takes_betas(kind):
        names = [n for n in OPTIMIZERS.names() if takes_betas(n)]
        with_betas = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        raise ValueError(f"--{role}-betas / --betas apply to {with_betas}, not to --{role}-optimizer {kind}")
    return build_optimizer(kind, module.parameters(), lr, betas=None if betas is None else (betas[0], betas[1]), fused=fused)


def _optimizers(args: argparse.Namespace, generator: nn.Module, critic: nn.Module, fused: bool) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    built = []
    typed: set[str] = getattr(args, "_typed", set())
    for role, module in (("generator", generator), ("critic", critic)):
        kind = getattr(args, f"{role}_optimizer") or args.optimizer
        lr = getattr(args, f"{role}_lr") or args.lr
        own = getattr(args, f"{role}_betas")
        if not takes_betas(kind):
            # The recipe's betas do not apply to this optimizer; betas the user typed are refused.
            betas = own if own is not None else (args.betas if "betas" in typed else None)
        else:
            betas = own if own is not None else args.betas
        built.append(_optimizer(kind, module, lr, betas, fused, role))
    return built[0], built[1]


def _build_callback(name: str, arguments: dict[str, Any], args: argparse.Namespace, run_dir: Path) -> Callback:
    # What the command knows, offered to the callback's builder: each value it takes by name.
    offer = {
        "run_dir": run_dir, "seed": args.seed, "log_every": args.log_every, "sample_every": args.sample_every,
        "checkpoint_every": args.checkpoint_every, "iterations": args.iterations,
    }
    return CALLBACKS.build_offering(name, offer, **arguments)


def _user_callbacks(args: argparse.Namespace, run_dir: Path) -> list[Callback]:
    names = list(args.callback or [])
    for name in names:
        if name not in CALLBACKS:
            raise ValueError(f"--callback {name!r} is not registered; registered callbacks are {', '.join(CALLBACKS.names())}")
    routed: dict[str, dict[str, Any]] = {name: {} for name in names}
    for key, value in args.callback_arg.items():
        owner, dot, field = key.partition(".")
        if dot:
            if owner not in routed:
                raise ValueError(f"--callback-arg {key}: no --callback {owner!r} was given")
            routed[owner][field] = value
        elif len(names) == 1:
            routed[names[0]][key] = value
        else:
            raise ValueError(f"--callback-arg {key}: with several callbacks, name the one it is for (NAME.{key}=...)")
    return [_build_callback(name, routed[name], args, run_dir) for name in names]


def _callbacks(args: argparse.Namespace, run_dir: Path, dataset: Dataset, objective: Objective, trainer_parts: dict[str, Any]) -> list[Callback]:
    if args.eval_every and not source_metadata(args.data).get("judge", {}).get("during_training"):
        raise ValueError(f"--eval-every scores with the MNIST judge; it does not apply to {args.data!r} (toys report their own measures)")
    callbacks: list[Callback] = []
    if args.lr_schedule is not None:
        schedules = {
            role: build_lr_schedule(args.lr_schedule, optimizer, args.iterations, **args.lr_schedule_arg)
            for role, optimizer in (("generator", trainer_parts["generator_optimizer"]), ("critic", trainer_parts["critic_optimizer"]))
        }
        callbacks.append(LRSchedule(schedules))
    callbacks += _user_callbacks(args, run_dir)
    if dataset.toy is not None:
        from ganlib.data import toy_bounds, toy_samples

        real = toy_samples(dataset.toy, 1000, torch.Generator().manual_seed(args.seed + 7))
        # The gradient-norm panel is what a Lipschitz constraint shapes: drawn when a part of the
        # objective declares one (its ``lipschitz``), a plugin's as a built-in's.
        return [
            EvaluateToy(dataset.toy, every=args.sample_every, num=2000),
            *callbacks,
            MetricsLogger(run_dir, every=args.log_every),
            ProgressBar(every=args.log_every, print_every=args.log_every * 4),
            CriticLandscape(run_dir, real, toy_bounds(dataset.toy), every=args.sample_every, gradient=objective.lipschitz, seed=args.seed + 1),
            LearningCurves(run_dir, every=args.sample_every),
            Checkpointer(run_dir, every=args.checkpoint_every, keep=args.keep_checkpoints),
        ]
    evaluation = None
    if args.eval_every:
        digit = args.classes[0] if args.classes is not None and len(args.classes) == 1 else None
        evaluation = EvaluateMNIST(args.eval_every, num=args.eval_samples, digit=digit)
    standard = standard_callbacks(
        run_dir, log_every=args.log_every, sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
        keep_checkpoints=args.keep_checkpoints, evaluation=evaluation, seed=args.seed, samples=len(dataset.sample_shape) == 3,
    )
    return standard[:1] + callbacks + standard[1:] if evaluation is not None else callbacks + standard


def _saved(trainer: Trainer, run_dir: Path) -> str:
    if trainer.last_checkpoint is None:
        return "no checkpoint was written"
    iteration, path = trainer.last_checkpoint
    return f"the checkpoint of iteration {iteration} is in {path}; continue with --resume {run_dir}"


# ganlib 0.2's flagship example recorded its own keys; they map onto this command's.
_FLAGSHIP_KEYS = {"digits": "classes", "gp_weight": "penalty_weight"}


def _migrate_config(saved: dict[str, Any]) -> dict[str, Any]:
    if "digits" not in saved or "data" in saved:
        return saved
    migrated = {_FLAGSHIP_KEYS.get(k, k): v for k, v in saved.items() if k not in ("preset", "no_ema")}
    migrated.update(data="mnist", model="dcgan", objective="wgan-gp" if migrated.get("penalty_weight", 10.0) == 10.0 else "wasserstein")
    if migrated["objective"] == "wasserstein":
        migrated["penalty"] = ["gp"]
    else:
        migrated.pop("penalty_weight", None)
    if saved.get("no_ema"):
        migrated["ema"] = None
    return migrated


def _optimizer_kinds(settings: dict[str, Any]) -> dict[str, Any]:
    return {role: settings.get(f"{role}_optimizer") or settings.get("optimizer") for role in ("generator", "critic")}


def _check_same_optimizers(args: argparse.Namespace, saved: dict[str, Any]) -> None:
    """An optimizer's state passes only to an optimizer of its kind: a resume that changes one is
    refused before anything is written (the run stays resumable as it was)."""
    before, now = _optimizer_kinds(saved), _optimizer_kinds(vars(args))
    changed = [f"the {role} was trained with {before[role]}, not {now[role]}" for role in before if before[role] is not None and before[role] != now[role]]
    if changed:
        flags = [f"--{key.replace('_', '-')}" for key in ("optimizer", "generator_optimizer", "critic_optimizer") if key in args._typed]
        raise RunError(
            f"--resume {args.resume}: {'; '.join(changed)}, and an optimizer's state does not pass to another kind; "
            f"drop {' and '.join(flags) or 'the optimizer settings'} to continue the run, or start a new run with --out"
        )


def _threads(args: argparse.Namespace) -> int:
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    return torch.get_num_threads()


def _check_saved_values(saved: dict[str, Any], path: Path) -> None:
    """Check a run's saved settings as the parser checks typed ones: a hand-edited or foreign
    ``config.json`` is named, key and value, before anything is built from it.

    Raises:
        RunError: ``"{path}: optimizer='adagrad' is invalid (...)"``.
    """
    for action in build_parser()._actions:
        value = saved.get(action.dest)
        if value is None or isinstance(value, bool) or action.dest in ("resume", "out"):
            continue
        items = value if isinstance(value, list) and action.nargs not in (None, "?") else [value]
        for item in items:
            problem = ""
            if isinstance(item, (dict, list)) or not isinstance(item, (str, int, float)):
                continue  # KEY=VALUE flags hold dicts; their builders check the values
            if action.choices is not None and item not in action.choices:
                problem = f"expected one of {', '.join(map(str, action.choices))}"
            elif callable(action.type):
                try:
                    converted = action.type(str(item))
                    if isinstance(item, str) and isinstance(converted, (int, float)):
                        problem = f"expected the number {converted!r}, not text"
                except (argparse.ArgumentTypeError, ValueError, TypeError) as error:
                    problem = str(error)
            if problem:
                raise RunError(f"{path}: {action.dest}={item!r} is invalid ({problem}); fix the file, or start a new run")
    _check_saved_components(saved, path)


def _saved_names(saved: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """``(key, name, registered names)`` for each component a saved config names."""
    registries = {
        "objective": _objective_names(), "penalty": PENALTIES.names(), "augment": AUGMENTATIONS.names(),
        "lr_schedule": LR_SCHEDULES.names(), "step_schedule": STEP_SCHEDULES.names(), "callback": CALLBACKS.names(),
        "generator": MODELS.names(aliases=True), "critic": MODELS.names(aliases=True), "model": model_families(),
        "data": [n.partition(":")[0] for n in dataset_names()],
    }
    named = []
    for key, valid in registries.items():
        values = saved.get(key)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str):
                named.append((key, value.partition(":")[0] if key == "data" else value, valid))
    return named


def _check_saved_components(saved: dict[str, Any], path: Path) -> None:
    # A run trained with a plugin's component, resumed without the plugin: say so, and which
    # plugins the run had, instead of a complaint about a setting nobody typed.
    for key, name, valid in _saved_names(saved):
        if name not in valid:
            plugins = saved.get("plugins") or []
            had = f"the run was trained with plugins {', '.join(plugins)}" if plugins else "a plugin may have registered it"
            raise RunError(
                f"{path}: {key}={name!r} is not registered in this process ({had}); load the plugin that registers it "
                f"({PLUGINS_ENV_VAR}=module or its installed package) and resume again"
            )


def run(args: argparse.Namespace) -> int:
    """Train; returns the exit status."""
    typed = {key for key, value in vars(args).items() if value is not None and value is not False}
    args._typed = typed
    saved: dict[str, Any] = {}
    if args.resume is not None:  # the saved run's settings fill what is not typed again
        _, run_dir, saved = saved_config(args.resume)
        saved = _migrate_config(saved)
        _check_saved_values(saved, run_dir / CONFIG)
        for key, value in saved.items():
            if key in vars(args) and key not in typed and key not in ("resume", "out", "overwrite", "run", "_typed"):
                setattr(args, key, value)
    recipe = _resolve(args)
    if args.resume is not None:
        _check_same_optimizers(args, saved)
    threads = _threads(args)
    distributed = Distributed.from_environment(args.device)
    main_process = distributed is None or distributed.is_main
    logging.basicConfig(level=logging.INFO if main_process else logging.WARNING, format="%(message)s")
    device = distributed.device if distributed is not None else resolve_device(args.device)
    rank, world = (0, 1) if distributed is None else (distributed.rank, distributed.world_size)
    settings = {k: v for k, v in vars(args).items() if k not in ("run", "_typed")}
    settings.update(world_size=world, global_batch_size=args.batch_size * world, threads=threads, plugins=[p.name for p in loaded_plugins()])
    default_out = Path("runs") / f"{args.data.replace('folder:', 'folder-').replace('/', '-').replace(os.sep, '-')}-{args.objective}"
    with contextlib.ExitStack() as held:
        # Only the process that writes plans, locks and checks the run directory; the others take
        # its plan (or its refusal). Had each checked for itself, one could find the directory
        # already locked or written by the main process and refuse a run that is in fact fine.
        outcome: RunPlan | str = ""
        if main_process:
            try:
                plan = plan_run(settings, out=args.out, resume=args.resume, overwrite=args.overwrite, default_out=default_out, fixed=ARCHITECTURE, typed=typed)
                held.enter_context(run_lock(plan.run_dir))
                # Checked again under the lock: another process may have finished a run there meanwhile.
                outcome = plan_run(settings, out=args.out, resume=args.resume, overwrite=args.overwrite, default_out=default_out, fixed=ARCHITECTURE, typed=typed)
            except RunError as error:
                outcome = str(error)
        if distributed is not None:
            outcome = distributed.broadcast_object(outcome)
        if isinstance(outcome, str):
            raise RunError(outcome)
        return _train(args, recipe, outcome, distributed, device, rank, world, threads, main_process)


def _only_trained_classes(dataset: Dataset) -> Dataset:
    """A conditional model is built for the classes it trains on: ``--classes 1,7`` gives two
    labels, 0 and 1, and the generator records which data classes they stand for."""
    if dataset.classes is None or dataset.labels is None or dataset.num_classes is None:
        return dataset
    if len(dataset.classes) < 2:
        raise ValueError(f"--conditional with --classes {','.join(map(str, dataset.classes))}: one class leaves nothing to condition on; give two or more, or drop --conditional")
    lookup = torch.full((dataset.num_classes,), -1, dtype=torch.long, device=dataset.labels.device)
    lookup[list(dataset.classes)] = torch.arange(len(dataset.classes), device=dataset.labels.device)
    return replace(dataset, labels=lookup[dataset.labels], num_classes=len(dataset.classes))


def _train(args: argparse.Namespace, recipe: Recipe, plan: Any, distributed: Distributed | None, device: torch.device, rank: int, world: int, threads: int, main_process: bool) -> int:
    dataset = load_dataset(
        args.data, args.data_root, image_size=args.image_size, classes=args.classes, channels=args.channels,
        download=args.download and main_process, device=device, **args.data_arg,
    )
    if args.conditional:
        dataset = _only_trained_classes(dataset)
    torch.manual_seed(args.seed)  # the same initial weights on every process
    generator, critic = _models(args, dataset, recipe)
    if args.conditional and dataset.classes is not None:
        generator.classes = list(dataset.classes)  # type: ignore[assignment]  # recorded in checkpoints
    if args.sync_bn:
        if distributed is None or device.type != "cuda":
            raise ValueError("--sync-bn needs multi-process training on CUDA (torchrun with GPUs)")
        generator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(generator)
    images = len(dataset.sample_shape) == 3
    # On the CPU channels_last is the default (it measured faster for the DCGANs); a model whose
    # class sets cpu_channels_last = False (measured slower there) keeps the contiguous format.
    preferred = device.type == "cpu" and all(getattr(model, "cpu_channels_last", True) for model in (generator, critic))
    channels_last = images and (args.channels_last if args.channels_last is not None else preferred)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    generator.to(device).to(memory_format=memory_format)
    critic.to(device).to(memory_format=memory_format)
    torch.manual_seed(args.seed + rank)  # the penalty's interpolation weights differ between processes
    objective = _objective(args, recipe)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick the fastest kernels once
    tensor_data = dataset.images is not None
    capture = args.capture if args.capture != "auto" else ("cuda-graph" if device.type == "cuda" and tensor_data and distributed is None else "none")
    fused = device.type == "cuda"
    generator_optimizer, critic_optimizer = _optimizers(args, generator, critic, fused)
    augment: Augment | None = AUGMENTATIONS.build(args.augment, **args.augment_arg) if args.augment is not None else None
    step_schedule = STEP_SCHEDULES.build_offering(args.step_schedule, {"n_critic": args.n_critic}, **args.step_schedule_arg) if args.step_schedule is not None else None
    data = dataset.stream(args.batch_size, seed=args.seed, rank=rank, world_size=world, labels=args.conditional)
    if channels_last and dataset.images is not None and dataset.images.ndim == 4:
        data.data = data.data.contiguous(memory_format=torch.channels_last)  # type: ignore[attr-defined]
    parts = {"generator_optimizer": generator_optimizer, "critic_optimizer": critic_optimizer}
    trainer = Trainer(
        generator, critic, objective, generator_optimizer, critic_optimizer, data,
        n_critic=args.n_critic,
        callbacks=_callbacks(args, plan.run_dir, dataset, objective, parts),
        ema=EMA(generator, args.ema) if args.ema is not None else None,
        seed=args.seed,
        precision=args.precision,
        capture=capture,
        distributed=distributed,
        augment=augment,
        step_schedule=step_schedule,
    )
    if plan.checkpoint is not None:
        state = load_checkpoint(plan.checkpoint, map_location=device)
        check_format(state, plan.checkpoint)  # named with its file, as sample and evaluate do
        trainer.load_state_dict(state)
        if args.iterations < trainer.iteration:
            raise RunError(f"--iterations {args.iterations} is below the {trainer.iteration} iterations the run has done; it counts the total")
        _apply_changed_hyperparameters(args, plan.changed, trainer)
        log.info("resumed %s at iteration %d", plan.checkpoint, trainer.iteration)
        for key, (old, new) in plan.changed.items():
            log.info("  %s changed from %r to %r", key, old, new)
    if main_process:
        prepare_directory(plan, overwrite=args.overwrite)
        write_config(plan.run_dir, plan.config)
        log.info(
            "training %s / %s on %s: %s, n_critic=%d, %s(lr=%g), batch %d, %d iterations, on %s with %d thread%s -> %s",
            _model_label(generator), _model_label(critic), args.data, objective.name, args.n_critic, args.optimizer, args.lr, args.batch_size,
            args.iterations, device, threads, "" if threads == 1 else "s", plan.run_dir,
        )
    try:
        trainer.fit(args.iterations, time_budget=args.time_budget)
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


def _model_label(model: nn.Module) -> str:
    from ganlib.models import model_name

    return model_name(model) or type(model).__name__


def _apply_changed_hyperparameters(args: argparse.Namespace, changed: dict[str, tuple[Any, Any]], trainer: Trainer) -> None:
    """The command line wins over the checkpoint for the settings that may change on resume."""
    for role, optimizer in (("generator", trainer.generator_optimizer), ("critic", trainer.critic_optimizer)):
        lr = getattr(args, f"{role}_lr") or args.lr
        betas = getattr(args, f"{role}_betas") or args.betas
        for group in optimizer.param_groups:
            if {"lr", f"{role}_lr"} & changed.keys():
                group["lr"] = lr
                for callback in trainer.callbacks:
                    if isinstance(callback, LRSchedule) and role in callback.schedulers:
                        callback.schedulers[role].base_lrs = [lr for _ in callback.schedulers[role].base_lrs]
            if "betas" in group and {"betas", f"{role}_betas"} & changed.keys() and betas is not None:
                group["betas"] = tuple(betas)
