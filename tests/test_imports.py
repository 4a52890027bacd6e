"""The house's imports: one way only (no circles), and light parts that stay light."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "ganlib"


def _modules_after(statement):
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    return set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every ganlib module and the ganlib modules it imports, anywhere in its code: in functions,
    and under ``if TYPE_CHECKING:`` too (an import for annotations only is still a way in)."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                base = node.module
                targets.add(base)
                targets |= {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules}
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_imports_have_no_circle():
    graph = import_graph()
    assert {"ganlib.train.trainer", "ganlib.train.capture", "ganlib.losses.penalties"} <= set(graph)
    assert find_circle(graph) is None, " -> ".join(find_circle(graph) or [])


def test_the_circle_finder_finds_a_planted_circle():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


def test_capture_knows_nothing_of_the_trainer():
    assert not {m for m in import_graph()["ganlib.train.capture"] if m.startswith("ganlib.train.trainer")}


def test_the_callback_api_the_step_schedule_and_the_checkpoint_state_name_no_trainer():
    # Each reads the loop through a small protocol of its own (Loop, Steps, Checkpointed).
    graph = import_graph()
    for module in ("ganlib.train.callback", "ganlib.train.schedule", "ganlib.train.state", *(m for m in graph if m.startswith("ganlib.train.callbacks"))):
        assert "ganlib.train.trainer" not in graph[module], module


def test_the_losses_need_neither_torchvision_nor_the_trainer():
    modules = _modules_after("import ganlib.losses")
    assert "ganlib.losses" in modules
    assert not {m for m in modules if m.startswith(("torchvision", "ganlib.train", "ganlib.metrics", "ganlib.data", "matplotlib"))}


def test_the_metric_functions_need_neither_torchvision_nor_the_trainer():
    for statement in ("import ganlib.metrics.functional", "import ganlib.metrics"):
        modules = _modules_after(statement)
        assert not {m for m in modules if m.startswith(("torchvision", "ganlib.train", "ganlib.data", "matplotlib"))}, statement


def test_the_run_rules_and_the_exceptions_are_light():
    assert not {m for m in _modules_after("import ganlib.errors") if m.startswith("ganlib.") and m != "ganlib.errors"}
    loaded = _modules_after("import ganlib.runs")
    assert not {m for m in loaded if m.startswith(("ganlib.train", "ganlib.models", "torchvision"))}


def test_importing_ganlib_imports_no_subpackage_until_it_is_used():
    modules = _modules_after("import ganlib")
    assert not {m for m in modules if m.startswith("ganlib.")}
    assert "ganlib.nn" in _modules_after("import ganlib; ganlib.nn.NORM_NAMES")


def test_the_old_home_of_the_evaluation_callbacks_still_works_with_a_warning():
    import ganlib.metrics
    import ganlib.train

    with pytest.warns(DeprecationWarning, match="ganlib.metrics.EvaluateMNIST moved to ganlib.train.EvaluateMNIST"):
        assert ganlib.metrics.EvaluateMNIST is ganlib.train.EvaluateMNIST


def test_the_trainer_and_the_commands_start_without_torchvision():
    # torchvision's import pulls in torch._dynamo (2.4 s of a 7 s start on the 2-core machine):
    # it is imported where a data set is read or a picture written, never at a command's start.
    modules = _modules_after("import ganlib.train, ganlib.__main__, ganlib.cli.train, ganlib.cli.bench, ganlib.cli.evaluate, ganlib.cli.sample, ganlib.cli.study, ganlib.data")
    assert {"ganlib.train.trainer", "ganlib.cli.train"} <= modules
    assert not {m for m in modules if m.startswith("torchvision")}


# Rooms of one job: no module over 450 lines.
def test_no_module_is_over_450_lines():
    sizes = {str(p.relative_to(REPO_ROOT)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    too_long = {path: lines for path, lines in sizes.items() if lines > 450}
    assert not too_long, f"split these into rooms of one job: {too_long}"


def test_each_built_in_data_source_is_registered_beside_its_loader():
    from ganlib.data import DATASETS

    homes = {"mnist": "ganlib.data.mnist", "fashion-mnist": "ganlib.data.mnist", "stacked-mnist": "ganlib.data.stacked", "cifar10": "ganlib.data.images", "folder": "ganlib.data.images"}
    assert {name: DATASETS.entry(name).module for name in homes} == homes
    assert "ganlib.data.registry" not in {m for name, m in homes.items()}
    source = (PACKAGE / "data" / "registry.py").read_text()
    assert not any(f'register_dataset("{name}"' in source for name in homes)
