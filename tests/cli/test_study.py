"""``python -m ganlib study``: a tiny grid, its table and figures, and a repeat that skips finished cells."""

import json

from ganlib.cli import main


def test_a_tiny_study_writes_its_table_and_figures_and_skips_done_cells(mnist_root, tmp_path, caplog):
    argv = [
        "study", "--data-root", str(mnist_root), "--objectives", "non-saturating", "--critic-norms", "layer", "--ema", "both",
        "--seeds", "1", "--image-size", "16", "--width", "4", "--batch-size", "16", "--iterations", "2", "--eval-every", "2",
        "--eval-samples", "20", "--device", "cpu", "--out", str(tmp_path),
    ]
    assert main(argv) == 0
    rows = json.loads((tmp_path / "table.json").read_text())
    assert sorted(row["config"] for row in rows) == ["non-saturating-layer", "non-saturating-layer-ema"]
    assert all(row["iterations"][0] == 2 and row["final"][0] > 0 and row["score"] == "score/fid" for row in rows)
    config = json.loads((tmp_path / "runs" / "non-saturating-layer-s0" / "config.json").read_text())
    assert config["eval_every"] == 10  # one critic step per iteration: evaluated 5 times less often in iterations
    assert (tmp_path / "runs" / "non-saturating-layer-s0" / "checkpoints" / "best.pt").is_file()  # scored at the last iteration
    assert "| configuration | seeds | final FID |" in (tmp_path / "table.md").read_text()
    for name in ("fid_vs_iterations.png", "fid_vs_time.png", "samples.png"):
        assert (tmp_path / name).is_file()
    caplog.set_level("INFO")
    assert main(argv) == 0
    assert caplog.text.count("done already, skipped") == 2


def test_a_progressive_cell_grows_inside_a_study(mnist_root, tmp_path):
    argv = [
        "study", "--data-root", str(mnist_root), "--objectives", "pggan", "--models", "pggan", "--critic-norms", "none",
        "--ema", "on", "--seeds", "1", "--image-size", "16", "--width", "4", "--batch-size", "16", "--iterations", "6",
        "--eval-every", "6", "--eval-samples", "20", "--device", "cpu", "--out", str(tmp_path), "--workers", "1",
        "--train-arg", "--callback-arg stable_images=16", "--train-arg", "--callback-arg fade_images=32",
    ]
    assert main(argv) == 0
    (row,) = json.loads((tmp_path / "table.json").read_text())
    assert row["iterations"][0] == 6 and row["final"][0] > 0
    from ganlib.checkpoint import load_checkpoint

    (run,) = (tmp_path / "runs").iterdir()
    state = load_checkpoint(run)
    assert state["callbacks"]["Growth"]["lod"] < 2.0  # 8x8 was fading in: the cell grew
