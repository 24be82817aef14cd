"""Training image sets: from a folder, a list of images, a video's frames, or seeded random
crops; brought to one size; split into training and validation images.

Every image comes out RGB float32 H x W x 3 in [0, 1] (grey replicated, alpha dropped).

* :func:`gather` turns what a recipe gives (an image, a list of images and videos, a
  :class:`~imgfusion.values.Video`, or the path of a folder of images) into a list
  of images, taking every ``every``-th frame of a video and at most ``limit`` images;
* :func:`common_size` resizes them to one size, or refuses mixed sizes naming them;
* :func:`random_crops` cuts seeded random crops (sample images as training data);
* :func:`split` holds out a validation share, seeded;
* :func:`image_set` does all of it: the :class:`ImageSet` a trainer uses.

Too few images are refused naming the field (:func:`check_count`); at recipe
validation :func:`count_folder` tells how many images a folder holds without
decoding them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ..errors import ParameterError

MAX_IMAGES = 100_000


@dataclass(frozen=True)
class ImageSet:
    """Training and validation images, all RGB float32 of one ``size`` (rows, cols)."""

    train: list[np.ndarray]
    validation: list[np.ndarray]
    size: tuple[int, int]

    def batch(self, indices: Sequence[int], split: str = "train") -> torch.Tensor:
        """Images ``indices`` of a split as an N x 3 x H x W float32 tensor (CPU); none:
        0 x 3 x H x W (a split of ``validation: 0``)."""
        images = self.train if split == "train" else self.validation
        if not len(indices):
            return torch.zeros((0, 3, *self.size), dtype=torch.float32)
        return torch.from_numpy(np.stack([images[i] for i in indices])).permute(0, 3, 1, 2)


def rgb(image: Any, field: str) -> np.ndarray:
    """An image as RGB float32 H x W x 3 (grey replicated, alpha dropped)."""
    from ..style.checks import as_rgb

    return as_rgb(image, field)[0]


def folder_files(path: str | os.PathLike, field: str) -> list[Path]:
    """The image files of a folder, sorted by name (not recursive)."""
    from ..io.read import READ_EXTENSIONS

    p = Path(path).expanduser()
    if not p.is_dir():
        raise ParameterError(field, f"{p} is not a folder of images")
    return sorted(f for f in p.iterdir() if f.suffix.lower() in READ_EXTENSIONS and f.is_file())


def count_folder(path: str | os.PathLike, field: str) -> int:
    """How many images a folder holds (for recipe validation: nothing is decoded)."""
    return len(folder_files(path, field))


def check_count(n: int, minimum: int, field: str, what: str = "training images") -> None:
    if n < minimum:
        raise ParameterError(field, f"{n} {what}; at least {minimum} are needed")


def video_frames(video, *, every: int = 1, limit: int | None = None,
                 field: str = "images") -> list[np.ndarray]:
    """Every ``every``-th frame of ``video`` (frame 0 first), at most ``limit`` of them;
    decoding stops once enough are taken."""
    if int(every) < 1:
        raise ParameterError("every", f"must be >= 1, got {every!r}")
    frames = []
    for k, frame in enumerate(video):
        if k % every == 0:
            frames.append(rgb(frame, field))
            if limit is not None and len(frames) >= limit:
                break
    return frames


def _items(value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def gather(value: Any, *, field: str, every: int = 1,
           limit: int | None = None) -> list[np.ndarray]:
    """Images from an image, a Video, a folder path, or a list of these, in order."""
    from ..values import Video

    limit = MAX_IMAGES if limit is None else int(limit)
    out: list[np.ndarray] = []
    for item in _items(value):
        room = limit - len(out)
        if room <= 0:
            break
        if isinstance(item, Video):
            out += video_frames(item, every=every, limit=room, field=field)
        elif isinstance(item, (str, os.PathLike)):
            from ..io.read import read_image

            out += [rgb(read_image(f, field=field), field)
                    for f in folder_files(item, field)[:room]]
        else:
            out.append(rgb(item, field))
    return out


def resize_image(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Antialiased bilinear resize of an H x W x 3 image to ``size`` (rows, cols)."""
    if tuple(image.shape[:2]) == tuple(size):
        return image
    t = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None]
    t = torch.nn.functional.interpolate(t, size=tuple(size), mode="bilinear",
                                        align_corners=False, antialias=True).clamp(0, 1)
    return t[0].permute(1, 2, 0).numpy().astype(np.float32)


def common_size(images: list[np.ndarray], size: tuple[int, int] | None, *,
                field: str) -> tuple[list[np.ndarray], tuple[int, int]]:
    """All images resized to ``size`` (rows, cols); with ``size`` None they must already
    share one size (an error names the sizes found otherwise)."""
    if not images:
        raise ParameterError(field, "no training images")
    if size is None:
        sizes = sorted({tuple(im.shape[:2]) for im in images})
        if len(sizes) > 1:
            listed = ", ".join(f"{r} x {c}" for r, c in sizes[:6])
            raise ParameterError(field, f"the images have {len(sizes)} different sizes "
                                        f"({listed}{', ...' if len(sizes) > 6 else ''}); set "
                                        "a size to resize them, or crop them")
        return images, sizes[0]
    size = (int(size[0]), int(size[1]))
    return [resize_image(im, size) for im in images], size


def random_crops(images: list[np.ndarray], *, count: int, size: tuple[int, int], seed: int,
                 field: str, span: float = 0.0) -> list[np.ndarray]:
    """``count`` crops of ``size`` (rows, cols), each from an image picked at random, at a
    random place; seeded, so the same on every machine.  An image smaller than the crop is
    first scaled up to cover it.  With ``span`` > 0 each crop covers a region of
    ``size``'s shape between ``size`` and ``span`` times the largest such region that
    fits in the image (for a square ``size``: its shorter side), log-uniformly drawn and
    scaled down to ``size``: whole photos as well as their details (0: ``size`` px of
    the image)."""
    if not images:
        raise ParameterError(field, "no images to crop")
    g = torch.Generator().manual_seed(int(seed))
    rows, cols = int(size[0]), int(size[1])
    crops = []
    for _ in range(int(count)):
        im = images[int(torch.randint(len(images), (1,), generator=g))]
        scale = max(rows / im.shape[0], cols / im.shape[1], 1.0)
        if scale > 1.0:
            im = resize_image(im, (max(rows, round(im.shape[0] * scale)),
                                   max(cols, round(im.shape[1] * scale))))
        h, w = _region(im.shape[:2], (rows, cols), span, g)
        r = int(torch.randint(im.shape[0] - h + 1, (1,), generator=g))
        c = int(torch.randint(im.shape[1] - w + 1, (1,), generator=g))
        crops.append(resize_image(np.ascontiguousarray(im[r:r + h, c:c + w]), (rows, cols)))
    return crops


def _region(shape: tuple[int, int], size: tuple[int, int], span: float,
            g: torch.Generator) -> tuple[int, int]:
    """The (rows, cols) of the image a crop of ``size`` covers (see :func:`random_crops`)."""
    top = span * min(shape[0] / size[0], shape[1] / size[1])
    if top <= 1.0:   # span 0, or no room: size px, no draw (the crops of span 0)
        return size
    zoom = top ** float(torch.rand((), generator=g))
    return (min(shape[0], round(size[0] * zoom)), min(shape[1], round(size[1] * zoom)))


def check_span(crops: int, span: float) -> None:
    """A crop span needs crops (:class:`ParameterError` naming ``crop_span``)."""
    if not crops and float(span or 0) > 0:
        raise ParameterError("crop_span", "crops is 0 (the images are resized whole, not "
                                          "cropped): set crops, or leave crop_span out")


def split(images: list[np.ndarray], *, validation: float | int, seed: int,
          field: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(train, validation): a seeded random ``validation`` share (a fraction in [0, 1), or a
    count >= 1) held out; at least one image each when validation > 0."""
    n = len(images)
    k = int(round(validation * n)) if isinstance(validation, float) and validation < 1 \
        else int(validation)
    if validation and k == 0:
        k = 1
    if k < 0 or (k and k >= n):
        raise ParameterError(field, f"{n} image(s) cannot be split into training images and "
                                    f"{k} validation image(s); give more images or a smaller "
                                    "validation share")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(int(seed))).tolist()
    held = set(order[:k])
    return ([im for i, im in enumerate(images) if i not in held],
            [im for i, im in enumerate(images) if i in held])


def image_set(value: Any, *, field: str, size: tuple[int, int] | None = None,
              crops: int = 0, validation: float | int = 0.1, minimum: int = 1, seed: int = 0,
              every: int = 1, limit: int | None = None, span: float = 0.0) -> ImageSet:
    """The :class:`ImageSet` of ``value`` (see :func:`gather`).

    ``crops`` > 0 cuts that many random crops of ``size`` (required then; ``span``: see
    :func:`random_crops`), or as many as there are images when there are more, instead
    of resizing the images; otherwise
    images are resized to ``size`` or must share one size.
    At least ``minimum`` training images must remain after the validation split.
    """
    check_span(crops, span)
    images = gather(value, field=field, every=every, limit=limit)
    check_count(len(images), 1, field)
    if crops:
        if size is None:
            raise ParameterError("size", "random crops need a crop size")
        count = max(crops, len(images))
        images, size = random_crops(images, count=count, size=size, seed=seed,
                                    field=field, span=span), (int(size[0]), int(size[1]))
    else:
        images, size = common_size(images, size, field=field)
    train, held = split(images, validation=validation, seed=seed + 1, field=field)
    check_count(len(train), minimum, field, "training images after the validation split")
    return ImageSet(train, held, size)
