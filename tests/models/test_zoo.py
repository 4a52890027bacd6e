"""The models beyond the DCGAN: shapes at every supported size, configs, the course presets."""

import pytest
import torch

from ganlib.models import (
    AutoencoderCritic,
    ConditionalDCGANGenerator,
    DCGAN5Critic,
    DCGAN5Generator,
    MLPCritic,
    MLPGenerator,
    ProjectionCritic,
    course_mlp,
    get_model,
    interpolate_latents,
    model_name,
    slerp,
)

SIZES = [16, 32, 64, 128]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("start", [4, 8])
def test_dcgan5_shapes(size, start):
    g = DCGAN5Generator(latent_dim=8, image_size=size, channels=3, width=2, start=start)
    d = DCGAN5Critic(image_size=size, channels=3, width=2, start=start)
    images = g(torch.randn(2, 8))
    assert images.shape == (2, 3, size, size) and images.abs().max() <= 1
    assert d(images).shape == (2,)
    assert any(m.kernel_size == (5, 5) for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d))
    assert isinstance(g.project, torch.nn.Linear)


@pytest.mark.parametrize("size", SIZES)
def test_autoencoder_critic_reconstructs_at_every_size(size):
    ae = AutoencoderCritic(image_size=size, channels=1, width=2, code_dim=4)
    x = torch.rand(2, 1, size, size) * 2 - 1
    assert ae(x).shape == x.shape


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("norm", ["layer", "spectral"])
def test_conditional_models_shapes_and_that_labels_matter(size, norm):
    torch.manual_seed(0)
    g = ConditionalDCGANGenerator(10, latent_dim=8, image_size=size, width=2)
    d = ProjectionCritic(10, image_size=size, width=2, norm=norm)
    z = torch.randn(1, 8).repeat(2, 1)
    images = g(z, torch.tensor([1, 2]))
    assert images.shape == (2, 1, size, size) and not torch.allclose(images[0], images[1])
    scores = d(images[:1].repeat(2, 1, 1, 1), torch.tensor([1, 2]))
    assert scores.shape == (2,) and scores[0] != scores[1]


def test_projection_critic_is_the_unconditional_score_plus_the_projection():
    torch.manual_seed(0)
    d = ProjectionCritic(3, image_size=16, width=2, norm="none")
    x, y = torch.randn(4, 1, 16, 16), torch.tensor([0, 1, 2, 0])
    phi = d.features(x)
    expected = d.score(phi).flatten() + (d.embed.weight[y] * phi.sum(dim=(2, 3))).sum(dim=1)
    torch.testing.assert_close(d(x, y), expected)


def test_mlp_models_and_the_course_presets():
    g, d = course_mlp("harmonic")
    assert [m.out_features for m in g.net if isinstance(m, torch.nn.Linear)] == [16, 32, 2]
    assert [m.out_features for m in d.net if isinstance(m, torch.nn.Linear)] == [256, 128, 64, 1]
    assert sum(isinstance(m, torch.nn.Dropout) and m.p == 0.3 for m in d.net) == 3
    g, d = course_mlp("mnist")
    assert g(torch.randn(2, 100)).shape == (2, 1, 28, 28) and d(torch.zeros(2, 1, 28, 28)).shape == (2,)
    assert [m.out_features for m in d.net if isinstance(m, torch.nn.Linear)] == [1024, 512, 256, 1]
    with pytest.raises(ValueError, match="course_mlp\\('cifar'\\)"):
        course_mlp("cifar")


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: MLPGenerator(output="sigmoid"), "output='sigmoid' is invalid"),
        (lambda: MLPCritic(2, activation="swish"), "activation='swish' is not supported"),
        (lambda: MLPCritic(2, dropout=1.0), "dropout=1.0 is invalid"),
        (lambda: DCGAN5Generator(start=6), "start=6 is invalid"),
        (lambda: AutoencoderCritic(image_size=48), "image_size=48 is not supported"),
        (lambda: ConditionalDCGANGenerator(1), "num_classes=1 is invalid"),
    ],
)
def test_bad_model_arguments_are_named(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


@pytest.mark.parametrize(
    "model",
    [
        MLPGenerator(latent_dim=2, out_shape=[2], hidden=[4], output="none"),
        MLPCritic(2, hidden=[4], dropout=0.3),
        DCGAN5Generator(latent_dim=4, image_size=16, width=2),
        DCGAN5Critic(image_size=16, width=2),
        AutoencoderCritic(image_size=16, width=2, code_dim=4),
        ConditionalDCGANGenerator(3, latent_dim=4, image_size=16, width=2),
        ProjectionCritic(3, image_size=16, width=2),
    ],
    ids=lambda m: type(m).__name__,
)
def test_every_model_is_registered_and_rebuilds_from_its_config(model):
    rebuilt = get_model(model_name(model), **model.config)
    assert [p.shape for p in rebuilt.parameters()] == [p.shape for p in model.parameters()]


def test_slerp_keeps_the_norm_and_hits_the_ends():
    torch.manual_seed(0)
    a, b = torch.randn(5, 64), torch.randn(5, 64)
    b = b / b.norm(dim=1, keepdim=True) * a.norm(dim=1, keepdim=True)  # equal norms
    path = interpolate_latents(a, b, steps=7)
    torch.testing.assert_close(path[:, 0], a)
    torch.testing.assert_close(path[:, -1], b)
    norms = path.norm(dim=2)
    torch.testing.assert_close(norms, a.norm(dim=1, keepdim=True).expand_as(norms), rtol=1e-4, atol=1e-4)
    straight = interpolate_latents(a, b, steps=7, method="lerp")
    assert (straight[:, 3].norm(dim=1) < 0.9 * a.norm(dim=1)).all()  # the line dips inside the shell
    assert torch.allclose(slerp(a, a, 0.3), a, atol=1e-5)  # parallel vectors fall back to lerp
    with pytest.raises(ValueError, match="method='cubic' is invalid"):
        interpolate_latents(a, b, 3, method="cubic")
