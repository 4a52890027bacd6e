"""Every source file compiles without warnings (an invalid escape in a docstring, say)."""

import warnings

import pytest

from tests.conftest import REPO_ROOT

SOURCES = sorted(p for folder in ("ganlib", "examples", "benchmarks", "scripts", "tests") for p in (REPO_ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_compiles_without_warnings(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(path.read_text(), str(path), "exec")
