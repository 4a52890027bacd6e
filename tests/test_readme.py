"""The README's snippets run as written: the Python one in full, the commands at a tiny size."""

import re
import shlex

from ganlib.cli import main as ganlib_main
from tests.conftest import REPO_ROOT
from tests.examples.helpers import load_example

README = (REPO_ROOT / "README.md").read_text()


def test_readme_usage_snippet_runs(capsys):
    snippet = re.search(r"## Use the pieces\s+```python\n(.*?)```", README, flags=re.S).group(1)
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    terms = namespace["terms"]
    assert {"loss", "critic/wasserstein", "penalty/gp", "accuracy/real", "accuracy/fake"} <= set(terms)
    assert namespace["critic"].net[0].weight.grad is not None  # it backpropagated
    assert "wasserstein" in capsys.readouterr().out


# Each command keeps every flag the README gives it; these only shrink the work.
TINY = {
    "train": {"--iterations": "3", "--log-every": "1", "--threads": "1"},
    "mnist_wgan_gp.py": {"--iterations": "2", "--image-size": "16", "--width": "4", "--batch-size": "8", "--device": "cpu", "--threads": "1"},
    "sample": {"--num": "16", "--threads": "1"},
    "evaluate": {"--threads": "1", "--kid-subsets": "2"},
}


def _shrink(argv: list[str], sizes: dict[str, str], mnist_root) -> list[str]:
    # --download becomes --data-root: the same run, offline, on the copy the tests have.
    argv = [part for a in argv for part in (["--data-root", str(mnist_root)] if a == "--download" else [a])]
    for flag, value in sizes.items():
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    return argv


def test_readme_commands_run_in_order(mnist_root, tmp_path, monkeypatch):
    block = re.search(r"## Run it\s+```bash\n(.*?)```", README, flags=re.S).group(1)
    commands = [shlex.split(line.split("#")[0]) for line in block.strip().splitlines()]
    assert [c[:2] for c in commands[:2]] == [["python", "-m"], ["python", "examples/mnist_wgan_gp.py"]]
    monkeypatch.chdir(tmp_path)
    for argv in commands:
        if argv[1] == "-m":  # python -m ganlib COMMAND ...
            command = argv[3]
            assert ganlib_main([command, *_shrink(argv[4:], TINY[command], mnist_root)]) == 0, argv
        else:
            assert load_example("mnist_wgan_gp").main(_shrink(argv[2:], TINY["mnist_wgan_gp.py"], mnist_root)) == 0, argv
    runs = tmp_path / "runs"
    assert (runs / "grid.png").is_file() and (runs / "samples.pt").is_file()
    assert (runs / "harmonic-minimax" / "landscape").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]  # every output under runs/


_TIME = re.compile(r"\b\d+(?:[.,]\d+)?(?:\s+(?:s|ms|min|h)|\s*(?:minutes|seconds|hours))\b")  # "3s" are digits, "3 s" a time


def test_every_wall_time_the_readme_quotes_says_where_it_was_measured():
    # A time holds only for a thread count (or a named GPU); each sentence that quotes one says which.
    prose = re.sub(r"```.*?```", "", README, flags=re.S)
    sentences = re.split(r"(?<=[.;])\s+", prose.replace("\n", " "))
    unqualified = [s for s in sentences if _TIME.search(s) and not re.search(r"thread|H100|GPU|2-core|CPU", s)]
    assert not unqualified, unqualified


def test_gitignore_covers_what_the_commands_write():
    ignored = (REPO_ROOT / ".gitignore").read_text().split()
    assert "runs/" in ignored and "docs/_build/" in ignored
