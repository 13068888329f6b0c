import json
import socket

import pytest
from conftest import DATA, ROOT, read_records, write_records
from typer.testing import CliRunner

from chip_ner.cli import app

runner = CliRunner()


def test_clean_prints_rule_counts(tmp_path):
    out = tmp_path / "paragraphs.jsonl"
    result = runner.invoke(app, ["clean", str(ROOT / "seeds"), str(out), "--boilerplate",
                                 str(ROOT / "configs/boilerplate.jsonl")])
    assert result.exit_code == 0, result.output
    assert "pinyin" in result.output and "duplicate" in result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) > 100


def test_validate_prints_counts_per_label_and_article(small):
    stats = small / "stats.json"
    result = runner.invoke(app, ["validate", str(small / "gold.jsonl"), str(small / "paragraphs.jsonl"),
                                 "--stats", str(stats)])
    assert result.exit_code == 0, result.output
    assert "COMPANY" in result.output and "900" in result.output and "901" in result.output
    assert json.loads(stats.read_text())["per_label"] == {"COMPANY": 4, "CHIP": 3, "MONEY": 1, "PERSON": 1}


def test_validate_fails_nonzero_and_writes_nothing(small):
    records = read_records(small / "gold.jsonl")
    records[2]["label"].append([20, 200, "CHIP"])
    write_records(small / "gold.jsonl", records)
    stats = small / "stats.json"
    result = runner.invoke(app, ["validate", str(small / "gold.jsonl"), str(small / "paragraphs.jsonl"),
                                 "--stats", str(stats)])
    assert result.exit_code == 1
    assert "gold.jsonl:3 (offset 20)" in result.output and "out of range" in result.output
    assert not stats.exists()


def test_import_markup_refuses_changed_text(tmp_path):
    markup = tmp_path / "m.txt"
    markup.write_text("900-p001\t[[黄仁勋|PERSON]]说,英伟达将推出Blackwell。\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["import-markup", str(markup), str(DATA / "paragraphs.jsonl"), str(out),
                                 "--annotator", "T"])
    assert result.exit_code == 1 and "text differs" in result.output
    assert not out.exists()


COMMANDS = [command.name for command in app.registered_commands]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


# Bad input, one case (or more) per command: each must fail with one line that names the file
# (and line), the parameter or the server, and never with a traceback.

def broken_jsonl(tmp_path, source, name=None):
    """A copy of `source` whose second line is cut short, so it is not JSON."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1][:20] + "\n"
    path = tmp_path / (name or source.name)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def a_file(tmp_path, name="file"):
    path = tmp_path / name
    path.write_text("not a folder\n", encoding="utf-8")
    return path


def closed_port():
    """A port on 127.0.0.1 that nothing listens on (bound once to pick it, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def case(args, *expected, env=None, untouched=()):
    """`expected`: strings that must all appear on one line of the output; `untouched`: paths
    the command must not create."""
    return {"args": [str(a) for a in args], "expected": expected, "env": env or {}, "untouched": untouched}


def doccano_args(port):
    return ["--url", f"http://127.0.0.1:{port}/", "--project", "test"]


GOLD, PARAGRAPHS, PATTERNS = DATA / "gold.jsonl", DATA / "paragraphs.jsonl", ROOT / "configs/patterns.jsonl"
CONFIG = ROOT / "configs/experiments/char_latin.cfg"


def bad_clean(tmp):
    return case(["clean", tmp / "nope", tmp / "out.jsonl", "--boilerplate", ROOT / "configs/boilerplate.jsonl"],
                "Invalid value for 'seeds'", "nope", untouched=[tmp / "out.jsonl"])


def bad_pre_annotate(tmp):
    paragraphs = broken_jsonl(tmp, PARAGRAPHS)
    return case(["pre-annotate", paragraphs, PATTERNS, tmp / "out.jsonl"], f"{paragraphs}:2", "not valid JSON",
                untouched=[tmp / "out.jsonl"])


def bad_validate(tmp):
    return case(["validate", tmp / "nope.jsonl", PARAGRAPHS], "Invalid value for 'gold'", "nope.jsonl")


def bad_export_markup(tmp):
    records = tmp / "no_meta.jsonl"
    write_records(records, [{"text": "英伟达", "label": [[0, 3, "COMPANY"]]}])
    return case(["export-markup", records, tmp / "out.txt"], f"{records}:1", "meta.id", untouched=[tmp / "out.txt"])


def export_markup_true_offset(tmp):
    records = tmp / "true.jsonl"
    write_records(records, [{"text": "英伟达", "label": [[True, 3, "COMPANY"]], "meta": {"id": "900-p000"}}])
    return case(["export-markup", records, tmp / "out.txt"], f"{records}:1", "[start, end, label]",
                untouched=[tmp / "out.txt"])

def bad_import_markup(tmp):
    markup = tmp / "m.txt"
    markup.write_text("900-p000 without a tab\n", encoding="utf-8")
    return case(["import-markup", markup, PARAGRAPHS, tmp / "out.jsonl", "--annotator", "T"], f"{markup}:1",
                "id<TAB>", untouched=[tmp / "out.jsonl"])


def bad_agreement(tmp):
    b = broken_jsonl(tmp, GOLD, "b.jsonl")
    return case(["agreement", GOLD, b, PARAGRAPHS], f"{b}:2")


def bad_convert(tmp):
    gold = broken_jsonl(tmp, GOLD)
    return case(["convert", gold, PARAGRAPHS, CONFIG, tmp / "train.spacy", tmp / "dev.spacy", "--dev-articles", "901"],
                f"{gold}:2", untouched=[tmp / "train.spacy", tmp / "dev.spacy"])


def bad_filter_patterns(tmp):
    gold = broken_jsonl(tmp, GOLD)
    return case(["filter-patterns", gold, PARAGRAPHS, PATTERNS, tmp / "out.jsonl", "--held-out", "901"],
                f"{gold}:2", untouched=[tmp / "out.jsonl"])


def bad_evaluate(tmp):
    return case(["evaluate", tmp / "no_model", GOLD, tmp / "metrics.json"], "Invalid value for 'model'", "no_model")


def bad_compare_segmenters(tmp):
    return case(["compare-segmenters", GOLD, PARAGRAPHS, tmp / "work", tmp / "results.json", "--config",
                 tmp / "nope.cfg", "--dev-articles", "901"], "Invalid value for '--config'", "nope.cfg",
                untouched=[tmp / "work"])


def bad_fetch_pkuseg(tmp):
    return case(["fetch-pkuseg", a_file(tmp) / "model"], "Invalid value for 'output'", "is a file")


def bad_cross_validate(tmp):
    gold = broken_jsonl(tmp, GOLD)
    return case(["cross-validate", gold, PARAGRAPHS, CONFIG, tmp / "cv", tmp / "pred.jsonl", tmp / "summary.json"],
                f"{gold}:2", untouched=[tmp / "cv", tmp / "pred.jsonl"])


def bad_predict_baselines(tmp):
    patterns = tmp / "patterns.jsonl"
    write_records(patterns, [{"label": "GPU", "pattern": "H100"}])
    return case(["predict-baselines", GOLD, PARAGRAPHS, patterns, tmp / "p.jsonl", tmp / "j.jsonl"],
                f"{patterns}:1", "unknown label", untouched=[tmp / "p.jsonl", tmp / "j.jsonl"])


def bad_score(tmp):
    return case(["score", GOLD, PARAGRAPHS, tmp / "out", "--system", "model"], "Invalid value for '--system'",
                "'model' is not NAME=", untouched=[tmp / "out"])


def bad_build_norms(tmp):
    return case(["build-norms", a_file(tmp) / "t2s.json"], "Invalid value for 'output'", "is a file")


def bad_script_test(tmp):
    (tmp / "cv").mkdir()
    return case(["script-test", GOLD, PARAGRAPHS, tmp / "cv", tmp / "out.jsonl"],
                str(tmp / "cv" / "900-100" / "model" / "model-last"), "no such model", untouched=[tmp / "out.jsonl"])


def bad_benchmark(tmp):
    return case(["benchmark", "no_such_pipeline_pkg", a_file(tmp, "x.whl"), PARAGRAPHS, tmp / "speed.json"],
                "no_such_pipeline_pkg: is not an installed package", untouched=[tmp / "speed.json"])


def bad_benchmark_length(tmp):
    return case(["benchmark-length", "no_such_pipeline_pkg", PARAGRAPHS, tmp / "length.json"],
                "no_such_pipeline_pkg: is neither an installed package nor a pipeline folder", untouched=[tmp / "length.json"])


def bad_benchmark_corpus(tmp):
    config = tmp / "notes.cfg"
    config.write_text("not a config\n", encoding="utf-8")
    return case(["benchmark-corpus", config, tmp / "benchmark_corpus.json", "--validate-paragraphs", "10"],
                f"{config}: not a usable training config", untouched=[tmp / "benchmark_corpus.json"])


def bad_check_spans(tmp):
    return case(["check-spans", "no_such_pipeline_pkg", PARAGRAPHS, tmp / "span_rules.json"],
                "no_such_pipeline_pkg: is neither an installed package nor a pipeline folder", untouched=[tmp / "span_rules.json"])


def bad_fetch_msra(tmp):
    return case(["fetch-msra", a_file(tmp) / "msra"], "Invalid value for 'output'", "is a file")


def bad_benchmark_msra(tmp):
    test = tmp / "test.jsonl"
    test.write_text('{"text": "李鹏", "label": []}\n', encoding="utf-8")
    return case(["benchmark-msra", test, "no_such_pipeline_pkg", tmp / "msra.json"],
                "no_such_pipeline_pkg: no installed package of that name", untouched=[tmp / "msra.json"])


def bad_extract(tmp):
    archive = tmp / "archive"
    archive.mkdir()
    (archive / "a.txt").write_text("英伟达\n", encoding="utf-8")
    return case(["extract", archive, archive / "out.jsonl"], str(archive / "out.jsonl"),
                "would be read back as input", untouched=[archive / "out.jsonl"])


def extract_bad_conf(tmp):
    return case(["extract", PARAGRAPHS, tmp / "out", "--engine", "spark", "--conf", "spark.ui.enabled"],
                "Invalid value for '--conf'", "is not KEY=VALUE", untouched=[tmp / "out"])


def bad_benchmark_scale(tmp):
    return case(["benchmark-scale", "no_such_pipeline_pkg", PARAGRAPHS, tmp / "scale.json"],
                "no_such_pipeline_pkg: is neither an installed package nor a pipeline folder", untouched=[tmp / "scale.json"])


def bad_report(tmp):
    readme = tmp / "README.md"
    readme.write_text("# No markers here\n", encoding="utf-8")
    (tmp / "metrics").mkdir()
    return case(["report", tmp / "metrics", readme, tmp / "report.md"], f"{readme}: lacks the markers",
                untouched=[tmp / "report.md"])


def bad_doccano_start(tmp):
    return case(["doccano-start", "--root", tmp / ".doccano"], "DOCCANO_PASSWORD: environment variable is not set",
                env={"DOCCANO_PASSWORD": None}, untouched=[tmp / ".doccano"])


def bad_doccano_stop(tmp):
    return case(["doccano-stop", "--root", a_file(tmp)], "Invalid value for '--root'", "is a file")


def push_unreachable(tmp):
    port = closed_port()
    return case(["push", PARAGRAPHS, tmp / "base.jsonl", "--source", "gold", "--gold", GOLD, "--patterns", PATTERNS,
                 "--guidelines", ROOT / "corpus/GUIDELINES.md", *doccano_args(port)],
                f"http://127.0.0.1:{port}/: server unreachable", env={"DOCCANO_PASSWORD": "secret"},
                untouched=[tmp / "base.jsonl"])


def push_bad_order(tmp):
    return case(["push", PARAGRAPHS, tmp / "base.jsonl", "--order", "foo"], "Invalid value for '--order'", "'foo'",
                env={"DOCCANO_PASSWORD": "secret"}, untouched=[tmp / "base.jsonl"])


def pull_unreachable(tmp):
    gold = tmp / "gold.jsonl"
    gold.write_bytes(GOLD.read_bytes())
    port = closed_port()
    return case(["pull", gold, PARAGRAPHS, tmp / "base.jsonl", *doccano_args(port)],
                f"http://127.0.0.1:{port}/: server unreachable", env={"DOCCANO_PASSWORD": "secret"},
                untouched=[tmp / "base.jsonl"])


def pull_bad_prefer(tmp):
    return case(["pull", GOLD, PARAGRAPHS, tmp / "base.jsonl", "--prefer", "mine"], "Invalid value for '--prefer'",
                "'mine'", env={"DOCCANO_PASSWORD": "secret"})


def clean_empty_seed(tmp):
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "000_ok.txt").write_text("英伟达\n", encoding="utf-8")
    (seeds / "001_empty.txt").write_bytes(b"")
    return case(["clean", seeds, tmp / "out.jsonl", "--dropped", tmp / "dropped.jsonl", "--boilerplate",
                 ROOT / "configs/boilerplate.jsonl"], "001_empty.txt: the seed has no text",
                untouched=[tmp / "out.jsonl", tmp / "dropped.jsonl"])


def pre_annotate_empty(tmp):
    paragraphs = tmp / "paragraphs.jsonl"
    paragraphs.write_text("", encoding="utf-8")
    return case(["pre-annotate", paragraphs, PATTERNS, tmp / "out.jsonl"], f"{paragraphs}:1", "the file is empty",
                untouched=[tmp / "out.jsonl"])


def pre_annotate_lone_surrogate(tmp):
    paragraphs = tmp / "paragraphs.jsonl"
    paragraphs.write_text('{"id": "900-p000", "article": "900", "text": "\\udc00"}\n', encoding="utf-8")
    return case(["pre-annotate", paragraphs, PATTERNS, tmp / "out.jsonl"], f"{paragraphs}:1 (offset 46)",
                "lone surrogate", untouched=[tmp / "out.jsonl"])


def agreement_empty(tmp):
    b = tmp / "b.jsonl"
    b.write_text("", encoding="utf-8")
    return case(["agreement", GOLD, b, PARAGRAPHS, "--output", tmp / "agreement.json"], f"{b}:1",
                "the file is empty", untouched=[tmp / "agreement.json"])


def convert_id_list(tmp):
    gold = tmp / "gold.jsonl"
    records = read_records(GOLD)
    records[1]["meta"]["id"] = ["900-p001"]
    write_records(gold, records)
    return case(["convert", gold, PARAGRAPHS, CONFIG, tmp / "train.spacy", tmp / "dev.spacy", "--dev-articles", "901"],
                f"{gold}:2", "meta.id must be a string", untouched=[tmp / "train.spacy", tmp / "dev.spacy"])


def validate_nested(tmp):
    gold = tmp / "gold.jsonl"
    gold.write_text(GOLD.read_text(encoding="utf-8") + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    return case(["validate", gold, PARAGRAPHS], f"{gold}:4", "nested too deeply")


BAD_INPUT = {
    "clean": [bad_clean, clean_empty_seed],
    "pre-annotate": [bad_pre_annotate, pre_annotate_empty, pre_annotate_lone_surrogate],
    "validate": [bad_validate, validate_nested],
    "export-markup": [bad_export_markup, export_markup_true_offset], "import-markup": [bad_import_markup], "agreement": [bad_agreement, agreement_empty],
    "convert": [bad_convert, convert_id_list], "filter-patterns": [bad_filter_patterns], "evaluate": [bad_evaluate],
    "compare-segmenters": [bad_compare_segmenters], "fetch-pkuseg": [bad_fetch_pkuseg],
    "cross-validate": [bad_cross_validate], "predict-baselines": [bad_predict_baselines], "score": [bad_score],
    "build-norms": [bad_build_norms], "script-test": [bad_script_test], "benchmark": [bad_benchmark],
    "benchmark-length": [bad_benchmark_length], "check-spans": [bad_check_spans], "benchmark-corpus": [bad_benchmark_corpus],
    "extract": [bad_extract, extract_bad_conf], "benchmark-scale": [bad_benchmark_scale],
    "report": [bad_report], "fetch-msra": [bad_fetch_msra], "benchmark-msra": [bad_benchmark_msra],
    "doccano-start": [bad_doccano_start], "doccano-stop": [bad_doccano_stop],
    "push": [push_unreachable, push_bad_order], "pull": [pull_unreachable, pull_bad_prefer],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_fails_on_bad_input_with_a_located_line(command, tmp_path):
    """Enumerated from the app, so a new command without a bad-input case fails here."""
    assert command in BAD_INPUT, f"add a bad-input case for `{command}` to BAD_INPUT"
    for make_case in BAD_INPUT[command]:
        folder = tmp_path / make_case.__name__
        folder.mkdir()
        bad = make_case(folder)
        result = runner.invoke(app, bad["args"], env=bad["env"])
        assert bad["args"][0] == command
        assert result.exit_code != 0, result.output
        assert isinstance(result.exception, SystemExit), result.exc_info  # a rendered error, not an uncaught one
        assert "Traceback" not in result.output
        assert any(all(part in line for part in bad["expected"]) for line in result.output.splitlines()), \
            f"{make_case.__name__}: expected one line with {bad['expected']}, got:\n{result.output}"
        for path in bad["untouched"]:
            assert not path.exists(), f"{make_case.__name__} created {path}"


def test_bad_input_cases_name_only_real_commands():
    assert set(BAD_INPUT) <= set(COMMANDS)
