"""The code inside the wheel: `spacy package --code` copies these four files flat into the
model package (tokenizer, money, person, canonical). Each may import only spaCy, srsly and
the standard library, never `chip_ner` (tests/test_layout.py checks it), because the
installed model must run without this project."""
