"""``python -m ganlib train``: train any registered model on any data with any objective, into a run directory.

With no arguments it trains the course's vanilla GAN on the 2-D harmonic curve (under a minute
on a 2-core CPU with one thread) and draws the critic's landscape. Every setting the chosen
objective's paper fixes (optimizer, learning rate, n_critic, critic norm; :mod:`ganlib.recipes`)
is the default, and every default can be overridden. Every choice is read from the registries
when the command starts, after the plugins are loaded (:mod:`ganlib.plugins`), so a plugin's
models, penalties, callbacks, data sources, augmentations and schedules are valid choices.

The command is three rooms: its options (:mod:`ganlib.cli.train_options`), the settings
resolved from what the components declare (:mod:`ganlib.cli.resolve`), and the run, here, with
the parts built from the settings (:mod:`ganlib.cli.parts`).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlib import _compat
from ganlib.augment import AUGMENTATIONS, Augment
from ganlib.cli.arguments import (
    HelpFormatter,
)
from ganlib.data import load_dataset
from ganlib.errors import RunError, TrainingInterrupted
from ganlib.recipes import Recipe
from ganlib.plugins import loaded_plugins
from ganlib.runs import CONFIG, RunPlan, plan_run, prepare_directory, record_session, run_lock, saved_config, write_config
from ganlib.checkpoint import check_format
from ganlib.train.optimizers import OPTIMIZERS
from ganlib.train import (
    EMA,
    Callback,
    STEP_SCHEDULES,
    Distributed,
    LRSchedule,
    Trainer,
    load_checkpoint,
    resolve_device,
)

import ganlib.cli.parts as parts
from ganlib.cli.arguments import invocation
from ganlib.cli.resolve import check_same_optimizers, check_saved_values, resolve
from ganlib.cli.resolve import objective as objective_of
from ganlib.cli.train_options import ARCHITECTURE, DESCRIPTION, add_arguments, build_parser, model_families

__all__ = ["ARCHITECTURE", "OPTIMIZERS", "add_parser", "build_parser", "model_families", "run"]

log = logging.getLogger("ganlib.train")


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``train`` command."""
    train = commands.add_parser("train", help="train any model on any data with any objective", description=DESCRIPTION, formatter_class=HelpFormatter)
    add_arguments(train)
    train.set_defaults(run=run)


def _saved(trainer: Trainer, run_dir: Path) -> str:
    if trainer.last_checkpoint is None:
        return "no checkpoint was written"
    iteration, path = trainer.last_checkpoint
    return f"the checkpoint of iteration {iteration} is in {path}; continue with --resume {run_dir}"


def _threads(args: argparse.Namespace) -> int:
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    return torch.get_num_threads()


def run(args: argparse.Namespace, observers: Sequence[Callback] = ()) -> int:
    """Train; returns the exit status.

    Args:
        args: The parsed ``train`` arguments.
        observers: Callbacks that watch this run from outside (a study's scheduler reads the
            scores they see); they run after every other callback and are not recorded in the
            run's settings, so a resume need not have them.

    Returns:
        The exit status: 0, or 130/143 when a signal stopped the run.
    """
    typed = {key for key, value in vars(args).items() if value is not None and value is not False}
    args._typed = typed
    saved: dict[str, Any] = {}
    if args.resume is not None:  # the saved run's settings fill what is not typed again
        _, run_dir, saved = saved_config(args.resume)
        saved = _compat.migrate_flagship_config(saved)
        check_saved_values(saved, run_dir / CONFIG)
        for key, value in saved.items():
            if key in vars(args) and key not in typed and key not in ("resume", "out", "overwrite", "run", "_typed"):
                setattr(args, key, value)
    recipe = resolve(args)
    if args.resume is not None:
        check_same_optimizers(args, saved)
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
        return _train(args, recipe, outcome, distributed, device, rank, world, threads, main_process, observers)


def _train(
    args: argparse.Namespace, recipe: Recipe, plan: Any, distributed: Distributed | None, device: torch.device, rank: int, world: int, threads: int, main_process: bool,
    observers: Sequence[Callback],
) -> int:
    dataset = load_dataset(
        args.data, args.data_root, image_size=args.image_size, classes=args.classes, channels=args.channels,
        download=args.download and main_process, device=device, **args.data_arg,
    )
    if args.conditional:
        dataset = parts.only_trained_classes(dataset)
    torch.manual_seed(args.seed)  # the same initial weights on every process
    generator, critic = parts.models(args, dataset, recipe)
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
    objective = objective_of(args, recipe)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick the fastest kernels once
    tensor_data = dataset.images is not None
    capture = args.capture if args.capture != "auto" else ("cuda-graph" if device.type == "cuda" and tensor_data and distributed is None else "none")
    fused = device.type == "cuda"
    generator_optimizer, critic_optimizer = parts.optimizers(args, generator, critic, fused)
    augment: Augment | None = AUGMENTATIONS.build(args.augment, **args.augment_arg) if args.augment is not None else None
    step_schedule = STEP_SCHEDULES.build_offering(args.step_schedule, {"n_critic": args.n_critic}, **args.step_schedule_arg) if args.step_schedule is not None else None
    data = dataset.stream(args.batch_size, seed=args.seed, rank=rank, world_size=world, labels=args.conditional)
    if channels_last and dataset.images is not None and dataset.images.ndim == 4:
        data.data = data.data.contiguous(memory_format=torch.channels_last)  # type: ignore[attr-defined]
    optimizers = {"generator_optimizer": generator_optimizer, "critic_optimizer": critic_optimizer}
    trainer = Trainer(
        generator, critic, objective, generator_optimizer, critic_optimizer, data,
        n_critic=args.n_critic,
        callbacks=[*parts.callbacks(args, plan.run_dir, dataset, objective, optimizers), *observers],
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
        record_session(plan.run_dir, invocation() or ["train", *sys.argv[1:]], device, threads)
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
