"""Neural-network building blocks: pluggable normalization and DCGAN blocks."""

from ganlib.nn.blocks import DownBlock, UpBlock
from ganlib.nn.norm import NORM_NAMES, NORMS, Norm, NormLike, list_norms, norm_name, register_norm, resolve_norm

__all__ = ["NORMS", "NORM_NAMES", "DownBlock", "Norm", "NormLike", "UpBlock", "list_norms", "norm_name", "register_norm", "resolve_norm"]
