"""The judge's training script never replaces the shipped judge unless told to."""

import hashlib
import importlib.util

import pytest

from tests.conftest import REPO_ROOT

ASSETS = REPO_ROOT / "ganlib" / "metrics" / "assets"


def _script():
    spec = importlib.util.spec_from_file_location("train_mnist_classifier", REPO_ROOT / "scripts" / "train_mnist_classifier.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reference_only_writes_to_its_own_directory(mnist_root, tmp_path, monkeypatch, capsys):
    script = _script()
    monkeypatch.setattr(script, "REFERENCE_SIZES", (28,))  # the native size only, to stay quick
    shipped = {name: _digest(ASSETS / name) for name in ("mnist_classifier.pt", "mnist_reference.pt")}
    monkeypatch.chdir(tmp_path)
    script.main(["--reference-only", "--data-root", str(mnist_root)])
    written = tmp_path / "runs" / "mnist-judge" / "mnist_reference.pt"
    assert written.is_file() and "wrote runs/mnist-judge" in capsys.readouterr().out
    assert {name: _digest(ASSETS / name) for name in shipped} == shipped


def test_writing_over_the_shipped_judge_needs_the_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _script().main(["--reference-only", "--out", str(ASSETS)])
    assert exit_info.value.code == 2 and "--replace-shipped" in capsys.readouterr().err
