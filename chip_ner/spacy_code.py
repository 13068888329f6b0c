"""For `spacy train/evaluate --code`: registers every function the project's configs name
(the tokenizer, the script norms, the MONEY component, person cues, canonical IDs). `spacy package`
ships the four self-contained pipeline files themselves (see project.yml)."""
from chip_ner import augment, canonical, money, person, tokenizer  # noqa: F401
