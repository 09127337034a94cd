"""The department's rules on record data (docgen.validation), enforced by the real Archive and the CLI.

Each rule of issue 11 §2 is refused with its Chinese sentence on every path
that writes (``add_case``, ``update_case``, ``new_dossier``, ``edit_dossier``,
``edit_project``, the CLI); records written before the rules existed are
reported by the audit, and an unrelated edit of them is still allowed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conftest import build_small_archive, make_id
from docgen.archive import Archive
from docgen.audit.engine import Auditor
from docgen.audit.findings import RULES
from docgen.cli.main import cli
from docgen.errors import DocgenError, RecordError, ValidationFailed
from docgen.models import Building, Dossier, Owner
from docgen.validation import Context, RuleViolations, dossier_problems, unit_problem
from validation_helpers import write_unchecked

TODAY = dt.date(2026, 11, 30)
KEY = "HXSZ/05-1-0601"  # 保修期: signed 2024-05-13, delivered 2026-06-20


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    a = build_small_archive(tmp_path / "records")
    a._today = lambda: TODAY  # type: ignore[method-assign]
    return a


def refused(exc: pytest.ExceptionInfo[DocgenError]) -> list[str]:
    """The sentences of a refusal (RuleViolations is a ValidationFailed, a DocgenError)."""
    assert isinstance(exc.value, ValidationFailed)
    return list(exc.value.problems)


def repair(archive: Archive, **fields: Any) -> Any:
    base = {"reported_on": "2026-07-01", "component": "卫生间地面渗漏", "description": "楼下顶棚渗水"}
    return archive.add_case(KEY, "repairs", {**base, **fields})


def settlement(archive: Archive, items: list[dict[str, str]], **fields: Any) -> Any:
    base: dict[str, Any] = {"created_on": "2026-08-01", "contractor": "福州安居维修工程有限公司", "items": items}
    return archive.add_case(KEY, "settlements", {**base, **fields})


def item(price: str, declared: str = "1", approved: str = "1", name: str = "卫生间防水重做") -> dict[str, str]:
    return {"item": name, "unit": "项", "declared_qty": declared, "approved_qty": approved, "unit_price": price}


def sign(*roles: str, decision: str = "同意") -> list[dict[str, str]]:
    return [{"role": r, "name": f"{r}签字人", "decision": decision, "date": "2026-08-02"} for r in roles]


# -- money ------------------------------------------------------------------------------------------
def test_negative_compensation_is_refused(archive: Archive) -> None:
    r = repair(archive)
    with pytest.raises(RuleViolations) as exc:
        archive.update_case(r.id, {"compensation": "-400.00"})
    assert refused(exc) == [f"报修单 {r.id} 的赔偿金额为负数(-400.00 元)"]
    assert exc.value.found[0].code == "VALID.MONEY" and exc.value.found[0].field == "赔偿金额"
    assert archive.find_case(r.id)[2].compensation is None  # nothing written


def test_negative_unit_price_quantity_above_declared_and_deductions_above_total(archive: Archive) -> None:
    with pytest.raises(ValidationFailed) as exc:
        settlement(archive, [item("-5.00")])
    assert refused(exc) == ["结算会签 HQ-2026-00001 第 1 项结算明细的合同单价为负数(-5.00 元)"]
    with pytest.raises(ValidationFailed) as exc:
        settlement(archive, [item("100.00", declared="6.5", approved="7")])
    assert refused(exc) == ["结算会签 HQ-2026-00001 第 1 项结算明细的核定数量(7)超过申报数量(6.5)"]
    with pytest.raises(ValidationFailed) as exc:
        settlement(archive, [item("100.00")], deductions=[{"name": "预留质保金", "amount": "500.00"}])
    assert refused(exc) == [
        "结算会签 HQ-2026-00001 的本次付款为负数(-400.00 元):扣款合计 500.00 元与已付累计 0.00 元超过了结算总价 100.00 元"
    ]
    ok = settlement(archive, [item("100.00", declared="6.5", approved="6")],
                    deductions=[{"name": "预留质保金", "amount": "30.00"}])
    assert ok.id == "HQ-2026-00001" and ok.payable == Decimal("570.00")  # refusals used no number


def test_absurd_amounts_are_refused_without_a_traceback(archive: Archive) -> None:
    r = repair(archive)
    with pytest.raises(RecordError) as exc:
        archive.update_case(r.id, {"compensation": "1e30"})
    assert str(exc.value) == f"报修单 {r.id} 的赔偿金额:金额「1e30」超出范围(最大 999,999,999,999.99 元)"
    with pytest.raises(RecordError, match=r"第 1 项结算明细的核定数量:数量「1e30」超出范围"):
        settlement(archive, [item("10.00", approved="1e30")])
    with pytest.raises(ValidationFailed) as vexc:
        archive.update_case(r.id, {"compensation": "200000000.00"})
    assert refused(vexc) == [f"报修单 {r.id} 的赔偿金额 200000000.00 元超出上限 100000000.00 元"]


# -- dates -----------------------------------------------------------------------------------------
def test_dates_in_the_order_things_happen(archive: Archive) -> None:
    r = repair(archive, responded_on="2026-07-03")
    with pytest.raises(ValidationFailed) as exc:
        archive.update_case(r.id, {"completed_on": "2026-07-01"})
    assert refused(exc) == [f"报修单 {r.id} 的完成日期早于响应日期(完成日期 2026-07-01,响应日期 2026-07-03)"]
    with pytest.raises(ValidationFailed) as exc:
        archive.update_case(r.id, {"responded_on": "2026-06-30"})
    assert refused(exc) == [f"报修单 {r.id} 的响应日期早于报修日期(响应日期 2026-06-30,报修日期 2026-07-01)"]
    with pytest.raises(ValidationFailed) as exc:
        repair(archive, reported_on="2026-06-01")  # a warranty repair reported before the handover
    assert refused(exc) == ["报修单 BX-2026-00002 的报修日期早于交房日期(报修日期 2026-06-01,交房日期 2026-06-20)"]
    with pytest.raises(ValidationFailed) as exc, archive.edit_dossier("HXSZ/03-2-1204", "dossier.set", "x") as (d, _):
        d.delivered_on = dt.date(2024, 5, 1)
    assert refused(exc) == ["档案 HXSZ/03-2-1204 的交房日期早于签约日期(交房日期 2024-05-01,签约日期 2024-05-11)"]
    complaint = archive.add_case(KEY, "complaints", {"received_on": "2026-07-05", "first_responder": "陈晨",
                                                     "category": "工程质量", "description": "漏水"})
    with pytest.raises(ValidationFailed, match="的关闭日期早于受理日期"):
        archive.update_case(complaint.id, {"status": "已关闭", "closed_on": "2026-07-04"})


def test_nothing_in_the_future_except_planned_dates(archive: Archive) -> None:
    with pytest.raises(ValidationFailed) as exc:
        repair(archive, reported_on="3026-01-01")
    assert refused(exc) == [
        "报修单 BX-2026-00001 的报修日期在今天之后(3026-01-01,今天是 2026-11-30);已发生的事不能记在将来"
    ]
    with pytest.raises(ValidationFailed, match=r"回访 HF-2026-00001 的回访日期在今天之后\(2026-12-05"):
        archive.add_case(KEY, "revisits", {"date": "2026-12-05", "by": "小王", "satisfaction": "A"})
    planned = archive.add_case(KEY, "revisits", {"date": "2026-12-05", "by": "小王", "status": "待回访"})
    assert planned.status == "待回访"  # a planned revisit may lie ahead
    with pytest.raises(ValidationFailed) as exc, archive.edit_dossier("HXSZ/03-2-1203", "dossier.set", "x") as (d, _):
        d.delivery_due = dt.date(3026, 1, 1)  # planned, but a thousand years out
    assert refused(exc) == [
        "档案 HXSZ/03-2-1203 的合同约定交付日期 3026-01-01 过远(计划日期最多在 10 年之内,即 2036-11-30 之前)"
    ]
    with pytest.raises(ValidationFailed, match=r"签约日期 1900-01-01 不合理\(不应早于 1980 年\)"), \
            archive.edit_dossier("HXSZ/03-2-1203", "dossier.set", "x") as (d, _):
        d.signed_on = dt.date(1900, 1, 1)


# -- references --------------------------------------------------------------------------------------
def test_references_must_exist_in_the_dossier(archive: Archive) -> None:
    r = repair(archive)
    with pytest.raises(ValidationFailed) as exc:
        archive.add_case(KEY, "complaints", {"received_on": "2026-07-05", "first_responder": "陈晨",
                                              "category": "工程质量", "description": "漏水",
                                              "related_repairs": [r.id, "BX-2099-99999"]})
    assert refused(exc) == [f"投诉 TS-2026-00001 的相关报修单 BX-2099-99999 不在本户档案中(本户的报修单:{r.id})"]
    c = archive.add_case(KEY, "complaints", {"received_on": "2026-07-05", "first_responder": "陈晨",
                                             "category": "工程质量", "description": "漏水", "related_repairs": [r.id]})
    assert c.related_repairs == [r.id]
    with pytest.raises(ValidationFailed, match="回访 HF-2026-00001 的相关记录 TS-2099-00001 不在本户档案中"):
        archive.add_case(KEY, "revisits", {"date": "2026-07-08", "by": "小王", "satisfaction": "A",
                                           "related": "TS-2099-00001"})
    with pytest.raises(ValidationFailed) as exc:
        settlement(archive, [item("100.00")], repair_ids=["BX-2099-99999"])
    assert refused(exc) == [f"结算会签 HQ-2026-00001 的维修单号 BX-2099-99999 不在本户档案中(本户的报修单:{r.id})"]
    with pytest.raises(ValidationFailed, match=r"不在本户档案中\(本户的报修单:无\)"):
        archive.add_case("HXSZ/05-1-0502", "settlements", {
            "created_on": "2026-08-01", "contractor": "x", "items": [item("1.00")], "repair_ids": [r.id]})


# -- units -----------------------------------------------------------------------------------------------
def _owner() -> list[Owner]:
    return [Owner(name="周杰", id_number=make_id("19700101", 999))]


def test_a_dossier_for_a_building_outside_the_project_is_refused(archive: Archive) -> None:
    with pytest.raises(ValidationFailed) as exc:
        archive.new_dossier(Dossier(project="HXSZ", unit="99-9-9999", owners=_owner()))
    assert refused(exc) == ["档案 HXSZ/99-9-9999 的房号 99栋9单元9999 不存在:99栋不是项目 HXSZ 的楼栋(已有:3栋、5栋)"]
    assert not archive.dossier_exists("HXSZ/99-9-9999")
    # without a structure only the building is known: any room of building 05 is accepted (old projects keep working)
    assert archive.new_dossier(Dossier(project="HXSZ", unit="05-9-9999", owners=_owner())).unit == "05-9-9999"


def test_the_building_structure_says_which_rooms_exist(archive: Archive) -> None:
    with archive.edit_project("HXSZ", "project.edit", "录入楼栋结构") as p:
        p.phases[0].structure = [Building(code="03", entrances=2, lowest_floor=2, floors=33, rooms_per_floor=4,
                                          skipped_floors=[13])]
    for unit, reason in [
        ("03-3-0501", "3栋只有 2 个单元"),
        ("03-1-3401", "3栋的住宅楼层为 2-33 层,没有 34 层"),
        ("03-1-0101", "3栋的住宅楼层为 2-33 层,没有 1 层"),
        ("03-1-1301", "3栋不设 13 层"),
        ("03-1-0505", "3栋每层每单元只有 4 户(01-04)"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            archive.new_dossier(Dossier(project="HXSZ", unit=unit, owners=_owner()))
        label = f"3栋{unit[3]}单元{unit[5:]}"
        assert refused(exc) == [f"档案 HXSZ/{unit} 的房号 {label} 不存在:{reason}"]
    assert archive.new_dossier(Dossier(project="HXSZ", unit="03-1-0504", owners=_owner())).key == "HXSZ/03-1-0504"
    # the existing dossiers (03-2-1203, 03-2-1204) fit the structure: editing them is unaffected
    with archive.edit_dossier("HXSZ/03-2-1203", "dossier.set", "备注") as (d, _):
        d.notes = "已核对"


def test_a_structure_that_contradicts_the_phase_is_refused(archive: Archive) -> None:
    with pytest.raises(ValidationFailed) as exc, archive.edit_project("HXSZ", "project.edit", "x") as p:
        p.phases[0].structure = [Building(code="07", entrances=2, floors=20, rooms_per_floor=4)]
    assert refused(exc) == ["项目 HXSZ 一期 7栋的楼栋结构:7栋不在该期的楼栋中(该期楼栋:3栋、5栋)"]
    with pytest.raises(ValidationFailed, match="最低住宅层\\(30\\)高于最高层\\(20\\)"), \
            archive.edit_project("HXSZ", "project.edit", "x") as p:
        p.phases[0].structure = [Building(code="05", entrances=2, lowest_floor=30, floors=20, rooms_per_floor=4)]


def test_a_unit_table_is_the_authority_when_it_exists(archive: Archive) -> None:
    project = archive.project("HXSZ")
    assert unit_problem(project, "05-9-9999") is None  # by building number only
    assert unit_problem(project, "05-9-9999", {"05-1-0601"}) == "5栋9单元9999 不在项目 HXSZ 的楼盘表中"
    assert unit_problem(project, "05-1-0601", {"05-1-0601"}) is None
    ctx = Context(archive.validation_context().rules, TODAY, None, project, unit_table={"05-1-0601"})
    codes = [p.code for p in dossier_problems(archive.dossier("HXSZ/05-1-0502"), ctx)]
    assert codes == ["VALID.UNIT"]


# -- vocabularies ---------------------------------------------------------------------------------------
def test_components_categories_and_channels_come_from_the_vocabularies(archive: Archive) -> None:
    with pytest.raises(ValidationFailed) as exc:
        repair(archive, component="外星人入侵")
    (message,) = refused(exc)
    assert message.startswith("报修单 BX-2026-00001 的部位「外星人入侵」不在保修期表中,应为 「屋面防水」、「管道堵塞」、")
    assert "或「地基基础和主体结构」" in message
    assert repair(archive, component="厨房下水堵塞").component == "厨房下水堵塞"  # a match word of 管道堵塞
    with pytest.raises(ValidationFailed) as exc:
        archive.add_case(KEY, "complaints", {"received_on": "2026-07-05", "first_responder": "陈晨",
                                              "category": "外星人入侵", "description": "x"})
    assert refused(exc) == [
        "投诉 TS-2026-00001 的类别「外星人入侵」不在规定类别中,应为 工程质量、交付延期、面积差异、办证进度、物业服务、"
        "噪音扰民、规划变更、配套设施、销售承诺、合同争议、服务态度或其他"
    ]
    assert archive.add_case(KEY, "complaints", {"received_on": "2026-07-05", "first_responder": "陈晨",
                                                "category": "交付延期", "description": "x"}).category == "交付延期"
    with pytest.raises(ValidationFailed, match="的渠道「飞鸽传书」不在规定渠道中,应为 电话、400热线、"):
        repair(archive, channel="飞鸽传书")


def test_vocabularies_are_data_in_the_rules_file(archive: Archive) -> None:
    from docgen.audit.rules import default_rules_bytes

    rules = json.loads(default_rules_bytes())
    rules["vocabularies"]["complaint_categories"].append("外星人入侵")
    archive.write_config_file("rules.json", json.dumps(rules, ensure_ascii=False).encode(), "加一个投诉类别")
    c = archive.add_case(KEY, "complaints", {"received_on": "2026-07-05", "first_responder": "陈晨",
                                             "category": "外星人入侵", "description": "x"})
    assert c.category == "外星人入侵"


# -- the countersign chain ---------------------------------------------------------------------------------
def test_signatures_follow_the_chain_the_amount_requires(archive: Archive) -> None:
    s = settlement(archive, [item("5000.00")], approvals=sign("经办人"))  # 5,000: 经办人 → 客户服务部负责人 → 分管领导
    with pytest.raises(ValidationFailed) as exc:
        archive.update_case(s.id, {"approvals": sign("经办人", "总经理", "客户服务部负责人")})
    assert refused(exc) == [
        f"结算会签 {s.id} 的会签中有「总经理」签字,但审定金额 5000.00 元的会签链为 经办人 → 客户服务部负责人 → 分管领导,"
        "其中没有该角色"
    ]
    with pytest.raises(ValidationFailed) as exc:
        archive.update_case(s.id, {"approvals": sign("经办人", "分管领导")})
    assert refused(exc) == [
        f"结算会签 {s.id} 的「分管领导」在「客户服务部负责人」之前签字;会签链为 经办人 → 客户服务部负责人 → 分管领导,"
        "须按顺序逐级签字"
    ]
    refusal = [*sign("经办人"), *sign("客户服务部负责人", decision="不同意")]
    with pytest.raises(ValidationFailed) as exc:
        archive.update_case(s.id, {"approvals": [*refusal, *sign("分管领导")], "status": "已驳回"})
    assert refused(exc) == [
        f"结算会签 {s.id} 在「客户服务部负责人」不同意之后又有「分管领导」签字;驳回的结算应退回经办人修改后重新提交"
    ]
    with pytest.raises(ValidationFailed) as exc:
        archive.update_case(s.id, {"approvals": sign("经办人", "客户服务部负责人"), "status": "已审批"})
    assert refused(exc) == [
        f"结算会签 {s.id} 的状态为已审批,但会签链尚未签完(还差 分管领导;会签链为 经办人 → 客户服务部负责人 → 分管领导)"
    ]
    done = archive.update_case(s.id, {"approvals": sign("经办人", "客户服务部负责人", "分管领导"), "status": "已审批"})
    assert done.status == "已审批"
    assert archive.update_case(s.id, {"approvals": refusal, "status": "已驳回"}).status == "已驳回"


def test_the_chain_follows_the_configured_thresholds(archive: Archive) -> None:
    archive.approval_thresholds = {"分管领导": Decimal("100000")}
    s = settlement(archive, [item("6000.00")], approvals=sign("经办人", "客户服务部负责人"), status="已审批")
    assert s.status == "已审批"  # below this archive's 分管领导 threshold the chain ends at 客户服务部负责人


def test_config_hands_its_thresholds_to_the_archive(tmp_path: Path) -> None:
    build_small_archive(tmp_path / "records")
    (tmp_path / "docgen.toml").write_text(
        '[archive]\npath = "records"\n[generate]\napproval_thresholds = {\"分管领导\" = 1000}\n', "utf-8")
    from docgen.config import load_config

    assert load_config(tmp_path / "docgen.toml").open_archive().approval_thresholds == {"分管领导": Decimal("1000")}


# -- free text -----------------------------------------------------------------------------------------------
def test_control_characters_bidi_overrides_and_newlines_in_names_are_refused(archive: Archive) -> None:
    key = "HXSZ/03-2-1203"
    for value, problem in [
        ("张\u202e伟", "含有文字方向控制符(U+202E),会让文字显示的顺序与实际内容不同,请删除后重新输入"),
        ("张\n伟", "含有换行,应写在一行内"),
        ("张\x07伟", "含有不可见的控制字符(U+0007),请删除后重新输入"),
        ("张" * 51, "过长(51 字,最多 50 字)"),
    ]:
        with pytest.raises(ValidationFailed) as exc, archive.edit_dossier(key, "dossier.set", "x") as (d, _):
            d.owners[0].name = value
        assert refused(exc) == [f"档案 {key} 第 1 位业主的姓名{problem}"]
    with pytest.raises(ValidationFailed, match="报修单 BX-2026-00001 的报修人含有换行"):
        repair(archive, reported_by="刘\n洋")
    with pytest.raises(ValidationFailed, match=r"报修单 BX-2026-00001 的问题描述含有文字方向控制符\(U\+2066\)"):
        repair(archive, description="漏水\u2066")
    assert repair(archive, description="楼下顶棚渗水。\n业主要求尽快处理。").description.count("\n") == 1


# -- structural errors in words -------------------------------------------------------------------------------
def test_structural_errors_name_the_record_and_field_in_words(archive: Archive) -> None:
    from docgen.archive.records import build

    with pytest.raises(RecordError) as exc:
        build(Dossier, {"project": "HXSZ", "unit": "03-2-1203", "owners": [
            {"name": "张伟", "id_number": make_id(), "role": "房东"}]}, record="档案 HXSZ/03-2-1203")
    assert exc.value.problems == ["档案 HXSZ/03-2-1203 第 1 位业主的身份 取值「房东」无效,应为 主购人或共有人"]
    path = archive.dossier_file(KEY)
    data = json.loads(path.read_text("utf-8"))
    data["owners"][0].pop("id_number")
    data["stage"] = "入住"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(RecordError) as exc:
        archive.dossier(KEY)
    assert exc.value.problems == [  # a hand-edited file: the words, and the key for whoever edits the file
        "第 1 位业主的身份证号码(owners[0].id_number)未填写(必填)",
        "阶段(stage) 取值「入住」无效,应为 签约、交房、办证或保修期",
    ]


def test_every_field_has_a_label_and_every_text_field_is_checked() -> None:
    import typing

    from pydantic import BaseModel

    from docgen import models
    from docgen.validation.checks import TEXT_FIELDS
    from docgen.validation.labels import FIELD_LABELS

    records = [m for m in vars(models).values()
               if isinstance(m, type) and issubclass(m, models.Record) and m is not models.Record]
    not_text = {  # checked by the models themselves (safe ids, hashes) or set by docgen, never typed
        "Document": {"id", "type", "file", "original_name", "media_type", "sha256", "text_file", "supersedes",
                     "superseded_by", "related", "filed_by"},
        "Dossier": {"project", "unit"}, "Batch": {"id", "project"}, "Project": {"code"}, "BatchUnit": {"unit"},
        "RepairTicket": {"id"}, "Complaint": {"id"}, "Revisit": {"id"}, "Settlement": {"id"}, "Owner": {"id_number", "phone"},
        "DoubtfulLine": {"text", "reason", "tried"}, "PageInfo": {"rereads"},  # written by OCR, never typed
        "Registration": {"id", "project"}, "RegistrationEntry": {"unit"},
        "UnitRecord": {"unit"}, "UnitTable": {"project"},
    }
    for model in records:
        assert set(FIELD_LABELS[model.__name__]) == set(model.model_fields), model.__name__
        assert all(re.search(r"[\u4e00-\u9fff]", label) for label in FIELD_LABELS[model.__name__].values())
        texts = set()
        for name, field in model.model_fields.items():
            annotation = field.annotation
            args = typing.get_args(annotation)
            is_text = annotation is str or str in args or (typing.get_origin(annotation) is list and args == (str,))
            if is_text and name not in {"updated_by"} | not_text.get(model.__name__, set()):
                texts.add(name)
        assert texts == {n for n, _ in TEXT_FIELDS.get(model.__name__, ())}, model.__name__
        assert issubclass(model, BaseModel)


# -- old records: reported by the audit, not blocking unrelated edits ----------------------------------------
def _legacy(data: dict[str, Any]) -> None:
    """What an older docgen accepted: every rule broken once."""
    data["owners"][0]["name"] = "刘\u202e洋"
    data["repairs"] = [{
        "id": "BX-2026-00090", "reported_on": "2026-07-01", "component": "外星人入侵", "description": "x",
        "responded_on": "2026-07-05", "completed_on": "2026-07-03", "compensation": "-400.00", "status": "已完成",
    }]
    data["complaints"] = [{
        "id": "TS-2026-00090", "received_on": "2026-07-02", "first_responder": "陈晨", "category": "噪音",
        "description": "x", "related_repairs": ["BX-2099-99999"],
    }]
    data["settlements"] = [{
        "id": "HQ-2026-00090", "created_on": "2026-08-01", "contractor": "x", "status": "已审批",
        "items": [{"item": "x", "declared_qty": "1", "approved_qty": "1", "unit_price": "5000.00"}],
        "approvals": sign("经办人", "总经理"),
    }]


def test_old_records_are_reported_by_the_audit_and_unrelated_edits_still_work(archive: Archive) -> None:
    write_unchecked(archive, KEY, _legacy)
    found = [f for f in Auditor(archive, today=TODAY).run() if f.key == KEY and f.rule.startswith("VALID.")]
    by_rule = {f.rule: f for f in found}
    assert sorted(by_rule) == sorted([
        "VALID.TEXT", "VALID.COMPONENT", "VALID.DATE_ORDER", "VALID.MONEY", "VALID.CATEGORY", "VALID.REFERENCE",
        "VALID.APPROVAL_ORDER", "VALID.APPROVAL_STATUS",
    ])
    assert len(found) == len(by_rule)  # one finding per problem
    assert by_rule["VALID.DATE_ORDER"].message == (
        "报修单 BX-2026-00090 的完成日期早于响应日期(完成日期 2026-07-03,响应日期 2026-07-05);请对照原始记录更正日期。"
    )
    assert by_rule["VALID.DATE_ORDER"].ref == "BX-2026-00090" and by_rule["VALID.DATE_ORDER"].severity == "error"
    assert by_rule["VALID.MONEY"].message.startswith("报修单 BX-2026-00090 的赔偿金额为负数(-400.00 元);")
    assert by_rule["VALID.TEXT"].message.startswith(f"档案 {KEY} 第 1 位业主的姓名含有文字方向控制符(U+202E)")
    assert by_rule["VALID.APPROVAL_ORDER"].message.startswith("结算会签 HQ-2026-00090 的会签中有「总经理」签字")
    assert all(f.severity == RULES[f.rule][0] for f in found)

    # an edit that does not touch the bad data is allowed ...
    with archive.edit_dossier(KEY, "dossier.set", "备注") as (d, _):
        d.notes = "已电话联系业主"
    archive.add_case(KEY, "revisits", {"date": "2026-08-02", "by": "小王", "satisfaction": "A"})
    # ... one that adds a problem is refused, naming only the new one ...
    with pytest.raises(ValidationFailed) as exc:
        archive.update_case("BX-2026-00090", {"closed_on": "2026-06-01"})
    assert refused(exc) == ["报修单 BX-2026-00090 的关闭日期早于报修日期(关闭日期 2026-06-01,报修日期 2026-07-01)"]
    # ... changing a bad value to another bad value is a new problem too; fixing it is accepted
    with pytest.raises(ValidationFailed, match=r"赔偿金额为负数\(-500.00 元\)"):
        archive.update_case("BX-2026-00090", {"compensation": "-500.00"})
    assert archive.update_case("BX-2026-00090", {"compensation": "400.00"}).compensation == Decimal("400.00")
    left = {f.rule for f in Auditor(archive, today=TODAY).run() if f.key == KEY and f.rule.startswith("VALID.")}
    assert "VALID.MONEY" not in left and "VALID.DATE_ORDER" in left
    assert archive.journal.verify() == []


def test_old_batches_and_projects_are_audited(archive: Archive) -> None:
    rel = archive.layout.batch_rel("HXSZ", "B01")
    data = json.loads(archive.path(rel).read_text("utf-8"))
    data["units"][0]["notice_sent_on"] = "3026-01-01"
    project_rel = "projects/HXSZ/project.json"
    project = json.loads(archive.path(project_rel).read_text("utf-8"))
    project["phases"][0]["completion_filed_on"] = "3026-05-20"
    with archive.transaction("legacy", "HXSZ", "旧记录") as tx:
        tx.put_bytes(rel, json.dumps(data, ensure_ascii=False).encode())
        tx.put_bytes(project_rel, json.dumps(project, ensure_ascii=False).encode())
    found = [f for f in Auditor(archive, today=TODAY).run() if f.key == "HXSZ"]
    messages = [f.message for f in found if f.rule == "VALID.DATE_FUTURE"]
    assert messages == [  # the batches of a project, then the project itself
        "交房批次 HXSZ/B01 中房号 03-2-1204 的交房通知书发出日期在今天之后(3026-01-01,今天是 2026-11-30);"
        "已发生的事不能记在将来;请对照原始记录更正日期(计划中的事请记为计划,如 待回访)。",
        "项目 HXSZ 一期的竣工验收备案日期在今天之后(3026-05-20,今天是 2026-11-30);已发生的事不能记在将来;"
        "请对照原始记录更正日期(计划中的事请记为计划,如 待回访)。",
    ]
    assert {f.batch for f in found if "交房批次" in f.message} == {"B01"}
    with archive.edit_batch("HXSZ", "B01", "batch.unit", "改状态") as b:  # an unrelated edit of the old batch
        b.units[1].status = "已预约"


def test_the_sample_is_signed_by_the_default_thresholds() -> None:
    from docgen.demo.world import APPROVAL_THRESHOLDS
    from docgen.validation import default_thresholds

    assert default_thresholds() == APPROVAL_THRESHOLDS


# -- the CLI -------------------------------------------------------------------------------------------------
@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    build_small_archive(tmp_path / "records")
    (tmp_path / "docgen.toml").write_text('[archive]\npath = "records"\nactor = "客服专员小王"\n', "utf-8")
    return tmp_path


def run(workdir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(workdir / "docgen.toml"), *args], catch_exceptions=False)


def test_cli_refuses_with_the_sentence_and_no_traceback(workdir: Path) -> None:
    r = run(workdir, "repair", "new", KEY, "--component", "卫生间地面渗漏", "--description", "渗水",
            "--reported-on", "2026-07-01", "--json")
    ticket = json.loads(r.output)["id"]
    r = run(workdir, "repair", "update", ticket, "responded_on=2026-07-03", "completed_on=2026-07-01")
    assert r.exit_code == 1
    assert r.output == f"错误:报修单 {ticket} 的完成日期早于响应日期(完成日期 2026-07-01,响应日期 2026-07-03)\n"
    r = run(workdir, "repair", "update", ticket, "compensation=1e30")
    assert r.exit_code == 1 and "超出范围" in r.output and "Traceback" not in r.output
    r = run(workdir, "repair", "update", ticket, "compensation=-400")
    assert r.exit_code == 1 and "赔偿金额为负数(-400.00 元)" in r.output
    r = run(workdir, "repair", "update", ticket, "completed_on=3026-01-01")
    assert r.exit_code == 1 and "完成日期在今天之后(3026-01-01" in r.output
    r = run(workdir, "repair", "new", KEY, "--component", "外星人入侵", "--description", "x")
    assert r.exit_code == 1 and "部位「外星人入侵」不在保修期表中" in r.output
    r = run(workdir, "dossier", "new", "HXSZ/99-9-9999", "--owner", "周杰", "--id-number", make_id("19700101", 999))
    assert r.exit_code == 1 and "99栋不是项目 HXSZ 的楼栋(已有:3栋、5栋)" in r.output
    r = run(workdir, "dossier", "set", "HXSZ/03-2-1203", "owners[0].name=张\u202e伟")
    assert r.exit_code == 1 and "第 1 位业主的姓名含有文字方向控制符(U+202E)" in r.output
    r = run(workdir, "settlement", "new", KEY, "--contractor", "x", "--item", "防水,项,1,1,100.00",
            "--repair", "BX-2099-99999")
    assert r.exit_code == 1 and "维修单号 BX-2099-99999 不在本户档案中" in r.output
    r = run(workdir, "settlement", "new", KEY, "--contractor", "x", "--item", "防水,项,1,1,100.00",
            "--deduction", "预留质保金,500", "--handled-by", "小王")
    assert r.exit_code == 1 and "本次付款为负数(-400.00 元)" in r.output


def test_cli_approval_out_of_order_is_refused(workdir: Path) -> None:
    r = run(workdir, "settlement", "new", KEY, "--contractor", "x", "--item", "防水,项,1,1,5000.00",
            "--handled-by", "小王", "--json")
    sheet = json.loads(r.output)["id"]
    r = run(workdir, "settlement", "approve", sheet, "--role", "总经理", "--name", "方总")
    assert r.exit_code == 1 and "会签链中没有「总经理」" in r.output  # 5,000 yuan: the chain ends at 分管领导
    r = run(workdir, "settlement", "approve", sheet, "--role", "分管领导", "--name", "李总")
    assert r.exit_code == 1 and "现在应由「经办人」签字,不能由「分管领导」签字" in r.output
    assert run(workdir, "settlement", "approve", sheet, "--role", "经办人", "--name", "小王").exit_code == 0
    r = run(workdir, "settlement", "approve", sheet, "--role", "分管领导", "--name", "李总")
    assert r.exit_code == 1 and "现在应由「客户服务部负责人」签字" in r.output
    assert run(workdir, "settlement", "approve", sheet, "--role", "客户服务部负责人", "--name", "周经理").exit_code == 0
    assert run(workdir, "settlement", "approve", sheet, "--role", "分管领导", "--name", "李总").exit_code == 0


def test_cli_links_a_complaint_to_repairs(workdir: Path) -> None:
    ids = []
    for day in ("2026-07-01", "2026-07-02"):
        r = run(workdir, "repair", "new", KEY, "--component", "门窗", "--description", "关不严", "--reported-on", day,
                "--json")
        ids.append(json.loads(r.output)["id"])
    r = run(workdir, "complaint", "new", KEY, "--category", "工程质量", "--description", "维修太慢",
            "--first-responder", "陈晨", "--received-on", "2026-07-03", "--json")
    cid = json.loads(r.output)["id"]
    r = run(workdir, "complaint", "update", cid, f"related_repairs={ids[0]},{ids[1]}", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["related_repairs"] == ids
    r = run(workdir, "complaint", "update", cid, f"related_repairs={ids[1]}、BX-2099-99999")
    assert r.exit_code == 1 and "相关报修单 BX-2099-99999 不在本户档案中" in r.output
    r = run(workdir, "complaint", "update", cid, "related_repairs=", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["related_repairs"] == []
