"""EBGAN and BEGAN: energies by hand, the margin, the k_t update, and its exact resume."""

import pytest
import torch

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
    assert terms["convergence"].item() == pytest.approx(1.0 + abs(0.8 * 1.0 - 0.5))
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
