import errno
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT

from chip_ner.corpus.clean import (
    boilerplate_category,
    clean,
    duplicate_key,
    load_boilerplate_rules,
    repair,
    split_paragraphs,
)
from chip_ner.errors import ChipNerError

RULES = load_boilerplate_rules(ROOT / "configs/boilerplate.jsonl")
SEED_001 = (ROOT / "seeds/001_d0631cfb94dab0d0.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("raw,expected,rule", [
    ("【#區(qū)塊鏈# #大模型公司「卷」", "【#區塊鏈# #大模型公司「卷」", "pinyin"),
    ("正式向英偉達發(fā)起挑戰(zhàn)", "正式向英偉達發起挑戰", "pinyin"),
    ("一家初創(chuàng)公司Rain AI", "一家初創公司Rain AI", "pinyin"),
    ("美國超威半導體公司(AMD)已推出", "美國超威半導體公司(AMD)已推出", None),
    ("神經擬態(Neuromorphic)技術", "神經擬態(Neuromorphic)技術", None),
    ("首要標準是相關性?!?他強調", "首要標準是相關性。”他強調", "mojibake_quote"),
    ("很可能會失敗?!彼a充說", "很可能會失敗。”他補充說", "mojibake_quote"),
    ("的產品?!?/p>", "的產品。”", "html_remnant"),
    ("英偉達?A100、A800", "英偉達 A100、A800", "question_mark_space"),
    ("每天在70?萬美元", "每天在70 萬美元", "question_mark_space"),
    ("芯片 英偉達危?#】", "芯片 英偉達危?#】", None),
    ("ChatGPT時??D,反應延遲", "ChatGPT時??D,反應延遲", None),
])
def test_repair_rules(raw, expected, rule):
    counts = Counter()
    assert repair(raw, counts) == expected
    if rule is None:
        assert sum(counts.values()) == 0
    else:
        assert counts[rule] >= 1


def test_repair_of_real_001_leaves_no_artefacts():
    counts = Counter()
    text = repair(SEED_001, counts)
    assert "(qū)" not in text and "?/p>" not in text and "?!" not in text
    assert "英偉達 A100" in text and "Rob Enderle 就表示" in text
    assert counts["pinyin"] >= 30 and counts["question_mark_space"] >= 60


@pytest.mark.parametrize("lines,index,category", [
    (["相關推薦"], 0, "navigation"),
    (["正在阅读:"], 0, "navigation"),
    (["扫一扫下载界面新闻APP"], 0, "app_prompt"),
    (["暂无评论哦,快来评价一下吧!"], 0, "comment_widget"),
    (["登录后才可以发布评论哦"], 0, "comment_widget"),
    (["微信公众号"], 0, "share_widget"),
    (["../../../zaker_core/zaker_tpl_static/wap/tpl_guoji1.html"], 0, "template_path"),
    (["▲图源:OpenAI官网"], 0, "image_credit"),
    (["图片来源:视觉中国"], 0, "image_credit"),
    (["苹果 谷歌 AI TPU 芯片"], 0, "tag_list"),
    (["微软", "5.1k"], 0, "tag_list"),
    (["微软", "5.1k"], 1, "counter"),
    (["Fish AI Reader"], 0, "advert"),
    (["本文为转载内容,授权事宜请联系原著作权人。"], 0, "repost_notice"),
    # article text that must survive
    (["亚马逊的 AI 芯片野心"], 0, None),
    (["文|自象限  周游"], 0, None),
    (["摄影:界面新闻 范剑磊"], 0, None),
    (["因股票奖励,微软CEO纳德拉2024财年薪酬增长63%至7900万美元"], 0, None),
    (["结语"], 0, None),
])
def test_boilerplate_categories(lines, index, category):
    assert boilerplate_category(lines, index, RULES) == category


def test_split_paragraphs_offsets_trace_back():
    text = "标题\n\n  • 第一段\n第二段 \n"
    spans = split_paragraphs(text)
    assert [text[s:e] for s, e in spans] == ["标题", "第一段", "第二段"]


def test_duplicate_key_ignores_leading_emoji():
    assert duplicate_key("🤔 虽然苹果") == duplicate_key("💡 虽然苹果") == "虽然苹果"


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean")
    report = clean(ROOT / "seeds", out / "paragraphs.jsonl", dropped_output=out / "dropped.jsonl",
                   boilerplate=ROOT / "configs/boilerplate.jsonl")
    paragraphs = [json.loads(l) for l in (out / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()]
    dropped = [json.loads(l) for l in (out / "dropped.jsonl").read_text(encoding="utf-8").splitlines()]
    return report, paragraphs, dropped


def test_003_repeated_body_is_dropped_once(cleaned):
    report, paragraphs, dropped = cleaned
    texts = [p["text"] for p in paragraphs]
    assert len(texts) == len(set(texts))
    assert texts.count("OpenAI又让整个大模型界炸开了锅。") == 1
    duplicates_003 = [d for d in dropped if d["article"] == "003" and d["reason"].startswith("duplicate of 003-")]
    assert len(duplicates_003) >= 55


def test_every_paragraph_traces_back_to_its_seed(cleaned):
    _, paragraphs, _ = cleaned
    for p in paragraphs:
        raw = (ROOT / "seeds" / p["seed"]).read_text(encoding="utf-8")[p["start"]:p["end"]]
        if p["repairs"] == 0:
            assert raw == p["text"], p["id"]
        else:
            assert raw != p["text"] and len(raw) > len(p["text"]) - 5, p["id"]


def test_report_counts_every_dropped_paragraph(cleaned):
    report, paragraphs, dropped = cleaned
    assert sum(report.dropped.values()) == len(dropped)
    assert sum(report.kept_per_article.values()) == len(paragraphs)
    assert set(report.kept_per_article) == {"000", "001", "002", "003", "004"}


def test_non_utf8_seed_fails_with_offset_and_writes_nothing(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "000_ok.txt").write_text("英伟达\n", encoding="utf-8")
    (seeds / "001_bad.txt").write_bytes("第一行\n".encode() + b"abc\xff")
    out = tmp_path / "paragraphs.jsonl"
    with pytest.raises(ChipNerError) as err:
        clean(seeds, out, boilerplate=ROOT / "configs/boilerplate.jsonl")
    assert "001_bad.txt:2" in str(err.value) and "byte 0xff at byte offset 13" in str(err.value)
    assert not out.exists()


def test_bad_boilerplate_rule_is_named(tmp_path):
    rules = tmp_path / "rules.jsonl"
    rules.write_text('{"category": "x", "pattern": "^ok$"}\n{"category": "y", "pattern": "(unclosed"}\n')
    with pytest.raises(ChipNerError) as err:
        load_boilerplate_rules(rules)
    assert "rules.jsonl:2" in str(err.value) and "bad regex" in str(err.value)


def clean_seeds(tmp_path, seeds):
    """Clean the given {name: bytes} seeds; return the report and the kept records."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    for name, data in seeds.items():
        (folder / name).write_bytes(data)
    out = tmp_path / "paragraphs.jsonl"
    report = clean(folder, out, boilerplate=ROOT / "configs/boilerplate.jsonl")
    return report, [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_bom_is_stripped_counted_and_offsets_still_trace_back(tmp_path):
    report, paragraphs = clean_seeds(tmp_path, {"000_a.txt": "\ufeff英伟达发布H100。\n黄仁勋表示满意。\n".encode()})
    assert [p["text"] for p in paragraphs] == ["英伟达发布H100。", "黄仁勋表示满意。"]
    assert report.repairs["bom"] == 1
    raw = (tmp_path / "seeds/000_a.txt").read_text(encoding="utf-8")
    assert [raw[p["start"]:p["end"]] for p in paragraphs] == [p["text"] for p in paragraphs]


@pytest.mark.parametrize("ending,rule", [("\r", "cr_line_end"), ("\r\n", "crlf_line_end")])
def test_cr_and_crlf_line_endings_split_paragraphs_and_are_counted(tmp_path, ending, rule):
    text = ending.join(["英伟达发布H100。", "", "黄仁勋表示满意。", ""])
    report, paragraphs = clean_seeds(tmp_path, {"000_a.txt": text.encode()})
    assert [p["text"] for p in paragraphs] == ["英伟达发布H100。", "黄仁勋表示满意。"]
    assert report.repairs[rule] == 3
    raw = (tmp_path / "seeds/000_a.txt").read_bytes().decode("utf-8")  # no newline translation
    assert [raw[p["start"]:p["end"]] for p in paragraphs] == [p["text"] for p in paragraphs]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \n\n"])
def test_empty_seed_is_an_error_naming_the_file(tmp_path, data):
    with pytest.raises(ChipNerError, match="Empty seed article") as err:
        clean_seeds(tmp_path, {"000_ok.txt": "英伟达\n".encode(), "001_empty.txt": data})
    assert "001_empty.txt: the seed has no text" in str(err.value)
    assert not (tmp_path / "paragraphs.jsonl").exists()


def test_kept_and_dropped_are_replaced_together(tmp_path, monkeypatch):
    """A failure while writing the dropped file leaves both old files and no temporary."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "000_a.txt").write_text("英伟达\n英伟达\n", encoding="utf-8")
    out, dropped = tmp_path / "paragraphs.jsonl", tmp_path / "dropped.jsonl"
    out.write_text("old kept\n", encoding="utf-8")
    dropped.write_text("old dropped\n", encoding="utf-8")
    real_write = Path.write_text

    def write_text(self, text, *args, **kwargs):
        if self.name.startswith(".dropped.jsonl."):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)
    with pytest.raises(ChipNerError, match="Cannot write") as err:
        clean(folder, out, dropped_output=dropped, boilerplate=ROOT / "configs/boilerplate.jsonl")
    assert "dropped.jsonl: cannot write: No space left on device" in str(err.value)
    assert out.read_text(encoding="utf-8") == "old kept\n" and dropped.read_text(encoding="utf-8") == "old dropped\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dropped.jsonl", "paragraphs.jsonl", "seeds"]


def test_boilerplate_pattern_that_is_not_a_string_is_named(tmp_path):
    rules = tmp_path / "rules.jsonl"
    rules.write_text('{"category": "x", "pattern": 5}\n', encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        load_boilerplate_rules(rules)
    assert "rules.jsonl:1: `pattern` must be a string regex" in str(err.value)


def write_article(folder, name, lines, meta=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    meta = meta if meta is not None else [{"line": i, "fictional": True, "checked": []} for i in range(1, len(lines) + 1)]
    (folder / f"{name}.meta.jsonl").write_text("".join(json.dumps(m) + "\n" for m in meta), encoding="utf-8")


def written_folder(tmp_path, batches=None, **changes):
    folder = tmp_path / "written"
    write_article(folder, "101_a", ["澜芯科技发布LX-300芯片。", "创始人闫嘉禾表示，公司获得3亿元融资。"],
                  changes.get("meta_101"))
    write_article(folder, "102_b", ["台積電營收達新台幣1兆元。"],
                  [{"line": 1, "fictional": False, "checked": ["https://example.invalid/tsmc"]}])
    batches = batches if batches is not None else [{"batch": "w1", "articles": ["101", "102"], "topic": "t"}]
    (folder / "batches.jsonl").write_text("".join(json.dumps(b) + "\n" for b in batches), encoding="utf-8")
    return folder


def test_written_articles_join_the_corpus_with_their_batch_and_meta(tmp_path):
    report = clean(ROOT / "seeds", tmp_path / "p.jsonl", written_dir=written_folder(tmp_path))
    records = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    written = [r for r in records if r.get("source") == "written"]
    assert [(r["id"], r["batch"], r["fictional"]) for r in written] == [
        ("101-p000", "w1", True), ("101-p001", "w1", True), ("102-p000", "w1", False)]
    assert written[2]["checked"] == ["https://example.invalid/tsmc"]
    assert {r["batch"] for r in records if r.get("source") != "written"} == {"000", "001", "002", "003", "004"}
    assert report.kept_per_article["101"] == 2
    for r in written:  # offsets trace back to the written file
        assert (tmp_path / "written" / r["seed"]).read_text(encoding="utf-8")[r["start"]:r["end"]] == r["text"]


@pytest.mark.parametrize("changes,batches,reason", [
    ({"meta_101": [{"line": 1, "fictional": True, "checked": []}]}, None, "no record for paragraph lines [2]"),
    ({"meta_101": [{"line": 1, "fictional": False, "checked": []}, {"line": 2, "fictional": True, "checked": []}]},
     None, "line 1: a paragraph stating real facts must name the pages"),
    ({"meta_101": [{"line": 1, "fictional": "yes", "checked": []}, {"line": 2, "fictional": True, "checked": []}]},
     None, "`fictional` must be true or false"),
    ({"meta_101": [{"line": 1, "fictional": True, "checked": []}, {"line": 1, "fictional": True, "checked": []}]},
     None, "line 1 has two records"),
    ({"meta_101": [{"line": 3, "fictional": True, "checked": []}]}, None, "`line` 3 is not a paragraph line"),
    ({}, [{"batch": "w1", "articles": ["101"]}], "articles in no batch: 102"),
    ({}, [{"batch": "w1", "articles": ["101", "102"]}, {"batch": "w2", "articles": ["102"]}], "'102' is in two batches"),
    ({}, [{"batch": "w1", "articles": ["101", "102", "103"]}], "'103' has no file"),
])
def test_bad_written_meta_or_batches_are_located_and_nothing_is_written(tmp_path, changes, batches, reason):
    folder = written_folder(tmp_path, batches, **changes)
    with pytest.raises(ChipNerError) as err:
        clean(ROOT / "seeds", tmp_path / "p.jsonl", written_dir=folder)
    assert reason in str(err.value)
    assert not (tmp_path / "p.jsonl").exists()


def test_a_written_article_needs_its_meta_file_and_its_own_id(tmp_path):
    folder = written_folder(tmp_path)
    (folder / "102_b.meta.jsonl").unlink()
    with pytest.raises(ChipNerError, match="102_b.meta.jsonl is missing"):
        clean(ROOT / "seeds", tmp_path / "p.jsonl", written_dir=folder)
    folder = written_folder(tmp_path / "again")
    write_article(folder, "003_clash", ["一段文字。"])
    with pytest.raises(ChipNerError, match=r"\['003'\] are seed articles too"):
        clean(ROOT / "seeds", tmp_path / "p.jsonl", written_dir=folder)


def test_a_written_article_with_cr_line_endings_gets_each_paragraphs_own_meta(tmp_path):
    folder = written_folder(tmp_path)
    (folder / "101_a.txt").write_text("澜芯科技发布LX-300芯片。\r创始人闫嘉禾表示，公司获得3亿元融资。\r", encoding="utf-8")
    (folder / "101_a.meta.jsonl").write_text(
        json.dumps({"line": 1, "fictional": True, "checked": []}) + "\n"
        + json.dumps({"line": 2, "fictional": False, "checked": ["https://example.invalid/a"]}) + "\n", encoding="utf-8")
    clean(ROOT / "seeds", tmp_path / "p.jsonl", written_dir=folder)
    records = {json.loads(line)["id"]: json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()}
    assert (records["101-p000"]["fictional"], records["101-p001"]["fictional"]) == (True, False)
    assert records["101-p001"]["checked"] == ["https://example.invalid/a"]
