"""A builder's signature is its contract: the values a component is built with are converted and
checked against the builder's annotations before it is called.

:meth:`ganlib.registry.Registry.build` calls :func:`coerce_arguments` on every build, so a
``--penalty-arg every=abc`` or a plugin's ``--data-arg seed=x`` ends in one line naming the
component, the argument, the value and what is valid, never in a traceback from deep inside
the builder. What is checked comes from the annotation alone:

* ``int``, ``float``, ``bool``, ``str``: a value of that kind (an integer is a valid
  ``float``, a whole number such as ``3.0`` a valid ``int``; ``true``/``false`` only for
  ``bool``, so ``flip=no`` is refused rather than taken as a truthy string);
* ``X | None`` (and a parameter whose default is ``None``): also ``None``;
* ``Literal["a", "b"]``: one of the listed values;
* ``list[X]``, ``tuple[X, ...]``, ``Sequence[X]``: a list, each item converted to ``X``;
* ``Annotated[X, Range(...)]``: ``X``, within the range. The aliases below
  (:data:`PositiveInt`, :data:`Probability`, ...) are the common ones; a plugin uses them
  the same way;
* anything else (a tensor, an optimizer, a class of the component's own): values of that
  class pass; text, numbers, lists and ``None`` are refused, because the command line
  produced them by mistake.

Objects the command line cannot produce (a tensor, a NumPy number, a module) always pass to
the builder unchanged: the contract guards the values typed by a user, and leaves Python
callers the builder's own duck typing.

An annotation that cannot be resolved (a name imported only for type checkers) is not
checked: the builder decides. This module imports only the standard library.

Example:
    >>> def schedule(step_size: PositiveInt = 1000, gamma: PositiveFloat = 0.5, flip: bool = False):
    ...     return step_size, gamma, flip
    >>> coerce_arguments("schedule 'step'", schedule, {"step_size": 2.0, "gamma": 1})
    {'step_size': 2, 'gamma': 1.0}
    >>> coerce_arguments("schedule 'step'", schedule, {"step_size": 0})
    Traceback (most recent call last):
    ...
    ValueError: schedule 'step': step_size=0 is invalid; expected an integer >= 1
    >>> coerce_arguments("schedule 'step'", schedule, {"flip": "no"})
    Traceback (most recent call last):
    ...
    ValueError: schedule 'step': flip='no' is invalid; expected true or false
"""

from __future__ import annotations

import collections.abc
import inspect
import math
import numbers
import os
import sys
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

__all__ = [
    "Fraction",
    "NonNegativeFloat",
    "NonNegativeInt",
    "PositiveFloat",
    "PositiveInt",
    "Probability",
    "Range",
    "coerce_arguments",
    "parameter_types",
]


@dataclass(frozen=True)
class Range:
    """The interval a number must lie in, for ``Annotated[float, Range(0, 1)]``.

    Args:
        low: The lower bound, or ``None`` for none.
        high: The upper bound, or ``None`` for none.
        low_open: Exclude ``low`` itself.
        high_open: Exclude ``high`` itself.

    Example:
        >>> Range(0, 1, high_open=True).describe(float), Range(1).describe(int)
        ('a number in [0, 1)', 'an integer >= 1')
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the range (``nan`` never does)."""
        if math.isnan(value):
            return False
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (self.high is not None and (value > self.high or (self.high_open and value == self.high)))

    def describe(self, kind: type) -> str:
        """The range in words: ``"a number > 0"``, ``"an integer in [1, 8]"``."""
        noun = "an integer" if kind is int else "a number"
        low, high = _number_text(self.low), _number_text(self.high)
        if self.low is not None and self.high is not None:
            return f"{noun} in {'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"
        if self.low is not None:
            return f"{noun} {'>' if self.low_open else '>='} {low}"
        if self.high is not None:
            return f"{noun} {'<' if self.high_open else '<='} {high}"
        return noun


def _number_text(value: float | None) -> str:
    return "" if value is None else (str(int(value)) if float(value).is_integer() else str(value))


PositiveInt = Annotated[int, Range(1)]
"""An integer >= 1 (a count, an interval in iterations)."""
NonNegativeInt = Annotated[int, Range(0)]
"""An integer >= 0 (an iteration to start at, a seed)."""
PositiveFloat = Annotated[float, Range(0, low_open=True)]
"""A number > 0 (a scale, a learning-rate factor)."""
NonNegativeFloat = Annotated[float, Range(0)]
"""A number >= 0 (a weight, a margin)."""
Probability = Annotated[float, Range(0, 1)]
"""A number in [0, 1] (a probability, a share)."""
Fraction = Annotated[float, Range(0, 1, high_open=True)]
"""A number in [0, 1) (a decay: 1 would never move)."""


class _Mismatch(Exception):
    """The value does not fit; ``expected`` says what would."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


_UNCHECKED = object()
"""A parameter whose annotation could not be resolved: its values pass unchanged."""


def _resolve(annotation: Any, namespace: dict[str, Any]) -> Any:
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, namespace)  # noqa: S307 - annotations of ganlib's and plugins' own code
    except Exception:  # a name only imported for type checkers
        return _UNCHECKED


def parameter_types(builder: Callable[..., Any]) -> dict[str, tuple[Any, Any]]:
    """``{name: (annotation, default)}`` for the keyword parameters of ``builder``.

    Annotations are resolved one by one (a class's from its ``__init__``), so one unresolvable
    name leaves only that parameter unchecked; a missing annotation is ``Any``.
    """
    try:
        signature = inspect.signature(builder)
    except (TypeError, ValueError):
        return {}
    target = builder.__init__ if isinstance(builder, type) else builder  # type: ignore[misc]
    target = inspect.unwrap(target)
    module = sys.modules.get(getattr(target, "__module__", "") or "")
    namespace: dict[str, Any] = {**vars(typing), "os": os, "collections": collections, **(vars(module) if module else {})}
    namespace.update(getattr(target, "__globals__", {}))
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    types_: dict[str, tuple[Any, Any]] = {}
    for name, parameter in signature.parameters.items():
        if parameter.kind in kinds:
            annotation = Any if parameter.annotation is inspect.Parameter.empty else _resolve(parameter.annotation, namespace)
            types_[name] = (annotation, parameter.default)
    return types_


_CLI_KINDS = (str, bool, int, float, list, tuple, dict, type(None))
"""The kinds of value the command line produces (:func:`ganlib.cli.arguments.parse_value`)."""


def _convert(value: Any, annotation: Any) -> Any:
    if annotation is Any or annotation is _UNCHECKED or annotation is object or isinstance(annotation, typing.TypeVar):
        return value
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        kind, *extras = typing.get_args(annotation)
        value = _convert(value, kind)
        for extra in extras:
            if isinstance(extra, Range) and isinstance(value, numbers.Real) and not extra.contains(float(value)):
                raise _Mismatch(extra.describe(int if kind is int else float))
        return value
    if origin is typing.Union or origin is types.UnionType:
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return None
        expected = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(value, option)
            except _Mismatch as mismatch:
                expected.append(mismatch.expected)
        expected += ["none"] if type(None) in options else []
        raise _Mismatch(" or ".join(dict.fromkeys(expected)))
    if origin is typing.Literal:
        choices = typing.get_args(annotation)
        if value in choices and not (isinstance(value, bool) and not any(isinstance(c, bool) for c in choices)):
            return value
        raise _Mismatch("one of " + ", ".join(map(repr, choices)))
    if origin in (list, tuple, collections.abc.Sequence, collections.abc.Iterable, collections.abc.Collection):
        if not isinstance(value, (list, tuple)):
            if isinstance(value, _CLI_KINDS):
                raise _Mismatch("a list (as JSON, e.g. [1, 2])")
            return value
        arguments = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        item = arguments[0] if len(arguments) == 1 else Any
        converted = [_convert(v, item) for v in value]
        return tuple(converted) if origin is tuple or isinstance(value, tuple) else converted
    if annotation in (list, tuple, collections.abc.Sequence):
        if isinstance(value, (list, tuple)) or not isinstance(value, _CLI_KINDS):
            return value
        raise _Mismatch("a list (as JSON, e.g. [1, 2])")
    if annotation in (bool, int, float, str) and not isinstance(value, _CLI_KINDS):
        return value  # an object only Python passes (a tensor, a NumPy number): the builder decides
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise _Mismatch("true or false")
    if annotation is int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise _Mismatch("an integer")
    if annotation is float:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return float(value)
        raise _Mismatch("a number")
    if annotation is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # the command line read "--data-arg name=123" as a number
        raise _Mismatch("text")
    if origin in (dict, collections.abc.Mapping) or annotation in (dict, collections.abc.Mapping):
        if isinstance(value, Mapping) or not isinstance(value, _CLI_KINDS):
            return value
        raise _Mismatch("a mapping (as JSON, e.g. {\"a\": 1})")
    if origin in (collections.abc.Callable,) or annotation is collections.abc.Callable:
        if callable(value):
            return value
        raise _Mismatch("a function")
    if isinstance(annotation, type):
        if isinstance(value, annotation) or not isinstance(value, _CLI_KINDS):
            return value
        if annotation is os.PathLike and isinstance(value, str):
            return value
        raise _Mismatch(f"a {annotation.__name__}")
    return value  # a construct this contract does not know: the builder decides


def coerce_arguments(what: str, builder: Callable[..., Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``kwargs`` converted to the types ``builder`` declares, each checked against its range.

    Args:
        what: How to name the component in a message (``"penalty 'gp'"``).
        builder: A class or function.
        kwargs: The keyword arguments about to be passed.

    Returns:
        The converted arguments (a new dict; keys the builder does not declare pass unchanged).

    Raises:
        ValueError: ``"{what}: key=value is invalid; expected ..."`` for the first value that
            does not fit.
    """
    declared = parameter_types(builder)
    converted = dict(kwargs)
    for key, value in kwargs.items():
        if key not in declared:
            continue
        annotation, default = declared[key]
        if value is None and default is None:
            continue  # an implicit Optional: the default itself is None
        try:
            converted[key] = _convert(value, annotation)
        except _Mismatch as mismatch:
            raise ValueError(f"{what}: {key}={value!r} is invalid; expected {mismatch.expected}") from None
    return converted
