"""``[search]`` settings: where the index lives and how it is written."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from docgen.errors import quote_input


class SearchSettings(BaseModel):
    """``[search]``: engine, index folder, writer lock timeout, build processes, commit batch, auto update, synonyms."""

    model_config = ConfigDict(extra="forbid")
    # the engine behind docgen.search.api (docgen.search.engines.ENGINES): "whoosh", the index in
    # index_path; "scan", every entry in memory, matched by substring (a reference, no index)
    engine: str = "whoosh"
    index_path: Path = Path("index")
    lock_timeout: float = 30.0
    # worker processes that tokenize during a full rebuild (jieba + n-grams are CPU-bound)
    procs: int = Field(default=2, ge=1, le=16)
    # memory (MB) each rebuild process may fill with postings before whoosh spills them to
    # temporary files; a spill pickles every posting and merges them back (on 20,000 documents
    # a rebuild took 158 s with whoosh's 128 MB and 86 s with 2048 MB, peak 1.9 GB per process)
    rebuild_memory_mb: int = Field(default=2048, ge=64)
    # an incremental update commits after this many changed entries (one commit per document is 5.5x slower)
    commit_every: int = Field(default=500, ge=1)
    # jieba words for ranking (recall never depends on them); off by default: every cold
    # process that writes to the index (each CLI edit refreshes it) would load jieba's
    # dictionary first (~1 s); a 20,000-document rebuild takes 125 s with them, 76-92 s without
    words: bool = False
    # ...taken from the title and metadata and the first this many characters of the text
    # (0: all of it); the head of a paper carries its names, units and subject, and jieba
    # over whole texts made a full rebuild about four times slower (docs/search.md)
    words_chars: int = Field(default=600, ge=0)
    # `docgen search` first brings the index up to date with the archive (cheap when nothing changed)
    auto_update: bool = True
    # a synonym table of this archive's own (JSON, like docgen/data/synonyms.json): its groups are
    # added to the built-in ones (or replace them with "builtin": false); expanded at query time,
    # so editing it needs no rebuild (docs/search.md, "Synonyms")
    synonyms: Path | None = None

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        from docgen.search.engines import ENGINES, known_engines

        if value not in ENGINES:
            raise ValueError(f"未知的检索引擎{quote_input(value)};可用的有:{known_engines()}")
        return value
