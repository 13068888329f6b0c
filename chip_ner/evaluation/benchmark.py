"""Speed and size of the packaged pipeline, with jieba.posseg on the same text in the same run
(so the ratio means something on a noisy machine). Each engine runs in its own process, so
peak memory and load time are its own.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import spacy.util

from ..errors import ChipNerError, Problem
from ..io import write_json
from ..records import load_paragraphs

# Runs in a child process: argv = engine, text file, n_process. Prints one JSON line.
CHILD = r'''
import json, resource, sys, time
engine, path, n_process = sys.argv[1], sys.argv[2], int(sys.argv[3])
texts = open(path, encoding="utf-8").read().split("\n")
start = time.perf_counter()
if engine == "jieba":
    import jieba, jieba.posseg
    jieba.setLogLevel(60)
    jieba.initialize()
    list(jieba.posseg.cut("预热"))
    run = lambda: [list(jieba.posseg.cut(t)) for t in texts]
else:
    import spacy
    nlp = spacy.load(engine)
    nlp("预热")
    if n_process > 1:  # one BLAS thread per worker, as chip_ner/threads.py and the README's usage advise
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=1, user_api="blas")
    run = lambda: [len(d.ents) for d in nlp.pipe(texts, batch_size=256, n_process=n_process)]
load = time.perf_counter() - start
start = time.perf_counter()
run()
seconds = time.perf_counter() - start
rss = lambda who: resource.getrusage(who).ru_maxrss / 1024
print(json.dumps({"load_seconds": round(load, 3), "seconds": round(seconds, 2),
                  "chars_per_second": round(sum(map(len, texts)) / seconds),
                  "peak_rss_mb": round(rss(resource.RUSAGE_SELF), 1),
                  "peak_rss_children_mb": round(rss(resource.RUSAGE_CHILDREN), 1)}))
'''


def corpus_texts(paragraphs: Path, min_chars: int) -> list[str]:
    """The cleaned paragraphs, repeated until they hold at least `min_chars` characters."""
    texts = [p["text"] for p in load_paragraphs(paragraphs).values()]
    total = sum(len(t) for t in texts)
    return texts * -(-min_chars // total)


def measure(engine: str, text_file: Path, n_process: int = 1) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-c", CHILD, engine, str(text_file), str(n_process)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise ChipNerError(f"The benchmark of {engine} failed", [Problem(engine, result.stderr.strip()[-2000:])])
    return json.loads(result.stdout.strip().splitlines()[-1])


def benchmark(package: str, wheel: Path, paragraphs: Path, output: Path, *, min_chars: int = 1_000_000) -> dict[str, Any]:
    """chars/s (1 and 2 processes), load time and peak memory of `package` and of jieba.posseg."""
    if not spacy.util.is_package(package):  # checked first: the child runs would fail only after minutes
        raise ChipNerError("No such pipeline package", [Problem(package, "is not an installed package")],
                           "Install its wheel first: spacy project run package, then pip install the wheel.")
    texts = corpus_texts(paragraphs, min_chars)
    with tempfile.TemporaryDirectory() as tmp:
        text_file = Path(tmp) / "texts.txt"
        text_file.write_text("\n".join(texts), encoding="utf-8")
        runs = {
            f"{package} (n_process=1)": measure(package, text_file, 1),
            f"{package} (n_process=2)": measure(package, text_file, 2),
            "jieba.posseg": measure("jieba", text_file, 1),
        }
    single = runs[f"{package} (n_process=1)"]["chars_per_second"]
    result = {"characters": sum(len(t) for t in texts), "paragraphs": len(texts), "cpu_count": os.cpu_count(), "runs": runs,
              "wheel": str(wheel), "wheel_size_mb": round(Path(wheel).stat().st_size / 1e6, 2),
              "ratio_to_jieba": round(single / runs["jieba.posseg"]["chars_per_second"], 3)}
    write_json(output, result)
    return result
