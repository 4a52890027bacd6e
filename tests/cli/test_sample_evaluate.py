"""``python -m ganlib`` runs as a program, with usage errors and exit codes a shell can use."""

import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "ganlib", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_the_commands():
    result = run("--help")
    assert result.returncode == 0 and "sample" in result.stdout and "evaluate" in result.stdout


def test_missing_checkpoint_is_a_clear_error_not_a_traceback(tmp_path):
    result = run("sample", "--checkpoint", str(tmp_path / "none"), "--out", str(tmp_path / "x.png"))
    assert result.returncode == 2
    assert "error: no checkpoint at" in result.stderr and "Traceback" not in result.stderr


def test_bad_arguments_are_rejected_by_the_parser():
    assert run("sample", "--num", "0", "--checkpoint", "x", "--out", "y.pt").returncode == 2
    assert run("evaluate", "--samples", "a.pt", "--checkpoint", "b").returncode == 2  # one source only
