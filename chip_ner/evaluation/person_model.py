"""PERSON figures for issue 10's separate PERSON component (`configs/person_msra.cfg`).

For any pipeline directory (the PERSON model alone, or a fold model of cross-validation that
sources it): PERSON P/R/F on the MSRA test sentences (exact spans, `msra.measure`, the scorer of
`benchmark-msra`) and, for the chip-news gold, PERSON P/R/F on the gold paragraphs (for the
PERSON model alone this is an out-of-domain precision check: it never saw the gold).
`--component-filter` also scores each pipeline with chip_ner_person_filter around its person_ner
(chip_ner/candidates/person_filter.py). `--repredict WORKDIR` re-predicts a cross-validate workdir's
held-out articles from its fold models with the filter added, person_ner swapped (`--person`) and/or
a component without weights removed (`--without chip_ner_legal_names`) or added where the training
config puts it (`--with chip_ner_tickers`), so that a rule is measured on the very models it ships with.
`--save DIR --person P` writes the one pipeline given with its person_ner swapped for P's, so that the
swapped pipeline can be measured like any other (for example by `benchmark-msra`'s scorer, this module).

    python -m chip_ner.evaluation.person_model training/exp/person/model/model-best ... --output FILE.json
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, Callable, Optional

from ..io import read_jsonl, write_json
from ..records import Span, load_gold
from .msra import load_msra, measure, people_in
from .score import counts, prf


def surnames(path: Path) -> set[str]:
    """The surnames of `configs/surnames.jsonl` (kind `surname`)."""
    return {e["cue"] for _, e in read_jsonl(path) if e.get("kind") == "surname"}


def people_of(model: str, component_names: Optional[set[str]] = None) -> Callable[[], Callable[[list[str]], list[list[Span]]]]:
    """A maker for msra.measure: the pipeline's PERSON entities, with chip_ner_person_filter around
    person_ner if `component_names` (the surnames)."""
    def make():
        import spacy

        from .. import spacy_code  # noqa: F401  (factories and architectures the pipelines name, bigrams included)
        nlp = spacy.load(model)
        if component_names is not None:
            with_filter(nlp, component_names)
        return people_in(nlp)
    return make


def gold_person_scores(model: str, gold: Path, paragraphs: Path, component_names: Optional[set[str]] = None) -> dict[str, Any]:
    """PERSON P/R/F of `model` on every gold paragraph (no fold: only for a model that never saw the gold)."""
    records = load_gold(gold, paragraphs)
    predicted = people_of(model, component_names)()([r.text for r in records])
    pairs = [([s for s in r.spans if s[2] == "PERSON"], p) for r, p in zip(records, predicted)]
    c = counts(pairs)
    return {**{k: round(v, 4) for k, v in prf(c, ["PERSON"]).items()},
            "gold": c["gold"]["PERSON"], "predicted": c["pred"]["PERSON"], "tp": c["tp"]["PERSON"]}


def with_filter(nlp, names: set[str]):
    """`nlp` with chip_ner_ents_snapshot before person_ner and chip_ner_person_filter after it."""
    from ..candidates import person_filter  # noqa: F401  (registers the two factories)

    nlp.add_pipe("chip_ner_ents_snapshot", before="person_ner")
    nlp.add_pipe("chip_ner_person_filter", after="person_ner").initialize(surnames=names)
    return nlp


def swap_person(nlp, person: Path):
    """`nlp` with its person_ner replaced by the one of the pipeline at `person` (same place)."""
    import spacy

    source = spacy.load(person)
    index = nlp.pipe_names.index("person_ner")
    nlp.remove_pipe("person_ner")
    place = {"before": nlp.pipe_names[index]} if index < len(nlp.pipe_names) else {"last": True}
    nlp.add_pipe("person_ner", source=source, **place)
    return nlp


def save_swapped(model: Path, person: Path, output: Path) -> list[str]:
    """Write the pipeline at `model` with the person_ner of `person` to `output` (via a temporary sibling
    directory moved into place, so a failure leaves no half-written pipeline); return its pipe names."""
    import shutil
    import tempfile

    import spacy

    from .. import spacy_code  # noqa: F401  (factories and architectures the pipelines name)
    nlp = swap_person(spacy.load(model), person)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.") as tmp:
        nlp.to_disk(Path(tmp) / "model")
        if output.exists():
            shutil.rmtree(output)
        Path(tmp, "model").rename(output)
    return nlp.pipe_names


def add_as_configured(nlp, name: str, config: Path):
    """Add the weightless component `name` where the training config's pipeline puts it (after the
    nearest component before it that `nlp` has, else before the nearest after it, else last), initialised with the config's
    `[initialize.components.<name>]` settings (surname lists and the like; none for most rules)."""
    from spacy.util import load_config, registry

    settings = load_config(config, interpolate=True)
    order = list(settings["nlp"]["pipeline"])
    if name not in order:
        raise ValueError(f"{config}: no component {name!r} in its pipeline, so there is no place to add it")
    before = [other for other in order[:order.index(name)] if other in nlp.pipe_names]
    after = [other for other in order[order.index(name) + 1:] if other in nlp.pipe_names]
    place = {"after": before[-1]} if before else {"before": after[0]} if after else {"last": True}
    component = nlp.add_pipe(name, **place)
    init = settings["initialize"]["components"].get(name)
    if init is not None and hasattr(component, "initialize"):
        component.initialize(lambda: [], nlp=nlp, **registry.resolve(init))
    return component


def repredict(workdir: Path, gold: Path, paragraphs: Path, output: Path, names: Optional[set[str]], ablated: bool,
              person: Optional[Path] = None, without: tuple[str, ...] = (), adding: tuple[str, ...] = (),
              config: Path = Path("configs/char_latin_cues_merge_person_lexicon.cfg")) -> int:
    """The held-out predictions of cross-validate again, from its fold models (`<article>-100/model/model-last`)
    with the PERSON filter added around person_ner (unless `names` is None) and/or its person_ner swapped for
    the one at `person`: the main NER is trained without person_ner's output (frozen, not annotating),
    so changing them afterwards is exactly training with them (checked on one fold: identical predictions).
    `without`: components with no weights to remove (rules after the NER), which no training step
    reads either; a name the fold model does not have is an error, not a silent no-op. `adding`: such
    components added, in order, where and as `config` (the training config) places and initialises them."""
    import spacy

    from .. import spacy_code  # noqa: F401  (factories and architectures the pipelines name, bigrams included)
    from ..io import write_jsonl
    from .cross_validate import article_folds, predict
    from .training import fold_model_path

    rows = []
    for held_out, _, test in article_folds(load_gold(gold, paragraphs)):
        nlp = spacy.load(fold_model_path(workdir, held_out))
        if person is not None:
            swap_person(nlp, person)
        if names is not None:
            with_filter(nlp, names)
        for name in without:
            if name not in nlp.pipe_names:
                raise ValueError(f"{fold_model_path(workdir, held_out)}: no component {name!r} to remove "
                                 f"(it has {', '.join(nlp.pipe_names)})")
            nlp.remove_pipe(name)
        for name in adding:
            add_as_configured(nlp, name, config)
        extra = {"fraction": 1.0, **({"ablated": True} if ablated else {})}
        rows += predict(nlp, test, held_out, extra)
    write_jsonl(output, rows)
    return len(rows)


def main(argv: Optional[list[str]] = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", help="pipeline directories")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--test", type=Path, default=Path("assets/msra/test.jsonl"))
    parser.add_argument("--gold", type=Path, help="also score PERSON on these gold paragraphs (models that never saw them)")
    parser.add_argument("--paragraphs", type=Path, default=Path("corpus/paragraphs.jsonl"))
    parser.add_argument("--surnames", type=Path, default=Path("configs/surnames.jsonl"))
    parser.add_argument("--repredict", type=Path, help="a cross-validate workdir: write its held-out predictions "
                        "with the PERSON filter to --output (models: unused) and stop")
    parser.add_argument("--component-filter", action="store_true",
                        help="also score with chip_ner_person_filter around person_ner (pipelines that have it)")
    parser.add_argument("--person", type=Path, help="with --repredict: swap in the person_ner of this pipeline")
    parser.add_argument("--no-filter", action="store_true", help="with --repredict: no chip_ner_person_filter")
    parser.add_argument("--ablated", action="store_true", help="with --repredict: mark the rows as ablated")
    parser.add_argument("--without", action="append", default=[],
                        help="with --repredict: remove this component (no weights; repeatable)")
    parser.add_argument("--with", dest="adding", action="append", default=[],
                        help="with --repredict: add this component (no weights) where --config puts it; repeatable")
    parser.add_argument("--config", type=Path, default=Path("configs/char_latin_cues_merge_person_lexicon.cfg"),
                        help="with --with: the training config that places and initialises the added components")
    parser.add_argument("--save", type=Path, help="with --person and one model: write that pipeline with its "
                        "person_ner swapped to this directory (--output: unused) and stop")
    args = parser.parse_args(argv)
    if args.save is not None:
        if args.person is None or len(args.models) != 1:
            parser.error("--save needs --person and exactly one model")
        names = save_swapped(Path(args.models[0]), args.person, args.save)
        print(f"{args.models[0]} with the person_ner of {args.person} -> {args.save}")
        return {"saved": str(args.save), "pipeline": names}
    if args.repredict is not None:
        n = repredict(args.repredict, args.gold, args.paragraphs, args.output,
                      None if args.no_filter else surnames(args.surnames), args.ablated, args.person,
                      tuple(args.without), tuple(args.adding), args.config)
        print(f"{n} paragraphs -> {args.output}")
        return {"paragraphs": n}
    sentences = load_msra(args.test)
    runs = []
    variants = [("", None)]
    if args.component_filter:
        variants.append((" +chip_ner_person_filter", surnames(args.surnames)))
    for model in args.models:
        for suffix, comp in variants:
            start = time.perf_counter()
            run = measure(model + suffix, people_of(model, comp), sentences)
            if args.gold is not None:
                run["chip_gold"] = gold_person_scores(model, args.gold, args.paragraphs, comp)
            run["seconds"] = round(time.perf_counter() - start, 1)
            print(run)
            runs.append(run)
    result = {"test": str(args.test), "sentences": len(sentences),
              "person_mentions": sum(len(g) for _, g in sentences), "runs": runs}
    write_json(args.output, result)
    return result


if __name__ == "__main__":
    main()
