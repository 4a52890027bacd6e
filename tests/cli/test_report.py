"""``python -m ganlib compare`` and ``report`` on two small runs: the overlay, the table of what
differs, and one HTML page that holds every image and fetches nothing (checked in a real
browser where one is installed)."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess

import pytest
from PIL import Image

from ganlib.cli import main
from ganlib.report import compare_table, differing_settings, load_runs, shared_metrics

FLAGS = ["--data", "ring", "--width", "8", "--device", "cpu", "--log-every", "1", "--sample-every", "2", "--checkpoint-every", "2", "--threads", "1"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    a, b = root / "lr-1e-4", root / "lr-3e-4"
    assert main(["train", *FLAGS, "--iterations", "4", "--out", str(a)]) == 0
    assert main(["train", *FLAGS, "--iterations", "4", "--lr", "3e-4", "--out", str(b)]) == 0
    return a, b


def test_compare_tables_the_settings_that_differ_and_the_last_values(two_runs):
    runs = load_runs(two_runs)
    assert differing_settings(runs) == ["lr"]  # out, and how loudly each ran, are not settings
    names = shared_metrics(runs)
    assert names[:2] == ["loss/critic", "loss/generator"] and "penalty/gp" in names and "it_per_s" not in names
    table = compare_table(runs, ["loss/critic"]).splitlines()
    assert table[0] == "| run | iterations | lr | loss/critic |"
    last_a = json.loads((two_runs[0] / "metrics.jsonl").read_text().splitlines()[-1])["loss/critic"]
    assert table[2] == f"| lr-1e-4 | 4 | 0.0001 | {last_a:.4g} |"
    assert table[3].startswith("| lr-3e-4 | 4 | 0.0003 | ")


def test_compare_writes_a_figure_and_a_table_and_never_overwrites(two_runs, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", *map(str, two_runs), "--out", str(out)]) == 0
    picture = Image.open(out / "compare.png")
    assert picture.size[0] > 800 and picture.size[1] > 300  # a grid of panels, one per shared metric
    assert (out / "compare.md").read_text() == capsys.readouterr().out
    assert main(["compare", *map(str, two_runs), "--out", str(out)]) == 2
    assert "already holds compare.png, compare.md; choose another --out or pass --overwrite" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "{a}"], "compare needs at least two runs"),
        (["compare", "{a}", "{missing}"], "is not a training run: it has no metrics.jsonl"),
        (["compare", "{a}", "{b}", "--metrics", "score/nope"], "--metrics score/nope: no run logged it"),
        (["report", "{missing}"], "is not a run, study or bench directory"),
        (["report", "{a}", "--out", "{a}/page.txt"], "a report (an HTML page) ends in .html or .htm"),
    ],
)
def test_user_errors_are_one_line(two_runs, tmp_path, capsys, argv, message):
    names = {"a": two_runs[0], "b": two_runs[1], "missing": tmp_path / "nowhere"}
    assert main([part.format(**names) for part in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def _page(two_runs, tmp_path, *extra):
    out = tmp_path / "report.html"
    assert main(["report", str(two_runs[0]), "--out", str(out), *extra]) == 0
    return out, out.read_text()


def test_the_report_holds_every_image_and_links_to_nothing(two_runs, tmp_path):
    _, text = _page(two_runs, tmp_path, "--compare", str(two_runs[1]))
    sources = re.findall(r'src="([^"]*)"', text)
    assert len(sources) >= 4  # the curves, the landscape frames, the comparison
    for source in sources:
        kind, _, data = source.partition(";base64,")
        assert kind in ("data:image/png", "data:image/gif")
        Image.open(io.BytesIO(base64.b64decode(data))).verify()
    assert not re.search(r"(href|src)=\"(?!data:)", text) and "<script" not in text and "url(" not in text
    assert "python -m ganlib train --data ring" in text  # the command, from sessions.jsonl
    assert "Compared with other runs" in text and "lr-3e-4" in text


def test_the_last_evaluation_is_shown_beside_the_judges_ceiling(two_runs, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(two_runs[0], run)
    line = {"source": "run (EMA weights, 500 samples)", "digit": 3, "num": 500, "seed": 0, "scores": {"fid": 17.9, "is_mean": 1.23}, "real": {"fid": 0.081, "is_mean": 1.07}}
    (run / "evaluations.jsonl").write_text(json.dumps({**line, "scores": {"fid": 99.0}}) + "\n" + json.dumps(line) + "\n")
    assert main(["report", str(run)]) == 0
    text = (run / "report.html").read_text()
    assert "<td>fid</td><td>17.9</td><td>0.081</td>" in text and "99" not in text.split("Final scores")[1]
    assert "against the test images of digit 3" in text


def test_a_study_directory_gets_its_table_and_figures(tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    (study / "table.md").write_text("| objective | FID |\n|---|---|\n| wgan-gp | 12.5 |\n")
    Image.new("RGB", (20, 10), "white").save(study / "budget.png")
    text = main(["report", str(study)]) == 0 and (study / "report.html").read_text()
    assert "<td>wgan-gp</td><td>12.5</td>" in text and "budget.png" in text and 'src="data:image/png;base64,' in text


_CHECK = """<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  const decoded = images.filter((i) => i.complete && i.naturalWidth > 0).length;
  const fetched = performance.getEntriesByType("resource").map((e) => e.name);
  document.body.setAttribute("data-check", JSON.stringify({images: images.length, decoded, fetched}));
});
</script>"""


def _browser() -> str | None:
    return next((path for name in ("chromium", "chromium-browser", "google-chrome", "chrome") if (path := shutil.which(name))), None)


@pytest.mark.skipif(_browser() is None, reason="no headless Chromium here (.ci/run installs one with apt where it can)")
def test_the_report_renders_in_a_real_browser_with_every_image_decoded_and_nothing_fetched(two_runs, tmp_path):
    page, text = _page(two_runs, tmp_path)
    probe = tmp_path / "probe.html"  # the report with a check added (the report itself has no script)
    probe.write_text(text.replace("</body>", _CHECK + "</body>"))
    result = subprocess.run(
        [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    found = re.search(r"data-check=\"([^\"]*)\"", result.stdout)
    assert found, result.stderr[-2000:]
    check = json.loads(found.group(1).replace("&quot;", '"'))
    assert check["images"] >= 3 and check["decoded"] == check["images"] and check["fetched"] == []
