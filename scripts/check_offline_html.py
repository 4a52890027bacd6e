"""Check that built HTML pages load nothing from the network.

    python scripts/check_offline_html.py docs/_build/html

A page may *link* anywhere (``<a href="https://...">``), but every resource it loads itself (a
``<script src>``, a stylesheet or icon ``<link href>``, an ``<img src>``, ``<iframe>``,
``<source>``, ``<video>``/``<audio>``, and ``url(...)`` in inline styles) must be a local file.
Exit status 1 lists each page and resource that would need a network; 0 otherwise.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

_LOADING = {"script": "src", "img": "src", "iframe": "src", "source": "src", "video": "src", "audio": "src", "embed": "src", "link": "href"}
_EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?((?:https?:)?//[^'\")]+)", re.IGNORECASE)


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        attribute = _LOADING.get(tag)
        if attribute is not None:
            target = values.get(attribute) or ""
            if tag == "link" and (values.get("rel") or "").lower() in ("canonical", "next", "prev", "search", "index"):
                return  # navigation, not a resource
            if _EXTERNAL.match(target):
                self.external.append(f"<{tag} {attribute}={target}>")
        self.external += [f"style url({u})" for u in _CSS_URL.findall(values.get("style") or "")]

    def handle_data(self, data: str) -> None:
        if self.lasttag == "style":
            self.external += [f"<style> url({u})" for u in _CSS_URL.findall(data)]


def external_resources(html: str) -> list[str]:
    """The resources an HTML page would fetch from the network.

    Example:
        >>> external_resources('<a href="https://x.org">ok</a><script src="https://cdn.x/mathjax.js"></script>')
        ['<script src=https://cdn.x/mathjax.js>']
    """
    parser = _Resources()
    parser.feed(html)
    return parser.external


def main(argv: list[str]) -> int:
    """Check every ``.html`` under the given folder; returns the exit status."""
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python scripts/check_offline_html.py BUILT_HTML_FOLDER", file=sys.stderr)
        return 2
    root = Path(argv[0])
    pages = sorted(root.rglob("*.html"))
    problems = [(page, r) for page in pages for r in external_resources(page.read_text(encoding="utf-8", errors="replace"))]
    for page, resource in problems:
        print(f"{page.relative_to(root)}: {resource}")
    print(f"{len(pages)} pages checked; {len(problems)} external resources", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
