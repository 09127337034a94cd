"""Export one dossier as a BagIt bag (RFC 8493) for a registry office, a lawyer or an auditor.

BagIt is the archival transfer format: a folder with the payload under
``data/``, manifests of sha256/sha512 checksums and a ``bag-info.txt``; the
recipient checks it with any BagIt tool.  We use the Library of Congress's
``bagit`` library (the reference implementation) rather than writing manifests
by hand, and validate the bag it made before reporting success.

The payload is ``dossier.json`` as stored, ``project.json`` (the developer's
details the documents refer to), every document file and its text sidecar, and
``清单.txt``, a human-readable summary.  Personal data is *not* masked (a
scan of an ID card cannot be): the bag goes to an authorised recipient, and
``bag-info.txt`` says so.  So an export is a reveal under the privacy policy
(:mod:`docgen.privacy`): it needs a reason, and once the bag is written and
validated it is journaled with its destination; if that entry cannot be
written, the bag is removed again.  Every document is checked against its
recorded sha256 before it is copied: a damaged archive is never exported as if
it were sound.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from docgen import __version__, privacy
from docgen.archive.fsutil import sha256_file
from docgen.errors import ConflictError, DocgenError, IntegrityError
from docgen.vocab import SOURCE_LABELS

if TYPE_CHECKING:
    from docgen.archive.store import Archive
    from docgen.models import Dossier, Project

PERSONAL_DATA_NOTICE = (
    "本包内含未脱敏的个人信息(身份证号码、电话、住址),仅供授权接收方用于办理登记、法律或审计事务,"
    "不得转交他人;Contains unmasked personal data (PIPL): for the authorised recipient only."
)


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What was exported: the bag folder, the number of payload files and bytes."""

    bag_dir: Path
    files: int
    bytes: int


def _summary(archive: Archive, d: Dossier, project: Project, today: dt.date) -> str:
    lines = [
        f"业主档案导出清单:{project.name} {d.unit_label}({d.key})",
        f"导出日期:{today.isoformat()}    导出人:{archive.actor}    档案库:{archive.name}",
        "",
        f"业主:{'、'.join(f'{o.name}({o.role},身份证 {o.id_number})' for o in d.owners)}",
        f"合同编号:{d.contract_no or '—'}    备案号:{d.filing_no or '—'}    阶段:{d.stage}",
        f"交房日期:{d.delivered_on or '—'}    产权证:{d.certificate_status} {d.certificate_no}",
        f"报修 {len(d.repairs)} 条,投诉 {len(d.complaints)} 条,回访 {len(d.revisits)} 条,结算 {len(d.settlements)} 条(详见 dossier.json)",
        "",
        "文件:",
        "序号  编号  类型  日期  来源  已签字  文件名  sha256",
    ]
    for i, doc in enumerate(d.documents, 1):
        state = "(已被替代)" if doc.superseded_by else ""
        lines.append(
            f"{i}  {doc.id}  {doc.type_label}{state}  {doc.date or '—'}  {SOURCE_LABELS[doc.source]}  "
            f"{'是' if doc.signed else '否'}  documents/{doc.file}  {doc.sha256}"
        )
    lines += ["", PERSONAL_DATA_NOTICE, "校验:用任何 BagIt 工具(如 `bagit.py --validate 目录`)核对 manifest-sha256.txt。", ""]
    return "\n".join(lines)


def _clean(dest: Path, created: bool) -> None:
    """Remove what a failed export wrote (the folder itself only if we created it)."""
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def export_bag(archive: Archive, key: str, dest: Path, *, reason: str | None,
               role: str = privacy.DEFAULT_ROLE) -> ExportResult:
    """Write dossier ``key`` as a BagIt bag in ``dest`` (new or empty), validate it, journal it; return what was written.

    ``reason`` (why the data leaves the archive, e.g. "交不动产登记中心办理产权证")
    is required: the bag holds unmasked personal data.
    """
    import bagit

    why = privacy.check_reveal(role, reason, privacy.EXPORT)
    d = archive.dossier(key)
    project = archive.project(d.project)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ConflictError(f"目标 {dest} 已存在且不是空目录;导出不会覆盖已有内容,请指定新目录")
    problems = []
    for doc in d.documents:
        path = archive.document_path(d, doc)
        if not path.is_file():
            problems.append(f"文件 {doc.id}({doc.file})缺失")
        elif sha256_file(path) != doc.sha256:
            problems.append(f"文件 {doc.id}({doc.file})的 sha256 与记录不符")
    if problems:
        raise IntegrityError(f"档案 {key} 的文件有问题,未导出(请先运行 docgen verify 并修复):" + ";".join(problems))
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        folder = archive.path(archive.layout.dossier_rel(d.key))
        shutil.copy2(folder / "dossier.json", dest / "dossier.json")
        shutil.copy2(archive.path(archive.layout.project_rel(d.project)) / "project.json", dest / "project.json")
        (dest / "documents").mkdir()
        total = 0
        rel = archive.layout.dossier_rel(d.key)
        for doc in d.documents:
            # names are validated ids, and archive.path() refuses anything that leaves the archive
            shutil.copy2(archive.path(f"{rel}/documents/{doc.file}"), dest / "documents" / Path(doc.file).name)
            total += (dest / "documents" / Path(doc.file).name).stat().st_size
            if doc.text_file:
                source = archive.path(f"{rel}/documents/{doc.text_file}")
                if source.is_file():
                    shutil.copy2(source, dest / "documents" / Path(doc.text_file).name)
        today = archive.today()
        (dest / "清单.txt").write_text(_summary(archive, d, project, today), encoding="utf-8")
        info = {
            "Source-Organization": f"{project.developer.name} 客户服务部",
            "Organization-Address": project.developer.address or project.address,
            "Contact-Name": archive.actor,
            "External-Identifier": d.key,
            "External-Description": f"{project.name} {d.unit_label} 业主档案(一户一档),含档案记录、全部文件及文字稿",
            "Bagging-Date": today.isoformat(),
            "Bag-Group-Identifier": d.project,
            "Internal-Sender-Identifier": d.key,
            "Internal-Sender-Description": PERSONAL_DATA_NOTICE,
            "Docgen-Personal-Data": "unmasked; authorised recipient only",
            "Bag-Software-Agent": f"docgen {__version__} with bagit-python",
        }
        bag = bagit.make_bag(str(dest), bag_info=info, checksums=["sha256", "sha512"])
        bag.validate()
    except (OSError, bagit.BagError) as exc:
        _clean(dest, created)
        raise DocgenError(f"导出到 {dest} 失败:{exc}") from exc
    files = sum(1 for p in (dest / "data").rglob("*") if p.is_file())
    try:
        privacy.reveal(
            archive, target=d.key, what=f"档案 {d.key} 的全部记录和 {len(d.documents)} 份文件(BagIt 包,未脱敏)",
            why=why, where=f"BagIt 包 {dest.absolute()}", kind=privacy.EXPORT, role=role,
            detail={"bag": str(dest.absolute()), "files": files, "bytes": total,
                    "payload_oxum": bag.info.get("Payload-Oxum", "")},
        )
    except BaseException:
        _clean(dest, created)  # an export nobody can account for must not stay on disk
        raise
    return ExportResult(dest, files, total)
