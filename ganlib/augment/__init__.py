"""Differentiable augmentation of the critic's inputs: the seam, and the augmentations registered on it."""

from ganlib.augment.ada import AdaptiveAugment
from ganlib.augment.base import AUGMENTATIONS, Augment, register_augment
from ganlib.augment.diffaugment import DiffAugment, color, cutout, translate

__all__ = ["AUGMENTATIONS", "AdaptiveAugment", "Augment", "DiffAugment", "color", "cutout", "register_augment", "translate"]
