"""The open house: six extensions written from the extending guide alone, as a plugin package
in a temporary directory, need no edit to ganlib.

The package registers a bCR penalty, a StyleGAN-like generator with two variants, a warm-up +
cosine learning-rate schedule, WGAN-div (a penalty that declares its toy defaults and that it
holds the critic Lipschitz), a ``.npy`` data source, and an evaluation callback whose
``score/nn_unique`` is declared higher-is-better. Each is used through the command line as a
built-in would be, and ``study`` and ``bench`` rank by the plugin's score in its direction.
"""

import json
import textwrap

import numpy as np
import pytest

from ganlib.cli import main

PLUGIN = '''
"""open_house: six extensions of ganlib, from the extending guide."""

import math

import numpy as np
import torch
from torch import nn
from torch.optim import lr_scheduler

from ganlib.bench import BenchCell, Suite, register_suite
from ganlib.contract import NonNegativeInt, PositiveFloat, PositiveInt
from ganlib.data import Dataset, register_dataset, toy_samples
from ganlib.losses import Penalty, interpolate, register_penalty
from ganlib.metrics import register_score
from ganlib.models import register_model
from ganlib.train import Callback, register_callback, register_lr_schedule


@register_penalty("bcr")
class BalancedConsistency(Penalty):
    """bCR (Zhao et al., 2020): the critic's scores kept under a flip of reals and fakes."""

    name = "bcr"
    default_weight = 10.0

    def compute(self, step):
        real = step.require_real()
        flipped = [step.score(x.flip(-1)) for x in (real, step.fake)]
        value = (flipped[0] - step.score(real)).square().mean() + (flipped[1] - step.score(step.fake)).square().mean()
        return {self.name: value}


@register_penalty("wgan-div")
class WassersteinDivergence(Penalty):
    """WGAN-div (Wu et al., 2018): k E[|grad D(x_hat)|^p] at interpolates, p = 6."""

    name = "wgan-div"
    default_weight = 2.0
    lipschitz = True
    kind_defaults = {"toy": {"penalty_weight": 0.1, "betas": [0.5, 0.9]}}

    def __init__(self, weight: PositiveFloat | None = None, every: PositiveInt = 1, *, power: PositiveFloat = 6.0):
        super().__init__(weight, every)
        self.power = power

    def compute(self, step):
        points = interpolate(step.require_real(), step.fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(step.score(points).sum(), points, create_graph=True)
        return {self.name: grad.flatten(1).norm(dim=1).pow(self.power).mean()}


class _Style(nn.Module):
    def __init__(self, width, style):
        super().__init__()
        self.conv = nn.Conv2d(width, width, 3, padding=1)
        self.scale = nn.Linear(style, width)

    def forward(self, x, w):
        return torch.relu(self.conv(x) * (1 + self.scale(w))[:, :, None, None])


@register_model("stylelite-generator")
class StyleLiteGenerator(nn.Module):
    """A mapping network and style-modulated convolutions, from noise to images."""

    def __init__(self, latent_dim: PositiveInt = 16, image_size: PositiveInt = 16, channels: PositiveInt = 1, width: PositiveInt = 16, mapping: PositiveInt = 2):
        super().__init__()
        self.latent_dim = latent_dim
        self.config = {"latent_dim": latent_dim, "image_size": image_size, "channels": channels, "width": width, "mapping": mapping}
        self.mapping = nn.Sequential(*(layer for _ in range(mapping) for layer in (nn.Linear(latent_dim, latent_dim), nn.LeakyReLU(0.2))))
        self.start = nn.Parameter(torch.randn(1, width, 4, 4))
        self.blocks = nn.ModuleList(_Style(width, latent_dim) for _ in range(int(math.log2(image_size // 4))))
        self.out = nn.Conv2d(width, channels, 1)

    def forward(self, z):
        w = self.mapping(z)
        x = self.start.expand(len(z), -1, -1, -1)
        for block in self.blocks:
            x = block(nn.functional.interpolate(x, scale_factor=2.0), w)
        return torch.tanh(self.out(x))


register_model("stylelite-small-generator", StyleLiteGenerator, defaults={"width": 8, "mapping": 1})
register_model("stylelite-deep-generator", StyleLiteGenerator, defaults={"mapping": 4})


@register_lr_schedule("warmup-cosine")
def warmup_cosine(optimizer, *, iterations: NonNegativeInt, warmup: NonNegativeInt = 2):
    """Linear warm-up over ``warmup`` iterations, then a half cosine to zero: for each of the
    optimizer's learning rates (the generator's and the critic's may differ)."""

    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, iterations - warmup))))

    return lr_scheduler.LambdaLR(optimizer, factor)


@register_dataset("npy", argument="path")
def npy_images(path: str, image_size: PositiveInt = 16):
    """Images from a .npy file of shape (N, C, H, W) in [0, 255]."""
    images = torch.from_numpy(np.load(path)).float().div(127.5).sub(1.0)
    images = nn.functional.interpolate(images, size=image_size, mode="bilinear", antialias=True) if images.shape[-1] != image_size else images
    return Dataset("npy", images, None, None)


register_score("nn_unique", "unique nearest neighbours", higher_is_better=True)


@register_callback("nn-unique")
class NearestUnique(Callback):
    """Logs ``score/nn_unique``: the share of real points that are some fake's nearest neighbour."""

    def __init__(self, every: PositiveInt = 1, num: PositiveInt = 256):
        self.every, self.num = every, num

    def measure(self, trainer):
        if trainer.iteration % self.every and not trainer.last_iteration:
            return {}
        real = toy_samples("ring", self.num, torch.Generator().manual_seed(0))
        with torch.no_grad():
            fake = trainer.sampling_generator(torch.randn(self.num, trainer.latent_dim, generator=torch.Generator().manual_seed(1)))
        nearest = torch.cdist(fake, real).argmin(dim=1)
        return {"score/nn_unique": nearest.unique().numel() / self.num}


_TOY = ("--width", "8", "--batch-size", "32", "--log-every", "1", "--sample-every", "1000", "--callback", "nn-unique")
register_suite(Suite("open-house", "two toy cells ranked by a plugin's score", (
    BenchCell("ring-minimax", "ring", ("--objective", "minimax", *_TOY), ("score/nn_unique",), iterations=3),
    BenchCell("ring-wgan-div", "ring", ("--objective", "wasserstein", "--penalty", "wgan-div", *_TOY), ("score/nn_unique",), iterations=3),
)))
'''

IMAGES = ["--image-size", "16", "--width", "4", "--latent-dim", "8", "--batch-size", "8", "--device", "cpu", "--log-every", "1", "--sample-every", "100", "--checkpoint-every", "100"]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plugin")
    (folder / "open_house.py").write_text(textwrap.dedent(PLUGIN))
    images = np.random.default_rng(0).integers(0, 256, size=(32, 1, 16, 16), dtype=np.uint8)
    np.save(folder / "images.npy", images)
    return folder


@pytest.fixture
def loaded(plugin, monkeypatch):
    monkeypatch.syspath_prepend(str(plugin))
    monkeypatch.setenv("GANLIB_PLUGINS", "open_house")
    from ganlib.plugins import load_plugins

    load_plugins()
    return plugin


def _config(run):
    return json.loads((run / "config.json").read_text())


def test_the_six_extensions_appear_in_the_help(loaded, capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for name in ("bcr", "wgan-div", "stylelite-small-generator", "stylelite-deep-generator", "warmup-cosine", "npy", "nn-unique"):
        assert name in text, name


def test_a_variant_refuses_a_width_it_fixes_in_one_line(loaded, tmp_path, capsys):
    argv = ["train", "--data", f"npy:{loaded / 'images.npy'}", *IMAGES, "--generator", "stylelite-small-generator", "--iterations", "1", "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "model 'stylelite-small-generator' is a variant that fixes width=8, and --width 4 differs" in err and "Traceback" not in err
    assert not (tmp_path / "r" / "checkpoints").exists()


def test_bcr_the_style_variants_the_schedule_and_the_npy_source_train(loaded, tmp_path):
    data = ["--data", f"npy:{loaded / 'images.npy'}"]
    for variant in ("stylelite-small-generator", "stylelite-deep-generator"):
        run = tmp_path / variant
        # The small variant fixes its width; the critic's is given on its own (a --width would be refused).
        sizes = [a for a in IMAGES if a not in ("--width", "4")] + ["--critic-arg", "width=4"]
        argv = ["train", *data, *sizes, "--generator", variant, "--objective", "hinge", "--penalty", "bcr", "--lr-schedule", "warmup-cosine",
                "--generator-lr", "2e-4", "--critic-lr", "1e-4", "--iterations", "3", "--out", str(run)]
        assert main(argv) == 0, variant
        records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        assert "penalty/bcr" in records[-1]
        assert records[-1]["lr/generator"] == pytest.approx(2 * records[-1]["lr/critic"])  # two learning rates, one schedule
    deep = tmp_path / "stylelite-deep-generator"
    assert main(["train", "--resume", str(deep), "--iterations", "5"]) == 0  # rebuilt by name from its config, the schedule resumed
    assert [json.loads(line)["iteration"] for line in (deep / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3, 4, 5]
    assert main(["sample", "--checkpoint", str(deep), "--num", "4", "--out", str(tmp_path / "s.png")]) == 0


def test_wgan_div_on_a_toy_gets_its_declared_defaults_as_a_built_in_penalty_does(loaded, tmp_path):
    runs = {}
    for penalty in ("wgan-div", "gp"):
        runs[penalty] = tmp_path / penalty
        argv = ["train", "--data", "ring", "--width", "8", "--objective", "wasserstein", "--penalty", penalty, "--iterations", "2", "--device", "cpu",
                "--sample-every", "2", "--out", str(runs[penalty])]
        assert main(argv) == 0
    div, gp = _config(runs["wgan-div"]), _config(runs["gp"])
    assert (div["penalty_weight"], div["betas"]) == (gp["penalty_weight"], gp["betas"]) == (0.1, [0.5, 0.9])  # a fair comparison
    assert (runs["wgan-div"] / "landscape" / "latest.png").exists()


def test_study_and_bench_rank_the_plugins_score_higher_is_better(loaded, tmp_path):
    out = tmp_path / "study"
    argv = ["study", "--data", "ring", "--objectives", "minimax", "hinge", "--critic-norms", "none", "--seeds", "1", "--iterations", "3", "--width", "8", "--batch-size", "32",
            "--score", "score/nn_unique", "--train-arg", "--callback nn-unique", "--out", str(out),
            "--workers", "1"]  # this test's plugins live in this process only: Ray's worker processes would not have them
    assert main(argv) == 0
    rows = json.loads((out / "table.json").read_text())
    assert len(rows) == 2 and "unique nearest neighbours" in (out / "table.md").read_text()
    finals = [row["final"][0] for row in rows]
    assert finals == sorted(finals, reverse=True)  # the best configuration first: the highest
    assert all(row["best"][0] >= row["final"][0] for row in rows)  # "best" is the maximum over the run
    bench = tmp_path / "bench"
    assert main(["bench", "--suite", "open-house", "--out", str(bench), "--device", "cpu", "--workers", "1"]) == 0
    rows = json.loads((bench / "results.json").read_text())["rows"]
    ranked = sorted(rows, key=lambda row: row["rank"])
    assert [row["rank"] for row in ranked] == [1, 2] and ranked[0]["measured"] >= ranked[1]["measured"]
    assert all(row["better"] == "higher" for row in rows)
