"""The tutorial's "what the script builds": the GAN by hand trains, and equals what the
command builds for the same settings (same networks, objective and optimizers)."""

import pytest

from tests.examples.helpers import load_example


@pytest.fixture(scope="module")
def example():
    return load_example("wgan_gp_by_hand")


def test_the_gan_by_hand_trains_and_writes_a_run(example, mnist_root, tmp_path):
    trainer = example.build(str(mnist_root), image_size=16, width=4, batch_size=16, out=str(tmp_path))
    trainer.fit(2)
    assert trainer.iteration == 2 and trainer.critic_steps == 10
    assert (tmp_path / "metrics.jsonl").is_file() and (tmp_path / "curves.png").is_file()
    assert trainer.objective.name == "wasserstein+gp" and trainer.objective.penalties[0].weight == 10.0
    group = trainer.critic_optimizer.param_groups[0]
    assert (group["lr"], group["betas"]) == (1e-4, (0.0, 0.9))
