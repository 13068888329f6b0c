"""Cost of each pipeline component against the length of one Doc.

Users pass whole articles, or whole files, as one text. Each component (the tokenizer
included) is timed on one Doc at 1x, 2x, 4x and 8x a base length, for two texts: news (the
cleaned corpus, paragraphs joined by newlines) and the worst case for the PERSON cues (a new
analyst after a title in every sentence: `分析师<Latin name>表示，<Chinese name>说。`, every
name distinct). Linear cost shows as a ratio near the multiple (4x text -> about 4x time).
Peak memory is measured for one Doc of 1,000,000 characters (spaCy's default `max_length`).
Each measurement runs in a child process of its own, so memory and warm caches are its own.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from itertools import cycle, product
from pathlib import Path
from typing import Any


from ..errors import ChipNerError, Problem
from ..extract.local import check_model
from ..io import write_json
from ..records import load_paragraphs

MULTIPLES = (1, 2, 4, 8)
# Time at 4x the text may be at most this many times the time at 1x (issue 14's target).
MAX_RATIO_AT_4X = 5.0

# Runs in a child process: argv = model, text file, comma-separated lengths, repeats. Prints JSON.
CHILD = r'''
import json, resource, sys, time
import spacy
model, path, lengths, repeats = sys.argv[1], sys.argv[2], [int(n) for n in sys.argv[3].split(",")], int(sys.argv[4])
if not spacy.util.is_package(model):
    import chip_ner.spacy_code  # a pipeline folder needs the project's components registered
nlp = spacy.load(model)
nlp.max_length = max(lengths) + 1
text = open(path, encoding="utf-8").read()
nlp(text[:5000])  # warm up
rows = []
for length in lengths:
    piece = text[:length]
    best = {}
    for _ in range(repeats):
        start = time.perf_counter(); doc = nlp.make_doc(piece); times = {"tokenizer": time.perf_counter() - start}
        for name, proc in nlp.pipeline:
            start = time.perf_counter(); doc = proc(doc); times[name] = time.perf_counter() - start
        best = {k: min(v, best.get(k, v)) for k, v in times.items()}
    rows.append({"characters": len(piece), "tokens": len(doc), "entities": len(doc.ents), "seconds": best})
print(json.dumps({"rows": rows, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
'''

LATIN_GIVEN = ["Todd", "Ben", "Maria", "Lisa", "Chris", "Anna", "Mark", "Paul", "Jensen", "Tim", "Sara", "Kevin",
               "Emma", "Jack", "Olivia", "Noah", "Liam", "Mia", "Ethan", "Grace"]
LATIN_FAMILY = ["Weiss", "Bajarin", "Smith", "Moore", "Garcia", "Brown", "Wilson", "Clark", "Lewis", "Young",
                "Hall", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Carter",
                "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins",
                "Stewart", "Morris", "Rogers", "Reed", "Cook", "Morgan", "Bell", "Murphy", "Bailey", "Cooper",
                "Howard", "Ward", "Cox", "Diaz", "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray",
                "James", "Reyes", "Cruz", "Hughes", "Price", "Myers", "Long", "Foster", "Sanders", "Ross", "Powell"]
HAN_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
HAN_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建红飞鑫波宁琳"


def names_text(characters: int) -> str:
    """`分析师<Latin name>表示，<Chinese name>说。` repeated, each name new (1,200 Latin and over
    1,000,000 Chinese names before one repeats)."""
    latin = cycle(f"{g} {f}" for f, g in product(LATIN_FAMILY, LATIN_GIVEN))
    han = (s + a + b for s, a, b in product(HAN_SURNAMES, HAN_GIVEN, HAN_GIVEN))
    pieces, total = [], 0
    while total < characters:
        piece = f"分析师{next(latin)}表示，{next(han)}说。"
        pieces.append(piece)
        total += len(piece)
    return "".join(pieces)[:characters]


def news_text(paragraphs: Path, characters: int) -> str:
    """The cleaned paragraphs joined by newlines, repeated up to `characters`."""
    texts = [p["text"] for p in load_paragraphs(paragraphs).values()]
    joined = "\n".join(texts)
    return ("\n".join([joined] * -(-characters // (len(joined) + 1))))[:characters]


def measure(model: str, text: str, lengths: list[int], repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "text.txt"
        path.write_text(text, encoding="utf-8")
        result = subprocess.run([sys.executable, "-c", CHILD, model, str(path), ",".join(map(str, lengths)), str(repeats)],
                                capture_output=True, text=True)
    if result.returncode != 0:
        raise ChipNerError(f"The length benchmark of {model} failed", [Problem(model, result.stderr.strip()[-2000:])],
                           "Check that the model loads: python -c \"import spacy; spacy.load('MODEL')\"")
    return json.loads(result.stdout.strip().splitlines()[-1])


def ratios(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per component, time at each multiple / time at 1x."""
    first = rows[0]["seconds"]
    return {name: {f"{row['characters'] // rows[0]['characters']}x": round(row["seconds"][name] / max(first[name], 1e-9), 2)
                   for row in rows} for name in first}


def benchmark_length(model: str, paragraphs: Path, output: Path, *, base_chars: int = 25_000,
                     memory_chars: int = 1_000_000, repeats: int = 2) -> dict[str, Any]:
    """Per-component seconds at 1x-8x `base_chars` for the news and names texts, and the peak
    memory of one `memory_chars` Doc; written to `output`."""
    check_model(model)
    lengths = [base_chars * m for m in MULTIPLES]
    texts = {"news": news_text(paragraphs, lengths[-1]), "names after titles": names_text(lengths[-1])}
    result: dict[str, Any] = {"model": model, "base_characters": base_chars, "multiples": list(MULTIPLES),
                              "max_ratio_at_4x": MAX_RATIO_AT_4X, "texts": {}}
    for name, text in texts.items():
        run = measure(model, text, lengths, repeats)
        run["ratios"] = ratios(run["rows"])
        run["components_over_target"] = sorted(c for c, r in run["ratios"].items() if r["4x"] > MAX_RATIO_AT_4X)
        result["texts"][name] = run
    memory = measure(model, news_text(paragraphs, memory_chars), [memory_chars], 1)
    result["one_doc"] = {"characters": memory_chars, "tokens": memory["rows"][0]["tokens"],
                         "seconds": round(sum(memory["rows"][0]["seconds"].values()), 2),
                         "peak_rss_mb": memory["peak_rss_mb"]}
    write_json(output, result)
    return result
