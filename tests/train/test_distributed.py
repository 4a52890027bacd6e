"""Multi-process training on the CPU (gloo, 2 processes): the penalty through DDP, exact resume, failures.

The equivalence test is the one that catches a penalty computed outside DDP or a double
all-reduce: 2 processes at batch 16 must end with the parameters of 1 process at batch 32
fed the same images and noise.
"""

import os
import socket
import subprocess
import sys

import pytest
import torch
import torch.multiprocessing as mp

from tests.conftest import REPO_ROOT
from tests.train import distributed_worker

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not available")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    mp.spawn(distributed_worker.run_scenarios, args=(2, _free_port(), str(out)), nprocs=2, join=True)
    return out, [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(2)]


def _close(a, b, atol=2e-5):
    return all(torch.allclose(x, y, rtol=1e-4, atol=atol) for x, y in zip(a, b, strict=True))


def test_two_processes_at_batch_16_equal_one_process_at_batch_32(two_ranks):
    _, results = two_ranks
    torch.set_num_threads(1)
    single = distributed_worker.make_trainer(None)
    single.fit(3)
    expected = distributed_worker.parameters(single)
    worst = max((x - y).abs().max().item() for x, y in zip(results[0]["equivalence"], expected, strict=True))
    print(f"largest parameter difference, 2 x 16 vs 1 x 32 after 3 iterations: {worst:.2g}")
    assert _close(results[0]["equivalence"], expected)


def test_parameters_are_identical_on_every_rank(two_ranks):
    _, results = two_ranks
    for key in ("equivalence", "straight", "resumed"):
        assert all(torch.equal(a, b) for a, b in zip(results[0][key], results[1][key], strict=True)), key


def test_sigterm_on_one_rank_stops_every_rank_at_the_same_iteration(two_ranks):
    out, results = two_ranks
    assert [r["stopped_at"] for r in results] == [2, 2]
    assert results[0]["exit_code"] == 143
    assert sorted(os.listdir(out / "run" / "checkpoints")) == ["latest.pt"]


def test_only_rank_0_writes_logs(two_ranks):
    out, _ = two_ranks
    assert (out / "logs-rank0" / "metrics.jsonl").is_file()
    assert not (out / "logs-rank1").exists()


def test_a_resumed_two_process_run_equals_the_uninterrupted_one(two_ranks):
    _, results = two_ranks
    for rank in range(2):
        assert all(torch.equal(a, b) for a, b in zip(results[rank]["resumed"], results[rank]["straight"], strict=True))


def test_a_failing_rank_ends_the_job_with_its_error(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(_free_port()),
        str(REPO_ROOT / "tests" / "train" / "distributed_worker.py"), "fail", str(tmp_path),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "rank 1 failed on purpose" in result.stdout + result.stderr


# Sharding checks and DataLoader passes, in one process (no process group needed).


def test_tensor_batches_sharded_for_another_process_count_are_refused():
    from ganlib.data import TensorBatches
    from ganlib.train.feed import check_sharding

    with pytest.raises(ValueError, match=r"TensorBatches\(rank=0, world_size=1\) in process 1 of 2; pass rank=1, world_size=2"):
        check_sharding(TensorBatches(torch.zeros(8, 1, 4, 4), 2), rank=1, world_size=2)
    check_sharding(TensorBatches(torch.zeros(8, 1, 4, 4), 2, rank=1, world_size=2), rank=1, world_size=2)


def test_a_data_loader_without_a_distributed_sampler_is_warned_about():
    import warnings

    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data.distributed import DistributedSampler

    from ganlib.train.feed import check_sharding

    dataset = TensorDataset(torch.zeros(8, 1, 4, 4))
    with pytest.warns(RuntimeWarning, match="sampler is a RandomSampler, so every process reads the same batches"):
        check_sharding(DataLoader(dataset, batch_size=2, shuffle=True), rank=0, world_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_sharding(DataLoader(dataset, batch_size=2, sampler=DistributedSampler(dataset, num_replicas=2, rank=0)), rank=0, world_size=2)


def test_every_pass_of_a_data_loader_is_told_its_epoch():
    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data.distributed import DistributedSampler

    from ganlib.train.feed import IterableFeed

    dataset = TensorDataset(torch.arange(8.0).reshape(8, 1))
    sampler = DistributedSampler(dataset, num_replicas=2, rank=0, shuffle=True, seed=0)
    feed = IterableFeed(DataLoader(dataset, batch_size=2, sampler=sampler), torch.device("cpu"))
    passes = [[feed.draw()[0].flatten().tolist() for _ in range(2)] for _ in range(3)]  # 4 samples per rank: 2 batches a pass
    assert sampler.epoch == 2
    expected = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        order = [float(i) for i in sampler]
        expected.append([order[:2], order[2:]])
    assert passes == expected and passes[0] != passes[1]
