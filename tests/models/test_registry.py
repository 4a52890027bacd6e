"""The model registry: names, configs checked before allocation, checkpoints rebuilt by name."""

import time

import pytest
import torch
from torch import nn

from ganlib.checkpoint import save_checkpoint
from ganlib.cli import main as cli_main
from ganlib.models import DCGANGenerator, get_model, list_models, load_generator, model_name, register_model
from ganlib.nn import register_norm

from tests.train.helpers import tiny_trainer


def test_the_built_in_models_are_registered():
    assert {"dcgan-generator", "dcgan-critic", "mlp-critic"} <= set(list_models())
    assert model_name(DCGANGenerator(latent_dim=4, image_size=16, width=2)) == "dcgan-generator"
    assert model_name(nn.Linear(1, 1)) is None


def test_unknown_names_list_the_registered_ones():
    with pytest.raises(ValueError, match="model 'MAX_WIDTH' is not registered; registered models are .*'dcgan-generator'"):
        get_model("MAX_WIDTH")


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"latent_dim": 4, "colour": 3}, "has no argument 'colour'"),
        ({"latent_dim": {"nested": 1}}, "is not a plain number"),
        ({"norm": "<lambda>"}, "norm='<lambda>' is not a known normalization"),
        ({"width": 10**9}, "width=1000000000 is invalid; expected an integer from 1 to 1024"),
        ({"latent_dim": 10**7}, "latent_dim=10000000 is invalid"),
    ],
)
def test_bad_configs_are_refused_before_anything_is_allocated(config, match):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        get_model("dcgan-generator", **config)
    assert time.perf_counter() - start < 1.0  # refused, not attempted


def test_a_crafted_checkpoint_cannot_name_anything_but_a_registered_model(tmp_path):
    save_checkpoint({"generator_model": "MAX_WIDTH", "generator_config": {}, "generator": {}}, tmp_path / "c.pt")
    with pytest.raises(ValueError, match="not registered"):
        load_generator(tmp_path / "c.pt")
    save_checkpoint({"generator_class": "DCGANCritic", "generator_config": {"image_size": 16, "width": 10**8}, "generator": {}}, tmp_path / "d.pt")
    with pytest.raises(ValueError, match="width=100000000 is invalid"):
        load_generator(tmp_path / "d.pt")


def test_a_checkpoint_of_ganlib_0_1_0_still_loads(tmp_path):
    trainer = tiny_trainer()
    trainer.fit(1)
    state = trainer.state_dict()
    state["generator_class"] = state.pop("generator_model") and "DCGANGenerator"  # how 0.1.0 recorded it
    save_checkpoint(state, tmp_path / "old.pt")
    generator, _ = load_generator(tmp_path / "old.pt")
    assert isinstance(generator, DCGANGenerator)


@register_model("test-tiny-mlp-generator")
class TinyMLPGenerator(nn.Module):
    """A user's own generator, registered so that checkpoints rebuild it."""

    def __init__(self, latent_dim: int = 4, image_size: int = 16) -> None:
        super().__init__()
        self.latent_dim, self.image_size = latent_dim, image_size
        self.config = {"latent_dim": latent_dim, "image_size": image_size}
        self.net = nn.Sequential(nn.Linear(latent_dim, image_size * image_size), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, 1, self.image_size, self.image_size)


def test_a_user_registered_generator_is_sampled_by_the_cli(tmp_path, capsys):
    base = tiny_trainer()
    torch.manual_seed(0)
    generator = TinyMLPGenerator()
    from ganlib.train import Checkpointer, Trainer

    trainer = Trainer(
        generator, base.critic, base.objective, torch.optim.Adam(generator.parameters()), base.critic_optimizer, base.data,
        n_critic=1, callbacks=[Checkpointer(tmp_path, every=1)],
    )
    trainer.fit(1)
    assert cli_main(["sample", "--checkpoint", str(tmp_path), "--num", "3", "--out", str(tmp_path / "s.pt")]) == 0
    assert torch.load(tmp_path / "s.pt", weights_only=True).shape == (3, 1, 16, 16)


def test_registering_a_taken_name_for_another_class_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        register_model("dcgan-generator")(TinyMLPGenerator)


def test_a_registered_norm_round_trips_through_a_checkpoint(tmp_path):
    register_norm("test-group2", lambda c: nn.GroupNorm(2, c))
    trainer = tiny_trainer()
    torch.manual_seed(0)
    generator = DCGANGenerator(latent_dim=4, image_size=16, width=2, norm="test-group2")
    assert generator.config["norm"] == "test-group2"
    save_checkpoint({"generator_model": "dcgan-generator", "generator_config": generator.config, "generator": generator.state_dict(), "ema": None}, tmp_path / "c.pt")
    rebuilt, _ = load_generator(tmp_path / "c.pt")
    assert isinstance(rebuilt.net[1], nn.GroupNorm) and rebuilt.net[1].num_groups == 2
    del trainer


def test_an_unregistered_callable_norm_names_the_fix(tmp_path):
    generator = DCGANGenerator(latent_dim=4, image_size=16, width=2, norm=lambda c: nn.GroupNorm(1, c))
    save_checkpoint({"generator_model": "dcgan-generator", "generator_config": generator.config, "generator": generator.state_dict()}, tmp_path / "c.pt")
    with pytest.raises(ValueError, match="register it with ganlib.nn.register_norm"):
        load_generator(tmp_path / "c.pt")
