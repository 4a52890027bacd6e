import os
import random

import numpy as np
import pytest
import torch

from ganlib import checkpoint as checkpoint_module
from ganlib.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from ganlib.models import load_generator
from ganlib.train import get_rng_state, set_rng_state

from tests.train.helpers import tiny_trainer


def test_save_and_load_round_trip(tmp_path):
    state = {"x": torch.arange(3), "n": 4, "nested": {"t": (1, 2.5, None, "s")}}
    path = save_checkpoint(state, tmp_path / "a" / "ckpt.pt")
    loaded = load_checkpoint(path)
    assert torch.equal(loaded["x"], state["x"]) and loaded["nested"] == state["nested"]


def test_checkpoints_get_ordinary_file_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        path = save_checkpoint({"x": 1}, tmp_path / "c.pt")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_crash_mid_write_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "latest.pt"
    save_checkpoint({"version": 1}, path)

    def torn_save(obj, handle):
        handle.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_module.torch, "save", torn_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint({"version": 2}, path)
    monkeypatch.undo()
    assert load_checkpoint(path) == {"version": 1}
    assert os.listdir(tmp_path) == ["latest.pt"]  # no temporary file left behind


def test_loading_refuses_pickled_code(tmp_path):
    path = tmp_path / "evil.pt"

    class Payload:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    torch.save({"payload": Payload()}, path)
    with pytest.raises(ValueError, match="was refused: it holds Python objects other than tensors"):
        load_checkpoint(path)


def test_the_trainer_state_loads_with_weights_only(tmp_path):
    trainer = tiny_trainer(ema=0.9)
    trainer.fit(1)
    save_checkpoint(trainer.state_dict(), tmp_path / "checkpoints" / "latest.pt")
    assert load_checkpoint(tmp_path)["iteration"] == 1


def test_rng_states_round_trip():
    state = get_rng_state()
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.rand(5), np.random.rand(5), random.random()
    set_rng_state(state)
    got = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(expected[0], got[0]) and np.array_equal(expected[1], got[1]) and expected[2] == got[2]


def test_find_checkpoint_accepts_a_run_dir_or_a_file_and_explains_otherwise(tmp_path):
    path = save_checkpoint({}, tmp_path / "checkpoints" / "latest.pt")
    assert find_checkpoint(tmp_path) == path == find_checkpoint(path)
    with pytest.raises(FileNotFoundError, match="checkpoints/latest.pt"):
        find_checkpoint(tmp_path / "missing")


def test_load_generator_prefers_the_ema_and_says_so(tmp_path):
    trainer = tiny_trainer(ema=0.5)
    trainer.fit(2)
    save_checkpoint(trainer.state_dict(), tmp_path / "c.pt")
    generator, used_ema = load_generator(tmp_path / "c.pt")
    assert used_ema and not generator.training
    for a, b in zip(generator.parameters(), trainer.ema.module.parameters(), strict=True):
        assert torch.equal(a, b)
    raw, used_ema = load_generator(tmp_path / "c.pt", use_ema=False)
    assert not used_ema
    assert all(torch.equal(a, b) for a, b in zip(raw.parameters(), trainer.generator.parameters(), strict=True))


def test_load_generator_explains_a_foreign_checkpoint(tmp_path):
    save_checkpoint({"generator": {}}, tmp_path / "c.pt")
    with pytest.raises(ValueError, match="does not describe a registered generator"):
        load_generator(tmp_path / "c.pt")
