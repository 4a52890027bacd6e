"""The ``train`` command's settings resolved: every setting not given filled from what the data,
the models and the objective declare, and a resumed run's saved settings checked.

This is the policy of the command. What a component needs is read from its registry entry
(its metadata, its recipe), so a plugin's component gets the same treatment as a built-in.
"""

from __future__ import annotations

import argparse
import inspect
from dataclasses import replace
from pathlib import Path
from typing import Any


from ganlib.augment import AUGMENTATIONS
from ganlib.cli.arguments import (
    collect,
)
from ganlib.data import DATASETS, TOYS, dataset_names, source_metadata
from ganlib.errors import RunError
from ganlib.losses import OBJECTIVES, PENALTIES, Objective, WeightClip, get_objective
from ganlib.models import MODELS, list_models
from ganlib.recipes import RECIPES, Recipe, recipe_for
from ganlib.plugins import PLUGINS_ENV_VAR
from ganlib.train import (
    CALLBACKS,
    LR_SCHEDULES,
    STEP_SCHEDULES,
)

from ganlib.cli.train_options import build_parser, model_families, objective_names

__all__ = ["check_same_optimizers", "check_saved_values", "model_names", "objective", "resolve"]

_FIXED_DEFAULTS: dict[str, Any] = {
    "data": "harmonic", "generator_norm": "batch", "penalty_every": 1, "precision": "fp32", "capture": "auto",
    "seed": 0, "device": "auto", "keep_checkpoints": 0, "eval_every": 0, "eval_samples": 1000,
}

KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    # The 2-D toys follow the WGAN-GP paper's toy code (ReLU MLPs, batch 256), at width 128 and
    # 3000 iterations: 8 of 8 modes covered in about 90 s here.
    "toy": {
        "objective": "wgan-gp", "model": "mlp", "image_size": None, "width": 128, "latent_dim": 2, "iterations": 3000, "batch_size": 256,
        "log_every": 50, "sample_every": 250, "checkpoint_every": 500,
    },
    "images": {
        "objective": "wgan-gp", "model": "dcgan", "image_size": 64, "width": None, "latent_dim": 100, "iterations": 2000, "batch_size": 64,
        "log_every": 10, "sample_every": 25, "checkpoint_every": 50,  # width None: each image model's own default
    },
}
"""The defaults of each kind of data, below every component's."""

KIND_OVER_RECIPE: dict[str, dict[str, Any]] = {"toy": {"critic_norm": "none"}, "images": {}}
"""What a kind of data fixes over the objective's recipe: a toy's MLP critic has no normalization."""

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


def resolve(args: argparse.Namespace) -> Recipe:
    """Fill every setting not given (``None``) from the data, the model and the objective's recipe."""
    for flag in _KEY_VALUE_FLAGS:  # KEY=VALUE lists become dicts (a resumed config holds dicts already)
        value = getattr(args, flag)
        if not isinstance(value, dict):
            setattr(args, flag, collect(value, "--" + flag.replace("_", "-")))
    norm_filled = args.generator_norm is None  # not typed and not saved: the default fills it
    for key, value in _FIXED_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    toy = _is_toy(args.data)
    kind = "toy" if toy else "images"
    declared = source_metadata(args.data)
    if args.objective is None:
        typed_family = _family_policy(args.model, kind) if args.model is not None else {}
        args.objective = declared.get("settings", {}).get("objective") or typed_family.get("objective") or KIND_DEFAULTS[kind]["objective"]
    named = args.objective
    composition = _composition(named)
    if args.clip is not None and WeightClip.name not in (args.penalty or []):
        args.penalty = [*(args.penalty or []), WeightClip.name]  # --clip C is the clip constraint, with bound C
    typed = getattr(args, "_typed", None)
    if typed is not None:  # what the user typed, not what a resumed run's config or a recipe filled in
        options = bool({"penalty_weight", "penalty", "penalty_every", "penalty_arg", "clip"} & typed)
    else:
        options = args.penalty_weight is not None or bool(args.penalty) or args.penalty_every != 1 or bool(args.penalty_arg)
    composed: Recipe | None = None
    if composition is not None and (options or (toy and named in OBJECTIVES)):
        # A named objective spelled out as its loss and penalties, so that a penalty option
        # applies; the penalties asked for are added to its own, never dropped. (On a toy the
        # presets are spelled out too, so that their penalties' toy defaults apply.)
        loss, own = composition
        asked = [p for p in args.penalty or [] if p not in own]
        args.objective, args.penalty = loss, [*own, *asked]
        base = RECIPES[named] if named in RECIPES else recipe_for(loss, own)
        if asked and base.penalty_weight is not None and args.penalty_weight is None:
            # the recipe's weight stays its own penalties' (a new penalty takes its own default)
            args.penalty_arg = {**{f"{p}.weight": base.penalty_weight for p in own if p in PENALTIES}, **args.penalty_arg}
        chosen = args.penalty[0] if len(args.penalty) == 1 else tuple(args.penalty)
        composed = replace(base, objective=loss, penalty=chosen, penalty_weight=None if asked else base.penalty_weight)
    if args.objective not in objective_names():
        raise ValueError(f"--objective {args.objective!r} is unknown; valid names are {', '.join(objective_names())}")
    recipe = composed or recipe_for(args.objective, tuple(args.penalty) if args.penalty else None)
    _apply_recipe_settings(args, recipe)
    _refuse_orphan_arguments(args)
    if args.model is None:
        args.model = recipe.model or KIND_DEFAULTS[kind]["model"]
    # The data's course settings hold with the kind's default family and no width or networks given.
    course: dict[str, Any] = dict(declared.get("course", {}))
    if not (args.model == KIND_DEFAULTS[kind]["model"] and args.width is None and args.generator is None and args.critic is None):
        course = {}
    proposed: dict[str, Any] = {}  # what the model family and the penalties propose for this kind of data
    if not course:
        proposed.update(_family_policy(args.model, kind))
        for name in args.penalty or []:
            if name in PENALTIES:
                proposed.update(PENALTIES.get(name).kind_defaults.get(kind, {}))
    recipe_settings = {
        "n_critic": recipe.n_critic, "optimizer": recipe.optimizer, "lr": recipe.lr, "betas": list(recipe.betas),
        "penalty_weight": None, "critic_norm": recipe.critic_norm,
    }
    # From the lowest to the highest: the kind's defaults, the recipe, what the kind fixes over
    # the recipe, the data source's, the family's and penalties', the course's.
    layers = [KIND_DEFAULTS[kind], recipe_settings, KIND_OVER_RECIPE[kind], declared.get("settings", {}), proposed, course]
    settings: dict[str, Any] = {}
    for layer in layers:
        settings.update({k: v for k, v in layer.items() if k not in ("objective", "model", "ema")})
    for key, value in settings.items():
        if not hasattr(args, key):  # a plugin's policy naming a setting that does not exist
            raise ValueError(f"a component proposes {key}={value!r}, which is not a train setting (data {args.data!r}, model {args.model!r}, penalties {args.penalty or []})")
        if key == "callback" and getattr(args, key):  # a component's callbacks join those typed (pggan's growth)
            args.callback = [*value, *(v for v in args.callback if v not in value)]
        elif getattr(args, key) is None:
            setattr(args, key, list(value) if isinstance(value, tuple) else value)
    if course:
        args.model = course["model"]
    if args.no_ema:
        args.ema = None
    elif args.ema is None:
        args.ema = course.get("ema", {}).get(args.objective, recipe.ema)
    if norm_filled and not _generator_takes_norm(args, recipe, toy):
        args.generator_norm = None  # the run's config records no norm the generator does not have (R3GAN, the MLPs)
    return recipe


def _generator_takes_norm(args: argparse.Namespace, recipe: Recipe, toy: bool) -> bool:
    try:
        generator, _ = model_names(args, recipe, toy)
    except ValueError:  # a bad name is refused where the models are built, with its own message
        return True
    try:
        return "norm" in inspect.signature(MODELS.get(generator)).parameters
    except (TypeError, ValueError):
        return True


def _composition(name: str) -> tuple[str, tuple[str, ...]] | None:
    """A named objective as ``(loss, penalties)``: what a named objective declares
    (``wgan-gp`` is ``wasserstein`` + ``gp``), or a recipe's own loss and penalties (``r3gan`` is
    ``relativistic`` + ``r1`` + ``r2``); ``None`` for a plain loss."""
    if name in OBJECTIVES:
        declared = OBJECTIVES.entry(name).metadata.get("composition")
        if declared:
            return str(declared[0]), tuple(declared[1:])
    if name in RECIPES and RECIPES[name].objective != name:
        return RECIPES[name].objective, RECIPES[name].penalties
    return None


def _family_policy(family: str, kind: str) -> dict[str, Any]:
    """What a model family proposes for a kind of data (its generator's ``policy`` metadata)."""
    name = f"{family}-generator"
    return dict(MODELS.entry(name).metadata.get("policy", {}).get(kind, {})) if name in MODELS else {}


def model_names(args: argparse.Namespace, recipe: Recipe, toy: bool) -> tuple[str, str]:
    family = args.model
    suffix = "-conditional" if args.conditional else ""
    generator = args.generator or f"{family}{suffix}-generator"
    if args.critic is not None:
        critic = args.critic
    elif _objective_critic(args.objective, recipe) == "autoencoder":
        if toy or args.conditional:
            raise ValueError(f"--objective {args.objective} needs an autoencoder critic on unconditional image data")
        if f"{family}-autoencoder-critic" in MODELS:  # dcgan-autoencoder-critic: EBGAN's and BEGAN's
            critic = f"{family}-autoencoder-critic"
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


_OWN_SETTINGS = {  # named flags for an objective's own arguments: key -> (flag, argument)
    "label_smoothing": ("--label-smoothing", "real_label"),
    "margin": ("--margin", "margin"),
    "pull_away": ("--pull-away", "pull_away"),
    "gamma": ("--gamma", "gamma"),
}


def objective(args: argparse.Namespace, recipe: Recipe) -> Objective:
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


def _optimizer_kinds(settings: dict[str, Any]) -> dict[str, Any]:
    return {role: settings.get(f"{role}_optimizer") or settings.get("optimizer") for role in ("generator", "critic")}


def check_same_optimizers(args: argparse.Namespace, saved: dict[str, Any]) -> None:
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


def check_saved_values(saved: dict[str, Any], path: Path) -> None:
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
        "objective": objective_names(), "penalty": PENALTIES.names(), "augment": AUGMENTATIONS.names(),
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


