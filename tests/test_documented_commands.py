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
