"""The sync state shared by push and pull: for every paragraph in doccano, the spans (code
points) doccano held when the two sides last agreed. It is the common ancestor of pull's
three-way merge, so only push (what it stored) and pull (what it merged) write it.

A record names the server, the project and the doccano example it describes, so a base made
against another server, or an example deleted and pushed again, is no base at all. push is a
journal: before it creates an example it appends a `pending` record, and only once the
example and all its spans are stored a `synced` one (each line flushed to disk), so a push
killed at any point leaves a record that says exactly how far it got. The file is compacted
(one record per paragraph, written atomically) when push or pull finishes.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

from wasabi import msg

from ..io import checked_records, parse_jsonl, read_utf8, write_jsonl
from ..records import Span

PENDING, SYNCED = "pending", "synced"


def load_base(path: Path) -> dict[str, dict[str, Any]]:
    """Base records by paragraph id (the last record of a paragraph wins, as in a journal).

    A last line without its newline is the record a killed push was appending; it is ignored,
    with a warning, since the step it describes cannot have started (see `SyncState`)."""
    path = Path(path)
    if not path.exists():
        return {}
    text = read_utf8(path)
    if text and not text.endswith("\n"):
        head, _, tail = text.rpartition("\n")
        if not is_json(tail):
            msg.warn(f"{path}: ignoring an unfinished last line (a push was interrupted while writing it)")
            text = head + "\n" if head else ""
    records = checked_records(path, parse_jsonl(path, text), base_problem, "Invalid sync state",
                              "Fix or delete the lines named; pull then asks which side to keep for those paragraphs.")
    return {record["id"]: record for record in records}  # the last record of a paragraph wins


def is_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def base_problem(record: dict[str, Any]) -> Optional[str]:
    if not isinstance(record.get("id"), str):
        return "a sync record needs a string `id`"
    if not isinstance(record.get("label"), list):
        return f"{record['id']}: a sync record needs a list `label`"
    if record.get("state", SYNCED) not in (PENDING, SYNCED):
        return f"{record['id']}: unknown state {record.get('state')!r}"
    return None


def base_record(pid: str, text: str, spans: list[Span], project: str, *, server: str, example: int,
                state: str = SYNCED) -> dict[str, Any]:
    return {"id": pid, "text": text, "label": [list(s) for s in spans], "project": project, "server": server,
            "example": example, "state": state}


def describes(record: Optional[dict[str, Any]], server: str, project: str, example: int) -> bool:
    """Whether a base record is about this very example. Records written before the server and
    example were recorded match on the project alone, and so does a `pending` record written
    before doccano gave the example its id."""
    if record is None or record.get("project") != project:
        return False
    if "server" in record and record["server"].rstrip("/") != server.rstrip("/"):
        return False
    return record.get("example") in (None, example)


def synced_spans(record: Optional[dict[str, Any]], server: str, project: str, example: int) -> Optional[list[Span]]:
    """The spans doccano held at the last sync of this example, or None if nothing says."""
    if not describes(record, server, project, example) or record.get("state", SYNCED) != SYNCED:
        return None
    return [tuple(s) for s in record["label"]]


def write_base(path: Path, base: dict[str, dict[str, Any]]) -> None:
    write_jsonl(path, (base[pid] for pid in sorted(base)))


class SyncState:
    """The base as push writes it: appended record by record, durably, then compacted."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.records = load_base(self.path)
        self._journal = None

    def get(self, pid: str) -> Optional[dict[str, Any]]:
        return self.records.get(pid)

    def record(self, record: dict[str, Any]) -> None:
        """Append one record and flush it to disk before the caller goes on to the next step."""
        if self._journal is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._journal = open(self.path, "a", encoding="utf-8", newline="\n")
        self._journal.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self.records[record["id"]] = record

    def compact(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self.records or self.path.exists():
            write_base(self.path, self.records)
