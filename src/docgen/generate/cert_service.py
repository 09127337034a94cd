"""Generate the certificate paperwork (办证): checklists, 委托书 and 领证通知, through the common pipeline.

:class:`CertificateGenerator` is a :class:`~docgen.generate.service.Generator`
whose extra entry points build their jobs from records the certificate
service has already read (the readiness of each household, its clocks, its
registration batch); rendering, numbering, the QR code, filing into the
dossier and the PDF conversion are the generator's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from docgen import privacy
from docgen.certificates.deadlines import HouseholdDeadline
from docgen.certificates.readiness import Readiness
from docgen.generate import cert_context
from docgen.generate.service import GenerateResult, Generator, Job, Part, Progress
from docgen.models import Dossier, Project, Registration


def _related(registration: Registration | None, dossier: Dossier) -> str:
    """The registration batch a paper belongs to ("" for a household outside any batch)."""
    return registration.id if registration is not None else ""


class CertificateGenerator(Generator):
    """The generator with the certificate paperwork."""

    def checklists(self, project: Project, registration: Registration | None,
                   items: Sequence[tuple[Dossier, Readiness, HouseholdDeadline | None]], *, pdf: bool = False,
                   progress: Progress | None = None) -> GenerateResult:
        """办证材料清单, one per household, filed into each dossier."""
        today = self.archive.today()
        jobs = [
            Job(d.key, d.unit_label, f"档案 {d.key}", _related(registration, d),
                [Part("cert_checklist", cert_context.checklist_context(project, d, ready, deadline, today, registration))])
            for d, ready, deadline in items
        ]
        return self._run(["cert_checklist"], jobs, total=len(jobs), pdf=pdf, progress=progress)

    def powers_of_attorney(self, project: Project, registration: Registration | None, dossiers: Sequence[Dossier], *,
                           reason: str | None, pdf: bool = False, progress: Progress | None = None) -> GenerateResult:
        """委托书 (full identity of every owner: journaled as a reveal first), one per household."""
        target = registration.ref if registration is not None else dossiers[0].key
        keys = [d.key for d in dossiers]
        privacy.reveal(
            self.archive, target=target, what=f"{len(dossiers)} 户委托书中产权人的姓名、完整身份证号码和住址",
            why=reason, role=self.role, kind=privacy.GENERATE,
            where=f"生成的委托书(输出目录 {self.output.absolute()},并归入档案)", detail=privacy.listed(keys),
        )
        today = self.archive.today()
        jobs = [
            Job(d.key, d.unit_label, f"档案 {d.key}", _related(registration, d),
                [Part("power_of_attorney", cert_context.power_of_attorney_context(project, d, today, registration))])
            for d in dossiers
        ]
        return self._run(["power_of_attorney"], jobs, total=len(jobs), pdf=pdf, progress=progress)

    def collection_notices(self, project: Project, registration: Registration, dossiers: Sequence[Dossier], *,
                           place: str = "", hours: str = "", until: dt.date | None = None, pdf: bool = False,
                           progress: Progress | None = None) -> GenerateResult:
        """领证通知 for households whose certificate is back, filed into each dossier."""
        today = self.archive.today()
        jobs = []
        for d in dossiers:
            entry = registration.entry(d.unit)
            assert entry is not None
            jobs.append(Job(d.key, d.unit_label, f"档案 {d.key}", registration.id,
                            [Part("certificate_notice", cert_context.notice_context(project, d, entry, today, place=place,
                                                                                    hours=hours, until=until))]))
        return self._run(["certificate_notice"], jobs, total=len(jobs), pdf=pdf, progress=progress)
