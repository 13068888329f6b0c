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

import functools
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Optional

from ..errors import ChipNerError, Problem
from ..io import atomic_path
from .inputs import Blank, Paragraph, Source, iter_items, list_sources
from .local import ExtractReport, check_model, check_paths, default_rejects
from .rows import COLUMNS, TYPES, annotate, load_pipeline

TASK_SCHEMA = "path string, name string, kind string, offset long, first long, last long"
ROW_SCHEMA = ", ".join(f"`{name}` {'long' if TYPES[name] == 'int64' else TYPES[name]}" for name in COLUMNS)
LOCAL_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


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

    os.environ.update(ONE_THREAD)
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


def spark_session(master: str = "local[2]", *, ui: bool = False, conf: Optional[dict[str, str]] = None,
                  batch_size: int = 256):
    """A session whose Python workers run this interpreter, one thread each; on a local master
    bound to 127.0.0.1 with the web UI off (or on 127.0.0.1 with `ui`)."""
    try:
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
    if is_local(master):
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # what the web UI (and anything unset) binds to
        settings.update({"spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1",
                         # the JVM shares the cores with the Python workers: its JIT compiler and GC
                         # threads took 12 s of CPU in a job of 2,260 paragraphs, 6 s with these options
                         "spark.driver.extraJavaOptions": LOCAL_JVM_OPTIONS})
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName("chip-ner extract")
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def extract_spark(input: Path, output: str, *, model: str = "zh_chip_ner", partition_by: Optional[str] = "label",
                  master: str = "local[2]", batch_size: int = 256, rows_per_task: int = 1000, text_field: str = "text",
                  id_field: str = "id", rejects: Optional[Path] = None, overwrite: bool = False, ui: bool = False,
                  conf: Optional[dict[str, str]] = None, spark: Any = None) -> ExtractReport:
    """Entity rows of every paragraph under `input` as a Parquet folder at `output` (a path or a
    URL Spark writes to, e.g. hdfs://...), partitioned by `partition_by` (None: not partitioned).
    `spark`: an existing session (spark-submit); otherwise one is started on `master` and stopped."""
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
            spark = spark_session(master, ui=ui, conf=conf, batch_size=batch_size)
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
