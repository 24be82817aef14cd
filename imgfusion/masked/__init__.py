"""Operators that combine the two families: style where a mask says, and stylised
cutouts blended into photos (:mod:`.masked_style`, :mod:`.cutout`)."""
