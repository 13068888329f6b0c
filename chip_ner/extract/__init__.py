"""Entities from an archive: `extract` on one machine (`local`, with worker processes that send
back plain rows) and on Apache Spark (`spark`), over the same readers (`inputs`) and the same
Doc -> row conversion (`rows`), so every engine writes the same rows."""
