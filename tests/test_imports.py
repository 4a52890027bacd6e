"""Importing one part of ganlib does not import the rest."""

import subprocess
import sys


def _modules_after(statement):
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    return set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())


def test_the_losses_need_neither_torchvision_nor_the_trainer():
    modules = _modules_after("import ganlib.losses")
    assert "ganlib.losses" in modules
    assert not {m for m in modules if m.startswith(("torchvision", "ganlib.train", "ganlib.metrics", "ganlib.data", "matplotlib"))}


def test_importing_ganlib_imports_no_subpackage_until_it_is_used():
    modules = _modules_after("import ganlib")
    assert not {m for m in modules if m.startswith("ganlib.")}
    assert "ganlib.nn" in _modules_after("import ganlib; ganlib.nn.NORM_NAMES")
