"""The per-dossier checks: completeness, accuracy and timeliness.

Each check is a generator over one dossier that yields :class:`Finding`s
through an :class:`Emitter`, which stamps the dossier's key, project, batch
and stage on them and applies the rules' severity overrides (or drops a
disabled rule).  Cross-dossier checks (one file in two dossiers, one ID
number for two people) use a :class:`CrossIndex`, a small map of hashes and
ID numbers kept while the archive streams past.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from docgen.audit.crossindex import CrossIndex
from docgen.audit.findings import Finding
from docgen.audit.rules import CONDITION_LABELS, Rules
from docgen.audit.textcheck import (
    amounts_in_text,
    compact,
    contains_name,
    contains_number,
    contains_unit,
)
from docgen.certificates.numbers import number_key
from docgen.errors import UnsafePathError
from docgen.idnumbers import mask_id_number
from docgen.models import Document, Dossier
from docgen.units import check_safe_id
from docgen.validation import Problem
from docgen.vocab import STAGES, doc_type_label


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(slots=True)
class Emitter:
    """Builds findings for one dossier, applying the rules' severities and disabled rules."""

    rules: Rules
    key: str
    project: str
    batch: str
    stage: str

    def __call__(self, rule: str, message: str, ref: str = "") -> Finding | None:
        """A finding for ``rule``, or None if the rules disable it for this project."""
        severity = self.rules.severity_of(rule, self.project)
        if severity is None:
            return None
        return Finding(severity, rule, self.key, self.project, self.batch, self.stage, message, ref)


def _label(code: str) -> str:
    return f"{doc_type_label(code)}({code})"


def _conditions(d: Dossier) -> list[str]:
    out = []
    if d.payment_status.startswith("按揭"):
        out.append("mortgage")
    # the 面积补差单 is signed at handover (a 交房 document): before it the measured area is known, the sheet is not due
    if (d.stage != "签约" and d.area_measured is not None and d.area_contract is not None
            and d.area_measured != d.area_contract):
        out.append("area_differs")
    if d.certificate_status == "已办结":
        out.append("certificate_done")
    if any(r.compensation and r.compensation > 0 for r in d.repairs):
        out.append("has_compensation")
    if any(s.status in ("已审批", "已付款") for s in d.settlements):
        out.append("has_settlement")
    if any(r.status in ("已完成", "已关闭") for r in d.repairs):
        out.append("has_closed_repair")
    return out


def check_completeness(folder: str, d: Dossier, rules: Rules, emit: Emitter) -> Iterator[Finding | None]:
    """Required documents present (and current), signed where required, their files on disk.

    ``folder`` is the dossier's ``documents`` folder (resolved once by the caller).
    """
    ids = {doc.id for doc in d.documents}
    current: list[Document] = []
    dangling_types: set[str] = set()
    for doc in d.documents:
        if doc.superseded_by and doc.superseded_by not in ids:
            dangling_types.add(doc.type)
            yield emit(
                "COMPLETE.SUPERSEDED_BY_MISSING",
                f"{_label(doc.type)} {doc.id} 记为已被 {doc.superseded_by} 替代,但档案中没有 {doc.superseded_by},"
                f"该类文件因此没有有效版本;请补归档替代文件,或清除 {doc.id} 的 superseded_by。",
                doc.id,
            )
            continue
        if doc.supersedes and doc.supersedes not in ids:
            yield emit(
                "COMPLETE.SUPERSEDES_MISSING",
                f"{_label(doc.type)} {doc.id} 记为替代 {doc.supersedes},但档案中没有该文件;请核对 supersedes 字段。",
                doc.id,
            )
        if not os.path.isfile(os.path.join(folder, doc.file)):
            yield emit(
                "COMPLETE.FILE_MISSING",
                f"{_label(doc.type)} {doc.id} 在档案记录中,但文件 {doc.file} 不存在;请从备份或原件恢复后重新归档。",
                doc.id,
            )
        if not doc.superseded_by:
            current.append(doc)
    stage_of, signed = rules.required_for(d.project, d.stage)
    required = list(stage_of)
    reasons = {code: f"{s}阶段需" for code, s in stage_of.items()}  # "签约阶段需要的……" / "因按揭购房而需要的……"
    for cond in _conditions(d):
        rule = rules.conditions.get(cond)  # type: ignore[call-overload]
        if rule is None:
            continue
        for code in rule.required:
            if code not in reasons:
                required.append(code)
                reasons[code] = f"因{CONDITION_LABELS[cond]}而需"
        signed |= set(rule.signed)
    present: dict[str, list[Document]] = {}
    for doc in current:
        present.setdefault(doc.type, []).append(doc)
    for code in required:
        if code not in present and code not in dangling_types:
            yield emit(
                "COMPLETE.MISSING_DOC",
                f"{reasons[code]}要的{_label(code)}没有归档;请扫描或生成后用 docgen ingest 归档。",
                code,
            )
    for code, docs in present.items():
        if code in signed and not any(doc.signed for doc in docs):
            yield emit(
                "COMPLETE.UNSIGNED",
                f"{_label(code)}({'、'.join(doc.id for doc in docs)})尚无已签字版本;"
                "请让当事人签字后扫描归档(系统生成的文件扫描回来会自动标记为已签)。",
                docs[0].id,
            )


def _text_of(folder: str, doc: Document) -> str:
    """The text sidecar of a document ("" if none or missing: verify reports a missing sidecar)."""
    if not doc.text_file:
        return ""
    try:
        name = check_safe_id(doc.text_file, "文字稿文件名")
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            return fh.read().replace("\f", "\n")
    except (OSError, UnicodeDecodeError, UnsafePathError):
        return ""


def check_accuracy(folder: str, d: Dossier, rules: Rules, emit: Emitter, cross: CrossIndex) -> Iterator[Finding | None]:
    """Checksums, agreement between records and document text, and cross-dossier duplicates."""
    for path, problem in d.data_problems():
        if path.endswith(".id_number"):
            i = int(path.split("[")[1].split("]")[0])
            owner = d.owners[i]
            yield emit(
                "ACCURACY.ID_NUMBER",
                f"业主 {owner.name} 的身份证号码 {mask_id_number(owner.id_number)} 有误:{problem};"
                "请对照身份证复印件更正。",
                path,
            )
        elif path.endswith(".phone"):
            i = int(path.split("[")[1].split("]")[0])
            yield emit("ACCURACY.PHONE", f"业主 {d.owners[i].name} 的电话号码有误:{problem};请向业主核实后更正。", path)
        else:
            yield emit("ACCURACY.DUPLICATE_RECORD_ID", f"{problem};请人工核对后为重复项改用新编号。", path)
    if d.area_contract and d.area_measured is not None:
        deadlines = rules.deadlines_for(d.project)
        ratio = (d.area_measured - d.area_contract) / d.area_contract * 100
        if abs(ratio) > deadlines.area_variance_percent:
            yield emit(
                "ACCURACY.AREA_VARIANCE",
                f"实测面积 {d.area_measured}㎡ 与合同面积 {d.area_contract}㎡ 的误差比为 {ratio:.2f}%,"
                f"超出 ±{deadlines.area_variance_percent}%;请确认业主是否选择退房,及超出部分的承担或双倍退还已处理并归档面积补差单。",
                "area_measured",
            )
    for i, owner in enumerate(d.owners):
        other = cross.seen_id(d.key, owner.id_number, owner.name)
        if other:
            yield emit(
                "ACCURACY.SHARED_ID_NUMBER",
                f"业主 {owner.name} 的身份证号码 {mask_id_number(owner.id_number)} 与档案 {other[0]} 的业主 {other[1]} 相同;"
                "同一号码不应属于两个人,请核对两份档案的身份证复印件并更正。",
                f"owners[{i}].id_number",
            )
    if d.certificate_no.strip():
        other_key = cross.seen_record_id(d.key, "不动产权证号:" + number_key(d.certificate_no))
        if other_key:
            yield emit(
                "ACCURACY.SHARED_CERTIFICATE_NO",
                f"不动产权证号 {d.certificate_no} 与档案 {other_key} 的相同;一个证号只属于一户(多半是录入时抄了另一户),"
                "请对照两户的证书更正(docgen dossier set 档案 certificate_no=正确的证号)。",
                "certificate_no",
            )
    yield from check_ocr_doubts(d.documents, emit)
    case_ids = [r.id for kind in ("repairs", "complaints", "revisits", "settlements") for r in getattr(d, kind)]
    for record_id in [*(doc.id for doc in d.documents), *case_ids]:
        other_owner = cross.seen_record_id(d.key, record_id)
        if other_owner:
            yield emit(
                "ACCURACY.DUPLICATE_RECORD_ID",
                f"编号 {record_id} 同时出现在 {other_owner} 和本档案中;编号在档案库中必须唯一"
                "(多半是 counters.json 被回退后重复编号),请人工核对哪一份应改用新编号。",
                record_id,
            )
    checks = rules.text_checks
    duplicate_ok = rules.duplicate_ok
    for doc in d.documents:
        other_key = None if doc.type in duplicate_ok else cross.seen_file(d.key, doc.sha256)
        if other_key:
            yield emit(
                "ACCURACY.DUPLICATE_FILE",
                f"{_label(doc.type)} {doc.id} 与档案 {other_key} 中的某份文件内容完全相同(sha256 一致);"
                "请确认它归入了哪一户,从错误的档案中移除。",
                doc.id,
            )
        if doc.superseded_by or not doc.text_file:
            continue
        text = _text_of(folder, doc)
        if not text.strip():
            continue
        yield from _check_amounts(d, doc, text, emit)
        wanted = checks.get(doc.type)
        if not wanted:
            continue
        flat = compact(text)
        label = _label(doc.type)
        if "all_owner_names" in wanted or "owner_name" in wanted:
            owners = d.owners if "all_owner_names" in wanted else [
                next((o for o in d.owners if o.role == "主购人"), d.owners[0])
            ]
            for owner in owners:
                if not contains_name(flat, owner.name):
                    yield emit(
                        "ACCURACY.NAME_NOT_IN_TEXT",
                        f"{label} {doc.id} 的文字中没有业主姓名「{owner.name}」;请核对是否归错档案,或文件上的姓名写错。",
                        doc.id,
                    )
        if "unit" in wanted and not contains_unit(flat, d.unit):
            yield emit(
                "ACCURACY.UNIT_NOT_IN_TEXT",
                f"{label} {doc.id} 的文字中没有本户房号 {d.unit_label};请核对是否归错档案,或文件上的房号写错。",
                doc.id,
            )
        if "contract_no" in wanted and d.contract_no and not contains_number(flat, d.contract_no):
            yield emit(
                "ACCURACY.CONTRACT_NOT_IN_TEXT",
                f"{label} {doc.id} 的文字中没有合同编号 {d.contract_no};请核对合同编号是否一致。",
                doc.id,
            )


def check_ocr_doubts(documents: list[Document], emit: Emitter) -> Iterator[Finding | None]:
    """Scans whose OCR left lines in doubt (OCR 存疑): a line read wrong or not at all may be a lost obligation."""
    for doc in documents:
        if doc.superseded_by or not doc.doubtful_lines:
            continue
        where = "、".join(
            f"第 {p.n} 页第 {d.row or '?'} 行" + (f"「{d.text[:12]}」" if d.text else "(未读出)")
            for p in doc.pages for d in p.doubtful
        )
        yield emit(
            "ACCURACY.OCR_DOUBTFUL",
            f"{_label(doc.type)} {doc.id} 有 {doc.doubtful_lines} 行 OCR 存疑:{where[:200]};"
            f"文字稿中这些行可能有错或缺失,请对照原件核对(docgen document show {doc.id} --text --crops 截图/)。",
            doc.id,
        )


def _record_amounts(d: Dossier, doc: Document) -> tuple[str, set[Decimal]] | None:
    """The amounts the dossier's records say a compensation agreement or settlement sheet carries."""
    if doc.type == "compensation_agreement":
        repairs = [r for r in d.repairs if r.compensation]
        chosen = [r for r in repairs if r.id == doc.related] or (repairs if len(repairs) == 1 else [])
        if chosen and chosen[0].compensation is not None:
            return f"报修单 {chosen[0].id} 的赔偿金额", {chosen[0].compensation}
    if doc.type == "settlement_sheet":
        sets = [s for s in d.settlements if s.id == doc.related] or (d.settlements if len(d.settlements) == 1 else [])
        if sets:
            s = sets[0]
            return f"结算 {s.id} 的审定金额/本次付款", {s.approved_total, s.payable, s.declared_total}
    return None


def _check_amounts(d: Dossier, doc: Document, text: str, emit: Emitter) -> Iterator[Finding | None]:
    found = amounts_in_text(text)
    label = _label(doc.type)
    for a in found:
        if a.value is None:
            yield emit(
                "ACCURACY.AMOUNT_UNREADABLE",
                f"{label} {doc.id} 中的大写金额「人民币{a.words}」无法识别({a.problem});请核对原件。",
                doc.id,
            )
        elif a.figure is not None and a.figure != a.value:
            yield emit(
                "ACCURACY.AMOUNT_WORDS",
                f"{label} {doc.id} 中大写「人民币{a.words}」为 {a.value} 元,旁边的小写金额却是 {a.figure} 元;"
                "请核对原件,重签或出具更正说明后归档。",
                doc.id,
            )
    expected = _record_amounts(d, doc)
    values = {a.value for a in found if a.value is not None}
    if expected and values and not (values & expected[1]):
        shown = "、".join(str(v) for v in sorted(values))
        want = "、".join(str(v) for v in sorted(expected[1]))
        yield emit(
            "ACCURACY.AMOUNT_RECORD",
            f"{label} {doc.id} 中的金额 {shown} 元与{expected[0]} {want} 元不符;请核对后更正记录或文件。",
            doc.id,
        )


def check_timeliness(d: Dossier, rules: Rules, today: dt.date, emit: Emitter, *,
                     certificate_held: bool = False) -> Iterator[Finding | None]:
    """Revisits, repairs, complaints and certificates against their deadlines; warranty periods.

    ``certificate_held``: the household's project lacks a blocking
    prerequisite (its 初始登记), so its registration cannot be late through
    anything done in this dossier; the audit reports the project once
    (``CERT.PREREQUISITE``) instead of every dossier.
    """
    dl = rules.deadlines_for(d.project)
    delivered = d.delivered_on if STAGES.index(d.stage) >= 1 else None
    revisit_dates = sorted(v.date for v in d.revisits)
    if delivered is not None:
        last = max([delivered, *revisit_dates])
        due = add_months(last, dl.revisit_interval_months)
        if today > due:
            what = f"上次回访为 {last}" if revisit_dates else f"交房({delivered})后尚无回访"
            yield emit(
                "TIME.REVISIT_OVERDUE",
                f"{what},应于 {due} 前再次回访(每 {dl.revisit_interval_months} 个月),已逾期 {(today - due).days} 天;"
                "请安排回访并用 docgen revisit 记录。",
            )

    def revisited(start: dt.date, end: dt.date) -> bool:
        return any(start <= x <= end for x in revisit_dates)

    for c in d.complaints:
        limit = dl.complaint_closure_days
        if c.status != "已关闭":
            age = (today - c.received_on).days
            if age > limit:
                yield emit(
                    "TIME.COMPLAINT_OPEN",
                    f"投诉 {c.id}({c.category})自 {c.received_on} 受理已 {age} 天仍未关闭(时限 {limit} 天);"
                    f"请首问责任人 {c.first_responder} 跟进处理并记录结果。",
                    c.id,
                )
            continue
        if c.closed_on is None:
            continue  # 已关闭 without a date: nothing to time (the record should be completed)
        took = (c.closed_on - c.received_on).days
        if took > limit:
            yield emit(
                "TIME.COMPLAINT_LATE",
                f"投诉 {c.id} 用了 {took} 天才关闭(时限 {limit} 天);请在考核中说明原因。",
                c.id,
            )
        due = c.closed_on + dt.timedelta(days=dl.revisit_after_complaint_days)
        if today > due and not revisited(c.closed_on, due):
            yield emit(
                "TIME.REVISIT_AFTER_COMPLAINT",
                f"投诉 {c.id} 于 {c.closed_on} 关闭,应在 {dl.revisit_after_complaint_days} 天内(至 {due})回访,未见回访记录;"
                "请补做回访并记录(原因选「投诉后回访」)。",
                c.id,
            )
    for r in d.repairs:
        if r.status == "不予维修":
            continue
        done = r.completed_on or (r.closed_on if r.status in ("已完成", "已关闭") else None)
        responded = r.responded_on or done
        limit = dl.repair_response_days
        if responded is not None:
            if (responded - r.reported_on).days > limit:
                yield emit(
                    "TIME.REPAIR_RESPONSE",
                    f"报修单 {r.id}({r.component}){r.reported_on} 报修,{responded} 才响应,超过 {limit} 天时限;"
                    "请在考核中说明原因。",
                    r.id,
                )
        elif (today - r.reported_on).days > limit:
            yield emit(
                "TIME.REPAIR_RESPONSE",
                f"报修单 {r.id}({r.component}){r.reported_on} 报修,已 {(today - r.reported_on).days} 天无人响应"
                f"(时限 {limit} 天);请立即安排人员联系业主并填写 responded_on。",
                r.id,
            )
        limit = dl.repair_completion_days
        if done is not None:
            if (done - r.reported_on).days > limit:
                yield emit(
                    "TIME.REPAIR_COMPLETION",
                    f"报修单 {r.id}({r.component})用了 {(done - r.reported_on).days} 天才修完(时限 {limit} 天);"
                    "请在考核中说明原因。",
                    r.id,
                )
            due = done + dt.timedelta(days=dl.revisit_after_repair_days)
            if today > due and not revisited(done, due):
                yield emit(
                    "TIME.REVISIT_AFTER_REPAIR",
                    f"报修单 {r.id} 于 {done} 修完,应在 {dl.revisit_after_repair_days} 天内(至 {due})回访,未见回访记录;"
                    "请补做回访并记录(原因选「维修后回访」)。",
                    r.id,
                )
        elif (today - r.reported_on).days > limit:
            yield emit(
                "TIME.REPAIR_COMPLETION",
                f"报修单 {r.id}({r.component}){r.reported_on} 报修,已 {(today - r.reported_on).days} 天仍未修完"
                f"(时限 {limit} 天);请督促维修单位并向业主说明进度。",
                r.id,
            )
        if d.delivered_on is not None:
            row = rules.warranty_for(r.warranty_category, r.component)
            # no row: the component is outside the vocabulary, reported once as VALID.COMPONENT
            if row is not None and row.months is not None:
                end = add_months(d.delivered_on, row.months)
                if r.reported_on > end and r.in_warranty is not False:
                    state = "保修期内" if r.in_warranty else "未判定"
                    yield emit(
                        "TIME.WARRANTY_EXPIRED",
                        f"报修单 {r.id}({r.component}){r.reported_on} 报修,已超过「{row.component}」保修期"
                        f"(交房 {d.delivered_on} 起 {row.months} 个月,至 {end}),记录却为{state};"
                        "请核实是否属保修责任,属有偿维修的将 in_warranty 改为 false 并告知业主。",
                        r.id,
                    )
    if delivered is not None and d.certificate_status != "已办结" and not certificate_held:
        days = d.registration_due_days if d.registration_due_days is not None else dl.certificate_registration_days
        due = delivered + dt.timedelta(days=days)
        if today > due:
            yield emit(
                "TIME.CERT_OVERDUE",
                f"交房 {delivered} 后 {days} 天(至 {due})应办结产权登记,目前为「{d.certificate_status}」,"
                f"已逾期 {(today - due).days} 天;请联系业主补齐办证资料并跟进登记。",
            )


# What to do about each rule of docgen.validation (the problem says what is wrong, the audit adds how to fix it).
FIXES: dict[str, str] = {
    "VALID.MONEY": "请对照原始单据更正金额。",
    "VALID.QUANTITY": "请按现场核定的数量更正(核定数量不能超过申报数量)。",
    "VALID.PAYABLE": "请核对扣款与已付累计。",
    "VALID.DATE_ORDER": "请对照原始记录更正日期。",
    "VALID.DATE_FUTURE": "请对照原始记录更正日期(计划中的事请记为计划,如 待回访)。",
    "VALID.DATE_RANGE": "请核对日期是否录错了年份。",
    "VALID.REFERENCE": "请改为本户档案中的记录编号,或删除该引用。",
    "VALID.UNIT": "请核对房号;若项目的楼栋结构有误,请更正项目的楼栋结构。",
    "VALID.STRUCTURE": "请更正项目的楼栋结构(project.json 中各期的 structure)。",
    "VALID.COMPONENT": "请改为保修期表中的部位,或在规则文件的 warranty 表中补充该部位或匹配词。",
    "VALID.CATEGORY": "请改为规定的类别,或在规则文件的 vocabularies.complaint_categories 中补充。",
    "VALID.CHANNEL": "请改为规定的渠道,或在规则文件的 vocabularies.channels 中补充。",
    "VALID.APPROVAL_ORDER": "请按会签链的顺序重新办理签字(经办人 → 客户服务部负责人 → ……)。",
    "VALID.APPROVAL_STATUS": "请按会签进度更正结算状态,或补齐签字。",
    "VALID.REGISTRATION": ("请按办理进度补全或更正记录(办证批次:docgen cert batch show 查看,递交、出证、领证请用 docgen cert "
                           "submit / collect / handout 办理;办证前提:docgen cert prerequisite 项目 前提 --status 办理状态)。"),
    "VALID.TEXT": "请删除这些字符后重新保存。",
    "VALID.TEXT_LENGTH": "请精简内容,或把详细说明作为文件归档。",
}


def check_rules(problems: list[Problem], emit: Emitter) -> Iterator[Finding | None]:
    """One finding per problem the department's rules find (``docgen.validation``), with what would fix it."""
    for p in problems:
        fix = FIXES.get(p.code, "")
        message = p.message if p.message.endswith("。") else p.message + ";"
        yield emit(p.code, message + fix if fix else p.message, p.ref)
