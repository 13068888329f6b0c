"""`chip-ner` command line: thin typer wrappers over the importable step functions."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from . import LABELS
from .errors import ChipNerError

app = typer.Typer(help="chip-ner: build the AI-chip NER corpus and model.", no_args_is_help=True,
                  pretty_exceptions_enable=False)


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


def label_table(per_article: Counter, title: str) -> None:
    """Counts per article (rows) and label (columns), with totals."""
    articles = sorted({article for article, _ in per_article})
    rows = [[a] + [per_article[(a, label)] for label in LABELS] + [sum(per_article[(a, l)] for l in LABELS)]
            for a in articles]
    totals = ["total"] + [sum(per_article[(a, label)] for a in articles) for label in LABELS]
    rows.append(totals + [sum(totals[1:])])
    msg.table(rows, header=["article", *LABELS, "all"], divider=True, title=title)


@app.command("clean")
def clean_cli(
    seeds: Path = typer.Argument(..., help="Folder of seed articles (*.txt)"),
    output: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    dropped: Optional[Path] = typer.Option(None, help="Where to write the dropped paragraphs, with reasons"),
    boilerplate: Path = typer.Option(Path("configs/boilerplate.jsonl"), help="Boilerplate rules (JSONL)"),
):
    """Seeds -> cleaned, de-duplicated paragraphs that trace back to their seed offsets."""
    from .clean import clean

    msg.divider("Clean")
    try:
        report = clean(seeds, output, dropped, boilerplate)
    except ChipNerError as err:
        fail(err)
    msg.table(sorted(report.repairs.items()), header=["repair rule", "changes"], divider=True)
    msg.table(sorted(report.dropped.items()), header=["dropped as", "paragraphs"], divider=True)
    rows = [[a, report.kept_per_article[a], report.chars_per_article[a]] for a in sorted(report.kept_per_article)]
    msg.table(rows, header=["article", "paragraphs", "chars"], divider=True)
    for place in report.unrepaired:
        msg.warn(f"Left as is (unrecoverable character): {place}")
    msg.good(f"Wrote {sum(report.kept_per_article.values())} paragraphs to {output}")


@app.command("pre-annotate")
def pre_annotate_cli(
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    patterns: Path = typer.Argument(..., help="entity_ruler patterns (JSONL)"),
    output: Path = typer.Argument(..., help="Suggestions as doccano JSONL"),
):
    """Suggest spans from patterns and the MONEY matcher, for review in doccano."""
    from .pre_annotate import pre_annotate

    msg.divider("Pre-annotate")
    try:
        report = pre_annotate(paragraphs, patterns, output)
    except ChipNerError as err:
        fail(err)
    label_table(report.per_article, "Suggested spans")
    msg.good(f"Wrote suggestions for {report.paragraphs} paragraphs to {output}")


@app.command("validate")
def validate_cli(
    gold: Path = typer.Argument(..., help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    allowlist: Optional[Path] = typer.Option(None, help="Explained consistency exceptions (JSONL)"),
    stats: Optional[Path] = typer.Option(None, help="Write counts per label and article as JSON"),
):
    """Check every gold record and the consistency of labels across the corpus."""
    from .io import write_json
    from .validate import validate

    msg.divider("Validate gold")
    try:
        report = validate(gold, paragraphs, allowlist)
    except ChipNerError as err:
        fail(err)
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


@app.command("export-markup")
def export_markup_cli(
    annotations: Path = typer.Argument(..., help="doccano JSONL (gold or suggestions)"),
    output: Path = typer.Argument(..., help="Review markup: id<TAB>text with [[span|LABEL]]"),
):
    """Write annotations as inline markup, for reading and editing in context."""
    from .io import read_jsonl, write_text
    from .markup import to_markup

    lines = [f"{r['meta']['id']}\t{to_markup(r['text'], r['label'])}\n" for _, r in read_jsonl(annotations)]
    write_text(output, "".join(lines))
    msg.good(f"Wrote {len(lines)} paragraphs to {output}")


@app.command("import-markup")
def import_markup_cli(
    markup: Path = typer.Argument(..., help="Review markup file"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    output: Path = typer.Argument(..., help="doccano JSONL"),
    annotator: str = typer.Option(..., help="Who annotated, stored in meta"),
):
    """Turn review markup back into doccano JSONL; refuses any change to the paragraph text."""
    from .clean import load_paragraphs
    from .io import write_jsonl
    from .markup import read_markup

    try:
        paras = load_paragraphs(paragraphs)
        spans = read_markup(markup, paras)
    except ChipNerError as err:
        fail(err)
    records = [{"text": paras[pid]["text"], "label": spans[pid],
                "meta": {"id": pid, "article": paras[pid]["article"], "annotator": annotator}}
               for pid in paras if pid in spans]
    write_jsonl(output, records)
    msg.good(f"Wrote {len(records)} records to {output}")


@app.command("agreement")
def agreement_cli(
    annotations_a: Path = typer.Argument(..., help="First annotator (doccano JSONL)"),
    annotations_b: Path = typer.Argument(..., help="Second, independent annotator (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    output: Optional[Path] = typer.Option(None, help="Write the figures as JSON"),
    disagreements: Optional[Path] = typer.Option(None, help="Write every disagreement, one a line"),
):
    """Inter-annotator agreement (span F1 per label, character kappa) and the disagreements."""
    from .agreement import agreement
    from .io import write_json, write_text

    msg.divider("Inter-annotator agreement")
    try:
        report = agreement(annotations_a, annotations_b, paragraphs)
    except ChipNerError as err:
        fail(err)
    figures = report.to_dict()
    rows = [[label, figures["spans_a"][label], figures["spans_b"][label], f"{figures['span_f1_per_label'][label]:.3f}"]
            for label in LABELS]
    rows.append(["all", sum(figures["spans_a"].values()), sum(figures["spans_b"].values()), f"{figures['span_f1']:.3f}"])
    msg.table(rows, header=["label", "spans A", "spans B", "span F1"], divider=True)
    msg.info(f"{figures['paragraphs']} paragraphs; character-level Cohen's kappa {figures['char_kappa']:.3f}; "
             f"disagreements {dict(figures['disagreements'])}")
    if output is not None:
        write_json(output, figures)
    if disagreements is not None:
        write_text(disagreements, "".join(d.describe() + "\n" for d in report.disagreements))


@app.command("convert")
def convert_cli(
    gold: Path = typer.Argument(..., help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    config: Path = typer.Argument(..., help="Training config whose tokenizer the docs must align with"),
    train_output: Path = typer.Argument(..., help="Training DocBin (.spacy)"),
    dev_output: Path = typer.Argument(..., help="Dev DocBin (.spacy)"),
    dev_articles: str = typer.Option(..., help="Comma-separated article ids held out as dev, e.g. 001"),
):
    """Gold -> train/dev DocBins split by article; fails on any span the tokenizer cannot represent."""
    from .convert import convert

    msg.divider("Convert")
    try:
        report = convert(gold, paragraphs, config, train_output, dev_output, dev_articles)
    except ChipNerError as err:
        fail(err)
    rows = [[part, report.docs[part], report.spans[part]] + [report.per_label[part].get(l, 0) for l in LABELS]
            for part in ("train", "dev")]
    msg.table(rows, header=["part", "docs", "spans", *LABELS], divider=True)
    msg.good(f"0 misaligned spans; wrote {train_output} and {dev_output}")


@app.command("filter-patterns")
def filter_patterns_cli(
    gold: Path = typer.Argument(..., help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    patterns: Path = typer.Argument(..., help="The project's patterns"),
    output: Path = typer.Argument(..., help="Patterns for the trained pipeline"),
    held_out: str = typer.Option(..., help="Dev article ids (comma-separated)"),
):
    """Drop the patterns only the dev articles' gold could have suggested (no evaluation leak)."""
    from .filter_patterns import filter_patterns

    kept, removed = filter_patterns(gold, paragraphs, patterns, output, held_out)
    msg.good(f"Kept {kept} patterns, removed {removed} that only article(s) {held_out} name; wrote {output}")


@app.command("evaluate")
def evaluate_cli(
    model: Path = typer.Argument(..., help="Trained pipeline directory"),
    dev: Path = typer.Argument(..., help="Dev DocBin (.spacy)"),
    output: Path = typer.Argument(..., help="Metrics JSON"),
    displacy_dir: Optional[Path] = typer.Option(None, help="Folder for the displaCy HTML of the dev predictions"),
    config_name: str = typer.Option("", help="Name of the config, stored in the metrics"),
):
    """`spacy evaluate` on dev, plus per-label P/R/F, speed and size in one JSON file."""
    from .evaluate import evaluate

    msg.divider("Evaluate")
    metrics = evaluate(model, dev, output, displacy_dir, config_name)
    rows = [[label, f"{v['p']:.3f}", f"{v['r']:.3f}", f"{v['f']:.3f}"] for label, v in metrics["per_label"].items()]
    rows.append(["all", f"{metrics['ents_p']:.3f}", f"{metrics['ents_r']:.3f}", f"{metrics['ents_f']:.3f}"])
    msg.table(rows, header=["label", "P", "R", "F"], divider=True)
    msg.good(f"Wrote {output}")


@app.command("compare-segmenters")
def compare_segmenters_cli(
    gold: Path = typer.Argument(..., help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    workdir: Path = typer.Argument(..., help="Where each candidate's data and model go"),
    output: Path = typer.Argument(..., help="Results JSON"),
    configs: list[Path] = typer.Option(..., "--config", help="A candidate config (repeat the option)"),
    dev_articles: str = typer.Option(..., help="Comma-separated article ids held out as dev"),
    max_steps: Optional[int] = typer.Option(None, help="Override training.max_steps for every candidate"),
    table: Optional[Path] = typer.Option(None, help="Also write the results as a Markdown table"),
):
    """Train and score every tokenizer candidate on the same split; print the comparison."""
    from .compare_segmenters import compare_segmenters, markdown_table
    from .io import write_text

    try:
        results = compare_segmenters(configs, gold, paragraphs, dev_articles, workdir, output, max_steps)
    except ChipNerError as err:
        fail(err)
    rows = [[r["config"], f"{r['ents_f']:.3f}", f"{r['misaligned_spans']}/{r['gold_spans']}",
             f"{r['chars_per_second']:,}", r["model_size_mb"]] for r in results]
    msg.table(rows, header=["segmenter", "entity F", "misaligned", "chars/s", "MB"], divider=True)
    if table is not None:
        write_text(table, markdown_table(results))


@app.command("fetch-pkuseg")
def fetch_pkuseg_cli(output: Path = typer.Argument(..., help="Directory for features.pkl and weights.npz")):
    """Unpack pkuseg's pretrained model from its PyPI sdist (research licence; comparison only)."""
    from .fetch_pkuseg import fetch_pkuseg

    try:
        path = fetch_pkuseg(output)
    except ChipNerError as err:
        fail(err)
    msg.good(f"pkuseg model in {path}")


@app.command("cross-validate")
def cross_validate_cli(
    gold: Path = typer.Argument(..., help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    config: Path = typer.Argument(..., help="Training config"),
    workdir: Path = typer.Argument(..., help="Where the fold models go"),
    predictions: Path = typer.Argument(..., help="Pooled held-out predictions (JSONL)"),
    summary: Path = typer.Argument(..., help="Fold timings and settings (JSON)"),
    curve: Optional[Path] = typer.Option(None, help="Also train on 25/50/75% per fold; predictions here"),
    max_steps: Optional[int] = typer.Option(None, help="Training steps per fold (default: the config's)"),
    jobs: int = typer.Option(1, help="Training runs in parallel"),
    patterns: Optional[Path] = typer.Option(None, help="Patterns for configs that use them (rebuilt per fold)"),
):
    """Leave-one-article-out cross-validation (and learning curve) with fresh pipelines per fold."""
    from .cross_validate import cross_validate
    from .io import write_json

    msg.divider("Cross-validation")
    report = cross_validate(gold, paragraphs, config, workdir, predictions, curve, max_steps, jobs=jobs,
                            patterns=patterns)
    write_json(summary, {"config": Path(config).stem, "max_steps": max_steps, "runs": len(report.folds),
                         "minutes": round(report.seconds / 60, 1), "folds": report.folds})
    msg.good(f"{len(report.folds)} training runs in {report.seconds / 60:.1f} min; predictions in {predictions}")


@app.command("predict-baselines")
def predict_baselines_cli(
    gold: Path = typer.Argument(..., help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    patterns: Path = typer.Argument(..., help="entity_ruler patterns"),
    patterns_output: Path = typer.Argument(..., help="Predictions of patterns + MONEY matcher"),
    jieba_output: Path = typer.Argument(..., help="Predictions of jieba.posseg + MONEY matcher"),
    curated_output: Optional[Path] = typer.Option(None, help="Predictions of the patterns as curated (not per fold)"),
):
    """Predictions of the rule baselines for every gold paragraph (patterns rebuilt per fold)."""
    from .predict_baselines import predict_baselines

    msg.divider("Baselines")
    count = predict_baselines(gold, paragraphs, patterns, patterns_output, jieba_output, curated_output)
    msg.good(f"Predicted {count} paragraphs with each baseline")


@app.command("score")
def score_cli(
    gold: Path = typer.Argument(..., help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    output_dir: Path = typer.Argument(..., help="Where the scores, error analysis and plots go"),
    system: list[str] = typer.Option(..., help="NAME=PREDICTIONS.jsonl (repeat); the first is analysed"),
    curve: Optional[Path] = typer.Option(None, help="Learning-curve predictions"),
    bootstrap: int = typer.Option(1000, help="Bootstrap resamples for the intervals"),
):
    """Score every system on the same gold; error analysis, confusion matrix, learning curve."""
    from .score import score

    msg.divider("Score")
    systems = dict(item.split("=", 1) for item in system)
    result = score(gold, paragraphs, {k: Path(v) for k, v in systems.items()}, next(iter(systems)), output_dir,
                   curve, bootstrap)
    rows = [[name, f"{s['micro']['p']:.3f}", f"{s['micro']['r']:.3f}", f"{s['micro']['f']:.3f}",
             f"{s['micro']['ci95']['f'][0]:.2f}-{s['micro']['ci95']['f'][1]:.2f}"] for name, s in result["scores"].items()]
    msg.table(rows, header=["system", "P", "R", "F", "F 95% CI"], divider=True)
    msg.good(f"Wrote {output_dir}")


@app.command("build-norms")
def build_norms_cli(output: Path = typer.Argument(Path("configs/t2s_chars.json"), help="Table to write")):
    """Make the traditional -> simplified character table used as NORM (needs opencc; run once)."""
    from .build_norms import build_norms

    msg.good(f"{build_norms(output)} characters mapped; wrote {output}")


@app.command("script-test")
def script_test_cli(
    gold: Path = typer.Argument(..., help="Gold annotations (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    cv_dir: Path = typer.Argument(..., help="The fold models of cross-validate"),
    output: Path = typer.Argument(..., help="Predictions on the paragraphs converted to the other script"),
):
    """Predict every held-out paragraph converted simplified <-> traditional with its fold's model."""
    from .script_test import script_test

    msg.divider("Script test")
    counts = script_test(gold, paragraphs, cv_dir, output)
    msg.good(f"{counts['converted']} of {counts['paragraphs']} paragraphs changed by the conversion; wrote {output}")


@app.command("benchmark")
def benchmark_cli(
    package: str = typer.Argument(..., help="Installed pipeline package, e.g. zh_chip_ner"),
    wheel: Path = typer.Argument(..., help="Its wheel (for the size)"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs, repeated as the benchmark text"),
    output: Path = typer.Argument(..., help="speed.json"),
    min_chars: int = typer.Option(1_000_000, help="Benchmark text length"),
):
    """chars/s (1 and 2 processes), load time, peak memory and wheel size, beside jieba.posseg."""
    from .benchmark import benchmark

    msg.divider("Benchmark")
    result = benchmark(package, wheel, paragraphs, output, min_chars)
    rows = [[name, f"{r['chars_per_second']:,}", r["load_seconds"], r["peak_rss_mb"]] for name, r in result["runs"].items()]
    msg.table(rows, header=["engine", "chars/s", "load s", "peak RSS MB"], divider=True)
    msg.good(f"{result['characters']:,} characters; wheel {result['wheel_size_mb']} MB; wrote {output}")


@app.command("report")
def report_cli(
    metrics_dir: Path = typer.Argument(..., help="training/metrics"),
    readme: Path = typer.Argument(..., help="README whose Results section is regenerated"),
    output: Path = typer.Argument(..., help="Full report (Markdown)"),
):
    """Regenerate the README's Results section from the metrics files."""
    from .report import report

    report(metrics_dir, readme, output)
    msg.good(f"Updated the Results section of {readme}; full report in {output}")


DOCCANO_URL = typer.Option("http://127.0.0.1:8000/", "--url", help="doccano server URL")
DOCCANO_PROJECT = typer.Option("chip-ner", "--project", help="doccano project name")


def doccano_api(url: str):
    from .doccano_api import DoccanoAPI
    from .doccano_server import credentials

    username, password = credentials()
    return DoccanoAPI(url, username, password)


@app.command("doccano-start")
def doccano_start_cli(
    root: Path = typer.Option(Path(".doccano"), help="Folder for doccano's venv, database and logs (git-ignored)"),
    port: int = typer.Option(8000, help="Port on 127.0.0.1"),
    workers: int = typer.Option(2, help="gunicorn workers"),
):
    """Install doccano in its own venv (once), create the admin from DOCCANO_USERNAME/DOCCANO_PASSWORD,
    and start the web server and task worker on 127.0.0.1."""
    from .doccano_server import DoccanoServer, credentials

    server = DoccanoServer(root=root, port=port)
    msg.divider("doccano")
    try:
        username, password = credentials()
        with msg.loading("Installing doccano (first time only, about a minute)..."):
            installed = server.install()
        msg.good("Installed doccano" if installed else f"doccano already installed in {server.venv}")
        server.init(username, password)
        url = server.start(workers=workers)
    except ChipNerError as err:
        fail(err)
    msg.good(f"doccano is running: open {url} and log in as {username}", f"Stop it with: chip-ner doccano-stop")


@app.command("doccano-stop")
def doccano_stop_cli(
    root: Path = typer.Option(Path(".doccano"), help="The folder doccano-start used"),
):
    """Stop the doccano web server and task worker that doccano-start started."""
    from .doccano_server import DoccanoServer

    stopped = DoccanoServer(root=root).stop()
    if stopped:
        msg.good(f"Stopped doccano ({', '.join(stopped)})")
    else:
        msg.info("doccano was not running")


@app.command("push")
def push_cli(
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    base: Path = typer.Argument(..., help="Sync state shared with pull (JSONL)"),
    source: str = typer.Option("patterns", help="Suggestions from: patterns, model or gold"),
    patterns: Path = typer.Option(Path("configs/patterns.jsonl"), help="entity_ruler patterns"),
    model: Optional[str] = typer.Option(None, help="Trained pipeline (path or installed package name)"),
    gold: Path = typer.Option(Path("corpus/annotations/gold.jsonl"), help="Gold, for --source gold"),
    order: str = typer.Option("corpus", help="corpus, or uncertain (model/pattern disagreement first)"),
    articles: Optional[str] = typer.Option(None, help="Only these articles, e.g. 000,004"),
    ids: Optional[str] = typer.Option(None, help="Only these paragraph ids"),
    limit: Optional[int] = typer.Option(None, help="At most this many paragraphs (after ordering)"),
    url: str = DOCCANO_URL,
    project: str = DOCCANO_PROJECT,
):
    """Upload paragraphs with suggested spans to doccano for review; skips paragraphs already there."""
    from .push import push

    msg.divider("Push to doccano")
    try:
        guideline = Path("corpus/GUIDELINES.md").read_text(encoding="utf-8") if Path("corpus/GUIDELINES.md").exists() else ""
        report = push(doccano_api(url), project, paragraphs, base, source, patterns, model, gold, order,
                      articles, ids, limit, guideline)
    except ChipNerError as err:
        fail(err)
    msg.table([[label, report.spans[label]] for label in LABELS], header=["label", "suggested spans"], divider=True)
    msg.good(f"Project {project!r} (id {report.project_id}): {report.created} examples created, "
             f"{report.existing} already there", f"Review them at {url}")


@app.command("pull")
def pull_cli(
    gold: Path = typer.Argument(..., help="Gold annotations to merge into (doccano JSONL)"),
    paragraphs: Path = typer.Argument(..., help="Cleaned paragraphs (JSONL)"),
    base: Path = typer.Argument(..., help="Sync state written by push"),
    prefer: Optional[str] = typer.Option(None, help="Resolve conflicts: local or remote"),
    url: str = DOCCANO_URL,
    project: str = DOCCANO_PROJECT,
):
    """Merge the reviewed spans from doccano into the gold (three-way); writes nothing on conflict."""
    from .pull import pull

    msg.divider("Pull from doccano")
    try:
        report = pull(doccano_api(url), project, gold, paragraphs, base, prefer)
    except ChipNerError as err:
        fail(err)
    rows = [[label, report.added[label], report.removed[label], report.relabelled[label]] for label in LABELS]
    msg.table(rows, header=["label", "added", "removed", "relabelled to"], divider=True)
    msg.good(f"Merged {report.examples} examples into {gold} ({report.new_records} new records, "
             f"{report.confirmed} confirmed by a reviewer)")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
