"""`extract` on Apache Spark: the driver reads the archive once with the same readers as the
local engine (rejects, counts and where each run of `rows_per_task` paragraphs starts), and
`mapInPandas` over those small tasks re-reads each run in a Python worker and writes its entity
rows as a Parquet folder partitioned by a column the user names.

The pipeline is loaded once per Python worker, by package name or path (`spacy.load`), never
pickled from the driver; worker processes are reused and run one thread each. On a `local[*]`
master everything listens on 127.0.0.1 only (driver, block manager; the web UI is off unless
asked for, and then on 127.0.0.1 too).

For spark-submit: `extract_spark(input, output, spark=SparkSession.builder.getOrCreate(), ...)`.
"""
from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Optional, Union

from ..errors import ChipNerError, Problem
from ..io import atomic_path
from ..threads import THREAD_VARIABLES, one_blas_thread
from .inputs import Blank, Paragraph, Source, iter_items, list_sources
from .local import ExtractReport, check_model, check_paths, default_rejects
from .rows import COLUMNS, TYPES, annotate, load_pipeline

TASK_SCHEMA = "path string, name string, kind string, offset long, first long, last long"
ROW_SCHEMA = ", ".join(f"`{name}` {'long' if TYPES[name] == 'int64' else TYPES[name]}" for name in COLUMNS)
LOCAL_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
ONE_THREAD = {name: "1" for name in THREAD_VARIABLES}


def plan(sources: list[Source], rows_per_task: int, text_field: str, id_field: str, rejects_handle) -> tuple[list, dict]:
    """Tasks (file, where to start reading, first and last line or row) of at most
    `rows_per_task` paragraphs each; the rejects are written as they are found."""
    tasks, counts = [], {"paragraphs": 0, "blank_lines": 0, "rejects": 0}
    for source in sources:
        run: list[Paragraph] = []
        for item in iter_items(source, text_field=text_field, id_field=id_field):
            if isinstance(item, Paragraph):
                counts["paragraphs"] += 1
                run.append(item)
                if len(run) == 1:
                    first = item
                if len(run) == rows_per_task:
                    tasks.append((str(source.path), source.name, source.kind, first.offset, first.paragraph, item.paragraph))
                    run = []
            elif isinstance(item, Blank):
                counts["blank_lines"] += 1
            else:
                counts["rejects"] += 1
                rejects_handle.write(json.dumps(item.record(), ensure_ascii=False) + "\n")
        if run:
            tasks.append((str(source.path), source.name, source.kind, first.offset, first.paragraph, run[-1].paragraph))
    return tasks, counts


_PIPELINES: dict[str, Any] = {}


def extract_partition(frames: Iterator[Any], *, model: str, batch_size: int, text_field: str,
                      id_field: str) -> Iterator[Any]:
    """mapInPandas: tasks in, entity rows out (a pandas DataFrame per batch of paragraphs)."""
    import pandas as pd

    one_blas_thread()  # the worker's numpy is loaded already: the variables alone would come too late
    if model not in _PIPELINES:  # once per Python worker (Spark reuses the worker for later tasks)
        _PIPELINES[model] = load_pipeline(model)
    nlp = _PIPELINES[model]

    def flush(metas, texts):
        rows = [row for text_rows in annotate(nlp, metas, texts, batch_size) for row in text_rows]
        frame = pd.DataFrame.from_records(rows, columns=COLUMNS)
        for name in COLUMNS:
            frame[name] = frame[name].astype({"string": object, "int64": "int64", "double": "float64"}[TYPES[name]])
        return frame

    for tasks in frames:
        for task in tasks.itertuples(index=False):
            source = Source(Path(task.path), task.name, task.kind)
            metas, texts = [], []
            for item in iter_items(source, text_field=text_field, id_field=id_field, offset=int(task.offset),
                                   first=int(task.first), last=int(task.last), check_utf8=False):
                if isinstance(item, Paragraph):
                    metas.append((source.name, item.doc_id, item.paragraph))
                    texts.append(item.text)
                    if len(texts) == batch_size:
                        yield flush(metas, texts)
                        metas, texts = [], []
            if texts:
                yield flush(metas, texts)


def is_local(master: str) -> bool:
    return master.startswith("local")


def default_class_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chip-ner" / "spark"


def class_archive_path(cache: Path) -> Path:
    """The archive of the driver JVM's loaded classes for this Java and this PySpark: a new Java
    binary or a reinstalled PySpark gets a new name, so an archive never outlives its classes."""
    import pyspark

    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else Path(shutil.which("java") or "java")
    java = java.resolve()
    jars = Path(pyspark.__file__).parent / "jars"
    stamp = "|".join(str(part) for part in (java, java.stat().st_mtime_ns if java.exists() else 0, pyspark.__version__,
                                            jars, jars.stat().st_mtime_ns if jars.exists() else 0))
    return cache / f"driver-{pyspark.__version__}-{hashlib.sha1(stamp.encode()).hexdigest()[:12]}.jsa"


def class_archive_options(cache: Union[Path, str, None]) -> tuple[str, Optional[tuple[Path, Path]]]:
    """JVM options for Java's class-data sharing (CDS) on the driver, and the archive to move into
    place once this JVM has written it (None: nothing to move).

    Why: on two cores the driver JVM competes with the Python workers. Loading and verifying
    Spark's classes takes a fixed ~4 s of CPU per run; mapped from an archive it does not (20,640
    paragraphs here: JVM CPU 11.9 s -> 7.5 s, session start 3.7 s -> 2.1 s). The first run writes
    the archive when its JVM exits; later runs map it. Unknown options are ignored, so a JVM
    without dynamic CDS runs as before."""
    if cache is None:
        return "", None
    cache = default_class_cache() if cache == "auto" else Path(cache)
    archive = class_archive_path(cache)
    if archive.is_file() and archive.stat().st_size > 0:
        return f"-XX:+IgnoreUnrecognizedVMOptions -XX:SharedArchiveFile={archive}", None
    cache.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(f"{archive.name}.{os.getpid()}.partial")
    return f"-XX:+IgnoreUnrecognizedVMOptions -Xlog:cds*=error -XX:ArchiveClassesAtExit={partial}", (partial, archive)


def finish_class_archive(pending: tuple[Path, Path], timeout: float = 120.0) -> bool:
    """At exit: end the gateway JVM (it exits when its stdin closes), wait while it writes the
    archive, and move a complete archive into place; a failed dump leaves nothing behind."""
    from pyspark import SparkContext

    partial, archive = pending
    proc = getattr(SparkContext._gateway, "proc", None)
    if proc is not None:
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=timeout)
        except Exception:  # noqa: BLE001  (at exit: never raise; the archive is just not kept)
            pass
    ok = proc is not None and proc.returncode == 0 and partial.is_file() and partial.stat().st_size > 0
    if ok:
        os.replace(partial, archive)
    else:
        partial.unlink(missing_ok=True)
    return ok


def spark_session(master: str = "local[2]", *, ui: bool = False, conf: Optional[dict[str, str]] = None,
                  batch_size: int = 256, class_cache: Union[Path, str, None] = "auto"):
    """A session whose Python workers run this interpreter, one thread each; on a local master
    bound to 127.0.0.1 with the web UI off (or on 127.0.0.1 with `ui`), its driver JVM sharing
    class data through an archive in `class_cache` ("auto": $XDG_CACHE_HOME or ~/.cache, then
    chip-ner/spark; None: no archive)."""
    try:
        from pyspark import SparkContext
        from pyspark.sql import SparkSession
    except ImportError:
        raise ChipNerError("PySpark is not installed", [Problem("--engine spark", "needs pyspark")],
                           'Install the extra: pip install -e ".[spark]" (and Java 17+).') from None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise ChipNerError("Spark needs Java", [Problem("java", "not found on PATH and JAVA_HOME is not set")],
                           "Install Java 17+, e.g. apt-get install openjdk-17-jre-headless.")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.update(ONE_THREAD)  # inherited by the JVM and so by its Python workers
    settings = {"spark.python.worker.reuse": "true", "spark.task.cpus": "1",
                "spark.sql.execution.arrow.maxRecordsPerBatch": str(batch_size),
                "spark.ui.enabled": "true" if ui else "false", "spark.ui.showConsoleProgress": "false"}
    settings.update({f"spark.executorEnv.{name}": value for name, value in ONE_THREAD.items()})
    pending = None
    if is_local(master):
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # what the web UI (and anything unset) binds to
        # the JVM shares the cores with the Python workers: its JIT compiler and GC threads took
        # 12 s of CPU in a job of 2,260 paragraphs, 6 s with LOCAL_JVM_OPTIONS
        options = LOCAL_JVM_OPTIONS
        if SparkContext._gateway is None and "spark.driver.extraJavaOptions" not in (conf or {}):
            sharing, pending = class_archive_options(class_cache)  # only a JVM about to start can use it
            options = f"{options} {sharing}".strip()
        settings.update({"spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1",
                         "spark.driver.extraJavaOptions": options})
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName("chip-ner extract")
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if pending is not None:
        atexit.register(finish_class_archive, pending)
    return session


def extract_spark(input: Path, output: str, *, model: str = "zh_chip_ner", partition_by: Optional[str] = "label",
                  master: str = "local[2]", batch_size: int = 256, rows_per_task: int = 1000, text_field: str = "text",
                  id_field: str = "id", rejects: Optional[Path] = None, overwrite: bool = False, ui: bool = False,
                  conf: Optional[dict[str, str]] = None, spark: Any = None,
                  class_cache: Union[Path, str, None] = "auto") -> ExtractReport:
    """Entity rows of every paragraph under `input` as a Parquet folder at `output` (a path or a
    URL Spark writes to, e.g. hdfs://...), partitioned by `partition_by` (None: not partitioned).
    `spark`: an existing session (spark-submit); otherwise one is started on `master` (with the
    driver's class archive in `class_cache`, see `class_archive_options`) and stopped."""
    start = time.perf_counter()
    if partition_by is not None and partition_by not in COLUMNS:
        raise ChipNerError("Unknown partition column", [Problem("--partition-by", f"{partition_by!r} is not one of "
                                                                                  f"{', '.join(COLUMNS)}")])
    if batch_size < 1 or rows_per_task < 1:
        raise ChipNerError("Bad settings", [Problem("--batch-size/--rows-per-task", "must be at least 1")])
    remote = "://" in str(output)
    local_output = None if remote else Path(output)
    rejects = Path(rejects) if rejects is not None else default_rejects(Path(str(output).rstrip("/").split("/")[-1])
                                                                       if remote else local_output)
    if local_output is not None:
        check_paths(input, local_output, rejects)
        if local_output.exists() and not overwrite:
            raise ChipNerError("Output exists", [Problem(local_output, "already exists")],
                               "Use --overwrite to replace it (the Spark engine does not resume).")
    if not Path(model).exists():  # a package must be installed on the workers; a path must be readable there
        check_model(model)
    sources, listing_rejects = list_sources(input)
    report = ExtractReport(output=Path(str(output)), rejects_path=rejects, engine=f"spark ({master})", files=len(sources))
    planned: dict[str, Any] = {}

    def read_archive() -> None:  # in a thread, while the JVM starts
        try:
            with atomic_path(rejects) as tmp, open(tmp, "w", encoding="utf-8") as handle:
                handle.writelines(json.dumps(r.record(), ensure_ascii=False) + "\n" for r in listing_rejects)
                planned["tasks"], planned["counts"] = plan(sources, rows_per_task, text_field, id_field, handle)
        except BaseException as err:  # noqa: BLE001  (raised in the caller's thread)
            planned["error"] = err

    reader = threading.Thread(target=read_archive)
    reader.start()
    own = spark is None
    try:
        if own:
            started = time.perf_counter()
            spark = spark_session(master, ui=ui, conf=conf, batch_size=batch_size, class_cache=class_cache)
            report.startup_seconds = time.perf_counter() - started
    finally:
        reader.join()
    if "error" in planned:
        if own:
            spark.stop()
        raise planned["error"]
    tasks, counts = planned["tasks"], planned["counts"]
    report.paragraphs = report.paragraphs_this_run = counts["paragraphs"]
    report.blank_lines = counts["blank_lines"]
    report.rejects = counts["rejects"] + len(listing_rejects)
    try:
        # one task per partition: small partitions, handed out as workers free up
        frame = spark.sparkContext.parallelize(tasks, max(1, len(tasks))).toDF(TASK_SCHEMA)
        work = functools.partial(extract_partition, model=model, batch_size=batch_size, text_field=text_field,
                                 id_field=id_field)
        rows = frame.mapInPandas(work, schema=ROW_SCHEMA)
        writer = rows.write.mode("overwrite" if overwrite else "errorifexists")
        if partition_by is not None:
            writer = writer.partitionBy(partition_by)
        target = str(output) if remote else str(local_output.absolute())
        writer.parquet(target)
        if remote:
            per_label = spark.read.parquet(target).groupBy("label").count().collect()
            report.per_label.update({row["label"]: row["count"] for row in per_label})
        else:  # the label column of the files just written, without another Spark job
            import pyarrow.dataset as ds

            dataset = ds.dataset(target, format="parquet", partitioning="hive")
            report.per_label.update(str(label) for label in dataset.to_table(columns=["label"]).column("label").to_pylist())
        report.entities = sum(report.per_label.values())
    finally:
        if own:
            spark.stop()
    report.seconds = time.perf_counter() - start
    return report
