"""Chinese text analysis for the index: folding, character n-grams, jieba words, code extraction.

Why this design (see docs/search.md for the measurements):

* **Recall comes from character n-grams.**  Every non-space character of the
  folded text starts one token: the two characters from there (``卫生间`` →
  ``卫生 生间 间``; the last character of a run stands alone).  No positions
  are stored: a query term matches where all its (rarest) pairs occur, and for
  terms of three or more characters the hit's text confirms the substring, so
  results equal a substring search whatever a word segmenter would have made
  of the text: a 2-character name, a partial unit (``3栋2单元``), half a word, a
  phrase across segment boundaries.  A one-character query matches the pairs
  that start with it.
* **Codes get 4-grams.**  Runs of Latin letters, digits and ``-_/.`` also
  give their 4-character substrings as tokens, so a contract, ID or phone
  number is selective in the index (its character pairs are everywhere).
* **Ranking gets help from words.**  jieba (search mode, taught the archive's own
  words: project, owner and component names) fills a ``words`` field without
  positions; a query term that is a whole word boosts the documents where it is
  one.  jieba runs only when indexing, in worker processes, so a query never
  pays its 1.3 s start-up.
* **Folding** (:mod:`docgen.search.text`, shared with every engine): NFKC (full-width ``１２０３`` and ``ＡＢ`` become ``1203`` and ``AB``),
  lower case, and whitespace *between two CJK characters* dropped, because OCR
  line breaks and stray spaces split Chinese words that no one typed apart.
  Other whitespace separates runs; punctuation is kept as text, so substring
  matches run across it exactly as a plain substring search would.

Whoosh pickles analyzers into the index, so they are module-level classes and
:data:`ANALYZER_VERSION` changes whenever their output would; the index stores
it and is rebuilt on a mismatch.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from whoosh.analysis import Analyzer, Token

# re-exported: folding and the reading of codes live in text.py (no whoosh there)
from docgen.search.text import UnitQuery as UnitQuery
from docgen.search.text import find_personal_numbers as find_personal_numbers
from docgen.search.text import fold as fold
from docgen.search.text import fold_char as fold_char
from docgen.search.text import fold_with_map as fold_with_map
from docgen.search.text import is_cjk as is_cjk
from docgen.search.text import looks_like_code as looks_like_code
from docgen.search.text import parse_unit_query as parse_unit_query
from docgen.search.text import runs as runs
from docgen.search.text import unit_prefixes as unit_prefixes

ANALYZER_VERSION = 3


CODE_GRAM = 4
_CODE_RUN = re.compile(rf"[0-9a-z_/.\-]{{{CODE_GRAM},}}")


def code_grams(folded: str) -> list[str]:
    """The 4-character tokens of every code run in folded text.

    Character pairs of digits and Latin letters are in nearly every document
    (dates, amounts, numbers), so a contract number's pairs matched 6,205 of
    20,000 documents; its 4-grams match a handful.  They are exact for the
    same reason the pairs are: a code typed by a user lies inside one code run
    of every text that contains it, so all its 4-grams are tokens there.
    Being four characters long they never collide with a pair token.
    """
    out: list[str] = []
    for run in _CODE_RUN.findall(folded):
        out.extend(run[i : i + CODE_GRAM] for i in range(len(run) - CODE_GRAM + 1))
    return out


def gram_tokens(text: str) -> list[str]:
    """Index tokens of a text: one per character, the pair starting there, plus code 4-grams (see module doc)."""
    out: list[str] = []
    folded = fold(text)
    for run in runs(folded):
        n = len(run)
        out.extend(run[i : i + 2] for i in range(n))
    out.extend(code_grams(folded))
    return out


def query_grams(term: str) -> list[str]:
    """The tokens a query term must match at consecutive positions (a phrase).

    Inside the last run no lone tail character is produced (the term may
    continue in the document); a run followed by whitespace keeps its tail,
    since in the document, too, that run then ends.
    """
    parts = runs(fold(term))
    out: list[str] = []
    for k, run in enumerate(parts):
        last = k == len(parts) - 1
        n = len(run)
        if n == 1 and last:
            out.append(run)
            continue
        out.extend(run[i : i + 2] for i in range(n - 1))
        if not last:
            out.append(run[-1])
    return out


class _TokenListAnalyzer(Analyzer):
    """Base of docgen's analyzers: each turns a value into a list of token texts, and this emits them.

    Whoosh pickles analyzers into the index, so they are module-level classes,
    equal when of the same type, and versioned by ``ANALYZER_VERSION``.
    """

    version = ANALYZER_VERSION

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def texts(self, value: Any, mode: str) -> list[str]:
        """The token texts for an indexed value (or a query term when ``mode == "query"``)."""
        raise NotImplementedError

    def span(self, i: int, text: str, start_char: int) -> tuple[int, int]:
        """Character offsets of the i-th token (whole-value tokens all start at ``start_char``)."""
        return start_char, start_char + len(text)

    def __call__(
        self,
        value: Any,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for i, text in enumerate(self.texts(value, mode)):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + i
            if chars:
                t.startchar, t.endchar = self.span(i, text, start_char)
            yield t


class GramAnalyzer(_TokenListAnalyzer):
    """Whoosh analyzer producing the character-bigram tokens of :func:`gram_tokens`."""

    def texts(self, value: Any, mode: str) -> list[str]:
        if isinstance(value, list):
            return value
        return query_grams(value) if mode == "query" else gram_tokens(value)

    def span(self, i: int, text: str, start_char: int) -> tuple[int, int]:
        return start_char + i, start_char + i + len(text)


# --- jieba words ----------------------------------------------------------------

_jieba: Any = None
_jieba_base: Any = None
_jieba_key: tuple[str, str] | None = None
_words_config: tuple[Path | None, Path | None] = (None, None)
_jieba_lock = threading.RLock()


def configure_words(userdict: Path | None, cache_dir: Path | None) -> None:
    """Say which user dictionary and cache folder jieba uses in this process (and forked workers)."""
    global _words_config
    _words_config = (userdict, cache_dir)


def jieba_tokenizer() -> Any:
    """Return this process's jieba tokenizer, loading it and the user dictionary on first use.

    jieba's dictionary cache goes to the configured folder (inside the index
    folder, which docgen owns) instead of the system temp folder.  Loading
    takes about a second, so only writers call this, never a search.  A lock
    makes the first load happen once when several threads index at once (a
    server's request threads and its watcher): two loads would each spend the
    second and the last to finish would replace the other's tokenizer.
    """
    tok = _jieba
    if tok is not None and _jieba_key == _config_key():
        return tok
    with _jieba_lock:
        return _load_jieba()


def _config_key() -> tuple[str, str]:
    userdict, cache_dir = _words_config
    return (str(userdict or ""), str(cache_dir or ""))


def _load_jieba() -> Any:
    """Load (under ``_jieba_lock``) the tokenizer for the configured user dictionary."""
    global _jieba, _jieba_key, _jieba_base
    userdict, cache_dir = _words_config
    key = _config_key()
    if _jieba is not None and _jieba_key == key:
        return _jieba
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    if _jieba_base is None:
        base = jieba.Tokenizer()
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            base.tmp_dir = str(cache_dir)
        base.initialize()
        _jieba_base = base
    tok = jieba.Tokenizer()
    tok.FREQ = dict(_jieba_base.FREQ)  # the main dictionary, loaded once per process
    tok.total = _jieba_base.total
    tok.initialized = True
    if userdict is not None and userdict.is_file():
        tok.load_userdict(str(userdict))
    _jieba, _jieba_key = tok, key
    return tok


def teach_words(words: Iterable[str]) -> None:
    """Add words to the loaded tokenizer (if any) after the user dictionary grew."""
    global _jieba_key
    with _jieba_lock:
        if _jieba is None:
            return
        for w in words:
            _jieba.add_word(w, 50000)
        _jieba_key = _config_key()


def word_tokens(text: str, tokenizer: Any | None = None) -> list[str]:
    """jieba words of the folded text (runs of whitespace-free text cut separately)."""
    tok = tokenizer or jieba_tokenizer()
    out: list[str] = []
    for run in runs(fold(text)):
        out.extend(w for w in tok.cut(run, HMM=True) if not w.isspace())
    return out


class WordAnalyzer(_TokenListAnalyzer):
    """Whoosh analyzer for the ``words`` field: jieba words (ranking only, no positions)."""

    def texts(self, value: Any, mode: str) -> list[str]:
        if isinstance(value, list):
            return value
        if mode == "query":
            return [fold(value).replace(" ", "")] if value else []
        return word_tokens(value) if value else []


class KeywordAnalyzer(_TokenListAnalyzer):
    """Analyzer for exact-value fields: each value (a list or a string split on spaces) folded whole."""

    def texts(self, value: Any, mode: str) -> list[str]:
        values: Iterable[str] = value if isinstance(value, list) else str(value).split()
        return [fold(v).replace(" ", "") for v in values]
