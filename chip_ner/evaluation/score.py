"""Score pooled held-out predictions: P/R/F per label with bootstrap intervals, per-fold F,
error analysis, confusion matrix, learning curve and a side-by-side displaCy page.

Every system is scored by the same exact-span scorer against the same gold paragraphs.
"""
from __future__ import annotations

import html
import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from sklearn.metrics import confusion_matrix
from sklearn.utils import resample
from spacy.scorer import PRFScore

from .. import LABELS
from ..errors import ChipNerError, Problem
from ..io import read_checked_jsonl, read_utf8, write_json, write_text
from ..records import GoldRecord, Span, load_gold

OUTSIDE = "O"


def prediction_rows(path: Path, keys: tuple[str, ...] = ("id", "label")) -> list[dict[str, Any]]:
    """The rows of a predictions file; a row without `keys` or with a malformed `label` is named
    (file:line), not a KeyError halfway through scoring."""
    def check(row: dict[str, Any]) -> Optional[str]:
        missing = [key for key in keys if key not in row]
        spans = row.get("label")
        if missing:
            return f"prediction row lacks {missing}"
        if not isinstance(spans, list) or not all(isinstance(s, list) and len(s) == 3 for s in spans):
            return "`label` must be a list of [start, end, label]"
        return None

    return read_checked_jsonl(path, check, "Invalid predictions", "Rerun the step that wrote them.")


def load_predictions(path: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: {**r, "label": [tuple(s) for s in r["label"]]} for r in prediction_rows(path)}


def counts(pairs: Iterable[tuple[list[Span], list[Span]]]) -> dict[str, Counter]:
    """True positives, gold and predicted spans per label."""
    result = {"tp": Counter(), "gold": Counter(), "pred": Counter()}
    for gold, pred in pairs:
        gold_set, pred_set = set(gold), set(pred)
        result["tp"].update(label for _, _, label in gold_set & pred_set)
        result["gold"].update(label for _, _, label in gold_set)
        result["pred"].update(label for _, _, label in pred_set)
    return result


def prf(c: dict[str, Counter], labels: Iterable[str]) -> dict[str, float]:
    """P/R/F over `labels` (micro), with spaCy's own PRFScore, from the counts of `counts()`."""
    labels = list(labels)
    tp = sum(c["tp"][l] for l in labels)
    score = PRFScore(tp=tp, fp=sum(c["pred"][l] for l in labels) - tp, fn=sum(c["gold"][l] for l in labels) - tp)
    return {"p": score.precision, "r": score.recall, "f": score.fscore}


def bootstrap(pairs: list[tuple[list[Span], list[Span]]], n: int = 1000, seed: int = 0) -> dict[str, dict[str, list]]:
    """95% intervals of P/R/F (micro and per label), resampling paragraphs with replacement."""
    samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for i in range(n):
        sample = resample(pairs, replace=True, n_samples=len(pairs), random_state=seed + i)
        c = counts(sample)
        for name, labels in [("micro", LABELS)] + [(label, [label]) for label in LABELS]:
            for metric, value in prf(c, labels).items():
                samples[name][metric].append(value)

    def interval(values: list[float]) -> list[float]:
        ordered = sorted(values)
        return [round(ordered[int(0.025 * len(ordered))], 4), round(ordered[min(int(0.975 * len(ordered)), len(ordered) - 1)], 4)]

    return {name: {metric: interval(values) for metric, values in metrics.items()} for name, metrics in samples.items()}


def score_system(records: list[GoldRecord], predictions: dict[str, dict[str, Any]], n_bootstrap: int,
                 path: Path | str = "predictions", in_list: Optional[dict[str, list[list[int]]]] = None) -> dict[str, Any]:
    """Scores of one system; `path` (its predictions file) names where a missing prediction is."""
    missing = [r.id for r in records if r.id not in predictions]
    if missing:
        raise ChipNerError("Predictions do not cover the gold", [
            Problem(path, f"{len(missing)} gold paragraphs have no prediction, e.g. {', '.join(missing[:3])}")],
            "Rerun the step that wrote the predictions, on the same gold.")
    pairs = [(r.spans, predictions[r.id]["label"]) for r in records]
    c = counts(pairs)
    intervals = bootstrap(pairs, n_bootstrap)
    result: dict[str, Any] = {"micro": {**rounded(prf(c, LABELS)), "ci95": intervals["micro"]}, "per_label": {}}
    for label in LABELS:
        result["per_label"][label] = {**rounded(prf(c, [label])), "ci95": intervals[label], "support": c["gold"][label]}
    by_fold: dict[str, list] = defaultdict(list)
    for r in records:
        by_fold[str(predictions[r.id].get("fold", r.fold))].append((r.spans, predictions[r.id]["label"]))
    fold_f = {fold: round(prf(counts(p), LABELS)["f"], 4) for fold, p in sorted(by_fold.items())}
    result["per_fold_f"] = fold_f
    by_source: dict[str, list] = defaultdict(list)
    for r in records:
        by_source[r.meta.get("source", "seeds")].append((r.spans, predictions[r.id]["label"]))
    if len(by_source) > 1:  # the seed articles and the articles written for the project, apart
        result["per_source"] = {name: {**rounded(prf(counts(p), LABELS)),
                                       "per_label_f": {label: round(prf(counts(p), [label])["f"], 4) for label in LABELS},
                                       "paragraphs": len(p)} for name, p in sorted(by_source.items())}
    result["recall_by_novelty"] = seen_unseen_recall(records, predictions)
    if in_list is not None:
        result["recall_by_list"] = list_recall(records, predictions, in_list)
    result["fold_f_mean"] = round(statistics.mean(fold_f.values()), 4)
    result["fold_f_std"] = round(statistics.pstdev(fold_f.values()), 4)
    return result


def split_recall(records: list[GoldRecord], predictions: dict[str, dict[str, Any]],
                 part_of: Callable[[GoldRecord, Span], str], parts: tuple[str, str]) -> dict[str, Any]:
    """Recall per label over the gold mentions of each part (`part_of` names a mention's part)."""
    hits: dict[str, Counter] = {part: Counter() for part in parts}
    totals: dict[str, Counter] = {part: Counter() for part in parts}
    for r in records:
        predicted = set(predictions[r.id]["label"])
        for span in r.spans:
            part = part_of(r, span)
            totals[part][span[2]] += 1
            hits[part][span[2]] += span in predicted
    return {part: {label: {"recall": round(hits[part][label] / totals[part][label], 4) if totals[part][label] else None,
                           "mentions": totals[part][label]} for label in LABELS}
            for part in parts}


def seen_unseen_recall(records: list[GoldRecord], predictions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Recall per label, split by whether a gold mention's text occurs as a gold mention in the
    other folds (its fold's training data: "seen") or not ("unseen")."""
    surfaces: dict[str, set[str]] = defaultdict(set)
    for r in records:
        surfaces[r.fold].update(r.text[s:e] for s, e, _ in r.spans)
    training = {held: set().union(*(v for fold, v in surfaces.items() if fold != held)) for held in surfaces}
    return split_recall(records, predictions, lambda r, span: "seen" if r.text[span[0]:span[1]] in training[r.fold]
                        else "unseen", ("seen", "unseen"))


def list_recall(records: list[GoldRecord], predictions: dict[str, dict[str, Any]],
                in_list: dict[str, list[list[int]]]) -> dict[str, Any]:
    """Recall per label on the gold mentions that a list of the fold names (`in_list`, written by
    cross-validate after the fold's ablation, if any) and on those no list names: a listed name is
    found whatever the model learned; the names in no list are tomorrow's news."""
    listed = {pid: {tuple(span) for span in spans} for pid, spans in in_list.items()}
    return split_recall(records, predictions, lambda r, span: "in_list" if span[:2] in listed.get(r.id, set())
                        else "no_list", ("in_list", "no_list"))


def load_in_list(path: Optional[Path]) -> Optional[dict[str, list[list[int]]]]:
    if path is None:
        return None
    try:
        data = json.loads(read_utf8(path))
    except json.JSONDecodeError as err:
        raise ChipNerError("Not a lists file", [Problem(path, f"not valid JSON: {err.msg}", line=err.lineno)]) from None
    if not isinstance(data, dict) or not isinstance(data.get("in_list"), dict):
        raise ChipNerError("Not a lists file", [Problem(path, "expected {'in_list': {paragraph id: [[start, end], ...]}}")],
                           "Write it with `chip-ner cross-validate --lists`.")
    return data["in_list"]


def rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in values.items()}


def classify_errors(records: list[GoldRecord], predictions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Missed, spurious, wrong label and wrong boundary per label; entity confusion pairs; error strings."""
    per_label = {label: Counter() for label in LABELS}
    y_true, y_pred = [], []
    strings: Counter = Counter()
    contexts: dict[tuple, str] = {}
    for record in records:
        gold, pred = set(record.spans), set(predictions[record.id]["label"])
        for span in sorted(gold):
            overlapping = [p for p in pred if p[0] < span[1] and span[0] < p[1]]
            same_place = [p for p in overlapping if p[:2] == span[:2]]
            predicted = (same_place or overlapping or [(0, 0, OUTSIDE)])[0][2]
            y_true.append(span[2])
            y_pred.append(predicted)
            if span in pred:
                continue
            kind = "wrong_label" if same_place else "wrong_boundary" if overlapping else "missed"
            per_label[span[2]][kind] += 1
            note(strings, contexts, record, span, kind, span[2], predicted)
        for span in sorted(pred - gold):
            if not any(g[0] < span[1] and span[0] < g[1] for g in gold):
                per_label[span[2]]["spurious"] += 1
                y_true.append(OUTSIDE)
                y_pred.append(span[2])
                note(strings, contexts, record, span, "spurious", OUTSIDE, span[2])
    labels = list(LABELS) + [OUTSIDE]
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    top = [{"text": key[0], "kind": key[1], "gold": key[2], "predicted": key[3], "count": n, "context": contexts[key]}
           for key, n in strings.most_common(30)]
    return {"per_label": {l: {k: c[k] for k in ("missed", "spurious", "wrong_label", "wrong_boundary")}
                          for l, c in per_label.items()},
            "confusion": {"labels": labels, "matrix": matrix.tolist(), "rows": "gold", "columns": "predicted"},
            "top_errors": top}


def note(strings: Counter, contexts: dict, record: GoldRecord, span: Span, kind: str, gold: str, predicted: str) -> None:
    key = (record.text[span[0]:span[1]], kind, gold, predicted)
    strings[key] += 1
    if key not in contexts:
        left, right = record.text[max(0, span[0] - 12):span[0]], record.text[span[1]:span[1] + 12]
        contexts[key] = f"{record.id}: …{left}[{record.text[span[0]:span[1]]}]{right}…"


def learning_curve(records: list[GoldRecord], curve: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pooled held-out micro F (and per label) for every training fraction."""
    gold = {r.id: r.spans for r in records}
    by_fraction: dict[float, list] = defaultdict(list)
    for row in curve:
        by_fraction[row["fraction"]].append((gold[row["id"]], [tuple(s) for s in row["label"]]))
    table = []
    for fraction, pairs in sorted(by_fraction.items()):
        c = counts(pairs)
        table.append({"fraction": fraction, **rounded(prf(c, LABELS)),
                      "per_label_f": {l: round(prf(c, [l])["f"], 4) for l in LABELS}})
    return table


def plot_confusion(errors: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, matrix = errors["confusion"]["labels"], errors["confusion"]["matrix"]
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    darkest = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center", color="white" if value > darkest / 2 else "black")
    ax.set_title("Entity confusion (held-out articles, pooled)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_curve(table: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    xs = [row["fraction"] * 100 for row in table]
    ax.plot(xs, [row["f"] for row in table], marker="o", label="micro F", linewidth=2)
    for label in LABELS:
        ax.plot(xs, [row["per_label_f"][label] for row in table], marker=".", linestyle="--", label=label)
    ax.set_xlabel("% of the training articles' paragraphs")
    ax.set_ylabel("F (held-out article, pooled)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title("Learning curve (leave-one-article-out)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def side_by_side_html(records: list[GoldRecord], predictions: dict[str, dict[str, Any]]) -> str:
    """Every held-out paragraph, gold on the left and prediction on the right (displaCy markup)."""
    from spacy import displacy

    def render(text: str, spans: list[Span], title: str) -> str:
        return displacy.render({"text": text, "title": title, "ents": [{"start": s, "end": e, "label": l} for s, e, l in spans]},
                               style="ent", manual=True, page=False, options={"colors": COLORS})

    rows = []
    for r in records:
        pred = predictions[r.id]["label"]
        status = "ok" if set(pred) == set(r.spans) else "diff"
        rows.append(f'<tr class="{status}"><td>{render(r.text, r.spans, html.escape(r.id) + " gold")}</td>'
                    f'<td>{render(r.text, list(pred), html.escape(r.id) + " predicted")}</td></tr>')
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>chip-ner: gold vs predicted</title>"
            "<style>td{vertical-align:top;width:50%;border-bottom:1px solid #ddd}tr.diff td{background:#fff7f0}</style>"
            "</head><body><h1>Held-out paragraphs: gold (left) and cross-validated prediction (right)</h1>"
            f"<table>{''.join(rows)}</table></body></html>")


COLORS = {"CHIP": "#7aecec", "COMPANY": "#aa9cfc", "MONEY": "#e4e7d2", "PERSON": "#feca74"}


def score(gold: Path, paragraphs: Path, systems: dict[str, Path], main_system: str, output_dir: Path, *,
          curve: Optional[Path] = None, n_bootstrap: int = 1000, lists: Optional[Path] = None,
          ablated_lists: Optional[Path] = None) -> dict[str, Any]:
    """Write scores.json, errors.json, confusion.png, learning_curve.json/.png and compare.html.
    Recall is split by list membership with `lists` (the plain folds' lists), or `ablated_lists`
    for systems whose predictions were made with the lists ablated."""
    records = load_gold(gold, paragraphs)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    predictions = {name: load_predictions(path) for name, path in systems.items()}
    plain, ablated = load_in_list(lists), load_in_list(ablated_lists)

    def lists_of(preds: dict[str, dict[str, Any]]) -> Optional[dict[str, list[list[int]]]]:
        return ablated if preds and all(row.get("ablated") for row in preds.values()) else plain

    scores = {name: score_system(records, preds, n_bootstrap, systems[name], lists_of(preds))
              for name, preds in predictions.items()}
    write_json(output_dir / "scores.json", {"systems": scores, "main": main_system, "bootstrap": n_bootstrap,
                                            "paragraphs": len(records)})
    errors = classify_errors(records, predictions[main_system])
    write_json(output_dir / "errors.json", errors)
    plot_confusion(errors, output_dir / "confusion.png")
    write_text(output_dir / "compare.html", side_by_side_html(records, predictions[main_system]))
    result = {"scores": scores, "errors": errors}
    if curve is not None:
        table = learning_curve(records, prediction_rows(curve, ("id", "label", "fraction")))
        write_json(output_dir / "learning_curve.json", table)
        plot_curve(table, output_dir / "learning_curve.png")
        result["learning_curve"] = table
    return result
