"""A `.spacy` file written one Doc at a time, in the format `DocBin().from_disk` and
`spacy.Corpus.v1` read.

`DocBin` keeps every Doc's arrays until `to_bytes`, which then stacks them, copies them into one
msgpack message and compresses that: several copies of the whole corpus at once (5.25 GB for a
52 MB gold file). The file is `zlib(msgpack({"version", "attrs", "tokens", "spaces", "lengths",
"strings", "cats", "flags", "span_groups", "user_data"}))`, where `tokens` is one uint64 array
(token x attribute) and the lists hold one item per Doc. `DocBinWriter.add` appends each section of
a Doc to a spool of its own (an anonymous temporary file, compressed fast, gone when closed or when
the process dies) and keeps only the set of string hashes; `write` streams the msgpack message
through one zlib stream into the output: the same bytes, before compression, that `DocBin.to_bytes`
makes for the same Docs and attributes. Memory holds one Doc and the corpus's distinct strings.

`NER_ATTRS` are the token attributes `convert` sets: the text (ORTH and the trailing spaces), the
tokenizer's NORM (its folding of full-width and format characters) and the entities. The reader
builds the predicted Doc from the text with the pipeline's own tokenizer (`nlp.make_doc`) and
takes the entities from this reference Doc, so TAG, HEAD, DEP, LEMMA, MORPH, POS and SENT_START,
never set here and stored as zeros by default, are left out.
"""
from __future__ import annotations

import struct
import tempfile
import zlib
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Optional

import numpy
import srsly
from spacy.attrs import DEP, ENT_ID, ENT_KB_ID, ENT_TYPE, LEMMA, MORPH, NORM, ORTH, SPACY, TAG, intify_attr
from spacy.tokens import Doc
from spacy.vocab import Vocab

NER_ATTRS = ("ORTH", "NORM", "ENT_IOB", "ENT_TYPE", "ENT_KB_ID", "ENT_ID")
# The token strings DocBin.add stores (text, tag, lemma, norm, morph, dep, entity type, KB id, entity id).
STRING_ATTRS = [ORTH, TAG, LEMMA, NORM, MORPH, DEP, ENT_TYPE, ENT_KB_ID, ENT_ID]
CHUNK = 1 << 20
# srsly.msgpack_dumps's packer (its options and numpy hooks), made once: making one per call (as
# msgpack_dumps does) looks up srsly's entry points every time, most of the cost of a small item.
PACKER = srsly.msgpack.Packer(use_bin_type=True)
pack = PACKER.pack
SECTIONS = ("tokens", "spaces", "cats", "flags", "span_groups", "user_data")


def bin_header(size: int) -> bytes:
    """The msgpack header of a `bin` of `size` bytes (as msgpack packs `bytes`)."""
    if size < 1 << 8:
        return b"\xc4" + struct.pack(">B", size)
    if size < 1 << 16:
        return b"\xc5" + struct.pack(">H", size)
    if size < 1 << 32:
        return b"\xc6" + struct.pack(">I", size)
    raise ValueError("A DocBin section over 4 GB cannot be written as msgpack: split the corpus.")


class Spool:
    """Bytes appended to an anonymous temporary file (zlib level 1), read back in chunks."""

    def __init__(self, folder: Optional[Path]):
        self.file: BinaryIO = tempfile.TemporaryFile(dir=folder)
        self.zip = zlib.compressobj(1)
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        self.file.write(self.zip.compress(data))

    def chunks(self) -> Iterator[bytes]:
        self.file.write(self.zip.flush())
        self.file.seek(0)
        unzip = zlib.decompressobj()
        while True:
            block = unzip.unconsumed_tail or self.file.read(CHUNK)
            if not block:
                break
            data = unzip.decompress(block, CHUNK)
            if data:
                yield data
        tail = unzip.flush()
        if tail:
            yield tail

    def close(self) -> None:
        self.file.close()


class DocBinWriter:
    """`DocBin(attrs, store_user_data)` whose `add` spools each Doc and whose `write(path)` streams."""

    def __init__(self, attrs: Iterable[str] = NER_ATTRS, store_user_data: bool = True, folder: Optional[Path] = None):
        int_attrs = sorted(intify_attr(attr) for attr in attrs)
        self.attrs = [ORTH] + [attr for attr in int_attrs if attr not in (ORTH, SPACY)]
        self.store_user_data = store_user_data
        self.spools = {name: Spool(folder) for name in SECTIONS}
        self.lengths: list[int] = []
        self.hashes: set[int] = set()
        self.span_strings: set[str] = set()
        self.vocab: Optional[Vocab] = None
        self.written = False

    def __len__(self) -> int:
        return len(self.lengths)

    def __enter__(self) -> "DocBinWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for spool in self.spools.values():
            spool.close()

    def add(self, doc: Doc) -> None:
        if self.written:
            raise ValueError("DocBinWriter.add: the file was already written")
        if self.vocab is None:
            self.vocab = doc.vocab
        elif doc.vocab is not self.vocab:
            raise ValueError("DocBinWriter: every Doc must share one vocab (its strings are looked up at the end)")
        tokens = numpy.asarray(doc.to_array(self.attrs), dtype="uint64").reshape((len(doc), len(self.attrs)))
        self.spools["tokens"].write(tokens.tobytes("C"))
        self.spools["spaces"].write(numpy.asarray(doc.to_array(SPACY), dtype=bool).tobytes("C"))
        self.lengths.append(len(doc))
        if len(doc):
            self.hashes.update(numpy.unique(doc.to_array(STRING_ATTRS)).tolist())
        self.spools["cats"].write(pack(doc.cats))
        self.spools["flags"].write(pack({"has_unknown_spaces": doc.has_unknown_spaces}))
        self.spools["span_groups"].write(pack(doc.spans.to_bytes()))
        if self.store_user_data:
            self.spools["user_data"].write(pack(pack(doc.user_data)))
        for group in doc.spans.values():
            for span in group:
                self.span_strings.add(span.label_)
                if span.kb_id in doc.vocab.strings:
                    self.span_strings.add(span.kb_id_)
                if span.id in doc.vocab.strings:
                    self.span_strings.add(span.id_)

    def strings(self) -> list[str]:
        strings = set(self.span_strings)
        if self.vocab is not None:
            strings.update(self.vocab.strings[h] for h in self.hashes)
        return sorted(strings)

    def message(self) -> Iterator[bytes]:
        """The msgpack message of `DocBin.to_bytes`, piece by piece (the same keys in the same order)."""
        docs = len(self.lengths)
        yield PACKER.pack_map_header(10 if self.store_user_data else 9)
        yield pack("version") + pack("0.1")
        yield pack("attrs") + pack(self.attrs)
        for name in ("tokens", "spaces"):
            yield pack(name) + bin_header(self.spools[name].size)
            yield from self.spools[name].chunks()
        lengths = numpy.asarray(self.lengths, dtype="int32").tobytes("C")
        yield pack("lengths") + bin_header(len(lengths)) + lengths
        strings = self.strings()
        yield pack("strings") + PACKER.pack_array_header(len(strings))
        for start in range(0, len(strings), 10_000):
            yield b"".join(pack(s) for s in strings[start:start + 10_000])
        for name in ("cats", "flags", "span_groups") + (("user_data",) if self.store_user_data else ()):
            yield pack(name) + PACKER.pack_array_header(docs)
            yield from self.spools[name].chunks()

    def write(self, path: Path) -> None:
        """Compress the message into `path` (one zlib stream, as `DocBin.to_disk` writes); once."""
        if self.written:
            raise ValueError("DocBinWriter.write: the spools were consumed by an earlier write")
        self.written = True
        out = zlib.compressobj()
        with open(path, "wb") as handle:
            for piece in self.message():
                handle.write(out.compress(piece))
            handle.write(out.flush())
