"""Every gazetteer and pattern entry must be a span the guidelines would annotate, with the label
they give it (corpus/GUIDELINES.md)."""
import re

import pytest
from conftest import ROOT

from chip_ner.records import is_edge_junk, load_patterns

FILES = [p for p in (ROOT / "configs/patterns.jsonl", ROOT / "configs/gazetteer.jsonl") if p.exists()]
# The guidelines' "No" examples: never an entity of any label.
NEVER = {"GPU", "CPU", "NPU", "ASIC", "AI芯片", "加速器", "芯片", "晶片", "脉动阵列", "CUDA", "ROCm", "Gemini", "Claude",
         "ChatGPT", "GPT-4", "AFM", "HBM", "HBM3E", "SRAM", "NVLink", "RISC-V", "Arm", "3纳米", "18A", "美国司法部",
         "英国竞争和市场管理局", "Ignite", "GTC", "Bing", "Office", "Azure", "iPhone", "贾维斯", "MOSS", "摩尔定律",
         "安迪比尔定理", "CEO", "分析师", "DGX", "TPU v5e Pods", "每美元"}
# The guidelines' "Yes" examples, with their label.
EXAMPLES = {"H100": "CHIP", "MI300X": "CHIP", "TPU": "CHIP", "Cloud TPU v5e": "CHIP", "Maia 100": "CHIP",
            "Azure Maia 100": "CHIP", "Trainium2": "CHIP", "Blackwell": "CHIP", "Hopper": "CHIP", "骁龙": "CHIP",
            "昇腾910B": "CHIP", "LPU": "CHIP", "DCU": "CHIP", "AWS": "COMPANY", "谷歌云": "COMPANY",
            "Google Cloud": "COMPANY", "Annapurna Labs": "COMPANY", "红杉": "COMPANY", "Andreessen Horowitz": "COMPANY",
            "软银": "COMPANY", "花旗": "COMPANY", "路透社": "COMPANY", "The Information": "COMPANY",
            "美国超威半导体公司": "COMPANY", "黄仁勋": "PERSON", "皮查伊": "PERSON", "孙正义": "PERSON",
            "Sam Altman": "PERSON", "安迪·格鲁夫": "PERSON"}


def entries(path):
    return load_patterns(path)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_entries_follow_the_span_rules(path):
    problems = []
    for entry in entries(path):
        text, label = entry["pattern"], entry["label"]
        if not isinstance(text, str):
            continue
        if is_edge_junk(text[0]) or is_edge_junk(text[-1]):
            problems.append(f"{text!r}: whitespace or punctuation at an edge")
        if text in NEVER:
            problems.append(f"{text!r}: the guidelines say this is never an entity")
        if label == "COMPANY" and text.endswith("公司") and len(text) < 6:
            problems.append(f"{text!r}: 公司 after a short name stays outside the span")
        if label == "CHIP" and text.endswith(("系列", "芯片", "晶片")) and text != "A系列":
            problems.append(f"{text!r}: series words and head nouns stay outside CHIP")
        if label in ("COMPANY", "PERSON") and re.search(r"(CEO|首席执行官|创始人|记者)$", text):
            problems.append(f"{text!r}: a role is not part of a name")
        if "id" in entry and not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", entry["id"]):
            problems.append(f"{text!r}: id {entry['id']!r} is not kebab-case")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_one_label_and_one_id_per_surface(path):
    seen = {}
    for entry in entries(path):
        key = entry["pattern"] if isinstance(entry["pattern"], str) else str(entry["pattern"])
        assert seen.setdefault(key, (entry["label"], entry.get("id"))) == (entry["label"], entry.get("id")), key


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_vendor_is_never_inside_a_chip_name(path):
    all_entries = entries(path)
    companies = {e["pattern"] for e in all_entries if e["label"] == "COMPANY" and len(e["pattern"]) >= 2}
    offenders = [e["pattern"] for e in all_entries if e["label"] == "CHIP"
                 and any(e["pattern"].startswith(c) and e["pattern"] != c for c in companies)]
    assert not offenders, offenders


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_guideline_examples_keep_their_label(path):
    labels = {e["pattern"]: e["label"] for e in entries(path)}
    wrong = {text: labels[text] for text, label in EXAMPLES.items() if text in labels and labels[text] != label}
    assert not wrong, wrong


def test_patterns_and_gazetteer_agree_where_they_overlap():
    from chip_ner.records import load_patterns as load

    patterns = {e["pattern"]: e["label"] for e in load(ROOT / "configs/patterns.jsonl")}
    gazetteer = {e["pattern"]: e["label"] for e in load(ROOT / "configs/gazetteer.jsonl")}
    assert {k: (v, gazetteer[k]) for k, v in patterns.items() if k in gazetteer and gazetteer[k] != v} == {}
