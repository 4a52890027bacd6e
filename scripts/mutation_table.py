"""Turn a mutation-run log into the list-table of ``docs/guides/testing.rst``.

    python -m tests.mutation.run > docs/_static/mutation-run.txt
    python scripts/mutation_table.py docs/_static/mutation-run.txt

Prints the table (planted bug, how many tests caught it, one of them) for pasting into the page.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def rows(log: str) -> list[tuple[str, str, str, str]]:
    """``(name, description, caught, example)`` for each mutant in the log."""
    out = []
    for block in re.split(r"\n{2,}", log)[1:]:
        head = re.match(r"(\S+): (.*)\n  (CAUGHT by (\d+) tests?|SURVIVED)", block.strip("\n"))
        if not head:
            continue
        tests = re.findall(r"^    \S+::(\S+)", block, flags=re.M)
        caught = f"{head.group(4)} test{'s' if head.group(4) != '1' else ''}" if head.group(4) else "**survived**"
        out.append((head.group(1), head.group(2), caught, tests[0] if tests else "--"))
    return out


def main(path: str) -> None:  # noqa: D103
    print(".. list-table::\n   :header-rows: 1\n   :widths: 45 10 45\n\n   * - planted bug\n     - caught by\n     - for example")
    for name, description, caught, example in rows(Path(path).read_text()):
        print(f"   * - ``{name}``: {description}\n     - {caught}\n     - ``{example}``")


if __name__ == "__main__":
    main(sys.argv[1])
