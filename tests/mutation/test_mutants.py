"""Keep the mutation patches applicable: each must match exactly one place in the source."""

import pytest

from tests.conftest import REPO_ROOT
from tests.mutation.mutants import MUTANTS


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_patch_applies_once(mutant):
    text = (REPO_ROOT / mutant.path).read_text()
    assert text.count(mutant.old) == 1
    assert mutant.new not in text
