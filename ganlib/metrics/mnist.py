"""An offline MNIST judge: a small CNN shipped with ganlib, and reference statistics.

Inception networks cannot be downloaded everywhere and are the wrong judge for 1-channel
digits. ganlib ships a small MNIST classifier (trained by ``scripts/train_mnist_classifier.py``)
and the statistics of its 64-dimensional penultimate features on the 10,000 MNIST test
images, overall and per digit. :class:`MNISTEvaluator` turns generated digits into:

* FID and KID against the test set (or one digit's test images), on the classifier's
  features (scaled to unit mean square on the test set);
* the MNIST Inception Score, on its class probabilities;
* the class histogram, the number of classes covered, KL(histogram || uniform) and the mean
  classifier confidence (mode coverage and mode collapse at a glance).

Nothing is downloaded and no dataset needs to be on disk.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlib.metrics.functional import FeatureStatistics, MeanStd, frechet_distance, inception_score, kernel_distance

__all__ = [
    "CLASSIFIER_INPUT_SIZE",
    "MNISTClassifier",
    "MNISTEvaluation",
    "MNISTEvaluator",
    "load_mnist_classifier",
    "load_mnist_reference",
]

CLASSIFIER_INPUT_SIZE = 28
"""Images are resized to 28x28 (MNIST's own size) before the classifier sees them."""

_WEIGHTS = "mnist_classifier.pt"
_REFERENCE = "mnist_reference.pt"


class MNISTClassifier(nn.Module):
    """A small CNN for 28x28 digits in [-1, 1]; 64-dimensional features, 10 logits.

    Two blocks of two 3x3 convolutions (32 and 64 channels) with max pooling, then a 64-unit
    feature layer and a linear classifier.

    Shape:
        ``(N, 1, 28, 28) -> (N, 10)`` logits; :meth:`features_and_logits` also returns the
        ``(N, 64)`` features.
    """

    feature_dim = 64

    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]

        self.body = nn.Sequential(*block(1, 32), *block(32, 64), nn.Flatten(), nn.Linear(64 * 7 * 7, self.feature_dim), nn.ReLU())
        self.head = nn.Linear(self.feature_dim, 10)

    def features_and_logits(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Features and logits of a batch.

        Args:
            x: Images of shape ``(N, 1, 28, 28)`` in [-1, 1].

        Returns:
            Features ``(N, 64)`` and logits ``(N, 10)``.
        """
        features = self.body(x)
        return features, self.head(features)

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(N, 10)`` of images ``(N, 1, 28, 28)``."""
        return self.features_and_logits(x)[1]


def _asset(name: str) -> Any:
    return resources.files("ganlib.metrics").joinpath("assets").joinpath(name)


@lru_cache(maxsize=None)
def _load_asset(name: str) -> dict[str, Any]:
    with resources.as_file(_asset(name)) as path:
        return torch.load(path, map_location="cpu", weights_only=True)


def load_mnist_classifier(device: torch.device | str = "cpu") -> MNISTClassifier:
    """The shipped classifier in eval mode, loaded with ``weights_only=True``.

    Args:
        device: Where to put it.

    Returns:
        The classifier.
    """
    model = MNISTClassifier()
    model.load_state_dict(_load_asset(_WEIGHTS)["state_dict"])
    return model.to(device).eval().requires_grad_(False)


def load_mnist_reference() -> dict[str, Any]:
    """The shipped reference: feature means and covariances of the MNIST test set.

    Features are the classifier's 64-d penultimate activations times ``feature_scale``, one
    constant chosen so that the test set's features have unit mean square (the classifier's
    raw ReLU features are about 7 times larger). The scale keeps the cubic KID kernel in the
    same numeric range as with Inception features; FID is unaffected up to that factor squared.

    Returns:
        A dict with ``sizes``, the image sizes the statistics were computed at (the test
        images resized to that size and back to 28, as generated images are); ``mean``
        ``(S, 11, 64)`` and ``cov`` ``(S, 11, 64, 64)`` (index ``[s, d]``: size ``sizes[s]``,
        digit ``d``, with ``d = 10`` the whole test set); ``features`` ``(S, 2000, 64)`` in
        float16 and ``labels`` ``(2000,)`` of a fixed random subset of the test set, for
        KID; ``feature_scale``; and ``test_accuracy``, the classifier's accuracy on the native
        test set.
    """
    return _load_asset(_REFERENCE)


@dataclass(frozen=True)
class MNISTEvaluation:
    """What :meth:`MNISTEvaluator.evaluate` measured.

    Attributes:
        num_samples: Number of images judged.
        digit: The digit compared with, or ``None`` for the whole test set.
        reference_size: Image size of the reference statistics used (see
            :class:`MNISTEvaluator`).
        fid: Fréchet distance to the reference features (lower is better).
        kid: KID mean and std over subsets (lower is better; about 0 for real digits).
        inception_score: MNIST Inception Score mean and std over splits (at most 10; real
            test digits score about 9.9).
        class_histogram: Fraction of the images classified as each digit.
        classes_covered: Digits that received at least ``coverage_threshold`` of the images.
        kl_to_uniform: KL(class histogram || uniform), 0 for perfectly balanced classes and
            log 10 = 2.30 when every image is the same digit.
        mean_confidence: Mean probability of the predicted class.
    """

    num_samples: int
    digit: int | None
    reference_size: int
    fid: float
    kid: MeanStd
    inception_score: MeanStd
    class_histogram: list[float]
    classes_covered: int
    kl_to_uniform: float
    mean_confidence: float

    def to_dict(self) -> dict[str, Any]:
        """A flat, JSON-ready dict."""
        out = asdict(self)
        out["kid_mean"], out["kid_std"] = out.pop("kid").values()
        out["is_mean"], out["is_std"] = out.pop("inception_score").values()
        return out


class MNISTEvaluator:
    """Judge generated MNIST digits with the shipped classifier, offline.

    Images must be 1-channel, in [-1, 1], of any size; they are resized to 28x28 (bilinear,
    antialiased) for the classifier. They are compared with the test images **put through the
    same path**: for a generator trained on MNIST resized to S x S (with
    :func:`~ganlib.data.load_mnist`), the reference is the test set resized to S x S and back,
    so the two resizes' blur is not charged to the generator. References ship for 28 (native)
    and the DCGAN sizes 16, 32, 64, 128 and 256; other sizes fall back to 28 with a warning.
    Images may come as one tensor or as an iterable of batches, which is streamed: only the
    64-d features and the 10 probabilities per image are kept.

    Args:
        device: Device of the classifier; the CPU by default.
        batch_size: Images per classifier forward pass.
        coverage_threshold: Fraction of the images a digit needs to count as covered.
        classifier: A classifier to use instead of the shipped one (e.g. while training it).

    Example:
        >>> import torch
        >>> evaluator = MNISTEvaluator()
        >>> result = evaluator.evaluate(torch.rand(20, 1, 64, 64) * 2 - 1, kid_subsets=2)
        >>> result.num_samples, result.reference_size, result.classes_covered < 10
        (20, 64, True)
    """

    def __init__(
        self,
        device: torch.device | str = "cpu",
        batch_size: int = 500,
        coverage_threshold: float = 0.01,
        *,
        classifier: MNISTClassifier | None = None,
    ) -> None:
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.coverage_threshold = coverage_threshold
        if classifier is None:
            self.classifier = load_mnist_classifier(self.device)
        else:
            self.classifier = classifier.to(self.device).eval()

    @property
    def reference(self) -> dict[str, Any]:
        """The shipped reference statistics, see :func:`load_mnist_reference`."""
        return load_mnist_reference()

    def _batches(self, images: Tensor | Iterable[Tensor]) -> Iterable[Tensor]:
        if isinstance(images, Tensor):
            yield from images.split(self.batch_size)
        else:
            yield from images

    @torch.no_grad()
    def embed(self, images: Tensor | Iterable[Tensor], *, scale: float | None = None) -> tuple[Tensor, Tensor, int]:
        """Classifier features and class probabilities of a set of images.

        Args:
            images: ``(N, 1, H, W)`` in [-1, 1], as one tensor or an iterable of batches.
            scale: Factor applied to the raw features; the reference's ``feature_scale`` when
                ``None``.

        Returns:
            Features ``(N, 64)`` and probabilities ``(N, 10)`` on the CPU, and the image size H.

        Raises:
            ValueError: If a batch is not ``(N, 1, H, H)``, holds NaN or infinite values, is not
                in [-1, 1], or is of another size than the first batch; or no images are given.
        """
        scale = self.reference["feature_scale"] if scale is None else scale
        features, probabilities, size = [], [], None
        for batch in self._batches(images):
            if batch.ndim != 4 or batch.shape[1] != 1 or batch.shape[2] != batch.shape[3]:
                raise ValueError(f"images have shape {tuple(batch.shape)}; expected (N, 1, H, H) grey digits")
            if size is not None and batch.shape[2] != size:
                raise ValueError(f"a batch of {batch.shape[2]}x{batch.shape[2]} images follows {size}x{size} ones; use one size")
            size = batch.shape[2]
            if batch.shape[0] == 0:
                continue
            bad = int((~torch.isfinite(batch)).flatten(1).any(1).sum())
            if bad:
                raise ValueError(f"{bad} of {len(batch)} images contain NaN or infinite values; the generator has diverged, or the file is not a set of samples")
            low, high = batch.min().item(), batch.max().item()
            if low < -1.01 or high > 1.01:
                raise ValueError(f"images range over [{low:.3g}, {high:.3g}]; expected values in [-1, 1] (as the generator's Tanh gives)")
            x = batch.to(self.device, torch.float32)
            if size != CLASSIFIER_INPUT_SIZE:
                x = F.interpolate(x, size=(CLASSIFIER_INPUT_SIZE, CLASSIFIER_INPUT_SIZE), mode="bilinear", align_corners=False, antialias=True)
            f, logits = self.classifier.features_and_logits(x)
            features.append(f.cpu() * scale)
            probabilities.append(logits.softmax(1).cpu())
        if size is None or not features:
            raise ValueError("no images were given (an empty set of samples)")
        return torch.cat(features), torch.cat(probabilities), size

    def reference_index(self, size: int) -> int:
        """Which of the shipped reference sizes generated ``size`` x ``size`` images are compared with.

        Args:
            size: Side of the generated images.

        Returns:
            The index into the reference's ``sizes`` (28 with a warning when ``size`` has none).
        """
        sizes = list(self.reference["sizes"])
        if size in sizes:
            return sizes.index(size)
        warnings.warn(
            f"no MNIST reference for {size}x{size} images (available: {sizes}); comparing with the "
            "native 28x28 statistics, which charges the generator for the blur of resizing",
            stacklevel=3,
        )
        return sizes.index(CLASSIFIER_INPUT_SIZE)

    def evaluate(
        self,
        images: Tensor | Iterable[Tensor],
        *,
        digit: int | None = None,
        kid_subsets: int = 100,
        kid_subset_size: int = 1000,
        is_splits: int = 10,
    ) -> MNISTEvaluation:
        """Judge a set of generated images.

        Args:
            images: ``(N, 1, H, H)`` in [-1, 1], as one tensor or an iterable of batches.
            digit: Compare with this digit's test images instead of the whole test set.
            kid_subsets: Random subsets for KID.
            kid_subset_size: Samples per KID subset (capped at the set sizes).
            is_splits: Splits for the Inception Score (capped at N).

        Returns:
            The :class:`MNISTEvaluation`.

        Raises:
            ValueError: If ``digit`` is not in 0..9, fewer than 2 images are given, or the
                images are malformed.
        """
        if digit is not None and (isinstance(digit, bool) or digit not in range(10)):
            raise ValueError(f"digit={digit!r} is invalid; expected 0..9 or None")
        features, probabilities, size = self.embed(images)
        if len(features) < 2:
            raise ValueError(f"need at least 2 images to evaluate, got {len(features)}")
        ref, at = self.reference, self.reference_index(size)
        group = 10 if digit is None else digit
        stats = FeatureStatistics(MNISTClassifier.feature_dim)
        stats.update(features)
        fid = frechet_distance(stats.mean(), stats.covariance(), ref["mean"][at, group], ref["cov"][at, group])
        real = ref["features"][at].float()
        if digit is not None:
            real = real[ref["labels"] == digit]
        kid = kernel_distance(features, real, subsets=kid_subsets, subset_size=kid_subset_size)
        predicted = probabilities.argmax(1)
        histogram = torch.bincount(predicted, minlength=10).double() / len(predicted)
        return MNISTEvaluation(
            num_samples=len(features),
            digit=digit,
            reference_size=int(ref["sizes"][at]),
            fid=fid,
            kid=kid,
            inception_score=inception_score(probabilities, splits=min(is_splits, len(probabilities))),
            class_histogram=[round(v, 6) for v in histogram.tolist()],
            classes_covered=int((histogram >= self.coverage_threshold).sum()),
            kl_to_uniform=max(float(torch.special.xlogy(histogram, histogram * 10).sum()), 0.0),
            mean_confidence=float(probabilities.max(1).values.mean()),
        )
