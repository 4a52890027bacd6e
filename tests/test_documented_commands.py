"""Every command the README and the docs show parses with today's flags.

The README's own commands also run, in order, at a tiny size (``tests/test_readme.py``); the
longer ones in the guides are checked here against the parsers, so a renamed or removed flag
cannot linger in the documentation.
"""

import re
import shlex

import pytest

from ganlib.cli import build_parser
from tests.conftest import REPO_ROOT
from tests.examples.helpers import load_example

SOURCES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.rst"))]
SOURCES = [p for p in SOURCES if "_build" not in p.parts]


def _shell_lines(path):
    text = path.read_text()
    if path.suffix == ".md":
        blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    else:
        blocks = [m.group(1) for m in re.finditer(r"\.\. code-block:: bash\n\n((?:(?:   .*)?\n)+)", text)]
    for block in blocks:
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split(" #")[0].strip()
            words = line.split()
            if words and words[0] in ("python", "torchrun") and ("ganlib" in words or "examples/" in line):
                yield line


COMMANDS = sorted({(path.relative_to(REPO_ROOT).as_posix(), line) for path in SOURCES for line in _shell_lines(path)})


def test_the_docs_show_commands():
    assert len(COMMANDS) > 30  # the extraction itself works


@pytest.mark.parametrize(("source", "line"), COMMANDS, ids=[f"{s}:{i}" for i, (s, _) in enumerate(COMMANDS)])
def test_documented_command_parses(source, line):
    words = shlex.split(line)
    if "-m" in words and words[words.index("-m") + 1] == "ganlib":
        argv = words[words.index("-m") + 2 :]
        if not argv or argv[0].startswith("-"):  # `python -m ganlib` alone, or a bare flag
            argv = argv or ["train"]
        build_parser().parse_args(argv)
        return
    script = next(w for w in words if w.startswith("examples/"))
    module = load_example(script.removeprefix("examples/").removesuffix(".py"))
    argv = words[words.index(script) + 1 :]
    module.build_parser().parse_args(argv)


def _fresh_run_directory(line):
    """Where a documented command that starts a run writes it (``None`` for any other command)."""
    from ganlib.cli.resolve import resolve
    from ganlib.cli.train_options import build_parser as train_parser

    words = shlex.split(line)
    if "-m" in words and words[words.index("-m") + 1] == "ganlib":
        argv = words[words.index("-m") + 2 :]
        if argv[:1] != ["train"]:
            return None
        argv = argv[1:]
    elif "examples/mnist_wgan_gp.py" in words:
        example = load_example("mnist_wgan_gp")
        argv = example.train_argv(example.parse_args(words[words.index("examples/mnist_wgan_gp.py") + 1 :]))
    else:
        return None
    if {"--resume", "--help", "--overwrite"} & set(argv):
        return None
    args = train_parser().parse_args(argv)
    if args.out is not None:
        return str(args.out)
    resolve(args)
    return f"runs/{args.data}-{args.objective}"


def test_no_two_documented_runs_write_into_one_directory():
    """A student who runs the docs' commands one after another is never refused because an
    earlier command's run holds the directory (the same command shown twice is one run)."""
    by_directory = {}
    for source, line in COMMANDS:
        directory = _fresh_run_directory(line)
        if directory is not None:
            by_directory.setdefault(directory, {})[" ".join(sorted(line.split()))] = source  # the same flags in any order: one run
    colliding = {d: commands for d, commands in by_directory.items() if len(commands) > 1}
    assert not colliding, f"give these commands an --out of their own: {colliding}"


def test_every_install_of_the_checkout_is_editable():
    """``pip install ".[docs]"`` after the editable install moves ganlib into site-packages, and
    the checkout's edits stop taking effect: every install of the checkout keeps ``-e``."""
    plain = []
    for path in SOURCES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for found in re.finditer(r"pip install ((?:-\S+\s+)*)(\"?\.(?:\[[^\]]*\])?\"?)(?=[\s`]|$)", line):
                if "-e" not in found.group(1).split():
                    plain.append(f"{path.relative_to(REPO_ROOT)}:{number}: {found.group(0)}")
    assert not plain, plain


# --- numbers the docs quote from committed result files -----------------------------------------

def _quoted_tables():
    for path in SOURCES:
        if path.suffix != ".rst":
            continue
        text = path.read_text()
        for match in re.finditer(r"^\.\. numbers from: (\S+)\n\n(\.\. [\w-]+::.*\n(?:(?: {3}.*)?\n)+)", text, flags=re.M):
            yield path, match.group(1), match.group(2)


def _numbers(value, found):
    if isinstance(value, dict):
        for v in value.values():
            _numbers(v, found)
    elif isinstance(value, list):
        for v in value:
            _numbers(v, found)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        found.append(float(value))
    return found


QUOTED = list(_quoted_tables())


def test_some_tables_say_where_their_numbers_come_from():
    assert len(QUOTED) >= 2


@pytest.mark.parametrize(("page", "source", "table"), QUOTED, ids=[f"{p.name}:{s}" for p, s, _ in QUOTED])
def test_quoted_numbers_match_their_result_file(page, source, table):
    # Every decimal number in a table marked ".. numbers from: FILE" is a value of that committed
    # JSON file, rounded as the page shows it (ratios written with × and shares with % are derived).
    import json

    values = _numbers(json.loads((page.parent / source).read_text()), [])
    cells = "\n".join(line for line in table.splitlines() if not line.lstrip().startswith("* - "))  # first column: labels
    for token in re.findall(r"(?<![\w.])\d[\d,]*\.\d+(?![\w.×%])", cells):  # ratios (×) and shares (%) are derived
        decimals = len(token.split(".")[1])
        shown = float(token.replace(",", ""))
        assert any(round(v, decimals) == shown for v in values), f"{page.name}: {token} is not in {source}"
