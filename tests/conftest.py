"""Shared fixtures and the hypothesis profiles.

Profiles: ``ci`` (the default when ``CI`` is set: fewer examples, derandomized so a CI run
is reproducible) and ``dev`` (more examples). Select one with ``HYPOTHESIS_PROFILE``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

torch.set_num_threads(min(2, torch.get_num_threads()))

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO_ROOT.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """The MNIST root that CI provides beside the checkout (``../shared/datasets``)."""
    if not (SHARED_DATASETS / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists():
        pytest.skip(f"MNIST not found in {SHARED_DATASETS}")
    return SHARED_DATASETS
