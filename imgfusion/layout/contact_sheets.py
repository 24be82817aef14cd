"""A labelled grid of images, e.g. the results of a parameter sweep.

Layout, given one label dict per image (the swept values):

* a label key is *varying* when its value differs between images; keys are
  taken in order of first appearance;
* with two varying keys (or ``rows`` / ``cols`` naming keys) the grid has one
  row per value of the row key and one column per value of the column key,
  values in order of first appearance; the row labels (``key=value``) go at
  the left, the column labels on top; a missing combination is a blank cell;
* otherwise (no labels, one varying key, more than two, or a repeated
  combination) the images are wrapped ``columns`` to a row, in order, each
  with its own caption (the varying ``key=value`` pairs) above it.

Each image is resized so that its longest side is ``cell`` pixels (an image
already that size is copied exactly) and centred in its cell.  The sheet is
RGB: grey images are replicated, RGBA ones are composited over ``background``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np

from ..checks import check_image, check_images
from .compose import blend_over
from ..errors import ParameterError
from .geometry import resize
from ..limits import FEATHER_MAX, SIDE_MAX
from ..operators import Image, Images, Labels, Range, operator


@dataclass
class _Layout:
    grid: list[list[int | None]]  # image index per cell, row-major
    row_labels: list[str]
    col_labels: list[str]
    captions: list[str]  # per image, wrap layout only


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _varying(labels: list[dict]) -> list[str]:
    keys: list[str] = []
    for lab in labels:
        keys += [k for k in lab if k not in keys]
    return [k for k in keys if len({repr(lab.get(k)) for lab in labels}) > 1]


def _uniques(labels: list[dict], key: str) -> list:
    seen: list = []
    for lab in labels:
        if lab.get(key) not in seen:
            seen.append(lab.get(key))
    return seen


def _layout(n: int, labels: list[dict] | None, rows: str | None, cols: str | None,
            columns: int) -> _Layout:
    labels = labels or [{} for _ in range(n)]
    if len(labels) != n:
        raise ParameterError("labels", f"{len(labels)} labels for {n} images")
    varying = _varying(labels)
    for field, key in (("rows", rows), ("cols", cols)):
        if key is not None and not any(key in lab for lab in labels):
            known = ", ".join(sorted({k for lab in labels for k in lab})) or "none"
            raise ParameterError(field, f"no label '{key}' (labels: {known})")
    row_key = rows or next((k for k in varying if k != cols), None)
    col_key = cols or next((k for k in varying if k != row_key), None)
    if row_key and col_key and row_key != col_key:
        rv, cv = _uniques(labels, row_key), _uniques(labels, col_key)
        grid: list[list[int | None]] = [[None] * len(cv) for _ in rv]
        unique = True
        for i, lab in enumerate(labels):
            r, c = rv.index(lab.get(row_key)), cv.index(lab.get(col_key))
            unique &= grid[r][c] is None
            grid[r][c] = i
        if unique and len(varying) <= 2:
            return _Layout(grid, [f"{row_key}={_fmt(v)}" for v in rv],
                           [f"{col_key}={_fmt(v)}" for v in cv], [])
    shown = varying or [k for k in dict.fromkeys((rows, cols)) if k]   # a pinned one too
    captions = [", ".join(f"{k}={_fmt(lab.get(k))}" for k in shown) for lab in labels]
    per_row = max(1, min(columns, n))
    grid = [[i if i < n else None for i in range(r, r + per_row)] for r in range(0, n, per_row)]
    return _Layout(grid, [], [], captions)


def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _text_size(font, text: str) -> tuple[int, int]:
    left, top, right, bottom = font.getbbox(text)
    return bottom, right  # (rows, cols) from the drawing origin


def wrap(font, text: str, width: int) -> list[str]:
    """``text`` in lines no wider than ``width`` px, broken at spaces, and inside a word
    wider than a line (after a mark, :func:`_after_mark`, else anywhere): a label never
    runs into the next cell."""
    lines, current = [], ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and _text_size(font, candidate)[1] > width:
            lines.append(current)
            candidate = word
        while len(candidate) > 1 and _text_size(font, candidate)[1] > width:
            k = _fitting_prefix(font, candidate, width)
            k = _after_mark(candidate, k)
            lines.append(candidate[:k])
            candidate = candidate[k:]
        current = candidate
    return lines + [current]


def _after_mark(text: str, k: int) -> int:
    """Where to break ``text``, whose first ``k`` characters fit: after the last of its
    first mark found there (``=``, then ``,``, ``+``, ``/``, ``_``), else at ``k``."""
    for mark in "=,+/_":
        j = text.rfind(mark, 0, k)
        if j > 0:
            return j + 1
    return k


def _fitting_prefix(font, text: str, width: int) -> int:
    """Length of the longest start of ``text`` no wider than ``width`` (at least 1)."""
    k = 1
    while k < len(text) and _text_size(font, text[:k + 1])[1] <= width:
        k += 1
    return k


def _fit(image: np.ndarray, cell: int, background: np.ndarray) -> np.ndarray:
    check_image(image, "images")
    if max(image.shape[:2]) != cell:
        image = resize(image, longest=cell)
    opaque = np.broadcast_to(background, image.shape[:2] + (3,))
    return blend_over(image, opaque, np.ones(image.shape[:2], np.float32))


@operator(label_keys=("rows", "cols"))
def contact_sheet(images: Images, *, labels: Labels = None, rows: str | None = None,
                  cols: str | None = None, columns: Annotated[int, Range(1, 1000)] = 4,
                  cell: Annotated[int, Range(8, SIDE_MAX)] = 256,
                  padding: Annotated[int, Range(0, FEATHER_MAX)] = 8, label: bool = True,
                  background: Annotated[float | tuple[float, float, float], Range(0, 1)] = 1.0,
                  font_size: Annotated[int, Range(6, 200)] = 14) -> Image:
    """Lay images out in a grid labelled with their (swept) values.

    See the module docstring for the layout.  ``labels`` (from the engine) holds
    one dict per image, e.g. ``{"style_weight": 1000.0}``.

    Parameters
    ----------
    images : the images, e.g. a sweep's results
    rows : label key down the rows
    cols : label key across the columns
    columns : images per row when wrapping
    cell : longest side of each image in px
    padding : px between and around cells
    label : draw the labels
    background : sheet colour: grey level or [r, g, b] in [0, 1]
    font_size : label text size in px
    """
    images = check_images(images)
    if not images:
        raise ParameterError("images", "no images to lay out")
    bg = np.broadcast_to(np.asarray(background, np.float32), (3,)).copy()
    lay = _layout(len(images), labels, rows, cols, columns)
    tiles = [_fit(im, cell, bg) for im in images]
    cell_h, cell_w = max(t.shape[0] for t in tiles), max(t.shape[1] for t in tiles)
    font = _font(font_size) if label else None
    line = _text_size(font, "Ag")[0] + padding // 2 if label else 0
    captions = [wrap(font, t, cell_w) for t in lay.captions] if label else []
    col_labels = [wrap(font, t, cell_w) for t in lay.col_labels] if label else []
    caption_h = line * max(map(len, captions)) if captions and any(lay.captions) else 0
    top_h = line * max(map(len, col_labels)) if col_labels else 0
    left_w = (max(_text_size(font, t)[1] for t in lay.row_labels) + padding
              if label and lay.row_labels else 0)
    step_r, step_c = cell_h + caption_h + padding, cell_w + padding
    n_rows, n_cols = len(lay.grid), max(len(r) for r in lay.grid)
    sheet = np.empty((padding + top_h + n_rows * step_r, padding + left_w + n_cols * step_c, 3),
                     np.float32)
    sheet[:] = bg
    texts: list[tuple[int, int, str]] = []  # (row, col, text) origins
    for r, row in enumerate(lay.grid):
        for c, idx in enumerate(row):
            y0, x0 = padding + top_h + r * step_r, padding + left_w + c * step_c
            if idx is None:
                continue
            t = tiles[idx]
            if caption_h:
                texts += [(y0 + k * line, x0, text) for k, text in enumerate(captions[idx])]
            y, x = y0 + caption_h + (cell_h - t.shape[0]) // 2, x0 + (cell_w - t.shape[1]) // 2
            sheet[y:y + t.shape[0], x:x + t.shape[1]] = t
    if label:
        texts += [(padding + k * line, padding + left_w + c * step_c, text)
                  for c, lines in enumerate(col_labels) for k, text in enumerate(lines)]
        texts += [(padding + top_h + r * step_r + cell_h // 2 - line // 2, padding, t)
                  for r, t in enumerate(lay.row_labels)]
        _draw(sheet, texts, font, bg)
    return sheet


def _draw(sheet: np.ndarray, texts: list[tuple[int, int, str]], font, bg: np.ndarray) -> None:
    """Blend text into ``sheet`` in place; pixels under no glyph are untouched."""
    from PIL import Image, ImageDraw

    coverage = Image.new("L", (sheet.shape[1], sheet.shape[0]), 0)
    draw = ImageDraw.Draw(coverage)
    for y, x, text in texts:
        draw.text((x, y), text, fill=255, font=font)
    alpha = np.asarray(coverage, np.float32) / 255
    ink = np.float32(0.0 if float(bg.mean()) > 0.5 else 1.0)
    hit = alpha > 0
    sheet[hit] = sheet[hit] * (1 - alpha[hit, None]) + ink * alpha[hit, None]
