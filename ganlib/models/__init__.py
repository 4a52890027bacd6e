"""Generators and critics, and the registry that rebuilds them from checkpoints.

* DCGAN (:mod:`~ganlib.models.dcgan`) and its 5x5 homework variant (:mod:`~ganlib.models.dcgan5`);
* MLPs for toy data and the course's vanilla GAN (:mod:`~ganlib.models.mlp`);
* an autoencoder critic for EBGAN and BEGAN (:mod:`~ganlib.models.autoencoder`);
* class-conditional DCGANs with a projection critic (:mod:`~ganlib.models.conditional`);
* residual models: the WGAN-GP paper's and SNGAN's ResNets (:mod:`~ganlib.models.resnet`) and
  an R3GAN-style backbone (:mod:`~ganlib.models.r3gan`);
* latent-space walks (:mod:`~ganlib.models.latent`) and sampling (:mod:`~ganlib.models.sampling`).

Every model is registered by name (:func:`register_model`); ``python -m ganlib train``
builds any of them (``--generator NAME --critic NAME``, or ``--model FAMILY`` for
``FAMILY-generator`` and ``FAMILY-critic``).
"""

from ganlib.models.autoencoder import AutoencoderCritic
from ganlib.models.conditional import ConditionalDCGANGenerator, ProjectionCritic
from ganlib.models.dcgan import (
    MAX_IMAGE_SIZE,
    MAX_LATENT_DIM,
    MAX_WIDTH,
    MIN_IMAGE_SIZE,
    DCGANCritic,
    DCGANGenerator,
    dcgan_init_,
)
from ganlib.models.dcgan5 import DCGAN5Critic, DCGAN5Generator
from ganlib.models.latent import interpolate_latents, slerp
from ganlib.models.resnet import ResNetCritic, ResNetGenerator, sngan_resnet_critic, sngan_resnet_generator
from ganlib.models.lapgan import LaplacianCritic, LaplacianGenerator, LaplacianPyramid
from ganlib.models.mlp import ACTIVATIONS, MLPCritic, MLPGenerator, course_mlp
from ganlib.models.pggan import ProgressiveCritic, ProgressiveGenerator
from ganlib.models.r3gan import R3GANCritic, R3GANGenerator, ResidualBottleneck
from ganlib.models.registry import (
    MODELS,
    ModelContext,
    build_model,
    get_model,
    list_models,
    model_name,
    model_role,
    model_spec,
    register_model,
)
from ganlib.models.sampling import generate_samples, sample_noise
from ganlib.checkpoint import load_generator, read_pyramid, save_pyramid  # reading a checkpoint is the checkpoint module's job

__all__ = [
    "ACTIVATIONS",
    "MODELS",
    "MAX_IMAGE_SIZE",
    "MAX_LATENT_DIM",
    "MAX_WIDTH",
    "MIN_IMAGE_SIZE",
    "AutoencoderCritic",
    "ConditionalDCGANGenerator",
    "DCGAN5Critic",
    "DCGAN5Generator",
    "DCGANCritic",
    "DCGANGenerator",
    "LaplacianCritic",
    "LaplacianGenerator",
    "LaplacianPyramid",
    "MLPCritic",
    "MLPGenerator",
    "ModelContext",
    "ProjectionCritic",
    "ProgressiveCritic",
    "ProgressiveGenerator",
    "R3GANCritic",
    "R3GANGenerator",
    "ResNetCritic",
    "ResNetGenerator",
    "ResidualBottleneck",
    "build_model",
    "course_mlp",
    "dcgan_init_",
    "generate_samples",
    "get_model",
    "interpolate_latents",
    "list_models",
    "load_generator",
    "model_name",
    "model_role",
    "model_spec",
    "read_pyramid",
    "register_model",
    "sample_noise",
    "save_pyramid",
    "slerp",
    "sngan_resnet_critic",
    "sngan_resnet_generator",
]
