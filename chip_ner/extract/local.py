"""`extract` on one machine: a stream of paragraphs, batched, through the pipeline in this
process or in `n_process` worker processes that return plain rows (never Docs), written one
part per input file.

Memory stays flat: the readers are generators, at most `2 * n_process` batches are in flight,
each batch runs inside `nlp.memory_zone()`, and rows go to disk as they come. A run can be
interrupted at any point: each input's part (and its rejects) is written to a temporary name
and moved into place, then recorded in an append-only manifest, so a rerun skips the inputs
recorded there and redoes the rest; `overwrite` starts again.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import os
import shutil
import time
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple, Optional

import spacy.util

from ..errors import ChipNerError, Problem
from ..io import atomic_path
from ..threads import one_blas_thread
from .inputs import Blank, Paragraph, Source, iter_items, list_sources
from .rows import COLUMNS, TYPES, Meta, Row, annotate, as_record, load_pipeline

FORMATS = {".jsonl": "jsonl", ".csv": "csv"}  # any other output name is a Parquet folder
MANIFEST = "_manifest.jsonl"
PARQUET_ROWS = 8192  # rows per Parquet row group (the most a part holds in memory)


@dataclass
class ExtractReport:
    output: Path
    rejects_path: Path
    engine: str
    files: int = 0
    resumed_files: int = 0  # finished by an earlier run
    paragraphs: int = 0
    blank_lines: int = 0
    entities: int = 0
    rejects: int = 0
    per_label: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    paragraphs_this_run: int = 0
    startup_seconds: float = 0.0  # Spark: starting the session (the JVM), part of `seconds`

    @property
    def paragraphs_per_second(self) -> float:
        return self.paragraphs_this_run / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"output": str(self.output), "rejects_path": str(self.rejects_path), "engine": self.engine,
                "files": self.files, "resumed_files": self.resumed_files, "paragraphs": self.paragraphs,
                "blank_lines": self.blank_lines, "entities": self.entities, "rejects": self.rejects,
                "per_label": dict(sorted(self.per_label.items())), "seconds": round(self.seconds, 3),
                "paragraphs_this_run": self.paragraphs_this_run, "startup_seconds": round(self.startup_seconds, 3),
                "paragraphs_per_second": round(self.paragraphs_per_second, 1)}


def output_format(output: Path) -> str:
    return FORMATS.get(Path(output).suffix.lower(), "parquet")


def check_model(model: str) -> None:
    """Checked before any work (extract, check-spans and the benchmarks), so a typo fails at once."""
    if not (spacy.util.is_package(model) or (Path(model) / "config.cfg").is_file()):
        raise ChipNerError("No such pipeline", [Problem(model, "is neither an installed package nor a pipeline folder")],
                           "Install the wheel (spacy project run package, then pip install it) or give a pipeline folder.")


def check_paths(input: Path, output: Path, rejects: Path) -> None:
    input, output = Path(input).absolute(), Path(output).absolute()
    for path, what in ((output, "output"), (Path(rejects).absolute(), "rejects file")):
        if input.is_dir() and (path == input or input in path.parents):
            raise ChipNerError("Output inside the input", [Problem(path, f"the {what} would be read back as input")],
                               "Write the output outside the input folder.")
    if output_format(output) == "parquet" and output.is_file():
        raise ChipNerError("Output is a file", [Problem(output, "a Parquet output is a folder")],
                           "Name a folder, or an output ending in .jsonl or .csv.")


def default_rejects(output: Path) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".rejects.jsonl")


def part_key(name: str) -> str:
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]


# Part writers -------------------------------------------------------------------------------

class PartWriter:
    """Rows of one input to a temporary file, moved into place by `close()`."""

    def __init__(self, path: Path, fmt: str):
        self.path, self.fmt, self.count = path, fmt, 0
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.buffer: list[Row] = []
        self.writer: Any = None
        if fmt == "parquet":
            import pyarrow.parquet as pq

            self.writer = pq.ParquetWriter(self.tmp, arrow_schema())
        else:
            self.handle = open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115  (closed by close or abort)
            self.csv = csv.writer(self.handle) if fmt == "csv" else None

    def write(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.count += 1
            if self.fmt == "parquet":
                self.buffer.append(row)
                if len(self.buffer) >= PARQUET_ROWS:
                    self.flush()
            elif self.csv is not None:
                self.csv.writerow(row)
            else:
                self.handle.write(json.dumps(as_record(row), ensure_ascii=False) + "\n")

    def flush(self) -> None:
        if self.buffer:
            self.writer.write_table(rows_table(self.buffer))
            self.buffer = []

    def close(self) -> None:
        if self.fmt == "parquet":
            self.flush()
            self.writer.close()
        else:
            self.handle.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.writer.close() if self.fmt == "parquet" else self.handle.close()
        finally:
            if self.tmp.exists():
                self.tmp.unlink()


def arrow_schema():
    import pyarrow as pa

    return pa.schema([(name, {"string": pa.string(), "int64": pa.int64(), "double": pa.float64()}[TYPES[name]])
                      for name in COLUMNS])


def rows_table(rows: list[Row]):
    import pyarrow as pa

    return pa.Table.from_arrays([pa.array(list(column), type=field.type)
                                 for column, field in zip(zip(*rows), arrow_schema())], schema=arrow_schema())


# The stream ---------------------------------------------------------------------------------

class FileEnd(NamedTuple):
    source: Source
    stats: dict[str, int]
    rejects_tmp: Optional[Path]


class Batch(NamedTuple):
    metas: list[Meta]
    texts: list[str]
    ends: list[tuple[int, FileEnd]]  # (number of the batch's paragraphs before the end, the file)


def events(sources: list[Source], parts: Path, text_field: str, id_field: str) -> Iterator[Any]:
    """Paragraphs as (meta, text) and a FileEnd after each file's last one. Rejects go straight
    to a temporary file per input (moved into place with its part)."""
    for source in sources:
        stats = {"paragraphs": 0, "blank_lines": 0, "rejects": 0}
        rejects_tmp, handle = None, None
        for item in iter_items(source, text_field=text_field, id_field=id_field):
            if isinstance(item, Paragraph):
                stats["paragraphs"] += 1
                yield (source.name, item.doc_id, item.paragraph), item.text
            elif isinstance(item, Blank):
                stats["blank_lines"] += 1
            else:
                if handle is None:
                    rejects_tmp = parts / f"._rejects-{part_key(source.name)}.{os.getpid()}.tmp"
                    handle = open(rejects_tmp, "w", encoding="utf-8")  # noqa: SIM115  (closed at the end of the file)
                handle.write(json.dumps(item.record(), ensure_ascii=False) + "\n")
                stats["rejects"] += 1
        if handle is not None:
            handle.close()
        yield FileEnd(source, stats, rejects_tmp)


def batches(stream: Iterator[Any], batch_size: int) -> Iterator[Batch]:
    batch = Batch([], [], [])
    for event in stream:
        if isinstance(event, FileEnd):
            batch.ends.append((len(batch.texts), event))
        else:
            batch.metas.append(event[0])
            batch.texts.append(event[1])
        if len(batch.texts) >= batch_size:
            yield batch
            batch = Batch([], [], [])
    if batch.texts or batch.ends:
        yield batch


# Workers ------------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(model: str, batch_size: int) -> None:
    """Load the pipeline once per worker process. A failure is kept and raised by the first task,
    so the caller sees the error itself rather than a broken pool."""
    one_blas_thread()
    try:
        _WORKER.update(nlp=load_pipeline(model), batch_size=batch_size, error=None)
    except Exception as err:  # noqa: BLE001  (re-raised by _work)
        _WORKER.update(error=err)


def _work(metas: list[Meta], texts: list[str]) -> list[list[Row]]:
    if _WORKER.get("error") is not None:
        raise _WORKER["error"]
    return annotate(_WORKER["nlp"], metas, texts, _WORKER["batch_size"])


def run_batches(stream: Iterator[Batch], model: str, batch_size: int, n_process: int) -> Iterator[tuple[Batch, list]]:
    """Each batch with the rows of each of its texts, in order; at most 2 * n_process batches in flight."""
    if n_process == 1:
        nlp = load_pipeline(model)
        for batch in stream:
            yield batch, annotate(nlp, batch.metas, batch.texts, batch_size) if batch.texts else []
        return
    # spawn: a clean interpreter per worker on every platform (no forked state from the parent);
    # a worker that dies breaks the executor (BrokenProcessPool) instead of hanging, as a Pool would.
    with ProcessPoolExecutor(n_process, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                             initargs=(model, batch_size)) as pool:
        pending: deque = deque()
        for batch in stream:
            pending.append((batch, pool.submit(_work, batch.metas, batch.texts) if batch.texts else None))
            while len(pending) > 2 * n_process or (pending and pending[0][1] is None):
                done, future = pending.popleft()
                yield done, future.result() if future is not None else []
        while pending:
            done, future = pending.popleft()
            yield done, future.result() if future is not None else []


# Manifest -----------------------------------------------------------------------------------

def read_manifest(path: Path) -> tuple[Optional[dict], dict[str, dict]]:
    """The settings line and the last entry per input; a torn last line (a crash while
    appending) is ignored, so that input is done again."""
    if not path.exists():
        return None, {}
    settings, entries = None, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "settings" in record:
            settings = record["settings"]
        else:
            entries[record["file"]] = record
    return settings, entries


def append_manifest(path: Path, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def source_stamp(source: Source) -> dict[str, int]:
    stat = source.path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


# The step -----------------------------------------------------------------------------------

@contextmanager
def system_allocator() -> Iterator[None]:
    """Arrow's buffers from malloc for the duration: its default pool (mimalloc or jemalloc) keeps
    freed pages, so a long run's resident memory crept up file after file."""
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def extract(input: Path, output: Path, *, model: str = "zh_chip_ner", batch_size: int = 256, n_process: int = 1,
            text_field: str = "text", id_field: str = "id", rejects: Optional[Path] = None, overwrite: bool = False,
            progress: bool = False) -> ExtractReport:
    """Entity rows of every paragraph under `input`, written to `output` (`.jsonl`, `.csv`, or
    else a Parquet folder), rejects to `rejects` (default OUTPUT.rejects.jsonl)."""
    with system_allocator():
        return _extract(Path(input), Path(output), model=model, batch_size=batch_size, n_process=n_process,
                        text_field=text_field, id_field=id_field, rejects=rejects, overwrite=overwrite,
                        progress=progress)


def _extract(input: Path, output: Path, *, model: str, batch_size: int, n_process: int, text_field: str,
             id_field: str, rejects: Optional[Path], overwrite: bool, progress: bool) -> ExtractReport:
    start = time.perf_counter()
    output = Path(output)
    rejects = Path(rejects) if rejects is not None else default_rejects(output)
    if n_process < 1 or batch_size < 1:
        raise ChipNerError("Bad settings", [Problem("--n-process/--batch-size", "must be at least 1")])
    check_paths(input, output, rejects)
    check_model(model)
    sources, listing_rejects = list_sources(input)
    fmt = output_format(output)
    parts = output if fmt == "parquet" else output.with_name(output.name + ".parts")
    settings = {"input": str(Path(input).absolute()), "model": model, "format": fmt, "text_field": text_field,
                "id_field": id_field}
    if overwrite:
        for path in (parts, output):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    elif fmt != "parquet" and output.exists() and not parts.exists():
        raise ChipNerError("Output exists", [Problem(output, "already written by a finished run")],
                           "Use --overwrite to extract again.")
    parts.mkdir(parents=True, exist_ok=True)
    manifest = parts / MANIFEST
    previous, entries = read_manifest(manifest)
    if previous is None and any(p.name != MANIFEST for p in parts.iterdir() if not p.name.startswith(".")):
        raise ChipNerError("Output folder not made by extract", [Problem(parts, "holds files but no manifest")],
                           "Name a new or empty folder, or use --overwrite.")
    if previous is not None and previous != settings:
        changed = [f"{key}: {previous.get(key)!r} then, {value!r} now" for key, value in settings.items()
                   if previous.get(key) != value]
        raise ChipNerError("An unfinished run used other settings", [Problem(manifest, "; ".join(changed))],
                           "Use --overwrite to start again with these settings.")
    for stale in parts.glob(".*.tmp"):  # left by a run that was killed
        stale.unlink()
    if previous is None:
        append_manifest(manifest, {"settings": settings})

    report = ExtractReport(output=output, rejects_path=rejects, engine=f"local (n_process={n_process})")
    names = {source.name for source in sources}
    for name in set(entries) - names:  # inputs gone since the last run
        for path in (parts / entries[name]["part"], parts / f"_rejects-{part_key(name)}.jsonl"):
            path.unlink(missing_ok=True)
        del entries[name]
    todo = []
    for source in sources:
        entry = entries.get(source.name)
        if entry is not None and entry["stamp"] == source_stamp(source) and (parts / entry["part"]).exists():
            report.resumed_files += 1
        else:
            entries.pop(source.name, None)
            todo.append(source)

    suffix = {"parquet": ".parquet", "jsonl": ".jsonl", "csv": ".csv"}[fmt]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit=" paragraphs", desc="extract", dynamic_ncols=True)
    writer: Optional[PartWriter] = None
    found = 0
    try:
        stream = batches(events(todo, parts, text_field, id_field), batch_size)
        for batch, rows in run_batches(stream, model, batch_size, n_process) if todo else ():
            done = 0
            for position, end in [*batch.ends, (len(batch.texts), None)]:
                for text_rows in rows[done:position]:
                    if writer is None:
                        writer = PartWriter(parts / f"part-{part_key(batch.metas[done][0])}{suffix}", fmt)
                    writer.write(text_rows)
                    done += 1
                if end is None:
                    break
                part = parts / f"part-{part_key(end.source.name)}{suffix}"
                if writer is None:  # an input without paragraphs still gets its (empty) part
                    writer = PartWriter(part, fmt)
                entities = writer.count
                writer.close()
                writer = None
                rejects_part = parts / f"_rejects-{part_key(end.source.name)}.jsonl"
                if end.rejects_tmp is not None:
                    os.replace(end.rejects_tmp, rejects_part)
                else:
                    rejects_part.unlink(missing_ok=True)
                entry = {"file": end.source.name, "part": part.name, "stamp": source_stamp(end.source),
                         "entities": entities, **end.stats}
                append_manifest(manifest, entry)
                entries[end.source.name] = entry
            found += sum(len(r) for r in rows)
            if bar is not None:
                bar.update(len(batch.texts))
                bar.set_postfix(entities=found, refresh=False)
            report.paragraphs_this_run += len(batch.texts)
    except BaseException:
        if writer is not None:
            writer.abort()
        for tmp in parts.glob(f".*.{os.getpid()}.tmp"):  # rejects the reader had written ahead
            tmp.unlink()
        raise
    finally:
        if bar is not None:
            bar.close()

    # Per-label counts come from the parts, so a resumed run counts what earlier runs wrote too.
    report.files = len(sources)
    for source in sources:
        entry = entries[source.name]
        report.paragraphs += entry["paragraphs"]
        report.blank_lines += entry["blank_lines"]
        report.entities += entry["entities"]
    report.per_label = count_labels([parts / entries[s.name]["part"] for s in sources], fmt)
    reject_parts = [parts / f"_rejects-{part_key(s.name)}.jsonl" for s in sources]
    with atomic_path(rejects) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(reject.record(), ensure_ascii=False) + "\n" for reject in listing_rejects)
        for path in reject_parts:
            if path.exists():
                with open(path, encoding="utf-8") as part:
                    shutil.copyfileobj(part, handle)
    report.rejects = len(listing_rejects) + sum(entries[s.name]["rejects"] for s in sources)
    if fmt != "parquet":
        with atomic_path(output) as tmp, open(tmp, "wb") as handle:
            if fmt == "csv":
                handle.write((",".join(COLUMNS) + "\r\n").encode("utf-8"))
            for source in sources:
                with open(parts / entries[source.name]["part"], "rb") as part:
                    shutil.copyfileobj(part, handle)
        shutil.rmtree(parts)
    report.seconds = time.perf_counter() - start
    return report


def count_labels(parts: list[Path], fmt: str) -> Counter:
    counts: Counter = Counter()
    for path in parts:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            counts.update(pq.read_table(path, columns=["label"]).column("label").to_pylist())
        elif fmt == "csv":
            with open(path, encoding="utf-8", newline="") as handle:
                counts.update(row[COLUMNS.index("label")] for row in csv.reader(handle))
        else:
            with open(path, encoding="utf-8") as handle:
                counts.update(json.loads(line)["label"] for line in handle)
    return counts


def read_rows(output: Path) -> list[dict[str, Any]]:
    """Every row of an extract output (any format, a Spark output's partition column included), as
    dicts with the columns' types, sorted by file, paragraph and offsets: for comparing engines."""
    output = Path(output)
    fmt = output_format(output)
    if fmt == "jsonl":
        records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    elif fmt == "csv":
        records = []
        for record in csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"), newline="")):
            records.append({k: (None if v == "" else int(v) if TYPES[k] == "int64" else float(v)
                                if TYPES[k] == "double" else v) for k, v in record.items()})
    else:
        import pyarrow.dataset as ds

        table = ds.dataset(output, format="parquet", partitioning="hive").to_table()
        records = [{name: record[name] for name in COLUMNS} for record in table.to_pylist()]
        for record in records:
            for name in ("paragraph", "start", "end"):
                record[name] = int(record[name])
    return sorted(records, key=lambda r: (r["file"], r["paragraph"], r["start"], r["end"], r["label"]))
