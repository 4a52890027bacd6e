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
rst_epilog = f"""
.. |repository| replace:: {repository}
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
]

html_theme = "furo"
html_title = f"ganlib {release}"
html_static_path = ["_static"]
exclude_patterns = ["_build", "_intersphinx"]

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
torch.manual_seed(0)
"""

API_MODULES = {
    "ganlib.nn": "Pluggable normalization and DCGAN blocks.",
    "ganlib.models": "Generators and critics, and the model registry.",
    "ganlib.losses": "Pure losses, penalties, the Step contract and objectives.",
    "ganlib.train": "The Trainer and its seams (precision, distribution, capture), callbacks and EMA.",
    "ganlib.data": "Data sets as tensors, and the resumable batch stream.",
    "ganlib.metrics": "FID, KID, Inception Score, the offline MNIST judge and its callback.",
    "ganlib.checkpoint": "Atomic checkpoint files, loaded without executing code.",
    "ganlib.runs": "Run directories for training commands: nothing overwritten, resumes validated.",
}


def _defining_module(package: str, member: str) -> str:
    """The submodule that assigns a constant, so autodoc finds its attribute docstring."""
    module = importlib.import_module(package)
    if not hasattr(module, "__path__"):  # a plain module defines its own constants
        return package
    for info in pkgutil.iter_modules(module.__path__):
        module = importlib.import_module(f"{package}.{info.name}")
        source = inspect.getsource(module)
        if re.search(rf"^{re.escape(member)}\b[^=\n]*=", source, flags=re.M):
            return module.__name__
    return package


def _summary_entry(package: str, member: str) -> str:
    obj = getattr(importlib.import_module(package), member)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return member
    defining = _defining_module(package, member)
    if defining == package:
        return member
    # Relative to the page's module, which autosummary prefers to a repeated prefix.
    return f"{defining[len(package) + 1:]}.{member}"


def _write_api_pages() -> None:
    """Write one API page per public module, listing exactly the names in its ``__all__``."""
    out = DOCS / "api"
    out.mkdir(exist_ok=True)
    for name, summary in API_MODULES.items():
        module = importlib.import_module(name)
        lines = [name, "=" * len(name), "", summary, "", f".. automodule:: {name}", "   :no-members:", "",
                 ".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {_summary_entry(name, member)}" for member in module.__all__]
        page = out / f"{name}.rst"
        text = "\n".join(lines) + "\n"
        if not page.exists() or page.read_text() != text:
            page.write_text(text)


_write_api_pages()
