"""Sphinx configuration for ganlib's documentation."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

DOCS = Path(__file__).parent
sys.path.insert(0, str(DOCS.parent))

import ganlib  # noqa: E402

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

# The repository's address is written once, in pyproject.toml's [project.urls]; pages use |repository|.
_URLS = tomllib.loads((DOCS.parent / "pyproject.toml").read_text())["project"]["urls"]
repository = _URLS["Repository"]
colab = repository.replace("https://github.com/", "https://colab.research.google.com/github/") + "/blob/main/docs/assignment.ipynb"
rst_epilog = f"""
.. |repository| replace:: {repository}
.. |colab| replace:: Open ``docs/assignment.ipynb`` in Colab: {colab}
"""

project = "ganlib"
author = "ganlib developers"
copyright = "2026, ganlib developers"
release = ganlib.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax shipped with the build: formulas render without a network
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
    "myst_nb",  # the assignment notebook, shown with the outputs it was built with
]
nb_execution_mode = "off"  # built and run by scripts/build_notebook.py; the test suite executes the source

html_theme = "furo"
html_title = f"ganlib {release}"
html_static_path = ["_static"]
exclude_patterns = ["_build", "_intersphinx", "_static"]  # _static holds .md tables that myst would take for pages

napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
autodoc_default_options = {"members": True, "show-inheritance": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autosummary_generate = True
autosummary_imported_members = True

# Each project: its published inventory first, then the offline fallback in _intersphinx/
# (see _intersphinx/make_fallback.py), so that offline builds still link and stay warning-free.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", (None, "_intersphinx/python.inv")),
    "torch": ("https://docs.pytorch.org/docs/stable", (None, "_intersphinx/torch.inv")),
    "torchvision": ("https://docs.pytorch.org/vision/stable", (None, "_intersphinx/torchvision.inv")),
}
intersphinx_timeout = 5

# Docstring examples use their module's names, as under pytest --doctest-modules.
doctest_global_setup = """
import torch
from ganlib.data import *
from ganlib.losses import *
from ganlib.metrics import *
from ganlib.models import *
from ganlib.nn import *
from ganlib.train import *
from ganlib.augment import *
from ganlib.recipes import *
from ganlib.schedules import *
from ganlib.registry import *
from ganlib.contract import *
from ganlib.bench import *
torch.manual_seed(0)
"""

API_MODULES = {
    "ganlib.models": "Generators and critics, the model registry, and sampling.",
    "ganlib.losses": "Pure losses, penalties, the Step contract and objectives.",
    "ganlib.train": "The Trainer and its seams (precision, distribution, capture), callbacks, schedules and EMA.",
    "ganlib.data": "Data sets as tensors, 2-D toys, Stacked MNIST, and the resumable batch stream.",
    "ganlib.metrics": "FID, KID, Inception Score, precision/recall, density/coverage, modes, and the offline MNIST judge.",
    "ganlib.augment": "Differentiable augmentation for the critic: DiffAugment and ADA.",
    "ganlib.nn": "Pluggable normalization and DCGAN blocks.",
    "ganlib.recipes": "The papers' training settings, by objective.",
    "ganlib.schedules": "The half-cosine shape of R3GAN's hyperparameter schedules.",
    "ganlib.registry": "The one registry type every kind of component uses.",
    "ganlib.contract": "A builder's signature as its contract: values converted and range-checked from annotations.",
    "ganlib.plugins": "Loading plugins: entry points and GANLIB_PLUGINS.",
    "ganlib.bench": "Benchmark suites with published figures.",
    "ganlib.checkpoint": "Atomic checkpoint files, loaded without executing code.",
    "ganlib.runs": "Run directories for training commands: nothing overwritten, resumes validated.",
    "ganlib.locks": "One process per run directory: the lock.",
    "ganlib.errors": "The exceptions a ganlib user meets, and how a command ends with them.",
}
"""The API pages, in the order of the reference's table of contents."""

API_FIRST = {
    "ganlib.train": ["ganlib.train.trainer", "ganlib.train.steps", "ganlib.train.callback", "ganlib.train.callbacks.standard"],
    "ganlib.models": ["ganlib.models.registry", "ganlib.models.dcgan"],
    "ganlib.losses": ["ganlib.losses.functional", "ganlib.losses.adversarial", "ganlib.losses.gradients", "ganlib.losses.penalties", "ganlib.losses.lecam", "ganlib.losses.constraints", "ganlib.losses.step", "ganlib.losses.objectives"],
    "ganlib.data": ["ganlib.data.registry", "ganlib.data.mnist"],
    "ganlib.metrics": ["ganlib.metrics.functional", "ganlib.metrics.mnist", "ganlib.metrics.scores"],
}
"""Sections a page opens with (the rest follow in import order)."""


def _defining_module(package: str, member: str) -> str:
    """The module that defines a public name (for constants: the one that assigns it)."""
    obj = getattr(importlib.import_module(package), member)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return obj.__module__ if obj.__module__.startswith(package) else package
    module = importlib.import_module(package)
    if not hasattr(module, "__path__"):  # a plain module defines its own constants
        return package
    for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
        sub = importlib.import_module(info.name)
        if re.search(rf"^{re.escape(member)}\b[^=\n]*=", inspect.getsource(sub), flags=re.M):
            return sub.__name__
    return package


def _line(module: str, member: str) -> int:
    """Where a name is defined in its module's source (to list a section in source order)."""
    source = inspect.getsource(importlib.import_module(module))
    found = re.search(rf"^(?:class|def|async def)\s+{re.escape(member)}\b|^{re.escape(member)}\b[^=\n]*=|^@.*\n(?:class|def)\s+{re.escape(member)}\b", source, flags=re.M)
    return source[: found.start()].count("\n") if found else 10**6


def _title(module: str) -> str:
    """A section title from a module's docstring: its first sentence, before any colon."""
    doc = (importlib.import_module(module).__doc__ or module).strip().split("\n\n")[0].replace("\n", " ").replace("et al.", "et al")
    first = re.split(r"(?<=[a-z0-9)`])[.:;] ", doc + " ")[0].strip().rstrip(".")
    first = re.sub(r"``([^`]+)``", r"\1", first)
    return first if len(first) <= 90 else first[:87].rsplit(" ", 1)[0] + " ..."


def _directive(package: str, member: str, defining: str) -> list[str]:
    obj = getattr(importlib.import_module(package), member)
    if inspect.isclass(obj):
        return [f".. autoclass:: {package}.{member}", ""]
    if inspect.isfunction(obj):
        return [f".. autofunction:: {package}.{member}", ""]
    # Constants: autodoc reads their docstring in the module that assigns them.
    return [f".. autodata:: {defining}.{member}", "   :no-value:", ""]


def _write_api_pages() -> None:
    """One page per public module: its names grouped by the module that defines them (a topic),
    each group in source order, with a summary table on top and everything documented inline."""
    out = DOCS / "api"
    out.mkdir(exist_ok=True)
    for name, summary in API_MODULES.items():
        module = importlib.import_module(name)
        groups: dict[str, list[str]] = {}
        for member in module.__all__:
            groups.setdefault(_defining_module(name, member), []).append(member)
        lines = [name, "=" * len(name), "", summary, "", f".. automodule:: {name}", "   :no-members:", ""]
        first = API_FIRST.get(name, [])
        order = sorted(groups, key=lambda m: (m != name, first.index(m) if m in first else len(first), list(sys.modules).index(m) if m in sys.modules else 0))
        for defining in order:
            members = sorted(groups[defining], key=lambda m: _line(defining, m))
            if len(groups) > 1:
                title = _title(defining)
                lines += [title, "-" * len(title), "", f"*From* ``{defining}``.", ""]
            lines += [".. autosummary::", "   :nosignatures:", ""]
            lines += [f"   {m if inspect.isclass(getattr(module, m)) or inspect.isfunction(getattr(module, m)) else defining.removeprefix(name + '.') + '.' + m if defining != name else m}" for m in members]
            lines += [""]
            for member in members:
                lines += _directive(name, member, defining)
        page = out / f"{name}.rst"
        text = "\n".join(lines) + "\n"
        if not page.exists() or page.read_text() != text:
            page.write_text(text)
    for stale in out.glob("*.rst"):
        if stale.stem not in API_MODULES:
            stale.unlink()


_write_api_pages()
