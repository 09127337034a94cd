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
* **Folding**: NFKC (full-width ``１２０３`` and ``ＡＢ`` become ``1203`` and ``AB``),
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
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh.analysis import Analyzer, Token

ANALYZER_VERSION = 3

_WS = frozenset(" \t\n\r\f\v\u3000\u00a0")
_CJK_CLASS = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0002ffff"
_CJK_GAP = re.compile(f"(?<=[{_CJK_CLASS}])\\s+(?=[{_CJK_CLASS}])")


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph (and the CJK symbols people write inside Chinese text)."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0x3000 <= o <= 0x303F
        or 0xFF00 <= o <= 0xFFEF
        or 0x20000 <= o <= 0x2FFFF
        or 0xF900 <= o <= 0xFAFF
    )


def fold_char(ch: str) -> str:
    """Fold one character: NFKC and lower case (may return several characters or none)."""
    if ch.isascii():
        return ch.lower()
    return unicodedata.normalize("NFKC", ch).lower()


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return it with, for each folded character, its index in the original.

    The map lets snippets highlight the user's original text (full-width and
    all) at the places the folded text matched.
    """
    out: list[str] = []
    where: list[int] = []
    pending_ws: list[tuple[str, int]] = []
    for i, raw in enumerate(text):
        folded = fold_char(raw)
        for ch in folded:
            if ch in _WS or ch.isspace():
                pending_ws.append((" ", i))
                continue
            if pending_ws:
                prev = out[-1] if out else ""
                if prev and not (is_cjk(prev) and is_cjk(ch)):
                    out.append(" ")
                    where.append(pending_ws[0][1])
                pending_ws = []
            out.append(ch)
            where.append(i)
    return "".join(out), where


def fold(text: str) -> str:
    """Fold text as the index sees it (NFKC, lower case, no space between CJK characters).

    A substring search of ``fold(query)`` in ``fold(text)`` is the reference that
    the n-gram index reproduces exactly (tests check it).
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = _CJK_GAP.sub("", folded)
    return " ".join(folded.split())


def runs(folded: str) -> list[str]:
    """Split folded text into whitespace-free runs."""
    return folded.split()


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


def configure_words(userdict: Path | None, cache_dir: Path | None) -> None:
    """Say which user dictionary and cache folder jieba uses in this process (and forked workers)."""
    global _words_config
    _words_config = (userdict, cache_dir)


def jieba_tokenizer() -> Any:
    """Return this process's jieba tokenizer, loading it and the user dictionary on first use.

    jieba's dictionary cache goes to the configured folder (inside the index
    folder, which docgen owns) instead of the system temp folder.  Loading
    takes about a second, so only writers call this, never a search.
    """
    global _jieba, _jieba_key
    userdict, cache_dir = _words_config
    key = (str(userdict or ""), str(cache_dir or ""))
    if _jieba is not None and _jieba_key == key:
        return _jieba
    import logging

    import jieba

    global _jieba_base
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
    if _jieba is None:
        return
    for w in words:
        _jieba.add_word(w, 50000)
    userdict, cache_dir = _words_config
    _jieba_key = (str(userdict or ""), str(cache_dir or ""))


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


# --- codes: units, ID numbers, phones, contract and document numbers ---------------

_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_LANDLINE_RE = re.compile(r"(?<![\d-])0\d{2,3}-\d{7,8}(?!\d)")
_BUILDING = r"(?P<b>[0-9]{1,3}|[A-Z][0-9]{0,2})"
_PARTIAL_UNIT_RE = re.compile(
    rf"^{_BUILDING}\s*(?:栋|号楼|幢|座|#楼|#)"
    r"(?:\s*(?P<u>[0-9]{1,2})\s*单元(?:\s*(?P<r>[0-9]{3,5})\s*(?:室|号)?)?"
    r"|\s*(?P<room>[0-9]{3,5})\s*(?:室|号)?)?$"
)
_CODE_UNIT_RE = re.compile(
    rf"^{_BUILDING}(?:-(?P<u>[0-9]{{1,2}})(?:-(?P<r>[0-9]{{3,5}}))?|-(?P<room>[0-9]{{3,5}}))?$"
)


@dataclass(frozen=True)
class UnitQuery:
    """A whole or partial unit as a user types it: building, and perhaps entrance (单元) and room.

    ``room`` without ``entrance`` is the spoken form (``3栋1203``): room 1203 of
    every entrance of building 3.  Codes are folded (``03``, ``a1``).
    """

    building: str
    entrance: str = ""
    room: str = ""

    @property
    def prefix(self) -> str:
        """The unit-field token that decides it (``03-2-1203``, ``03-2``, ``03``; ``03`` for a room of any entrance)."""
        parts = [self.building, self.entrance, self.room if self.entrance else ""]
        return "-".join(p for p in parts if p)

    @property
    def any_entrance(self) -> bool:
        """True for a room without its entrance (``3栋1203``): it matches several units."""
        return bool(self.room) and not self.entrance

    def matches(self, unitcode: str) -> bool:
        """True if the folded unit code ``03-2-1203`` is this unit or lies inside it."""
        if self.any_entrance:
            parts = unitcode.split("-")
            return len(parts) == 3 and parts[0] == self.building and parts[2] == self.room
        return unitcode == self.prefix or unitcode.startswith(self.prefix + "-")


def unit_prefixes(code: str) -> list[str]:
    """Exact tokens of a unit code ``03-2-1203``: itself, ``03-2`` and ``03`` (partial units)."""
    parts = code.split("-")
    return ["-".join(parts[: i + 1]).lower() for i in range(len(parts))]


def parse_unit_query(text: str) -> UnitQuery | None:
    """Read a whole or partial unit as typed, or None if ``text`` is no unit.

    Accepted: ``3栋2单元1203(室)``, ``3号楼2单元``, ``3栋``, ``03-2-1203``,
    ``03-2``, and a room without its entrance, as people say it: ``3栋1203``,
    ``3号楼1203``, ``3-1203`` (an entrance has one or two digits, a room three
    to five, so ``3-12`` is entrance 12 and ``3-1203`` room 1203).
    """
    folded = unicodedata.normalize("NFKC", text).strip().upper().replace(" ", "")
    m = _PARTIAL_UNIT_RE.match(folded)
    if m is None and "-" in folded:
        m = _CODE_UNIT_RE.match(folded)
    if m is None:
        return None
    b = m["b"]
    building = (b.zfill(2) if b.isdigit() else b).lower()
    if m["room"]:
        return UnitQuery(building, room=m["room"])
    if m["u"]:
        return UnitQuery(building, str(int(m["u"])), m["r"] or "")
    return UnitQuery(building)


def find_personal_numbers(text: str) -> list[tuple[int, int, str]]:
    """Spans of ID numbers and phone numbers in ``text``: (start, end, "id"|"phone")."""
    spans: list[tuple[int, int, str]] = [(m.start(), m.end(), "id") for m in _ID_RE.finditer(text)]
    taken = [(s, e) for s, e, _ in spans]

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for rx in (_MOBILE_RE, _LANDLINE_RE):
        for m in rx.finditer(text):
            if free(m.start(), m.end()):
                spans.append((m.start(), m.end(), "phone"))
                taken.append((m.start(), m.end()))
    return sorted(spans)


def looks_like_code(term: str) -> bool:
    """True if a query term looks like an exact code (ID or phone number, contract or document number)."""
    t = unicodedata.normalize("NFKC", term).strip()
    if _ID_RE.fullmatch(t) or _MOBILE_RE.fullmatch(t) or _LANDLINE_RE.fullmatch(t):
        return True
    return bool(re.fullmatch(r"[A-Za-z0-9]+(?:[-_/][A-Za-z0-9]+)+", t)) and any(c.isdigit() for c in t)
