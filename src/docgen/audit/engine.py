"""Run the audit over the archive, streaming one dossier at a time.

:class:`Auditor` walks ``archive.dossier_keys()`` (reading one dossier at a
time, so memory does not grow with the archive), runs the checks of
:mod:`docgen.audit.checks` on each and yields findings grouped by dossier.
A dossier file that cannot be read is itself a finding (``RECORD.UNREADABLE``)
rather than the end of the audit: one bad hand edit must not hide the rest.

A project whose blocking prerequisite of registration (its 初始登记) is not
done holds up every delivered household at once: that is one finding for the
project (``CERT.PREREQUISITE``, after its dossiers, with how many households
wait and how many are past their deadline), not an overdue certificate in
each dossier.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docgen.archive.records import parse_record
from docgen.audit.checks import (
    Emitter,
    check_accuracy,
    check_completeness,
    check_ocr_doubts,
    check_rules,
    check_timeliness,
)
from docgen.audit.crossindex import CrossIndex
from docgen.audit.findings import SEVERITY_RANK, Finding
from docgen.audit.rules import Rules, load_rules
from docgen.certificates.prerequisites import PrerequisiteState, blockers, phase_of
from docgen.errors import DocgenError, NotFoundError, RecordError, UsageError, quote_input
from docgen.models import Dossier, Project
from docgen.progress import Progress
from docgen.units import check_project_code
from docgen.validation import (
    Context,
    batch_problems,
    dossier_problems,
    project_problems,
    registration_problems,
)
from docgen.vocab import STAGES

if TYPE_CHECKING:
    from docgen.archive.store import Archive


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which dossiers to audit and the least severity to report."""

    project: str | None = None
    batch: str | None = None
    stage: str | None = None
    min_severity: str = "info"
    projects: frozenset[str] | None = None
    """The projects a user may see (None: all); the audit never reads another project's records."""

    def check(self) -> None:
        """Raise UsageError for a filter value that cannot match anything."""
        if self.stage is not None and self.stage not in STAGES:
            raise UsageError(f"阶段{quote_input(self.stage)}无效,应为 {'、'.join(STAGES)}")
        if self.min_severity not in ("error", "warning", "info"):
            raise UsageError(f"严重程度{quote_input(self.min_severity)}无效,应为 error、warning 或 info")


class Auditor:
    """Audits an archive against a set of rules; iterate :meth:`run` for the findings."""

    def __init__(
        self,
        archive: Archive,
        rules: Rules | None = None,
        where: AuditFilter | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.archive = archive
        self.rules = rules if rules is not None else load_rules(archive)[0]
        self.where = where or AuditFilter()
        self.where.check()
        self._check_batch_exists()
        self.today = today or archive.today()
        self.cross = CrossIndex(self._owner_name)
        self._projects = str(archive.layout.projects)
        self.dossiers_checked = 0
        self._contexts: dict[str, Context] = {}
        self._held: dict[tuple[str, str], tuple[PrerequisiteState, ...]] = {}
        self._waiting: dict[str, dict[tuple[PrerequisiteState, ...], list[int]]] = {}

    def _check_batch_exists(self) -> None:
        """A misspelt batch would otherwise audit nothing and report "no problems"."""
        batch = self.where.batch
        if batch is None:
            return
        codes = [self.where.project] if self.where.project else self.archive.project_codes()
        if self.where.projects is not None:
            codes = [c for c in codes if c in self.where.projects]
        if not any(batch in self.archive.batch_ids(code) for code in codes if code):
            where = f"项目 {self.where.project} 中" if self.where.project else ""
            raise NotFoundError(f"{where}没有交房批次 {batch}(docgen batch list 查看)")

    def run(self, progress: Progress | None = None) -> Iterator[Finding]:
        """Yield every finding, dossier by dossier (project-level findings first for each project)."""
        where = self.where
        threshold = SEVERITY_RANK[where.min_severity]
        if where.project:
            self.archive.project(where.project)  # NotFoundError with the known codes
        codes = [check_project_code(where.project)] if where.project else self.archive.project_codes()
        if where.projects is not None:
            codes = [c for c in codes if c in where.projects]
        for code in codes:
            for f in self._project_findings(code):
                if SEVERITY_RANK[f.severity] >= threshold:
                    yield f
            for key in self.archive.dossier_keys(code):
                for f in self.audit_dossier(key):
                    if SEVERITY_RANK[f.severity] >= threshold:
                        yield f
                if progress is not None:
                    progress("审计", self.dossiers_checked, 0, key)
            for f in self._prerequisite_findings(code):
                if SEVERITY_RANK[f.severity] >= threshold:
                    yield f

    def context(self, code: str, project: Project | None = None) -> Context:
        """What the records of project ``code`` are validated against (built once per project)."""
        ctx = self._contexts.get(code)
        if ctx is None:
            if project is None:
                try:
                    project = self.archive.project(code)
                except DocgenError:
                    project = None
            try:
                units = self.archive.unit_codes(code)  # the 楼盘表, when the project has one
            except DocgenError:
                units = None  # an unreadable units.json is verify's finding; rooms are then checked by structure
            ctx = Context(self.rules, self.today, self.archive.approval_thresholds, project, units)
            self._contexts[code] = ctx
        return ctx

    def _project_findings(self, code: str) -> Iterator[Finding]:
        emit = Emitter(self.rules, code, code, "", "")
        try:
            project = self.archive.project(code)
        except DocgenError as exc:
            f = emit("RECORD.UNREADABLE", f"项目文件无法读取:{exc};请按提示修正 project.json。")
            if f:
                yield f
            return
        for doc in project.documents:  # project documents share the archive's id space with the dossiers'
            self.cross.seen_record_id(code, doc.id)
        ctx = self.context(code, project)
        if self.where.stage:
            return
        for batch_id in self.archive.batch_ids(code):
            if self.where.batch and batch_id != self.where.batch:
                continue
            try:
                batch = self.archive.batch(code, batch_id)
            except DocgenError as exc:
                f = emit("RECORD.UNREADABLE", f"交房批次文件无法读取:{exc};请按提示修正 batches/{batch_id}.json。",
                         batch_id)
                if f:
                    yield f
                continue
            for g in check_rules(batch_problems(batch, ctx), Emitter(self.rules, code, code, batch_id, "")):
                if g is not None:
                    yield g
        if self.where.batch:
            return
        for registration_id in self.archive.registration_ids(code):
            try:
                registration = self.archive.registration(code, registration_id)
            except DocgenError as exc:
                f = emit("RECORD.UNREADABLE", f"办证批次文件无法读取:{exc};请按提示修正 registrations/{registration_id}.json。",
                         registration_id)
                if f:
                    yield f
                continue
            for g in check_rules(registration_problems(registration, ctx), emit):
                if g is not None:
                    yield g
        for f in check_ocr_doubts(project.documents, emit):
            if f:
                yield f
        for g in check_rules(project_problems(project, ctx), emit):
            if g is not None:
                yield g
        for path, problem in project.warnings():
            f = emit(
                "ACCURACY.CREDIT_CODE",
                f"开发商 {project.developer.name} 的统一社会信用代码 {project.developer.credit_code} 有误:{problem};"
                "请对照营业执照更正(生成的协议会印出此代码)。",
                path,
            )
            if f:
                yield f

    def _owner_name(self, key: str, id_number: str) -> str:
        """The name of the owner of dossier ``key`` who has this ID number (for cross-dossier messages)."""
        project, unit = key.split("/")
        try:
            d = self._load(key, os.path.join(self._projects, project, "dossiers", unit))
        except DocgenError:
            return "(无法读取)"
        return next((o.name for o in d.owners if o.id_number == id_number), "(已修改)")

    def _load(self, key: str, folder: str) -> Dossier:
        """Read a dossier from its folder (keys come from a directory listing, so no path resolution is needed)."""
        path = os.path.join(folder, "dossier.json")
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError as exc:
            raise NotFoundError(f"档案 {key} 不存在") from exc
        except OSError as exc:
            raise RecordError(path, [f"无法读取:{exc.strerror}"]) from exc
        d = parse_record(Dossier, data, path)
        if d.key != key:
            raise RecordError(path, [f"字段 project/unit: 为 {d.key},与所在目录 {key} 不符"])
        return d

    def audit_dossier(self, key: str) -> Iterator[Finding]:
        """Findings for one dossier (nothing if the filter excludes it)."""
        project, unit = key.split("/")
        folder = os.path.join(self._projects, project, "dossiers", unit)
        try:
            d = self._load(key, folder)
        except DocgenError as exc:
            if self.where.batch or self.where.stage:
                return
            self.dossiers_checked += 1
            f = Emitter(self.rules, key, project, "", "")(
                "RECORD.UNREADABLE", f"档案文件无法读取:{exc};请按提示修正 dossier.json(docgen verify 可查是谁改的)。"
            )
            if f:
                yield f
            return
        if self.where.batch and d.batch != self.where.batch:
            return
        if self.where.stage and d.stage != self.where.stage:
            return
        self.dossiers_checked += 1
        emit = Emitter(self.rules, d.key, d.project, d.batch or "", d.stage)
        documents = os.path.join(folder, "documents")
        held = self._certificate_held(d)
        for gen in (
            check_completeness(documents, d, self.rules, emit),
            check_accuracy(documents, d, self.rules, emit, self.cross),
            check_timeliness(d, self.rules, self.today, emit, certificate_held=bool(held)),
            check_rules(dossier_problems(d, self.context(d.project)), emit),
        ):
            for f in gen:
                if f is not None:
                    yield f

    # -- a project that holds every household up ----------------------------------------------
    def _certificate_held(self, d: Dossier) -> tuple[PrerequisiteState, ...]:
        """The blocking prerequisites a delivered, uncertified household waits for (noted for the project's finding)."""
        if d.delivered_on is None or d.certificate_status == "已办结":
            return ()
        project = self.context(d.project).project
        if project is None:
            return ()
        phase = phase_of(project, d.unit)
        cache_key = (d.project, phase.name if phase is not None else "")
        held = self._held.get(cache_key)
        if held is None:
            kinds = self.rules.certificates.for_project(d.project).blocking
            held = tuple(blockers(project, d.unit, kinds))
            self._held[cache_key] = held
        if held:
            dl = self.rules.deadlines_for(d.project)
            days = d.registration_due_days if d.registration_due_days is not None else dl.certificate_registration_days
            counts = self._waiting.setdefault(d.project, {}).setdefault(held, [0, 0])
            counts[0] += 1
            counts[1] += (self.today - d.delivered_on).days > days
        return held

    def _prerequisite_findings(self, code: str) -> Iterator[Finding]:
        """One ``CERT.PREREQUISITE`` per missing blocking prerequisite that holds households of the project up."""
        emit = Emitter(self.rules, code, code, "", "")
        for held, (waiting, overdue) in self._waiting.pop(code, {}).items():
            what = "、".join(f"{s.label}(目前:{s.status})" for s in held)
            late = f",其中 {overdue} 户已超过登记期限" if overdue else ""
            f = emit(
                "CERT.PREREQUISITE",
                f"项目 {code} 的{what}尚未办结:已交房的 {waiting} 户业主因此无法递交产权登记{late};"
                f"请尽快办结并登记(docgen cert prerequisite set {code} {held[0].kind} --status 已办结 …),"
                "各户的办证逾期不再逐户列出。",
                held[0].kind,
            )
            if f:
                yield f
