"""Humanitarian Figures: civilians killed, injured, missing, trapped and displaced, read from text
with their provenance (qualifier, place, source, date, quote and offsets).

    >>> from figures import extract
    >>> [f.category for f in extract("Floods displaced 3,000 people in Sindh, officials said.")]
    ['displaced']
"""
from .extract import EXTRACTOR_VERSION, ExtractionTimeout, extract
from .schema import CATEGORIES, FIELDS, QUALIFIERS, UNITS, Figure, to_csv_row

__all__ = ["extract", "ExtractionTimeout", "Figure", "FIELDS", "CATEGORIES", "QUALIFIERS", "UNITS",
           "to_csv_row", "EXTRACTOR_VERSION"]
__version__ = EXTRACTOR_VERSION
