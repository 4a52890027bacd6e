"""Plugins: code outside ganlib that registers components, loaded before a command parses its arguments.

Two ways in, as pytest and other tools with plugins do:

* **an installed package** declares an entry point in the group ``ganlib.plugins`` of its own
  ``pyproject.toml``::

      [project.entry-points."ganlib.plugins"]
      lecam = "my_gan_extras.plugin"

  The entry point names a module (importing it registers its components) or a function in one
  (``"my_gan_extras.plugin:register"``, called with no arguments);
* **the environment variable** ``GANLIB_PLUGINS`` lists import names, separated by commas, for
  code that is not installed (a module on ``PYTHONPATH``, say)::

      GANLIB_PLUGINS=my_regularizers,my_models python -m ganlib train --penalty lecam ...

Every command of ``python -m ganlib`` calls :func:`load_plugins` before it builds its parser,
so a plugin's names are valid choices and appear in ``--help``. Nothing in ganlib changes when
a plugin is installed. Each plugin is loaded once per process.

**Turning plugins off**: ``GANLIB_NO_PLUGINS=1`` (or ``python -m ganlib --no-plugins
COMMAND``) loads none, for a clean baseline or to get past a broken installation.

**A broken plugin** does not stop the commands: they print one line naming it (its entry
point or module, where it came from, the error and the line that raised it) and go on without
it. A command that needs one of its components then fails on that name, right below the
plugin's line. This is the choice of pytest and of most tools with plugins: one package's bad
release must not take ``sample`` and ``evaluate`` down with it. The Python function
:func:`load_plugins` raises by default (``strict=True``): code that asks for plugins expects them.
"""

from __future__ import annotations

import importlib
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

from ganlib.errors import PluginError

__all__ = [
    "DISABLE_ENV_VAR", "ENTRY_POINT_GROUP", "PLUGINS_ENV_VAR", "LoadedPlugin", "failed_plugins", "load_plugins", "loaded_plugins",
    "plugins_disabled",
]

ENTRY_POINT_GROUP = "ganlib.plugins"
"""The entry-point group ganlib loads plugins from."""

PLUGINS_ENV_VAR = "GANLIB_PLUGINS"
"""The environment variable listing plugin modules to import (comma-separated)."""

DISABLE_ENV_VAR = "GANLIB_NO_PLUGINS"
"""Set to anything but ``0`` or empty, no plugin is loaded."""


@dataclass(frozen=True)
class LoadedPlugin:
    """A plugin that has been loaded.

    Attributes:
        name: The entry point's name, or the module's import name.
        target: What was imported (``module`` or ``module:function``).
        source: ``"entry point"`` or the environment variable's name.
    """

    name: str
    target: str
    source: str


_LOADED: dict[str, LoadedPlugin] = {}
_FAILED: dict[str, PluginError] = {}
_LATEST_FAILED: list[PluginError] = []


def plugins_disabled() -> bool:
    """Whether :data:`DISABLE_ENV_VAR` turns plugins off."""
    return os.environ.get(DISABLE_ENV_VAR, "").strip() not in ("", "0")


def _load(name: str, target: str, source: str, load: Callable[[], object]) -> None:
    key = f"{source}:{target}"
    if key in _LOADED:
        return
    if key in _FAILED:
        raise _FAILED[key]
    try:
        loaded = load()
        if callable(loaded) and not isinstance(loaded, type):
            loaded()
    except PluginError:
        raise
    except Exception as error:  # a plugin's own failure, reported in one line with its origin
        where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
        at = f" at {where.filename}:{where.lineno}" if where is not None else ""
        failure = PluginError(f"plugin {name!r} ({target}, from {source}) failed to load: {type(error).__name__}: {error}{at}")
        _FAILED[key] = failure
        raise failure from error
    _LOADED[key] = LoadedPlugin(name, target, source)


def _import_target(target: str) -> Callable[[], object]:
    def load() -> object:
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name.strip())
        return getattr(module, attribute.strip()) if attribute else module

    return load


def load_plugins(*, entry_points: bool = True, environment: bool = True, strict: bool = True) -> list[LoadedPlugin]:
    """Import every plugin: the ``ganlib.plugins`` entry points, then ``$GANLIB_PLUGINS``.

    Loading is idempotent: a plugin already loaded in this process is not loaded again.

    Args:
        entry_points: Load installed packages' entry points.
        environment: Load the modules listed in :data:`PLUGINS_ENV_VAR`.
        strict: Raise on the first plugin that fails; otherwise record it
            (:func:`failed_plugins`) and load the others.

    Returns:
        Every plugin loaded so far in this process, in load order (none when
        :data:`DISABLE_ENV_VAR` is set).

    Raises:
        PluginError: With ``strict``, if a plugin cannot be imported or fails while
            registering; the message names the plugin, where it came from, and the error.
    """
    if plugins_disabled():
        _LATEST_FAILED.clear()
        return loaded_plugins()
    work: list[tuple[str, str, str, Callable[[], object]]] = []
    if entry_points:
        for point in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
            work.append((point.name, point.value, "entry point", point.load))
    if environment:
        for target in (t.strip() for t in os.environ.get(PLUGINS_ENV_VAR, "").split(",")):
            if target:
                work.append((target, target, PLUGINS_ENV_VAR, _import_target(target)))
    _LATEST_FAILED.clear()
    for name, target, source, load in work:
        try:
            _load(name, target, source, load)
        except PluginError as failure:
            if strict:
                raise
            _LATEST_FAILED.append(failure)
    return loaded_plugins()


def failed_plugins() -> list[PluginError]:
    """The plugins that failed in the latest :func:`load_plugins` call, each as its one-line
    error (a plugin that failed once is not imported again in this process)."""
    return list(_LATEST_FAILED)


def loaded_plugins() -> list[LoadedPlugin]:
    """The plugins loaded so far in this process, in load order."""
    return list(_LOADED.values())
