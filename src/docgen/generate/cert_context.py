"""Contexts of the certificate paperwork (办证): materials checklist, 委托书, 领证通知; and their sample records.

Like :mod:`docgen.generate.context`, every builder is a pure function of
records returning plain values, so ``docgen templates check`` runs them on
the sample records below.  What an owner or the registry reads carries no
internal words: statuses become what the owner must do (已收到 / 请携带 / 请到场签字),
never the system's status names.

The 委托书 is a contract-like paper: it names every owner with their full ID
number and address (the registry checks them against the ID cards), so the
generator journals a reveal before building it; the checklist and the notice
hold no ID number, phone or address.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from docgen.certificates.deadlines import HouseholdDeadline
from docgen.certificates.readiness import Item, Readiness
from docgen.generate.environment import missing
from docgen.generate.filters import cn_date
from docgen.generate.settings import GenerateSettings
from docgen.models import Dossier, Project, Registration, RegistrationEntry

Context = dict[str, Any]
DEFAULT_PLACE = "客户服务中心"
DEFAULT_HOURS = "工作日 09:00-17:00"


def _required(value: Any, field: str, record: str, label: str) -> Any:
    return value if value not in (None, "", []) else missing(field, record, label)


def _or(value: Any, default: str = "—") -> Any:
    return value if value not in (None, "", []) else default


def _base(project: Project, dossier: Dossier, today: dt.date) -> Context:
    """Project, developer, unit, owners' names and the issue date."""
    dev = project.developer
    return {
        "project": {"code": project.code, "name": project.name, "address": _or(project.address),
                    "service_phone": _or(project.service_phone)},
        "developer": {"name": dev.name, "address": _or(dev.address), "phone": _or(dev.phone)},
        "unit": {"code": dossier.unit, "label": dossier.unit_label, "key": dossier.key},
        "owner_names": dossier.owner_names,
        "dossier": {"contract_no": _or(dossier.contract_no), "filing_no": _or(dossier.filing_no)},
        "issued_on": today,
    }


# -- 办证材料清单 --------------------------------------------------------------------------
def _what_to_do(item: Item) -> str:
    if item.satisfied:
        return "已收到"
    if item.check in ("delivered", "paid"):
        return "请先办理"
    if item.note and not item.bring:
        return "请到场签字"
    return "请携带" if item.bring else "请补交"


def checklist_context(project: Project, dossier: Dossier, ready: Readiness, deadline: HouseholdDeadline | None,
                      today: dt.date, registration: Registration | None = None) -> Context:
    """Context of one household's materials checklist: what is filed already, what to bring or sign."""
    ctx = _base(project, dossier, today)
    shown = [i for i in ready.items if i.applicable and i.check not in ("delivered",)]
    received = [{"n": n, "label": i.label, "copies": i.copies or "—"} for n, i in
                enumerate((i for i in shown if i.satisfied), 1)]
    wanted = [
        {"n": n, "label": i.label, "action": _what_to_do(i), "bring": _or(i.bring, ""),
         "note": i.note or (i.detail if i.detail and i.detail != "未归档" else "")}
        for n, i in enumerate((i for i in shown if not i.satisfied), 1)
    ]
    due = deadline.certificate.due if deadline is not None else None
    ctx.update({
        "received": received or [{"n": "—", "label": "暂无", "copies": ""}],
        "wanted": wanted or [{"n": "—", "label": "材料已齐全，无需补交", "action": "", "bring": "", "note": ""}],
        "complete": not wanted,
        "summary": ("您的办证材料已经齐全，我司将统一递交不动产登记中心，出证后另行通知领取。" if not wanted
                    else f"尚需办理或补交 {len(wanted)} 项，请按下表准备，携带原件到{DEFAULT_PLACE}办理。"),
        "due": cn_date(due) if due is not None else "—",
        "batch": {"id": registration.id if registration is not None else "—"},
    })
    return ctx


# -- 委托书 ------------------------------------------------------------------------------------
def power_of_attorney_context(project: Project, dossier: Dossier, today: dt.date,
                              registration: Registration | None = None) -> Context:
    """Context of the 委托书: every owner (full name, ID number, address) authorises the developer to register for them.

    Full identity: the caller journals the reveal before this is built.
    """
    record = f"档案 {dossier.key}"
    prec = f"项目 {project.code}"
    dev = project.developer
    ctx = _base(project, dossier, today)
    area = dossier.area_measured if dossier.area_measured is not None else dossier.area_contract
    ctx["developer"].update({
        "credit_code": _required(dev.credit_code, "developer.credit_code", prec, "统一社会信用代码"),
        "legal_rep": _required(dev.legal_rep, "developer.legal_rep", prec, "法定代表人"),
    })
    ctx.update({
        "owners": [
            {"n": n, "name": o.name, "role": o.role, "id_number": o.id_number, "address": _or(o.address)}
            for n, o in enumerate(dossier.owners, 1)
        ],
        "house": {
            "contract_no": _required(dossier.contract_no, "contract_no", record, "合同编号"),
            "filing_no": _required(dossier.filing_no, "filing_no", record, "合同备案号"),
            "area": _required(area, "area_measured", record, "建筑面积"),
        },
        "registry": _or(registration.registry if registration is not None else "", "不动产登记中心"),
    })
    return ctx


# -- 领证通知 ------------------------------------------------------------------------------------
def notice_context(project: Project, dossier: Dossier, entry: RegistrationEntry, today: dt.date, *,
                   place: str = "", hours: str = "", until: dt.date | None = None) -> Context:
    """Context of one household's collection notice: the certificate is ready, where and when to collect it."""
    record = f"档案 {dossier.key}"
    ctx = _base(project, dossier, today)
    ctx.update({
        "certificate": {
            "number": _required(entry.certificate_no or dossier.certificate_no, "certificate_no", record, "不动产权证号"),
            "date": _required(entry.certified_on or dossier.certified_on, "certified_on", record, "登簿日期"),
        },
        "collect": {
            "place": place or DEFAULT_PLACE,
            "hours": hours or DEFAULT_HOURS,
            "until": cn_date(until) if until is not None else "",
            "bring_agent": "委托他人领取的，受托人还须携带全体产权人签字的委托书及受托人身份证原件。",
        },
        "co_owned": len(dossier.owners) > 1,
    })
    return ctx


# -- sample records for `docgen templates check` ------------------------------------------------------
def _samples() -> tuple[Project, Dossier, Registration]:
    from docgen.generate import samples

    project = samples.project()
    dossier = samples.dossier()
    dossier.area_measured = dossier.area_contract
    registration = Registration(
        id="DJ-2026-00001", project=project.code, name="一期第一批办证", registry="福州市不动产登记中心",
        created_on=dt.date(2026, 10, 8), submitted_on=dt.date(2026, 10, 15), receipt_no="FZ-2026-1015-001",
        households=[RegistrationEntry(unit=dossier.unit, joined_on=dt.date(2026, 10, 8), status="已出证",
                                      certificate_no="闽(2026)福州市不动产权第0000001号",
                                      certified_on=dt.date(2026, 11, 20))],
    )
    return project, dossier, registration


def sample_checklist(settings: GenerateSettings) -> Context:
    """The checklist context on the sample records (one item filed, one to bring, one to sign)."""
    from docgen.certificates.deadlines import household_deadline
    from docgen.certificates.readiness import readiness
    from docgen.certificates.requirements import default_certificate_rules

    project, dossier, registration = _samples()
    reqs = default_certificate_rules().for_project(project.code)
    ready = readiness(dossier, project, reqs)
    from docgen.audit.rules import Deadlines

    deadline = household_deadline(dossier, Deadlines(), dt.date(2026, 11, 28))
    return checklist_context(project, dossier, ready, deadline, dt.date(2026, 11, 28), registration)


def sample_power_of_attorney(settings: GenerateSettings) -> Context:
    """The 委托书 context on the sample records."""
    project, dossier, registration = _samples()
    return power_of_attorney_context(project, dossier, dt.date(2026, 11, 28), registration)


def sample_notice(settings: GenerateSettings) -> Context:
    """The 领证通知 context on the sample records."""
    project, dossier, registration = _samples()
    return notice_context(project, dossier, registration.households[0], dt.date(2026, 11, 28),
                          until=dt.date(2026, 12, 31))
