"""Reading and writing project files: strict on input, atomic on output."""
from __future__ import annotations

import hashlib
import json
import os
import re
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


# A high+low surrogate pair (one character), or a lone half (captured): the first lone one is reported.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
                              r"|(\\u[dD][89a-fA-F][0-9a-fA-F]{2})")


def lone_surrogate_offset(line: str, record: Any) -> Optional[int]:
    """Where a `\\ud800`-style escape decoded to half a pair, which no UTF-8 file can hold:
    found here, not as a traceback when the output is written."""
    if "\\u" not in line or not _has_surrogate(record):
        return None
    return next((m.start(1) for m in SURROGATE_ESCAPE.finditer(line) if m.group(1)), 0)


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Return (line number, record) pairs; every line must be a JSON object (a blank line is an error)."""
    return parse_jsonl(path, read_utf8(path))


def parse_jsonl(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    """`read_jsonl` on text already read from `path` (errors name `path`)."""
    problems: list[Problem] = []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the file
    records = [(n, r) for n, line in enumerate(lines, start=1) if (r := parse_line(path, n, line, problems)) is not None]
    raise_unreadable(path, problems)
    return records


def iter_jsonl(path: Path, problems: list[Problem]) -> Iterator[tuple[int, dict[str, Any]]]:
    """`read_jsonl` one line at a time, for files too large to hold twice: yields the (line
    number, record) pairs and appends a Problem for every bad line, as `read_jsonl` names them;
    bytes that are not UTF-8 raise at once with their file offset, as `read_utf8` does."""
    offset = 0
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                problem = Problem(path, f"not UTF-8: byte 0x{raw[err.start]:02x} at byte offset {offset + err.start} "
                                        f"({err.reason})", line=line_no)
                raise ChipNerError("Input file is not UTF-8 text", [problem], "Convert the file to UTF-8 and rerun.") from None
            offset += len(raw)
            record = parse_line(path, line_no, line[:-1] if line.endswith("\n") else line, problems)
            if record is not None:
                yield line_no, record


def parse_line(path: Path, line_no: int, line: str, problems: list[Problem]) -> Optional[dict[str, Any]]:
    """One JSONL line as an object, or None with the reason appended to `problems` (not JSON,
    nested too deeply, a lone surrogate, not an object)."""
    try:
        record = json.loads(line)
        surrogate = lone_surrogate_offset(line, record)
    except json.JSONDecodeError as err:
        problems.append(Problem(path, f"not valid JSON: {err.msg}", line=line_no, offset=err.pos))
        return None
    except RecursionError:
        problems.append(Problem(path, "JSON nested too deeply", line=line_no))
        return None
    if surrogate is not None:
        problems.append(Problem(path, "lone surrogate escape (half a UTF-16 pair; not a character)",
                                line=line_no, offset=surrogate))
        return None
    if not isinstance(record, dict):
        problems.append(Problem(path, f"expected a JSON object, found {type(record).__name__}", line=line_no))
        return None
    return record


def raise_unreadable(path: Path, problems: list[Problem]) -> None:
    """The error for the lines `parse_line` could not use."""
    if problems:
        raise ChipNerError(f"Cannot read {path}", problems, "Fix the lines named above; nothing was written.")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; moved into place only when the block succeeds,
    removed on any failure, so a reader never sees a partial file."""
    with atomic_paths(path) as (tmp,):
        yield tmp


def _temporary_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(tmp)


def _write_error(err: OSError, targets: list[Path], temps: list[Path]) -> ChipNerError:
    """An unwritable or full output folder, named by the output it was for."""
    failed = [t for t, tmp in zip(targets, temps) if err.filename in (str(tmp), str(t))] or targets
    problems = [Problem(t, f"cannot write: {err.strerror or err}") for t in failed]
    return ChipNerError("Cannot write the output", problems,
                        "Free disk space or fix the output folder's permissions, then rerun.")


@contextmanager
def atomic_paths(*paths: Path) -> Iterator[list[Path]]:
    """Temporaries for outputs that belong together (train/dev, kept/dropped): all are written
    first and moved into place only when every one succeeded, so the pair never mismatches;
    all are removed on any failure."""
    targets = [Path(p) for p in paths]
    temps: list[Path] = []
    try:
        for target in targets:
            temps.append(_temporary_beside(target))
    except OSError as err:  # the output folder is missing, unwritable or full
        _remove(temps)
        raise _write_error(err, targets, temps) from None
    try:
        yield list(temps)
        _move_into_place(temps, targets)
    except OSError as err:
        _remove(temps)
        if err.filename is not None and err.filename not in {str(p) for p in temps + targets}:
            raise  # about some file the block read, not about the outputs
        raise _write_error(err, targets, temps) from None
    except BaseException:
        _remove(temps)
        raise


def _move_into_place(temps: list[Path], targets: list[Path]) -> None:
    """Renames within one folder, after every write succeeded: nothing left that could fill a disk."""
    umask = os.umask(0)
    os.umask(umask)
    for tmp in temps:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
    if len(targets) == 1:
        os.replace(temps[0], targets[0])
        return
    # Several files: hard-link backups of the old ones first, so that a rename failing halfway
    # puts back the files already replaced and the set never mixes old and new.
    backups = [_backup(target) for target in targets]
    done = 0
    try:
        for tmp, target in zip(temps, targets):
            os.replace(tmp, target)
            done += 1
    except BaseException:
        for backup, target in list(zip(backups, targets))[:done]:
            if backup is not None:
                os.replace(backup, target)
            else:
                target.unlink(missing_ok=True)
        raise
    finally:
        _remove([b for b in backups if b is not None])


def _backup(target: Path) -> Optional[Path]:
    """A hard link to the file now at `target` (None if there is none)."""
    if not target.exists():
        return None
    backup = _temporary_beside(target)
    backup.unlink()
    os.link(target, backup)
    return backup


def _remove(temps: list[Path]) -> None:
    for tmp in temps:
        if tmp.exists():
            tmp.unlink()


def read_checked_jsonl(path: Path, check: Callable[[dict[str, Any]], Optional[str]], title: str,
                       hint: str = "Fix the lines named above; nothing was written.") -> list[dict[str, Any]]:
    """The records of a JSONL file that `check` accepts (it returns None, or the reason a record is
    bad); every bad record is named by file and line, all at once, and none is half-used."""
    return checked_records(path, read_jsonl(path), check, title, hint)


def checked_records(path: Path, lines: Iterable[tuple[int, dict[str, Any]]],
                    check: Callable[[dict[str, Any]], Optional[str]], title: str,
                    hint: str = "Fix the lines named above; nothing was written.") -> list[dict[str, Any]]:
    """`read_checked_jsonl` on (line number, record) pairs already parsed from `path`."""
    records, problems = [], []
    for line, record in lines:
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


def jsonl_text(records: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    _atomic_write(path, jsonl_text(records))


def json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write_json(path: Path, data: Any) -> None:
    _atomic_write(path, json_text(data))


def write_text(path: Path, text: str) -> None:
    _atomic_write(path, text)
