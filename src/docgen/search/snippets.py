"""Snippets around the matched text, with highlight offsets, and masking of personal numbers.

Snippets are cut from the original text (full-width forms and all) at the
places where the folded text matched, so the user sees what the paper says.
ID numbers, phone numbers and labelled addresses are masked by
:func:`docgen.privacy.mask_text` *in place, keeping their length*
(``350102********1234``, ``138****5678``), so highlight offsets stay valid.
"""

from __future__ import annotations

from docgen.privacy import mask_span as mask_span
from docgen.privacy import mask_text as mask_text
from docgen.search.text import fold_with_map


def make_snippet(
    text: str, literals: list[str], width: int = 90, reveal: bool = False
) -> tuple[str, list[tuple[int, int]]]:
    """Cut a snippet of about ``width`` characters around the first match; return it and highlight spans.

    Personal data is masked over the whole text *before* cutting (unless
    ``reveal``), so a number cut in half at the edge is never shown unmasked.
    """
    clean = text.replace("\f", "\n")
    shown = clean if reveal else mask_text(clean)
    if not literals:
        snippet = " ".join(shown[: width * 2].split())[:width]
        return snippet, []
    folded, where = fold_with_map(clean)
    spans: list[tuple[int, int]] = []
    for lit in literals:
        start = 0
        while True:
            k = folded.find(lit, start)
            if k < 0:
                break
            s, e = where[k], where[k + len(lit) - 1] + 1
            if all(e <= a or s >= b for a, b in spans):
                spans.append((s, e))
            start = k + 1
            if len(spans) > 50:
                break
    spans.sort()
    if not spans:
        snippet = " ".join(shown[: width * 2].split())[:width]
        return snippet, []
    first = spans[0][0]
    lo = max(0, first - width // 3)
    hi = min(len(clean), lo + width)
    raw = shown[lo:hi]
    # collapse whitespace, keeping a map from raw offsets to snippet offsets
    out: list[str] = []
    index: list[int] = []
    prev_space = False
    for ch in raw:
        if ch.isspace():
            if not prev_space:
                out.append(" ")
            prev_space = True
        else:
            out.append(ch)
            prev_space = False
        index.append(len(out) - 1)
    snippet = "".join(out)
    marks: list[tuple[int, int]] = []
    for s, e in spans:
        if s >= lo and e <= hi:
            marks.append((index[s - lo], index[e - 1 - lo] + 1))
    prefix = "…" if lo > 0 else ""
    suffix = "…" if hi < len(clean) else ""
    shift = len(prefix)
    return prefix + snippet + suffix, [(a + shift, b + shift) for a, b in marks]
