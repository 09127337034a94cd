"""The templates docgen knows: file, title, where the document is filed, and its context builder.

Each template is named by its document type code (``handover_notice.docx``), so
a generated document's type, its template and its archive record agree.
``check_templates`` is ``docgen templates check``: it lists each template's
variables (docxtpl's ``get_undeclared_template_variables``), fails on any the
context builder cannot supply, on half-width punctuation next to Chinese in
the template's own text and on the software's name (``style.py``), and renders
the template once on sample records so that a misspelt nested field
(``ticket.compnesation``) fails too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen.bundled import TEMPLATES as BUNDLED_TEMPLATES
from docgen.bundled import bundled_path
from docgen.errors import DocgenError
from docgen.generate import cert_context, samples
from docgen.generate import context as ctx_mod
from docgen.generate.render import TemplateRenderer
from docgen.generate.settings import GenerateSettings
from docgen.generate.style import template_style_problems
from docgen.qrcodes import DocumentCode
from docgen.vocab import DOC_TYPES

#: Names the renderer adds to every context (not the builders).
RENDERER_NAMES = frozenset({"doc_id", "qr"})


@dataclass(frozen=True)
class TemplateSpec:
    """One template: its type code (= file stem), what it is for, and how its sample context is built."""

    kind: str
    subject: str
    sample: Callable[[GenerateSettings], dict[str, Any]]

    @property
    def title(self) -> str:
        """The Chinese document title (the document type's label)."""
        return DOC_TYPES[self.kind][0]

    @property
    def file_name(self) -> str:
        """``handover_notice.docx``."""
        return f"{self.kind}.docx"


def _plan(settings: GenerateSettings) -> dict[str, Any]:
    r = samples.records()
    return ctx_mod.plan_context(r["project"], r["batch"], {r["dossier"].unit: r["dossier"]}, samples.TODAY)


def _notice(settings: GenerateSettings) -> dict[str, Any]:
    r = samples.records()
    return ctx_mod.notice_context(r["project"], r["batch"], r["batch"].units[0], r["dossier"], samples.TODAY,
                                  adjustment=r["adjustment"])


def _area(settings: GenerateSettings) -> dict[str, Any]:
    r = samples.records()
    return ctx_mod.area_context(r["project"], r["batch"], r["dossier"], r["adjustment"], samples.TODAY)


def _compensation(settings: GenerateSettings) -> dict[str, Any]:
    r = samples.records()
    return ctx_mod.compensation_context(r["project"], r["dossier"], r["ticket"], samples.TODAY, settings.terms())


def _settlement(settings: GenerateSettings) -> dict[str, Any]:
    r = samples.records()
    return ctx_mod.settlement_context(r["project"], r["dossier"], r["settlement"], samples.TODAY, settings.approval_thresholds)


TEMPLATES: dict[str, TemplateSpec] = {
    spec.kind: spec
    for spec in (
        TemplateSpec("handover_plan", "交房批次", _plan),
        TemplateSpec("handover_notice", "交房批次中的每户", _notice),
        TemplateSpec("compensation_agreement", "报修单", _compensation),
        TemplateSpec("settlement_sheet", "结算会签", _settlement),
        TemplateSpec("area_adjustment", "交房批次中的每户(随通知书)", _area),
        # 办证 (docgen.generate.cert_context, cert_templates)
        TemplateSpec("cert_checklist", "办证的每户", cert_context.sample_checklist),
        TemplateSpec("power_of_attorney", "办证的每户", cert_context.sample_power_of_attorney),
        TemplateSpec("certificate_notice", "办证批次中已出证的每户", cert_context.sample_notice),
    )
}


def templates_folder(settings: GenerateSettings) -> Path:
    """The folder templates are read from: the configured one, or docgen's built-in templates if it does not exist.

    A fresh folder with no ``templates/`` (``docgen demo`` run anywhere, an
    archive set up by hand) then still generates paperwork; ``docgen init``
    copies the templates into the archive's own folder for editing, and once
    that folder exists every template is read from it (a missing file there is
    an error, never silently replaced by the built-in one).
    """
    configured = Path(settings.templates)
    if configured.is_dir():
        return configured
    builtin = bundled_path(BUNDLED_TEMPLATES)
    return builtin if builtin is not None else configured


def template_path(settings: GenerateSettings, kind: str) -> Path:
    """Where the template of ``kind`` lives (see :func:`templates_folder`)."""
    return templates_folder(settings) / TEMPLATES[kind].file_name


@dataclass
class TemplateReport:
    """What ``templates check`` found for one template."""

    kind: str
    title: str
    path: Path
    exists: bool
    variables: list[str] = field(default_factory=list)
    supplied: list[str] = field(default_factory=list)
    unsupplied: list[str] = field(default_factory=list)
    style: list[str] = field(default_factory=list)
    """House-style problems in its literal text (half-width punctuation next to Chinese, the software's name)."""
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the template exists, uses only supplied names, keeps the house style and renders on sample data."""
        return self.exists and not self.unsupplied and not self.style and not self.error


def check_template(settings: GenerateSettings, kind: str) -> TemplateReport:
    """Check one template against its context builder (see module docstring)."""
    spec = TEMPLATES[kind]
    path = template_path(settings, kind)
    report = TemplateReport(kind=kind, title=spec.title, path=path, exists=path.is_file())
    if not report.exists:
        report.error = f"模板文件 {path} 不存在"
        return report
    try:
        renderer = TemplateRenderer(path)
        variables = renderer.variables()
        context = spec.sample(settings)
        supplied = set(context) | RENDERER_NAMES
        report.variables = sorted(variables)
        report.supplied = sorted(supplied)
        report.unsupplied = sorted(variables - supplied)
        report.style = template_style_problems(path)
        if not report.unsupplied:
            code = DocumentCode("DOC-2026-000000", "SAMPLE/01-1-0101").encode()
            renderer.render({**context, "doc_id": "DOC-2026-000000"}, f"示例数据({spec.subject})", qr_payload=code)
    except DocgenError as exc:
        report.error = str(exc)
    return report


def check_templates(settings: GenerateSettings, kinds: Mapping[str, Any] | None = None) -> list[TemplateReport]:
    """Check every known template."""
    return [check_template(settings, kind) for kind in (kinds or TEMPLATES)]
