"""EBGAN and BEGAN: energies by hand, the margin, the k_t update, and its exact resume."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ganlib.losses import BEGAN, EBGAN, Step, get_objective, reconstruction_energy
from ganlib.models import AutoencoderCritic


class Shrink(torch.nn.Module):
    """An 'autoencoder' that reconstructs x as a * x, so energies are known in closed form."""

    def __init__(self, a):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(a))

    def forward(self, x):
        return self.a * x


def test_energies_by_hand():
    x = torch.tensor([[1.0, -1.0, 0.0, 2.0]])
    assert reconstruction_energy(x, torch.zeros(1, 4)).item() == pytest.approx(1.5)  # (1 + 1 + 0 + 4) / 4
    assert reconstruction_energy(x, torch.zeros(1, 4), power=1).item() == pytest.approx(1.0)


def test_ebgan_margin_loss_by_hand():
    critic = Shrink(0.5)  # energy of x: mean((0.5 x)^2)
    real, fake = torch.full((2, 4), 2.0), torch.full((2, 4), 4.0)  # energies 1 and 4
    terms = EBGAN(margin=5.0).critic_loss(Step("critic", critic, real=real, fake=fake))
    assert terms["loss"].item() == pytest.approx(1.0 + (5.0 - 4.0))
    assert EBGAN(margin=3.0).critic_loss(Step("critic", critic, real=real, fake=fake))["loss"].item() == pytest.approx(1.0)  # fakes past the margin
    assert EBGAN().generator_loss(Step("generator", critic, fake=fake))["loss"].item() == pytest.approx(4.0)


def test_began_losses_convergence_and_the_k_update_by_hand():
    critic = Shrink(0.5)  # L1 energy of x: mean |0.5 x|
    real, fake = torch.full((2, 4), 2.0), torch.full((2, 4), 1.0)  # L(x) = 1, L(G(z)) = 0.5
    began = BEGAN(gamma=0.8, lambda_k=0.1, k=0.25)
    terms = began.critic_loss(Step("critic", critic, real=real, fake=fake))
    assert terms["loss"].item() == pytest.approx(1.0 - 0.25 * 0.5)
    assert terms["began/convergence"].item() == pytest.approx(1.0 + abs(0.8 * 1.0 - 0.5))
    began.after_critic_step(critic)
    assert began.k.item() == pytest.approx(0.25 + 0.1 * (0.8 * 1.0 - 0.5))
    began.k.fill_(0.999)
    began.critic_loss(Step("critic", critic, real=real, fake=fake))
    began.after_critic_step(critic)
    assert began.k.item() == 1.0  # clipped to [0, 1]


def test_began_k_is_checkpointed_and_resumes_exactly(tmp_path):
    from ganlib.checkpoint import load_checkpoint
    from ganlib.data import TensorBatches
    from ganlib.models import DCGANGenerator
    from ganlib.train import Checkpointer, Trainer

    def make(callbacks=()):
        torch.manual_seed(0)
        g, d = DCGANGenerator(latent_dim=4, image_size=16, width=2), AutoencoderCritic(16, width=2, code_dim=4)
        data = TensorBatches(torch.rand(32, 1, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1, 8)
        adam = lambda m: torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.5, 0.999))  # noqa: E731
        return Trainer(g, d, BEGAN(lambda_k=0.05), adam(g), adam(d), data, n_critic=1, callbacks=callbacks)

    straight = make()
    straight.fit(6)
    make([Checkpointer(tmp_path, every=3)]).fit(3)
    resumed = make()
    resumed.load_state_dict(load_checkpoint(tmp_path))
    resumed.fit(6)
    assert resumed.objective.k.item() == straight.objective.k.item() and straight.objective.k.item() > 0
    assert all(torch.equal(a, b) for a, b in zip(resumed.critic.parameters(), straight.critic.parameters(), strict=True))


@pytest.mark.parametrize(("factory", "match"), [(lambda: EBGAN(margin=0), "margin=0 is invalid"), (lambda: BEGAN(gamma=1.5), "gamma=1.5 is invalid")])
def test_bad_energy_settings_are_named(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_energy_objectives_by_name_and_no_penalties():
    assert isinstance(get_objective("ebgan", margin=2.0), EBGAN)
    with pytest.raises(ValueError, match="takes no penalty"):
        get_objective("began", penalty="gp")


# --- EBGAN's pulling-away term -------------------------------------------------------------


def test_pulling_away_by_hand():
    from ganlib.losses import pulling_away

    assert pulling_away(torch.eye(3)).item() == pytest.approx(0.0)  # orthogonal codes
    assert pulling_away(torch.tensor([[1.0, 2.0], [-2.0, -4.0], [0.5, 1.0]])).item() == pytest.approx(1.0)  # one line
    # cos = 1/sqrt(2): two ordered pairs of 1/2 each, over N(N-1) = 2 pairs
    assert pulling_away(torch.tensor([[1.0, 0.0], [1.0, 1.0]])).item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="at least 2 codes"):
        pulling_away(torch.ones(1, 4))


class Coder(torch.nn.Module):
    """An autoencoder with known parts: encode keeps the first two features, decode pads zeros."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(1.0))

    def encode(self, x):
        return self.a * x[:, :2]

    def decode(self, code):
        return torch.cat([code, torch.zeros(code.shape[0], 2)], dim=1)

    def forward(self, x):
        return self.decode(self.encode(x))


def test_ebgan_generator_loss_with_pulling_away_by_hand():
    fake = torch.tensor([[1.0, 0.0, 2.0, 0.0], [1.0, 1.0, 0.0, 2.0]], requires_grad=True)
    # energies: mean of squared errors of the last two features: (4/4, 4/4) -> 1; codes as in the hand case -> 0.5
    terms = EBGAN(pull_away=0.1).generator_loss(Step("generator", Coder(), fake=fake))
    assert terms["loss"].item() == pytest.approx(1.0 + 0.1 * 0.5)
    assert terms["generator/pull_away"].item() == pytest.approx(0.5) and terms["d_fake"].item() == pytest.approx(1.0)
    assert EBGAN().generator_loss(Step("generator", Coder(), fake=fake))["loss"].item() == pytest.approx(1.0)  # off by default
    with pytest.raises(TypeError, match=r"encode\(\) and decode\(\)"):
        EBGAN(pull_away=0.1).generator_loss(Step("generator", Shrink(0.5), fake=fake))
    with pytest.raises(ValueError, match="pull_away=-1 is invalid"):
        EBGAN(pull_away=-1)


def test_pulling_away_spreads_a_collapsed_batch():
    """Its gradient turns identical codes apart: one step down the term lowers it."""
    from ganlib.losses import pulling_away

    codes = (torch.ones(4, 3) + 0.01 * torch.randn(4, 3, generator=torch.Generator().manual_seed(0))).requires_grad_()
    before = pulling_away(codes)
    before.backward()
    with torch.no_grad():
        after = pulling_away(codes - 1.0 * codes.grad)
    assert after.item() < before.item()


codes = st.integers(2, 6).flatmap(lambda n: arrays(np.float64, (n, 3), elements=st.floats(-10, 10, allow_nan=False)))


@given(codes, st.floats(0.1, 10) | st.floats(-10, -0.1), st.permutations(range(6)))
def test_pulling_away_laws(array, scale, order):
    """In [0, 1]; blind to each code's length and sign and to the order of the batch."""
    from ganlib.losses import pulling_away

    x = torch.from_numpy(array)
    if (x.norm(dim=1) < 1e-3).any():  # a zero code has no direction
        return
    value = pulling_away(x).item()
    assert -1e-12 <= value <= 1 + 1e-9
    assert pulling_away(scale * x).item() == pytest.approx(value, abs=1e-9)
    permutation = [i for i in order if i < len(x)]
    assert pulling_away(x[permutation]).item() == pytest.approx(value, abs=1e-9)
    assert pulling_away(torch.cat([x[:1], 2 * x[:1]])).item() == pytest.approx(1.0)
