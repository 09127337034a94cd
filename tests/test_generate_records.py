"""Generation kept in step with the records: delivery conditions, unit status, reissues, 面积补差单, who may."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from docgen.archive import Archive
from docgen.errors import NotFoundError, PermissionDenied, UsageError
from docgen.generate.catalog import check_templates
from docgen.generate.conditions import set_condition
from docgen.generate.render import GenerateError
from docgen.generate.service import ConditionsNotMet, ForceReasonRequired, Generator
from docgen.generate.text import docx_text
from docgen.models import AreaRule
from docgen.money import parse_amount_in_words
from docgen.session import User, Workspace
from generate_helpers import (
    TODAY,
    add_ticket,
    assert_house_style,
    assert_no_internal_words,
    copy_templates,
    ready_for_notices,
    settings,
    write_template,
)


@pytest.fixture
def gen(archive: Archive, tmp_path: Path) -> Generator:
    archive._today = lambda: TODAY
    return Generator(archive, settings(tmp_path))


@pytest.fixture
def ready(archive: Archive) -> Archive:
    ready_for_notices(archive)
    return archive


def _nothing_made_at_all(archive: Archive, gen: Generator) -> None:
    """No number used, nothing filed or written, no override journaled (units as they were)."""
    assert archive.read_counters().get("DOC-2026", 0) == 0
    assert all(d.documents == [] for d in archive.iter_dossiers())
    assert not list(gen.output.glob("*/*.docx"))
    assert not [e for e in archive.journal.entries(0) if e.action == "generate.override"]


def _nothing_made(archive: Archive, gen: Generator) -> None:
    assert archive.read_counters().get("DOC-2026", 0) == 0
    assert all(d.documents == [] for d in archive.iter_dossiers())
    assert not list(gen.output.glob("*/*.docx"))
    assert [u.status for u in archive.batch("HXSZ", "B01").units] == ["待通知"] * 3


# -- delivery conditions ---------------------------------------------------------------
def test_notice_refused_while_completion_filing_is_missing(gen: Generator, ready: Archive) -> None:
    archive = ready
    with archive.edit_project("HXSZ", "project.edit", "撤销备案日期") as project:
        project.phases[0].completion_filed_on = None
    with pytest.raises(ConditionsNotMet) as err:
        gen.notices("B01")
    message = str(err.value)
    assert "交房批次 HXSZ/B01(一期第一批交房)尚不具备交付条件,未生成交房通知书" in message
    assert "竣工验收备案:一期未登记备案日期(在项目资料中该分期的“竣工验收备案日期”登记)" in message
    assert not re.findall(r"[a-z]+_[a-z_]+", message), message  # no field names (was: completion_filed_on)
    # the refusal carries its facts; the way on is worded by the caller (no caller's words by default)
    assert err.value.ref == "HXSZ/B01" and err.value.codes == ["completion_filing"] and not err.value.changed
    assert "--" not in message and "确需先行发出的,可写明理由后仍然生成(记入日志)" in message
    _nothing_made(archive, gen)
    # the plan of the same batch says the same thing
    plan = docx_text(gen.handover_plan("B01").documents[0].docx)
    assert "竣工验收备案（通知前必备）\t未备案（交付前必须完成）" in plan


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("two_books", "《住宅质量保证书》《住宅使用说明书》:未落实(第二批印刷中)"),
        ("permit", "商品房预售许可证:一期未登记"),
        ("measured", "面积实测:1 户未登记实测面积(5栋1单元0601)"),
    ],
)
def test_notice_refused_for_each_required_condition(gen: Generator, ready: Archive, change: str, reason: str) -> None:
    archive = ready
    if change == "two_books":
        with archive.edit_batch("HXSZ", "B01", "batch.edit", "两书未到") as batch:
            batch.conditions[0].status = "未落实"
            batch.conditions[0].date = None
            batch.conditions[0].note = "第二批印刷中"
    elif change == "permit":
        with archive.edit_project("HXSZ", "project.edit", "许可证") as project:
            project.phases[0].presale_permits = []
    else:
        with archive.edit_dossier("HXSZ/05-1-0601", "dossier.edit", "实测面积") as (dossier, _tx):
            dossier.area_measured = None
    with pytest.raises(ConditionsNotMet, match=re.escape(reason)):
        gen.notices("B01")
    _nothing_made(archive, gen)


def test_other_conditions_warn_but_do_not_refuse(gen: Generator, ready: Archive) -> None:
    with ready.edit_batch("HXSZ", "B01", "batch.edit", "电梯未验收") as batch:
        batch.conditions = [c for c in batch.conditions if c.item != "lifts"]
    result = gen.notices("B01")
    assert len(result.of_kind("handover_notice")) == 3
    assert "交付条件未落实:电梯:未登记落实情况" in result.warnings


def test_force_needs_a_reason_and_is_journaled(gen: Generator, ready: Archive) -> None:
    archive = ready
    with archive.edit_dossier("HXSZ/05-1-0601", "dossier.edit", "实测面积") as (dossier, _tx):
        dossier.area_measured = None
    with pytest.raises(ForceReasonRequired, match="仍然生成交房通知书须写明理由,理由将记入日志"):
        gen.notices("B01", force=True)
    for bad, message in (("备案\n已办", "不能有换行"), ("理" * 201, "理由过长(201 个字)"),
                         ("。", "理由过短"), ("急!!!", "理由过短"), ("2026", "理由过短"), ("ーーーー", "理由过短"),
                         ("々々々々", "理由过短"), ("aaaa", "理由过短"), ("备案\u2028已办结待补", "不能有换行")):
        with pytest.raises(ForceReasonRequired, match=re.escape(message)):
            gen.notices("B01", force=True, reason=bad)
    result = gen.notices("B01", force=True, reason="实测报告已出具,数据待录入")
    assert result.forced == "实测报告已出具,数据待录入"
    override = next(e for e in archive.journal.entries(0) if e.action == "generate.override")
    assert override.target == "HXSZ/B01" and override.detail["reason"] == "实测报告已出具,数据待录入"
    assert override.detail["missing"] == ["area_survey"] and "面积实测" in override.summary
    # the unit without a measured area gets its notice, no 面积补差单, and the notice says so
    assert [d.unit for d in result.of_kind("area_adjustment")] == ["03-2-1204", "05-1-0502"]
    last = next(d for d in result.documents if d.unit == "05-1-0601")
    assert "面积补差待面积实测报告出具后另行通知" in docx_text(last.docx)
    assert any("5栋1单元0601:未登记实测面积,未生成面积补差单" in w for w in result.warnings)


# -- unit status, refusals and reissues ----------------------------------------------------
def test_second_run_refused_per_unit_then_reissued_with_again(gen: Generator, ready: Archive) -> None:
    archive = ready
    first = gen.notices("B01")
    with archive.edit_batch("HXSZ", "B01", "batch.unit", "收房") as batch:
        batch.units[2].status = "已收房"
    again = gen.notices("B01")
    assert again.documents == []
    lines = {r.unit: r.reason for r in again.refused}
    assert lines["03-2-1204"] == (f"已于2026-11-28通知(EMS+电话+短信),现为「已通知」,原通知书 {first.documents[0].doc_id};"
                                  "如需补发请选择补发(新通知书替代原通知书)")
    assert lines["05-1-0601"].startswith("已收房(已于2026-11-28通知") and "确需补发请选择补发" in lines["05-1-0601"]
    assert {r.unit: r.code for r in again.refused} == {"03-2-1204": "notified", "05-1-0502": "notified",
                                                       "05-1-0601": "handed_over"}
    assert all(r.reissuable for r in again.refused)
    assert archive.read_counters()["DOC-2026"] == 6  # nothing numbered by the refused run

    reissue = gen.notices("B01", units=["03-2-1204"], again=True)
    new_notice, new_sheet = reissue.documents
    old_notice, old_sheet = first.documents[0], first.documents[1]
    assert (new_notice.supersedes, new_sheet.supersedes) == (old_notice.doc_id, old_sheet.doc_id)
    dossier = archive.dossier("HXSZ/03-2-1204")
    assert dossier.document(old_notice.doc_id).superseded_by == new_notice.doc_id  # type: ignore[union-attr]
    assert dossier.document(old_sheet.doc_id).superseded_by == new_sheet.doc_id  # type: ignore[union-attr]
    statuses = {u.unit: u.status for u in archive.batch("HXSZ", "B01").units}
    assert statuses == {"03-2-1204": "已通知", "05-1-0502": "已通知", "05-1-0601": "已收房"}  # a reissue never goes back


def test_handed_over_unit_refused_others_generated(gen: Generator, ready: Archive) -> None:
    with ready.edit_batch("HXSZ", "B01", "batch.unit", "收房") as batch:
        batch.units[1].status = "已收房"
        batch.units[1].notice_sent_on = dt.date(2026, 5, 10)
        batch.units[1].notice_channel = "快递"
    with pytest.raises(GenerateError, match=r"有 1 户不能生成交房通知书,本次未生成任何文书:\n  - 5栋1单元0502:已收房"):
        gen.notices("B01", strict=True)
    assert ready.read_counters().get("DOC-2026", 0) == 0
    result = gen.notices("B01")
    assert [d.unit for d in result.of_kind("handover_notice")] == ["03-2-1204", "05-1-0601"]
    assert [(r.label, r.reason) for r in result.refused] == [
        ("5栋1单元0502", "已收房(已于2026-05-10通知(快递)),不再发交房通知书;确需补发请选择补发")]


def test_check_notices_answers_like_the_run_and_makes_nothing(gen: Generator, ready: Archive) -> None:
    """The check a form asks first: the same refusals as the run, each unit's code, nothing numbered or filed."""
    archive = ready
    with archive.edit_batch("HXSZ", "B01", "batch.unit", "已通知") as batch:
        batch.units[0].status = "已通知"
        batch.units[0].notice_sent_on = dt.date(2026, 11, 2)
    check = gen.check_notices("B01")
    assert check.ref == "HXSZ/B01" and check.units == ["05-1-0502", "05-1-0601"] and check.lacking == []
    assert [(r.unit, r.code) for r in check.refused] == [("03-2-1204", "notified")]
    with archive.edit_project("HXSZ", "project.edit", "撤销备案") as project:
        project.phases[0].completion_filed_on = None
    with pytest.raises(ConditionsNotMet) as err:
        gen.check_notices("B01")
    assert err.value.codes == ["completion_filing"]
    forced = gen.check_notices("B01", force=True, reason=" 备案已办结,待补录 ", overriding=["completion_filing"],
                               again=["03-2-1204"])
    assert forced.units == ["03-2-1204", "05-1-0502", "05-1-0601"] and forced.refused == []
    assert [c.code for c in forced.lacking] == ["completion_filing"] and forced.reason == "备案已办结,待补录"
    _nothing_made_at_all(archive, gen)


def test_issuing_anyway_covers_only_the_conditions_the_person_saw(gen: Generator, ready: Archive) -> None:
    """A form agreed to issue without one condition; another went missing since: refused again, saying it changed."""
    archive = ready
    with archive.edit_project("HXSZ", "project.edit", "撤销备案") as project:
        project.phases[0].completion_filed_on = None
        project.phases[0].presale_permits = []
    with pytest.raises(ConditionsNotMet) as err:
        gen.notices("B01", force=True, reason="备案已办结,待补录", overriding=["completion_filing"])
    assert err.value.changed and err.value.codes == ["completion_filing", "presale_permit"]
    assert "在您确认之后有变化" in str(err.value) and "商品房预售许可证" in str(err.value)
    _nothing_made(archive, gen)
    assert not [e for e in archive.journal.entries(0) if e.action == "generate.override"]
    result = gen.notices("B01", force=True, reason="备案已办结,待补录", overriding=err.value.codes)
    assert len(result.of_kind("handover_notice")) == 3 and result.forced == "备案已办结,待补录"


def test_again_for_the_units_named_only(gen: Generator, ready: Archive) -> None:
    """``again`` with unit codes reissues those units; another unit notified in the meantime is still refused."""
    first = gen.notices("B01")
    result = gen.notices("B01", again=["05-1-0502"])
    assert [d.unit for d in result.of_kind("handover_notice")] == ["05-1-0502"]
    assert result.of_kind("handover_notice")[0].supersedes == first.of_kind("handover_notice")[1].doc_id
    assert [r.unit for r in result.refused] == ["03-2-1204", "05-1-0601"]


# -- 面积补差单 ----------------------------------------------------------------------------
def test_area_sheets_amounts_words_and_right_to_return(gen: Generator, ready: Archive) -> None:
    result = gen.notices("B01")
    sheets = {d.unit: docx_text(d.docx) for d in result.of_kind("area_adjustment")}
    expected = {  # contract 89.50 m², 1,250,000.00 yuan
        "03-2-1204": ("+0.50%", "应由买受人补缴", "6,284.92", "人民币陆仟贰佰捌拾肆元玖角贰分"),
        "05-1-0502": ("+4.20%", "应由买受人补缴", "37,500.00", "人民币叁万柒仟伍佰元整"),
        "05-1-0601": ("-3.80%", "应由开发企业退还买受人", "57,472.07", "人民币伍万柒仟肆佰柒拾贰元零柒分"),
    }
    for unit, (ratio, label, figures, words) in expected.items():
        text = sheets[unit]
        assert f"面积误差比\t{ratio}" in text, unit
        assert f"结算结果：{label} {words}（小写：¥{figures}）。" in text, unit
        assert parse_amount_in_words(words) == Decimal(figures.replace(",", ""))
        assert "《商品房销售管理办法》第二十条（合同未另行约定）" in text
        assert_house_style(text)
        assert_no_internal_words(text)
    assert "13,966.48 元/㎡（总房款¥1,250,000.00÷89.50㎡，四舍五入至分）" in sheets["03-2-1204"]
    # the lines of the calculation
    shortfall = [line.split("\t") for line in sheets["05-1-0601"].splitlines() if re.match(r"^\d\t", line)]
    assert [row[2:] for row in shortfall] == [["-2.685", "13,966.48", "1", "-37,500.00"], ["-0.715", "13,966.48", "2", "-19,972.07"]]
    # the right to return is explained beyond ±3 % only, and staff are told before the notice goes out
    for unit in ("05-1-0502", "05-1-0601"):
        assert "业主的选择（面积误差比绝对值超出3%）" in sheets[unit] and "☐ 退房" in sheets[unit]
    assert "业主的选择" not in sheets["03-2-1204"] and "☐ 退房" not in sheets["03-2-1204"]
    assert result.flags == [
        "5栋1单元0502:面积误差比 +4.20%,超出 ±3%:业主有权退房,送达通知书前须向业主说明(见面积补差单)",
        "5栋1单元0601:面积误差比 -3.80%,超出 ±3%:业主有权退房,送达通知书前须向业主说明(见面积补差单)",
    ]
    notice = docx_text(result.of_kind("handover_notice")[1].docx)
    assert "误差比绝对值超出3%，您有权选择退房" in notice


def test_contract_rule_on_the_batch(gen: Generator, ready: Archive) -> None:
    with ready.edit_batch("HXSZ", "B01", "batch.edit", "合同约定") as batch:
        batch.area_rule = AreaRule(basis="《商品房买卖合同》第五条", band=Decimal("1"), excess="买受人补足")
    result = gen.notices("B01", units=["05-1-0502"])
    text = docx_text(result.of_kind("area_adjustment")[0].docx)
    # 3.76 m² all paid at the printed unit price: 3.76 × 13,966.48 = 52,513.9648 → 52,513.96
    # (the unrounded 1,250,000 × 3.76 / 89.5 = 52,513.966… would give 52,513.97, a fen off the sheet's own figures)
    assert "结算依据\t《商品房买卖合同》第五条约定" in text and "¥52,513.96" in text
    assert "误差比绝对值在1%以内（含1%）的，按合同单价据实结算" in text


def test_unit_with_bad_area_data_is_refused_with_the_reason(gen: Generator, ready: Archive) -> None:
    with ready.edit_dossier("HXSZ/03-2-1204", "dossier.edit", "合同面积") as (dossier, _tx):
        dossier.area_contract = Decimal("0")
    result = gen.notices("B01")
    assert [d.unit for d in result.of_kind("handover_notice")] == ["05-1-0502", "05-1-0601"]
    assert result.refused[0].reason == "档案 HXSZ/03-2-1204(3栋2单元1204) 的合同约定面积(合同面积)为 0 ㎡,应大于 0,请核对"


# -- who may --------------------------------------------------------------------------------
def _session(archive: Archive, role: str, name: str = "张丽") -> object:
    from docgen.config import Config

    return Workspace(Config(), archive=archive).session(User(name, role))


def test_agreement_needs_reveal_and_journals_the_user(ready: Archive, tmp_path: Path) -> None:
    archive = ready
    archive._today = lambda: TODAY
    ticket = add_ticket(archive)
    staff = Generator(None, settings(tmp_path), session=_session(archive, "staff"))  # type: ignore[arg-type]
    doc = staff.compensation(ticket.id, reason="业主要求签订赔偿协议").documents[0]
    entry = archive.journal.last()
    assert entry is not None and entry["action"] == "privacy.reveal" and entry["actor"] == "张丽"
    assert entry["actor"] == "张丽" and entry["detail"]["why"] == "业主要求签订赔偿协议"
    _, filed = archive.find_document(doc.doc_id)
    assert filed.filed_by == "张丽"
    for role in ("archivist", "admin", "auditor"):  # no "generate" (admin has no "reveal" either)
        other = Generator(None, settings(tmp_path), session=_session(archive, role))  # type: ignore[arg-type]
        with pytest.raises(PermissionDenied, match="没有「生成文书」的权限"):
            other.compensation(ticket.id)


def test_session_scope_hides_other_projects(ready: Archive, tmp_path: Path) -> None:
    from docgen.config import Config

    session = Workspace(Config(), archive=ready).session(User("张丽", "staff", projects=frozenset({"YHW"})))
    gen = Generator(None, settings(tmp_path), session=session)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        gen.notices("HXSZ/B01")
    with pytest.raises(NotFoundError):
        gen.notices("B01")


# -- recording conditions -----------------------------------------------------------------------
def test_set_condition_records_validates_and_is_used(archive: Archive, tmp_path: Path) -> None:
    archive._today = lambda: TODAY
    session = _session(archive, "staff")
    record = set_condition(session, "HXSZ/B01", "两书", on=dt.date(2026, 6, 1), note="每户一套")  # type: ignore[arg-type]
    assert (record.item, record.status, record.date) == ("two_books", "已落实", dt.date(2026, 6, 1))
    set_condition(session, "HXSZ/B01", "电梯", status="不适用", note="多层")  # type: ignore[arg-type]
    set_condition(session, "HXSZ/B01", "two_books", status="未落实", note="补印")  # type: ignore[arg-type]  # replaces
    batch = archive.batch("HXSZ", "B01")
    assert [(c.item, c.status) for c in batch.conditions] == [("two_books", "未落实"), ("lifts", "不适用")]
    assert archive.journal.last()["action"] == "batch.condition"  # type: ignore[index]
    with pytest.raises(UsageError, match="没有交付条件「绿化」"):
        set_condition(session, "HXSZ/B01", "绿化")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="晚于今天"):
        set_condition(session, "HXSZ/B01", "清洁", on=dt.date(2026, 12, 1))  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="证明文件 DOC-2026-009999 不在档案库中"):
        set_condition(session, "HXSZ/B01", "清洁", evidence="DOC-2026-009999")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        set_condition(_session(archive, "archivist"), "HXSZ/B01", "清洁")  # type: ignore[arg-type]


# -- the template check keeps the house style ----------------------------------------------------
def test_template_check_flags_halfwidth_punctuation_and_software_name(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    write_template(folder / "handover_notice.docx", "尊敬的 {{ owner_names }} 业主:", "编号 {{ doc_id }}(docgen 生成)",
                   "办理时间 09:00-17:00,金额 12,000.00", header="{{ doc_id }} {{ qr }}")
    report = next(r for r in check_templates(settings(tmp_path, templates=folder)) if r.kind == "handover_notice")
    assert not report.ok
    assert report.style == [
        "正文:「尊敬的 … 业主:」中的半角「:」应为全角「：」",
        "正文:「ocgen 生成)」中的半角「)」应为全角「）」",
        "正文:「编号 …(docgen 生成」含有软件名称 docgen,发给业主或主管部门的文书中不应出现",
        "正文:「00-17:00,金额 12,00」中的半角「,」应为全角「，」",
    ]


def test_no_generated_document_names_the_software(gen: Generator, ready: Archive) -> None:
    from docx import Document

    result = gen.notices("B01", units=["03-2-1204"])
    for doc in result.documents:
        assert "docgen" not in (Document(str(doc.docx)).core_properties.comments or "")
