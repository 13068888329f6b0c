"""For `spacy train/evaluate --code`: registers every function the project's configs name (the
shipped pipeline components and tokenizer, the `[initialize]` readers and augmenter, and the
candidates that experiment configs name).
`spacy package` ships only the files of `chip_ner/pipeline/` (see project.yml)."""
from chip_ner.candidates import bigram_embed  # noqa: F401
from chip_ner.config_code import augment, msra_corpus, readers, versions  # noqa: F401
from chip_ner.pipeline import canonical, continuations, lexicon, lists, money, ner, ops, person, spans, tickers, tok2vec, tokenizer  # noqa: F401
