"""The figure schema: the one place that names a figure's fields, categories and CSV columns.

Everything else (the extractor, the command line, later the store, the charts and the exports)
imports these names instead of spelling them again.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

#: What happened to the people counted.
CATEGORIES = ("killed", "injured", "missing", "trapped", "displaced")

#: How the number was stated. ``value`` is always the number a chart plots.
QUALIFIERS = (
    "exact",     # "320,000"
    "at_least",  # "more than 100,000": value_low only
    "at_most",   # "up to 25,000": value_high only
    "approx",    # "nearly 150", "an estimated 50,000"
    "range",     # "between 3,000 and 5,000"
    "vague",     # "tens of thousands": 20,000..99,999
)

#: What one counted unit is: a person, or a household ("3,000 families").
UNITS = ("people", "households")

#: How specific a figure's place is, from the whole country to one town or site. "country_part"
#: is a part of a country named by direction ("northern Syria"); "" when the figure has no place.
LOCATION_LEVELS = ("country", "country_part", "region", "district", "town")


@dataclass(slots=True)
class Figure:
    """One humanitarian figure stated in a document, with its provenance."""

    doc_id: str
    article: int            # which article inside the document (0 = the first)
    category: str           # one of CATEGORIES
    value: float            # the number a chart plots: stated number or low bound
    value_low: float | None
    value_high: float | None
    qualifier: str          # one of QUALIFIERS
    number_text: str        # the number phrase as written: "up to 25,000"
    unit: str               # one of UNITS
    who: str                # normalised group: "civilians", "children", "fighters"...
    combatant: bool         # fighters, militants, soldiers, troops, security forces
    term: str               # the words that decided the category: "fled", "unable to leave"
    location: str           # most specific place the text ties to the figure
    location_level: str = field(default="", kw_only=True)   # one of LOCATION_LEVELS, or ""
    country: str            # ISO 3166-1 alpha-3 code of that place
    lat: float | None = field(default=None, kw_only=True)   # where the place is drawn on a map
    lon: float | None = field(default=None, kw_only=True)   # (places.point): a town's coordinates,
                            # a country's centroid, a region's seat; None for no point ("northern
                            # Syria", a list of places, a name the bundled data cannot place)
    source: str             # the body the text credits: "UNICEF", "Syrian Observatory for Human
                            # Rights"; a role ("the provincial governor", "witnesses") when no
                            # body is named; "" when the text credits nobody
    speaker: str = field(default="", kw_only=True)   # the named person speaking for the source
    reported_date: str      # ISO date of the article ("2017-06-14"), "--06-14" if no year known
    figure_date: str = field(default="", kw_only=True)       # the date the text gives for this
                            # figure when it is not the article's ("since 1 March", "as of
                            # Tuesday"): ISO, "--03-01" if no year known, "" when none
    figure_date_text: str = field(default="", kw_only=True)  # that date as written: "since 1 March"
    quote: str              # the sentence the figure was read from
    start: int              # character offsets of the figure in the original text
    end: int
    page: int | None = None  # PDF page (1-based) holding the figure; None for other formats
    part_of: int | None = field(default=None, kw_only=True)   # for a part of a breakdown ("4
                            # police officers" in "23 people, including 4 police officers, were
                            # killed"): the ``start`` of its total's figure (same document, article
                            # and category); None for a figure that stands alone. Sums, timelines
                            # and per-place totals leave parts out, so a total is counted once.

    def to_row(self) -> dict:
        """The figure as a flat dict keyed by CSV column names (numbers kept as numbers). Every field
        holds a scalar, so this is ``dataclasses.asdict`` without its deep copies (a sixth of the
        CLI's time on short texts)."""
        return {name: getattr(self, name) for name in FIELDS}


#: CSV columns, in order: exactly the schema's field names.
FIELDS = tuple(f.name for f in fields(Figure))

# Fields whose empty value is written as an empty cell rather than as "None".
_OPTIONAL_NUMBERS = {"value_low", "value_high", "page", "part_of", "lat", "lon"}


def format_number(x: float | None) -> str:
    """25000.0 -> "25000"; 1.5 -> "1.5"; None -> ""."""
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def to_csv_row(figure: Figure) -> dict[str, str]:
    """The figure as strings for a CSV writer: whole numbers without '.0', booleans as true/false."""
    row = {}
    for name, v in figure.to_row().items():
        if isinstance(v, bool):
            row[name] = "true" if v else "false"
        elif isinstance(v, float) or name in _OPTIONAL_NUMBERS or name == "value":
            row[name] = format_number(v)
        else:
            row[name] = "" if v is None else str(v)
    return row


# ---------------------------------------------------------------------------------------------
# Reviews and exports: the columns the store adds around a figure

#: An analyst's verdict on a figure; "unreviewed" is the absence of one.
REVIEW_STATUSES = ("unreviewed", "accepted", "corrected", "rejected")

#: The figure fields an analyst may correct. The extracted value stays beside the correction.
#: A correction of the source that names no speaker clears the speaker (the person extracted spoke
#: for the source extracted); see ``Store.review``.
CORRECTABLE = ("value", "category", "location", "country", "source", "speaker")

#: Columns of an export: every figure field (corrected values applied), then where it came from and
#: what a reviewer said, then the values as first extracted. ``part_of_figure_id`` is the
#: ``figure_id`` of the total a part of a breakdown belongs to (``part_of`` resolved in the store).
#: ``story_id`` is the first stored document of the figure's story; for a near copy of it,
#: ``copy_of_document`` is that document and ``copy_of_figure`` the earlier figure this one repeats
#: (empty when only this copy gives the figure); see figures/dedup.py.
EXPORT_FIELDS = FIELDS + (
    "figure_id", "part_of_figure_id", "extractor_version", "document_title", "document_url",
    "document_outlet", "story_id", "copy_of_document", "copy_of_figure",
    "review_status", "review_note",
) + tuple(f"extracted_{name}" for name in CORRECTABLE)

#: HXL hashtags (https://hxlstandard.org) for the HDX-style export: one value column per category.
HXL_COLUMNS = (
    ("doc_id", "#meta+id"),
    *((cat, f"#affected+{cat}") for cat in CATEGORIES),
    ("value_low", "#affected+min"),
    ("value_high", "#affected+max"),
    ("qualifier", "#meta+qualifier"),
    ("number_text", "#meta+text"),
    ("who", "#meta+who"),
    ("combatant", "#meta+combatant"),
    ("location", "#loc+name"),
    ("location_level", "#loc+level"),
    ("country", "#country+code"),
    ("lat", "#geo+lat"),
    ("lon", "#geo+lon"),
    ("reported_date", "#date+reported"),
    ("figure_date", "#date+figure"),
    ("figure_date_text", "#meta+date_text"),
    ("source", "#meta+source"),
    ("speaker", "#meta+speaker"),
    ("document_title", "#meta+title"),
    ("document_url", "#meta+url"),
    ("page", "#meta+page"),
    ("figure_id", "#meta+figure_id"),
    ("part_of_figure_id", "#meta+part_of"),
    ("quote", "#description"),
    ("review_status", "#status"),
    ("review_note", "#meta+note"),
)
