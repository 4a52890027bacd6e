import math

import numpy as np
import pytest
import torch
from scipy import linalg

from ganlib.metrics import FeatureStatistics, frechet_distance, inception_score, kernel_distance, polynomial_mmd2_unbiased


def reference_fd(a: np.ndarray, b: np.ndarray) -> float:
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def reference_mmd(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    k = lambda a, b: (a @ b.T / d + 1) ** 3  # noqa: E731
    m, n = len(x), len(y)
    kxx, kyy = k(x, x), k(y, y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * k(x, y).mean())


def test_streaming_statistics_match_numpy_over_any_batching():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(103, 5)) * [1, 2, 3, 4, 5] + 7
    stats = FeatureStatistics(5)
    for chunk in np.array_split(data, 7):
        stats.update(torch.from_numpy(chunk).float())
    np.testing.assert_allclose(stats.mean().numpy(), data.astype(np.float32).mean(0), rtol=1e-6)
    np.testing.assert_allclose(stats.covariance().numpy(), np.cov(data.astype(np.float32).astype(np.float64), rowvar=False), rtol=1e-6, atol=1e-9)


def test_statistics_reject_bad_shapes_and_too_few_samples():
    stats = FeatureStatistics(3)
    with pytest.raises(ValueError, match=r"expected \(N, 3\)"):
        stats.update(torch.zeros(2, 4))
    stats.update(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="at least 2"):
        stats.covariance()


def test_frechet_distance_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(200, 6)), rng.normal(size=(150, 6)) @ rng.normal(size=(6, 6)) + 0.5
    t = lambda x: torch.from_numpy(x)  # noqa: E731
    ours = frechet_distance(t(a.mean(0)), t(np.cov(a, rowvar=False)), t(b.mean(0)), t(np.cov(b, rowvar=False)))
    assert ours == pytest.approx(reference_fd(a, b), rel=1e-6)


def test_frechet_distance_of_a_set_with_itself_is_zero_and_never_negative():
    rng = np.random.default_rng(2)
    a = torch.from_numpy(rng.normal(size=(50, 8)))
    mean, cov = a.mean(0), torch.cov(a.T)
    assert frechet_distance(mean, cov, mean, cov) == pytest.approx(0.0, abs=1e-8)
    b = torch.from_numpy(rng.normal(size=(50, 8)))
    assert frechet_distance(mean, cov, b.mean(0), torch.cov(b.T)) > 0


def test_mmd_matches_the_direct_formula():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(30, 4)), rng.normal(size=(25, 4)) + 1
    assert polynomial_mmd2_unbiased(torch.from_numpy(x), torch.from_numpy(y)) == pytest.approx(reference_mmd(x, y), rel=1e-10)


def test_kid_is_unbiased_near_zero_for_one_distribution_and_large_for_two():
    g = torch.Generator().manual_seed(4)
    x, y = torch.randn(2000, 8, generator=g), torch.randn(2000, 8, generator=g)
    same = kernel_distance(x, y, subsets=50, subset_size=200)
    assert abs(same.mean) < 3 * same.std / math.sqrt(50) + 1e-3  # zero within its standard error
    shifted = kernel_distance(x, y + 1.0, subsets=20, subset_size=200)
    assert shifted.mean > 20 * same.std


def test_kid_rejects_tiny_sets():
    with pytest.raises(ValueError, match="at least 2 samples"):
        kernel_distance(torch.zeros(1, 3), torch.zeros(5, 3))


def test_inception_score_extremes_and_reference():
    k = 10
    confident_uniform = torch.eye(k).repeat(10, 1)
    assert inception_score(confident_uniform, splits=5).mean == pytest.approx(k)
    collapsed = torch.zeros(100, k)
    collapsed[:, 3] = 1
    assert inception_score(collapsed, splits=5).mean == pytest.approx(1.0)
    p = torch.softmax(torch.randn(60, k, generator=torch.Generator().manual_seed(5)), 1).double()
    scores = []
    for chunk in np.array_split(p.numpy(), 3):
        marginal = chunk.mean(0)
        scores.append(np.exp((chunk * (np.log(chunk) - np.log(marginal))).sum(1).mean()))
    result = inception_score(p, splits=3)
    assert result.mean == pytest.approx(np.mean(scores)) and result.std == pytest.approx(np.std(scores))  # ddof=0, the reference convention


def test_inception_score_rejects_bad_splits():
    with pytest.raises(ValueError, match="splits=0"):
        inception_score(torch.eye(3), splits=0)


def _reference_inception_score(probabilities, splits):
    # The reference code's arithmetic, in numpy: split i is rows i*N//splits to (i+1)*N//splits,
    # KL against the split's mean, exp of the mean KL, then mean and population std (np.std).
    p = probabilities.numpy()
    scores = []
    for i in range(splits):
        part = p[i * len(p) // splits : (i + 1) * len(p) // splits]
        kl = part * (np.log(part) - np.log(part.mean(axis=0, keepdims=True)))
        scores.append(np.exp(kl.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


@pytest.mark.parametrize("n", [91, 12, 100, 37])
def test_inception_score_matches_the_reference_when_n_is_not_a_multiple_of_splits(n):
    torch.manual_seed(n)
    probabilities = torch.softmax(torch.randn(n, 10, dtype=torch.float64) * 3, dim=1)
    mean, std = _reference_inception_score(probabilities, 10)
    result = inception_score(probabilities, splits=10)
    assert result.mean == pytest.approx(mean, rel=1e-12) and result.std == pytest.approx(std, rel=1e-9)
    # ddof=1 is the sample standard deviation over the same ten splits
    assert inception_score(probabilities, splits=10, ddof=1).std == pytest.approx(std * np.sqrt(10 / 9), rel=1e-9)


def test_a_91_sample_split_has_no_single_sample_part():
    # chunk() would cut 91 into nine parts of 10 and one of 1, whose score is exactly 1.
    probabilities = torch.eye(10, dtype=torch.float64).repeat(10, 1)[:91]
    result = inception_score(probabilities, splits=10)
    assert result.mean > 8.0


def test_kid_std_follows_the_reference_convention():
    torch.manual_seed(0)
    x, y = torch.randn(300, 4, dtype=torch.float64), torch.randn(300, 4, dtype=torch.float64) + 0.5
    population, sample = kernel_distance(x, y, subsets=10, subset_size=100), kernel_distance(x, y, subsets=10, subset_size=100, ddof=1)
    assert population.mean == sample.mean
    assert sample.std == pytest.approx(population.std * np.sqrt(10 / 9), rel=1e-9)
