"""Differentiable augmentation of the critic's inputs: the seam, and the augmentations registered on it."""

from ganlib.augment.base import AUGMENTATIONS, Augment, register_augment

__all__ = ["AUGMENTATIONS", "Augment", "register_augment"]
