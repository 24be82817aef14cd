"""Recipes: YAML -> a validated, planned :class:`Recipe`, reporting every problem at once.

- :mod:`~imgfusion.recipe.model`: the records (:class:`Recipe`, :class:`Step`, :class:`Ref`);
- :mod:`~imgfusion.recipe.steps`, :mod:`~imgfusion.recipe.fields`,
  :mod:`~imgfusion.recipe.graph`, :mod:`~imgfusion.recipe.shapes`: validation, as plain
  functions returning :class:`~imgfusion.errors.Problem` lists (top-level keys; each
  step's operator, inputs, parameters and sweep; references and cycles; sizes and frame
  counts known from the declarations and the files' headers);
- :mod:`~imgfusion.recipe.load`: :func:`load_recipe`, which reads, validates and plans.

Validation covers YAML syntax (line and column), safe loading only, the top-level keys,
each step's operator, inputs, parameters, references (``$id``, ``$id.NAME``), cycles,
duplicate ids, sweeps, input files, output paths and the sizes the headers tell.  Each
problem names the step and the field and, for names, suggests the closest match.
"""
from __future__ import annotations

from .load import load_recipe
from .model import FORMAT_VERSION, Recipe, Ref, Step

__all__ = ["FORMAT_VERSION", "Recipe", "Ref", "Step", "load_recipe"]
