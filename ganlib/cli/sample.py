"""``python -m ganlib sample``: draw images from a checkpoint.

The noise can be truncated (``--truncation T``: BigGAN's resampling of components beyond T),
pulled toward its mean (``--psi P``) or put on the sphere where Gaussian noise concentrates
(``--spherical``): tricks that trade diversity for quality at sampling time
(:mod:`ganlib.models.sampling`). Outputs are written atomically: a full disk or an interrupted
write leaves the previous file intact.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import cast

import torch

from ganlib._files import write_atomically
from ganlib.cli.arguments import add_threads_argument, apply_threads, positive_float, positive_int, seed
from ganlib.models import generate_samples, load_generator, sample_noise
from ganlib.train.device import resolve_device

__all__ = ["add_latent_arguments", "add_parser", "check_memory", "class_labels", "noise_for", "trained_classes"]


def add_latent_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--truncation``, ``--psi`` and ``--spherical``."""
    group = parser.add_argument_group("latent sampling")
    group.add_argument("--truncation", type=positive_float, default=None, metavar="T", help="redraw noise components beyond T (BigGAN's truncation; 0.5-2)")
    group.add_argument("--psi", type=float, default=1.0, help="pull the noise toward its mean: z * psi, psi in [0, 1] (1: off)")
    group.add_argument("--spherical", action="store_true", help="put each noise vector on the sphere of radius sqrt(latent_dim)")


def noise_for(generator: torch.nn.Module, num: int, seed: int, device: torch.device, args: argparse.Namespace | None = None) -> torch.Tensor:
    """``num`` noise vectors for ``generator`` from a seeded CPU generator, on ``device``.

    Args:
        generator: A generator with a ``latent_dim``.
        num: How many.
        seed: The noise's seed.
        device: Where to put it.
        args: Parsed arguments holding the latent flags of :func:`add_latent_arguments`, if any.

    Returns:
        Noise ``(num, latent_dim)``.

    Raises:
        ValueError: If ``--psi`` is outside [0, 1].
    """
    latent_dim = cast(int, generator.latent_dim)  # every ganlib generator has one
    truncation = getattr(args, "truncation", None)
    psi = getattr(args, "psi", 1.0)
    if not 0.0 <= psi <= 1.0:
        raise ValueError(f"--psi {psi} is invalid; expected a value in [0, 1] (1: off)")
    return sample_noise(num, latent_dim, seed=seed, truncation=truncation, psi=psi, spherical=getattr(args, "spherical", False), device=device)


def trained_classes(generator: torch.nn.Module) -> list[int] | None:
    """The data classes a conditional generator draws (its recorded ``classes``, else ``0..num_classes-1``); ``None`` if unconditional."""
    classes = getattr(generator, "classes", None)
    if classes is not None:
        return list(classes)
    count = getattr(generator, "num_classes", None)
    return None if count is None else list(range(int(count)))


def class_labels(generator: torch.nn.Module, chosen: int | None, num: int) -> torch.Tensor | None:
    """Labels for ``num`` samples of ``generator``: all ``chosen``, or cycling through the
    classes when ``chosen`` is ``None``; ``None`` for an unconditional generator.

    A generator trained on some classes only (``--classes 1,7``) records them; ``chosen`` is one
    of those, and the labels are the generator's own indices of them.

    Args:
        generator: The generator.
        chosen: A class (as the data names it), or ``None`` for every class in turn.
        num: How many labels.

    Returns:
        Labels ``(num,)``, or ``None`` for an unconditional generator.

    Raises:
        ValueError: If a class is asked of an unconditional generator, or is not one it was trained on.
    """
    classes = trained_classes(generator)
    if classes is None:
        if chosen is not None:
            raise ValueError(f"--class {chosen}: this generator is not conditional; train with --conditional to choose classes")
        return None
    if chosen is None:
        return torch.arange(num) % len(classes)
    if chosen not in classes:
        if classes == list(range(len(classes))):
            raise ValueError(f"--class {chosen} is invalid; this generator has classes 0 to {len(classes) - 1}")
        raise ValueError(f"--class {chosen} is invalid; this generator was trained on classes {', '.join(map(str, classes))}")
    return torch.full((num,), classes.index(chosen), dtype=torch.long)


def _memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 << 30


def check_memory(flag: str, num: int, sample_shape: tuple[int, ...]) -> None:
    """Refuse a request whose samples would not fit in half of this machine's memory, before allocating.

    Raises:
        ValueError: Naming the flag, the size and the limit.
    """
    needed = num * math.prod(sample_shape) * 4
    limit = _memory() // 2
    if needed > limit:
        largest = max(1, limit // (math.prod(sample_shape) * 4))
        raise ValueError(f"{flag} {num} would need {needed / 2**30:.1f} GiB for the samples; at most {largest} fit in half of this machine's memory")


def run(args: argparse.Namespace) -> int:
    """Draw the samples; returns the exit status."""
    apply_threads(args.threads)
    suffix = args.out.suffix.lower()
    if suffix not in (".pt", ".png"):
        raise ValueError(f"--out {args.out}: expected a .pt (tensor) or .png (grid) file")
    if suffix == ".png" and args.num > 10_000:
        raise ValueError(f"--num {args.num} is too many for a .png grid; draw at most 10000 into a grid, or write a .pt file")
    device = resolve_device(args.device)
    generator, used_ema = load_generator(args.checkpoint, use_ema=not args.no_ema, map_location=device)
    shape = tuple(int(s) for s in generate_samples(generator, noise_for(generator, 1, 0, device), labels=class_labels(generator, args.class_, 1)).shape[1:])
    check_memory("--num", args.num, shape)
    print(f"sampling {args.num} images with the {'EMA' if used_ema else 'raw'} generator weights from {args.checkpoint}", file=sys.stderr)
    labels = class_labels(generator, args.class_, args.num)
    images = generate_samples(generator, noise_for(generator, args.num, args.seed, device, args), labels=labels).cpu()
    if suffix == ".pt":
        write_atomically(args.out, lambda tmp: torch.save(images, tmp))
    elif images.ndim != 4:
        raise ValueError(f"--out {args.out}: this generator draws points of shape {tuple(images.shape[1:])}, not images; use a .pt file")
    else:
        from torchvision.utils import save_image

        write_atomically(args.out, lambda tmp: save_image(images, tmp, nrow=args.nrow, normalize=True, value_range=(-1, 1), format="png"))
    print(f"wrote {tuple(images.shape)} to {args.out}", file=sys.stderr)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``sample`` command."""
    sample = commands.add_parser("sample", help="draw samples from a checkpoint", description=__doc__.split("\n\n")[0])
    sample.add_argument("--checkpoint", type=Path, required=True, help="checkpoint file or run directory")
    sample.add_argument("--num", type=positive_int, default=64, help="number of samples")
    sample.add_argument("--out", type=Path, required=True, help=".pt: N x C x H x W tensor in [-1, 1]; .png: a grid")
    sample.add_argument("--nrow", type=positive_int, default=8, help="grid columns for .png output")
    sample.add_argument("--seed", type=seed, default=0, help="seed of the noise")
    sample.add_argument("--device", default="cpu", help="cpu, cuda, auto, ...")
    sample.add_argument("--no-ema", action="store_true", help="use the raw generator even if the run kept an EMA")
    sample.add_argument("--class", dest="class_", type=int, default=None, metavar="K", help="draw class K of a conditional generator (default: every class in turn)")
    add_latent_arguments(sample)
    add_threads_argument(sample)
    sample.set_defaults(run=run)
