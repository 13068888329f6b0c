"""Compare tokenizer candidates on the same article split: the same gold, the same training
settings, only the config's tokenizer differs. Reports entity F, the gold spans each
tokenizer cannot represent, throughput and model size.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from wasabi import msg

from ..corpus.convert import convert
from ..io import write_json
from ..pipeline import tokenizer  # noqa: F401  (registers chip_ner.CharLatinTokenizer.v1)
from .evaluate import score
from .training import train_pipeline


def compare_segmenters(configs: list[Path], gold: Path, paragraphs: Path, dev_articles: str, workdir: Path,
                       output: Path, *, max_steps: Optional[int] = None) -> list[dict[str, Any]]:
    results = []
    for config in configs:
        name = Path(config).stem
        msg.divider(f"Segmenter candidate: {name}")
        train, dev = workdir / name / "train.spacy", workdir / name / "dev.spacy"
        report = convert(gold, paragraphs, config, train, dev, dev_articles, allow_misaligned=True)
        seconds = train_pipeline(config, workdir / name / "model", train, dev, max_steps=max_steps)
        line = {"config": name, "misaligned_spans": len(report.misaligned),
                "gold_spans": sum(report.spans.values()), "train_seconds": round(seconds),
                **score(workdir / name / "model" / "model-best", dev)}
        results.append(line)
        msg.good(f"{name}: F {line['ents_f']:.3f}, {line['misaligned_spans']} misaligned spans")
    write_json(output, {"dev_articles": dev_articles, "max_steps": max_steps, "candidates": results})
    return results


def markdown_table(results: list[dict[str, Any]]) -> str:
    header = "| segmenter | entity F | P | R | misaligned gold spans | chars/s | model size (MB) | train time (s) |\n"
    header += "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
    rows = [f"| `{r['config']}` | {r['ents_f']:.3f} | {r['ents_p']:.3f} | {r['ents_r']:.3f} | "
            f"{r['misaligned_spans']} of {r['gold_spans']} | {r['chars_per_second']:,} | {r['model_size_mb']} | "
            f"{r['train_seconds']} |" for r in results]
    return header + "\n".join(rows) + "\n"
