"""The archive commands through click's CliRunner, against a real archive in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import build_small_archive, make_id
from docgen.archive import Archive
from docgen.cli.main import cli


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    build_small_archive(tmp_path / "records")
    (tmp_path / "docgen.toml").write_text('[archive]\npath = "records"\nactor = "客服专员小王"\n', "utf-8")
    return tmp_path


def run(workdir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(workdir / "docgen.toml"), *args], catch_exceptions=False)


def test_init_creates_an_archive_and_refuses_twice(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["init", str(tmp_path / "new"), "--name", "测试档案"])
    assert r.exit_code == 0, r.output
    assert "已新建档案库「测试档案」" in r.output
    assert Archive.open(tmp_path / "new" / "records").name == "测试档案"
    assert sorted(p.name for p in (tmp_path / "new" / "templates").iterdir()) == [
        "area_adjustment.docx", "cert_checklist.docx", "certificate_notice.docx", "compensation_agreement.docx",
        "handover_notice.docx", "handover_plan.docx", "power_of_attorney.docx", "settlement_sheet.docx"]
    check = CliRunner().invoke(cli, ["--config", str(tmp_path / "new" / "docgen.toml"), "templates", "check"])
    assert check.exit_code == 0, check.output
    again = CliRunner().invoke(cli, ["init", str(tmp_path / "new")])
    assert again.exit_code == 1 and "已初始化" in again.output


def test_project_list_and_show(workdir: Path) -> None:
    r = run(workdir, "project", "list", "--json")
    assert r.exit_code == 0
    assert json.loads(r.output) == [{"code": "HXSZ", "name": "华轩首座", "city": "福州",
                                     "developer": "福州华轩置业有限公司", "dossiers": 4, "batches": 1}]
    r = run(workdir, "project", "show", "hxsz")
    assert "91350100M000100Y43" in r.output and "一期" in r.output


def test_project_new_warns_on_bad_credit_code_but_saves(workdir: Path) -> None:
    r = run(workdir, "project", "new", "LSY", "--name", "鹭岛山语", "--developer", "厦门某置业有限公司",
            "--credit-code", "91350100M000100Y44", "--phase", "一期:01,02")
    assert r.exit_code == 0, r.output
    assert "警告" in r.output and "应为 3" in r.output
    assert Archive.open(workdir / "records").project("LSY").phases[0].buildings == ["01", "02"]


def test_dossier_new_validates_id_and_names_the_field(workdir: Path) -> None:
    r = run(workdir, "dossier", "new", "HXSZ/3栋2单元1301", "--owner", "周杰", "--id-number", "110105194912310021",
            "--phone", "13800001111")
    assert r.exit_code == 1
    assert "id_number" in r.output and "校验位错误" in r.output
    r = run(workdir, "dossier", "new", "HXSZ/3栋2单元1301", "--owner", "周杰", "--id-number", make_id(seq=777),
            "--phone", "13800001111", "--co-owner", f"吴敏,{make_id('19900101', 888)},13900002222")
    assert r.exit_code == 0, r.output
    d = Archive.open(workdir / "records").dossier("HXSZ/03-2-1301")
    assert [o.role for o in d.owners] == ["主购人", "共有人"]


def test_dossier_new_unknown_project(workdir: Path) -> None:
    r = run(workdir, "dossier", "new", "NOPE/3栋2单元1301", "--owner", "周杰", "--id-number", make_id(seq=1))
    assert r.exit_code == 1 and "项目 NOPE 不存在" in r.output


def test_dossier_show_masks_unless_revealed_and_reveal_is_journaled(workdir: Path) -> None:
    r = run(workdir, "dossier", "show", "HXSZ/3栋2单元1204")
    assert r.exit_code == 0
    full_id = make_id("19850512", 246)
    assert full_id not in r.output and full_id[:6] + "********" + full_id[-4:] in r.output
    assert "139****4321" in r.output
    r = run(workdir, "dossier", "show", "HXSZ/03-2-1204", "--reveal", "--reason", "业主来电办理产权证", "--json")
    assert json.loads(r.output)["owners"][0]["id_number"] == full_id
    last = Archive.open(workdir / "records").journal.last()
    assert last is not None and last["action"] == "privacy.reveal" and last["actor"] == "客服专员小王"
    assert last["target"] == "HXSZ/03-2-1204" and last["detail"]["why"] == "业主来电办理产权证"
    assert last["detail"]["where"] == "屏幕(JSON 输出)" and "身份证号码" in last["detail"]["what"]


@pytest.mark.parametrize("args", [["dossier", "show", "HXSZ/03-2-1204"], ["dossier", "list"], ["batch", "show", "HXSZ/B01"],
                                  ["document", "show", "DOC-2024-000001", "--text"]])
def test_every_reveal_needs_a_reason(workdir: Path, args: list[str]) -> None:
    """A reveal names who, what, why and where: without --reason nothing is shown and nothing journaled."""
    before = Archive.open(workdir / "records").journal.last()
    for extra, fragment in ((["--reveal"], "--reason"), (["--reveal", "--reason", " "], "--reason"),
                            (["--reveal", "--reason", "看\n看"], "换行"), (["--reason", "看看"], "--reveal")):
        r = run(workdir, *args, *extra)
        assert r.exit_code == 2 and fragment in r.output, (extra, r.output)
        assert make_id("19850512", 246) not in r.output
    assert Archive.open(workdir / "records").journal.last() == before


def test_list_reveals_name_what_was_shown(workdir: Path) -> None:
    r = run(workdir, "dossier", "list", "--reveal", "--reason", "电话回访", "--json")
    assert r.exit_code == 0 and "13987654321" in r.output
    last = Archive.open(workdir / "records").journal.last()
    assert last["target"] == "HXSZ" and last["detail"]["count"] == 4  # was "" before
    assert "HXSZ/03-2-1204" in last["detail"]["records"]
    r = run(workdir, "batch", "show", "HXSZ/B01", "--reveal", "--reason", "交房预约电话", "--json")
    assert r.exit_code == 0 and "13987654321" in r.output
    last = Archive.open(workdir / "records").journal.last()
    assert last["target"] == "HXSZ/B01" and last["detail"]["records"] == ["HXSZ/03-2-1204", "HXSZ/05-1-0502",
                                                                          "HXSZ/05-1-0601"]


def test_dossier_list_filters(workdir: Path) -> None:
    r = run(workdir, "dossier", "list", "--stage", "交房", "--json")
    rows = json.loads(r.output)
    assert [row["key"] for row in rows] == ["HXSZ/03-2-1204", "HXSZ/05-1-0502"]
    assert all("****" in row["phone"] for row in rows)


def test_dossier_set_changes_fields_and_refuses_bad_ones(workdir: Path) -> None:
    r = run(workdir, "dossier", "set", "HXSZ/03-2-1203", "stage=交房", "delivered_on=2026-06-21",
            "owners[0].phone=13600000000")
    assert r.exit_code == 0, r.output
    d = Archive.open(workdir / "records").dossier("HXSZ/03-2-1203")
    assert d.stage == "交房" and str(d.delivered_on) == "2026-06-21" and d.owners[0].phone == "13600000000"
    for bad, fragment in [("stage=拆迁", "阶段 取值「拆迁」无效,应为 签约、交房、办证或保修期"), ("delivered_on=明天", "YYYY-MM-DD"), ("colour=red", "没有字段"),
                          ("documents=x", "不能用 set"), ("owners[5].phone=1", "没有第 5 项"), ("stage", "字段=值")]:
        r = run(workdir, "dossier", "set", "HXSZ/03-2-1203", bad)
        assert r.exit_code in (1, 2) and fragment in r.output, (bad, r.output)


def test_document_add_show_and_types(workdir: Path, tmp_path: Path) -> None:
    f = tmp_path / "交接书.pdf"
    f.write_bytes(b"%PDF-1.4 handover")
    r = run(workdir, "document", "add", "HXSZ/03-2-1204", str(f), "--type", "房屋交接书", "--date", "2026-06-20",
            "--signed")
    assert r.exit_code == 0, r.output
    doc_id = r.output.split()[1].split(":")[0]
    r = run(workdir, "document", "show", doc_id, "--json")
    view = json.loads(r.output)
    assert view["type"] == "handover_record" and view["signed"] and view["owner"] == "HXSZ/03-2-1204"
    r = run(workdir, "document", "add", "HXSZ/03-2-1204", str(f), "--type", "不存在的类型")
    assert r.exit_code == 1 and "未知的文件类型" in r.output
    r = run(workdir, "document", "types")
    assert "handover_record" in r.output and "房屋交接书" in r.output
    r = run(workdir, "document", "show", "DOC-1999-000001")
    assert r.exit_code == 1 and "不存在" in r.output
    r = run(workdir, "document", "show", "../../etc/passwd")
    assert r.exit_code == 1 and "无效" in r.output


def test_repair_complaint_revisit_lifecycle(workdir: Path) -> None:
    r = run(workdir, "repair", "new", "HXSZ/05-1-0601", "--component", "卫生间地面渗漏", "--description", "楼下渗水",
            "--reported-on", "2026-07-01", "--json")
    ticket = json.loads(r.output)["id"]
    assert run(workdir, "repair", "update", ticket, "status=维修中", "responsibility=施工单位").exit_code == 0
    r = run(workdir, "repair", "close", ticket, "--acceptance", "合格", "--on", "2026-07-10", "--json")
    closed = json.loads(r.output)
    assert closed["status"] == "已关闭" and closed["owner_acceptance"] == "合格" and closed["closed_on"] == "2026-07-10"
    r = run(workdir, "complaint", "new", "HXSZ/05-1-0601", "--category", "工程质量", "--description", "维修太慢",
            "--first-responder", "陈晨", "--received-on", "2026-07-02", "--json")
    cid = json.loads(r.output)["id"]
    r = run(workdir, "complaint", "close", cid, "--resolution", "已致歉并加快维修", "--on", "2026-07-05", "--json")
    assert json.loads(r.output)["status"] == "已关闭"
    r = run(workdir, "revisit", "new", "HXSZ/05-1-0601", "--by", "小王", "--date", "2026-07-08", "--reason", "投诉后回访",
            "--related", cid, "--json")
    planned = json.loads(r.output)
    assert planned["status"] == "待回访" and planned["satisfaction"] is None
    r = run(workdir, "revisit", "close", planned["id"], "--satisfaction", "B", "--notes", "基本满意", "--json")
    assert json.loads(r.output)["satisfaction"] == "B"
    r = run(workdir, "dossier", "show", "HXSZ/05-1-0601")
    assert ticket in r.output and cid in r.output


def test_settlement_new_and_approve(workdir: Path) -> None:
    r = run(workdir, "settlement", "new", "HXSZ/05-1-0601", "--contractor", "福州安居维修工程有限公司",
            "--item", "卫生间防水重做,m²,6.5,6.2,185.00", "--deduction", "预留质保金,57.35", "--handled-by", "小王",
            "--json")
    assert r.exit_code == 0, r.output
    sheet = json.loads(r.output)
    assert sheet["status"] == "草稿" and sheet["handled_by"] == "小王"
    r = run(workdir, "settlement", "approve", sheet["id"], "--role", "客户服务部负责人", "--name", "林经理")
    assert r.exit_code == 1 and "现在应由「经办人」签字" in r.output  # out of order: refused
    r = run(workdir, "settlement", "approve", sheet["id"], "--name", "小王", "--json")  # the next step by default
    assert json.loads(r.output)["status"] == "审批中"
    r = run(workdir, "settlement", "approve", sheet["id"], "--role", "客户服务部负责人", "--name", "林经理", "--json")
    data = json.loads(r.output)
    assert [a["role"] for a in data["approvals"]] == ["经办人", "客户服务部负责人"]
    assert data["status"] == "已审批"  # 1,147.00 yuan: the chain ends with 客户服务部负责人
    r = run(workdir, "settlement", "show", sheet["id"], "--json")
    data = json.loads(r.output)
    assert data["approved_total"] == "1147.00" and data["payable"] == "1089.65"
    r = run(workdir, "settlement", "new", "HXSZ/05-1-0601", "--contractor", "x", "--item", "坏,项,1")
    assert r.exit_code == 2 and "结算项" in r.output


def test_batch_commands(workdir: Path) -> None:
    r = run(workdir, "batch", "new", "HXSZ/B02", "--name", "二批", "--start", "2026-09-01", "--end", "2026-09-03",
            "--venue", "会所", "--building", "3")
    assert r.exit_code == 0, r.output
    assert "共 2 户" in r.output
    r = run(workdir, "batch", "unit", "HXSZ/B02", "3栋2单元1203", "status=已预约", "appointment=2026-09-01T09:30")
    assert r.exit_code == 0, r.output
    r = run(workdir, "batch", "show", "HXSZ/B02", "--json")
    data = json.loads(r.output)
    assert data["units"][0]["status"] == "已预约" and "****" in data["units"][0]["phone"]
    r = run(workdir, "batch", "new", "HXSZ/B03", "--name", "x", "--start", "2026-09-05", "--end", "2026-09-01",
            "--venue", "x")
    assert r.exit_code == 1 and "早于开始日期" in r.output
    r = run(workdir, "batch", "new", "HXSZ/../B03", "--name", "x", "--start", "2026-09-01", "--end", "2026-09-01",
            "--venue", "x")
    assert r.exit_code == 2


def test_journal_command(workdir: Path) -> None:
    r = run(workdir, "journal", "--limit", "2", "--json")
    entries = json.loads(r.output)
    assert [e["action"] for e in entries] == ["dossier.new", "batch.new"]


def test_unknown_config_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "docgen.toml").write_text('[archive]\npaht = "records"\n', "utf-8")
    r = CliRunner().invoke(cli, ["--config", str(tmp_path / "docgen.toml"), "project", "list"])
    assert r.exit_code == 2 and "paht" in r.output and "path" in r.output


def test_edits_keep_an_existing_search_index_current(workdir: Path) -> None:
    (workdir / "docgen.toml").write_text(
        '[archive]\npath = "records"\nactor = "小王"\n[search]\nindex_path = "index"\n', "utf-8")
    assert run(workdir, "index", "rebuild").exit_code == 0
    r = run(workdir, "repair", "new", "HXSZ/05-1-0601", "--component", "门窗", "--description", "阳台推拉门滑轮脱落",
            "--reported-on", "2026-07-01")
    assert r.exit_code == 0, r.output
    status = json.loads(run(workdir, "index", "status", "--json").output)
    assert status["seq"] == status["archive_seq"] and status["pending_entries"] == 0
    hits = json.loads(run(workdir, "search", "推拉门滑轮", "--json").output)
    assert any(h["kind"] == "repair" for h in hits["hits"])


def test_numbers_typed_into_case_text_are_masked_too(workdir: Path) -> None:
    full_phone, full_id = "13912345678", make_id("19680427", 607)
    r = run(workdir, "complaint", "new", "HXSZ/05-1-0601", "--category", "物业服务", "--first-responder", "张三",
            "--description", f"请回拨 {full_phone},身份证 {full_id}")
    assert r.exit_code == 0, r.output
    shown = run(workdir, "dossier", "show", "HXSZ/05-1-0601", "--json").output
    assert full_phone not in shown and full_id not in shown and "139****5678" in shown
    revealed = run(workdir, "dossier", "show", "HXSZ/05-1-0601", "--json", "--reveal", "--reason", "回拨业主").output
    assert full_phone in revealed and full_id in revealed


ID_CARD = make_id("19651116", 358, area="350121")


def _scan_with_personal_data(workdir: Path, tmp_path: Path) -> str:
    """File a scanned ID card copy (text as OCR reads it) into HXSZ/03-2-1203; return its document id."""
    archive = Archive.open(workdir / "records")
    src = tmp_path / f"身份证{ID_CARD}.pdf"
    src.write_bytes(b"%PDF-1.4 id card")
    doc = archive.add_document("HXSZ/03-2-1203", src, doc_type="id_copy", text_pages=[
        "居民身份证(复印件)\n姓名 张伟   性别 男   民族 汉\n住址 福建省福州市鼓楼区东街1号\n"
        f"公民身份号码 {ID_CARD}", "联系电话:13812345678  通讯地址:福建省福州市仓山区金山大道618号3栋",
        "业主住在福州市鼓楼区东街1号,离售楼处不远。"])
    return doc.id


def test_document_text_is_masked_unless_revealed(workdir: Path, tmp_path: Path) -> None:
    """Before, document show --text printed full ID numbers and addresses with no --reveal and no journal entry."""
    doc_id = _scan_with_personal_data(workdir, tmp_path)
    before = Archive.open(workdir / "records").journal.last()
    for args in (["document", "show", doc_id, "--text"], ["document", "show", doc_id, "--text", "--json"]):
        r = run(workdir, *args)
        assert r.exit_code == 0, r.output
        for secret in (ID_CARD, "13812345678", "东街1号", "金山大道618号"):
            assert secret not in r.output, (secret, args)
        assert ID_CARD[:6] + "********" + ID_CARD[-4:] in r.output and "138****5678" in r.output
        assert "福建省福州市" in r.output  # province and city stay, as everywhere else
    view = json.loads(r.output)
    assert view["text"][0].count("*") >= 8 and len(view["text"][2]) == len("业主住在福州市鼓楼区东街1号,离售楼处不远。")
    assert ID_CARD not in view["original_name"]
    assert Archive.open(workdir / "records").journal.last() == before  # a masked view is no reveal
    r = run(workdir, "document", "show", doc_id, "--text", "--reveal", "--reason", "核对身份证复印件", "--json")
    assert r.exit_code == 0 and ID_CARD in r.output and "东街1号" in r.output
    last = Archive.open(workdir / "records").journal.last()
    assert last["action"] == "privacy.reveal" and last["target"] == "HXSZ/03-2-1203"
    assert doc_id in last["detail"]["what"] and last["detail"]["records"] == [doc_id]


def test_big_amount_is_refused_not_a_traceback(workdir: Path) -> None:
    r = run(workdir, "dossier", "set", "HXSZ/03-2-1203", "price_total=1e30")
    assert r.exit_code == 1 and "总房款" in r.output and "超出范围" in r.output


def test_dates_that_do_not_exist_are_named_as_such(workdir: Path) -> None:
    r = run(workdir, "dossier", "set", "HXSZ/03-2-1203", "delivered_on=2026-02-29")
    assert r.exit_code == 1 and "2026 年 2 月只有 28 天" in r.output and "格式" not in r.output, r.output
    r = run(workdir, "batch", "new", "HXSZ/B09", "--name", "x", "--start", "2026-02-30", "--end", "2026-03-01",
            "--venue", "x")
    assert r.exit_code == 2 and "2026 年 2 月只有 28 天" in r.output, r.output
    r = run(workdir, "batch", "new", "HXSZ/B09", "--name", "x", "--start", "2026/02", "--end", "2026-03-01",
            "--venue", "x")
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output


def test_bad_project_code_in_commands(workdir: Path) -> None:
    for args in (["batch", "show", "X/B01"], ["batch", "list", "--project", "X"], ["dossier", "list", "--project", "../x"]):
        r = run(workdir, *args)
        assert r.exit_code == 1 and "项目编号" in r.output, args
