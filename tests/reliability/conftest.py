"""Fixtures of the reliability tests."""

import multiprocessing

import pytest


@pytest.fixture(scope="session")
def forked():
    """A multiprocessing context whose processes fork from a server that has imported torch (with
    torch._dynamo, which the optimizers import), torchvision, the CLI and the tiny run: a child trains within a
    tenth of a second, where a fresh interpreter spends seconds importing. So a kill lands in
    training, not in an import, and two processes started together race for real."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "torch._dynamo", "torchvision", "ganlib.cli", "tests.reliability.tiny_run"])
    return context
