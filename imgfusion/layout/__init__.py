"""The layout family: geometry (resize, crop, repeat, place), compositing and grey
conversion (``compose``), drawn masks (``masks``) and labelled contact sheets
(``contact_sheets``).  Registrations: ``plugin``.  Importing this package imports
nothing heavy."""
