"""Cases in the browser: 报修, 投诉, 回访, 第三方维修结算 — new, edit, close, link, sign — and 我的工作.

Every form posts to its noun (``POST /dossiers/HXSZ/03-2-1203/repairs`` makes
a repair, ``POST /cases/BX-2026-00012`` saves one) and calls one service of
:mod:`docgen.services.cases` as the logged-in user; the core's refusal is
shown beside the fields it names (:mod:`docgen.web.forms`) with what was
typed kept.  An edit carries the revision the form was loaded at: when
someone saved first, the form says who and when, shows their values beside
the user's, and keeps the user's (saving again then applies them knowingly).

Free text is shown masked (an ID or phone number typed into a description);
an edit form shows such a field read-only, so a masked value can never be
saved over the real one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from docgen.approvals import approval_chain
from docgen.errors import (
    ConflictError,
    DocgenError,
    LockTimeout,
    NotFoundError,
    PermissionDenied,
    StaleEditError,
    UnsafePathError,
    show_input,
)
from docgen.models import Dossier
from docgen.present import dossier_view
from docgen.privacy import mask_text
from docgen.services import cases
from docgen.services.worklists import KIND_LABELS, work_lists
from docgen.session import Session
from docgen.units import check_safe_id
from docgen.vocab import REPAIR_OPEN, SATISFACTION_LABELS
from docgen.web.forms import Field, FormErrors, form_errors, listed, revision, text, typed
from docgen.web.render import page
from docgen.web.routing import route, session_of, web_state
from docgen.web.views.common import dossier_key

router = APIRouter()

KINDS = ("repairs", "complaints", "revisits", "settlements")
NOUN = {"repairs": "报修单", "complaints": "投诉", "revisits": "回访", "settlements": "第三方维修结算"}
ITEM_ROWS = 5
DEDUCTION_ROWS = 3
REPAIR_STATUSES = ("已受理", "已核实", "维修中", "待验收", "已完成", "不予维修")
RESPONSIBILITIES = ("待定", "施工单位", "开发商", "业主", "物业", "不可抗力")
REVISIT_REASONS = ("定期回访", "投诉后回访", "维修后回访", "交房后回访")


# -- the fields of each form -------------------------------------------------------------------
def _choices(values: Any) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


def _vocab(session: Session) -> Any:
    rules, _ = session.workspace.rules()
    return rules


def new_fields(session: Session, kind: str, d: Dossier) -> list[Field]:
    """The fields of the form that creates a case of ``kind`` in dossier ``d``."""
    rules = _vocab(session)
    channels = _choices(rules.vocabularies.channels or ["电话"])
    if kind == "repairs":
        return [Field("reported_on", "报修日期", "date", required=True), Field("channel", "渠道", "select", channels),
                Field("reported_by", "报修人"), Field("component", "部位/构件", required=True,
                                                       hint="按保修期表填写,如 " + "、".join(rules.component_names()[:3])),
                Field("location", "具体位置"), Field("description", "问题描述", "textarea", required=True),
                Field("handled_by", "经办人", hint="默认为您本人")]
    if kind == "complaints":
        repairs = [(r.id, f"{r.id} {r.component}({r.status})") for r in d.repairs]
        return [Field("received_on", "受理日期", "date", required=True), Field("channel", "渠道", "select", channels),
                Field("category", "类别", "select", _choices(rules.vocabularies.complaint_categories), required=True),
                Field("description", "投诉内容", "textarea", required=True),
                Field("first_responder", "首问责任人", hint="首问责任制:默认为受理人(您本人)"),
                Field("related_repairs", "关联报修单", "checkboxes", repairs)]
    if kind == "revisits":
        return [Field("date", "回访日期", "date", required=True), Field("by", "回访人", hint="默认为您本人"),
                Field("channel", "渠道", "select", channels),
                Field("reason", "回访原因", "select", _choices(REVISIT_REASONS)),
                Field("related", "跟进的案件", "select", [("", "(无)"), *_related_options(d)]),
                Field("satisfaction", "满意度", "select",
                      [("", "(尚未回访:计划回访)"), *((k, f"{k} {v}") for k, v in SATISFACTION_LABELS.items())]),
                Field("notes", "回访记录", "textarea")]
    return settlement_fields(d)


def settlement_fields(d: Dossier) -> list[Field]:
    """The fields of a settlement (new, or edited while a draft or after a rejection)."""
    repairs = [(r.id, f"{r.id} {r.component}({r.status})") for r in d.repairs]
    return [Field("contractor", "第三方维修单位", required=True), Field("contract_no", "维修合同编号"),
            Field("repair_ids", "维修单号", "checkboxes", repairs), Field("items", "结算明细", "items"),
            Field("deductions", "扣款", "deductions"), Field("paid_before", "已付累计", "number"),
            Field("chargeback", "质保金扣回金额", "number"), Field("chargeback_to", "扣回的原施工单位"),
            Field("payee", "收款单位", hint="默认为维修单位"), Field("bank", "开户行"), Field("account", "账号"),
            Field("attachments", "附件", hint="用逗号分隔,如 合同,结算书,业主验收单,照片,发票"),
            Field("handled_by", "经办人", hint="默认为您本人")]


def _related_options(d: Dossier) -> list[tuple[str, str]]:
    return ([(r.id, f"报修 {r.id} {r.component}") for r in d.repairs]
            + [(c.id, f"投诉 {c.id} {c.category}") for c in d.complaints])


def edit_fields(session: Session, kind: str, d: Dossier) -> list[Field]:
    """The fields of the form that edits a case of ``kind``."""
    rules = _vocab(session)
    channels = _choices(rules.vocabularies.channels or ["电话"])
    if kind == "repairs":
        return [Field("status", "状态", "select", _choices(REPAIR_STATUSES), hint="关闭请用下方「业主验收」"),
                Field("component", "部位/构件", required=True), Field("location", "具体位置"),
                Field("description", "问题描述", "textarea", required=True), Field("channel", "渠道", "select", channels),
                Field("reported_by", "报修人"), Field("responded_on", "响应日期", "date"),
                Field("verified_cause", "核实原因", "textarea"),
                Field("responsibility", "责任方", "select", _choices(RESPONSIBILITIES)),
                Field("in_warranty", "在保修期内", "select", [("", "(未判断)"), ("是", "是"), ("否", "否")]),
                Field("contractor", "维修单位"), Field("completed_on", "完成日期", "date"),
                Field("compensation", "赔偿金额(元)", "number"), Field("handled_by", "经办人"),
                Field("notes", "备注", "textarea")]
    if kind == "complaints":
        return [Field("status", "状态", "select", _choices(("已受理", "处理中")), hint="关闭请用下方「处理结果」"),
                Field("category", "类别", "select", _choices(rules.vocabularies.complaint_categories), required=True),
                Field("channel", "渠道", "select", channels), Field("description", "投诉内容", "textarea", required=True),
                Field("first_responder", "首问责任人", required=True)]
    if kind == "revisits":
        return [Field("date", "回访日期", "date", required=True), Field("by", "回访人", required=True),
                Field("channel", "渠道", "select", channels),
                Field("reason", "回访原因", "select", _choices(REVISIT_REASONS)), Field("notes", "回访记录", "textarea")]
    return settlement_fields(d)


# -- values: records → form, form → changes ---------------------------------------------------------
def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def record_values(record: Any, fields: list[Field]) -> dict[str, Any]:
    """A record's values as the form shows them (masked where they hold personal data; see the module docstring)."""
    data = record.model_dump(mode="json")
    out: dict[str, Any] = {}
    for f in fields:
        value = data.get(f.name)
        if f.kind == "checkboxes" or f.kind in ("items", "deductions"):
            out[f.name] = list(value or [])
        else:
            out[f.name] = mask_text(_shown(value))
    return out


def personal_fields(record: Any, fields: list[Field]) -> set[str]:
    """Fields whose value holds an ID number, phone or address (shown masked and read-only in an edit form)."""
    data = record.model_dump(mode="json")
    return {f.name for f in fields if f.kind not in ("checkboxes", "items", "deductions")
            and isinstance(data.get(f.name), str) and mask_text(data[f.name]) != data[f.name]}


def _value(f: Field, raw: str) -> Any:
    if f.kind in ("date", "number") or f.name in ("related", "satisfaction"):
        return raw or None
    if f.name == "in_warranty":
        return {"是": True, "否": False}.get(raw)
    return raw


def changes_of(form: Any, record: Any, fields: list[Field]) -> dict[str, Any]:
    """What the user changed (compared with the record as the form showed it), as values for the core."""
    shown = record_values(record, fields)
    locked = personal_fields(record, fields)
    out: dict[str, Any] = {}
    for f in fields:
        if f.name in locked or f.readonly:
            continue
        if f.kind == "checkboxes":
            picked = listed(form, f.name)
            if picked != shown[f.name]:
                out[f.name] = picked
        elif f.kind == "items":
            rows = item_rows(form)
            if rows != [_item_shown(i) for i in shown["items"]]:
                out["items"] = rows
        elif f.kind == "deductions":
            rows = deduction_rows(form)
            if rows != [{"name": x["name"], "amount": x["amount"]} for x in shown["deductions"]]:
                out["deductions"] = rows
        else:
            raw = text(form, f.name)
            if raw != shown.get(f.name, ""):
                out[f.name] = _value(f, raw)
    return out


def _item_shown(item: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(item.get(k, "")) for k in ("item", "unit", "declared_qty", "approved_qty", "unit_price")}


def item_rows(form: Any) -> list[dict[str, str]]:
    """The settlement lines typed (rows left empty are ignored)."""
    rows = []
    for i in range(ITEM_ROWS * 4):
        row = {k: text(form, f"items-{i}-{k}", 200) for k in ("item", "unit", "declared_qty", "approved_qty",
                                                                 "unit_price")}
        if any(v for k, v in row.items() if k != "unit"):
            row["unit"] = row["unit"] or "项"
            rows.append(row)
    return rows


def deduction_rows(form: Any) -> list[dict[str, str]]:
    """The deductions typed (rows left empty are ignored)."""
    rows = []
    for i in range(DEDUCTION_ROWS * 4):
        row = {k: text(form, f"deductions-{i}-{k}", 200) for k in ("name", "amount")}
        if any(row.values()):
            rows.append(row)
    return rows


def _typed(form: Any, fields: list[Field]) -> dict[str, Any]:
    values = typed(form, fields)
    if any(f.kind == "items" for f in fields):
        values["items"] = item_rows(form)
        values["deductions"] = deduction_rows(form)
    return values


# -- rendering ---------------------------------------------------------------------------------------
def _form_page(request: Request, *, title: str, action: str, fields: list[Field], values: Mapping[str, Any],
               errors: FormErrors | None = None, status: int = 200, d: Dossier | None = None,
               rev: int | None = None, locked: set[str] | None = None, current: Mapping[str, Any] | None = None,
               submit: str = "保存", back: str = "", intro: str = "", components: list[str] | None = None) -> Response:
    rows_items = list(values.get("items") or [])
    rows_deds = list(values.get("deductions") or [])
    context = {
        "title": title, "action": action, "fields": fields, "values": values, "errors": errors or FormErrors(),
        "d": d, "revision": rev, "locked": locked or set(), "current": current or {}, "submit": submit,
        "back": back, "intro": intro, "components": components or [],
        "item_rows": [_item_shown(r) for r in rows_items] + [{}] * max(1, ITEM_ROWS - len(rows_items)),
        "deduction_rows": [{"name": str(r.get("name", "")), "amount": str(r.get("amount", ""))} for r in rows_deds]
        + [{}] * max(1, DEDUCTION_ROWS - len(rows_deds)),
    }
    return page(request, "case_form.html", context, status=status)


def _status_of(errors: FormErrors, exc: DocgenError) -> int:
    """The HTTP status of a refused form: 409 someone else's change or the record's state, 403 not the user's step."""
    if errors.stale is not None or isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, LockTimeout):
        return 503
    return 400


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFoundError(f"没有「{show_input(kind)}」这种案件")
    return kind


def _defaults(session: Session, kind: str) -> dict[str, Any]:
    today = session.today().isoformat()
    defaults: dict[str, dict[str, Any]] = {"repairs": {"reported_on": today, "channel": "电话", "handled_by": session.user.name},
            "complaints": {"received_on": today, "channel": "电话", "first_responder": session.user.name,
                           "related_repairs": []},
            "revisits": {"date": today, "by": session.user.name, "channel": "电话", "reason": "定期回访"},
            "settlements": {"handled_by": session.user.name, "paid_before": "0.00", "chargeback": "0.00",
                            "repair_ids": [], "items": [], "deductions": []}}
    return defaults[kind]


# -- new cases ----------------------------------------------------------------------------------------
@route(router, "/dossiers/{project}/{unit}/{kind}/new", permission="cases")
def case_new_form(request: Request, project: str, unit: str, kind: str) -> Response:
    """The form for a new repair, complaint, revisit or settlement of a dossier."""
    session = session_of(request)
    key = dossier_key(session, project, unit)
    kind = _kind(kind)
    d = session.archive.dossier(key)
    fields = new_fields(session, kind, d)
    values = _defaults(session, kind)
    if kind == "revisits" and request.query_params.get("related"):
        values["related"] = request.query_params["related"]
        values["reason"] = "投诉后回访" if request.query_params["related"].startswith("TS") else "维修后回访"
    return _form_page(request, title=f"新建{NOUN[kind]} · {d.unit_label}", action=f"/dossiers/{key}/{kind}/new",
                      fields=fields, values=values, d=d, submit="新建", back=f"/dossiers/{key}",
                      components=_vocab(session).component_names())


@route(router, "/dossiers/{project}/{unit}/{kind}/new", permission="cases", methods=("POST",))
async def case_create(request: Request, project: str, unit: str, kind: str) -> Response:
    """Create a repair, complaint, revisit or settlement in a dossier (the user is its 经办人 / 首问责任人 by default)."""
    form = await request.form()
    return await _threaded(request, lambda: _create(request, project, unit, kind, form))


def _create(request: Request, project: str, unit: str, kind: str, form: Any) -> Response:
    session = session_of(request)
    key = dossier_key(session, project, unit)
    kind = _kind(kind)
    d = session.archive.dossier(key)
    fields = new_fields(session, kind, d)
    v = {f.name: text(form, f.name) for f in fields}
    try:
        if kind == "repairs":
            record: Any = cases.new_repair(session, key, component=v["component"], description=v["description"],
                                           location=v["location"], reported_on=v["reported_on"] or None,
                                           reported_by=v["reported_by"], channel=v["channel"] or "电话",
                                           handled_by=v["handled_by"] or None)
        elif kind == "complaints":
            record = cases.new_complaint(session, key, category=v["category"], description=v["description"],
                                         first_responder=v["first_responder"] or None,
                                         received_on=v["received_on"] or None, channel=v["channel"] or "电话",
                                         related_repairs=listed(form, "related_repairs"))
        elif kind == "revisits":
            options: dict[str, Any] = {"by": v["by"] or None, "on": v["date"] or None,
                                       "reason": v["reason"] or "定期回访", "related": v["related"] or None,
                                       "notes": v["notes"], "channel": v["channel"] or "电话"}
            if v["satisfaction"]:
                record = cases.record_revisit(session, key, satisfaction=v["satisfaction"], **options)
            else:
                record = cases.plan_revisit(session, key, **options)
        else:
            record = cases.new_settlement(
                session, key, contractor=v["contractor"], contract_no=v["contract_no"], items=item_rows(form),
                repair_ids=listed(form, "repair_ids"), deductions=deduction_rows(form), payee=v["payee"],
                bank=v["bank"], account=v["account"], handled_by=v["handled_by"] or None,
                paid_before=v["paid_before"] or "0.00", chargeback=v["chargeback"] or "0.00",
                chargeback_to=v["chargeback_to"], attachments=_split(v["attachments"]))
    except DocgenError as exc:
        errors = form_errors(exc, fields)
        return _form_page(request, title=f"新建{NOUN[kind]} · {d.unit_label}", action=f"/dossiers/{key}/{kind}/new",
                          fields=fields, values=_typed(form, fields), errors=errors, status=_status_of(errors, exc),
                          d=d, submit="新建", back=f"/dossiers/{key}", components=_vocab(session).component_names())
    web_state(request).work.board.archive.note_case(record.id, key)
    return RedirectResponse(f"/cases/{record.id}?saved=1", status_code=303)


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.replace(",", ",").replace("、", ",").split(",") if p.strip()]


async def _threaded(request: Request, fn: Callable[[], Response]) -> Response:
    """Run a synchronous view body in the worker threads (the form was read in the event loop)."""
    import anyio.to_thread

    return await anyio.to_thread.run_sync(fn)


# -- one case -------------------------------------------------------------------------------------------
def _locate(session: Session, case_id: str) -> tuple[Dossier, str, Any]:
    try:
        check_safe_id(case_id, "记录编号")
    except UnsafePathError as exc:
        raise NotFoundError(f"记录 {show_input(case_id)} 不存在") from exc
    d, kind, record = session.archive.find_case(case_id)
    try:
        session.check_key(d.key)
    except NotFoundError as exc:
        raise NotFoundError(f"记录 {show_input(case_id)} 不存在或无权查看") from exc
    return d, kind, record


def _chain(session: Session, record: Any) -> dict[str, Any]:
    """A settlement's countersign chain for its approved total: each step, who signed, what is next, who may sign."""
    thresholds = session.config.generate.approval_thresholds
    roles = approval_chain(record.approved_total, thresholds)
    signed = [a for a in record.approvals if a.decision in ("同意", "不同意")]
    refused = any(a.decision == "不同意" for a in signed)
    steps = []
    for i, role in enumerate(roles):
        a = signed[i] if i < len(signed) and signed[i].role == role else next((x for x in signed if x.role == role), None)
        steps.append({"role": role, "name": a.name if a else "", "date": a.date if a else None,
                      "decision": a.decision if a else "", "note": mask_text(a.note) if a else ""})
    step = None if refused or record.status in ("已审批", "已付款") else next(
        (s["role"] for s in steps if not s["decision"]), None)
    user = session.user
    already = any(a.name == user.name for a in signed)
    if step is None or already:
        mine = False
    elif step == "经办人":
        mine = user.can("cases") and (not record.handled_by or record.handled_by == user.name or user.role == "operator")
    else:
        mine = user.can("approve") and user.may_sign(step)
    return {"steps": steps, "next": step, "mine": mine, "already": already, "refused": refused,
            "thresholds": {k: str(v) for k, v in thresholds.items()}}


def render_case(request: Request, case_id: str, *, errors: FormErrors | None = None, values: Mapping[str, Any] | None = None,
                form: str = "", status: int = 200, message: str = "", current: Mapping[str, Any] | None = None,
                rev: int | None = None) -> Response:
    """The case page: its facts (masked), links, documents, the chain of a settlement, and its forms."""
    session = session_of(request)
    d, kind, record = _locate(session, case_id)
    view = dossier_view(d)
    shown = next(r for r in view[kind] if r["id"] == case_id)
    fields = edit_fields(session, kind, d)
    editable = session.can("cases") and _editable(kind, record)
    docs = [doc for doc, raw in zip(view["documents"], d.documents, strict=True) if raw.related == case_id]
    linked: list[dict[str, str]] = []
    if kind == "complaints":
        linked = [{"id": r.id, "label": f"报修 {r.id} {r.component}({r.status})"} for r in d.repairs
                  if r.id in record.related_repairs]
    elif kind == "revisits" and record.related:
        linked = [{"id": record.related, "label": f"跟进 {record.related}"}]
    elif kind == "settlements":
        linked = [{"id": r, "label": f"报修 {r}"} for r in record.repair_ids]
    followed_by = [{"id": v.id, "label": f"回访 {v.id} {v.date}({v.status})"} for v in d.revisits if v.related == case_id]
    complaints_of = [{"id": c.id, "label": f"投诉 {c.id} {c.category}({c.status})"} for c in d.complaints
                     if case_id in c.related_repairs]
    current_values = record_values(record, fields)
    edit_values = values if (form == "edit" and values is not None) else current_values
    context = {
        "title": f"{NOUN[kind]} {case_id}", "d": d, "kind": kind, "noun": NOUN[kind], "record": record, "shown": shown,
        "fields": fields, "values": edit_values, "form_values": values or {}, "errors": errors or FormErrors(),
        "form": form, "editable": editable, "locked": personal_fields(record, fields), "none_errors": FormErrors(),
        "revision": rev if rev is not None else record.revision, "current": current or {},
        "message": message or ("已保存。" if request.query_params.get("saved") else ""),
        "docs": docs, "linked": linked, "followed_by": followed_by, "complaints_of": complaints_of,
        "chain": _chain(session, record) if kind == "settlements" else None, "open_repairs": REPAIR_OPEN,
        "related_options": _related_options(d),
        "repair_options": [(r.id, f"{r.id} {r.component}({r.status})") for r in d.repairs],
        "components": _vocab(session).component_names(), "satisfaction": SATISFACTION_LABELS,
        "item_rows": [_item_shown(i) for i in edit_values.get("items", [])] + [{}] * 2,
        "deduction_rows": [{"name": str(x.get("name", "")), "amount": str(x.get("amount", ""))}
                           for x in edit_values.get("deductions", [])] + [{}] * 2,
        "close_fields": CLOSE_FIELDS.get(kind, []), "today": session.today().isoformat(),
        "generate": {"repairs": "compensation", "settlements": "settlement"}.get(kind),
    }
    return page(request, "case.html", context, status=status)


def _editable(kind: str, record: Any) -> bool:
    if kind == "repairs":
        return record.status not in ("已关闭",)
    if kind == "complaints":
        return record.status != "已关闭"
    if kind == "revisits":
        return True
    return record.status in ("草稿", "已驳回")


@route(router, "/cases/{case_id}", permission="read")
def case_page(request: Request, case_id: str) -> Response:
    """One repair, complaint, revisit or settlement (text masked), with its forms for those who may act on it."""
    return render_case(request, case_id)


def _act(request: Request, case_id: str, form: Any, name: str, act: Callable[[Session, Any, Any, int | None], Any],
         fields: Callable[[Session, str, Dossier], list[Field]] | None = None) -> Response:
    """Run one action on a case; on refusal show the case page with the errors beside that form's fields."""
    session = session_of(request)
    d, kind, record = _locate(session, case_id)
    rev = revision(form)
    try:
        act(session, d, record, rev)
    except DocgenError as exc:
        spec = fields(session, kind, d) if fields is not None else []
        errors = form_errors(exc, spec)
        current: dict[str, Any] = {}
        new_rev = rev
        if isinstance(exc, StaleEditError):
            _d, _k, now = _locate(session, case_id)
            current = {k: v for k, v in record_values(now, spec).items() if v != _typed(form, spec).get(k)}
            new_rev = exc.current
        values = _typed(form, spec) if spec else None
        return render_case(request, case_id, errors=errors, values=values, form=name, status=_status_of(errors, exc),
                           current=current, rev=new_rev)
    return RedirectResponse(f"/cases/{case_id}?saved=1", status_code=303)


@route(router, "/cases/{case_id}", permission="cases", methods=("POST",), name="case_save")
async def case_save(request: Request, case_id: str) -> Response:
    """Save the edited fields of a case (based on the revision the form was loaded at)."""
    form = await request.form()

    def save(session: Session, d: Dossier, record: Any, rev: int | None) -> None:
        _d, kind, _r = _locate(session, case_id)
        spec = edit_fields(session, kind, d)
        changes = changes_of(form, record, spec)
        if kind == "settlements" and record.status == "已驳回":
            cases.resubmit_settlement(session, case_id, changes=changes, revision=rev)
            return
        if not changes:
            return
        cases.update_case(session, case_id, changes, revision=rev, summary=f"网页修改{NOUN[kind]} {case_id}")

    return await _threaded(request, lambda: _act(request, case_id, form, "edit", save, edit_fields))


CLOSE_FIELDS = {
    "repairs": [Field("acceptance", "验收结果", "select", [("合格", "合格"), ("不合格", "不合格")]),
                Field("on", "验收日期", "date"), Field("note", "备注")],
    "complaints": [Field("resolution", "处理结果", "textarea", required=True), Field("on", "关闭日期", "date")],
    "revisits": [Field("satisfaction", "满意度", "select", [(k, f"{k} {v}") for k, v in SATISFACTION_LABELS.items()]),
                 Field("notes", "回访记录", "textarea"), Field("on", "回访日期", "date")],
}


@route(router, "/cases/{case_id}/close", permission="cases", methods=("POST",))
async def case_close(request: Request, case_id: str) -> Response:
    """Close a case: a repair by the owner's acceptance, a complaint with its resolution, a planned revisit when done."""
    form = await request.form()

    def close(session: Session, d: Dossier, record: Any, rev: int | None) -> None:
        _d, kind, _r = _locate(session, case_id)
        on = text(form, "on") or None
        if kind == "repairs":
            cases.close_repair(session, case_id, acceptance=text(form, "acceptance"), on=on, note=text(form, "note"),
                               revision=rev)
        elif kind == "complaints":
            cases.close_complaint(session, case_id, resolution=text(form, "resolution"), on=on, revision=rev)
        elif kind == "revisits":
            cases.complete_revisit(session, case_id, satisfaction=text(form, "satisfaction"),
                                   notes=text(form, "notes"), on=on, revision=rev)
        else:
            raise NotFoundError("结算没有「关闭」:会签完成后登记付款")

    return await _threaded(request, lambda: _act(request, case_id, form, "close", close,
                                                 lambda s, k, d: CLOSE_FIELDS.get(k, [])))


LINK_FIELDS = [Field("related_repairs", "关联报修单", "checkboxes"), Field("related", "跟进的案件", "select")]


@route(router, "/cases/{case_id}/link", permission="cases", methods=("POST",))
async def case_link(request: Request, case_id: str) -> Response:
    """Link a complaint to its repairs (tick them) or a revisit to the case it follows."""
    form = await request.form()

    def link(session: Session, d: Dossier, record: Any, rev: int | None) -> None:
        _d, kind, _r = _locate(session, case_id)
        if kind == "complaints":
            picked = listed(form, "related_repairs")
            cases.update_case(session, case_id, {"related_repairs": picked}, revision=rev,
                              summary=f"投诉 {case_id} 关联报修单 {'、'.join(picked) or '(无)'}")
        elif kind == "revisits":
            cases.link_revisit(session, case_id, text(form, "related"), revision=rev)
        else:
            raise NotFoundError("只有投诉和回访可以关联")

    return await _threaded(request, lambda: _act(request, case_id, form, "link", link, lambda s, k, d: LINK_FIELDS))


SIGN_FIELDS = [Field("decision", "意见", "select"), Field("note", "说明")]


@route(router, "/cases/{case_id}/submit", permission="cases", methods=("POST",))
async def settlement_submit(request: Request, case_id: str) -> Response:
    """The 经办人 signs a settlement: it goes on the countersign chain (审批中)."""
    form = await request.form()

    def submit(session: Session, d: Dossier, record: Any, rev: int | None) -> None:
        _settlement(session, case_id)
        cases.approve_settlement(session, case_id, role="经办人", decision="同意", note=text(form, "note", 500),
                                 revision=rev)

    return await _threaded(request, lambda: _act(request, case_id, form, "sign", submit, lambda s, k, d: SIGN_FIELDS))


@route(router, "/cases/{case_id}/approve", permission="approve", methods=("POST",))
async def settlement_approve(request: Request, case_id: str) -> Response:
    """Sign the next step of a settlement's chain (同意, or 不同意 with the reason, which returns it to the 经办人)."""
    form = await request.form()

    def approve(session: Session, d: Dossier, record: Any, rev: int | None) -> None:
        _settlement(session, case_id)
        step = _chain(session, record)["next"]
        cases.approve_settlement(session, case_id, role=step, decision=text(form, "decision") or "同意",
                                 note=text(form, "note", 500), revision=rev)

    return await _threaded(request, lambda: _act(request, case_id, form, "sign", approve, lambda s, k, d: SIGN_FIELDS))


@route(router, "/cases/{case_id}/paid", permission="cases", methods=("POST",))
async def settlement_paid(request: Request, case_id: str) -> Response:
    """Record that an approved settlement has been paid (已付款)."""
    form = await request.form()

    def paid(session: Session, d: Dossier, record: Any, rev: int | None) -> None:
        _settlement(session, case_id)
        cases.mark_settlement_paid(session, case_id, revision=rev)

    return await _threaded(request, lambda: _act(request, case_id, form, "paid", paid))


def _settlement(session: Session, case_id: str) -> None:
    _d, kind, _r = _locate(session, case_id)
    if kind != "settlements":
        raise NotFoundError(f"{show_input(case_id)} 不是第三方维修结算")


# -- 我的工作 ---------------------------------------------------------------------------------------------
@route(router, "/work", permission="read")
def work_page(request: Request) -> Response:
    """我的工作: my open cases (overdue first), overdue cases, revisits due this week, settlements to sign."""
    session = session_of(request)
    lists = work_lists(session, web_state(request).work.board)
    return page(request, "work.html", {"lists": lists, "title": "我的工作", "kinds": KIND_LABELS,
                                      "today": session.today()})

