"""Every data source by name: the ``DATASETS`` registry, :func:`register_dataset` and :func:`load_dataset`.

A data source is a loader function registered under a name. :func:`load_dataset` calls it
with the options it accepts (by its signature): ``root``, ``image_size``, ``classes``,
``channels``, ``download``, ``device`` and any source-specific options
(``--data-arg KEY=VALUE`` on the command line). An option that the source cannot use is
refused with one line naming it, rather than ignored: ``--classes`` on a toy, ``--channels 3``
on MNIST. A source may take an argument after a colon (``folder:PATH``).

A loader returns a :class:`Dataset`. 2-D toys register through
:func:`~ganlib.data.register_toy`, which adds their data source here.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ganlib.contract import NonNegativeInt
from ganlib.data.batches import TensorBatches
from ganlib.data.toys import BUILTIN_TOYS, TOYS, Sampler, Toy, ToyStream
from ganlib.registry import Registry

__all__ = ["DATASETS", "Dataset", "dataset_names", "load_dataset", "register_dataset", "register_toy", "source_metadata"]

DATASETS: Registry[Callable[..., "Dataset"]] = Registry("data source")
"""Data sources by name: ``mnist``, ``fashion-mnist``, ``cifar10``, ``folder`` (``folder:PATH``),
the 2-D toys, and those given to :func:`register_dataset`."""


@dataclass(frozen=True)
class Dataset:
    """A loaded data set.

    Attributes:
        name: Its name, e.g. ``"mnist"`` or ``"8gaussians"``.
        images: All samples ``(M, *)``: images ``(M, C, H, W)`` in [-1, 1], or a fixed set of
            2-D points ``(M, 2)``; ``None`` for a toy sampled afresh each batch.
        labels: Class labels ``(M,)``, or ``None``.
        num_classes: Number of classes when there are labels.
        toy: The toy's name for 2-D toy data, else ``None``.
        classes: The classes kept (``--classes``), or ``None`` for all.
        reshuffle: Whether a fixed set is reshuffled every epoch (``False``: shuffled once, then
            cycled through in that order).
        conditions: What each sample is conditioned on ``(M, *)``, served with every batch
            (a LAPGAN level's coarse images), or ``None``.
    """

    name: str
    images: Tensor | None
    labels: Tensor | None
    num_classes: int | None
    toy: str | None = None
    classes: tuple[int, ...] | None = None
    reshuffle: bool = True
    conditions: Tensor | None = None

    @property
    def channels(self) -> int:
        """Image channels (2-D toys have none: 0)."""
        return 0 if self.images is None or self.toy is not None else int(self.images.shape[1])

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """The shape of one sample: ``(C, H, W)``, or ``(2,)`` for a toy."""
        return (2,) if self.images is None else tuple(self.images.shape[1:])

    def stream(self, batch_size: int, *, seed: int = 0, rank: int = 0, world_size: int = 1, labels: bool = False) -> Iterator[Any]:
        """Endless, resumable batches of this data set.

        Args:
            batch_size: Samples per batch (per process).
            seed: Seed of the shuffling (a fixed set) or of the sampler (a toy sampled afresh).
            rank: This process's rank: fixed sets are sharded, toys seeded per rank.
            world_size: The number of processes.
            labels: Yield ``(images, labels)`` pairs (labelled sets only). A set with
                ``conditions`` always yields ``(images, conditions)`` pairs.

        Returns:
            A :class:`TensorBatches` for a fixed set, a :class:`~ganlib.data.ToyStream` for a toy.
        """
        if self.images is None:
            assert self.toy is not None
            return ToyStream(self.toy, batch_size, seed=seed + rank, device=None)
        served = self.conditions if self.conditions is not None else self.labels if labels else None
        return TensorBatches(self.images, batch_size, labels=served, seed=seed, rank=rank, world_size=world_size, reshuffle=self.reshuffle)


def register_dataset(name: str, loader: Callable[..., Dataset] | None = None, *, argument: str | None = None, replace: bool = False, **metadata: Any) -> Any:
    """Register a data source under ``name`` (a decorator when ``loader`` is omitted).

    Args:
        name: The name (``--data NAME``).
        loader: A function returning a :class:`Dataset`. It takes, by keyword, the options it
            can use among ``root``, ``image_size``, ``classes``, ``channels``, ``download``,
            ``device`` and its own (``--data-arg KEY=VALUE``); the first line of its docstring
            is its summary in ``--help``.
        argument: The keyword that receives the text after a colon (``folder:PATH`` gives
            ``path=PATH``), or ``None`` when the source takes none.
        replace: Replace another source registered under ``name``.
        **metadata: What the commands read of the source: ``toy=True`` (a 2-D toy's
            defaults), ``settings={...}`` (``train`` settings it proposes where none is given),
            ``course={...}`` (settings that hold with the toy family's default model and no
            width or networks given; ``ema`` maps an objective to its decay),
            ``score="score/NAME"`` (what ``study`` ranks by), ``study={...}`` (settings a
            study fills in), ``judge={...}`` (how the MNIST judge scores it).

    Returns:
        The loader unchanged, or the decorator.

    Raises:
        ValueError: If ``name`` is taken (and ``replace`` is false) or holds a colon.

    Example:
        >>> import torch
        >>> @register_dataset("doc-noise")
        ... def noise_images(image_size: int = 16, device=None):
        ...     "Uniform noise images, for tests."
        ...     images = torch.rand(32, 1, image_size, image_size, device=device) * 2 - 1
        ...     return Dataset("doc-noise", images, None, None)
        >>> load_dataset("doc-noise", image_size=8).sample_shape
        (1, 8, 8)
    """
    if ":" in name:
        raise ValueError(f"data source name {name!r} holds a colon; the colon separates a source's argument (folder:PATH)")
    return DATASETS.register(name, loader, replace=replace, argument=argument, **metadata)


def source_metadata(data: str) -> dict[str, Any]:
    """What a data source declares where it is registered (``toy``, ``judge``, ``score``,
    ``study``; see :func:`register_dataset`).

    Args:
        data: A ``--data`` value (``mnist``, ``folder:PATH``).

    Returns:
        A copy of the source's metadata; empty for a name nothing registered.

    Example:
        >>> source_metadata("mnist")["score"], source_metadata("ring")["toy"], source_metadata("nowhere")
        ('score/fid', True, {})
    """
    source = data.partition(":")[0]
    return dict(DATASETS.entry(source).metadata) if source in DATASETS else {}


def register_toy(
    name: str,
    sample: Sampler,
    bounds: tuple[float, float, float, float],
    *,
    centers: tuple[Tensor, float] | None = None,
    measure: Callable[[Tensor], dict[str, float]] | None = None,
    summary: str | None = None,
    replace: bool = False,
) -> Toy:
    """Register a 2-D toy and the data source that serves it (``--data NAME``).

    The source takes ``points`` (``--data-arg points=N``): 0 (default) draws fresh points for
    every batch; N > 0 draws one fixed set of N points (for a mixture with ``centers``, equal
    counts per component), cycled through in shuffled passes, or with ``reshuffle=false`` in
    one order drawn once: the WGAN-GP paper's toy code keeps 100,000 points of its 25
    Gaussians that way (``--data 25gaussians --data-arg points=100000 --data-arg reshuffle=false``).

    Args:
        name: The name.
        sample: ``(n, generator) -> (n, 2)`` points on the CPU, drawn from ``generator``.
        bounds: A plotting window ``(x_min, x_max, y_min, y_max)``.
        centers: For a Gaussian mixture, its centers ``(K, 2)`` and standard deviation.
        measure: ``points -> {name: value}`` scores of generated points.
        summary: One line for listings (the sampler's docstring by default).
        replace: Replace another toy (and data source) of that name.

    Returns:
        The :class:`~ganlib.data.Toy`.

    Example:
        >>> import torch
        >>> def diagonal(n, generator=None):
        ...     "Points on the diagonal."
        ...     t = torch.rand(n, generator=generator)
        ...     return torch.stack([t, t], dim=1)
        >>> toy = register_toy("doc-diagonal", diagonal, (-0.5, 1.5, -0.5, 1.5))
        >>> load_dataset("doc-diagonal", points=10).images.shape
        torch.Size([10, 2])
    """
    toy = Toy(name, sample, (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3])), centers, measure)
    TOYS.register(name, toy, replace=replace, summary=summary if summary is not None else _toy_summary(toy))
    _register_toy_source(toy, replace=replace)
    return toy


def _register_toy_source(toy: Toy, *, replace: bool = False, **metadata: Any) -> None:
    name = toy.name

    def load(points: NonNegativeInt = 0, seed: int = 0, reshuffle: bool = True) -> Dataset:
        if isinstance(points, bool) or not isinstance(points, int) or points < 0:
            raise ValueError(f"points={points!r} is invalid; expected 0 (fresh points every batch) or the size of a fixed set")
        if not isinstance(reshuffle, bool):
            raise ValueError(f"reshuffle={reshuffle!r} is invalid; expected true (a new order every pass) or false (one order, cycled)")
        if points == 0:
            if not reshuffle:
                raise ValueError("reshuffle=false applies to a fixed set; give points=N too (the WGAN-GP toy code: points=100000)")
            return Dataset(name, None, None, None, toy=name)
        generator = torch.Generator().manual_seed(seed + 99991)
        fixed = _stratified(toy, points, generator) if toy.centers is not None else toy.sample(points, generator)
        return Dataset(name, fixed, None, None, toy=name, reshuffle=reshuffle)

    load.__doc__ = f"2-D toy: {_toy_summary(toy)}"
    DATASETS.register(name, load, replace=replace, toy=True, score="score/sliced_wasserstein", **metadata)


def _stratified(toy: Toy, points: int, generator: torch.Generator) -> Tensor:
    """A fixed set of a Gaussian mixture with (nearly) equal counts per component: center k
    gets every K-th point, as the WGAN-GP toy code builds its 25 Gaussians (4,000 points each)."""
    assert toy.centers is not None
    centers, std = toy.centers
    which = torch.arange(points) % len(centers)
    return centers[which] + std * torch.randn(points, 2, generator=generator)


def _toy_summary(toy: Toy) -> str:
    doc = (getattr(toy.sample, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else toy.name


def dataset_names() -> list[str]:
    """Every data source name, with its argument shown (``folder:PATH``).

    Returns:
        The names, sorted.
    """
    names = []
    for entry in DATASETS.entries():
        argument = entry.metadata.get("argument")
        names.append(f"{entry.name}:{argument.upper()}" if argument else entry.name)
    return names


_FLAGS = {"image_size": "--image-size", "classes": "--classes", "channels": "--channels"}
_INFRASTRUCTURE = ("root", "device", "download")


def _parameters(loader: Callable[..., Any]) -> set[str] | None:
    parameters = inspect.signature(loader).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    return set(parameters)


def load_dataset(
    name: str,
    root: str | os.PathLike[str] | None = None,
    *,
    image_size: int | None = None,
    classes: list[int] | None = None,
    channels: int | None = None,
    download: bool = False,
    device: torch.device | str | None = None,
    offer: Mapping[str, Any] | None = None,
    **options: Any,
) -> Dataset:
    """Load a data set by name.

    Args:
        name: A registered source (:func:`dataset_names`), with its argument after a colon
            where it takes one (``folder:PATH``).
        root: The data root for the torchvision data sets (see :func:`~ganlib.data.resolve_data_root`).
        image_size: Side of the images (the source's default when ``None``).
        classes: Keep only these classes (labelled data sets).
        channels: Channels of ``folder:`` images (3 or 1).
        download: Download missing files through torchvision (where the source can).
        device: Where to put the tensors.
        offer: Options passed only to a source that takes them (a command's wishes that do
            not apply to every source: ``{"size": 1000}`` builds a smaller Stacked MNIST).
        **options: The source's own options (``points`` for the toys).

    Returns:
        The :class:`Dataset`.

    Raises:
        ValueError: If ``name`` is unknown (the valid names are listed), or an option does not
            apply to this source (the message names it).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"data {name!r} is invalid; valid names are {', '.join(map(repr, dataset_names()))}")
    source, colon, argument = name.partition(":")
    if source not in DATASETS:
        raise ValueError(f"data {name!r} is unknown; valid names are {', '.join(map(repr, dataset_names()))}")
    entry = DATASETS.entry(source)
    argument_name = entry.metadata.get("argument")
    if colon and argument_name is None:
        raise ValueError(f"data {source!r} takes no ':' argument (got {name!r})")
    if argument_name is not None:
        if not argument:
            raise ValueError(f"data {source!r} needs its {argument_name}: --data {source}:{argument_name.upper()}")
        if argument_name in options:
            raise ValueError(
                f"data {source!r}: --data-arg {argument_name}={options[argument_name]} would be ignored beside --data {name}; "
                f"give the {argument_name} once, after the colon"
            )
        options[argument_name] = argument
    accepted = _parameters(entry.obj)
    offered = {k: v for k, v in (offer or {}).items() if k not in options and (accepted is None or k in accepted)}
    options = {**offered, **options}
    given: dict[str, Any] = {"image_size": image_size, "classes": classes, "channels": channels, **options}
    arguments: dict[str, Any] = {}
    for key, value in given.items():
        if value is None:
            continue
        if accepted is not None and key not in accepted:
            flag = _FLAGS.get(key, f"--data-arg {key}")
            takes = sorted((accepted or set()) - set(_INFRASTRUCTURE) - {argument_name})
            raise ValueError(f"data {source!r} takes no {flag}; its options are {', '.join(takes) or '(none)'}")
        arguments[key] = value
    for key, value in (("root", root), ("device", device), ("download", download or None)):
        if value is not None and (accepted is None or key in accepted):
            arguments[key] = value
    if download and accepted is not None and "download" not in accepted:
        raise ValueError(f"data {source!r} is not downloaded (--download applies to the torchvision data sets)")
    return DATASETS.build(source, **arguments)


# --- The built-in image sources ---------------------------------------------------------------


# The harmonic curve is the course's first exercise: minimax with an EMA (measured closest to the
# curve, see the 2-D guide) in batches of 32; with the toy family's default MLP and no width given,
# the course's own MLPs and schedule.
_TOY_POLICY: dict[str, dict[str, Any]] = {
    "harmonic": {
        "settings": {"objective": "minimax", "batch_size": 32},
        "course": {
            "model": "course-harmonic", "width": None, "iterations": 5000, "lr": 1e-3, "betas": [0.9, 0.999], "sample_every": 500,
            "ema": {"minimax": 0.999},
        },
    },
}

for _toy in BUILTIN_TOYS:
    TOYS.register(_toy.name, _toy, summary=_toy_summary(_toy))
    _register_toy_source(_toy, **_TOY_POLICY.get(_toy.name, {}))
