import json
import random

import spacy
from spacy.training import Example

from chip_ner.config_code.augment import create_entity_swap, swap_entities
from chip_ner.pipeline import tokenizer  # noqa: F401  (registers the tokenizer)

NAMES = {"CHIP": ["B200"], "COMPANY": ["輝達", "Cerebras"], "PERSON": ["苏姿丰"]}


def test_swap_keeps_offsets_and_repeats_consistent():
    text = "英伟达H100,英伟达说投资40亿美元"
    spans = [(0, 3, "COMPANY"), (3, 7, "CHIP"), (8, 11, "COMPANY"), (14, 20, "MONEY")]
    new_text, new_spans = swap_entities(text, spans, NAMES, random.Random(1))
    surfaces = [(new_text[s:e], label) for s, e, label in new_spans]
    assert surfaces[1] == ("B200", "CHIP") and surfaces[3] == ("40亿美元", "MONEY")
    assert surfaces[0] == surfaces[2] and surfaces[0][0] in NAMES["COMPANY"]


def test_augmenter_yields_the_original_and_valid_copies(tmp_path):
    gazetteer = tmp_path / "g.jsonl"
    names = {"CHIP": ["B200"], "COMPANY": ["輝達"]}  # `Cerebras` glued to `B200` would not align: skipped
    gazetteer.write_text("".join(json.dumps({"label": l, "pattern": n}, ensure_ascii=False) + "\n"
                                 for l, ns in names.items() for n in ns), encoding="utf-8")
    table = tmp_path / "t.json"
    table.write_text(json.dumps({"lexeme_norm": {"偉": "伟", "達": "达"}}, ensure_ascii=False), encoding="utf-8")
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}})
    text = "英伟达H100"
    example = Example.from_dict(nlp.make_doc(text), {"entities": [(0, 3, "COMPANY"), (3, 7, "CHIP")]})
    augment = create_entity_swap(str(gazetteer), level=1.0, script_table=str(table), script_level=1.0)
    out = list(augment(nlp, example))
    assert out[0] is example and len(out) == 3
    swapped, converted = out[1].reference, out[2].reference
    assert [(e.text, e.label_) for e in swapped.ents][1] == ("B200", "CHIP")
    assert converted.text == "英偉達H100" and [e.text for e in converted.ents] == ["英偉達", "H100"]


def test_a_copy_that_breaks_token_alignment_is_skipped(tmp_path):
    gazetteer = tmp_path / "g.jsonl"
    gazetteer.write_text('{"label": "COMPANY", "pattern": "Cerebras"}\n{"label": "CHIP", "pattern": "B200"}\n')
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}})
    example = Example.from_dict(nlp.make_doc("英伟达H100"), {"entities": [(0, 3, "COMPANY"), (3, 7, "CHIP")]})
    out = list(create_entity_swap(str(gazetteer), level=1.0)(nlp, example))
    assert out == [example]  # `CerebrasB200` is one token, so the swapped copy is not yielded
