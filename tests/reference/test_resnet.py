"""The ResNets equal their authors' code: the WGAN-GP paper's CIFAR-10 ResNet and SNGAN's.

Each reference network is rebuilt here, in functional PyTorch, from the published code:

* WGAN-GP: igul222/improved_wgan_training, ``gan_cifar_resnet.py`` (``ResidualBlock``,
  ``OptimizedResBlockDisc1``, ``Generator``, ``Discriminator``, ``ConvMeanPool``,
  ``MeanPoolConv``, ``UpsampleConv``) with ``tflib/ops/conv2d.py``, ``linear.py`` and
  ``batchnorm.py``, at commit fa66c574a54c4916d27c55441d33753dcc78f6bc. Parameters are held
  in tflib's layouts (filters ``(k, k, in, out)``, linear ``W`` as ``(in, out)``), its resampling
  written as it is there (four copies and ``depth_to_space``; the mean of four strided slices).
* SNGAN: pfnet-research/sngan_projection, ``gen_models/resblocks.py``, ``resnet_32.py``,
  ``resnet_64.py``, ``dis_models/resblocks.py``, ``snresnet_32.py``, ``snresnet_64.py`` and
  ``source/functions/max_sv.py``, at commit e84b1a5f604de5fec268f37c3f26478e80b7f475; Chainer's
  layouts are PyTorch's.

ganlib's weights are copied in (every reference parameter exactly once, with its shape), the
same inputs go to both in float64, and outputs and every gradient must agree.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.utils import parametrize

from ganlib.models import get_model
from tests.reference._tools import assert_same_function, copy_into_reference, identity, parameter_count

# --- tflib (WGAN-GP) -----------------------------------------------------------------------


def _tf_filters(t: Tensor) -> Tensor:  # torch (out, in, k, k) -> tflib (k, k, in, out)
    return t.permute(2, 3, 1, 0)


def _tf_linear(t: Tensor) -> Tensor:  # torch (out, in) -> tflib (in, out)
    return t.t()


def _tf_conv(p: dict[str, Tensor], name: str, x: Tensor) -> Tensor:
    filters = p[f"{name}.Filters"]
    return F.conv2d(x, filters.permute(3, 2, 0, 1), p[f"{name}.Biases"], padding=filters.shape[0] // 2)


def _tf_batchnorm(p: dict[str, Tensor], name: str, x: Tensor) -> Tensor:
    # tf.nn.fused_batch_norm in training mode, axes [0, 2, 3], epsilon 1e-5
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * p[f"{name}.scale"].view(1, -1, 1, 1) + p[f"{name}.offset"].view(1, -1, 1, 1)


def _tf_mean_pool(x: Tensor) -> Tensor:
    return (x[:, :, ::2, ::2] + x[:, :, 1::2, ::2] + x[:, :, ::2, 1::2] + x[:, :, 1::2, 1::2]) / 4.0


def _tf_depth_to_space_up(x: Tensor) -> Tensor:
    n, c, h, w = x.shape
    nhwc = torch.cat([x, x, x, x], dim=1).permute(0, 2, 3, 1)
    nhwc = nhwc.reshape(n, h, w, 2, 2, c).permute(0, 1, 3, 2, 4, 5).reshape(n, 2 * h, 2 * w, c)
    return nhwc.permute(0, 3, 1, 2)


def _wgangp_shapes(dim_g: int, dim_d: int, channels: int = 3) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {"Generator.Input.W": (128, 16 * dim_g), "Generator.Input.b": (16 * dim_g,)}

    def conv(name: str, k: int, cin: int, cout: int) -> None:
        shapes[f"{name}.Filters"], shapes[f"{name}.Biases"] = (k, k, cin, cout), (cout,)

    for i in (1, 2, 3):
        shapes[f"Generator.{i}.N1.offset"] = shapes[f"Generator.{i}.N1.scale"] = (dim_g,)
        shapes[f"Generator.{i}.N2.offset"] = shapes[f"Generator.{i}.N2.scale"] = (dim_g,)
        conv(f"Generator.{i}.Shortcut", 1, dim_g, dim_g)  # resample='up': a learned shortcut
        conv(f"Generator.{i}.Conv1", 3, dim_g, dim_g)
        conv(f"Generator.{i}.Conv2", 3, dim_g, dim_g)
    shapes["Generator.OutputN.offset"] = shapes["Generator.OutputN.scale"] = (dim_g,)
    conv("Generator.Output", 3, dim_g, channels)
    conv("Discriminator.1.Shortcut", 1, channels, dim_d)
    conv("Discriminator.1.Conv1", 3, channels, dim_d)
    conv("Discriminator.1.Conv2", 3, dim_d, dim_d)
    conv("Discriminator.2.Shortcut", 1, dim_d, dim_d)
    for i in (2, 3, 4):
        conv(f"Discriminator.{i}.Conv1", 3, dim_d, dim_d)
        conv(f"Discriminator.{i}.Conv2", 3, dim_d, dim_d)
    shapes["Discriminator.Output.W"], shapes["Discriminator.Output.b"] = (dim_d, 1), (1,)
    return shapes


def _tf_names(net: str):
    """Map ganlib's parameter names to tflib's (``Generator.2.Conv1.Filters``) and their layouts."""

    def name_of(ours: str):
        parts = ours.split(".")
        weight = parts[-1] == "weight"
        if parts[0] in ("project", "score"):
            layer = "Generator.Input" if parts[0] == "project" else "Discriminator.Output"
            return (f"{layer}.W", _tf_linear) if weight else (f"{layer}.b", identity)
        if parts[0] == "out":
            layer = {"0": "Generator.OutputN", "2": "Generator.Output"}[parts[1]]
        else:  # blocks.{i}.{layer}
            layer = f"{net}.{int(parts[1]) + 1}." + {"norm1": "N1", "norm2": "N2", "conv1": "Conv1", "conv2": "Conv2", "shortcut": "Shortcut"}[parts[2]]
        if layer.endswith(("N1", "N2", "OutputN")):
            return f"{layer}.{'scale' if weight else 'offset'}", identity
        return (f"{layer}.Filters", _tf_filters) if weight else (f"{layer}.Biases", identity)

    return name_of


_generator_names, _critic_names = _tf_names("Generator"), _tf_names("Discriminator")


def _wgangp_residual_block(p: dict[str, Tensor], name: str, x: Tensor, resample: str | None, dim_in: int, dim_out: int, generator: bool) -> Tensor:
    if resample == "down":
        shortcut = _tf_mean_pool(_tf_conv(p, f"{name}.Shortcut", x))  # ConvMeanPool
    elif resample == "up":
        shortcut = _tf_conv(p, f"{name}.Shortcut", _tf_depth_to_space_up(x))  # UpsampleConv
    else:
        shortcut = x if dim_in == dim_out else _tf_conv(p, f"{name}.Shortcut", x)
    normalize = (lambda n, t: _tf_batchnorm(p, n, t)) if generator else (lambda n, t: t)  # NORMALIZATION_D = False
    h = F.relu(normalize(f"{name}.N1", x))
    h = _tf_conv(p, f"{name}.Conv1", _tf_depth_to_space_up(h) if resample == "up" else h)
    h = F.relu(normalize(f"{name}.N2", h))
    h = _tf_conv(p, f"{name}.Conv2", h)
    if resample == "down":
        h = _tf_mean_pool(h)
    return shortcut + h


def _wgangp_generator(p: dict[str, Tensor], z: Tensor, dim_g: int) -> Tensor:
    h = (z @ p["Generator.Input.W"] + p["Generator.Input.b"]).reshape(-1, dim_g, 4, 4)
    for i in (1, 2, 3):
        h = _wgangp_residual_block(p, f"Generator.{i}", h, "up", dim_g, dim_g, generator=True)
    h = F.relu(_tf_batchnorm(p, "Generator.OutputN", h))
    return torch.tanh(_tf_conv(p, "Generator.Output", h))


def _wgangp_critic(p: dict[str, Tensor], x: Tensor, dim_d: int) -> Tensor:
    shortcut = _tf_conv(p, "Discriminator.1.Shortcut", _tf_mean_pool(x))  # MeanPoolConv
    h = _tf_mean_pool(_tf_conv(p, "Discriminator.1.Conv2", F.relu(_tf_conv(p, "Discriminator.1.Conv1", x))))
    h = shortcut + h
    h = _wgangp_residual_block(p, "Discriminator.2", h, "down", dim_d, dim_d, generator=False)
    h = _wgangp_residual_block(p, "Discriminator.3", h, None, dim_d, dim_d, generator=False)
    h = _wgangp_residual_block(p, "Discriminator.4", h, None, dim_d, dim_d, generator=False)
    h = F.relu(h).mean(dim=(2, 3))
    return (h @ p["Discriminator.Output.W"] + p["Discriminator.Output.b"]).reshape(-1)


def test_wgangp_resnet_parameter_counts_equal_the_reference():
    shapes = _wgangp_shapes(128, 128)
    generator = get_model("wgangp-resnet-generator", image_size=32, channels=3)
    critic = get_model("wgangp-resnet-critic", image_size=32, channels=3)
    ours_g = sum(p.numel() for p in generator.parameters())
    ours_d = sum(p.numel() for p in critic.parameters())
    assert ours_g == parameter_count({k: v for k, v in shapes.items() if k.startswith("Generator")}) == 1_204_483
    assert ours_d == parameter_count({k: v for k, v in shapes.items() if k.startswith("Discriminator")}) == 1_053_825


def test_wgangp_resnet_generator_equals_the_reference():
    torch.manual_seed(0)
    dim = 8
    generator = get_model("wgangp-resnet-generator", image_size=32, channels=3, width=dim).double().train()
    shapes = {k: v for k, v in _wgangp_shapes(dim, dim).items() if k.startswith("Generator")}
    shapes["Generator.Input.W"] = (128, 16 * dim)
    params = copy_into_reference(generator, shapes, _generator_names)
    z = torch.randn(5, 128, dtype=torch.float64)
    assert_same_function(generator, params, _generator_names, generator(z), _wgangp_generator(params, z, dim))


def test_wgangp_resnet_critic_equals_the_reference():
    torch.manual_seed(1)
    dim = 8
    critic = get_model("wgangp-resnet-critic", image_size=32, channels=3, width=dim).double()
    shapes = {k: v for k, v in _wgangp_shapes(dim, dim).items() if k.startswith("Discriminator")}
    params = copy_into_reference(critic, shapes, _critic_names)
    x = torch.randn(4, 3, 32, 32, dtype=torch.float64, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    # with the input gradient a penalty uses
    assert_same_function(critic, params, _critic_names, critic(x), _wgangp_critic(params, x_ref, dim), (x, x_ref))


# --- Chainer (SNGAN) -----------------------------------------------------------------------


def _chainer_upsample(x: Tensor) -> Tensor:  # F.unpooling_2d(x, 2, outsize=(2h, 2w))
    return x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)


def _chainer_max_sv(w: Tensor, u: Tensor) -> Tensor:
    """``max_singular_value(W, u, Ip=1)``: v from u, then u from v; sigma = (u W) . v, u and v constants."""
    with torch.no_grad():
        v = F.normalize(u @ w, dim=1, eps=1e-12)
        u = F.normalize(v @ w.t(), dim=1, eps=1e-12)
    return ((u @ w) * v).sum()


class _Chainer:
    """SNGAN's networks over a table of Chainer-named parameters; ``u`` holds each SN layer's vector."""

    def __init__(self, params: dict[str, Tensor], u: dict[str, Tensor], bn_eps: float) -> None:
        self.p, self.u, self.eps = params, u, bn_eps

    def w(self, name: str) -> Tensor:
        w = self.p[f"{name}.W"]
        if name not in self.u:
            return w
        return w / _chainer_max_sv(w.reshape(w.shape[0], -1), self.u[name])

    def conv(self, name: str, x: Tensor) -> Tensor:
        w = self.w(name)
        return F.conv2d(x, w, self.p.get(f"{name}.b"), padding=w.shape[2] // 2)

    def linear(self, name: str, x: Tensor) -> Tensor:
        return F.linear(x, self.w(name), self.p.get(f"{name}.b"))

    def bn(self, name: str, x: Tensor) -> Tensor:
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps) * self.p[f"{name}.gamma"].view(1, -1, 1, 1) + self.p[f"{name}.beta"].view(1, -1, 1, 1)

    def gen_block(self, name: str, x: Tensor) -> Tensor:  # gen_models/resblocks.py Block, upsample=True
        h = self.conv(f"{name}.c1", _chainer_upsample(F.relu(self.bn(f"{name}.b1", x))))
        h = self.conv(f"{name}.c2", F.relu(self.bn(f"{name}.b2", h)))
        return h + self.conv(f"{name}.c_sc", _chainer_upsample(x))

    def dis_block(self, name: str, x: Tensor, downsample: bool) -> Tensor:  # dis_models/resblocks.py Block
        h = self.conv(f"{name}.c2", F.relu(self.conv(f"{name}.c1", F.relu(x))))
        learnable = f"{name}.c_sc.W" in self.p
        sc = self.conv(f"{name}.c_sc", x) if learnable else x
        if downsample:
            h, sc = F.avg_pool2d(h, 2), F.avg_pool2d(sc, 2)
        return h + sc

    def optimized_block(self, name: str, x: Tensor) -> Tensor:
        h = F.avg_pool2d(self.conv(f"{name}.c2", F.relu(self.conv(f"{name}.c1", x))), 2)
        return h + self.conv(f"{name}.c_sc", F.avg_pool2d(x, 2))

    def generator(self, z: Tensor, blocks: int, bottom: int = 4) -> Tensor:
        h = self.linear("l1", z).reshape(z.shape[0], -1, bottom, bottom)
        for i in range(blocks):
            h = self.gen_block(f"block{i + 2}", h)
        last = blocks + 2
        return torch.tanh(self.conv(f"c{last}", F.relu(self.bn(f"b{last}", h))))

    def critic(self, x: Tensor, downsamples: list[bool]) -> Tensor:
        h = self.optimized_block("block1", x)
        for i, down in enumerate(downsamples):
            h = self.dis_block(f"block{i + 2}", h, down)
        h = F.relu(h).sum(dim=(2, 3))  # F.sum(h, axis=(2, 3)): global sum pooling
        return self.linear(f"l{len(downsamples) + 2}", h)


def _sngan_generator_shapes(widths: list[int], dim_z: int, channels: int) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {"l1.W": (16 * widths[0], dim_z), "l1.b": (16 * widths[0],)}
    for i, (cin, cout) in enumerate(zip(widths, widths[1:], strict=False)):
        name = f"block{i + 2}"
        shapes |= {f"{name}.b1.gamma": (cin,), f"{name}.b1.beta": (cin,), f"{name}.b2.gamma": (cout,), f"{name}.b2.beta": (cout,)}
        shapes |= {f"{name}.c1.W": (cout, cin, 3, 3), f"{name}.c1.b": (cout,), f"{name}.c2.W": (cout, cout, 3, 3), f"{name}.c2.b": (cout,)}
        shapes |= {f"{name}.c_sc.W": (cout, cin, 1, 1), f"{name}.c_sc.b": (cout,)}  # learnable_sc: upsample=True
    last = len(widths) + 1
    shapes |= {f"b{last}.gamma": (widths[-1],), f"b{last}.beta": (widths[-1],), f"c{last}.W": (channels, widths[-1], 3, 3), f"c{last}.b": (channels,)}
    return shapes


def _sngan_critic_shapes(blocks: list[tuple[int, int, bool]], channels: int, score_bias: bool) -> dict[str, tuple[int, ...]]:
    first = blocks[0][0]
    shapes: dict[str, tuple[int, ...]] = {
        "block1.c1.W": (first, channels, 3, 3), "block1.c1.b": (first,), "block1.c2.W": (first, first, 3, 3), "block1.c2.b": (first,),
        "block1.c_sc.W": (first, channels, 1, 1), "block1.c_sc.b": (first,),
    }
    cin = first
    for i, (_, cout, down) in enumerate(blocks[1:]):
        name = f"block{i + 2}"  # hidden_channels = in_channels
        shapes |= {f"{name}.c1.W": (cin, cin, 3, 3), f"{name}.c1.b": (cin,), f"{name}.c2.W": (cout, cin, 3, 3), f"{name}.c2.b": (cout,)}
        if cin != cout or down:
            shapes |= {f"{name}.c_sc.W": (cout, cin, 1, 1), f"{name}.c_sc.b": (cout,)}
        cin = cout
    last = f"l{len(blocks) + 1}"
    shapes[f"{last}.W"] = (1, cin)
    if score_bias:
        shapes[f"{last}.b"] = (1,)
    return shapes


_SN_LEAF = {"original": "W", "weight": "W", "bias": "b"}


def _chainer_generator_name(blocks: int):
    def name_of(ours: str):
        parts = ours.split(".")
        if parts[0] == "project":
            return f"l1.{_SN_LEAF[parts[-1]]}", identity
        if parts[0] == "out":
            last = blocks + 2
            layer = {"0": f"b{last}", "2": f"c{last}"}[parts[1]]
        else:
            layer = f"block{int(parts[1]) + 2}." + {"norm1": "b1", "norm2": "b2", "conv1": "c1", "conv2": "c2", "shortcut": "c_sc"}[parts[2]]
        if layer.split(".")[-1].startswith("b"):
            return f"{layer}.{'gamma' if parts[-1] == 'weight' else 'beta'}", identity
        return f"{layer}.{_SN_LEAF[parts[-1]]}", identity

    return name_of


def _chainer_critic_name(blocks: int):
    def name_of(ours: str):
        parts = ours.split(".")
        if parts[0] == "score":
            return f"l{blocks + 1}.{_SN_LEAF[parts[-1]]}", identity
        layer = f"block{int(parts[1]) + 1}." + {"conv1": "c1", "conv2": "c2", "shortcut": "c_sc"}[parts[2]]
        return f"{layer}.{_SN_LEAF[parts[-1]]}", identity

    return name_of


def _exact_singular_vectors(model: torch.nn.Module) -> dict[str, Tensor]:
    """Set each spectrally normalized layer's ``v`` to its weight's exact top right singular
    vector (the power iteration's fixed point); return the matching ``u`` for Chainer, by ganlib name."""
    vectors = {}
    with torch.no_grad():
        for name, m in model.named_modules():
            if parametrize.is_parametrized(m, "weight"):
                sn = m.parametrizations.weight[0]
                original = m.parametrizations.weight.original
                u, _, vh = torch.linalg.svd(original.reshape(original.shape[0], -1).double(), full_matrices=False)
                sn._v.copy_(vh[0])
                sn._u.copy_(u[:, 0])
                vectors[name] = u[:, 0].view(1, -1).clone()
    return vectors


@pytest.mark.parametrize(
    ("image_size", "width", "widths", "count"),
    [(32, 256, [256, 256, 256, 256], 4_276_739), (64, 64, [1024, 512, 256, 128, 64], 12_220_675)],
)
def test_sngan_generator_parameter_counts_equal_the_reference(image_size, width, widths, count):
    generator = get_model("sngan-resnet-generator", image_size=image_size, channels=3)
    assert generator.config["width"] == width
    assert sum(p.numel() for p in generator.parameters()) == parameter_count(_sngan_generator_shapes(widths, 128, 3)) == count


@pytest.mark.parametrize(("image_size", "ch"), [(32, 4), (64, 2)])
def test_sngan_generator_equals_the_reference(image_size, ch):
    torch.manual_seed(2)
    generator = get_model("sngan-resnet-generator", image_size=image_size, channels=3, width=ch).double().train()
    widths = [ch] * 4 if image_size == 32 else [16 * ch, 8 * ch, 4 * ch, 2 * ch, ch]  # resnet_32.py; resnet_64.py
    blocks = len(widths) - 1
    params = copy_into_reference(generator, _sngan_generator_shapes(widths, 128, 3), _chainer_generator_name(blocks))
    reference = _Chainer(params, {}, bn_eps=1e-5)  # deliberate: PyTorch's BatchNorm epsilon (Chainer's default is 2e-5)
    z = torch.randn(4, 128, dtype=torch.float64)
    assert_same_function(generator, params, _chainer_generator_name(blocks), generator(z), reference.generator(z, blocks))


def _sngan_critic_layout(image_size: int, ch: int) -> tuple[list[tuple[int, int, bool]], bool]:
    if image_size == 32:  # snresnet_32.py: OptimizedBlock(3, ch), Block(ch, ch, down), Block(ch, ch) x 2, SNLinear(nobias=True)
        return [(ch, ch, True), (ch, ch, True), (ch, ch, False), (ch, ch, False)], False
    widths = [ch, 2 * ch, 4 * ch, 8 * ch, 16 * ch]  # snresnet_64.py: four halving Blocks after the optimized one, SNLinear with bias
    return [(widths[0], widths[0], True)] + [(a, b, True) for a, b in zip(widths, widths[1:], strict=False)], True


@pytest.mark.parametrize(("image_size", "count"), [(32, 1_053_824), (64, 10_141_441)])
def test_sngan_critic_parameter_counts_equal_the_reference(image_size, count):
    critic = get_model("sngan-resnet-critic", image_size=image_size, channels=3)
    blocks, bias = _sngan_critic_layout(image_size, critic.config["width"])
    assert sum(p.numel() for p in critic.parameters()) == parameter_count(_sngan_critic_shapes(blocks, 3, bias)) == count


@pytest.mark.parametrize(("image_size", "ch"), [(32, 4), (64, 2)])
def test_sngan_critic_equals_the_reference(image_size, ch):
    torch.manual_seed(3)
    critic = get_model("sngan-resnet-critic", image_size=image_size, channels=3, width=ch).double()
    blocks, bias = _sngan_critic_layout(image_size, ch)
    name_of = _chainer_critic_name(len(blocks))
    params = copy_into_reference(critic, _sngan_critic_shapes(blocks, 3, bias), name_of)
    # Spectral norm: PyTorch updates u from v and keeps both, Chainer v from u and keeps u; at the
    # power iteration's fixed point both give the same sigma, so compare there (a deliberate difference before it).
    u = {name_of(f"{name}.parametrizations.weight.original")[0][:-2]: vec for name, vec in _exact_singular_vectors(critic).items()}
    reference = _Chainer(params, u, bn_eps=1e-5)
    x = torch.randn(3, 3, image_size, image_size, dtype=torch.float64, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    theirs = reference.critic(x_ref, [down for _, _, down in blocks[1:]]).reshape(-1)
    assert_same_function(critic, params, name_of, critic(x), theirs, (x, x_ref))


def test_sngan_critic_sums_its_features_so_scores_are_the_means_times_the_map_area():
    torch.manual_seed(4)
    summed = get_model("sngan-resnet-critic", image_size=32, channels=3, width=4, norm="none").eval()
    meaned = get_model("resnet-critic", **{**summed.config, "pooling": "mean"}).eval()
    meaned.load_state_dict(summed.state_dict())
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(summed(x), 64 * meaned(x), rtol=1e-5, atol=1e-6)  # 8x8 features


# --- initialization: gain sqrt(2) on the residual convolutions, 1 elsewhere ----------------------


def _xavier_std(weight: Tensor, gain: float) -> float:
    fan_out, fan_in = weight.shape[0] * weight[0, 0].numel(), weight.shape[1] * weight[0, 0].numel()
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


@pytest.mark.parametrize("name", ["wgangp-resnet-generator", "wgangp-resnet-critic", "sngan-resnet-generator", "sngan-resnet-critic"])
def test_initialization_follows_the_references_gains(name):
    torch.manual_seed(5)
    model = get_model(name, image_size=32, channels=3, **({"norm": "none"} if "critic" in name else {}))
    for layer_name, param in model.named_parameters():
        if param.ndim < 2:
            assert not layer_name.endswith("bias") or torch.count_nonzero(param) == 0 or "norm" in layer_name, layer_name
            continue
        residual = layer_name.split(".")[-2] in ("conv1", "conv2")
        gain = math.sqrt(2.0) if residual else 1.0  # tflib he_init / GlorotUniform(sqrt(2)); shortcuts, input, output: 1
        # a uniform draw's standard deviation, from many weights: within 5% of Xavier's with this gain
        assert abs(param.std().item() / _xavier_std(param, gain) - 1) < 0.05, layer_name
