"""Build the assignment notebook from its source, and optionally run it to keep its outputs.

    python scripts/build_notebook.py              # notebooks/assignment.py -> docs/assignment.ipynb, no outputs
    python scripts/build_notebook.py --execute    # the same, run from a clean kernel (the CPU settings: minutes)

The source is ``notebooks/assignment.py`` (jupytext's percent format, the file to edit); the
built ``docs/assignment.ipynb`` is what the docs show (with the outputs of the last
``--execute``) and what the Colab link opens. ``tests/test_notebook.py`` runs the source at a
toy size and checks that the built notebook's code is the source's.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import jupytext
import nbclient

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks" / "assignment.py"
BUILT = ROOT / "docs" / "assignment.ipynb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--execute", action="store_true", help="run it from a clean kernel and keep the outputs")
    parser.add_argument("--workdir", type=Path, default=ROOT / "runs" / "notebook", help="where the executed notebook runs (its runs/ go there)")
    args = parser.parse_args(argv)
    notebook = jupytext.read(SOURCE)
    if args.execute:
        args.workdir.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("PYTHONPATH", str(ROOT))
        nbclient.NotebookClient(notebook, timeout=3600, kernel_name="python3", resources={"metadata": {"path": str(args.workdir)}}).execute()
    jupytext.write(notebook, BUILT, fmt="ipynb")
    print(BUILT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
