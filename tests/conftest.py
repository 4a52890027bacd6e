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


if os.environ.get("GANLIB_DATA"):
    # Absolute, so that tests that change the working directory (and the processes they start)
    # still find it.
    os.environ["GANLIB_DATA"] = str(Path(os.environ["GANLIB_DATA"]).expanduser().resolve())


def torchrun(*target: str) -> list[str]:
    """The command that launches ``target`` (a script, or ``-m module``) on two local processes
    through torchrun's multi-node launch (a c10d rendezvous on a free port of this machine)."""
    import socket
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return [
        sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2",
        "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}", *target,
    ]


def _mnist_candidates() -> list[Path]:
    """Where the tests look for MNIST: ``$GANLIB_DATA`` (as the library does), then the
    ``../shared/datasets`` that CI provides beside the checkout."""
    named = os.environ.get("GANLIB_DATA")
    return [*([Path(named).expanduser()] if named else []), SHARED_DATASETS]


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """A directory holding ``MNIST/raw``; the test is skipped when there is none."""
    for root in _mnist_candidates():
        if (root / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists():
            return root
    pytest.skip(f"MNIST not found in {' or '.join(map(str, _mnist_candidates()))}; set GANLIB_DATA to the directory holding MNIST/raw")
