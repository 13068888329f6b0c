"""check-spans: generated texts and the violation counts (the wheel itself is checked end to
end in tests/test_package.py)."""
import json

import spacy
from spacy.tokens import Span

import chip_ner.spacy_code  # noqa: F401
from chip_ner.evaluation.check_spans import check_spans, generated_texts, violations
from conftest import DATA


def test_generated_texts_are_reproducible_and_of_every_kind():
    paragraphs = ["英伟达发布H100芯片。", "台积电营收创新高。"]
    texts = generated_texts(paragraphs, count=40)
    assert texts == generated_texts(paragraphs, count=40) and len(texts) == 42 and texts[:2] == paragraphs
    assert any("Ｈ１００" in t for t in texts)  # full-width
    assert any("兆" in t or "１２" in t or "，345" in t or "US$" in t or "万元" in t for t in texts)  # amounts


def test_violations_counts_edges_and_not_clean_entities():
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}})
    text = "美国总统Donald Trump，表示英伟达发布"
    doc = nlp.make_doc(text)
    doc.ents = [Span(doc, 4, 7, "PERSON"), Span(doc, 9, 12, "COMPANY")]
    counts = violations([text], [doc])
    assert (counts["entities"], counts["edge"], counts["overlap"], counts["offsets"]) == (2, 1, 0, 0)
    assert counts["examples"] == [["Donald Trump，", "PERSON"]]


def test_check_spans_on_a_pipeline_folder(tmp_path):
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}})
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "COMPANY", "pattern": [{"TEXT": "英"}, {"TEXT": "伟"}, {"TEXT": "达"}, {"IS_PUNCT": True}]}])
    nlp.add_pipe("chip_ner_span_rules")
    nlp.to_disk(tmp_path / "model")
    result = check_spans(str(tmp_path / "model"), DATA / "paragraphs.jsonl", tmp_path / "out.json", count=200)
    assert json.loads((tmp_path / "out.json").read_text()) == result
    assert result["runs"]["as shipped"]["edge"] == 0
    assert result["runs"]["without chip_ner_span_rules"]["edge"] > 0  # the ruler's pattern ends on punctuation
