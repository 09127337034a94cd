"""Folding and the codes people type, without whoosh: what the index, the query and every engine share.

Split from :mod:`docgen.search.analysis` (which holds whoosh's analyzers) so
that a search engine other than whoosh, the snippets and the index entries can
fold text and read units and numbers exactly as the whoosh index does, without
importing whoosh (``docgen.search.types`` and the ``scan`` engine never do).

* **Folding**: NFKC (full-width ``１２０３`` and ``ＡＢ`` become ``1203`` and ``AB``),
  lower case, and whitespace *between two CJK characters* dropped, because OCR
  line breaks and stray spaces split Chinese words that no one typed apart.
  A substring search of ``fold(query)`` in ``fold(text)`` is the reference
  every engine reproduces.
* **Codes**: whole and partial units as people say them (``3栋2单元``,
  ``3栋1203``), ID and phone numbers, contract and document numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
    fast = _fold_with_map_clean(text)
    return fast if fast is not None else _fold_with_map_chars(text)


def _fold_with_map_chars(text: str) -> tuple[str, list[int]]:
    """:func:`fold_with_map` one character at a time (any text; the reference the fast path must equal)."""
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


_SPACE_RUN = re.compile(r"\s+")


def _fold_with_map_clean(text: str) -> tuple[str, list[int]] | None:
    """:func:`fold_with_map` for NFKC-clean text whose characters lower-case one to one (nearly every scan), in C.

    In NFKC-normalized text every character is its own NFKC form, so folding
    is lower-casing; when that keeps the length, each folded character sits
    at its original index and only whitespace runs need the per-run rule.
    None for any other text (the character loop handles it).
    """
    if not unicodedata.is_normalized("NFKC", text):
        return None
    low = "".join(map(str.lower, text))  # per character, as fold_char does (str.lower treats a final sigma apart)
    if len(low) != len(text):
        return None
    out: list[str] = []
    where: list[int] = []
    pos = 0
    for m in _SPACE_RUN.finditer(low):
        start, end = m.span()
        if start > pos:
            out.append(low[pos:start])
            where.extend(range(pos, start))
        # a run between two characters is one space, or nothing between two CJK ones; at either end, nothing
        if start > 0 and end < len(low) and not (is_cjk(low[start - 1]) and is_cjk(low[end])):
            out.append(" ")
            where.append(start)
        pos = end
    if pos < len(low):
        out.append(low[pos:])
        where.extend(range(pos, len(low)))
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
