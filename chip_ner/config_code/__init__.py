"""Registered functions that configs name only at `[initialize]` or in training: the entity_ruler's
pattern reader with the CHIP naming schemes, the cue-list reader, the script-norm table and the
augmenter. They run when a pipeline is built or trained, never when it is loaded, so the wheel
does not ship them."""
