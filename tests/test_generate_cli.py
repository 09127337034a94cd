"""``docgen generate`` and ``docgen templates`` through click's CliRunner: exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from docgen.archive import Archive
from docgen.cli.main import cli
from generate_helpers import (
    TEMPLATES,
    add_settlement,
    add_ticket,
    copy_templates,
    ready_for_notices,
    write_template,
)


def _config(tmp_path: Path, archive: Archive, templates: Path = TEMPLATES, extra: str = "") -> Path:
    path = tmp_path / "docgen.toml"
    path.write_text(
        f'[archive]\npath = "{archive.root}"\nactor = "测试员"\n\n'
        f'[generate]\ntemplates = "{templates}"\noutput = "{tmp_path / "out"}"\n{extra}',
        "utf-8",
    )
    return path


def _run(config: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_generate_notices_json(archive: Archive, tmp_path: Path) -> None:
    ready_for_notices(archive)
    result = _run(_config(tmp_path, archive), "generate", "notices", "HXSZ/B01", "--json", "--channel", "快递")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "handover_notice"
    notices = [d for d in data["documents"] if d["kind"] == "handover_notice"]
    assert [d["owner"] for d in notices] == ["HXSZ/03-2-1204", "HXSZ/05-1-0502", "HXSZ/05-1-0601"]
    assert [d["title"] for d in data["documents"]][:2] == ["交房通知书", "面积补差单"]
    assert all(Path(d["docx"]).is_file() for d in data["documents"])
    assert len(data["flags"]) == 2 and data["refused"] == []
    assert {u.notice_channel for u in archive.batch("HXSZ", "B01").units} == {"快递"}


def test_notices_refused_per_unit_and_by_conditions(archive: Archive, tmp_path: Path) -> None:
    config = _config(tmp_path, archive)
    # the fixture's batch: conditions not recorded, every unit handed over: each unit refused, exit 1
    result = _run(config, "generate", "notices", "B01")
    assert result.exit_code == 1
    assert "未生成 3栋2单元1204:已收房" in result.output and "没有生成任何文书:所选的 3 户都不能生成" in result.output
    ready_for_notices(archive)
    with archive.edit_project("HXSZ", "project.edit", "撤销备案") as project:
        project.phases[0].completion_filed_on = None
    result = _run(config, "generate", "notices", "B01")
    assert result.exit_code == 1
    assert "错误:交房批次 HXSZ/B01(一期第一批交房)尚不具备交付条件" in result.output
    assert "竣工验收备案:一期未登记备案日期" in result.output
    assert "其他条件用 docgen batch condition HXSZ/B01 …);确需先行发出的,加 --force --reason 说明理由" in result.output
    result = _run(config, "generate", "notices", "B01", "--force")
    assert result.exit_code == 2 and "须用 --reason 写明理由" in result.output
    result = _run(config, "generate", "notices", "B01", "--force", "--reason", "备案已办结,待补录", "--unit", "03-2-1204")
    assert result.exit_code == 0, result.output
    assert "按 --force 生成;理由已记入日志:备案已办结,待补录" in result.output
    # again for one unit: the others refused, this one reissued
    result = _run(config, "generate", "notices", "B01", "--unit", "03-2-1204")
    assert result.exit_code == 1 and "如需补发请加 --again" in result.output


def test_batch_condition_command(archive: Archive, tmp_path: Path) -> None:
    config = _config(tmp_path, archive)
    result = _run(config, "batch", "condition", "HXSZ/B01", "两书", "--on", "2026-06-01", "--note", "每户一套")
    assert result.exit_code == 0, result.output
    assert "已登记 HXSZ/B01 交付条件「《住宅质量保证书》《住宅使用说明书》备齐」:已落实 2026-06-01" in result.output
    assert archive.batch("HXSZ", "B01").conditions[0].note == "每户一套"
    result = _run(config, "batch", "condition", "HXSZ/B01", "绿化")
    assert result.exit_code == 2 and "没有交付条件「绿化」" in result.output


def test_settlement_draft_and_final(archive: Archive, tmp_path: Path) -> None:
    sheet = add_settlement(archive)
    config = _config(tmp_path, archive)
    result = _run(config, "generate", "settlement", sheet.id)
    assert result.exit_code == 0 and "草稿" in result.output and "会签未完成(待客户服务部负责人、分管领导签字)" in result.output
    result = _run(config, "generate", "settlement", sheet.id, "--final")
    assert result.exit_code == 1 and "不能生成正式会签表" in result.output


def test_generate_compensation_table_output(archive: Archive, tmp_path: Path) -> None:
    ready_for_notices(archive, measured={})
    ticket = add_ticket(archive)
    result = _run(_config(tmp_path, archive), "generate", "compensation", ticket.id, "--reason", "签约")
    assert result.exit_code == 0, result.output
    assert "质量问题赔偿协议" in result.output and "HXSZ/03-2-1204" in result.output
    assert "已记入日志(privacy.reveal)" in result.output
    entry = archive.journal.last()
    assert entry is not None and entry["action"] == "privacy.reveal" and entry["detail"]["why"] == "签约"


def test_generate_reveal_needs_a_reason_and_is_journaled(archive: Archive, tmp_path: Path) -> None:
    """Before, --reveal put full phone numbers into the plan with no journal entry at all."""
    config = _config(tmp_path, archive)
    before = archive.journal.last()["seq"]
    result = _run(config, "generate", "handover-plan", "HXSZ/B01", "--reveal")
    assert result.exit_code == 2 and "--reason" in result.output
    assert archive.journal.last()["seq"] == before and not (tmp_path / "out").exists()
    result = _run(config, "generate", "handover-plan", "HXSZ/B01", "--reveal", "--reason", "现场核对业主电话", "--json")
    assert result.exit_code == 0, result.output
    entries = [e for e in archive.journal.entries(before) if e.action == "privacy.reveal"]
    assert len(entries) == 1 and entries[0].target == "HXSZ/B01" and "电话" in entries[0].detail["what"]
    assert entries[0].detail["why"] == "现场核对业主电话" and entries[0].detail["kind"] == "generate"
    doc_id = json.loads(result.output)["documents"][0]["doc_id"]
    assert doc_id in entries[0].detail["where"]  # names the document that carries the numbers


def test_generate_plan_and_unknown_batch(archive: Archive, tmp_path: Path) -> None:
    config = _config(tmp_path, archive)
    assert _run(config, "generate", "handover-plan", "B01").exit_code == 0
    result = _run(config, "generate", "handover-plan", "B09")
    assert result.exit_code == 1
    assert "错误:交房批次 B09 不存在" in result.output


def test_generate_missing_field_exit_1(archive: Archive, tmp_path: Path) -> None:
    ready_for_notices(archive, measured={})
    ticket = add_ticket(archive, compensation=None)
    result = _run(_config(tmp_path, archive), "generate", "compensation", ticket.id)
    assert result.exit_code == 1
    assert f"报修单 {ticket.id}" in result.output and "缺少字段 compensation(赔偿金额)" in result.output


def test_generate_pdf_without_libreoffice(archive: Archive, tmp_path: Path) -> None:
    config = _config(tmp_path, archive, extra='soffice = "/nonexistent/soffice"\n')
    result = _run(config, "generate", "notices", "B01", "--pdf")
    assert result.exit_code == 1
    assert "未安装 LibreOffice" in result.output


def test_templates_list_and_check(archive: Archive, tmp_path: Path) -> None:
    config = _config(tmp_path, archive)
    listed = _run(config, "templates", "list", "--json")
    assert listed.exit_code == 0
    assert {r["kind"] for r in json.loads(listed.output)} == {"handover_plan", "handover_notice", "compensation_agreement",
                                                             "settlement_sheet", "area_adjustment", "cert_checklist",
                                                             "power_of_attorney", "certificate_notice"}
    checked = _run(config, "templates", "check")
    assert checked.exit_code == 0, checked.output
    assert "交房通知书(handover_notice.docx):通过" in checked.output and "owner_names" in checked.output


@pytest.mark.parametrize("line", ["{{ invoice_no }}", "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
                                  "尊敬的业主:"])
def test_templates_check_fails(archive: Archive, tmp_path: Path, line: str) -> None:
    folder = copy_templates(tmp_path)
    write_template(folder / "handover_notice.docx", "{{ owner_names }}", line)
    result = _run(_config(tmp_path, archive, templates=folder), "templates", "check", "--json")
    assert result.exit_code == 1
    report = {r["kind"]: r for r in json.loads(result.output)}["handover_notice"]
    assert not report["ok"]
    assert "invoice_no" in report["unsupplied"] or "不安全" in report["error"] or "应为全角「：」" in report["style"][0]


def test_out_takes_a_folder_not_a_file_name(archive: Archive, tmp_path: Path) -> None:
    """Review: ``--out 协议.docx`` made a folder named 协议.docx; now it is refused in Chinese and nothing is made."""
    config = _config(tmp_path, archive)
    target = tmp_path / "协议.docx"
    result = _run(config, "generate", "compensation", "BX-2026-00001", "--out", str(target))
    assert result.exit_code == 2 and "像是文件名" in result.output  # type: ignore[attr-defined]
    assert not target.exists()
