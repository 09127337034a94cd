"""Generate paperwork from the archive: render, number, QR-code, file, and optionally convert to PDF.

One entry point per document kind (:meth:`Generator.handover_plan`,
:meth:`~Generator.notices`, :meth:`~Generator.compensation`,
:meth:`~Generator.settlement`); all go through :meth:`Generator._run`:

1. for each document, in one archive transaction: take the next ``DOC-<year>-<n>``
   id from the archive counter, render the template with that id and a QR code
   (``DG1:D:<id>:<owner key>``) in the page header, save the .docx to the output
   folder, and file it into the dossier (or the project, for a handover plan)
   as ``source="generated"``, unsigned, with its text.  A render error aborts
   that transaction, so no number is used up and nothing half-made is filed.
   A job may make several documents for one owner (a notice and its
   面积补差单), filed together; a hook may stage more in the same transaction
   (the batch file, whose units the notices mark notified).
2. with ``pdf=True``: one LibreOffice process converts the whole batch; each
   PDF is checked for Chinese text and a CJK font, then filed as its own
   document ``related`` to the .docx record (same QR id printed on it); the
   notices of a batch can also be merged into one file for duplex printing.

The records decide what may be generated: a notice is refused while a
required delivery condition is missing (``conditions.py``) and per unit once
the unit was notified or handed over (``refusals.py`` words both for the
caller: the CLI's flags, a web form's fields); a settlement sheet is a draft until its
countersign chain is complete; an agreement names its party in full and is
journaled as a reveal through the privacy policy (``docgen.privacy.reveal``).

Progress is reported through a callback ``(stage, done, total, label)``; the CLI
draws it.  ``gc.collect()`` runs between documents: docxtpl leaves cyclic
garbage (224 MB vs 47 MB after 1,000 documents, measurements.md).
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docgen import privacy
from docgen.archive import Archive, Transaction
from docgen.archive.revisions import stamp
from docgen.errors import (
    DocgenError,
    NotFoundError,
    RecordError,
    UnsafePathError,
    UsageError,
    quote_input,
)
from docgen.generate import context as ctx_mod
from docgen.generate.area import AreaAdjustment, AreaAdjustmentError, area_adjustment
from docgen.generate.catalog import TEMPLATES, template_path
from docgen.generate.conditions import ConditionState, delivery_conditions, missing
from docgen.generate.pdf import convert_to_pdf, has_cjk_font, merge_for_duplex, plan_fonts
from docgen.generate.refusals import (
    AREA_PROBLEM,
    DEFAULT_HINTS,
    UNREADABLE,
    ConditionsNotMet,
    ForceReasonRequired,
    Hints,
    Refusal,
    already,
    force_reason,
)
from docgen.generate.render import GenerateError, TemplateRenderer
from docgen.generate.settings import GenerateSettings
from docgen.generate.text import docx_text, pdf_fonts, pdf_pages
from docgen.models import Batch, BatchUnit, Dossier, PageInfo, Project, RepairTicket, Settlement
from docgen.progress import Progress
from docgen.qrcodes import DocumentCode
from docgen.units import check_safe_id

if TYPE_CHECKING:
    from docgen.session import Session

STAGE_RENDER = "生成文书"
STAGE_PDF = "转换 PDF"
STAGE_FILE_PDF = "归档 PDF"
STAGE_MERGE = "合并打印"
NOTICE_MIN_DAYS = 7  # written handover notice at least 7 days ahead (Beijing rule, domain.md)
DEFAULT_CHANNEL = "EMS+电话+短信"  # the plan's 业主通知: courier, then phone and SMS
AGREEMENT_WHY = "质量问题赔偿协议须载明当事人的完整身份信息"
NOTICE = "handover_notice"
AREA = "area_adjustment"


@dataclass
class Part:
    """One document of a job: its template kind, context, the document it replaces, a filing note."""

    kind: str
    context: dict[str, Any]
    supersedes: str | None = None
    note: str = ""


@dataclass
class Job:
    """The documents to make for one owner (a dossier or a project), from one record."""

    owner_key: str
    label: str
    record: str
    related: str
    parts: list[Part]
    unit: str = ""
    """The batch unit (``03-2-1204``) a notice is for; empty otherwise."""


@dataclass
class GeneratedDocument:
    """One generated document: its id, where it was filed, and its files in the output folder."""

    doc_id: str
    kind: str
    title: str
    owner_key: str
    label: str
    docx: Path
    pdf: Path | None = None
    pdf_doc_id: str | None = None
    unit: str = ""
    supersedes: str | None = None


@dataclass
class GenerateResult:
    """The outcome of a generate command."""

    kind: str
    documents: list[GeneratedDocument] = field(default_factory=list)
    output_dir: Path | None = None
    fonts: list[str] = field(default_factory=list)
    font_note: str = ""
    warnings: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    """Units left out (already notified or handed over, data missing), each with its reason."""
    unreadable: list[str] = field(default_factory=list)
    """Records skipped because they cannot be read (named; the command exits non-zero at the end)."""
    flags: list[str] = field(default_factory=list)
    """What staff must act on before the paper goes out (a 面积误差比 beyond ±3 %: explain the right to return)."""
    merged_pdf: Path | None = None
    merged_pages: int = 0
    draft: bool = False
    """A settlement sheet printed before its countersign chain is complete (草稿 on every page)."""
    forced: str = ""
    """The reason given for generating notices despite missing delivery conditions."""

    def of_kind(self, kind: str) -> list[GeneratedDocument]:
        """The documents of one kind (``handover_notice``, ``area_adjustment`` …), in order."""
        return [d for d in self.documents if d.kind == kind]


@dataclass
class _UnitPlan:
    """What the first pass over a batch found for one unit that will get a notice."""

    unit: str
    key: str
    label: str
    adjustment: AreaAdjustment | None
    unmeasured: bool
    previous: dict[str, str]


@dataclass
class NoticeCheck:
    """What a run of notices would do (:meth:`Generator.check_notices`): found before anything is numbered or filed."""

    ref: str
    name: str
    units: list[str]
    """The units that would get a notice (codes, in the batch's order)."""
    refused: list[Refusal]
    """The units that would not, each with its reason and code."""
    lacking: list[ConditionState]
    """The missing required conditions the run would issue without (``force``); empty when none are missing."""
    reason: str
    """The cleaned reason for issuing anyway ("" when nothing is missing)."""


@dataclass
class _NoticeRun:
    """Everything :meth:`Generator._prepare_notices` found, for the run that follows."""

    batch: Batch
    project: Project
    ref: str
    plans: list[_UnitPlan]
    refused: list[Refusal]
    conditions: list[ConditionState]
    lacking: list[ConditionState]
    reason: str
    unreadable: list[str]


def _noop(stage: str, done: int, total: int, label: str) -> None:
    return None


def _safe_label(text: str) -> str:
    return "".join(c for c in text if c not in '\\/:*?"<>|\0 ')


class Generator:
    """Makes documents for one archive with one configuration.

    With a :class:`~docgen.session.Session` the generator acts as its user:
    the journal names them, their project scope applies, and each command
    checks their permissions (``generate``; ``handover`` for notices, which
    change the batch; ``reveal`` for an agreement or an unmasked plan).
    """

    def __init__(self, archive: Archive | None, settings: GenerateSettings, output: Path | None = None,
                 *, session: Session | None = None) -> None:
        if archive is None and session is None:
            raise DocgenError("内部错误:Generator 需要档案库或会话")
        self.session = session
        self.archive: Archive = session.archive if session is not None else archive  # type: ignore[assignment]
        self.settings = settings
        self.output = Path(output) if output is not None else Path(settings.output)

    def _allow(self, permission: str, project: str) -> None:
        if self.session is not None:
            self.session.require(permission, project)

    # -- record lookup ---------------------------------------------------------
    def find_batch(self, ref: str) -> Batch:
        """A batch by ``HXSZ/B01`` or by ``B01`` when only one (visible) project has it."""
        if "/" in ref:
            project, batch_id = ref.split("/", 1)
            if self.session is not None:
                self.session.check_project(project.strip().upper())
            try:
                return self.archive.batch(project, check_safe_id(batch_id, "批次编号"))
            except ValueError as exc:  # a malformed project code
                raise UnsafePathError(f"交房批次{quote_input(ref)}无效:{exc}") from exc
        check_safe_id(ref, "批次编号")
        codes = self.archive.project_codes()
        if self.session is not None:
            codes = self.session.visible(codes)
        found = [self.archive.batch(code, ref) for code in codes if ref in self.archive.batch_ids(code)]
        if not found:
            raise NotFoundError(f"交房批次 {ref} 不存在(可写成 项目/批次,如 HXSZ/B01)")
        if len(found) > 1:
            raise UsageError(f"多个项目都有批次 {ref},请写成 项目/批次(如 {found[0].project}/{ref})")
        return found[0]

    def _case(self, record_id: str, kind: str, label: str) -> tuple[Any, Any]:
        dossier, found_kind, record = self.archive.find_case(record_id)
        if self.session is not None:
            try:
                self.session.check_key(dossier.key)
            except NotFoundError as exc:
                raise NotFoundError(f"记录 {record_id} 不存在或无权查看") from exc
        if found_kind != kind:
            raise UsageError(f"{record_id} 不是{label}(它是 {found_kind} 记录)")
        return dossier, record

    # -- commands --------------------------------------------------------------
    def handover_plan(self, batch_ref: str, *, pdf: bool = False, reveal: bool = False, reason: str = "",
                      progress: Progress | None = None) -> GenerateResult:
        """交房方案 for a batch, filed into the project; its delivery conditions are the records'."""
        batch = self.find_batch(batch_ref)
        self._allow("generate", batch.project)
        if reveal:
            self._allow("reveal", batch.project)
            self._may_disclose(reason)
        project = self.archive.project(batch.project)
        dossiers = {u.unit: self.archive.dossier(f"{batch.project}/{u.unit}") for u in batch.units}
        unmeasured = [d.unit_label for d in dossiers.values() if d.area_measured is None]
        conditions = delivery_conditions(project, batch, unmeasured)
        context = ctx_mod.plan_context(project, batch, dossiers, self.archive.today(), reveal=reveal, conditions=conditions)
        job = Job(project.code, batch.id, f"交房批次 {batch.project}/{batch.id}", batch.id, [Part("handover_plan", context)])
        result = self._run(["handover_plan"], [job], pdf=pdf, progress=progress)
        for c in missing(conditions):
            result.warnings.append(f"交付条件未具备:{c.reason};该条件落实前不能发出交房通知书")
        for c in missing(conditions, required=False):
            result.warnings.append(f"交付条件未落实:{c.reason}")
        if reveal:
            self._disclose(batch_ref=f"{batch.project}/{batch.id}", what=f"交房方案中的业主电话({len(dossiers)} 户)",
                           why=reason, docs=result.documents)
        return result

    def check_notices(self, batch_ref: str, *, units: Iterable[str] | None = None,
                      again: bool | Collection[str] = False, force: bool = False, reason: str = "",
                      overriding: Collection[str] | None = None, hints: Hints = DEFAULT_HINTS) -> NoticeCheck:
        """What :meth:`notices` with these arguments would do, refused the same way, with nothing numbered or filed.

        A caller that shows a form (the web) asks this first, so a refusal is
        answered at once with the choices it offers; the generation itself
        checks everything again.
        """
        run = self._prepare_notices(batch_ref, units=units, again=again, force=force, reason=reason,
                                    overriding=overriding, hints=hints)
        return NoticeCheck(run.ref, run.batch.name, [p.unit for p in run.plans], run.refused,
                           run.lacking if run.plans else [], run.reason)

    def notices(self, batch_ref: str, *, units: Iterable[str] | None = None, pdf: bool = False, merged: bool = False,
                reveal: bool = False, again: bool | Collection[str] = False, force: bool = False, reason: str = "",
                strict: bool = False, channel: str = DEFAULT_CHANNEL, area_sheets: bool = True,
                overriding: Collection[str] | None = None, hints: Hints = DEFAULT_HINTS,
                progress: Progress | None = None) -> GenerateResult:
        """交房通知书 (and each unit's 面积补差单) for every unit of a batch or the listed units, in one run.

        * Refused as a whole (:class:`ConditionsNotMet`) while a required
          delivery condition is missing, unless ``force`` with a ``reason``
          (journaled as ``generate.override``); ``overriding`` names the
          conditions the person agreed to issue without (a form showed them):
          another missing one refuses the run again (``changed``).
        * A unit already notified or handed over is left out with its reason in
          ``result.refused`` unless ``again`` (every unit, or the unit codes
          given): the new notice then supersedes the previous one.  ``strict``
          refuses the run instead.
        * Each unit is marked notified (``已通知``, ``notice_sent_on`` today,
          ``channel``) in the same transaction that files its notice.
        * ``merged`` (implies ``pdf``): one PDF of the batch in unit order, each
          document starting on an odd page (duplex); not filed, the per-unit
          files are.
        * ``hints``: how the caller's user asks for what a refusal offers
          (the CLI's flags, a web form's fields; :mod:`docgen.generate.refusals`).
        """
        pdf = pdf or merged
        run = self._prepare_notices(batch_ref, units=units, again=again, force=force, reason=reason,
                                    overriding=overriding, hints=hints, reveal=reveal, strict=strict, pdf=pdf)
        batch, project, plans, conditions, lacking, ref = (run.batch, run.project, run.plans, run.conditions,
                                                            run.lacking, run.ref)
        channel = channel.strip() or DEFAULT_CHANNEL
        today = self.archive.today()
        result = GenerateResult(kind=NOTICE, refused=run.refused, output_dir=self.output / NOTICE,
                                unreadable=list(run.unreadable))
        if not plans:
            return result  # every unit refused: each says why; the conditions do not matter
        if lacking:
            result.forced = run.reason
            self.archive.record_access(
                "generate.override", ref,
                f"交付条件未具备仍生成交房通知书({len(plans)} 户):{';'.join(c.reason for c in lacking)};理由:{result.forced}",
                {"missing": [c.code for c in lacking], "reason": result.forced, "units": [p.unit for p in plans]},
            )
        by_unit = {bu.unit: bu for bu in batch.units}

        def jobs() -> Iterator[Job]:
            for plan in plans:  # contexts are built lazily: one dossier in memory at a time
                dossier = self.archive.dossier(plan.key)
                bu = by_unit[plan.unit]
                ctx = ctx_mod.notice_context(project, batch, bu, dossier, today, reveal=reveal, adjustment=plan.adjustment)
                parts = [Part(NOTICE, ctx, plan.previous.get(NOTICE))]
                if area_sheets and plan.adjustment is not None:
                    actx = ctx_mod.area_context(project, batch, dossier, plan.adjustment, today)
                    parts.append(Part(AREA, actx, plan.previous.get(AREA)))
                yield Job(dossier.key, dossier.unit_label, f"档案 {dossier.key}", batch.id, parts, unit=plan.unit)

        def mark_notified(tx: Transaction, filed: Sequence[Job]) -> None:
            """Stage the batch with the chunk's units marked notified, in the transaction that files their notices."""
            codes = {j.unit for j in filed}
            current = self.archive.batch(batch.project, batch.id)  # under the lock: other chunks' marks included
            now = self.archive.now()
            for u in current.units:
                if u.unit in codes:
                    if u.status == "待通知":
                        u.status = "已通知"
                    u.notice_sent_on = today
                    u.notice_channel = channel
                    stamp(u, self.archive.actor, now)  # only these units changed (stamp_batch would compare all)
            self.archive.save_batch(current, tx, same_units=True)

        total = sum(1 + (1 if area_sheets and p.adjustment is not None else 0) for p in plans)
        self._run([NOTICE, AREA] if area_sheets else [NOTICE], jobs(), total=total, pdf=pdf, progress=progress,
                  on_filed=mark_notified, result=result)
        if merged:
            self._merge(result, ref, progress or _noop)
        self._notice_warnings(result, batch, plans, conditions, area_sheets, today)
        if reveal:
            self._disclose(batch_ref=ref, what=f"交房通知书中的业主电话({len(plans)} 户)", why=reason,
                           docs=result.of_kind(NOTICE))
        return result

    def _prepare_notices(self, batch_ref: str, *, units: Iterable[str] | None, again: bool | Collection[str],
                         force: bool, reason: str, overriding: Collection[str] | None, hints: Hints,
                         reveal: bool = False, strict: bool = False, pdf: bool = False) -> _NoticeRun:
        """Every check of a run of notices, in order, before anything is numbered or filed (one pass over the dossiers)."""
        batch = self.find_batch(batch_ref)
        self._allow("generate", batch.project)
        self._allow("handover", batch.project)
        if reveal:
            self._allow("reveal", batch.project)
            self._may_disclose(reason)
        cleaned = force_reason(reason, hints) if force else ""
        if pdf:
            from docgen.generate.pdf import require_soffice

            require_soffice(self.settings.soffice)  # before anything else: nothing to refuse or file without it
        project = self.archive.project(batch.project)
        chosen = self._chosen(batch, units)
        self._unreadable: list[str] = []
        plans, refused = self._plan_units(batch, chosen, again, hints)
        unmeasured = [p.label for p in plans if p.unmeasured]
        conditions = delivery_conditions(project, batch, unmeasured)
        lacking = missing(conditions)
        ref = f"{batch.project}/{batch.id}"
        if strict and refused:
            lines = "\n".join(f"  - {r.label}:{r.reason}" for r in refused)
            raise GenerateError(f"有 {len(refused)} 户不能生成交房通知书,本次未生成任何文书:\n{lines}")
        if plans and lacking:
            changed = force and overriding is not None and bool({c.code for c in lacking} - set(overriding))
            if not force or changed:
                raise ConditionsNotMet(ref, batch.name, lacking, hints=hints, changed=changed,
                                       units=[p.unit for p in plans], refused=refused)
        return _NoticeRun(batch, project, ref, plans, refused, conditions, lacking, cleaned if lacking else "",
                          list(self._unreadable))

    def _chosen(self, batch: Batch, units: Iterable[str] | None) -> list[BatchUnit]:
        wanted = None
        if units:
            from docgen.units import parse_unit

            try:
                wanted = {parse_unit(u).code for u in units}
            except ValueError as exc:
                raise UsageError(str(exc)) from exc
            unknown = wanted - {u.unit for u in batch.units}
            if unknown:
                raise NotFoundError(f"批次 {batch.id} 中没有房号 {'、'.join(sorted(unknown))}")
        chosen = [u for u in batch.units if wanted is None or u.unit in wanted]
        if not chosen:
            raise NotFoundError(f"交房批次 {batch.project}/{batch.id} 中没有房屋")
        return chosen

    def _plan_units(self, batch: Batch, chosen: Sequence[BatchUnit], again: bool | Collection[str],
                    hints: Hints) -> tuple[list[_UnitPlan], list[Refusal]]:
        """First pass: which units get a notice, their 面积补差, what a reissue replaces; who is refused and why.

        Done before anything is numbered or filed, so a refusal costs nothing;
        only small results are kept (one dossier in memory at a time).
        """
        plans: list[_UnitPlan] = []
        refused: list[Refusal] = []
        reissue = _reissue(again)
        for bu in chosen:
            key = f"{batch.project}/{bu.unit}"
            try:
                dossier = self.archive.dossier(key)
            except (RecordError, NotFoundError) as exc:  # one bad dossier must not stop the batch
                bad = self.archive.unreadable(key, exc)
                self._unreadable.append(bad.message)
                refused.append(Refusal(bu.unit, bu.unit, f"档案无法读取:{bad.message}", UNREADABLE))
                continue
            label = dossier.unit_label
            previous = {kind: doc for kind in (NOTICE, AREA) if (doc := _current_generated(dossier, kind, batch.id))}
            notified = bu.status != "待通知" or bu.notice_sent_on is not None or NOTICE in previous
            if notified and not reissue(bu.unit):
                refused.append(already(bu, label, previous.get(NOTICE), hints))
                continue
            adjustment = None
            if dossier.area_measured is not None:
                try:
                    adjustment = area_adjustment(dossier.area_contract, dossier.area_measured, unit_price=dossier.unit_price,
                                                 price_total=dossier.price_total, rule=batch.area_rule,
                                                 where=f"档案 {key}({label})")
                except AreaAdjustmentError as exc:
                    refused.append(Refusal(bu.unit, label, str(exc), AREA_PROBLEM))
                    continue
            plans.append(_UnitPlan(bu.unit, key, label, adjustment, dossier.area_measured is None,
                                   previous if reissue(bu.unit) else {}))
        return plans, refused

    def _notice_warnings(self, result: GenerateResult, batch: Batch, plans: Sequence[_UnitPlan],
                         conditions: Sequence[ConditionState], area_sheets: bool, today: dt.date) -> None:
        for plan in plans:
            adj = plan.adjustment
            if adj is not None and adj.beyond:
                result.flags.append(
                    f"{plan.label}:面积误差比 {'+' if adj.ratio > 0 else ''}{adj.ratio_percent}%,超出 ±{adj.rule.band}%:"
                    "业主有权退房,送达通知书前须向业主说明(见面积补差单)"
                )
            elif plan.unmeasured:
                result.warnings.append(f"{plan.label}:未登记实测面积,未生成面积补差单(通知书中写明另行通知)")
        if not area_sheets:
            result.warnings.append("本次未生成面积补差单(--no-area-sheet)")
        for c in missing(conditions, required=False):
            result.warnings.append(f"交付条件未落实:{c.reason}")
        lead = (batch.window_start - today).days
        if lead < 0:
            result.warnings.append(f"集中交付首日({batch.window_start:%Y-%m-%d})已过 {-lead} 天,请核对交付安排")
        elif lead < NOTICE_MIN_DAYS:
            result.warnings.append(
                f"今天距集中交付首日({batch.window_start:%Y-%m-%d})仅 {lead} 天,"
                f"书面交房通知一般应至少提前 {NOTICE_MIN_DAYS} 日送达,请核对交付安排"
            )

    def compensation(self, ticket_id: str, *, pdf: bool = False, reason: str = "",
                     progress: Progress | None = None) -> GenerateResult:
        """质量问题赔偿协议 for a repair ticket, filed into its dossier.

        A contract carries its party's full identity (ID number, address,
        phone): generating one is a reveal, allowed to roles with ``reveal`` and
        journaled (who, what, why, where).
        """
        dossier, ticket = self._case(ticket_id, "repairs", "报修单")
        assert isinstance(ticket, RepairTicket)
        self._allow("generate", dossier.project)
        self._allow("reveal", dossier.project)
        self._may_disclose(reason, required=False)
        project = self.archive.project(dossier.project)
        context = ctx_mod.compensation_context(project, dossier, ticket, self.archive.today(), self.settings.terms())
        job = Job(dossier.key, dossier.unit_label, f"报修单 {ticket.id}", ticket.id, [Part("compensation_agreement", context)])
        result = self._run(["compensation_agreement"], [job], pdf=pdf, progress=progress)
        self._disclose(target=dossier.key, what=f"业主身份证号码、住址、电话({dossier.owner_names})",
                       why=reason.strip() or AGREEMENT_WHY, docs=result.documents, record=ticket.id)
        return result

    def settlement(self, sheet_id: str, *, pdf: bool = False, final: bool = False,
                   progress: Progress | None = None) -> GenerateResult:
        """第三方维修费用支付会签表 for a settlement, filed into its dossier.

        Every recorded signature is printed in chain order with its date.
        Before the chain is complete the sheet is a draft (草稿 on every page);
        ``final`` refuses to print one until then.
        """
        dossier, sheet = self._case(sheet_id, "settlements", "结算会签记录")
        assert isinstance(sheet, Settlement)
        self._allow("generate", dossier.project)
        project = self.archive.project(dossier.project)
        thresholds = self.settings.approval_thresholds
        from docgen.approvals import approval_chain

        _rows, complete, waiting = ctx_mod.settlement_chain(sheet, approval_chain(sheet.approved_total, thresholds))
        if final and not complete:
            raise GenerateError(
                f"结算 {sheet.id} 的会签尚未完成({waiting}),不能生成正式会签表;"
                "去掉 --final 可生成草稿(每页标注「草稿」)"
            )
        context = ctx_mod.settlement_context(project, dossier, sheet, self.archive.today(), thresholds)
        note = "" if complete else f"草稿:会签未完成({waiting})"
        job = Job(dossier.key, dossier.unit_label, f"结算会签 {sheet.id}", sheet.id, [Part("settlement_sheet", context, note=note)])
        result = self._run(["settlement_sheet"], [job], pdf=pdf, progress=progress)
        if not complete:
            result.draft = True
            result.warnings.append(f"会签未完成({waiting}):已生成草稿,每页标注「草稿」,不作付款依据;会签完成后再生成即为正式会签表")
        return result

    # -- reveal and print ------------------------------------------------------
    @property
    def role(self) -> str:
        """The acting user's role for the privacy policy (the local operator without a session)."""
        return self.session.user.role if self.session is not None else privacy.DEFAULT_ROLE

    def _may_disclose(self, reason: str, *, required: bool = True) -> str:
        """Refuse before any work is done if the policy does not let this role print personal data in full.

        ``required``: the caller must give a reason (an unmasked plan or notice);
        a contract's reason is implied (it must name its party in full).
        """
        if required:
            return privacy.check_reveal(self.role, reason, privacy.GENERATE)
        if not privacy.may_reveal(self.role, privacy.GENERATE):
            privacy.check_reveal(self.role, reason or AGREEMENT_WHY, privacy.GENERATE)  # raises RevealRefused
        return reason.strip()

    def _disclose(self, *, what: str, why: str, docs: Sequence[GeneratedDocument], target: str = "",
                  batch_ref: str = "", record: str = "") -> None:
        """Journal through the privacy policy that these documents carry personal data in full."""
        where = "、".join(f"{d.doc_id}({d.docx})" for d in docs) or "未生成文件"
        extra = {"documents": [d.doc_id for d in docs]} | ({"record": record} if record else {})
        privacy.reveal(self.archive, target=target or batch_ref, what=what, why=why, where=where,
                       kind=privacy.GENERATE, role=self.role, detail=extra)

    def _merge(self, result: GenerateResult, ref: str, report: Progress) -> None:
        docs = [d for d in result.documents if d.pdf is not None]
        if not docs:
            return
        report(STAGE_MERGE, 0, 1, "")
        folder = result.output_dir or self.output
        name = f"合并打印_交房通知书_{ref.replace('/', '-')}_{docs[0].doc_id}_{docs[-1].doc_id}.pdf"
        result.merged_pdf = folder / name
        result.merged_pages = merge_for_duplex([d.pdf for d in docs if d.pdf is not None], result.merged_pdf)
        report(STAGE_MERGE, 1, 1, name)

    # -- the pipeline ----------------------------------------------------------
    def _run(self, kinds: Sequence[str], jobs: Iterable[Job], *, total: int = 1, pdf: bool, progress: Progress | None,
             on_filed: Callable[[Transaction, Sequence[Job]], None] | None = None,
             result: GenerateResult | None = None) -> GenerateResult:
        report = progress or _noop
        renderers = {kind: TemplateRenderer(template_path(self.settings, kind)) for kind in kinds}
        if pdf:
            from docgen.generate.pdf import require_soffice

            require_soffice(self.settings.soffice)  # fail before anything is filed
        for kind in kinds:
            (self.output / kind).mkdir(parents=True, exist_ok=True)
        result = result or GenerateResult(kind=kinds[0])
        result.output_dir = self.output / kinds[0]
        report(STAGE_RENDER, 0, total, "")
        # Move everything alive now (modules, archive, templates) out of the collector's sight:
        # the gc.collect() between documents then scans only what the batch created
        # (a full collection over the whole heap costs as much as rendering a document).
        gc.collect()
        gc.freeze()
        try:
            _Pipeline(self, renderers, result, total, report, on_filed).run(iter(jobs))
        finally:
            gc.unfreeze()
        if pdf:
            self._pdfs(result, report)
        return result

    def render_file(self, renderer: TemplateRenderer, job: Job, part: Part, doc_id: str) -> Rendered:
        """Render one document with its id and QR code into the output folder; return it with its text."""
        title = TEMPLATES[part.kind].title
        payload = DocumentCode(doc_id, job.owner_key).encode()
        tpl = renderer.render({**part.context, "doc_id": doc_id}, job.record, qr_payload=payload)
        path = self.output / part.kind / f"{doc_id}_{title}_{_safe_label(job.label)}.docx"
        try:
            tpl.save(str(path))
            # read back from the saved file: docxtpl renders headers into the package on save,
            # so the in-memory document still holds the header's template text
            text = docx_text(path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Rendered(job, part, doc_id, path, text, title)

    def file_rendered(self, tx: Transaction, items: Sequence[Rendered]) -> list[GeneratedDocument]:
        """File one job's rendered .docx files into its dossier or project within ``tx`` (generated, unsigned)."""
        job = items[0].job
        owner = self.archive.owner(job.owner_key)  # read under the lock; saved once for all its documents
        docs = []
        for item in items:
            self.archive.add_document(
                job.owner_key,
                item.path,
                doc_type=item.part.kind,
                date=self.archive.today(),
                source="generated",
                title=item.title,
                text_pages=[item.text],
                signed=False,
                supersedes=item.part.supersedes,
                related=job.related,
                identified_by="generated",
                doc_id=item.doc_id,
                note=f"由 {job.record} 生成" + (f";{item.part.note}" if item.part.note else ""),
                tx=tx,
                owner=owner,
            )
            docs.append(GeneratedDocument(item.doc_id, item.part.kind, item.title, job.owner_key, job.label, item.path,
                                          unit=job.unit, supersedes=item.part.supersedes))
        if isinstance(owner, Dossier):
            self.archive.save_dossier(owner, tx)
        else:
            self.archive.save_project(owner, tx)
        return docs

    def _pdfs(self, result: GenerateResult, report: Progress) -> None:
        docs = result.documents
        report(STAGE_PDF, 0, len(docs), "LibreOffice")
        outdir = result.output_dir or self.output
        pdfs = convert_to_pdf([d.docx for d in docs], outdir, self.settings.soffice)  # one process for every kind
        report(STAGE_PDF, len(docs), len(docs), "LibreOffice")
        fonts: set[str] = set()
        year = self.archive.today().year
        for n, (doc, converted) in enumerate(zip(docs, pdfs, strict=True), 1):
            pdf_path = doc.docx.with_suffix(".pdf")
            if converted != pdf_path:
                converted.replace(pdf_path)  # beside its .docx (the kinds have their own folders)
            pages = pdf_pages(pdf_path)
            used = pdf_fonts(pdf_path)
            fonts.update(used)
            check_chinese(pdf_path, pages, used, doc.title)
            doc.pdf = pdf_path
            with self.archive.transaction("document.generate", doc.owner_key, f"归档{doc.title} PDF({doc.label})") as tx:
                pdf_id = tx.next_id("DOC", year, width=6)
                tx.summary = f"归档{doc.title} PDF {pdf_id}(即 {doc.doc_id},{doc.label})"
                self.archive.add_document(
                    doc.owner_key,
                    pdf_path,
                    doc_type=doc.kind,
                    date=self.archive.today(),
                    source="generated",
                    title=f"{doc.title}(PDF)",
                    text_pages=pages,
                    pages=[PageInfo(n=i, origin="text", chars=len(t)) for i, t in enumerate(pages, 1)],
                    signed=False,
                    related=doc.doc_id,
                    identified_by="generated",
                    doc_id=pdf_id,
                    note=f"{doc.doc_id} 的 PDF 版本(二维码为 {doc.doc_id})",
                    tx=tx,
                )
            doc.pdf_doc_id = pdf_id
            report(STAGE_FILE_PDF, n, len(docs), doc.label)
        result.fonts = sorted(fonts)
        result.font_note = plan_fonts().describe()


def _current_generated(dossier: Dossier, kind: str, batch_id: str) -> str | None:
    """The id of the dossier's current generated ``kind`` document (.docx) for a batch, or None."""
    docs = [d for d in dossier.documents
            if d.type == kind and d.superseded_by is None and d.related == batch_id and d.file.endswith(".docx")]
    return docs[-1].id if docs else None


def _reissue(again: bool | Collection[str]) -> Callable[[str], bool]:
    """Whether a unit already notified gets a new notice: every unit (True), none (False), or the codes given."""
    if isinstance(again, bool):
        return lambda unit: again
    wanted = {again} if isinstance(again, str) else set(again)
    return lambda unit: unit in wanted


@dataclass
class Rendered:
    """A document rendered into the output folder, not yet filed."""

    job: Job
    part: Part
    doc_id: str
    path: Path
    text: str
    title: str


def _summary(docs: Sequence[GeneratedDocument]) -> str:
    if len(docs) == 1:
        return f"生成{docs[0].title} {docs[0].doc_id}({docs[0].label})"
    counts: dict[str, int] = {}
    for d in docs:
        counts[d.title] = counts.get(d.title, 0) + 1
    what = "、".join(f"{title} {n} 份" for title, n in counts.items())
    return f"生成{what}({docs[0].doc_id} … {docs[-1].doc_id})"


class _Pipeline:
    """Render chunk k+1 while chunk k's archive transaction commits (fsyncs) in a worker thread.

    Ids come from the archive counter inside transactions: the first
    transaction numbers chunk 0 (rendered inside it, as for a single document)
    *and* reserves the numbers of chunk 1; each later transaction files chunk k
    and reserves chunk k+1's numbers before it commits, so the main thread can
    render chunk k+1 while the worker waits on the disk.  A chunk is taken
    before the transaction that reserves its numbers, so the count is exact
    (a job may make several documents).  Each chunk's jobs belong to different
    owners (a transaction re-reads each owner it files into, once).  A failure
    stops the batch: documents already committed stay filed, rendered but
    unfiled files are removed, and at most one chunk of reserved numbers is
    left unused.
    """

    def __init__(self, gen: Generator, renderers: dict[str, TemplateRenderer], result: GenerateResult, total: int,
                 report: Progress, on_filed: Callable[[Transaction, Sequence[Job]], None] | None) -> None:
        self.gen, self.renderers, self.result = gen, renderers, result
        self.total, self.report, self.on_filed = total, report, on_filed
        self.title = TEMPLATES[next(iter(renderers))].title
        self.size = gen.settings.batch_size
        self.year = gen.archive.today().year
        self.rendered = 0

    def _take(self, jobs: Iterator[Job]) -> list[Job]:
        chunk = list(itertools.islice(jobs, self.size))
        owners = [j.owner_key for j in chunk]
        if len(set(owners)) != len(owners):
            raise DocgenError("内部错误:同一批次中有重复的归档对象")
        return chunk

    @staticmethod
    def _count(chunk: Sequence[Job]) -> int:
        return sum(len(j.parts) for j in chunk)

    def _reserve(self, tx: Transaction, count: int) -> list[str]:
        return [tx.next_id("DOC", self.year, width=6) for _ in range(count)]

    def _render_chunk(self, chunk: Sequence[Job], ids: Sequence[str]) -> list[Rendered]:
        made: list[Rendered] = []
        numbers = iter(ids)
        try:
            for job in chunk:
                for part in job.parts:
                    made.append(self.gen.render_file(self.renderers[part.kind], job, part, next(numbers)))
                    self.rendered += 1
                    if self.rendered % self.gen.settings.gc_every == 0:
                        gc.collect()
                    self.report(STAGE_RENDER, self.rendered, self.total, job.label)
        except BaseException:
            for item in made:
                item.path.unlink(missing_ok=True)
            raise
        return made

    def _file(self, tx: Transaction, items: Sequence[Rendered]) -> list[GeneratedDocument]:
        docs: list[GeneratedDocument] = []
        jobs: list[Job] = []
        for _, group in itertools.groupby(items, key=lambda r: id(r.job)):
            batch = list(group)
            docs += self.gen.file_rendered(tx, batch)
            jobs.append(batch[0].job)
        if self.on_filed is not None:
            self.on_filed(tx, jobs)
        return docs

    def run(self, jobs: Iterator[Job]) -> None:
        archive = self.gen.archive
        chunk = self._take(jobs)
        if not chunk:
            return
        # chunk 0: numbered, rendered and filed inside one transaction (a single document is just this)
        made: list[Rendered] = []
        try:
            with archive.transaction("document.generate", chunk[0].owner_key, f"生成{self.title}") as tx:
                made = self._render_chunk(chunk, self._reserve(tx, self._count(chunk)))
                docs = self._file(tx, made)
                following = self._take(jobs)
                next_ids = self._reserve(tx, self._count(following))
                tx.summary = _summary(docs) + (f",预留 {next_ids[0]} 起 {len(next_ids)} 个编号" if next_ids else "")
        except BaseException:
            for item in made:
                item.path.unlink(missing_ok=True)
            raise
        self.result.documents.extend(docs)
        if not following:
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="docgen-file") as pool:
            pending: Future[list[GeneratedDocument]] | None = None
            unfiled: list[Rendered] = []
            try:
                while following:
                    unfiled = self._render_chunk(following, next_ids)
                    after = self._take(jobs)
                    if pending is not None:
                        self.result.documents.extend(pending.result())  # chunk k-1 committed: its reservation holds
                    ids_future: Future[list[str]] = Future()
                    pending = pool.submit(self._file_chunk, unfiled, self._count(after), ids_future)
                    unfiled = []  # the worker owns them now (and removes them if it fails)
                    next_ids = ids_future.result()
                    following = after
                if pending is not None:
                    self.result.documents.extend(pending.result())
            except BaseException:
                if pending is not None and not pending.done():
                    pending.exception()  # let the worker finish (commit or abort) before cleaning up
                filed = {d.doc_id for d in self.result.documents}
                for item in unfiled:
                    if item.doc_id not in filed:
                        item.path.unlink(missing_ok=True)
                raise

    def _file_chunk(self, items: list[Rendered], next_count: int, ids_future: Future[list[str]]) -> list[GeneratedDocument]:
        """Worker: reserve the next chunk's numbers, publish them, file this chunk, commit."""
        archive = self.gen.archive
        try:
            with archive.transaction("document.generate", items[0].job.owner_key, f"生成{self.title}") as tx:
                next_ids = self._reserve(tx, next_count)
                ids_future.set_result(next_ids)
                docs = self._file(tx, items)
                tx.summary = _summary(docs) + (f",预留 {next_ids[0]} 起 {len(next_ids)} 个编号" if next_ids else "")
        except BaseException as exc:
            if not ids_future.done():
                ids_future.set_exception(exc)
            for item in items:
                item.path.unlink(missing_ok=True)
            raise
        return docs


def check_chinese(pdf_path: Path, pages: list[str], fonts: list[str], title: str) -> None:
    """Refuse a PDF whose text lacks the title or that embeds no CJK font (Chinese drawn as tofu boxes)."""
    squeezed = "".join("".join(pages).split())
    if "".join(title.split()) not in squeezed:
        raise GenerateError(f"{pdf_path.name} 的文字中找不到「{title}」,PDF 可能未正确显示中文")
    if not has_cjk_font(fonts):
        raise GenerateError(f"{pdf_path.name} 未嵌入中文字体(使用的字体:{'、'.join(fonts) or '无'}),中文可能显示为方框")


__all__ = ["ConditionsNotMet", "ForceReasonRequired", "GenerateResult", "GeneratedDocument", "Generator", "Hints",
           "NoticeCheck", "Refusal"]
