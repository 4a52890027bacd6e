"""The assignment notebook runs from a clean kernel, at a toy size, on the real MNIST files."""

from __future__ import annotations

import os

import pytest

from tests.conftest import REPO_ROOT

jupytext = pytest.importorskip("jupytext", reason="the notebook test needs the dev extra (jupytext, nbclient, ipykernel)")
nbclient = pytest.importorskip("nbclient", reason="the notebook test needs the dev extra (jupytext, nbclient, ipykernel)")

SOURCE = REPO_ROOT / "notebooks" / "assignment.py"


def test_the_notebook_runs_from_a_clean_kernel_and_ends_with_a_report(mnist_root, tmp_path, monkeypatch):
    notebook = jupytext.read(SOURCE)
    monkeypatch.setenv("GANLIB_NOTEBOOK_TINY", "1")
    monkeypatch.setenv("GANLIB_DATA", str(mnist_root))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "4 iterations in" in text and "report.html" in text
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the curves and samples, shown inline
    run = tmp_path / "runs" / "notebook-digit3-16"
    assert (run / "report.html").is_file() and (run / "curves.png").is_file()


def test_the_built_notebook_is_the_source_and_names_the_repository():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    source = jupytext.read(SOURCE)
    built = jupytext.read(REPO_ROOT / "docs" / "assignment.ipynb")
    code = [c.source for c in source.cells]
    assert [c.source for c in built.cells] == code, "run python scripts/build_notebook.py --execute after editing notebooks/assignment.py"
    repository = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    assert f'REPOSITORY = "{repository}"' in SOURCE.read_text()
