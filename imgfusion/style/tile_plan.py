"""Where the tiles of a tiled style run lie, how their overlaps blend, and how large a tile
the memory allows.

A tile run optimises overlapping windows of the full-size image one after another, so its
peak memory is one window's optimisation (:func:`~imgfusion.style.checks.estimate_bytes`:
VGG19 activations per pixel for the layers used, float32, forward and backward, the
optimiser's history) plus the few full-size float buffers the run keeps
(:data:`FULL_SIZE_BUFFERS`).  :func:`choose_tile` takes the largest square tile whose total
fits the budget; :func:`memory_budget` is the budget when none is given: most of the free
RAM, or of the GPU's free memory on CUDA.

Tiles are (top, left, height, width), coordinates (row, col).  Along each axis the starts
are spread evenly so that neighbours overlap by at least ``overlap`` pixels and the last
tile ends on the image's edge.  Blend weights ramp as a raised cosine across each side
that faces a neighbour and are 1 elsewhere; the blended image divides the weighted sum
by the summed weights, so the blend is a partition of unity whatever the overlaps.  That
average of two tiles' textures loses at most 4 % of their detail energy on photographs
(each tile starts from the canvas its neighbours left, so they agree in the overlap): a
blend restoring it per frequency band was measured and not kept (bench/style_tiles.py).

Seams are measured on an output: :func:`edge_ratio` and :func:`band_ratio` against the
picture's other lines, and :func:`crossover_ratio` against a second run on the
:func:`shifted_tiles` grid, which cancels the picture's own structure.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import ParameterError
from ..memory import FREE_SHARE
from .checks import estimate_bytes
from .layers import LAYERS

MIB = 2 ** 20
# Full-size float32 buffers a tiled run holds, in image-channel planes of H x W: the
# canvas (3), the weighted sum (3), the weight sum (1), the content at full size (3) and
# the output being assembled (3).
FULL_SIZE_BUFFERS = 13
# A joint run also holds at the full size: the image, its gradient, the summed tiles'
# gradient, L-BFGS's flat gradient and direction, the last good image and the image
# before a step (7 3-channel copies; 5 more for the temporaries of the surrogate total
# and the allocator's slack, measured: 438 MiB against 439 counted with 7), and each
# tile's normalised blend weights (the tiles cover the image up to twice over: 2 planes).
JOINT_IMAGE_COPIES = 12
# What a tile's losses add to the network's count (checks.estimate_bytes), per layer a
# loss reads: the features away from the inner edges copied to be reshaped, the content
# loss's difference, and their gradients: 1.27 x the count alone was measured at 320 px;
# with 3, one run of tests/style/test_tiles.py's 768 px case peaked at 293 MB of 291 counted
# (others 262-270): the allocator's slack, so one copy more.
LOSS_COPIES = 4
# The same run's peak moves from run to run by far more than one copy: seven runs of that
# 768 px case peaked at 211-299 MB against 285 MB counted (the allocator's reuse of freed
# blocks varies), so a tile's part of the count is raised by this share.
ALLOCATOR_SLACK = 1.15
JOINT_WEIGHT_PLANES = 2
BUDGET_SHARE = FREE_SHARE   # of the free memory, when no limit is given (memory.check_fits')
TILE_STEP = 16              # tile sides are multiples of this (VGG19 pools four times
                            # before relu5_1: features of a tile line up with the image's)
SMALLEST_TILE = 64


class Tile(NamedTuple):
    top: int
    left: int
    height: int
    width: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.top + self.height), slice(self.left, self.left + self.width)


def axis_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Starts of the windows of size ``tile`` covering ``[0, length)``, neighbours
    overlapping by at least ``overlap`` (one window when ``tile >= length``)."""
    if tile >= length:
        return [0]
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap {overlap} must be in [0, tile={tile})")
    n = math.ceil((length - overlap) / (tile - overlap))
    n = max(n, 2)
    return [round(i * (length - tile) / (n - 1)) for i in range(n)]


def plan_tiles(hw: tuple[int, int], tile: int, overlap: int) -> list[Tile]:
    """The tiles (row-major) of an image of size ``hw`` for square tiles of side ``tile``."""
    rows = axis_starts(hw[0], tile, overlap)
    cols = axis_starts(hw[1], tile, overlap)
    th, tw = min(tile, hw[0]), min(tile, hw[1])
    return [Tile(r, c, th, tw) for r in rows for c in cols]


def edge_margin(overlap: int) -> int:
    """Pixels along a tile's inner edge that neither its losses nor its blend weight count:
    the network sees the tile's zero padding there, not the neighbour."""
    return overlap // 4


def _ramp(n: int, width: int, rising_start: bool, rising_end: bool) -> np.ndarray:
    """1-D weights of length ``n``: at each end that faces a neighbour, 0 over the
    :func:`edge_margin` and a raised cosine up to 1 over the rest of ``width``; 1 elsewhere."""
    w = np.ones(n, dtype=np.float32)
    width = min(width, n // 2)
    if width <= 0:
        return w
    skip = edge_margin(width)
    rise = width - skip
    up = np.zeros(width, dtype=np.float32)
    up[skip:] = 0.5 - 0.5 * np.cos(np.pi * (np.arange(rise) + 0.5) / rise)
    if rising_start:
        w[:width] = up
    if rising_end:
        w[n - width:] = up[::-1]
    return w


def blend_weights(tile: Tile, hw: tuple[int, int], overlap: int) -> np.ndarray:
    """height x width weights of ``tile``: ramps on the sides inside the image.  Neighbours
    overlap by at least ``overlap`` > 2 :func:`edge_margin`, so every pixel has a tile of
    weight > 0."""
    rows = _ramp(tile.height, overlap, tile.top > 0, tile.top + tile.height < hw[0])
    cols = _ramp(tile.width, overlap, tile.left > 0, tile.left + tile.width < hw[1])
    return np.outer(rows, cols)


def run_bytes(hw: tuple[int, int], tile: int, deepest: int, optimizer: str,
              lbfgs_history: int = 100, joint: bool = False) -> int:
    """Peak bytes of a tiled run at ``hw`` with square tiles of side ``tile``, L-BFGS
    keeping ``lbfgs_history`` steps (at most the iterations of one optimisation).  A
    ``joint`` run (:mod:`.tile_joint`) keeps the optimiser's state at the full size and
    none per tile."""
    side = (min(tile, hw[0]), min(tile, hw[1]))
    copies = 4 * LOSS_COPIES * loss_floats(side, deepest)
    if not joint:
        one_tile = estimate_bytes(side, deepest, optimizer, lbfgs_history) + copies
        return round(ALLOCATOR_SLACK * one_tile) + 4 * FULL_SIZE_BUFFERS * hw[0] * hw[1]
    state = 2 * lbfgs_history if optimizer == "lbfgs" else 2
    planes = FULL_SIZE_BUFFERS + JOINT_WEIGHT_PLANES + 3 * (state + JOINT_IMAGE_COPIES)
    one_tile = estimate_bytes(side, deepest, "adam") + copies
    return round(ALLOCATOR_SLACK * one_tile) + 4 * planes * hw[0] * hw[1]


def loss_floats(hw: tuple[int, int], deepest: int) -> int:
    """Floats of one layer per VGG19 block up to the one of layer index ``deepest`` (the
    first ReLU of each block: the default style layers, and as large as the content's)."""
    blocks = sum(1 for _, kind, _, _ in LAYERS[:deepest + 1] if kind == "pool") + 1
    return sum(min(64 * 2 ** k, 512) * (hw[0] >> k) * (hw[1] >> k) for k in range(blocks))


def choose_tile(hw: tuple[int, int], deepest: int, optimizer: str, budget: int,
                field: str = "memory_limit", lbfgs_history: int = 100,
                joint: bool = False) -> int:
    """The largest tile side (a multiple of :data:`TILE_STEP`, at most the image's longest
    side) whose run fits ``budget`` bytes; ParameterError naming ``field`` when even
    :data:`SMALLEST_TILE` does not."""
    longest = max(hw)
    best = None
    side = SMALLEST_TILE
    while (side < longest + TILE_STEP
           and run_bytes(hw, side, deepest, optimizer, lbfgs_history, joint) <= budget):
        best = side
        side += TILE_STEP
    if best is None:
        need = run_bytes(hw, SMALLEST_TILE, deepest, optimizer, lbfgs_history, joint)
        raise ParameterError(field, f"a {hw[0]} x {hw[1]} px output needs about "
                                    f"{need / 2 ** 30:.2f} GiB even in {SMALLEST_TILE} px "
                                    f"tiles; the budget is {budget / 2 ** 30:.2f} GiB")
    return min(best, longest)


def memory_budget(limit_mib: float | None, available: int | None) -> int:
    """Bytes a run may use: ``limit_mib`` when given (> 0), else :data:`BUDGET_SHARE` of
    ``available`` (the device's free memory), else 4 GiB."""
    if limit_mib:
        return int(limit_mib * MIB)
    if available is None:
        return 4 * 1024 * MIB
    return int(BUDGET_SHARE * available)


def overlap_pixels(tile: int, fraction: float) -> int:
    """Overlap of neighbouring tiles in pixels: ``fraction`` of the tile side, at least 8."""
    return max(8, min(tile - 1, round(tile * fraction)))


def overlap_lines(tiles: list[Tile], length: int, axis: int) -> np.ndarray:
    """Booleans over the lines 1 ... ``length - 1`` along ``axis`` (line i: the jump from
    pixel i - 1 to pixel i): True inside a strip where neighbouring tiles overlap, from the
    later tile's first pixel to the first pixel past the earlier tile, both edges included."""
    spans = sorted({(t[axis], t[axis] + t[axis + 2]) for t in tiles})
    band = np.zeros(length + 1, bool)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        band[start:end + 1] = True
    return band[1:length]


def inner_edges(tiles: list[Tile], hw: tuple[int, int]) -> tuple[list[int], list[int]]:
    """Rows and columns where some tile's edge lies inside the image (where a seam would
    show): each is the index of the first pixel past the edge."""
    rows = {t.top for t in tiles if t.top > 0} | {t.top + t.height for t in tiles
                                                  if t.top + t.height < hw[0]}
    cols = {t.left for t in tiles if t.left > 0} | {t.left + t.width for t in tiles
                                                    if t.left + t.width < hw[1]}
    return sorted(rows), sorted(cols)


def edge_ratio(image: np.ndarray, tiles: list[Tile], period: int = TILE_STEP) -> float:
    """Mean squared jump across the tiles' inner edges over that across the other lines of
    the same phase modulo ``period`` (the network's pooling grid, whose lines differ from
    the rest even without tiles): 1 when the edges look like the interior, larger when a
    seam shows.  NaN when no edge lies inside the image."""
    img = np.asarray(image, dtype=np.float64)
    rows, cols = inner_edges(tiles, img.shape[:2])
    dv = ((img[1:] - img[:-1]) ** 2).sum(-1).mean(1)     # jump into row r: dv[r - 1]
    dh = ((img[:, 1:] - img[:, :-1]) ** 2).sum(-1).mean(0)
    edge, ref = _edge_and_reference(dv, rows, period), _edge_and_reference(dh, cols, period)
    if not edge[0] + ref[0]:
        return float("nan")
    return float(np.mean(edge[0] + ref[0]) / np.mean(edge[1] + ref[1]))


def _edge_and_reference(jumps: np.ndarray, edges: list[int], period: int):
    """(jumps across ``edges``, jumps across the other lines of the edges' phases)."""
    phases = {e % period for e in edges}
    ref = [i for i in range(1, len(jumps) + 1) if i % period in phases and i not in edges]
    if edges and not ref:
        ref = [i for i in range(1, len(jumps) + 1) if i not in edges]
    return [jumps[e - 1] for e in edges], [jumps[i - 1] for i in ref]


def band_ratio(image: np.ndarray, tiles: list[Tile], frame: int = TILE_STEP) -> float:
    """Gradient energy across the lines inside the tiles' overlap strips (where tiles are
    blended, and where their edges lie) over that across the other lines, leaving out
    ``frame`` lines along the image's border (zero padding marks them in any run).

    Energy of a line: the mean over it of the squared jump across it (summed over the
    channels).  1 when the strips look like the rest; above 1 when an edge or a mismatch
    shows there, below 1 when the blend averages two textures into a duller band.  NaN
    when no strip lies inside the image."""
    img = np.asarray(image, dtype=np.float64)
    img = img[..., None] if img.ndim == 2 else img
    band, rest = [], []
    for axis in (0, 1):
        jumps = (np.diff(img, axis=axis) ** 2).sum(-1).mean(1 - axis)
        inside = overlap_lines(tiles, img.shape[axis], axis)
        keep = np.zeros_like(inside)
        keep[frame:len(keep) - frame] = True
        band.append(jumps[inside & keep])
        rest.append(jumps[~inside & keep])
    band, rest = np.concatenate(band), np.concatenate(rest)
    if not band.size or not rest.size:
        return float("nan")
    return float(band.mean() / rest.mean())


def seam_ratio(image: np.ndarray, tiles: list[Tile]) -> float:
    """Of :func:`edge_ratio` (a line along the tiles' edges) and :func:`band_ratio` (a
    duller or busier strip where they blend), the one farther from 1: a seam of either
    kind shows as a value away from 1."""
    ratios = [r for r in (edge_ratio(image, tiles), band_ratio(image, tiles)) if r == r]
    return max(ratios, key=lambda r: abs(np.log(r)), default=float("nan"))


def shifted_tiles(tiles: list[Tile], hw: tuple[int, int]) -> list[Tile]:
    """The grid of ``tiles`` (:func:`plan_tiles`') moved by half its step along each axis
    that has several tiles, the tiles cut at the image's border: a second plan whose
    overlap strips and edges lie midway between the first's (:func:`crossover_ratio`), apart
    from them while the overlap is under half the step (a third of the tile side)."""
    rows, cols = (_shifted_spans(sorted({(t[a], t[a + 2]) for t in tiles}), hw[a])
                  for a in (0, 1))
    return [Tile(r, c, h, w) for r, h in rows for c, w in cols]


def _shifted_spans(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """(start, size) of the tiles along one axis, each start moved back by half the mean
    step and one tile added at the end, all cut to ``[0, length)``."""
    if len(spans) < 2:
        return spans
    starts, side = [s for s, _ in spans], spans[0][1]
    step = (starts[-1] - starts[0]) / (len(starts) - 1)
    half = round(step / 2)
    moved = [s - half for s in starts] + [starts[-1] + round(step) - half]
    return [(max(s, 0), min(s + side, length) - max(s, 0)) for s in moved]


def seam_groups(tiles: list[Tile], hw: tuple[int, int], kind: str,
                frame: int = TILE_STEP) -> list[tuple[int, np.ndarray]]:
    """The lines a seam of ``kind`` would mark, in groups that vary together: (axis, line
    indices) per inner edge line (``"edges"``) or per overlap strip (``"bands"``, its
    lines as in :func:`band_ratio`), leaving out ``frame`` lines along the border."""
    if kind == "edges":
        return [(axis, np.array([i])) for axis, lines in enumerate(inner_edges(tiles, hw))
                for i in lines if frame <= i <= hw[axis] - frame]
    groups = []
    for axis in (0, 1):
        inside = np.flatnonzero(overlap_lines(tiles, hw[axis], axis)) + 1
        inside = inside[(inside > frame) & (inside < hw[axis] - frame)]
        groups += [(axis, g) for g in np.split(inside, np.flatnonzero(np.diff(inside) > 1) + 1)
                   if g.size]
    return groups


def line_energies(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per axis, the energy of each line 1 ... n - 1 (the mean over it of the squared jump
    into pixel i, summed over the channels), at index i - 1."""
    img = np.asarray(image, dtype=np.float64)
    img = img[..., None] if img.ndim == 2 else img
    return tuple((np.diff(img, axis=axis) ** 2).sum(-1).mean(1 - axis) for axis in (0, 1))


def group_sums(energies, groups) -> np.ndarray:
    """Each group's summed line energy."""
    return np.array([energies[axis][lines - 1].sum() for axis, lines in groups])


def crossover_ratio(images, groups, draws: int = 2000, seed: int = 0):
    """How much a seam changes the gradient energy of its lines, with the picture's own
    structure cancelled: ``images`` = (a, b), two runs of the same pipeline on the same
    input whose seams lie on ``groups`` = (lines of a's seams, lines of b's)
    (:func:`seam_groups` of a plan and of its :func:`shifted_tiles`).  Each run's energy
    on its own seam lines over that on the other run's seam lines; the geometric mean of
    the two quotients.  A factor k on every seam line gives k; the picture's structure,
    the same in both runs, cancels.  ``(ratio, low, high)``: the 95 % interval from
    ``draws`` resamplings of each run's groups with replacement."""
    ga, gb = groups
    ea, eb = line_energies(images[0]), line_energies(images[1])
    sums = [(group_sums(ea, g), group_sums(eb, g)) for g in (ga, gb)]
    counts = [np.array([len(lines) for _, lines in g], float) for g in (ga, gb)]
    rng = np.random.default_rng(seed)
    picks = [np.vstack([np.arange(len(c)), rng.integers(0, len(c), (draws, len(c)))])
             for c in counts]
    q = _crossover(sums, counts, picks)
    return float(q[0]), float(np.quantile(q[1:], 0.025)), float(np.quantile(q[1:], 0.975))


def _crossover(sums, counts, picks) -> np.ndarray:
    """The crossover ratio for each row of group indices in ``picks`` (first row: all)."""
    (a_on_a, b_on_a), (a_on_b, b_on_b) = (
        [s[p].sum(1) / c[p].sum(1) for s in pair] for pair, c, p in zip(sums, counts, picks))
    return np.sqrt(a_on_a / a_on_b * (b_on_b / b_on_a))
