"""Scale of the corpus tools (issue 15): `validate`'s time on a large gold with distinct names,
and `convert`'s peak memory against the size of its gold file.

The corpus is generated (a fixed seed, so every run makes the same files): paragraphs of news-like
sentences, each with a PERSON, a COMPANY, a CHIP and a MONEY entity, grouped 20 to an article. Every
person and chip name is new until the supply runs out (over 300,000 Chinese names; chip names never
repeat), so the set of labelled strings grows with the corpus, the worst case for the consistency
check, which looks for every labelled string in every paragraph. Every occurrence of a labelled
string is labelled (the name characters appear nowhere else), so `validate` passes.

`validate` runs in this process (its seconds are wall time: say the load average with them);
`convert` runs as a child process on a gold of a given size, and its peak RSS is its own
(`getrusage(RUSAGE_CHILDREN)` in a small launcher process, see `LAUNCHER`).
"""
from __future__ import annotations

import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator, Optional

from ..errors import ChipNerError, Problem
from ..io import write_json

SENTENCES = [
    "分析师{p}表示，{c}将于明年推出{x}芯片，售价约{m}。",
    "{c}首席执行官{p}称，{x}的订单已超过{m}。",
    "据悉，{c}计划投资{m}扩大{x}的产能，{p}负责该项目。",
    "{p}在发布会上介绍了{c}的{x}加速器，其研发投入达{m}。",
    "{c}今年向客户交付{x}，营收增加{m}，{p}对此回应称需求强劲。",
]
COMPANIES = ["英伟达", "台积电", "谷歌", "微软", "亚马逊", "寒武纪", "壁仞科技", "摩尔线程", "海光信息", "三星电子",
             "博通", "高通", "联发科", "阿里云", "百度", "英特尔", "超威半导体", "甲骨文"]
CHIP_FAMILIES = ["XPU", "NPU", "Ascend", "Tensor", "Nova", "Orion", "Vega", "Atlas"]
CURRENCIES = ["亿美元", "亿元", "万美元", "亿欧元"]
# Name characters: a surname, then two given-name characters. None of them occurs in a sentence,
# a company or a currency, and no surname is a given-name character, so a name occurs exactly where
# it was put (an unlabelled occurrence would fail `validate`).
SURNAMES_ALL = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
                "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN_ALL = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂华玉兰萍鹏辉建红飞鑫波宁琳瑶婷雪慧晶倩颖睿哲轩浩宇欣怡嘉琪晨"
             "梅琴燕莉萱诗涵悦彤楠薇妍琦璐")
_USED = set("".join(SENTENCES) + "".join(COMPANIES) + "".join(CURRENCIES))
SURNAMES = "".join(dict.fromkeys(c for c in SURNAMES_ALL if c not in _USED))
GIVEN = "".join(dict.fromkeys(c for c in GIVEN_ALL if c not in _USED and c not in SURNAMES_ALL))
PARAGRAPHS_PER_ARTICLE = 20
SEED = 15


def names(seed: int) -> Iterator[str]:
    """Chinese names, each new until all len(SURNAMES) * len(GIVEN)**2 have been used, then again."""
    rng = random.Random(seed)
    total = len(SURNAMES) * len(GIVEN) ** 2
    step = next(n for n in range(total // 2 + 1, total) if _coprime(n, total))  # a fixed permutation of 0..total-1
    while True:
        start = rng.randrange(total)
        for i in range(total):
            k = (start + i * step) % total
            k, a = divmod(k, len(GIVEN))
            s, b = divmod(k, len(GIVEN))
            yield SURNAMES[s] + GIVEN[b] + GIVEN[a]


def _coprime(a: int, b: int) -> bool:
    while b:
        a, b = b, a % b
    return a == 1


def name_capacity() -> int:
    return len(SURNAMES) * len(GIVEN) ** 2


def paragraphs(count: Optional[int] = None, *, sentences: int = 5, seed: int = SEED,
               max_gold_bytes: Optional[int] = None) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(paragraph record, gold record) pairs: `count` of them, or as many as make `max_gold_bytes`
    of gold JSONL (at least one)."""
    rng = random.Random(seed)
    people = names(seed)
    gold_bytes = 0
    i = 0
    while (count is None or i < count) and (max_gold_bytes is None or gold_bytes < max_gold_bytes):
        article = f"{i // PARAGRAPHS_PER_ARTICLE:05d}"
        pid = f"{article}-p{i % PARAGRAPHS_PER_ARTICLE:03d}"
        text, spans = "", []
        for k in range(sentences):
            values = {"p": next(people), "c": rng.choice(COMPANIES),
                      "x": f"{rng.choice(CHIP_FAMILIES)}{i * sentences + k + 1}",
                      "m": f"{rng.randint(1, 999)}{rng.choice(CURRENCIES)}"}
            template = rng.choice(SENTENCES)
            labels = {"p": "PERSON", "c": "COMPANY", "x": "CHIP", "m": "MONEY"}
            pos, sentence = 0, ""
            while pos < len(template):
                brace = template.find("{", pos)
                if brace < 0:
                    sentence += template[pos:]
                    break
                sentence += template[pos:brace]
                key = template[brace + 1]
                start = len(text) + len(sentence)
                sentence += values[key]
                spans.append([start, start + len(values[key]), labels[key]])
                pos = brace + 3
            text += sentence
        paragraph = {"id": pid, "article": article, "text": text}
        gold = {"text": text, "label": spans, "meta": {"id": pid, "article": article}}
        gold_bytes += len(json.dumps(gold, ensure_ascii=False).encode("utf-8")) + 1
        i += 1
        yield paragraph, gold


def write_corpus(folder: Path, count: Optional[int] = None, *, sentences: int = 5, seed: int = SEED,
                 max_gold_bytes: Optional[int] = None) -> dict[str, Any]:
    """paragraphs.jsonl and gold.jsonl in `folder`; returns their paths and sizes, the articles
    and a dev split (every tenth article)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"paragraphs": folder / "paragraphs.jsonl", "gold": folder / "gold.jsonl"}
    count_written, chars, spans = 0, 0, 0
    articles: dict[str, None] = {}
    with open(paths["paragraphs"], "w", encoding="utf-8") as par, open(paths["gold"], "w", encoding="utf-8") as gold:
        for paragraph, record in paragraphs(count, sentences=sentences, seed=seed, max_gold_bytes=max_gold_bytes):
            par.write(json.dumps(paragraph, ensure_ascii=False) + "\n")
            gold.write(json.dumps(record, ensure_ascii=False) + "\n")
            count_written += 1
            chars += len(paragraph["text"])
            spans += len(record["label"])
            articles[paragraph["article"]] = None
    ids = list(articles)
    dev = ids[::10] if len(ids) > 1 else []
    return {"paths": paths, "paragraphs": count_written, "characters": chars, "spans": spans,
            "articles": len(ids), "dev_articles": ",".join(dev),
            "gold_mb": round(paths["gold"].stat().st_size / 1e6, 2),
            "paragraphs_mb": round(paths["paragraphs"].stat().st_size / 1e6, 2)}


def time_validate(corpus: dict[str, Any]) -> dict[str, Any]:
    from ..corpus.validate import validate

    load = os.getloadavg()
    start = time.perf_counter()
    report = validate(corpus["paths"]["gold"], corpus["paths"]["paragraphs"])
    seconds = time.perf_counter() - start
    surfaces = {r["text"][s:e] for r in _read(corpus["paths"]["gold"]) for s, e, _ in r["label"]}
    return {"paragraphs": corpus["paragraphs"], "characters": corpus["characters"], "spans": corpus["spans"],
            "distinct_labelled_strings": len(surfaces), "gold_mb": corpus["gold_mb"], "records": report.records,
            "unexplained_entries": len(report.unexplained), "seconds": round(seconds, 2),
            "load_average_before": [round(x, 2) for x in load],
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def _read(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


# Runs `argv[1:]` and prints its exit code and peak RSS (KB): a small process to fork from, since
# a child's ru_maxrss starts from the RSS of the process it was forked from (Linux keeps the
# high-water mark across exec), which for this process, after `validate`, is hundreds of MB.
LAUNCHER = r"""
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[1:], stdout=sys.stdout, stderr=subprocess.STDOUT)
print(json.dumps({"code": code, "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def run_measured(command: list[str], workdir: Path) -> tuple[int, float, float, str]:
    """Run `command`; (exit code, its own peak RSS in MB, seconds, the end of its output)."""
    log = workdir / "child.log"
    start = time.perf_counter()
    with open(log, "wb") as out:
        subprocess.run([sys.executable, "-c", LAUNCHER, *command], stdout=out, stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - start
    output = log.read_text(encoding="utf-8", errors="replace")
    try:
        result = json.loads(output.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return 1, 0.0, seconds, output[-3000:]
    scale = 1024 * 1024 if platform.system() == "Darwin" else 1024  # ru_maxrss: bytes on macOS, KB on Linux
    return result["code"], result["peak_kb"] / scale, seconds, output[-3000:]


def measure_convert(corpus: dict[str, Any], config: Path, workdir: Path) -> dict[str, Any]:
    paths = corpus["paths"]
    train, dev = workdir / "train.spacy", workdir / "dev.spacy"
    command = [sys.executable, "-m", "chip_ner", "convert", str(paths["gold"]), str(paths["paragraphs"]), str(config),
               str(train), str(dev), "--dev-articles", corpus["dev_articles"]]
    load = os.getloadavg()
    code, peak_mb, seconds, output = run_measured(command, workdir)
    if code != 0:
        tail = [line for line in output.splitlines() if line.strip()][-20:]
        raise ChipNerError("convert failed on the generated gold", [Problem(paths["gold"], " | ".join(tail))],
                           "Run the command above by hand to see the error.")
    gold_bytes = paths["gold"].stat().st_size
    return {"paragraphs": corpus["paragraphs"], "characters": corpus["characters"], "spans": corpus["spans"],
            "gold_mb": corpus["gold_mb"], "paragraphs_mb": corpus["paragraphs_mb"],
            "train_mb": round(train.stat().st_size / 1e6, 2), "dev_mb": round(dev.stat().st_size / 1e6, 2),
            "peak_rss_mb": round(peak_mb, 1), "peak_over_gold_size": round(peak_mb * 2**20 / gold_bytes, 1),
            "seconds": round(seconds, 1), "load_average_before": [round(x, 2) for x in load],
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def check_config(config: Path) -> None:
    """The config's tokenizer must build before minutes of generating and validating."""
    from ..corpus.convert import tokenizer_from_config

    try:
        tokenizer_from_config(config)
    except Exception as err:  # a config that does not parse or names an unknown tokenizer
        reason = " ".join(str(err).split())[:300]
        raise ChipNerError(f"Cannot build the tokenizer of {config}", [Problem(config, f"not a usable training config: {reason}")],
                           "Pass a training config, e.g. configs/char_latin_cues.cfg.") from None


def benchmark_corpus(output: Path, config: Path, *, validate_paragraphs: int = 50_000, convert_mb: float = 20.0,
                     sentences: int = 5, workdir: Optional[Path] = None) -> dict[str, Any]:
    """Time `validate` on `validate_paragraphs` generated paragraphs, measure `convert`'s peak RSS
    on a generated gold of about `convert_mb` MB; write both to `output`."""
    import spacy

    check_config(config)
    result: dict[str, Any] = {"seed": SEED, "sentences_per_paragraph": sentences,
                              "paragraphs_per_article": PARAGRAPHS_PER_ARTICLE, "distinct_person_names": name_capacity(),
                              "config": str(config), "cpus": os.cpu_count(), "python": platform.python_version(),
                              "spacy": spacy.__version__}
    with tempfile.TemporaryDirectory(prefix="benchmark-corpus-", dir=workdir) as tmp:
        folder = Path(tmp)
        corpus = write_corpus(folder / "convert", sentences=sentences, max_gold_bytes=int(convert_mb * 1e6))
        result["convert"] = measure_convert(corpus, config, folder / "convert")
        shutil.rmtree(folder / "convert")
        corpus = write_corpus(folder / "validate", validate_paragraphs, sentences=sentences)
        result["validate"] = time_validate(corpus)
    write_json(output, result)
    return result
