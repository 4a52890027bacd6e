"""A run's report: one self-contained HTML page to read, keep or hand in.

Everything is inside the file: each image is embedded as a ``data:`` URI, the style is inline,
and the page loads nothing (no script, no font, no network). For a training run it gives the
command and the machine of each start (``sessions.jsonl``), the settings, the learning curves,
the sample grids over time, the scores logged in training and the last ``evaluate`` of the run
(``evaluations.jsonl``) beside the judge's real-data ceiling (``evaluate --ceiling``), and the time taken; for a ``study`` or ``bench``
directory, its table and its figures. Other runs given with ``compare`` add a section with
their curves overlaid and their settings that differ (:mod:`ganlib.report.compare`).
"""

from __future__ import annotations

import base64
import datetime
import html
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ganlib._files import write_text_atomically
from ganlib.report.compare import compare_table, draw_comparison, load_run, load_runs, shared_metrics

__all__ = ["build_report", "write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
td, th { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } code, pre { background: #f6f6f6; padding: .1em .3em; }
pre { padding: .6em; overflow-x: auto; white-space: pre-wrap; }
img { max-width: 100%; } figure { margin: .8em 0; } figcaption { color: #555; font-size: .9em; }
.grid { display: flex; flex-wrap: wrap; gap: .8em; } .grid figure { width: 30%; min-width: 200px; }
.muted { color: #666; }
"""

_HIDDEN_SETTINGS = {"no_plugins", "command", "download"}


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    kind = "gif" if path.suffix.lower() == ".gif" else "png"
    return f'<img src="data:image/{kind};base64,{data}" alt="{html.escape(alt)}">'


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str] | None = None) -> str:
    head = "" if header is None else "<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def _markdown_table(text: str) -> str:
    """A Markdown table (as ``study`` and ``bench`` write them) as an HTML table."""
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines if not re.fullmatch(r"\|[\s:|-]+\|", line)]
    return _table(rows[1:], rows[0]) if rows else f"<pre>{html.escape(text)}</pre>"


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _spread(paths: list[Path], count: int) -> list[Path]:
    """Up to ``count`` of ``paths``, evenly spread, the first and the last among them."""
    if len(paths) <= count:
        return paths
    picks = sorted({round(i * (len(paths) - 1) / (count - 1)) for i in range(count)})
    return [paths[i] for i in picks]


def _run_sections(run_dir: Path) -> list[str]:
    from ganlib.runs import read_sessions

    run = load_run(run_dir)
    settings = run.settings
    parts: list[str] = []
    sessions = read_sessions(run_dir)
    if sessions:
        rows = [(s.get("started", "?"), s.get("command", "?"), f"{s.get('device', '?')} ({s.get('device_name', '')}), {s.get('threads', '?')} thread(s) of {s.get('cpus', '?')}", f"torch {s.get('torch', '?')}, ganlib {s.get('ganlib', '?')}, {s.get('platform', '')}") for s in sessions]
        parts.append("<h2>Command and machine</h2>" + _table(rows, ["started", "command", "device", "versions"]))
    else:
        parts.append('<h2>Command and machine</h2><p class="muted">This run was made by a ganlib that did not record its command (no sessions.jsonl).</p>')
    last = run.records[-1] if run.records else {}
    done = int(last.get("iteration", 0))
    seconds = last.get("wall_time")
    took = f"{done} of {settings.get('iterations', '?')} generator iterations"
    if isinstance(seconds, (int, float)):
        took += f" in {seconds:,.0f} s of training ({seconds / max(done, 1):.3g} s per iteration)"
    parts.append(f"<p>{html.escape(took)}.</p>")
    shown = {k: v for k, v in settings.items() if v is not None and v is not False and v != [] and v != {} and k not in _HIDDEN_SETTINGS}
    parts.append("<h2>Settings</h2>" + _table([(k, _value(v)) for k, v in shown.items()], ["setting", "value"]))
    curves = run_dir / "curves.png"
    if curves.is_file():
        parts.append("<h2>Learning curves</h2><figure>" + _image(curves, "learning curves") + "<figcaption>curves.png: one panel per metric namespace, raw values thin, a moving average thick.</figcaption></figure>")
    for folder, title in (("samples", "Samples over training"), ("landscape", "The critic's landscape over training")):
        frames = sorted(p for p in (run_dir / folder).glob("iter_*.png")) if (run_dir / folder).is_dir() else []
        if frames:
            figures = "".join(f"<figure>{_image(p, p.stem)}<figcaption>iteration {int(p.stem.split('_')[1])}</figcaption></figure>" for p in _spread(frames, 6))
            parts.append(f'<h2>{title}</h2><div class="grid">{figures}</div>')
    scores = [m for m in run.metrics if m.startswith("score/")]
    if scores:
        logged: list[tuple[str, str, str]] = []
        for name in scores:
            xs, ys = run.column(name)
            logged.append((name, _value(ys[-1]) if ys else "-", str(xs[-1]) if xs else "-"))
        parts.append("<h2>Scores during training</h2>" + _table(logged, ["score", "last value", "at iteration"]))
    evaluations = _evaluations(run_dir)
    if evaluations:
        last = evaluations[-1]
        real = last.get("real") or {}
        flat = [(k, v) for k, v in last["scores"].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        final = [(k, _value(v), "-" if not isinstance(real.get(k), (int, float)) else _value(real[k])) for k, v in flat]
        against = "the test images of digit " + str(last["digit"]) if last.get("digit") is not None else "the MNIST test set"
        note = "" if real else ' <span class="muted">(add --ceiling to `evaluate` for the real-data column)</span>'
        parts.append(
            f"<h2>Final scores</h2><p>{html.escape(str(last.get('source', '')))}, against {html.escape(against)}, "
            f"from <code>python -m ganlib evaluate</code>{note}.</p>" + _table(final, ["score", "samples", "real training images (the judge's ceiling)"])
        )
    return parts


def _evaluations(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "evaluations.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip().startswith("{")]


def _collection_sections(directory: Path) -> list[str]:
    parts: list[str] = []
    for name in ("table.md", "results.md"):
        if (directory / name).is_file():
            parts.append(f"<h2>{html.escape(name)}</h2>" + _markdown_table((directory / name).read_text()))
    figures = sorted(p for p in directory.glob("*.png"))
    if figures:
        parts.append("<h2>Figures</h2>" + "".join(f"<figure>{_image(p, p.stem)}<figcaption>{html.escape(p.name)}</figcaption></figure>" for p in figures))
    cells = sorted(p.parent.name for p in directory.glob("*/metrics.jsonl"))
    if cells:
        parts.append("<h2>Cells</h2><p>" + ", ".join(html.escape(c) for c in cells) + "</p>")
    return parts


def build_report(directory: str | os.PathLike[str], *, compare: Sequence[str | os.PathLike[str]] = (), figures_dir: Path | None = None) -> str:
    """The report of a run, a study or a bench directory, as one HTML page.

    Args:
        directory: A training run's directory, or a ``study``/``bench`` output directory.
        compare: Other runs to overlay with this one (a training run only).
        figures_dir: Where the comparison's figure is drawn before it is embedded (a temporary
            directory when ``None``).

    Returns:
        The page's text.

    Raises:
        FileNotFoundError: If ``directory`` is neither a run nor a study or bench directory.
    """
    import tempfile

    import ganlib

    path = Path(directory)
    is_run = (path / "metrics.jsonl").is_file()
    is_collection = any((path / n).is_file() for n in ("table.md", "results.md", "results.json"))
    if not (is_run or is_collection):
        raise FileNotFoundError(f"{path} is not a run, study or bench directory: it has no metrics.jsonl, table.md or results.md")
    if compare and not is_run:
        raise ValueError(f"--compare adds runs to a training run's report; {path} is a study or bench directory")
    sections = _run_sections(path) if is_run else _collection_sections(path)
    if compare:
        runs = load_runs([path, *compare])
        with tempfile.TemporaryDirectory() as scratch:
            figure = draw_comparison(runs, (figures_dir or Path(scratch)) / "compare.png", smooth=5)
            sections.append("<h2>Compared with other runs</h2>" + _markdown_table(compare_table(runs)) + "<figure>" + _image(figure, "curves compared") + "</figure>")
        sections.append(f'<p class="muted">Metrics overlaid: {html.escape(", ".join(shared_metrics(runs)))}.</p>')
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    kind = "training run" if is_run else "study or bench"
    title = html.escape(path.resolve().name)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}: ganlib report</title>'
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{title}</h1><p class=\"muted\">ganlib {html.escape(ganlib.__version__)} report of a {kind}, written {when}.</p>"
        + "".join(sections)
        + "</body></html>\n"
    )


def write_report(directory: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *, compare: Sequence[str | os.PathLike[str]] = ()) -> Path:
    """Write :func:`build_report`'s page (atomically) to ``out``, ``DIRECTORY/report.html`` by default.

    Returns:
        The page's path.
    """
    target = Path(out) if out is not None else Path(directory) / "report.html"
    write_text_atomically(target, build_report(directory, compare=compare))
    return target
