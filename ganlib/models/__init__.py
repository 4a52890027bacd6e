"""Generator and critic networks."""

from ganlib.models.dcgan import (
    MAX_IMAGE_SIZE,
    MIN_IMAGE_SIZE,
    DCGANCritic,
    DCGANGenerator,
    dcgan_init_,
)
from ganlib.models.mlp import MLPCritic

__all__ = [
    "MAX_IMAGE_SIZE",
    "MIN_IMAGE_SIZE",
    "DCGANCritic",
    "DCGANGenerator",
    "MLPCritic",
    "dcgan_init_",
]
