"""Bad values given to the library and broken data files: each gets a message that says what is wrong."""

import gzip
import shutil

import pytest
import torch

from ganlib.data import MNISTNotFoundError, TensorBatches, load_mnist
from ganlib.losses import GradientPenalty, get_objective
from ganlib.train import EMA, Trainer, resolve_device
from tests.train.helpers import tiny_trainer


def _rebuild(**kwargs):
    t = tiny_trainer()
    return Trainer(t.generator, t.critic, t.objective, t.generator_optimizer, t.critic_optimizer, kwargs.pop("data", t.data), **kwargs)


LIBRARY_CASES = [
    (lambda: _rebuild(data=[]).fit(1), ValueError, "data yielded no batches"),
    (lambda: _rebuild(n_critic=0), ValueError, "n_critic=0 is invalid"),
    (lambda: _rebuild(capture="graphs"), ValueError, "capture='graphs' is invalid; expected one of 'none', 'cuda-graph'"),
    (lambda: _rebuild(accumulate=3).fit(1), ValueError, "accumulate=3 does not divide the batch of 8 samples"),
    (lambda: _rebuild(check_finite_every=0), ValueError, "check_finite_every=0 is invalid"),
    (lambda: EMA(torch.nn.Linear(1, 1), decay=1.0), ValueError, "decay=1.0 is invalid; expected a value in [0, 1)"),
    (lambda: GradientPenalty(target=float("inf")), ValueError, "target=inf is invalid"),
    (lambda: GradientPenalty(float("nan")), ValueError, "weight=nan is invalid"),
    (lambda: get_objective("wgan"), ValueError, "objective 'wgan' is unknown; valid names are"),
    (lambda: get_objective("hinge", penalty="gp2"), ValueError, "penalty 'gp2' is unknown"),
    (lambda: get_objective("hinge", clip=0.01), ValueError, "clip=0.01 was given without penalty='clip'"),
    (lambda: TensorBatches(torch.zeros(4, 1), 5), ValueError, "batch_size=5 is invalid; expected an integer from 1 to 4"),
    (lambda: TensorBatches(torch.zeros(4, 1), 2, labels=torch.zeros(3)), ValueError, "labels has shape (3,); expected (4, ...), one label (or condition) per sample"),
    (lambda: TensorBatches(torch.zeros(4, 1), 1, rank=2, world_size=2), ValueError, "rank=2 is invalid; expected an integer from 0 to world_size - 1 = 1"),
    (lambda: TensorBatches(torch.zeros(4, 1), 3, world_size=2), ValueError, "batch_size=3 is invalid; expected an integer from 1 to 2"),
    (lambda: resolve_device("tpu:0"), ValueError, "device='tpu:0' is not a valid device"),
]


@pytest.mark.parametrize(("call", "error", "message"), LIBRARY_CASES, ids=[m[:40] for _, _, m in LIBRARY_CASES])
def test_a_bad_library_value_is_named(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_cuda_without_it_is_explained():
    with pytest.raises(ValueError, match="CUDA is not available; use 'auto' or 'cpu'"):
        resolve_device("cuda")


# --- MNIST files -------------------------------------------------------------------------------


@pytest.fixture
def mnist_copy(mnist_root, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for path in (mnist_root / "MNIST" / "raw").iterdir():
        shutil.copy(path, raw / path.name)
    return tmp_path, raw


def test_gzipped_files_alone_are_extracted_and_load(mnist_copy):
    root, raw = mnist_copy
    for path in list(raw.iterdir()):
        with path.open("rb") as source, gzip.open(raw / f"{path.name}.gz", "wb", compresslevel=1) as target:  # the fastest level: the format is the same
            shutil.copyfileobj(source, target)
        path.unlink()
    images = load_mnist(root, image_size=16, digits=[3], train=False)
    assert images.shape[1:] == (1, 16, 16) and len(images) > 900


def test_missing_test_files_are_named_even_for_the_training_split(mnist_copy):
    root, raw = mnist_copy
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / name).unlink()
    with pytest.raises(MNISTNotFoundError, match="t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte .or .gz. missing from"):
        load_mnist(root, train=True)


def test_a_truncated_file_is_named_with_its_size(mnist_copy):
    root, raw = mnist_copy
    path = raw / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:999984])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte has 999,984 bytes but the MNIST file has 47,040,016"):
        load_mnist(root)


def test_no_mnist_at_all_says_where_it_looked_and_how_to_fix_it(tmp_path):
    with pytest.raises(MNISTNotFoundError, match=r"missing from .*MNIST/raw.*--data-root ROOT.*--download"):
        load_mnist(tmp_path)


# --- the judge and the sample command ---------------------------------------------------------


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (torch.full((4, 1, 16, 16), float("nan")), "4 of 4 images contain NaN or infinite values"),
        (torch.empty(0, 1, 16, 16), "no images were given"),
        (torch.zeros(4, 3, 16, 16), "expected (N, 1, H, H) grey digits"),
        (torch.full((4, 1, 16, 16), 5.0), "expected values in [-1, 1]"),
    ],
    ids=["nan", "empty", "rgb", "range"],
)
def test_the_judge_explains_bad_samples(images, message):
    from ganlib.metrics import MNISTEvaluator

    with pytest.raises(ValueError) as raised:
        MNISTEvaluator("cpu").evaluate(images)
    assert message in str(raised.value)


def test_the_evaluate_command_turns_bad_samples_into_one_line(tmp_path, capsys):
    from ganlib.cli import main

    torch.save(torch.full((4, 1, 16, 16), float("nan")), tmp_path / "nan.pt")
    torch.save({"not": "a tensor"}, tmp_path / "dict.pt")
    assert main(["evaluate", "--samples", str(tmp_path / "nan.pt")]) == 2
    assert "contain NaN" in capsys.readouterr().err
    assert main(["evaluate", "--samples", str(tmp_path / "dict.pt")]) == 2
    assert "holds a dict; expected a tensor of shape (N, 1, H, W)" in capsys.readouterr().err
    assert main(["evaluate", "--samples", str(tmp_path / "missing.pt")]) == 2
    assert "missing.pt" in capsys.readouterr().err
