"""The ``train`` command's options: its parser, and the names its choices are read from.

Every choice is read from the registries when the parser is built, after the plugins are
loaded, so a plugin's components are valid choices. What a setting defaults to when it is not
given is decided in :mod:`ganlib.cli.resolve`; the run itself is :mod:`ganlib.cli.train`.
"""

from __future__ import annotations

import argparse
from pathlib import Path


from ganlib.augment import AUGMENTATIONS
from ganlib.cli.arguments import (
    HelpFormatter,
    choices_help,
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
from ganlib.data import dataset_names, parse_digits
from ganlib.losses import LOSSES, OBJECTIVES, PENALTIES
from ganlib.models import MODELS, list_models
from ganlib.nn import list_norms
from ganlib.recipes import RECIPES
from ganlib.train.optimizers import OPTIMIZERS
from ganlib.train import (
    CALLBACKS,
    CAPTURE_MODES,
    LR_SCHEDULES,
    PRECISIONS,
    STEP_SCHEDULES,
)


__all__ = ["ARCHITECTURE", "DESCRIPTION", "add_arguments", "build_parser", "model_families", "objective_names"]

DESCRIPTION = "``python -m ganlib train``: train any registered model on any data with any objective, into a run directory."

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


def objective_names() -> list[str]:
    return list(dict.fromkeys([*RECIPES.names(), *LOSSES.names(), *OBJECTIVES.names()]))


def add_arguments(p: argparse.ArgumentParser) -> None:
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
    objective.add_argument("--objective", default=None, metavar="NAME", help=choices_help(objective_names(), "a recipe, a loss or a named objective (default: minimax with an EMA for the harmonic curve, non-saturating for the MLP on images, wgan-gp otherwise)"))
    objective.add_argument("--objective-arg", type=key_value, action="append", metavar="KEY=VALUE", help="an argument of the loss or objective (e.g. real_label=0.9, margin=1)")
    objective.add_argument("--penalty", action="append", default=None, metavar="NAME", help=choices_help([*PENALTIES.names(), "clip"], "add a penalty (repeat for several)"))
    objective.add_argument("--penalty-arg", type=key_value, action="append", metavar="[NAME.]KEY=VALUE", help="a penalty's own parameter (e.g. decay=0.99, or r1.weight=5 with several penalties)")
    objective.add_argument("--penalty-weight", type=non_negative_float, default=None, help="its weight (lambda or gamma; the paper's by default)")
    objective.add_argument("--penalty-every", type=positive_int, default=None, help="lazy regularization: apply every N steps, weight times N (default 1)")
    objective.add_argument("--clip", type=positive_float, default=None, help="clip the critic's weights to [-C, C] after each step (the clip constraint; --penalty clip alone clips at 0.01)")
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
    parser = argparse.ArgumentParser(prog="python -m ganlib train", description=DESCRIPTION, formatter_class=HelpFormatter)
    add_arguments(parser)
    return parser
