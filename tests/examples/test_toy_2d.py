import json

from PIL import Image

from tests.examples.helpers import load_example


def test_tiny_toy_comparison_writes_runs_scores_and_a_figure(tmp_path):
    example = load_example("toy_2d")
    assert example.main(["--toys", "8gaussians", "harmonic", "--iterations", "4", "--draw-every", "2", "--width", "8", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary) == {"8gaussians", "harmonic"} and set(summary["8gaussians"]) == {"clipping", "gradient penalty"}
    assert {"distance_to_curve", "curve_coverage", "seconds"} <= set(summary["harmonic"]["clipping"])
    assert (tmp_path / "8gaussians-clipping" / "landscape.gif").is_file()
    with Image.open(tmp_path / "comparison.png") as figure:
        assert figure.size[0] > figure.size[1]
