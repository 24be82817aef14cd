"""The I/O family: read images and masks (``read``), write them atomically
(``write``), the scikit-image sample images (``samples``) and the header probes
that refuse oversized images before decoding (``headers``).  Registrations:
``plugin``.  Importing this package imports nothing heavy."""
