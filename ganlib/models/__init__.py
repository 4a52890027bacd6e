"""Generators and critics, and the registry that rebuilds them from checkpoints."""

from ganlib.models.dcgan import (
    MAX_IMAGE_SIZE,
    MAX_LATENT_DIM,
    MAX_WIDTH,
    MIN_IMAGE_SIZE,
    DCGANCritic,
    DCGANGenerator,
    dcgan_init_,
)
from ganlib.models.mlp import MLPCritic
from ganlib.models.registry import get_model, list_models, load_generator, model_name, register_model

__all__ = [
    "MAX_IMAGE_SIZE",
    "MAX_LATENT_DIM",
    "MAX_WIDTH",
    "MIN_IMAGE_SIZE",
    "DCGANCritic",
    "DCGANGenerator",
    "MLPCritic",
    "dcgan_init_",
    "get_model",
    "list_models",
    "load_generator",
    "model_name",
    "register_model",
]
