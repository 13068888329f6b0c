import json

import pytest
import spacy
from spacy.lookups import Lookups

from chip_ner.config_code.readers import read_person_cues
from conftest import blank_zh

CUES = ([{"cue": c, "kind": "title"} for c in ("分析师", "高级分析师", "首席执行官", "设计师", "CEO", "VP", "专家")]
        + [{"cue": c, "kind": "byline"} for c in ("记者", "编辑", "文", "摄影")]
        + [{"cue": c, "kind": "after"} for c in ("表示", "说", "在", "曾", "也", "和", "的")]
        + [{"cue": c, "kind": "surname"} for c in ("王", "张", "李", "周", "范", "欧阳", "向")])


@pytest.fixture
def nlp():
    nlp = blank_zh()
    lookups = Lookups()
    lookups.add_table("lexeme_norm", {"師": "师", "張": "张", "編": "编", "輯": "辑", "記": "记"})
    nlp.vocab.lookups = lookups
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "NORM"})
    ruler.add_patterns([{"label": "PERSON", "pattern": "Amodei"}, {"label": "COMPANY", "pattern": "Intel"}])
    nlp.add_pipe("chip_ner_person_cues").initialize(cues=CUES)
    return nlp


def people(doc):
    return [e.text for e in doc.ents if e.label_ == "PERSON"]


@pytest.mark.parametrize("text,expected", [
    ("高级分析师Todd R. Weiss表示,这是趋势。", ["Todd R. Weiss"]),        # title + Latin name with an initial
    ("分析师张小明表示,需求很大。", ["张小明"]),                            # surname + two characters, ends at 表示
    ("分析師張明表示", ["張明"]),                                          # traditional script matches simplified cues
    ("人工智能专家欧阳娜娜在博文中写道", ["欧阳娜娜"]),                     # compound surname
    ("前CEO比尔·盖茨曾说", ["比尔·盖茨"]),                                 # transliteration with a middle dot
    ("前CEO比尔·盖茨代指芯片", []),                                        # no boundary after the name: no guess
    ("作为首席执行官,Jane Roe也在会上发言", ["Jane Roe"]),                 # appositive 作为…<title>,<name>
    ("首席执行官,Jane Roe也在会上发言", []),                               # a comma without 作为 is no apposition
    ("（记者 王小明）消息", ["王小明"]),                                     # byline
    ("文|某某科技  周游", ["周游"]),                                        # byline with the outlet before the name
    ("编辑|李四", ["李四"]),
    ("中文|李四", []),                                                     # 文 inside a word is no byline
    ("编辑部李四", []),                                                    # no separator after a multi-character cue
    ("分析师表示,需求很大。", []),                                         # the title is followed by no name
    ("专家向记者表示", []),                                                 # a cue word inside the candidate
    ("VPN服务商", []),                                                     # Latin cue only as a whole word
    ("设计师Jony lve一起谈判,而Jony lve的企业", ["Jony lve", "Jony lve"]),  # repeated in the same Doc
    ("Dario Amodei和Daniela Amodei兄妹", ["Dario Amodei", "Daniela Amodei"]),  # given names complete a known surname
    ("The Dario Amodei", ["Amodei"]),                                     # inside a longer Latin phrase: left alone
    ("分析师Intel表示", []),                                                # an entity already there wins
])
def test_person_cues(nlp, text, expected):
    assert people(nlp(text)) == expected


def test_short_chinese_names_are_not_repeated(nlp):
    assert people(nlp("编辑|周游。他们周游世界")) == ["周游"]


def test_without_cues_nothing_changes(nlp):
    doc = nlp.make_doc("分析师张小明表示")
    component = nlp.get_pipe("chip_ner_person_cues")
    component.initialize(cues=[])
    assert list(component(doc).ents) == []


def test_serialisation_round_trip(nlp, tmp_path):
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert people(loaded("高级分析师Todd R. Weiss表示")) == ["Todd R. Weiss"]


def test_component_bytes_round_trip_and_exclude(nlp):
    component = nlp.get_pipe("chip_ner_person_cues")
    fresh = spacy.blank("zh").add_pipe("chip_ner_person_cues")
    assert fresh.from_bytes(component.to_bytes()).cues == CUES
    assert fresh.from_bytes(component.to_bytes(exclude=["cues"])).cues == CUES  # nothing read: unchanged
    assert spacy.blank("zh").add_pipe("chip_ner_person_cues").from_bytes(component.to_bytes(exclude=["cues"])).cues == []


def test_cues_file_of_earlier_pipelines_still_loads(tmp_path):
    """Pipelines trained before to_bytes existed wrote `cues.json` with json.dumps."""
    (tmp_path / "cues.json").write_text(json.dumps(CUES, ensure_ascii=False), encoding="utf-8")
    nlp = blank_zh()
    nlp.add_pipe("chip_ner_person_cues").from_disk(tmp_path)
    assert people(nlp("分析师张小明表示")) == ["张小明"]


@pytest.mark.parametrize("line,error", [
    ({"cue": "分析师", "kind": "job"}, "kind"),
    ({"cue": "", "kind": "title"}, "cue"),
    ({"kind": "title"}, "cue"),
])
def test_bad_cue_lines_are_named(tmp_path, line, error):
    path = tmp_path / "cues.jsonl"
    path.write_text(json.dumps({"cue": "记者", "kind": "byline"}) + "\n" + json.dumps(line, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match=rf"cues.jsonl:2: .*{error}"):
        read_person_cues([str(path)])


def test_shipped_cue_lists_are_valid():
    cues = read_person_cues(["configs/person_cues.jsonl", "configs/surnames.jsonl"])
    kinds = {c["kind"] for c in cues}
    assert kinds == {"title", "byline", "after", "surname"}
    keys = [(c["cue"], c["kind"]) for c in cues]
    assert len(keys) == len(set(keys)), "duplicate cue lines"
    surnames = {c["cue"] for c in cues if c["kind"] == "surname"}
    after = {c["cue"] for c in cues if c["kind"] == "after"}
    assert {"王", "李", "张", "欧阳"} <= surnames and "表示" in after


def reference_repeats(text, spans):
    """The per-name regex search that `repeats` replaced (quadratic in the names found)."""
    import re

    for name in {text[s:e] for s, e in spans}:
        latin = name[0].isascii()
        if not latin and len(name) < 3:
            continue
        pattern = rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])" if latin else re.escape(name)
        for match in re.finditer(pattern, text):
            yield match.span()


def test_repeats_finds_what_a_search_per_name_finds():
    """On random texts: every non-overlapping match the per-name search finds is found by the one scan
    (which also lists overlapping ones; the component keeps the first of overlapping spans)."""
    import random

    from chip_ner.pipeline.person import PersonCues

    rng = random.Random(3)
    pieces = ["Ben", "Ben Li", "Li", "王小明", "小明", "明", "a", "1", " ", "，", "Benny", "王小"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 25)))
        spans = []
        for _ in range(rng.randint(1, 4)):
            start = rng.randrange(len(text))
            spans.append((start, rng.randint(start + 1, min(len(text), start + 6))))
        spans = [(s, e) for s, e in spans if not text[s].isspace()]
        assert set(reference_repeats(text, spans)) <= set(PersonCues.repeats(text, spans)), repr(text)
        for start, end in PersonCues.repeats(text, spans):
            assert text[start:end] in {text[s:e] for s, e in spans}
