"""One Registry type for every kind of component, with one collision policy."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import ganlib.data
import ganlib.losses
import ganlib.models
import ganlib.nn
import ganlib.train
from ganlib.augment import AUGMENTATIONS
from ganlib.recipes import RECIPES
from ganlib.registry import Registry


def test_register_get_list_build_and_describe():
    things = Registry("thing")

    @things.register("double")
    def double(x: int = 1) -> int:
        """Twice x."""
        return 2 * x

    things.register("triple", lambda x=1: 3 * x, summary="Three times x.")
    assert things.build("double", x=4) == 8 and things.get("triple")(2) == 6
    assert things.names() == ["double", "triple"] and things.names("tr*") == ["triple"]
    assert "double" in things and "quadruple" not in things and len(things) == 2
    assert things.describe().splitlines() == ["double  Twice x.", "triple  Three times x."]
    with pytest.raises(ValueError, match="thing 'quadruple' is not registered; registered things are 'double', 'triple'"):
        things.get("quadruple")
    with pytest.raises(ValueError, match=r"thing 'double' \(from tests.test_registry\) has no argument 'y'; its arguments are x"):
        things.build("double", y=1)


def test_one_collision_policy_refuse_unless_asked_to_replace():
    things = Registry("thing")
    things.register("a", lambda: 1)
    with pytest.raises(ValueError, match="thing name 'a' is already registered .*pass replace=True"):
        things.register("a", lambda: 2)
    things.register("a", lambda: 3, replace=True)
    assert things.build("a") == 3


def test_the_same_component_registered_again_is_not_a_collision():
    things = Registry("thing")

    class Widget:
        """A widget."""

    things.register("widget", Widget)
    things.register("widget", Widget)  # the same object: nothing to do

    class Widget:  # noqa: F811 - the same definition run again (a notebook cell, a reloaded module)
        """A widget."""

    things.register("widget", Widget)
    assert things.get("widget") is Widget


def test_aliases_and_metadata():
    things = Registry("thing")
    things.register("long-name", int, role="critic")
    things.alias("short", "long-name")
    assert things.get("short") is int and things.canonical("short") == "long-name"
    assert things.names(role="critic") == ["long-name"] and things.names(aliases=True) == ["long-name", "short"]
    with pytest.raises(ValueError, match="already registered; an alias cannot hide it"):
        things.alias("long-name", "long-name")


@pytest.mark.parametrize(
    ("register", "registry"),
    [
        (ganlib.models.register_model, ganlib.models.MODELS),
        (ganlib.nn.register_norm, ganlib.nn.NORMS),
        (ganlib.losses.register_loss, ganlib.losses.LOSSES),
        (ganlib.losses.register_penalty, ganlib.losses.PENALTIES),
        (ganlib.losses.register_objective, ganlib.losses.OBJECTIVES),
        (ganlib.data.register_dataset, ganlib.data.DATASETS),
        (ganlib.train.register_callback, ganlib.train.CALLBACKS),
    ],
)
def test_every_kind_of_component_has_its_public_register_function_on_one_registry_type(register, registry):
    assert callable(register) and isinstance(registry, Registry) and len(registry) > 0
    assert all(name in registry for name in registry.names())


def test_every_registry_is_a_registry():
    for registry in (ganlib.data.TOYS, ganlib.train.LR_SCHEDULES, ganlib.train.STEP_SCHEDULES, ganlib.train.PANELS, AUGMENTATIONS, RECIPES):
        assert isinstance(registry, Registry)


def test_a_model_variant_fixes_arguments_and_checkpoints_rebuild_the_class(tmp_path):
    from ganlib.checkpoint import save_checkpoint
    from ganlib.models import DCGANGenerator, get_model, list_models, load_generator, model_spec, register_model

    register_model("test-dcgan-tiny-generator", DCGANGenerator, defaults={"latent_dim": 4, "image_size": 16, "width": 2})
    generator = get_model("test-dcgan-tiny-generator")
    assert generator.config["width"] == 2 and get_model("test-dcgan-tiny-generator", width=3).config["width"] == 3
    assert "test-dcgan-tiny-generator" in list_models("test-*", role="generator")
    name, config = model_spec(generator)
    assert name == "dcgan-generator" and config == generator.config  # the class rebuilds it with the full config
    save_checkpoint({"generator_model": name, "generator_config": config, "generator": generator.state_dict()}, tmp_path / "c.pt")
    rebuilt, _ = load_generator(tmp_path / "c.pt")
    assert all(torch.equal(a, b) for a, b in zip(rebuilt.state_dict().values(), generator.state_dict().values(), strict=True))


def test_a_builder_function_of_an_unregistered_class_is_recorded_by_its_builder():
    from ganlib.models import get_model, model_spec, register_model

    class Plain(nn.Module):
        def __init__(self, latent_dim: int) -> None:
            super().__init__()
            self.latent_dim = latent_dim
            self.net = nn.Linear(latent_dim, 2)

    @register_model("test-plain-generator")
    def plain(latent_dim: int = 3) -> nn.Module:
        """A linear generator built by a function."""
        return Plain(latent_dim)

    model = get_model("test-plain-generator", latent_dim=5)
    assert model_spec(model) == ("test-plain-generator", {"latent_dim": 5})
