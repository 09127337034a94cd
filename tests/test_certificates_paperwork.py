"""Certificate paperwork and commands: checklist, 委托书, 领证通知, the registry's XLSX, and ``docgen cert``.

Documents are generated from the real templates with docxtpl and read back
from the saved files; the submission list is read back with openpyxl.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from docgen.archive import Archive
from docgen.archive.journal import JournalEntry
from docgen.certificates.submission import COLUMNS
from docgen.cli.main import cli
from docgen.errors import ConflictError, PermissionDenied
from docgen.generate.text import docx_text
from docgen.privacy import ReasonRequired, RevealRefused
from docgen.services import certificates as certs
from docgen.session import Workspace
from test_certificates import (
    TODAY,
    file_materials,
    session,
    without_initial_registration,
    workspace,
)

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
INTERNAL_WORDS = ("docgen", "待递交", "资料收集中", "已递交", "已出证", "DJ-")


@pytest.fixture
def ws(archive: Archive, tmp_path: Path) -> Workspace:
    archive._today = lambda: TODAY  # type: ignore[method-assign]
    return workspace(archive, tmp_path)


def _batch(ws: Workspace, *units: str, complete: bool = True) -> str:
    for unit in units:
        if complete:
            file_materials(ws.archive, f"HXSZ/{unit}")
    return certs.new_registration(session(ws), "HXSZ", units=list(units), registry="福州市不动产登记中心").registration.id


def _reveals(archive: Archive) -> list[JournalEntry]:
    return [e for e in archive.journal.entries(0) if e.action == "privacy.reveal"]


# -- checklist ------------------------------------------------------------------------------------
def test_checklist_says_what_is_filed_and_what_to_bring_and_is_filed(ws: Workspace) -> None:
    key = "HXSZ/03-2-1204"
    file_materials(ws.archive, key, skip=("marriage_proof", "cert_application", "id_copy"))
    from test_certificates import file_doc

    file_doc(ws.archive, key, "id_copy", title="身份证复印件(王芳)")
    result = certs.make_checklists(session(ws, "staff"), key)
    (doc,) = result.documents
    text = docx_text(doc.docx)
    assert "不动产权证办理材料清单" in text and "王芳、赵磊" in text and "3栋2单元1204" in text
    received, wanted = text.split("一、已收到的材料")[1].split("二、尚需办理或携带的材料")
    assert "契税完税证明" in received and "婚姻状况证明" not in received
    assert "婚姻状况证明" in wanted and "结婚证或离婚证原件" in wanted and "请携带" in wanted
    assert "不动产登记申请书" in wanted and "请到场签字" in wanted
    assert "身份证复印件" in wanted and "缺 赵磊" in wanted
    assert "2026年9月18日前" in text  # 90 days after delivery on 2026-06-20
    assert "：" in text and "（" in text  # full-width punctuation in the running text
    assert not [w for w in INTERNAL_WORDS if w in text.split("文件编号")[0] + text.split("本页二维码")[-1]]
    filed = ws.archive.dossier(key).document(doc.doc_id)
    assert filed is not None and filed.type == "cert_checklist" and filed.source == "generated" and not filed.signed
    assert "婚姻状况证明" in "\n".join(ws.archive.document_text(ws.archive.dossier(key), filed))


def test_checklists_for_a_batch_cover_its_waiting_households(ws: Workspace) -> None:
    batch = _batch(ws, "05-1-0502", "03-2-1204", complete=False)
    result = certs.make_checklists(session(ws), batch)
    assert [d.owner_key for d in result.documents] == ["HXSZ/05-1-0502", "HXSZ/03-2-1204"]
    docs = ws.archive.dossier("HXSZ/05-1-0502").documents
    assert [d.related for d in docs if d.type == "cert_checklist"] == [batch]


# -- 委托书 ------------------------------------------------------------------------------------------
def test_power_of_attorney_carries_full_identity_as_a_journaled_reveal(ws: Workspace) -> None:
    batch = _batch(ws, "03-2-1204", complete=False)
    owners = ws.archive.dossier("HXSZ/03-2-1204").owners
    before = len(ws.archive.dossier("HXSZ/03-2-1204").documents)
    with pytest.raises(ReasonRequired):
        certs.make_powers_of_attorney(session(ws, "staff"), batch, reason=" ")
    with pytest.raises(PermissionDenied):
        certs.make_powers_of_attorney(session(ws, "auditor"), batch, reason="核对")
    assert len(ws.archive.dossier("HXSZ/03-2-1204").documents) == before and not _reveals(ws.archive)
    result = certs.make_powers_of_attorney(session(ws, "staff", "陈晓燕"), batch, reason="业主委托我司代办产权登记")
    (doc,) = result.documents
    text = docx_text(doc.docx)
    assert "委 托 书" in text and "福州华轩置业有限公司" in text and "91350100M000100Y43" in text
    assert all(o.id_number in text and o.name in text for o in owners)  # both owners, in full
    assert "不动产转移登记" in text and "福州市不动产登记中心" in text and "HXSZ-HT-2024-0002" in text
    (reveal,) = _reveals(ws.archive)
    assert reveal.actor == "陈晓燕" and reveal.target == f"HXSZ/{batch}"
    assert reveal.detail["kind"] == "generate" and reveal.detail["why"] == "业主委托我司代办产权登记"
    assert reveal.detail["records"] == ["HXSZ/03-2-1204"]
    filed = ws.archive.dossier("HXSZ/03-2-1204").document(doc.doc_id)
    assert filed is not None and filed.type == "power_of_attorney" and not filed.signed


# -- 领证通知 ----------------------------------------------------------------------------------------
def test_collection_notice_only_once_the_certificate_is_back(ws: Workspace) -> None:
    batch = _batch(ws, "05-1-0502")
    s = session(ws)
    certs.submit_registration(s, batch, receipt_no="FZ-018")
    with pytest.raises(Exception, match="没有已出证的住户"):
        certs.make_collection_notices(s, batch)
    with pytest.raises(ConflictError, match="尚未出证"):
        certs.make_collection_notices(s, batch, units=["05-1-0502"])
    certs.collect_certificate(s, batch, "05-1-0502", number="闽(2026)福州市不动产权第0061234号")
    result = certs.make_collection_notices(s, batch, place="售楼处二层客户服务中心", until="2026-08-31")
    (doc,) = result.documents
    text = docx_text(doc.docx)
    assert "闽(2026)福州市不动产权第0061234号" in text and "售楼处二层客户服务中心" in text
    assert "2026年8月31日" in text and "身份证原件" in text and "李娜" in text
    filed = ws.archive.dossier("HXSZ/05-1-0502").document(doc.doc_id)
    assert filed is not None and filed.type == "certificate_notice"


# -- the registry's list ---------------------------------------------------------------------------
def test_submission_list_xlsx_has_the_registry_columns_and_rows(ws: Workspace, tmp_path: Path) -> None:
    batch = _batch(ws, "03-2-1204", "05-1-0502")
    s = session(ws, "archivist", "吴敏")
    certs.submit_registration(s, batch, receipt_no="FZ-DJ-20260720-018")
    out = tmp_path / "清单" / "递交清单.xlsx"
    with pytest.raises(RevealRefused):
        certs.write_submission_list(session(ws, "staff"), batch, reason="递交登记中心", out=out)
    assert not out.exists() and not _reveals(ws.archive)
    result = certs.write_submission_list(s, batch, reason="递交福州市不动产登记中心", out=out)
    assert result.path == out and result.rows == 2 and result.materials == 17
    wb = openpyxl.load_workbook(out)
    sheet = wb["递交清单"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert tuple(rows[0]) == COLUMNS == ("序号", "房号", "权利人", "证件号码", "合同备案号", "建筑面积", "材料份数")
    d1204, d0502 = ws.archive.dossier("HXSZ/03-2-1204"), ws.archive.dossier("HXSZ/05-1-0502")
    assert rows[1] == [1, "3栋2单元1204", "王芳、赵磊", "、".join(o.id_number for o in d1204.owners), "榕网备2024000002",
                       89.5, 9]
    assert rows[2] == [2, "5栋1单元0502", "李娜", d0502.owners[0].id_number, "榕网备2024000003", 89.5, 8]
    assert len(rows) == 3
    about = dict(wb["说明"].iter_rows(values_only=True))
    assert about["受理编号"] == "FZ-DJ-20260720-018" and about["户数"] == 2
    (reveal,) = _reveals(ws.archive)
    assert reveal.detail["kind"] == "export" and reveal.detail["records"] == ["HXSZ/03-2-1204", "HXSZ/05-1-0502"]
    assert reveal.actor == "吴敏" and "递交福州市不动产登记中心" in reveal.summary
    filed = next(d for d in ws.archive.project("HXSZ").documents if d.id == result.doc_id)
    assert filed.type == "registration_list" and filed.related == batch and filed.text_file is None


# -- the commands -----------------------------------------------------------------------------------
def _config(tmp_path: Path, archive: Archive) -> Path:
    path = tmp_path / "docgen.toml"
    path.write_text(f'[archive]\npath = "{archive.root}"\nactor = "吴敏"\n\n'
                    f'[generate]\ntemplates = "{TEMPLATES}"\noutput = "{tmp_path / "out"}"\n', "utf-8")
    return path


def _run(config: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_cli_batch_submit_collect_and_deadlines(archive: Archive, tmp_path: Path) -> None:
    config = _config(tmp_path, archive)
    for unit in ("03-2-1204", "05-1-0502"):
        file_materials(archive, f"HXSZ/{unit}")
    r = _run(config, "cert", "readiness", "HXSZ", "--json")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    data = json.loads(r.output)  # type: ignore[attr-defined]
    assert data["counts"]["ready"] == 2 and [h["ready"] for h in data["households"]] == [True, True, False]
    r = _run(config, "cert", "batch", "new", "HXSZ", "--ready", "--name", "一期第一批办证")
    assert r.exit_code == 0 and "已新建办证批次 DJ-" in r.output, r.output  # type: ignore[attr-defined]
    batch = archive.registration_ids("HXSZ")[0]
    r = _run(config, "cert", "submit", batch, "--receipt-no", "FZ-018")
    assert r.exit_code == 0 and "2 户,受理编号 FZ-018" in r.output, r.output  # type: ignore[attr-defined]
    r = _run(config, "cert", "collect", batch, "5栋1单元0502", "--number", "闽(2026)福州市不动产权第0061234号")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    r = _run(config, "cert", "batch", "show", batch, "--json")
    shown = json.loads(r.output)  # type: ignore[attr-defined]
    assert {h["unit"]: h["status"] for h in shown["households"]} == {"03-2-1204": "已递交", "05-1-0502": "已出证"}
    assert shown["receipt_no"] == "FZ-018" and shown["stage"] == "办理中"
    assert archive.dossier("HXSZ/05-1-0502").certificate_status == "已办结"
    r = _run(config, "cert", "deadlines", "HXSZ", "--json")
    rows = json.loads(r.output)["households"]  # type: ignore[attr-defined]
    assert [row["overdue"] for row in rows] == sorted((row["overdue"] for row in rows), reverse=True)
    r = _run(config, "cert", "leave", batch, "03-2-1204")
    assert r.exit_code == 2 and "--reason" in r.output  # type: ignore[attr-defined]
    r = _run(config, "cert", "submission-list", batch, "--reason", "递交登记中心", "--out", str(tmp_path / "l.xlsx"))
    assert r.exit_code == 0 and (tmp_path / "l.xlsx").is_file(), r.output  # type: ignore[attr-defined]


def test_cli_says_why_a_project_without_initial_registration_cannot_submit(archive: Archive, tmp_path: Path) -> None:
    config = _config(tmp_path, archive)
    ws = workspace(archive, tmp_path)
    without_initial_registration(ws)
    r = _run(config, "cert", "batch", "new", "HXSZ", "--units", "05-1-0502,03-2-1204")
    assert r.exit_code == 1  # type: ignore[attr-defined]
    assert "错误:以下住户不能加入办证批次：5栋1单元0502：项目 HXSZ 的初始登记（目前：办理中）尚未办结" in r.output  # type: ignore[attr-defined]
    r = _run(config, "cert", "prerequisites", "HXSZ")
    assert r.exit_code == 0 and "初始登记" in r.output and "办理中" in r.output  # type: ignore[attr-defined]
    r = _run(config, "cert", "prerequisite", "HXSZ", "initial_registration", "--status", "已办结", "--number", "闽(2026)1号")
    assert r.exit_code == 0 and "已登记 初始登记:已办结" in r.output, r.output  # type: ignore[attr-defined]
    r = _run(config, "cert", "batch", "new", "HXSZ", "--units", "05-1-0502", "--ready")
    assert r.exit_code == 2 and "二者选一" in r.output  # type: ignore[attr-defined]
