"""A study on a real two-node Ray cluster on this machine (Ray's own ``cluster_utils.Cluster``):
its cells run on both nodes, and the table is the one-process table."""

import json

import pytest

ray = pytest.importorskip("ray", reason="Ray Tune is an optional extra: pip install 'ganlib[ray]'")

from ganlib.cli import main  # noqa: E402
from ganlib.cli.cells import DONE, read_marker  # noqa: E402


@pytest.fixture
def two_nodes():
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def test_a_study_on_two_nodes_runs_cells_on_both(two_nodes, tmp_path):
    out = tmp_path / "study"  # absolute: with --address every node must see it (here both see this machine's disk)
    argv = ["study", "--data", "ring", "--objectives", "hinge", "--critic-norms", "none", "--seeds", "2", "--iterations", "4", "--eval-every", "2",
            "--width", "8", "--batch-size", "32", "--device", "cpu"]
    assert main([*argv, "--address", two_nodes.address, "--workers", "2", "--out", str(out)]) == 0
    nodes = {read_marker(run, DONE)["node"] for run in (out / "runs").iterdir()}
    assert len(nodes) == 2, "each node ran one of the two cells"
    assert nodes <= {node["NodeID"] for node in ray.nodes()}
    ray.shutdown()
    assert main([*argv, "--workers", "1", "--out", str(tmp_path / "here")]) == 0
    there, here = (json.loads((d / "table.json").read_text()) for d in (out, tmp_path / "here"))
    assert [(r["config"], r["final"]) for r in there] == [(r["config"], r["final"]) for r in here]
