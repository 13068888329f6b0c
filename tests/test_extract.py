"""`chip-ner extract` on one machine: the rows are exactly the entities of `nlp.pipe` on the same
texts in every output format and with worker processes; bad input is listed, never lost; an
interrupted run, resumed, gives the rows of an uninterrupted one."""
import json
import os
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import spacy
from typer.testing import CliRunner

from chip_ner import spacy_code  # noqa: F401  (the project's components, for the test pipeline)
from chip_ner.cli import REJECTED_EXIT, app
from chip_ner.errors import ChipNerError
from chip_ner.extract import local
from chip_ner.extract.local import extract, read_rows
from conftest import blank_zh

PATTERNS = [{"label": "COMPANY", "pattern": "英伟达", "id": "nvidia"}, {"label": "COMPANY", "pattern": "台积电", "id": "tsmc"},
            {"label": "CHIP", "pattern": "H100"}, {"label": "PERSON", "pattern": "黄仁勋", "id": "jensen-huang"}]
SENTENCES = ["英伟达发布H100,售价约3万美元。", "黄仁勋说台积电将投资300亿至400亿美元。", "今天没有实体。",
             "台积电与英伟达合作", "H100和H100"]


def build_pipeline(path):
    """The project's tokenizer, an entity_ruler, the MONEY component and canonical IDs: small,
    and loaded by path like a trained pipeline."""
    nlp = blank_zh()
    nlp.add_pipe("entity_ruler").add_patterns(PATTERNS)
    nlp.add_pipe("chip_ner_money", config={"mode": "authoritative"})
    nlp.add_pipe("chip_ner_canonical").initialize(patterns=PATTERNS)
    nlp.to_disk(path)
    return path


def make_archive(root):
    """A folder of every kind of input, with the paragraphs it holds as (file, doc_id, number, text)
    and the rejects it must produce as (file, line, row, a part of the reason)."""
    root.mkdir()
    (root / "news").mkdir()
    lines = [SENTENCES[0], "", SENTENCES[1], "   ", SENTENCES[2]]
    (root / "news" / "a.txt").write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    jsonl = [json.dumps({"id": "j1", "text": SENTENCES[3]}, ensure_ascii=False), "{not json",
             json.dumps({"id": "j3", "body": "no text"}), json.dumps({"text": SENTENCES[4]}, ensure_ascii=False),
             json.dumps({"id": 5, "text": ""}), json.dumps(["a list"])]
    (root / "b.jsonl").write_text("\n".join(jsonl) + "\n", encoding="utf-8")
    pq.write_table(pa.table({"text": [SENTENCES[1], None, SENTENCES[0] * 3], "id": ["p1", "p2", None]}),
                   root / "c.parquet", row_group_size=2)
    (root / "gbk.txt").write_bytes("英伟达\n台积电\n".encode("gbk"))
    (root / "broken.parquet").write_bytes(b"PAR1 but not Parquet")
    (root / "notes.md").write_text("not an input\n", encoding="utf-8")
    (root / "_SUCCESS").write_text("", encoding="utf-8")  # hidden by convention, like Spark's markers
    paragraphs = [("b.jsonl", "j1", 1, SENTENCES[3]), ("b.jsonl", "b.jsonl", 4, SENTENCES[4]),
                  ("c.parquet", "p1", 1, SENTENCES[1]), ("c.parquet", "c.parquet", 3, SENTENCES[0] * 3),
                  ("news/a.txt", "news/a.txt", 1, SENTENCES[0]), ("news/a.txt", "news/a.txt", 3, SENTENCES[1]),
                  ("news/a.txt", "news/a.txt", 5, SENTENCES[2])]
    rejects = [("notes.md", None, None, "not a .txt, .jsonl or .parquet file"),
               ("b.jsonl", 2, None, "not valid JSON"), ("b.jsonl", 3, None, "no `text` field"),
               ("b.jsonl", 5, None, "empty `text`"), ("b.jsonl", 6, None, "expected a JSON object, found list"),
               ("broken.parquet", None, None, "not a readable Parquet file"),
               ("c.parquet", None, 2, "no `text`"), ("gbk.txt", 1, None, "not UTF-8: byte 0xb4 at byte offset 4")]
    return paragraphs, rejects


def pipe_rows(model, paragraphs):
    """What nlp.pipe finds in the same texts, written out here independently of the extract code."""
    nlp = spacy.load(model)
    rows = []
    for (file, doc_id, number, _), doc in zip(paragraphs, nlp.pipe(t for *_, t in paragraphs)):
        for ent in doc.ents:
            money = ent._.money or {}
            rows.append({"file": file, "doc_id": doc_id, "paragraph": number, "start": ent.start_char,
                         "end": ent.end_char, "label": ent.label_, "text": ent.text, "id": ent.id_ or None,
                         "value": money.get("value"), "min": money.get("min"), "max": money.get("max"),
                         "currency": money.get("currency")})
    return sorted(rows, key=lambda r: (r["file"], r["paragraph"], r["start"], r["end"], r["label"]))


def read_rejects(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def check_rejects(path, expected):
    found = read_rejects(path)
    assert [(r["file"], r["line"], r["row"]) for r in found] == [e[:3] for e in expected]
    for record, (*_, reason) in zip(found, expected):
        assert reason in record["reason"], record


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return str(build_pipeline(tmp_path_factory.mktemp("pipeline") / "model"))


@pytest.fixture
def archive(tmp_path):
    paragraphs, rejects = make_archive(tmp_path / "archive")
    return tmp_path / "archive", paragraphs, rejects


@pytest.mark.parametrize("name", ["entities.jsonl", "entities.csv", "entities_parquet"])
def test_rows_are_the_entities_of_nlp_pipe_and_bad_input_is_listed(model, archive, tmp_path, name):
    folder, paragraphs, rejects = archive
    output = tmp_path / "out" / name
    report = extract(folder, output, model=model, batch_size=2)
    expected = pipe_rows(model, paragraphs)
    assert len(expected) > 10 and any(r["currency"] == "USD" and r["min"] < r["max"] for r in expected)
    assert read_rows(output) == expected
    check_rejects(report.rejects_path, rejects)
    assert (report.files, report.paragraphs, report.blank_lines, report.entities, report.rejects) == \
           (5, len(paragraphs), 2, len(expected), len(rejects))
    assert report.per_label == {label: sum(r["label"] == label for r in expected) for label in report.per_label}
    if name != "entities_parquet":  # the parts are gone once the output is assembled
        assert sorted(p.name for p in output.parent.iterdir()) == sorted([name, f"{name}.rejects.jsonl"])


def test_two_worker_processes_give_the_rows_of_one(model, archive, tmp_path):
    folder, paragraphs, _ = archive
    one = extract(folder, tmp_path / "one.jsonl", model=model, batch_size=1, n_process=1)
    two = extract(folder, tmp_path / "two.jsonl", model=model, batch_size=1, n_process=2)
    assert read_rows(tmp_path / "two.jsonl") == read_rows(tmp_path / "one.jsonl") == pipe_rows(model, paragraphs)
    assert two.rejects_path.read_text(encoding="utf-8") == one.rejects_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["resumed.jsonl", "resumed_parquet"])
@pytest.mark.parametrize("fail_after", [1, 3, 6])
def test_an_interrupted_run_resumed_gives_the_rows_of_an_uninterrupted_one(model, archive, tmp_path, monkeypatch,
                                                                          name, fail_after):
    """Interrupted after `fail_after` batches of one paragraph (inside a file or at its end);
    a killed run's temporary file is left behind too."""
    folder, paragraphs, rejects = archive
    whole = tmp_path / ("whole" + (".jsonl" if name.endswith(".jsonl") else ""))
    extract(folder, whole, model=model, batch_size=1)
    output = tmp_path / name
    calls = []
    real = local.annotate

    def interrupted(*args):
        calls.append(1)
        if len(calls) > fail_after:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(local, "annotate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        extract(folder, output, model=model, batch_size=1)
    monkeypatch.setattr(local, "annotate", real)
    parts = output if name.endswith("_parquet") else output.with_name(name + ".parts")
    finished = [json.loads(line) for line in (parts / "_manifest.jsonl").read_text().splitlines()][1:]
    assert not list(parts.glob(".*.tmp"))  # the interrupted part was removed, not left half-written
    (parts / ".part-0123.parquet.999.tmp").write_bytes(b"half a part")
    resumed = extract(folder, output, model=model, batch_size=1)
    assert bool(finished) == (fail_after > 2)  # b.jsonl, the first input, has two paragraphs
    assert resumed.resumed_files == len(finished)
    assert resumed.paragraphs_this_run == len(paragraphs) - sum(entry["paragraphs"] for entry in finished)
    assert read_rows(output) == read_rows(whole)
    check_rejects(resumed.rejects_path, rejects)
    assert resumed.entities == len(read_rows(whole))


def test_a_finished_parquet_output_is_not_redone_and_overwrite_starts_again(model, archive, tmp_path):
    folder, paragraphs, _ = archive
    extract(folder, tmp_path / "out", model=model)
    again = extract(folder, tmp_path / "out", model=model)
    assert (again.resumed_files, again.paragraphs_this_run, again.paragraphs) == (5, 0, len(paragraphs))
    fresh = extract(folder, tmp_path / "out", model=model, overwrite=True)
    assert (fresh.resumed_files, fresh.paragraphs_this_run) == (0, len(paragraphs))
    assert read_rows(tmp_path / "out") == pipe_rows(model, paragraphs)


def test_a_changed_input_file_is_done_again(model, archive, tmp_path):
    folder, paragraphs, _ = archive
    extract(folder, tmp_path / "out", model=model)
    with open(folder / "news" / "a.txt", "a", encoding="utf-8") as handle:
        handle.write(SENTENCES[3] + "\n")
    report = extract(folder, tmp_path / "out", model=model)
    assert report.resumed_files == 4 and report.paragraphs_this_run == 4
    expected = pipe_rows(model, paragraphs + [("news/a.txt", "news/a.txt", 6, SENTENCES[3])])
    assert read_rows(tmp_path / "out") == expected


@pytest.mark.parametrize("change, problem", [({"text_field": "body"}, "text_field: 'text' then, 'body' now"),
                                             ({"model": "zh_core_web_sm_missing"}, "is neither an installed package")])
def test_resuming_with_other_settings_is_refused(model, archive, tmp_path, monkeypatch, change, problem):
    folder, _, _ = archive
    monkeypatch.setattr(local, "annotate", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        extract(folder, tmp_path / "out", model=model)
    monkeypatch.undo()
    with pytest.raises(ChipNerError) as err:
        extract(folder, tmp_path / "out", **{"model": model, **change})
    assert problem in err.value.render()


def test_output_inside_the_input_is_refused(model, archive):
    folder, _, _ = archive
    with pytest.raises(ChipNerError, match="would be read back as input"):
        extract(folder, folder / "out.jsonl", model=model)


@pytest.mark.parametrize("clean", [True, False])
def test_cli_exit_code_says_whether_anything_was_rejected(model, archive, tmp_path, clean):
    folder, _, _ = archive
    source = folder / "news" / "a.txt" if clean else folder
    result = CliRunner().invoke(app, ["extract", str(source), str(tmp_path / "out.jsonl"), "--model", model,
                                      "--no-progress"])
    assert result.exit_code == (0 if clean else REJECTED_EXIT), result.output
    assert "paragraphs/s" in result.output and "entities" in result.output
    assert ("Nothing rejected" in result.output) == clean


KILLED_RUN = """
import sys, time
from chip_ner.extract import local
real = local.annotate
local.annotate = lambda *args: (time.sleep(0.05), real(*args))[1]  # slow enough to be killed mid-way
local.extract(sys.argv[1], sys.argv[2], model=sys.argv[3], batch_size=1)
"""


def test_a_killed_run_resumed_gives_the_rows_of_an_uninterrupted_one(model, tmp_path):
    """SIGKILL in the middle of a run (temporary files left, maybe a torn manifest line), then resume."""
    folder = tmp_path / "archive"
    folder.mkdir()
    for index in range(12):
        (folder / f"{index:02d}.txt").write_text("\n".join(SENTENCES[(index + k) % 5] for k in range(3)) + "\n",
                                                  encoding="utf-8")
    extract(folder, tmp_path / "whole", model=model)
    output = tmp_path / "killed"
    child = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(folder), str(output), model])
    manifest = output / "_manifest.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if manifest.exists() and len(manifest.read_text(encoding="utf-8").splitlines()) >= 4:  # settings + 3 inputs
            break
        time.sleep(0.01)
    assert child.poll() is None, "the run ended before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    done = len(manifest.read_text(encoding="utf-8").splitlines()) - 1
    assert 3 <= done < 12
    resumed = extract(folder, output, model=model)
    assert resumed.resumed_files >= 3 and resumed.paragraphs_this_run <= 3 * (12 - 3)
    assert not list(output.glob(".*.tmp"))
    assert read_rows(output) == read_rows(tmp_path / "whole")
