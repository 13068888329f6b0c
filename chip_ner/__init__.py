"""chip-ner: a Chinese named-entity recognizer for AI-chip industry news (CHIP, COMPANY, MONEY, PERSON)."""

LABELS = ("CHIP", "COMPANY", "MONEY", "PERSON")
__version__ = "0.1.0"
