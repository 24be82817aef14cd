"""Neural style transfer by image optimisation (Gatys et al. 2016, 2017).

Modules, each named after what it does:

- ``layers``: VGG19 layer names (conv1_1, relu1_1, pool1 ... pool5), per-layer weights,
  receptive-field geometry, the smallest image a layer set accepts;
- ``weights``: torchvision ImageNet weights (hash-checked download into the torch hub
  cache), a local state dict, or seeded random weights for tests;
- ``encoder``: VGG19 features cut after the deepest layer needed, one forward pass;
- ``losses``: content MSE, size-independent Gram style loss (blended and guided), TV;
- ``guides``: region guides carried to each layer (modes simple / all / inside, dilation)
  for spatially controlled (mask-guided) style: build targets with
  ``losses.guided_gram_targets`` and pass ``input_guides`` to ``losses.GramStyleLoss``;
- ``color``: original_colors, luminance-only transfer, colour histogram matching, and
  grey inputs, whose run optimises the luminance alone (grey in, grey out);
- ``pyramid``: coarse-to-fine levels; ``optimize``: the L-BFGS / Adam loop;
- ``devices``: device choice and precision modes; ``plot``: loss curves;
- ``options``: the option groups every stylising operator takes (losses, schedule, side
  files, colour, initialisation, speed, guides), each option declared once;
- ``checks``: input validation; ``transfer``: :func:`neural_style` and its presets.
- ``tile_plan``, ``tiles``: outputs larger than ``memory_limit``, stylised at a size that
  fits, then refined at full size in overlapping, blended tiles against the whole style.

Importing this package does not import torch; the modules do.
"""
