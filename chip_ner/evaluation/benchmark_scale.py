"""`extract` at scale: paragraphs/s and peak memory of one process, two worker processes and
Spark `local[2]` on the same archive in one run (each engine in its own process tree, sampled
from /proc, so no engine shares memory or start-up with another), whether all three wrote the
same rows, and whether memory stays flat when the input grows tenfold.

The archive is made from the project's own paragraphs, repeated and shuffled with a seed, and
written as a folder of .txt, .jsonl and Parquet files.
"""
from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import ChipNerError, Problem
from ..extract.local import check_model, read_rows
from ..io import write_json
from ..records import load_paragraphs
from .benchmark import corpus_texts

# The child process of each run: argv = engine, input, output, model, batch size (run_child prints the report).
CHILD = "from chip_ner.evaluation.benchmark_scale import run_child; run_child()"
ENGINES = {"one process": "1", "n_process=2": "2", "spark local[2]": "spark"}
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# A tiny Spark job: the first Spark run on a machine writes the driver JVM's class archive at exit.
WARM_UP = ("from chip_ner.extract.spark import spark_session; s = spark_session('local[2]'); "
           "s.sparkContext.parallelize(range(4), 2).count(); s.stop()")


def warm_spark_classes() -> str:
    """Users' Spark runs after their first map the driver's class archive (extract.spark.
    class_archive_options), so the Spark engine is measured in such a run: a warm-up job writes
    the archive first if this machine has none."""
    from ..extract.spark import class_archive_path, default_class_cache

    archive = class_archive_path(default_class_cache())
    if archive.is_file():
        return "mapped (written by an earlier run)"
    done = subprocess.run([sys.executable, "-c", WARM_UP], capture_output=True, text=True)
    if done.returncode != 0 or not archive.is_file():
        raise ChipNerError("The Spark warm-up job failed", [Problem(archive, f"not written: {done.stderr[-500:]}")],
                           "Check Java 17+ and pyspark (pip install -e '.[spark]').")
    return "mapped (written by a warm-up job)"


def run_child() -> None:
    """One engine's run, in a process of its own; prints its report as JSON."""
    engine, source, output, model, batch_size = sys.argv[1:6]
    if engine == "spark":
        from ..extract.spark import extract_spark

        report = extract_spark(source, output, model=model, master="local[2]", batch_size=int(batch_size))
    else:
        from ..extract.local import extract

        report = extract(source, output, model=model, n_process=int(engine), batch_size=int(batch_size))
    print(json.dumps(report.to_dict()))


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (the JVM and the Python workers included)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB: resident now and at its peak since its exec (unlike
    getrusage's ru_maxrss, which keeps the forking parent's peak)."""
    values = {"VmRSS": 0, "VmHWM": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in values:
                values[key] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return values["VmRSS"], values["VmHWM"]


def run_engine(engine: str, source: Path, output: Path, model: str, batch_size: int) -> dict[str, Any]:
    """One engine in a fresh process; its process tree's memory sampled every 0.1 s: the most
    resident at one moment, and the sum of each process's own peak (exact for one process)."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", CHILD, ENGINES[engine], str(source), str(output), model,
                              str(batch_size)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, hwm = [0], {}

    def sample() -> None:
        while child.poll() is None:
            now = 0
            for pid in process_tree(child.pid):
                rss, high = memory_kb(pid)
                now += rss
                hwm[pid] = max(hwm.get(pid, 0), high)
            peak[0] = max(peak[0], now)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    sampler.join()
    wall = time.perf_counter() - start
    if child.returncode != 0:
        raise ChipNerError(f"The {engine} run failed", [Problem(engine, stderr.strip()[-3000:])])
    report = json.loads(stdout.strip().splitlines()[-1])
    return {"paragraphs": report["paragraphs"], "entities": report["entities"], "rejects": report["rejects"],
            "extract_seconds": report["seconds"], "wall_seconds": round(wall, 2),
            "paragraphs_per_second": round(report["paragraphs"] / report["seconds"], 1),
            "startup_seconds": report["startup_seconds"],
            "paragraphs_per_second_after_startup": round(report["paragraphs"] / (report["seconds"] - report["startup_seconds"]), 1),
            "peak_rss_mb": round(peak[0] / 1024, 1), "sum_of_process_peaks_mb": round(sum(hwm.values()) / 1024, 1),
            "processes": len(hwm)}


def write_archive(texts: list[str], folder: Path, files: int) -> None:
    """`files` files, cycling through .txt, .jsonl and Parquet, each a contiguous run of the texts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    size = math.ceil(len(texts) / files)
    for index in range(files):
        chunk = texts[index * size:(index + 1) * size]
        ids = [f"doc{index * size + i}" for i in range(len(chunk))]
        kind = ("txt", "jsonl", "parquet")[index % 3]
        path = folder / f"part{index:03d}.{kind}"
        if kind == "txt":
            path.write_text("".join(t + "\n" for t in chunk), encoding="utf-8")
        elif kind == "jsonl":
            path.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                                    for i, t in zip(ids, chunk)), encoding="utf-8")
        else:
            pq.write_table(pa.table({"id": ids, "text": chunk}), path, row_group_size=1000)


def benchmark_scale(model: str, paragraphs: Path, output: Path, *, min_paragraphs: int = 20_000,
                    min_chars: int = 2_000_000, files: int = 24, seed: int = 0, batch_size: int = 256) -> dict[str, Any]:
    """Throughput and peak memory of the three engines on the same archive, the rows compared
    across engines, and one process and n_process=2 again on a tenth of the archive (memory)."""
    check_model(model)
    corpus = [p["text"] for p in load_paragraphs(paragraphs).values()]
    if any("\n" in text or not text.strip() for text in corpus):
        raise ChipNerError("Paragraphs unfit for a .txt archive", [Problem(paragraphs, "a text is blank or spans lines")])
    total = sum(len(t) for t in corpus)
    texts = corpus_texts(paragraphs, max(min_chars, math.ceil(min_paragraphs / len(corpus)) * total))
    random.Random(seed).shuffle(texts)
    small = texts[: len(texts) // 10]
    result: dict[str, Any] = {"paragraphs": len(texts), "characters": sum(map(len, texts)), "files": files,
                              "seed": seed, "model": model, "batch_size": batch_size, "cpu_count": os.cpu_count(),
                              "runs": {}, "memory_flat": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_archive(texts, tmp / "archive", files)
        write_archive(small, tmp / "archive_tenth", files)
        result["spark_class_archive"] = warm_spark_classes()
        for engine, code in ENGINES.items():
            result["runs"][engine] = run_engine(engine, tmp / "archive", tmp / f"out_{code}", model, batch_size)
        single = result["runs"]["one process"]["paragraphs_per_second"]
        for run in result["runs"].values():
            run["speedup"] = round(run["paragraphs_per_second"] / single, 2)
            run["speedup_after_startup"] = round(run["paragraphs_per_second_after_startup"] / single, 2)
        for engine in ("one process", "n_process=2"):
            tenth = run_engine(engine, tmp / "archive_tenth", tmp / f"tenth_{ENGINES[engine]}", model, batch_size)
            full = result["runs"][engine]
            result["memory_flat"][engine] = {
                "paragraphs_1x": tenth["paragraphs"], "paragraphs_10x": full["paragraphs"],
                "peak_mb_1x": tenth["sum_of_process_peaks_mb"], "peak_mb_10x": full["sum_of_process_peaks_mb"],
                "ratio": round(full["sum_of_process_peaks_mb"] / tenth["sum_of_process_peaks_mb"], 3),
                "sampled_peak_rss_mb_1x": tenth["peak_rss_mb"], "sampled_peak_rss_mb_10x": full["peak_rss_mb"]}
        rows = {engine: read_rows(tmp / f"out_{ENGINES[engine]}") for engine in ENGINES}
    reference = rows["one process"]
    result["entities"] = len(reference)
    result["identical_rows"] = all(found == reference for found in rows.values())
    expected = Counter(tuple(row.values()) for row in reference)
    result["differences"] = {}
    for engine, found in rows.items():
        if found != reference:
            extra = Counter(tuple(row.values()) for row in found) - expected
            result["differences"][engine] = {"rows": len(found), "not_in_one_process": sum(extra.values()),
                                             "first": list(next(iter(extra), ()))}
    write_json(output, result)
    return result
