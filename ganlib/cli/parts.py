"""The ``train`` command's parts, built from its resolved settings: the models, the optimizers,
the callbacks, and a conditional run's classes. Nothing here decides a default (that is
:mod:`ganlib.cli.resolve`) or runs anything (:mod:`ganlib.cli.train`).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlib.data import Dataset, source_metadata
from ganlib.losses import Objective
from ganlib.train.parts import is_conditional
from ganlib.models import ModelContext, build_model
from ganlib.recipes import Recipe
from ganlib.train.optimizers import OPTIMIZERS, build_optimizer, takes_betas
from ganlib.train import (
    CALLBACKS,
    Callback,
    Checkpointer,
    CriticLandscape,
    EvaluateMNIST,
    EvaluateToy,
    LearningCurves,
    LRSchedule,
    MetricsLogger,
    ProgressBar,
    build_lr_schedule,
    standard_callbacks,
)

from ganlib.cli.resolve import model_names


__all__ = ["callbacks", "models", "only_trained_classes", "optimizers"]


def only_trained_classes(dataset: Dataset) -> Dataset:
    """A conditional model is built for the classes it trains on: ``--classes 1,7`` gives two
    labels, 0 and 1, and the generator records which data classes they stand for."""
    if dataset.classes is None or dataset.labels is None or dataset.num_classes is None:
        return dataset
    if len(dataset.classes) < 2:
        raise ValueError(f"--conditional with --classes {','.join(map(str, dataset.classes))}: one class leaves nothing to condition on; give two or more, or drop --conditional")
    lookup = torch.full((dataset.num_classes,), -1, dtype=torch.long, device=dataset.labels.device)
    lookup[list(dataset.classes)] = torch.arange(len(dataset.classes), device=dataset.labels.device)
    return replace(dataset, labels=lookup[dataset.labels], num_classes=len(dataset.classes))


def models(args: argparse.Namespace, dataset: Dataset, recipe: Recipe) -> tuple[nn.Module, nn.Module]:
    toy = dataset.toy is not None
    generator_name, critic_name = model_names(args, recipe, toy)
    if args.conditional and dataset.num_classes is None:
        raise ValueError(f"--conditional needs labels, and {args.data!r} has none (a flat folder?)")
    classes = dataset.num_classes if args.conditional else None
    shape = dataset.sample_shape
    typed: set[str] = getattr(args, "_typed", set())

    def given(norm_flag: str) -> frozenset[str]:  # what the user typed, which a variant may not override
        return frozenset({key for key in ("latent_dim", "width") if key in typed} | ({"norm"} if norm_flag in typed else set()))

    generator = build_model(generator_name, ModelContext(shape, args.latent_dim, classes, args.width, args.generator_norm, given("generator_norm")), **args.generator_arg)
    critic = build_model(critic_name, ModelContext(shape, args.latent_dim, classes, args.width, args.critic_norm, given("critic_norm")), **args.critic_arg)
    if getattr(generator, "latent_dim", args.latent_dim) != args.latent_dim:
        args.latent_dim = int(generator.latent_dim)  # type: ignore[arg-type]  # the model decides (a --generator-arg)
    _check_conditions(args, dataset, generator)
    return generator, critic


def _check_conditions(args: argparse.Namespace, dataset: Dataset, generator: nn.Module) -> None:
    """A model conditioned on images needs data that serve them, and such data need such a model."""
    on_images = is_conditional(generator) and getattr(generator, "num_classes", None) is None
    if on_images and dataset.conditions is None:
        raise ValueError(f"--model {args.model}: its generator is conditioned on coarse images; train it on --data pyramid:SOURCE --data-arg size=N")
    if dataset.conditions is not None and not on_images:
        raise ValueError(
            f"--data {args.data} serves each image with its coarse image to condition on, and --model {args.model} takes none; "
            "use --model lapgan, or --data-arg coarsest=true for the pyramid's unconditional first level"
        )


def _optimizer(kind: str, module: nn.Module, lr: float, betas: list[float] | None, fused: bool, role: str) -> torch.optim.Optimizer:
    if betas is not None and not takes_betas(kind):
        names = [n for n in OPTIMIZERS.names() if takes_betas(n)]
        with_betas = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        raise ValueError(f"--{role}-betas / --betas apply to {with_betas}, not to --{role}-optimizer {kind}")
    return build_optimizer(kind, module.parameters(), lr, betas=None if betas is None else (betas[0], betas[1]), fused=fused)


def optimizers(args: argparse.Namespace, generator: nn.Module, critic: nn.Module, fused: bool) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
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


def callbacks(args: argparse.Namespace, run_dir: Path, dataset: Dataset, objective: Objective, trainer_parts: dict[str, Any]) -> list[Callback]:
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
