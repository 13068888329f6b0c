"""The MSRA converter: BMES tags to spans, singles, the sentence breaks inside a name, located errors."""
import pytest
from conftest import DATA

from chip_ner.errors import ChipNerError
from chip_ner.evaluation.msra import load_msra, read_bmes, tagged_people
from chip_ner.io import write_jsonl


def test_tags_become_spans_with_msra_types_mapped():
    report = read_bmes(DATA / "msra_sample.txt")
    first = report.sentences[0]
    assert first.text == "新华社记者李鹏报道" and first.line == 1
    assert [(first.text[s:e], label) for s, e, label in first.spans] == [("新华社", "ORG"), ("李鹏", "PERSON")]


def test_a_sentence_break_inside_a_name_is_joined_and_reported():
    """`张 S-PER`, a blank line, `万 M-PER`, `年 E-PER` is one name, 张万年 (the file's artefact)."""
    report = read_bmes(DATA / "msra_sample.txt")
    assert len(report.sentences) == 2
    joined = report.sentences[1]
    assert joined.text == "张万年和王到京" and joined.line == 11
    assert [(joined.text[s:e], label) for s, e, label in joined.spans] == [("张万年", "PERSON"), ("王", "PERSON"),
                                                                            ("京", "LOC")]
    assert [str(p) for p in report.joined] == [f"{DATA / 'msra_sample.txt'}:12: sentence break inside a PER name joined"]


@pytest.mark.parametrize("lines,line,reason", [
    (["李 B-PER", "鹏 O"], 2, "O inside an unfinished PER name"),
    (["李 E-PER"], 1, "E-PER without a B-PER before it"),
    (["李 B-PER", "鹏 B-PER", "好 E-PER"], 2, "B-PER inside an unfinished PER name"),
    (["李 B-PER"], 2, "the file ends inside a PER name"),
    (["李B-PER"], 1, "expected `<character> <tag>`"),
    (["李 B-XYZ"], 1, "unknown tag 'B-XYZ'"),
])
def test_malformed_sequences_are_located(tmp_path, lines, line, reason):
    path = tmp_path / "bad.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        read_bmes(path)
    assert f"bad.txt:{line}" in str(err.value) and reason in str(err.value)


def test_only_person_is_scored_and_tagged_words_keep_their_offsets(tmp_path):
    write_jsonl(tmp_path / "t.jsonl", [{"text": "李鹏到京", "label": [[0, 2, "PERSON"], [3, 4, "LOC"]], "meta": {}}])
    assert load_msra(tmp_path / "t.jsonl") == [("李鹏到京", [(0, 2, "PERSON")])]
    people = tagged_people(lambda text: [("李鹏", "np"), ("到", "v"), ("京", "ns")], {"np"})
    assert people(["李鹏到京"]) == [[(0, 2, "PERSON")]]
