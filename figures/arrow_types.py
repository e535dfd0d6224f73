"""How the columns of ``figure_rows`` are typed in Arrow, the same whoever reads them: this
process (``frames.all_figures_table``, ``frames.merged``) or SQLite's ADBC driver in a child
process (``sqlite_arrow``), which loads this file alone (no other module of the package, and
neither pandas nor the extraction engine: it starts 0.2 s sooner)."""
from __future__ import annotations

import pyarrow as pa

#: Columns pandas reads as numbers (``pd.to_numeric``) whatever SQLite holds in them
NUMERIC = ("value", "value_low", "value_high", "extracted_value")


#: The columns of ``figure_rows`` that hold numbers; the others hold text (a test checks this
#: against the store's rows). SQLite's ADBC driver types a column as text when its first value
#: is text and writes the numbers after it as text: one of these read as text means another tool
#: wrote text where a number belongs, and such a store is read by ``sqlite3``, as before.
NUMBER_COLUMNS = frozenset({
    "figure_id", "document_id", "article", "value", "value_low", "value_high", "combatant",
    "lat", "lon", "start", "end", "page", "part_of", "part_of_figure_id", "story_id",
    "copy_of_document", "copy_of_figure", "extracted_value"})


def typed_as_read(table: pa.Table) -> pa.Table | None:
    """A table read by SQLite's ADBC driver (``sqlite_arrow``) typed as
    ``frames.all_figures_table`` types the same rows: text as ``large_string``, a column without a value as ``common_type``
    makes it. None for a column of a type that function never makes, or text in a column of
    numbers."""
    columns = []
    for name, column in zip(table.column_names, table.columns):
        if column.null_count == len(column):
            columns.append(pa.nulls(len(column), common_type(name, [pa.nulls(1)])))
            continue
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            if name in NUMBER_COLUMNS:
                return None
            kind = pa.large_string()
        elif column.type in (pa.int64(), pa.float64()):
            kind = column.type
        else:
            return None
        chunks = [c.cast(kind) for c in column.chunks]
        columns.append(chunks[0] if len(chunks) == 1 else concat(name, chunks))
    return pa.table(columns, names=table.column_names)


def common_type(name: str, arrays) -> pa.DataType:
    """The type the chunks of one column take together: NULL-only chunks take the others' type,
    whole numbers in a column of fractions become fractions (as pandas makes them)."""
    types = {a.type for a in arrays} - {pa.null()}
    if types == {pa.int64(), pa.float64()}:
        types = {pa.float64()}
    if len(types) > 1:
        raise pa.ArrowTypeError(f"{name}: values of types {sorted(map(str, types))}")
    if name in NUMERIC:
        if not types <= {pa.int64(), pa.float64()}:
            raise pa.ArrowTypeError(f"{name}: {types}")      # as pd.to_numeric would not leave it
        if not types and arrays:
            return pa.float64()        # no value at all: fractions, as pd.to_numeric makes them
    return types.pop() if types else pa.null()


def alike(name: str, arrays: list) -> tuple[list, pa.DataType]:
    """Pieces of one column (arrays or chunked arrays), each cast to the type they take
    together (``common_type``), and that type."""
    kind = common_type(name, [c for a in arrays
                              for c in (a.chunks if isinstance(a, pa.ChunkedArray) else [a])])
    return [a if a.type == kind else a.cast(kind) for a in arrays], kind


def concat(name: str, arrays: list[pa.Array]) -> pa.Array:
    """The chunks of one column as one array of their common type (``common_type``). Text is
    ``large_string``, what pandas keeps its text in: the frame and a memory-mapped cache file
    share its buffers (with ``string`` each column was copied into the frame, 400 MB at
    1,000,000 figures)."""
    arrays, kind = alike(name, arrays)
    return pa.concat_arrays(arrays) if arrays else pa.array([], kind)
