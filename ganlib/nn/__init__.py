"""Neural-network building blocks: pluggable normalization, DCGAN blocks and PGGAN's layers."""

from ganlib.nn.blocks import DownBlock, UpBlock
from ganlib.nn.progressive import EqualizedConv2d, EqualizedLinear, MinibatchStdDev, PixelNorm, fade, he_scale
from ganlib.nn.norm import NORM_NAMES, NORMS, Norm, NormLike, list_norms, norm_name, register_norm, resolve_norm

__all__ = ["NORMS", "NORM_NAMES", "DownBlock", "EqualizedConv2d", "EqualizedLinear", "MinibatchStdDev", "PixelNorm", "fade", "he_scale", "Norm", "NormLike", "UpBlock", "list_norms", "norm_name", "register_norm", "resolve_norm"]
