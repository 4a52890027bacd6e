"""Policy is metadata: no registered name appears in a comparison in the commands or the Trainer.

A rule keyed on a built-in's name (``if args.data == "mnist"``) is a rule a plugin cannot get;
what a component needs is declared where it is registered and read from there. The scan below
finds every comparison (``==``, ``!=``, ``in``, ``startswith``) of a string constant that is a
registered name, in ``ganlib/cli/`` and ``ganlib/train/``.
"""

import ast

import pytest

from tests.conftest import REPO_ROOT

def registered_names() -> set[str]:
    import ganlib.augment
    import ganlib.data
    import ganlib.losses
    import ganlib.metrics.registry
    import ganlib.models
    import ganlib.nn
    import ganlib.recipes
    import ganlib.train

    registries = [
        ganlib.models.MODELS, ganlib.data.DATASETS, ganlib.data.TOYS, ganlib.losses.LOSSES, ganlib.losses.OBJECTIVES,
        ganlib.losses.PENALTIES, ganlib.recipes.RECIPES, ganlib.augment.AUGMENTATIONS, ganlib.train.LR_SCHEDULES,
        ganlib.train.STEP_SCHEDULES, ganlib.train.CALLBACKS, ganlib.train.OPTIMIZERS, ganlib.metrics.registry.SCORES,
    ]
    from ganlib.cli.train import model_families

    names = {name for registry in registries for name in registry.names(aliases=True)}
    return names | set(model_families()) | set(ganlib.nn.list_norms()) | {"clip"}


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for element in node.elts for s in _strings(element)]
    return []


def compared_strings(source: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every string constant compared with something in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            # ``"fid" in scores`` asks whether a result holds a key: data, not a rule. A name is a
            # rule where it is compared with (==, !=) or looked for in (in) a setting.
            membership = all(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
            operands = node.comparators if membership else [node.left, *node.comparators]
            found += [(node.lineno, s) for operand in operands for s in _strings(operand)]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.Sub)) and isinstance(node.right, (ast.Set, ast.Tuple, ast.List)):
            found += [(node.lineno, s) for s in _strings(node.right)]  # set(chosen) & {"gp", "lp"}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("startswith", "endswith"):
            found += [(node.lineno, s) for argument in node.args for s in _strings(argument)]
    return found


def name_rules() -> dict[tuple[str, str], list[int]]:
    names = registered_names()
    rules: dict[tuple[str, str], list[int]] = {}
    for folder in ("cli", "train"):
        for path in sorted((REPO_ROOT / "ganlib" / folder).rglob("*.py")):
            relative = str(path.relative_to(REPO_ROOT))
            for line, text in compared_strings(path.read_text()):
                if text in names:
                    rules.setdefault((relative, text), []).append(line)
    return rules


def test_the_scan_finds_a_planted_name_rule():
    assert compared_strings('if args.data == "mnist" or p.name in ("gp", "lp") or n.startswith("wgan") or set(x) & {"r1"}:\n    pass\n') == [
        (1, "mnist"), (1, "gp"), (1, "lp"), (1, "wgan"), (1, "r1"),
    ]
    assert compared_strings('ok = "fid" in scores\n') == []  # a result's key, not a rule
    assert "mnist" in registered_names() and "gp" in registered_names() and "adam" in registered_names()


def test_no_registry_name_in_a_comparison_under_cli_and_train():
    rules = name_rules()
    assert not rules, "a rule keyed on a registered name; declare it as metadata instead: " + "; ".join(f"{p}:{lines} {t!r}" for (p, t), lines in rules.items())


@pytest.mark.parametrize("plugin_name", ["my-gan", "wgan-div"])
def test_a_plugins_name_would_be_found_too(plugin_name):
    assert compared_strings(f'x = a == "{plugin_name}"\n') == [(1, plugin_name)]
