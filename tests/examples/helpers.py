"""Load an example script as a module, so its functions can be called in-process."""

import importlib.util
import sys
from types import ModuleType

from tests.conftest import REPO_ROOT


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses in the example resolve their module through it
    spec.loader.exec_module(module)
    return module
