"""The README's usage snippet runs as written."""

import re

from tests.conftest import REPO_ROOT


def test_readme_usage_snippet_runs(capsys):
    readme = (REPO_ROOT / "README.md").read_text()
    snippet = re.search(r"## Usage\s+```python\n(.*?)```", readme, flags=re.S).group(1)
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    terms = namespace["terms"]
    assert {"loss", "wasserstein", "gp", "acc_real", "acc_fake"} <= set(terms)
    assert namespace["critic"].net[0].weight.grad is not None  # it backpropagated
    assert "wasserstein" in capsys.readouterr().out
