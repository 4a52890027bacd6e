"""A builder's signature is its contract (round 3, "argument values are not checked, only names").

The cases at the bottom are generated from the registries: every registered component whose
builder takes arguments gets a wrong-type case, and every one with an argument that has no
default a missing-argument case, so a new component is covered without a new test. A builder
whose arguments carry no annotation at all fails here: it would take any value unchecked.
"""

from __future__ import annotations

import inspect
import math
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ganlib.cli.train  # noqa: F401 -- registers every built-in component
from ganlib.augment.base import AUGMENTATIONS
from ganlib.cli import main
from ganlib.contract import (
    Fraction,
    NonNegativeFloat,
    PositiveInt,
    Probability,
    Range,
    _convert,
    _Mismatch,
    coerce_arguments,
    parameter_types,
)
from ganlib.data.registry import DATASETS
from ganlib.errors import ComponentError
from ganlib.losses.adversarial import LOSSES
from ganlib.losses.penalties import PENALTIES
from ganlib.losses.registry import OBJECTIVES
from ganlib.models.registry import MODELS
from ganlib.registry import Registry
from ganlib.train.callback import CALLBACKS
from ganlib.train.callbacks.lr import LR_SCHEDULES
from ganlib.train.schedule import STEP_SCHEDULES

EMPTY = inspect.Parameter.empty
"""A parameter without a default."""

REGISTRIES = [AUGMENTATIONS, PENALTIES, LOSSES, OBJECTIVES, STEP_SCHEDULES, LR_SCHEDULES, CALLBACKS, DATASETS, MODELS]


def _one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


# --- the conversion rules, case by case ----------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        (int, 3, 3),
        (int, 3.0, 3),
        (float, 2, 2.0),
        (bool, True, True),
        (str, 123, "123"),
        (int | None, None, None),
        (Literal["a", "b"], "b", "b"),
        (list[int], [1, 2.0], [1, 2]),
        (tuple[float, ...], [1, 2], (1.0, 2.0)),
        (PositiveInt, 1, 1),
        (Probability, 1, 1.0),
        (Fraction, 0.0, 0.0),
        (NonNegativeFloat, 0, 0.0),
    ],
)
def test_values_that_fit_are_converted_to_the_declared_type(annotation, value, expected):
    converted = _convert(value, annotation)
    assert converted == expected and type(converted) is type(expected)


@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        (int, "abc", "an integer"),
        (int, 2.5, "an integer"),
        (int, True, "an integer"),
        (float, "abc", "a number"),
        (bool, "no", "true or false"),
        (bool, 1, "true or false"),
        (str, [1], "text"),
        (int | None, "x", "an integer or none"),
        (Literal["a", "b"], "c", "one of 'a', 'b'"),
        (list[int], 3, "a list (as JSON, e.g. [1, 2])"),
        (list[int], ["x"], "an integer"),
        (PositiveInt, 0, "an integer >= 1"),
        (Probability, 1.5, "a number in [0, 1]"),
        (Fraction, 1.0, "a number in [0, 1)"),
        (Annotated[float, Range(0, low_open=True)], 0.0, "a number > 0"),
        (Annotated[float, Range(high=2, high_open=True)], 2, "a number < 2"),
        (NonNegativeFloat, math.nan, "a number >= 0"),
    ],
)
def test_values_that_do_not_fit_say_what_would(annotation, value, expected):
    with pytest.raises(_Mismatch) as caught:
        _convert(value, annotation)
    assert caught.value.expected == expected


def test_objects_the_command_line_cannot_produce_pass_to_the_builder():
    class Optimizer:
        pass

    marker = object()
    assert _convert(marker, Optimizer) is marker  # the builder decides
    with pytest.raises(_Mismatch):
        _convert("adam", Optimizer)  # text where an object belongs: a command-line mistake


def test_an_unresolvable_annotation_is_left_to_the_builder():
    def builder(norm: NotImportedHere = "x", width: int = 1):  # type: ignore[name-defined]  # noqa: F821
        return norm, width

    builder.__annotations__["norm"] = "NotImportedHere"
    assert coerce_arguments("model 'm'", builder, {"norm": 3, "width": 2.0}) == {"norm": 3, "width": 2}


def test_a_parameter_whose_default_is_none_accepts_none():
    def builder(limit: int = None):  # type: ignore[assignment]  # noqa: RUF013
        return limit

    assert coerce_arguments("data source 'd'", builder, {"limit": None}) == {"limit": None}


@given(st.floats(allow_nan=True), st.floats(-10, 10), st.floats(0, 10), st.booleans(), st.booleans())
def test_a_range_holds_exactly_the_numbers_between_its_bounds(value, low, span, low_open, high_open):
    interval = Range(low, low + span, low_open=low_open, high_open=high_open)
    inside = (low < value if low_open else low <= value) and (value < low + span if high_open else value <= low + span)
    assert interval.contains(value) is inside


@given(st.one_of(st.integers(-5, 5), st.floats(-5, 5), st.booleans(), st.text(max_size=3), st.none()))
def test_converting_is_idempotent_and_refusals_are_stable(value):
    for annotation in (int, float, bool, str, PositiveInt, Probability, int | None, list[int]):
        try:
            once = _convert(value, annotation)
        except _Mismatch:
            continue
        assert _convert(once, annotation) == once


# --- builders' failures become one line naming the component ------------------------------


def test_a_plugins_builder_that_fails_is_named_with_its_module():
    registry: Registry[Any] = Registry("widget")

    def broken(size: int = 1):
        return 1 / 0

    broken.__module__ = "my_plugin.widgets"
    registry.register("broken", broken)
    with pytest.raises(ComponentError) as caught:
        registry.build("broken")
    assert str(caught.value) == "widget 'broken' (from my_plugin.widgets) could not be built: ZeroDivisionError: division by zero"
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


def test_a_builders_own_value_check_keeps_its_message_behind_the_components_name():
    with pytest.raises(ComponentError, match=r"^model 'dcgan-critic': image_size=48 is not supported; expected a power of two"):
        MODELS.build("dcgan-critic", image_size=48)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--lr-schedule", "step", "--lr-schedule-arg", "step_size=0"], "learning-rate schedule 'step': step_size=0 is invalid; expected an integer >= 1"),
        (["--lr-schedule", "cosine", "--lr-schedule-arg", "eta_min=abc"], "learning-rate schedule 'cosine': eta_min='abc' is invalid; expected a number"),
        (["--lr-schedule", "exponential", "--lr-schedule-arg", "gamma=-1"], "learning-rate schedule 'exponential': gamma=-1 is invalid; expected a number > 0"),
        (["--penalty", "gp", "--penalty-arg", "every=x"], "penalty 'gp': every='x' is invalid; expected an integer"),
        (["--augment", "ada", "--augment-arg", "target=2"], "augmentation 'ada': target=2 is invalid; expected a number in [0, 1]"),
        (["--callback", "replay-buffer", "--callback-arg", "share=no"], "callback 'replay-buffer': share='no' is invalid; expected a number"),
        (["--step-schedule", "fixed", "--step-schedule-arg", "n_critic=0"], "step schedule 'fixed': n_critic=0 is invalid; expected an integer >= 1"),
    ],
)
def test_the_command_line_refuses_bad_values_in_one_line_and_writes_nothing(tmp_path, capsys, arguments, message):
    out = tmp_path / "run"
    code = main(["train", "--data", "8gaussians", "--model", "mlp", "--iterations", "1", "--device", "cpu", "--out", str(out), *arguments])
    assert code == 2
    assert _one_line(capsys.readouterr().err) == f"error: {message}"
    assert not out.exists()


# --- generated from the registries: every component, a wrong-type and a missing-argument case


def _wrong_value(annotation: Any) -> Any | None:
    """A value the command line could produce that ``annotation`` refuses (None if none is)."""
    for candidate in ("not-a-value", [["nested"]], 0.5, -1, True):
        try:
            _convert(candidate, annotation)
        except _Mismatch:
            return candidate
    return None


def _components() -> list[tuple[Registry[Any], str]]:
    return [(r, e.name) for r in REGISTRIES for e in r.entries() if callable(e.obj)]


def _id(case: tuple[Registry[Any], str]) -> str:
    return f"{case[0].kind}:{case[1]}"


@pytest.mark.parametrize("case", _components(), ids=_id)
def test_every_component_refuses_a_value_of_the_wrong_type_in_one_line(case):
    registry, name = case
    declared = parameter_types(registry.get(name))
    if not declared:
        return  # nothing to give (the hinge loss): nothing to get wrong
    checked = {k: (a, d) for k, (a, d) in declared.items() if a is not Any and _wrong_value(a) is not None}
    assert checked, f"{registry.kind} {name!r} declares arguments but annotates none of them: its values go unchecked"
    key, (annotation, _) = next(iter(checked.items()))
    wrong = _wrong_value(annotation)
    # every argument without a default gets a stand-in the contract passes through untouched,
    # so only the wrong value can be refused, and before the builder runs
    stand_ins = {k: object() for k, (_, default) in declared.items() if default is EMPTY and k != key}
    with pytest.raises(ValueError) as caught:
        registry.build(name, **stand_ins, **{key: wrong})
    message = _one_line(str(caught.value))
    assert f"{registry.kind} {name!r}" in message and f"{key}={wrong!r}" in message and "expected" in message


@pytest.mark.parametrize(
    "case", [c for c in _components() if any(d is EMPTY for _, d in parameter_types(c[0].get(c[1])).values())], ids=_id
)
def test_every_component_names_the_arguments_it_needs(case):
    registry, name = case
    declared = parameter_types(registry.get(name))
    required = [k for k, (_, default) in declared.items() if default is EMPTY]
    defaults = registry.entry(name).metadata.get("defaults", {})
    required = [k for k in required if k not in defaults]
    if not required:
        return  # a variant fixes them
    with pytest.raises(ValueError) as caught:
        registry.build(name)
    message = _one_line(str(caught.value))
    assert message.startswith(f"{registry.kind} {name!r}") and all(k in message for k in required)


def test_the_generated_cases_reach_every_kind_of_component():
    kinds = {registry.kind for registry, _ in _components()}
    assert kinds == {r.kind for r in REGISTRIES}
    assert len(_components()) >= 70, len(_components())
