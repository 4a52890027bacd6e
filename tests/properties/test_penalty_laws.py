"""Laws of the gradient penalty that hold for every input (Gulrajani et al., 2017)."""

import math

import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ganlib.losses import gradient_penalty, interpolate

from tests.properties.strategies import finite, paired_batches, sample_shapes, smooth_critic


def linear(w):
    return lambda x: (x.flatten(1) * w.flatten()).sum(1)


@given(paired_batches(), st.integers(0, 2**16))
def test_batch_penalty_is_the_mean_of_per_sample_penalties(batch, seed):
    real, fake, eps = batch
    _, critic = smooth_critic(real[0].numel(), seed)
    whole = gradient_penalty(critic, real, fake, eps=eps)
    singles = [gradient_penalty(critic, real[i : i + 1], fake[i : i + 1], eps=eps[i : i + 1]) for i in range(len(real))]
    torch.testing.assert_close(whole, torch.stack(singles).mean())


@given(paired_batches(min_batch=2))
def test_interpolates_lie_on_the_segments_with_one_eps_per_sample(batch):
    real, fake, _ = batch
    assume(all((real[i] - fake[i]).abs().max() > 1e-3 for i in range(len(real))))
    x = interpolate(real, fake).detach()
    weights = []
    for i in range(len(real)):
        direction = (real[i] - fake[i]).flatten()
        offset = (x[i] - fake[i]).flatten()
        e = (offset @ direction / (direction @ direction)).item()
        assert -1e-9 <= e <= 1 + 1e-9  # between fake (0) and real (1)
        torch.testing.assert_close(offset, e * direction)  # on the segment, not off it
        weights.append(e)
    assert len({round(w, 9) for w in weights}) == len(weights)  # a fresh eps for each sample


@given(paired_batches(min_batch=2), st.integers(0, 2**16), st.randoms(use_true_random=False), finite)
def test_penalty_is_invariant_to_permutation_and_to_shifting_the_critic(batch, seed, rnd, shift):
    real, fake, eps = batch
    _, critic = smooth_critic(real[0].numel(), seed)
    order = list(range(len(real)))
    rnd.shuffle(order)
    perm = torch.tensor(order)
    base = gradient_penalty(critic, real, fake, eps=eps)
    torch.testing.assert_close(gradient_penalty(critic, real[perm], fake[perm], eps=eps[perm]), base)
    torch.testing.assert_close(gradient_penalty(lambda x: critic(x) + shift, real, fake, eps=eps), base)


@st.composite
def linear_cases(draw):
    shape = draw(sample_shapes())
    w = torch.from_numpy(draw(arrays("float64", shape[1:], elements=finite)))
    real = torch.from_numpy(draw(arrays("float64", shape, elements=finite)))
    fake = torch.from_numpy(draw(arrays("float64", shape, elements=finite)))
    return w, real, fake


@given(linear_cases(), st.floats(0.1, 3.0))
def test_linear_critic_penalty_is_exact_for_any_inputs_and_eps(case, target):
    w, real, fake = case
    expected = (w.norm() - target) ** 2
    torch.testing.assert_close(gradient_penalty(linear(w), real, fake, target=target), expected)


@given(linear_cases(), st.floats(0.0, 1.0))
def test_one_sided_penalty_vanishes_when_the_linear_critic_is_1_lipschitz(case, radius):
    w, real, fake = case
    assume(w.norm() > 0)
    w = w / w.norm() * radius  # ||w|| <= 1
    assert gradient_penalty(linear(w), real, fake, one_sided=True).item() == 0.0


@given(linear_cases())
def test_gradient_of_the_linear_penalty_matches_the_analytic_form(case):
    w, real, fake = case
    assume(w.norm() > 1e-3)
    w = w.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(gradient_penalty(linear(w), real, fake), w)
    norm = w.detach().norm()
    torch.testing.assert_close(grad, 2 * (norm - 1) * w.detach() / norm)


@given(paired_batches(max_batch=3), st.integers(0, 2**16))
def test_penalty_reaches_the_critic_weights_as_finite_differences_say(batch, seed):
    real, fake, eps = batch
    net, critic = smooth_critic(real[0].numel(), seed, hidden=3)
    params = list(net.parameters())
    # The output bias does not change the input gradient, so its gradient is None (zero).
    analytic = torch.autograd.grad(gradient_penalty(critic, real, fake, eps=eps), params, allow_unused=True)
    analytic = [torch.zeros_like(p) if g is None else g for p, g in zip(params, analytic, strict=True)]
    step = 1e-6
    for param, grad in zip(params, analytic, strict=True):
        flat = param.data.view(-1)
        for k in range(0, flat.numel(), max(1, flat.numel() // 4)):  # a few coordinates per tensor
            original = flat[k].item()
            flat[k] = original + step
            plus = gradient_penalty(critic, real, fake, eps=eps).item()
            flat[k] = original - step
            minus = gradient_penalty(critic, real, fake, eps=eps).item()
            flat[k] = original
            numeric = (plus - minus) / (2 * step)
            assert math.isclose(grad.view(-1)[k].item(), numeric, rel_tol=1e-4, abs_tol=1e-6)
