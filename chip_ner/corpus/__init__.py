"""From seed articles to gold: clean, pre-annotate, review markup, agreement, validate, and the conversion to DocBins."""
