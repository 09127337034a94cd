"""``docgen generate`` and ``docgen templates`` through click's CliRunner: exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from docgen.archive import Archive
from docgen.cli.main import cli
from generate_helpers import TEMPLATES, add_ticket, copy_templates, write_template


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
    result = _run(_config(tmp_path, archive), "generate", "notices", "HXSZ/B01", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "handover_notice"
    assert [d["owner"] for d in data["documents"]] == ["HXSZ/03-2-1204", "HXSZ/05-1-0502", "HXSZ/05-1-0601"]
    assert all(Path(d["docx"]).is_file() for d in data["documents"])


def test_generate_compensation_table_output(archive: Archive, tmp_path: Path) -> None:
    ticket = add_ticket(archive)
    result = _run(_config(tmp_path, archive), "generate", "compensation", ticket.id)
    assert result.exit_code == 0, result.output
    assert "质量问题赔偿协议" in result.output and "HXSZ/03-2-1204" in result.output


def test_generate_reveal_needs_a_reason_and_is_journaled(archive: Archive, tmp_path: Path) -> None:
    """Before, --reveal put full ID numbers into a contract with no journal entry at all."""
    ticket = add_ticket(archive)
    config = _config(tmp_path, archive)
    before = archive.journal.last()["seq"]
    result = _run(config, "generate", "compensation", ticket.id, "--reveal")
    assert result.exit_code == 2 and "--reason" in result.output
    assert archive.journal.last()["seq"] == before and not (tmp_path / "out").exists()
    result = _run(config, "generate", "compensation", ticket.id, "--reveal", "--reason", "业主签约需完整身份证号", "--json")
    assert result.exit_code == 0, result.output
    entries = [e for e in archive.journal.entries(before) if e.action == "privacy.reveal"]
    assert len(entries) == 1 and entries[0].target == "HXSZ/03-2-1204" and ticket.id in entries[0].detail["what"]
    assert entries[0].seq == before + 1  # journaled before the agreement was filed


def test_generate_plan_and_unknown_batch(archive: Archive, tmp_path: Path) -> None:
    config = _config(tmp_path, archive)
    assert _run(config, "generate", "handover-plan", "B01").exit_code == 0
    result = _run(config, "generate", "handover-plan", "B09")
    assert result.exit_code == 1
    assert "错误:交房批次 B09 不存在" in result.output


def test_generate_missing_field_exit_1(archive: Archive, tmp_path: Path) -> None:
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
                                                             "settlement_sheet", "cert_checklist", "power_of_attorney",
                                                             "certificate_notice"}
    checked = _run(config, "templates", "check")
    assert checked.exit_code == 0, checked.output
    assert "交房通知书(handover_notice.docx):通过" in checked.output and "owner_names" in checked.output


@pytest.mark.parametrize("line", ["{{ invoice_no }}", "{{ cycler.__init__.__globals__.os.popen('id').read() }}"])
def test_templates_check_fails(archive: Archive, tmp_path: Path, line: str) -> None:
    folder = copy_templates(tmp_path)
    write_template(folder / "handover_notice.docx", "{{ owner_names }}", line)
    result = _run(_config(tmp_path, archive, templates=folder), "templates", "check", "--json")
    assert result.exit_code == 1
    report = {r["kind"]: r for r in json.loads(result.output)}["handover_notice"]
    assert not report["ok"]
    assert "invoice_no" in report["unsupplied"] or "不安全" in report["error"]
