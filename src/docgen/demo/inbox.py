"""Sample scans for the ingest tour: paper that arrives in the inbox after the archive is built.

Not filed: the watcher's job is to file them.  One file per way a scan can be
identified, and one it must refuse:

* by the filename convention ``<项目>_<房号>_<类型>_<YYYYMMDD>.<ext>``
  (``HXSZ_03-2-1203_handover_record_20260620.pdf``): the missing 房屋交接书 of
  HXSZ/03-2-1203 and a co-owner's missing ID copy (JPEG);
* by content only (unit and owner name in the OCR'd text): a 维修记录 for
  an open repair, under a scanner's meaningless name;
* by the docgen QR code printed on a generated document: the signed copy of
  an unsigned 房屋交接书;
* a broken PDF, which must end in the failed area with a reason.

Every expectation is written to ``DEMO-PLANTED.json`` (``inbox``), so the tour
and its tests can check what the watcher did.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docgen.demo import content as C
from docgen.demo.scans import page_image, save_scan
from docgen.qrcodes import DocumentCode

if TYPE_CHECKING:
    from docgen.demo.plant import Planter


def _scan(pages: list[list[str]], out: Path, *, seed: int, qr: str | None = None) -> Path:
    images = [
        page_image(lines, dpi=200, rotate=(0.8 if i % 2 else -0.6), noise=0.0008, blur=0.4, seed=seed + i, qr_payload=qr if i == 0 else None)
        for i, lines in enumerate(pages)
    ]
    stamp = dt.datetime(2026, 11, 15, 9, 30 + seed)
    return save_scan(images if out.suffix == ".pdf" else images[:1], out, dpi=200, jpeg_quality=70, created=stamp)


def write_inbox(folder: Path, planter: Planter) -> list[dict[str, Any]]:
    """Write the sample scans into ``folder``; return what each one should become."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[dict[str, Any]] = []
    hh = planter.households

    key = planter.state.get("inbox_handover")
    if key and key in hh:
        h = hh[key]
        d = h.dossier
        assert d.delivered_on is not None
        ctx = _ctx(planter, h)
        name = f"{d.project}_{d.unit}_handover_record_{d.delivered_on:%Y%m%d}.pdf"
        _scan(C.handover_record(ctx, d.delivered_on), folder / name, seed=1)
        out.append({"file": name, "owner_key": key, "doc_type": "handover_record", "identified_by": "filename", "expect": "filed"})

    key = planter.state.get("inbox_id_copy")
    if key and key in hh:
        h = hh[key]
        d = h.dossier
        ctx = _ctx(planter, h)
        assert d.signed_on is not None
        name = f"{d.project}_{d.unit}_id_copy_{d.signed_on:%Y%m%d}.jpg"
        _scan(C.id_copy(ctx, d.signed_on, 1), folder / name, seed=2)
        out.append({"file": name, "owner_key": key, "doc_type": "id_copy", "identified_by": "filename", "expect": "filed"})

    repair = planter.state.get("overdue_repair")
    if repair and repair[0] in hh:
        key, record_id = repair
        h = hh[key]
        ticket = next(r for r in h.dossier.repairs if r.id == record_id)
        name = "扫描件_20261110_0932.pdf"
        _scan(C.repair_record(_ctx(planter, h), ticket), folder / name, seed=3)
        out.append({"file": name, "owner_key": key, "doc_type": "repair_record", "identified_by": "content", "expect": "filed",
                    "note": "文件名无信息;靠文字中的房号和业主姓名识别"})

    key = planter.state.get("unsigned_key")
    doc_id = planter.state.get("unsigned_doc")
    if key and doc_id and key in hh:
        h = hh[key]
        d = h.dossier
        assert d.delivered_on is not None
        name = "IMG_20261028_0001.pdf"
        payload = DocumentCode(doc_id=doc_id, owner_key=key).encode()
        _scan(C.handover_record(_ctx(planter, h), d.delivered_on), folder / name, seed=4, qr=payload)
        out.append({"file": name, "owner_key": key, "doc_type": "handover_record", "identified_by": "qr", "expect": "filed",
                    "doc_id": doc_id, "qr": payload, "note": "系统生成的交接书签字后扫描:应标记为已签字"})

    name = "损坏的扫描件.pdf"
    (folder / name).write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n% scanner lost power here")
    out.append({"file": name, "owner_key": None, "doc_type": None, "identified_by": None, "expect": "failed",
                "note": "PDF 不完整(扫描中断),应移入失败区并写明原因"})
    return out


def _ctx(planter: Planter, h: Any) -> C.Ctx:
    project = planter.projects[h.dossier.project]
    return C.Ctx(project=project, dossier=h.dossier, phase=h.phase.name, handover_venue="")
