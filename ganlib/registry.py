"""One registry type for every kind of component: models, norms, losses, penalties, objectives,
data sources, callbacks, recipes, augmentations and schedules.

A :class:`Registry` maps names to components of one kind. Every registry follows the same
rules, so a user learns them once:

* **register** with a decorator or a call: ``@models.register("my-critic")`` or
  ``norms.register("group4", factory)``;
* **one collision policy**: a name that is taken is refused, unless ``replace=True`` is
  passed. Registering the same object again, or a redefinition of the same module-level name
  (a module reloaded, a notebook cell run twice), is not a collision;
* **look up** with :meth:`Registry.get` (an unknown name raises :class:`ValueError` listing
  the valid ones), **list** with :meth:`Registry.names` (with an optional ``fnmatch``
  pattern, as ``timm.list_models("resnet*")``), and **build** with :meth:`Registry.build`,
  which checks the keyword arguments against the builder's signature before calling it;
* **aliases** point a second name at an entry (``--model dcgan`` picks ``dcgan-generator``);
* each entry records where it came from (the module that registered it) and a one-line
  summary (the first line of its docstring), which the command line shows in ``--help``.

The registries themselves live beside their components (:data:`ganlib.models.MODELS`,
:data:`ganlib.losses.PENALTIES`, ...); this module holds only the type, and imports no
torch.
"""

from __future__ import annotations

import fnmatch
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from ganlib.contract import coerce_arguments
from ganlib.errors import ComponentError, UserError

__all__ = ["Entry", "Registry", "check_kwargs", "replaced_builtins", "summary_of"]

T = TypeVar("T")


def summary_of(obj: object) -> str:
    """The first line of ``obj``'s docstring (empty when it has none).

    Example:
        >>> def f():
        ...     '''Do a thing.
        ...
        ...     More.'''
        >>> summary_of(f)
        'Do a thing.'
    """
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0].strip() if doc.strip() else ""


def _origin(obj: object) -> tuple[str, str]:
    return getattr(obj, "__module__", "") or "", getattr(obj, "__qualname__", "") or ""


def _redefinition(old: object, new: object) -> bool:
    # The same named class or function defined again (a module reloaded, a notebook cell run
    # twice): its module and qualified name are the same. Lambdas and instances have no
    # name of their own, so for them a second registration is a collision.
    (module, qualname), other = _origin(old), _origin(new)
    return bool(qualname) and "<lambda>" not in qualname and (module, qualname) == other


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered component.

    Attributes:
        name: The registered name.
        obj: The component (a class, a builder function, or an instance).
        summary: One line for listings and ``--help``.
        module: The module that defined the component (``ganlib.losses.penalties``, or a
            plugin's module).
        metadata: Anything else the registry's kind records (a model's role, a variant's
            fixed arguments), read-only.
    """

    name: str
    obj: T
    summary: str = ""
    module: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def builtin(self) -> bool:
        """Whether ganlib itself registered the component."""
        return self.module == "ganlib" or self.module.startswith("ganlib.")


_TYPABLE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")
"""A name the command line can take as one value: not an option (``-x``), a ``KEY=VALUE``, a
list (``a,b``) or a source with its argument (``folder:P``)."""

_REPLACED: list[tuple[Registry[Any], str, str]] = []


def replaced_builtins() -> list[tuple[str, str, str]]:
    """``(kind, name, module)`` for each built-in component a plugin has replaced
    (``replace=True``) and that is still replaced, in order; the commands announce them."""
    current = []
    for registry, name, module in _REPLACED:
        entry = registry._entries.get(name)
        if entry is not None and entry.module == module and (registry.kind, name, module) not in current:
            current.append((registry.kind, name, module))
    return current


def _named_parameters(builder: Callable[..., Any]) -> set[str]:
    try:
        parameters = inspect.signature(builder).parameters
    except (TypeError, ValueError):
        return set()
    return {k for k, p in parameters.items() if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)}


def check_kwargs(what: str, builder: Callable[..., Any], kwargs: Mapping[str, Any], *, complete: bool = False) -> None:
    """Refuse keyword arguments that ``builder`` does not take, naming the valid ones.

    Args:
        what: How to name the component in the message, e.g. ``"penalty 'r1'"``.
        builder: A class or function.
        kwargs: The keyword arguments about to be passed.
        complete: ``kwargs`` are all the arguments of the call: also refuse one that leaves out
            an argument without a default, naming every one left out.

    Raises:
        ValueError: ``"{what} has no argument 'x'; its arguments are a, b"``, or (with
            ``complete``) ``"{what} needs a and b, which have no default; its arguments are ..."``.
    """
    try:
        signature = inspect.signature(builder)
    except (TypeError, ValueError):  # a builtin without a signature: let the call decide
        return
    parameters = signature.parameters
    valid = [k for k, p in parameters.items() if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        for key in kwargs:
            if key not in valid:
                raise ValueError(f"{what} has no argument {key!r}; its arguments are {', '.join(valid) or '(none)'}")
    missing = [k for k in valid if parameters[k].default is inspect.Parameter.empty and k not in kwargs] if complete else []
    if missing:
        names = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        raise ValueError(f"{what} needs {names}, which {'has' if len(missing) == 1 else 'have'} no default; its arguments are {', '.join(valid)}")


class Registry(Generic[T]):
    """Named components of one kind.

    Every ``register_*`` function of ganlib is this registry's :meth:`register` (which is
    also a decorator), with the registry's own check of what it is given (``accepts``).

    Args:
        kind: What the components are, singular, for messages (``"penalty"``).
        accepts: What a component must be (``issubclass(obj, Penalty)``, say); anything else
            is refused at registration with a :class:`TypeError`.
        expects: ``accepts`` in words, for that message.

    Example:
        >>> colours = Registry("colour")
        >>> @colours.register("red")
        ... def red():
        ...     '''The colour of fire.'''
        ...     return (255, 0, 0)
        >>> colours.build("red"), colours.names(), colours.entry("red").summary
        ((255, 0, 0), ['red'], 'The colour of fire.')
        >>> colours.get("green")
        Traceback (most recent call last):
        ...
        ValueError: colour 'green' is not registered; registered colours are 'red'
    """

    def __init__(self, kind: str, *, accepts: Callable[[Any], bool] | None = None, expects: str = "") -> None:
        self.kind = kind
        self._accepts, self._expects = accepts, expects
        self._entries: dict[str, Entry[T]] = {}
        self._aliases: dict[str, str] = {}

    # --- registering -------------------------------------------------------------------------

    def register(
        self,
        name: str,
        obj: T | None = None,
        *,
        replace: bool = False,
        summary: str | None = None,
        **metadata: Any,
    ) -> Any:
        """Register ``obj`` under ``name``; without ``obj``, return a decorator that does.

        Args:
            name: The name (a non-empty string).
            obj: The component; omit it to use this as a decorator.
            replace: Replace a different component registered under ``name``.
            summary: One line for listings; the first line of ``obj``'s docstring by default.
            **metadata: Recorded in :attr:`Entry.metadata`.

        Returns:
            ``obj`` (so that the decorator leaves the class or function unchanged), or the
            decorator.

        Raises:
            ValueError: If ``name`` is empty, or taken by another component and ``replace``
                is false.
            TypeError: If ``obj`` is not what the registry accepts.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name={name!r} is invalid; expected a non-empty {self.kind} name")
        if not _TYPABLE.fullmatch(name):
            raise ValueError(
                f"{self.kind} name {name!r} cannot be typed on the command line; use letters, digits and - _ . + "
                "(not first: - . +), with no spaces, '=', ',' or ':'"
            )
        if obj is None:
            return lambda target: self.register(name, target, replace=replace, summary=summary, **metadata)
        if self._accepts is not None and not self._accepts(obj):
            raise TypeError(f"{self.kind} {name!r} must be {self._expects or 'what this registry accepts'}; got {obj!r}")
        previous = self._entries.get(name)
        if previous is not None and not replace and previous.obj is not obj and not _redefinition(previous.obj, obj):
            where = previous.module or "unknown module"
            raise ValueError(
                f"{self.kind} name {name!r} is already registered (by {where}); choose another name, "
                f"or pass replace=True to replace it"
            )
        if name in self._aliases and not replace:
            raise ValueError(f"{self.kind} name {name!r} is already an alias of {self._aliases[name]!r}; choose another name")
        self._aliases.pop(name, None)
        entry = Entry(name, obj, summary if summary is not None else summary_of(obj), _origin(obj)[0], MappingProxyType(dict(metadata)))
        if previous is not None and previous.obj is not obj and previous.builtin and not entry.builtin:
            _REPLACED.append((self, name, entry.module))
        self._entries[name] = entry
        return obj

    def alias(self, alias: str, name: str) -> None:
        """Make ``alias`` another name of the entry ``name``.

        Args:
            alias: The new name.
            name: A registered name.

        Raises:
            ValueError: If ``name`` is unknown or ``alias`` is a registered name.
        """
        self.entry(name)
        if not _TYPABLE.fullmatch(alias):
            raise ValueError(f"{self.kind} alias {alias!r} cannot be typed on the command line; use letters, digits and - _ . +")
        if alias in self._entries:
            raise ValueError(f"{self.kind} name {alias!r} is already registered; an alias cannot hide it")
        self._aliases[alias] = self.canonical(name)

    def unregister(self, name: str) -> None:
        """Remove ``name`` (and the aliases pointing at it); unknown names are ignored."""
        self._entries.pop(name, None)
        self._aliases.pop(name, None)
        for alias in [a for a, target in self._aliases.items() if target == name]:
            del self._aliases[alias]

    # --- looking up --------------------------------------------------------------------------

    def canonical(self, name: str) -> str:
        """The registered name behind ``name`` (itself, or what the alias points at)."""
        return self._aliases.get(name, name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.canonical(name) in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, name: str) -> T:
        # Mapping-style access, as 0.2's dict registries allowed: KeyError for unknown names.
        entry = self._entries.get(self.canonical(name)) if isinstance(name, str) else None
        if entry is None:
            raise KeyError(name)
        return entry.obj

    def keys(self) -> list[str]:
        """The registered names, sorted (as :meth:`names`)."""
        return self.names()

    def values(self) -> list[T]:
        """The components, in name order."""
        return [self._entries[n].obj for n in self.names()]

    def items(self) -> list[tuple[str, T]]:
        """``(name, component)`` pairs, in name order."""
        return [(n, self._entries[n].obj) for n in self.names()]

    def entry(self, name: str) -> Entry[T]:
        """The :class:`Entry` of ``name`` (or of the entry an alias names).

        Raises:
            ValueError: If ``name`` is not registered; the message lists the valid names.
        """
        entry = self._entries.get(self.canonical(name)) if isinstance(name, str) else None
        if entry is None:
            raise ValueError(f"{self.kind} {name!r} is not registered; registered {self._plural()} are {self._listing()}")
        return entry

    def get(self, name: str) -> T:
        """The component registered as ``name``.

        Raises:
            ValueError: If ``name`` is not registered.
        """
        return self.entry(name).obj

    def names(self, pattern: str | None = None, *, aliases: bool = False, **metadata: Any) -> list[str]:
        """Registered names, sorted.

        Args:
            pattern: An ``fnmatch`` pattern (``"resnet*"``); all names when ``None``.
            aliases: Include aliases.
            **metadata: Keep entries whose metadata has these values (``role="critic"``).

        Returns:
            The names.
        """
        names = [
            n for n, e in self._entries.items() if all(e.metadata.get(k) == v for k, v in metadata.items())
        ]
        if aliases:
            names += [a for a, target in self._aliases.items() if target in names]
        if pattern is not None:
            names = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        return sorted(names)

    def entries(self) -> list[Entry[T]]:
        """Every entry, sorted by name."""
        return [self._entries[n] for n in sorted(self._entries)]

    def build(self, name: str, /, **kwargs: Any) -> Any:
        """Call the component registered as ``name`` with ``kwargs``, checked first.

        Arguments a variant fixes (``metadata["defaults"]``) are passed first, and what is
        given here overrides them.

        Args:
            name: A registered name.
            **kwargs: Keyword arguments of the builder.

        Returns:
            What the builder returns.

        Arguments are converted and checked against the builder's annotations first
        (:func:`ganlib.contract.coerce_arguments`: ``"3"`` is not an ``int``, ``0`` is not a
        :data:`~ganlib.contract.PositiveInt`).

        Raises:
            ValueError: If ``name`` is unknown, an argument is not one of the builder's, one
                without a default is missing (every one missing is named), or a value does not
                fit its annotation.
            ComponentError: If the builder itself fails (a :class:`ValueError`, so a user
                error): one line naming the component, and the plugin module that registered
                it; the original exception is its ``__cause__``.
        """
        entry = self.entry(name)
        builder = entry.obj
        if not callable(builder):
            raise TypeError(f"{self.kind} {name!r} is a {type(builder).__name__}, not something to build")
        what = f"{self.kind} {entry.name!r}" + ("" if entry.builtin else f" (from {entry.module or 'an unknown module'})")
        arguments = {**entry.metadata.get("defaults", {}), **kwargs}
        check_kwargs(what, builder, arguments, complete=True)
        arguments = coerce_arguments(what, builder, arguments)
        try:
            return builder(**arguments)
        except UserError:
            raise  # already one line for the user (a component built inside this one, data not found)
        except ValueError as error:  # the builder's own check of a value: its message names it
            raise ComponentError(f"{what}: {error}") from error
        except Exception as error:  # anything else a builder raises, in one line naming it
            raise ComponentError(f"{what} could not be built: {type(error).__name__}: {error}") from error

    def build_offering(self, name: str, offer: Mapping[str, Any], /, **kwargs: Any) -> Any:
        """:meth:`build`, passing also each value of ``offer`` that the builder takes by name
        and ``kwargs`` does not give: what a command knows (the run directory, ``n_critic``)
        reaches the components that ask for it, with no rule per component.

        Args:
            name: A registered name.
            offer: Values a builder may take, by argument name.
            **kwargs: The component's own arguments; they win over ``offer``.

        Returns:
            What the builder returns.

        Example:
            >>> shapes = Registry("shape")
            >>> _ = shapes.register("square", lambda side=1: side * side)
            >>> shapes.build_offering("square", {"side": 3, "colour": "red"})
            9
        """
        builder: Any = self.entry(name).obj
        parameters = _named_parameters(builder)
        taken = {k: v for k, v in offer.items() if k in parameters and k not in kwargs}
        return self.build(name, **taken, **kwargs)

    def describe(self, width: int = 0) -> str:
        """``name  summary`` lines for every entry (for ``--help`` and listings).

        Args:
            width: Pad names to this width (the longest name when 0).

        Returns:
            The lines, joined.
        """
        names = self.names()
        pad = width or max((len(n) for n in names), default=0)
        return "\n".join(f"{n:<{pad}}  {self._entries[n].summary}".rstrip() for n in names)

    def _plural(self) -> str:
        if self.kind.endswith("y") and not self.kind.endswith(("ay", "ey", "oy")):
            return self.kind[:-1] + "ies"
        return self.kind + ("es" if self.kind.endswith(("s", "x", "ch", "sh")) else "s")

    def _listing(self) -> str:
        names = self.names()
        return ", ".join(map(repr, names)) if names else "(none)"

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"
