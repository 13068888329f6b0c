"""Candidate pipeline code measured for issue 10 and not (yet) shipped. Written as the files of
chip_ner/pipeline/ are (spaCy, srsly, thinc and the standard library only, factories registered
once), so adopting one means moving it to chip_ner/pipeline/ and adding it to `package --code`."""
