"""Generating documents from a real archive: text, amounts, masking, filing, numbering, safety."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import OWNERS, make_id
from docgen.approvals import approval_chain
from docgen.archive import Archive
from docgen.errors import NotFoundError, UnsafePathError, UsageError
from docgen.generate.catalog import TEMPLATES, check_templates
from docgen.generate.render import GenerateError, TemplateRenderer
from docgen.generate.service import Generator
from docgen.generate.text import docx_text
from docgen.idnumbers import mask_id_number
from docgen.money import parse_amount_in_words
from docgen.qrcodes import DocumentCode, decode
from generate_helpers import (
    TODAY,
    add_settlement,
    add_ticket,
    assert_house_style,
    assert_no_internal_words,
    copy_templates,
    ready_for_notices,
    settings,
    write_template,
)

# record values that carry half-width punctuation of their own (a permit number): not the template's wording
DATA = ("榕房许字(2024)第0123号",)


@pytest.fixture
def gen(archive: Archive, tmp_path: Path) -> Generator:
    archive._today = lambda: TODAY
    return Generator(archive, settings(tmp_path))


@pytest.fixture
def ready(archive: Archive) -> Archive:
    """The small archive with batch B01 ready for notices (conditions met, units to notify, areas measured)."""
    ready_for_notices(archive)
    return archive


def _squeeze(text: str) -> str:
    return "".join(text.split())


# -- 交房通知书 ---------------------------------------------------------------------
def test_notices_one_per_unit_with_fields_masked_and_filed(gen: Generator, ready: Archive) -> None:
    archive = ready
    calls: list[tuple[str, int, int, str]] = []
    result = gen.notices("B01", progress=lambda *a: calls.append(a))
    notices = result.of_kind("handover_notice")
    assert [d.owner_key for d in notices] == ["HXSZ/03-2-1204", "HXSZ/05-1-0502", "HXSZ/05-1-0601"]
    # each unit's notice, then its 面积补差单, numbered in that order
    assert [d.doc_id for d in notices] == ["DOC-2026-000001", "DOC-2026-000003", "DOC-2026-000005"]
    assert [d.doc_id for d in result.of_kind("area_adjustment")] == ["DOC-2026-000002", "DOC-2026-000004", "DOC-2026-000006"]
    assert calls[-1][1:3] == (6, 6) and [c[1] for c in calls] == [0, 1, 2, 3, 4, 5, 6]

    first = notices[0]
    text = docx_text(first.docx)
    for expected in (
        "交 房 通 知 书",
        "尊敬的 王芳、赵磊 业主：",
        "华轩首座3栋2单元1204（《商品房买卖合同》编号：HXSZ-HT-2024-0002）已具备交付使用条件",
        "2026年6月18日至2026年6月22日（每日09:00-17:00）",
        "3栋一层架空层",
        "0591-88886666",
        "福州华轩置业有限公司",
        "2026年11月28日",
        "文件编号：DOC-2026-000001",
        "139****4321",
        "实测建筑面积为89.95㎡（合同约定89.50㎡），面积误差比+0.50%，应补缴房价款¥6,284.92，详见《面积补差单》。",
    ):
        assert expected in text, expected
    assert OWNERS[1][2] not in text  # the full phone never appears
    assert_house_style(text)
    assert_no_internal_words(text)  # neither the batch's name nor its id nor a status word

    owner, doc = archive.find_document("DOC-2026-000001")
    assert archive.owner_key(owner) == "HXSZ/03-2-1204"
    assert (doc.type, doc.source, doc.signed, doc.identified_by) == ("handover_notice", "generated", False, "generated")
    assert doc.related == "B01"
    assert archive.verify_document(owner, doc) is None
    stored = archive.document_text(owner, doc)
    assert "王芳、赵磊" in stored[0] and "DOC-2026-000001" in stored[0]
    assert archive.read_counters()["DOC-2026"] == 6
    entry = archive.journal.last()
    assert entry is not None and entry["action"] == "document.generate"


def test_notices_mark_units_notified_in_the_same_transaction(gen: Generator, ready: Archive) -> None:
    archive = ready
    seq = archive.journal.last()["seq"]  # type: ignore[index]
    result = Generator(archive, settings(gen.output.parent, batch_size=2)).notices("B01", channel="EMS")
    batch = archive.batch("HXSZ", "B01")
    assert [(u.status, u.notice_sent_on, u.notice_channel) for u in batch.units] == [("已通知", TODAY, "EMS")] * 3
    assert all(u.updated_by == "测试员" for u in batch.units)
    # every transaction that filed notices also wrote the batch file with exactly those units marked
    entries = list(archive.journal.entries(seq))
    assert len(entries) == 2
    for entry in entries:
        paths = {f["path"] for f in entry.files}
        assert "projects/HXSZ/batches/B01.json" in paths
        assert {p.split("/")[3] for p in paths if "/dossiers/" in p} == {d.owner_key.split("/")[1] for d in result.documents
                                                                         if d.doc_id in entry.detail["documents"]}


def test_late_notice_warns_timely_does_not(gen: Generator, ready: Archive) -> None:
    archive = ready
    assert any("已过 163 天" in w for w in gen.notices("B01", units=["05-1-0502"]).warnings)  # 2026-11-28: after the window
    archive._today = lambda: dt.date(2026, 6, 14)
    assert any("仅 4 天" in w for w in gen.notices("B01", units=["05-1-0502"], again=True).warnings)
    archive._today = lambda: dt.date(2026, 5, 21)
    assert gen.notices("B01", units=["05-1-0502"], again=True).warnings == []


def test_notices_for_chosen_units_and_unknown_unit(gen: Generator, ready: Archive) -> None:
    result = gen.notices("HXSZ/B01", units=["5栋1单元0502"])
    assert [d.owner_key for d in result.of_kind("handover_notice")] == ["HXSZ/05-1-0502"]
    with pytest.raises(NotFoundError, match="没有房号 03-2-1203"):
        gen.notices("B01", units=["03-2-1203"])
    with pytest.raises(NotFoundError, match="B07"):
        gen.notices("B07")
    with pytest.raises(UsageError, match="无法识别"):
        gen.notices("B01", units=["楼顶"])
    with pytest.raises(UnsafePathError):
        gen.notices("../B01")


def test_appointment_slot_printed_when_booked(gen: Generator, ready: Archive) -> None:
    archive = ready
    with archive.edit_batch("HXSZ", "B01", "batch.edit", "预约") as batch:
        batch.units[1].appointment = dt.datetime(2026, 6, 19, 14, 30)
    result = gen.notices("B01", units=["05-1-0502"])
    assert "2026年6月19日 14:30" in docx_text(result.documents[0].docx)


# -- 交房方案 -----------------------------------------------------------------------
def test_handover_plan_sections_schedule_and_unit_table(gen: Generator, archive: Archive) -> None:
    result = gen.handover_plan("B01")
    doc = result.documents[0]
    assert doc.owner_key == "HXSZ"  # a project-level document
    text = docx_text(doc.docx)
    for heading in ("一、项目概况", "二、交付条件", "三、交付时间与地点", "四、组织机构与办理窗口", "五、准备工作计划",
                    "六、业主通知", "七、物资与资料准备", "八、现场布置", "九、应急预案与风险控制", "十、交付房屋清单"):
        assert heading in text
    # T = 2026-06-18: T-90 = 2026-03-20, T-60 = 04-19, T-30 = 05-19, T-2 = 06-16, T-1 = 06-17
    rows = {line.split("\t")[1]: line for line in text.splitlines() if re.match(r"^\d+\tT-\d+\t", line)}
    assert "2026年3月20日" in rows["T-90"] and "编制交房方案" in rows["T-90"]
    assert "2026年4月19日" in rows["T-60"]
    assert "2026年5月19日" in rows["T-30"]
    assert "2026年6月16日" in rows["T-2"] and "2026年6月17日" in rows["T-1"]
    assert "按期（较合同约定提前 12 天）" in text
    assert "房产合同组" in text and "验房交房组" in text and "总指挥：陈总" in _squeeze(text)
    assert "268.50 ㎡" in text and "3 户" in text and "已收房 3 户" in text
    assert_house_style(text, DATA)
    assert "docgen" not in text.lower()
    units = [line for line in text.splitlines() if "栋" in line and "HXSZ-HT" in line]
    assert len(units) == 3
    assert "\t王芳 赵磊\t139****4321 137****1234\t" in units[0]
    for _, _, phone in OWNERS:
        assert phone not in text
    _, filed = archive.find_document(doc.doc_id)
    assert filed.type == "handover_plan"


def test_plan_conditions_come_from_the_records(gen: Generator, archive: Archive) -> None:
    """Nothing recorded: the plan says so condition by condition, and warns that notices cannot go out yet."""
    result = gen.handover_plan("B01")
    rows = {line.split("\t")[1]: line.split("\t")[2] for line in docx_text(result.documents[0].docx).splitlines()
            if (re.match(r"^\d\t", line) and "（通知前必备）" in line) or re.match(r"^\d\t(门牌|水、电|电梯|室内外)", line)}
    assert rows["竣工验收备案（通知前必备）"] == "未备案（交付前必须完成）"
    assert rows["商品房预售许可证（通知前必备）"] == "榕房许字(2024)第0123号"
    assert rows["面积实测报告（逐户实测面积）（通知前必备）"].startswith("3 户未登记实测面积（3栋2单元1204")
    assert rows["《住宅质量保证书》《住宅使用说明书》备齐（通知前必备）"] == "未登记（T-75 自查后登记）"
    assert rows["电梯验收合格并投入使用"] == "未登记（T-75 自查后登记）"
    assert any("竣工验收备案" in w and "不能发出交房通知书" in w for w in result.warnings)
    assert any("电梯:未登记" in w for w in result.warnings)

    ready_for_notices(archive)
    with archive.edit_batch("HXSZ", "B01", "batch.edit", "电梯不适用") as batch:
        batch.conditions[3].status = "不适用"
        batch.conditions[3].note = "多层住宅，无电梯"
    result = gen.handover_plan("B01")
    text = docx_text(result.documents[0].docx)
    assert "已于2026年5月20日备案" in text and "各户实测面积已登记" in text and "已于2026年6月1日落实" in text
    assert "不适用，多层住宅，无电梯" in text and "未登记" not in text
    assert "269.31 ㎡" in text  # measured areas now
    assert result.warnings == []


def test_plan_reveal_shows_full_phones_and_is_journaled(gen: Generator, archive: Archive) -> None:
    result = gen.handover_plan("B01", reveal=True, reason="现场督导电话联系业主")
    assert OWNERS[1][2] in docx_text(result.documents[0].docx)
    entry = archive.journal.last()
    assert entry is not None and entry["action"] == "privacy.reveal" and entry["target"] == "HXSZ/B01"
    assert entry["detail"]["why"] == "现场督导电话联系业主" and result.documents[0].doc_id in entry["detail"]["where"]


# -- 质量问题赔偿协议 -----------------------------------------------------------------
def test_compensation_agreement_carries_full_identity_and_is_journaled(gen: Generator, archive: Archive) -> None:
    ready_for_notices(archive, measured={})  # gives the co-owner an address
    ticket = add_ticket(archive)
    doc = gen.compensation(ticket.id).documents[0]
    text = docx_text(doc.docx)
    for expected in (
        "甲方（开发单位）：福州华轩置业有限公司",
        "统一社会信用代码：91350100M000100Y43",
        "法定代表人：林建国",
        "华轩首座3栋2单元1204（建筑面积 89.50 ㎡，",
        "HXSZ-HT-2024-0002",
        "榕网备2024000002",
        "2026年6月20日交付",
        "卫生间防水（主卫 & 次卫）楼板渗水 <严重> 至楼下 > 顶棚",  # & < > kept
        "防水层施工破损",
        "福州安居防水工程有限公司",
        "3 个工作日内开始维修，15 日内完成",
        "人民币壹万贰仟元整（小写：¥12,000.00）",
        f"报修单号 {ticket.id}",
        "一式两份",
        "《商品房销售管理办法》第三十三条",
    ):
        assert expected in text, expected
    # waiver limited to this incident, not future warranty duties
    assert "不免除甲方依法律法规及《住宅质量保证书》对该房屋承担的保修责任" in text
    # a contract names its parties in full: ID numbers, phones, addresses of owner and co-owner
    wang, zhao = OWNERS[1][1], make_id("19820303", 555)
    assert wang in text and zhao in text and mask_id_number(wang) not in text
    assert OWNERS[1][2] in text and "13700001234" in text
    assert "福州市鼓楼区东街1号" in text and "福州市台江区八一七中路9号" in text
    assert "共有人" in text and "主购人 王芳" in text and "共有人 赵磊" in text
    assert_house_style(text, ("主卫 & 次卫",))
    assert_no_internal_words(text)
    # figures and 大写 agree
    words = re.search(r"(人民币[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+)", text)
    figures = re.search(r"¥([\d,]+\.\d\d)", text)
    assert words and figures
    assert parse_amount_in_words(words.group(1)) == Decimal(figures.group(1).replace(",", "")) == Decimal("12000.00")
    owner, filed = archive.find_document(doc.doc_id)
    assert filed.related == ticket.id and not filed.signed
    # the stored text (what search indexes and the audit reads) is the rendered one, header included
    stored = "\f".join(archive.document_text(owner, filed))
    assert "{{" not in stored and "{%" not in stored
    assert f"文件编号：{doc.doc_id}" in stored and "华轩首座" in stored.splitlines()[0]
    # the generation is journaled as a reveal: who, what, why, where
    entry = archive.journal.last()
    assert entry is not None and entry["action"] == "privacy.reveal" and entry["target"] == "HXSZ/03-2-1204"
    detail = entry["detail"]
    assert entry["actor"] == "测试员" and detail["kind"] == "generate"
    assert "身份证号码" in detail["what"] and "王芳、赵磊" in detail["what"]
    assert detail["why"] == "质量问题赔偿协议须载明当事人的完整身份信息"
    assert doc.doc_id in detail["where"] and str(doc.docx) in detail["where"] and detail["record"] == ticket.id


def test_compensation_refuses_an_owner_without_address(gen: Generator, archive: Archive) -> None:
    ticket = add_ticket(archive)  # the co-owner 赵磊 has no address on record
    seq = archive.journal.last()["seq"]  # type: ignore[index]
    with pytest.raises(GenerateError, match=r"档案 HXSZ/03-2-1204 的共有人 赵磊 缺少字段 owners\[1\]\.address\(住址"):
        gen.compensation(ticket.id)
    assert archive.journal.last()["seq"] == seq  # type: ignore[index]  # nothing filed, nothing revealed


def test_compensation_odd_amount_in_words(gen: Generator, archive: Archive) -> None:
    ready_for_notices(archive, measured={})
    ticket = add_ticket(archive, compensation="16409.02")
    text = docx_text(gen.compensation(ticket.id).documents[0].docx)
    assert "人民币壹万陆仟肆佰零玖元零贰分" in text and "¥16,409.02" in text


def test_compensation_missing_amount_names_field_and_record(gen: Generator, archive: Archive) -> None:
    ready_for_notices(archive, measured={})
    ticket = add_ticket(archive, compensation=None)
    before = archive.read_counters().get("DOC-2026", 0)
    with pytest.raises(GenerateError) as err:
        gen.compensation(ticket.id)
    message = str(err.value)
    assert "compensation" in message and "赔偿金额" in message and ticket.id in message
    # nothing filed, no number used, nothing journaled as revealed
    assert archive.read_counters().get("DOC-2026", 0) == before
    assert archive.dossier("HXSZ/03-2-1204").documents == []
    assert archive.journal.last()["action"] != "privacy.reveal"  # type: ignore[index]
    assert not list((gen.output / "compensation_agreement").glob("*.docx"))


def test_wrong_record_kind_is_usage_error(gen: Generator, archive: Archive) -> None:
    sheet = add_settlement(archive)
    with pytest.raises(UsageError, match="不是报修单"):
        gen.compensation(sheet.id)


# -- 第三方维修费用支付会签表 -----------------------------------------------------------
def test_settlement_sheet_items_totals_chain(gen: Generator, archive: Archive) -> None:
    sheet = add_settlement(archive)
    doc = gen.settlement(sheet.id).documents[0]
    text = docx_text(doc.docx)
    lines = text.splitlines()
    item = next(line for line in lines if line.startswith("1\t卫生间防水重做"))
    assert item.split("\t") == ["1", "卫生间防水重做", "㎡", "6.5", "6", "180.00", "1,170.00", "1,080.00"]
    total = next(line for line in lines if line.startswith("\t合计"))
    assert total.split("\t")[-2:] == ["6,670.00", "6,580.00"]
    for expected in ("HQ-2026-00001", "BX-2026-00001", "WX-2026-01", "王芳、赵磊 3栋2单元1204",
                     "人民币陆仟伍佰捌拾元整", "¥6,580.00", "预留质保金 ¥300.00", "人民币陆仟贰佰捌拾元整", "¥6,280.00",
                     "中国银行福州分行", "4070 1234 5678", "☑ 已附", "☐ 未附"):
        assert expected in text, expected
    assert parse_amount_in_words("人民币陆仟伍佰捌拾元整") == Decimal("6580.00")
    chain = [line.split("\t")[1] for line in lines if re.match(r"^\d\t(经办人|客户服务部负责人|分管领导|总经理)\t", line)]
    assert chain == ["经办人", "客户服务部负责人", "分管领导"]  # 6,580 ≥ 5,000 but < 50,000
    assert "李明" in next(line for line in lines if line.startswith("1\t经办人"))
    assert_house_style(text)


SIGNED = [
    {"role": "经办人", "name": "李明", "decision": "同意", "date": "2026-10-08"},
    {"role": "客户服务部负责人", "name": "周敏", "decision": "同意", "date": "2026-10-09", "note": "数量已核"},
    {"role": "分管领导", "name": "陈总", "decision": "同意", "date": "2026-10-12"},
]


def _chain_rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines() if re.match(r"^\d\t\S+\t(核对|审核|审批)", line)]


def test_settlement_draft_until_the_chain_is_complete(gen: Generator, archive: Archive) -> None:
    sheet = add_settlement(archive, approvals=SIGNED[:2], status="审批中")
    result = gen.settlement(sheet.id)
    assert result.draft and any("会签未完成(待分管领导签字)" in w for w in result.warnings)
    text = docx_text(result.documents[0].docx)
    header = text.splitlines()[0]
    assert "草稿" in header  # the header is on every page
    assert "第三方维修费用支付会签表（草稿）" in text and "草稿：会签未完成（待分管领导签字），不作付款依据。" in text
    rows = _chain_rows(text)
    assert [r[1] for r in rows] == ["经办人", "客户服务部负责人", "分管领导"]
    assert rows[0][3:] == ["同意", "李明", "2026年10月8日"]
    assert rows[1][3:] == ["同意：数量已核", "周敏", "2026年10月9日"]
    assert rows[2][3:] == ["", "", ""]  # blank, to be signed
    _, filed = archive.find_document(result.documents[0].doc_id)
    assert "草稿" in filed.note
    with pytest.raises(GenerateError, match=r"会签尚未完成\(待分管领导签字\),不能生成正式会签表"):
        gen.settlement(sheet.id, final=True)


def test_settlement_final_prints_every_signature_in_chain_order(gen: Generator, archive: Archive) -> None:
    # stored out of order, plus a signature for a role the 6,580-yuan chain does not require
    approvals = [SIGNED[2], SIGNED[0], {"role": "总经理", "name": "黄总", "decision": "同意", "date": "2026-10-13"}, SIGNED[1]]
    sheet = add_settlement(archive, approvals=approvals, status="已审批", old=True)  # written before the rules
    result = gen.settlement(sheet.id, final=True)
    assert not result.draft and result.warnings == []
    text = docx_text(result.documents[0].docx)
    assert "草稿" not in text
    rows = _chain_rows(text)
    assert [(r[1], r[4], r[5]) for r in rows] == [
        ("经办人", "李明", "2026年10月8日"),
        ("客户服务部负责人", "周敏", "2026年10月9日"),
        ("分管领导", "陈总", "2026年10月12日"),
        ("总经理（链外）", "黄总", "2026年10月13日"),  # recorded, so printed: never dropped
    ]


def test_settlement_refused_signature_is_printed_and_keeps_it_a_draft(gen: Generator, archive: Archive) -> None:
    refusal = {"role": "客户服务部负责人", "name": "周敏", "decision": "不同意", "date": "2026-10-09", "note": "数量不符"}
    sheet = add_settlement(archive, approvals=[SIGNED[0], refusal], status="已驳回")
    result = gen.settlement(sheet.id)
    text = docx_text(result.documents[0].docx)
    assert result.draft and "周敏 不同意" in result.warnings[0]
    assert _chain_rows(text)[1][3:] == ["不同意：数量不符", "周敏", "2026年10月9日"]


def test_settlement_chain_follows_configured_thresholds(archive: Archive, tmp_path: Path) -> None:
    archive._today = lambda: TODAY
    sheet = add_settlement(archive, items=[{"item": "外墙渗漏整治", "unit": "项", "declared_qty": "1", "approved_qty": "1", "unit_price": "52000.00"}])
    text = docx_text(Generator(archive, settings(tmp_path)).settlement(sheet.id).documents[0].docx)
    assert "总经理" in text and "分管领导" in text
    low = settings(tmp_path, approval_thresholds={"分管领导": Decimal("100000"), "总经理": Decimal("500000")})
    text = docx_text(Generator(archive, low).settlement(sheet.id).documents[0].docx)
    assert "分管领导\t" not in text and "总经理\t" not in text


def test_approval_chain_rule() -> None:
    limits = {"总经理": Decimal("50000"), "分管领导": Decimal("5000")}
    assert approval_chain(Decimal("4999.99"), limits) == ["经办人", "客户服务部负责人"]
    assert approval_chain(Decimal("5000"), limits) == ["经办人", "客户服务部负责人", "分管领导"]
    assert approval_chain(Decimal("50000"), limits)[-1] == "总经理"


def test_settlement_without_payee_names_the_field(gen: Generator, archive: Archive) -> None:
    sheet = add_settlement(archive, payee="")
    with pytest.raises(GenerateError, match=re.escape(f"结算会签 {sheet.id}(HXSZ/03-2-1204) 缺少字段 payee(收款单位)")):
        gen.settlement(sheet.id)


def test_settlement_negative_payment_refused(gen: Generator, archive: Archive) -> None:
    sheet = add_settlement(archive, paid_before="9000.00", old=True)  # saving refuses it today; an old one may exist
    with pytest.raises(GenerateError, match="本次付款为负数"):
        gen.settlement(sheet.id)


# -- safety -------------------------------------------------------------------------
PAYLOAD = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"


def test_injection_payload_in_template_is_refused(ready: Archive, tmp_path: Path) -> None:
    archive = ready
    archive._today = lambda: TODAY
    folder = copy_templates(tmp_path)
    write_template(folder / "handover_notice.docx", "尊敬的 {{ owner_names }}", PAYLOAD)
    gen = Generator(archive, settings(tmp_path, templates=folder))
    with pytest.raises(GenerateError, match="不安全的表达式") as err:
        gen.notices("B01")
    assert "uid=" not in str(err.value)
    assert archive.read_counters().get("DOC-2026", 0) == 0
    assert all(d.documents == [] for d in archive.iter_dossiers())


def test_injection_payload_in_a_value_is_kept_as_text(gen: Generator, ready: Archive) -> None:
    archive = ready
    ticket = add_ticket(archive, description=PAYLOAD + " & <b>")
    text = docx_text(gen.compensation(ticket.id).documents[0].docx)
    assert "cycler.__init__.__globals__.os.popen('id').read()" in text
    assert "uid=" not in text and "& <b>" in text


def test_misspelt_field_is_named(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.docx", "协议金额 {{ ticket.compnesation }}")
    renderer = TemplateRenderer(path)
    with pytest.raises(GenerateError, match=r"compnesation.*|.*compnesation") as err:
        renderer.render({"ticket": {"id": "BX-1"}, "doc_id": "D"}, "报修单 BX-1", qr_payload="x")
    assert "报修单 BX-1" in str(err.value)


def test_unknown_top_level_name_is_named(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.docx", "{{ owner_nmes }}")
    with pytest.raises(GenerateError, match="owner_nmes"):
        TemplateRenderer(path).render({"doc_id": "D"}, "档案 X", qr_payload="x")


def test_template_syntax_error_reported(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.docx", "{{ owner_names ")
    with pytest.raises(GenerateError, match="语法错误"):
        TemplateRenderer(path).render({}, "档案 X")


def test_missing_template_file(ready: Archive, tmp_path: Path) -> None:
    archive = ready
    (tmp_path / "empty").mkdir()  # an existing folder without the file (a missing folder means the built-in ones)
    gen = Generator(archive, settings(tmp_path, templates=tmp_path / "empty"))
    with pytest.raises(NotFoundError, match="模板文件"):
        gen.notices("B01")


# -- templates check ----------------------------------------------------------------
def test_committed_templates_pass_check_and_match_builder(tmp_path: Path) -> None:
    reports = check_templates(settings(tmp_path))
    assert [r.kind for r in reports] == list(TEMPLATES)
    assert all(r.ok for r in reports), [(r.kind, r.unsupplied, r.error) for r in reports]
    notice = next(r for r in reports if r.kind == "handover_notice")
    assert {"owner_names", "batch", "unit", "doc_id", "qr"} <= set(notice.variables)
    from docgen.generate.template_builder import build_all

    built = build_all(tmp_path / "built")
    for path in built:
        assert TemplateRenderer(path).variables() == TemplateRenderer(settings(tmp_path).templates / path.name).variables()


def test_check_fails_on_unsupplied_variable(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    write_template(folder / "settlement_sheet.docx", "{{ sheet.id }} {{ invoice_no }}")
    reports = {r.kind: r for r in check_templates(settings(tmp_path, templates=folder))}
    bad = reports["settlement_sheet"]
    assert not bad.ok and bad.unsupplied == ["invoice_no"]
    assert reports["handover_notice"].ok


def test_check_catches_misspelt_nested_field(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    write_template(folder / "compensation_agreement.docx", "{{ ticket.compnesation }}")
    report = next(r for r in check_templates(settings(tmp_path, templates=folder)) if r.kind == "compensation_agreement")
    assert not report.ok and "compnesation" in report.error


def test_qr_payload_in_header_decodes_to_the_document(gen: Generator, ready: Archive) -> None:
    doc = gen.notices("B01", units=["05-1-0601"]).documents[0]
    from docx import Document

    header = Document(str(doc.docx)).sections[0].header
    blobs = [rel.target_part.blob for rel in header.part.rels.values() if "image" in rel.reltype]
    assert len(blobs) == 1
    import io

    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(blobs[0])))
    assert [decode(b.text) for b in found] == [DocumentCode(doc.doc_id, "HXSZ/05-1-0601")]


# -- batches: pipelined filing --------------------------------------------------------
def test_batch_in_several_transactions(ready: Archive, tmp_path: Path) -> None:
    archive = ready
    archive._today = lambda: TODAY
    seq_before = len(list(archive.journal.entries(0)))
    result = Generator(archive, settings(tmp_path, batch_size=1)).notices("B01")
    assert [d.doc_id for d in result.documents] == [f"DOC-2026-{n:06d}" for n in range(1, 7)]
    entries = list(archive.journal.entries(0))[seq_before:]
    summaries = [e.summary for e in entries]
    assert len(entries) == 3 and "预留 DOC-2026-000003 起 2 个编号" in summaries[0] and "预留" not in summaries[-1]
    assert "交房通知书 1 份、面积补差单 1 份" in summaries[0]
    for doc in result.documents:
        owner, filed = archive.find_document(doc.doc_id)
        assert archive.owner_key(owner) == doc.owner_key and archive.verify_document(owner, filed) is None
    assert archive.read_counters()["DOC-2026"] == 6


def test_batch_failure_keeps_committed_and_removes_the_rest(ready: Archive, tmp_path: Path) -> None:
    archive = ready
    archive._today = lambda: TODAY
    with archive.edit_dossier("HXSZ/05-1-0601", "dossier.edit", "清空合同编号") as (dossier, _tx):
        dossier.contract_no = ""
    gen = Generator(archive, settings(tmp_path, batch_size=1))
    with pytest.raises(GenerateError, match=r"档案 HXSZ/05-1-0601 缺少字段 contract_no\(合同编号\)"):
        gen.notices("B01")
    filed = [d.id for d in archive.iter_dossiers() for d in d.documents]
    assert filed == [f"DOC-2026-{n:06d}" for n in range(1, 5)]
    names = sorted(p.name.split("_")[0] for p in gen.output.glob("*/*.docx"))
    assert names == [f"DOC-2026-{n:06d}" for n in range(1, 5)]
    assert archive.read_counters()["DOC-2026"] == 6  # one reserved chunk (2 numbers) left unused
    # the batch says exactly what was filed: the two units whose notices committed are notified, not the third
    assert [u.status for u in archive.batch("HXSZ", "B01").units] == ["已通知", "已通知", "待通知"]
