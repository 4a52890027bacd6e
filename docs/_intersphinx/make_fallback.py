"""Write the offline fallback intersphinx inventories in this directory.

The docs link to Python, PyTorch and torchvision through intersphinx. Each mapping lists
the project's published ``objects.inv`` first and one of these files second: online, the
real inventory is used; offline (CI here has no network), Sphinx falls back to these small
inventories, which map the names ganlib's docs refer to onto the same published URLs.
Run ``python docs/_intersphinx/make_fallback.py`` after adding a cross-reference.
"""

from __future__ import annotations

import zlib
from pathlib import Path

HERE = Path(__file__).parent

INVENTORIES: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    "python": ("Python", "3", [
        ("int", "py:class", "library/functions.html#int"),
        ("float", "py:class", "library/functions.html#float"),
        ("str", "py:class", "library/stdtypes.html#str"),
        ("bool", "py:class", "library/functions.html#bool"),
        ("dict", "py:class", "library/stdtypes.html#dict"),
        ("list", "py:class", "library/stdtypes.html#list"),
        ("tuple", "py:class", "library/stdtypes.html#tuple"),
        ("object", "py:class", "library/functions.html#object"),
        ("ValueError", "py:exception", "library/exceptions.html#ValueError"),
        ("TypeError", "py:exception", "library/exceptions.html#TypeError"),
        ("FileNotFoundError", "py:exception", "library/exceptions.html#FileNotFoundError"),
        ("KeyboardInterrupt", "py:exception", "library/exceptions.html#KeyboardInterrupt"),
        ("UserWarning", "py:exception", "library/exceptions.html#UserWarning"),
        ("os.PathLike", "py:class", "library/os.html#os.PathLike"),
        ("os.replace", "py:function", "library/os.html#os.replace"),
        ("pathlib.Path", "py:class", "library/pathlib.html#pathlib.Path"),
        ("typing.Any", "py:data", "library/typing.html#typing.Any"),
        ("collections.abc.Callable", "py:class", "library/collections.abc.html#collections.abc.Callable"),
        ("collections.abc.Iterable", "py:class", "library/collections.abc.html#collections.abc.Iterable"),
        ("collections.abc.Iterator", "py:class", "library/collections.abc.html#collections.abc.Iterator"),
        ("collections.abc.Sequence", "py:class", "library/collections.abc.html#collections.abc.Sequence"),
    ]),
    "torch": ("PyTorch", "stable", [
        ("torch.Tensor", "py:class", "tensors.html#torch.Tensor"),
        ("torch.device", "py:class", "tensor_attributes.html#torch.device"),
        ("torch.Generator", "py:class", "generated/torch.Generator.html#torch.Generator"),
        ("torch.save", "py:function", "generated/torch.save.html#torch.save"),
        ("torch.load", "py:function", "generated/torch.load.html#torch.load"),
        ("torch.nn.Module", "py:class", "generated/torch.nn.Module.html#torch.nn.Module"),
        ("torch.nn.Module.apply", "py:method", "generated/torch.nn.Module.html#torch.nn.Module.apply"),
        ("torch.nn.Identity", "py:class", "generated/torch.nn.Identity.html#torch.nn.Identity"),
        ("torch.nn.BatchNorm2d", "py:class", "generated/torch.nn.BatchNorm2d.html#torch.nn.BatchNorm2d"),
        ("torch.nn.GroupNorm", "py:class", "generated/torch.nn.GroupNorm.html#torch.nn.GroupNorm"),
        ("torch.nn.InstanceNorm2d", "py:class", "generated/torch.nn.InstanceNorm2d.html#torch.nn.InstanceNorm2d"),
        ("torch.nn.utils.parametrizations.spectral_norm", "py:function", "generated/torch.nn.utils.parametrizations.spectral_norm.html#torch.nn.utils.parametrizations.spectral_norm"),
        ("torch.optim.Optimizer", "py:class", "optim.html#torch.optim.Optimizer"),
        ("torch.optim.swa_utils.AveragedModel", "py:class", "generated/torch.optim.swa_utils.AveragedModel.html#torch.optim.swa_utils.AveragedModel"),
        ("torch.utils.tensorboard.SummaryWriter", "py:class", "tensorboard.html#torch.utils.tensorboard.writer.SummaryWriter"),
    ]),
    "torchvision": ("torchvision", "stable", [
        ("torchvision.utils.save_image", "py:function", "generated/torchvision.utils.save_image.html#torchvision.utils.save_image"),
        ("torchvision.utils.make_grid", "py:function", "generated/torchvision.utils.make_grid.html#torchvision.utils.make_grid"),
        ("torchvision.datasets.MNIST", "py:class", "generated/torchvision.datasets.MNIST.html#torchvision.datasets.MNIST"),
    ]),
}


def write(name: str, project: str, version: str, entries: list[tuple[str, str, str]]) -> Path:
    header = f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n# The remainder of this file is compressed using zlib.\n"
    body = "".join(f"{target} {role} 1 {uri} -\n" for target, role, uri in entries)
    path = HERE / f"{name}.inv"
    path.write_bytes(header.encode() + zlib.compress(body.encode()))
    return path


if __name__ == "__main__":
    for key, (project, version, entries) in INVENTORIES.items():
        print(write(key, project, version, entries))
