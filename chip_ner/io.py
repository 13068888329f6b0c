"""Reading and writing project files: strict on input, atomic on output."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from .errors import ChipNerError, Problem


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks (downloads are checked against the sums they were checked with)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_utf8(path: Path) -> str:
    """Read a text file, failing with the byte offset of the first byte that is not UTF-8."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        problem = Problem(path, f"not UTF-8: byte 0x{data[err.start]:02x} at byte offset {err.start} ({err.reason})", line=line)
        raise ChipNerError("Input file is not UTF-8 text", [problem], "Convert the file to UTF-8 and rerun.") from None


def read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Return (line number, record) pairs; every line must be a JSON object (a blank line is an error)."""
    problems = []
    records = []
    lines = read_utf8(path).split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the file
    for line_no, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(Problem(path, f"not valid JSON: {err.msg}", line=line_no, offset=err.pos))
            continue
        if not isinstance(record, dict):
            problems.append(Problem(path, f"expected a JSON object, found {type(record).__name__}", line=line_no))
            continue
        records.append((line_no, record))
    if problems:
        raise ChipNerError(f"Cannot read {path}", problems, "Fix the lines named above; nothing was written.")
    return records


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; moved into place only when the block succeeds,
    removed on any failure, so a reader never sees a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_checked_jsonl(path: Path, check: Callable[[dict[str, Any]], Optional[str]], title: str,
                       hint: str = "Fix the lines named above; nothing was written.") -> list[dict[str, Any]]:
    """The records of a JSONL file that `check` accepts (it returns None, or the reason a record is
    bad); every bad record is named by file and line, all at once, and none is half-used."""
    records, problems = [], []
    for line, record in read_jsonl(path):
        reason = check(record)
        if reason:
            problems.append(Problem(path, reason, line=line))
        else:
            records.append(record)
    if problems:
        raise ChipNerError(f"{title} in {path}", problems, hint)
    return records


def _atomic_write(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    _atomic_write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def write_json(path: Path, data: Any) -> None:
    _atomic_write(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def write_text(path: Path, text: str) -> None:
    _atomic_write(path, text)
