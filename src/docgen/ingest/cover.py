"""Separator cover sheets for batch scans: one printed page with a QR code per dossier and type.

Staff put a cover sheet in front of each household's papers and scan the whole
stack at once; the pipeline finds the sheets by their QR code
(:class:`docgen.qrcodes.SeparatorCode`) and files each stretch of pages into
its dossier.  The QR code is large (45 mm) because it must survive a cheap
scanner at 150 dpi; the text on the sheet is for people.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docgen.errors import DocgenError
from docgen.qrcodes import SeparatorCode
from docgen.vocab import DOC_TYPES, doc_type_code, level_problem


def cover_sheet(archive: Any, owner_key: str, doc_type: str, out: Path) -> SeparatorCode:
    """Write a one-page PDF cover sheet for ``owner_key`` and ``doc_type``; return its code."""
    import io

    import segno
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from docgen.fonts import reportlab_font
    from docgen.models import Dossier

    owner = archive.owner(owner_key)
    key = archive.owner_key(owner)
    code_type = doc_type_code(doc_type)
    problem = level_problem(code_type, key)
    if problem:
        raise DocgenError(f"无法打印分隔页:{problem}")
    code = SeparatorCode(owner_key=key, doc_type=code_type)
    font = reportlab_font()
    width, height = 210 * mm, 297 * mm
    out.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(out), pagesize=(width, height), invariant=1)
    c.setTitle(f"分隔页 {key} {DOC_TYPES[code_type][0]}")
    c.setFont(font, 26)
    c.drawCentredString(width / 2, height - 40 * mm, "批量扫描分隔页")
    c.setFont(font, 14)
    c.drawCentredString(width / 2, height - 52 * mm, "请将本页放在该户文件之前,一同扫描;本页不会归档")
    buf = io.BytesIO()
    segno.make(code.encode(), error="q", micro=False).save(buf, kind="png", scale=10, border=4)
    buf.seek(0)
    side = 60 * mm
    c.drawImage(ImageReader(buf), (width - side) / 2, height - 130 * mm, side, side)
    lines = []
    if isinstance(owner, Dossier):
        lines += [f"项目:{owner.project}", f"房号:{owner.unit_label}({owner.unit})", f"业主:{owner.owner_names}"]
    else:
        lines += [f"项目:{owner.code} {owner.name}"]
    lines += [f"文件类型:{DOC_TYPES[code_type][0]}", f"编码:{code.encode()}"]
    y = height - 150 * mm
    c.setFont(font, 16)
    for line in lines:
        c.drawString(35 * mm, y, line)
        y -= 11 * mm
    c.showPage()
    c.save()
    return code
