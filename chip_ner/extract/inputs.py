"""Reading an archive: `.txt` (one paragraph a line), `.jsonl` (a text field and an optional id
field) and Parquet files, or a folder of them (recursively), as a stream of paragraphs.

Nothing is silently lost: a file that is not UTF-8, a line that is not a JSON object, a record
or row without text and a file of another kind each become a `Reject` (file, line or row,
reason), which the engines write to the rejects file. Blank lines of a `.txt` file separate
paragraphs and are only counted.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, NamedTuple, Optional, Union

from ..errors import ChipNerError, Problem

KINDS = {".txt": "txt", ".jsonl": "jsonl", ".parquet": "parquet"}
PARQUET_BATCH = 1024  # rows decoded at a time from a Parquet file


class Source(NamedTuple):
    """An input file: `name` is its path relative to the input folder (its name for a file)."""

    path: Path
    name: str
    kind: str


class Paragraph(NamedTuple):
    """`paragraph` is the 1-based line (txt, jsonl) or row (Parquet) number; `offset` the byte
    offset of the line, or the 0-based row index, where a reader can start again."""

    doc_id: str
    paragraph: int
    text: str
    offset: int


class Reject(NamedTuple):
    file: str
    unit: Optional[str]  # "line", "row", or None for the whole file
    number: Optional[int]
    reason: str

    def record(self) -> dict:
        return {"file": self.file, "line": self.number if self.unit == "line" else None,
                "row": self.number if self.unit == "row" else None, "reason": self.reason}


class Blank(NamedTuple):
    """A blank line of a `.txt` file (counted, not a paragraph)."""

    number: int


Item = Union[Paragraph, Reject, Blank]


def list_sources(path: Path) -> tuple[list[Source], list[Reject]]:
    """The input files under `path` in a stable order, and the files of no known kind. Names
    starting with `.` or `_` are skipped, as Spark and Arrow do (`_SUCCESS`, `.crc` files)."""
    path = Path(path)
    if path.is_file():
        kind = KINDS.get(path.suffix.lower())
        if kind is None:
            raise ChipNerError("Unknown input kind", [Problem(path, "expected a .txt, .jsonl or .parquet file, or a folder")])
        return [Source(path.absolute(), path.name, kind)], []
    if not path.is_dir():
        raise ChipNerError("No such input", [Problem(path, "does not exist")])
    sources, rejects = [], []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        name = file.relative_to(path).as_posix()
        if any(part.startswith((".", "_")) for part in file.relative_to(path).parts):
            continue
        kind = KINDS.get(file.suffix.lower())
        if kind is None:
            rejects.append(Reject(name, None, None, "not a .txt, .jsonl or .parquet file"))
        else:
            sources.append(Source(file.absolute(), name, kind))
    return sources, rejects


def utf8_problem(source: Source) -> Optional[Reject]:
    """The first byte that is not UTF-8, located by line and byte offset (None if the file is clean)."""
    offset = 0
    with open(source.path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as err:
                return Reject(source.name, "line", line_no, f"not UTF-8: byte 0x{raw[err.start]:02x} at byte offset "
                                                            f"{offset + err.start} ({err.reason})")
            offset += len(raw)
    return None


def _lines(source: Source, offset: int, first_line: int, last_line: Optional[int]) -> Iterator[tuple[int, int, str]]:
    """(line number, byte offset, text without its line end) from `offset`, which starts line `first_line`."""
    with open(source.path, "rb") as handle:
        handle.seek(offset)
        line_no = first_line
        for raw in handle:
            text = raw.decode("utf-8").rstrip("\n").rstrip("\r")
            if line_no == 1:
                text = text.removeprefix("\ufeff")
            yield line_no, offset, text
            if line_no == last_line:
                return
            offset += len(raw)
            line_no += 1


def _jsonl_item(source: Source, line_no: int, offset: int, line: str, text_field: str, id_field: str) -> Item:
    if not line.strip():
        return Reject(source.name, "line", line_no, "blank line (not a JSON object)")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        return Reject(source.name, "line", line_no, f"not valid JSON: {err.msg} (offset {err.pos})")
    if not isinstance(record, dict):
        return Reject(source.name, "line", line_no, f"expected a JSON object, found {type(record).__name__}")
    text = record.get(text_field)
    if text is None:
        return Reject(source.name, "line", line_no, f"no `{text_field}` field")
    if not isinstance(text, str):
        return Reject(source.name, "line", line_no, f"`{text_field}` is a {type(text).__name__}, not a string")
    if not text.strip():
        return Reject(source.name, "line", line_no, f"empty `{text_field}`")
    doc_id = record.get(id_field)
    return Paragraph(source.name if doc_id is None else str(doc_id), line_no, text, offset)


def _parquet_items(source: Source, text_field: str, id_field: str, first_row: int,
                   last_row: Optional[int]) -> Iterator[Item]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source.path)
        schema = parquet.schema_arrow
    except (OSError, pa.ArrowException) as err:
        yield Reject(source.name, None, None, f"not a readable Parquet file: {err}")
        return
    if text_field not in schema.names:
        yield Reject(source.name, None, None, f"no `{text_field}` column (columns: {', '.join(schema.names)})")
        return
    text_type = schema.field(text_field).type
    if not (pa.types.is_string(text_type) or pa.types.is_large_string(text_type)):
        yield Reject(source.name, None, None, f"column `{text_field}` is {text_type}, not a string")
        return
    columns = [text_field] + ([id_field] if id_field in schema.names and id_field != text_field else [])
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH, columns=columns):
            if row + batch.num_rows <= first_row:
                row += batch.num_rows
                continue
            texts = batch.column(0).to_pylist()
            ids = batch.column(1).to_pylist() if len(columns) > 1 else [None] * len(texts)
            for text, doc_id in zip(texts, ids):
                row += 1
                if row <= first_row:
                    continue
                if text is None or not text.strip():
                    yield Reject(source.name, "row", row, f"no `{text_field}`" if text is None else f"empty `{text_field}`")
                else:
                    yield Paragraph(source.name if doc_id is None else str(doc_id), row, text, row - 1)
                if row == last_row:
                    return
    except (OSError, pa.ArrowException) as err:
        yield Reject(source.name, "row", row + 1, f"unreadable Parquet from here on: {err}")


def iter_items(source: Source, *, text_field: str = "text", id_field: str = "id", offset: int = 0,
               first: int = 1, last: Optional[int] = None, check_utf8: bool = True) -> Iterator[Item]:
    """The paragraphs, rejects and blank lines of `source`, in order. A reader can start at a
    paragraph's `offset` (its line `first`) and stop after line or row `last`; such a restart
    skips the UTF-8 check the first pass made."""
    if source.kind == "parquet":
        yield from _parquet_items(source, text_field, id_field, offset, last)
        return
    if check_utf8:
        problem = utf8_problem(source)
        if problem is not None:
            yield problem
            return
    for line_no, line_offset, line in _lines(source, offset, first, last):
        if source.kind == "txt":
            yield Paragraph(source.name, line_no, line, line_offset) if line.strip() else Blank(line_no)
        else:
            yield _jsonl_item(source, line_no, line_offset, line, text_field, id_field)
