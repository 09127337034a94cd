"""A tiny PDF writer for the light documents of a large sample archive.

reportlab writes a one-page text PDF in a few milliseconds and, with an
embedded CJK TrueType subset, 30-60 KB per page: fine for a few hundred
documents, far too slow and too big for the 400,000 documents of a
20,000-household benchmark archive.  This writer emits the same kind of text
layer (Adobe-GB1 ``STSong-Light`` CID font, ``UniGB-UCS2-H`` encoding, not
embedded, exactly what reportlab's ``UnicodeCIDFont`` produces) in about 0.1 ms
and 1-2 KB per page.  Content streams are left uncompressed (two bytes per
character): the files stay under one 4 KB disk block either way, and
uncompressed, near-identical forms delta-compress in git, which keeps the
committed sample archive small.  The predefined CMap is enough for every extractor we
tried (pypdfium2, pypdf, pdftotext) to read the Chinese back, so no
``ToUnicode`` map is written.  Characters outside the BMP are
replaced by ``?`` (UCS-2 has no room for them).
"""

from __future__ import annotations

from collections.abc import Sequence

_PAGE_W, _PAGE_H = 595.28, 841.89  # A4 in points
_LEFT, _TOP, _BOTTOM = 56.7, 770.0, 56.7
_BODY, _TITLE = 10.5, 16.0
_MAX_CHARS = 44


def _hex(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        out.append(f"{code if code <= 0xFFFF else 0x3F:04X}")
    return "".join(out)


def _literal(text: str) -> bytes:
    """The text as a PDF literal string of UCS-2 big-endian codes, escaping ``\\``, ``(`` and ``)``."""
    if text and max(text) > "\uffff":
        text = "".join(ch if ord(ch) <= 0xFFFF else "?" for ch in text)
    raw = text.encode("utf-16-be")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)").replace(b"\r", b"\\r") + b")"


def _wrap(line: str, width: int) -> list[str]:
    if len(line) <= width:
        return [line]
    return [line[i : i + width] for i in range(0, len(line), width)]


def _page_stream(lines: Sequence[str]) -> bytes:
    ops: list[bytes] = []
    y = _TOP
    for i, line in enumerate(lines):
        size = _TITLE if i == 0 else _BODY
        for part in _wrap(line, _MAX_CHARS - (6 if i == 0 else 0)):
            if y < _BOTTOM:
                break
            x = (_PAGE_W - len(part) * size) / 2 if i == 0 else _LEFT
            ops.append(f"BT /F1 {size:g} Tf 1 0 0 1 {x:.1f} {y:.1f} Tm ".encode("ascii") + _literal(part) + b" Tj ET")
            y -= size * 1.8
    return b"\n".join(ops)


def light_pdf(pages: Sequence[Sequence[str]], *, title: str = "") -> bytes:
    """Return the bytes of a text PDF: one list of lines per page (the first line is the title)."""
    if not pages:
        raise ValueError("no pages")
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes) -> bytes:
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    catalog = add(b"")  # placeholder, filled below
    pages_obj = add(b"")
    descriptor = add(
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880]"
        b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"
    )
    cid_font = add(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >>"
        b" /FontDescriptor %d 0 R /DW 1000 /W [1 95 500] >>" % descriptor
    )
    font = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H /Encoding /UniGB-UCS2-H"
        b" /DescendantFonts [%d 0 R] >>" % cid_font
    )
    page_ids = []
    for lines in pages:
        content = add(stream(_page_stream(lines)))
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /Font << /F1 %d 0 R >> >>"
                b" /Contents %d 0 R >>" % (pages_obj, _PAGE_W, _PAGE_H, font, content)
            )
        )
    kids = b" ".join(b"%d 0 R" % p for p in page_ids)
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    info = add(b"<< /Producer (docgen demo) /Title <FEFF%s> >>" % _hex(title).encode("ascii"))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref,
    )
    return bytes(out)
