"""Paperwork from a record, as one user: the handover plan and notices of a batch, an agreement, a countersign sheet.

A thin layer over :class:`docgen.generate.service.Generator` acting as the
session's user (its permissions, project scope and journal), for callers that
want one call per kind and a PDF beside each .docx whenever LibreOffice is
there (a page preview is rendered from the PDF): without LibreOffice the
documents are made and filed as .docx only, with a warning saying so.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docgen.errors import UsageError, quote_input
from docgen.generate.refusals import DEFAULT_HINTS, Hints
from docgen.progress import Progress
from docgen.session import Session

if TYPE_CHECKING:
    from docgen.generate.service import NoticeCheck

KINDS: dict[str, tuple[str, str]] = {
    "plan": ("交房方案", "交房批次"),
    "notices": ("交房通知书", "交房批次"),
    "compensation": ("质量问题赔偿协议", "报修单"),
    "settlement": ("第三方维修费用支付会签表", "结算"),
}
"""What can be generated: kind → (the document, the record it is made from)."""


def pdf_available(session: Session) -> bool:
    """True if LibreOffice can convert the documents to PDF here."""
    from docgen.generate.pdf import find_soffice

    return bool(find_soffice(session.config.generate.soffice))


def check_notices(session: Session, ref: str, *, units: Sequence[str] | None = None,
                  again: bool | Collection[str] = False, force: bool = False, reason: str = "",
                  overriding: Collection[str] | None = None, hints: Hints = DEFAULT_HINTS) -> NoticeCheck:
    """What generating the notices of batch ``ref`` would do, refused exactly as :func:`generate` would; nothing made.

    A form asks this before it starts the work in the background, so that a
    refusal (:class:`~docgen.generate.refusals.ConditionsNotMet`, a reason
    missing, every unit already notified) is answered on the form with its
    choices: issue anyway with a reason, issue again.
    """
    from docgen.generate.service import Generator

    session.require("generate")
    gen = Generator(None, session.config.generate, session=session)
    return gen.check_notices(ref.strip(), units=list(units) if units else None, again=again, force=force,
                             reason=reason, overriding=overriding, hints=hints)


def generate(session: Session, kind: str, ref: str, *, output: Path, progress: Progress | None = None,
             units: Sequence[str] | None = None, again: bool | Collection[str] = False, force: bool = False,
             reason: str = "", overriding: Collection[str] | None = None, hints: Hints = DEFAULT_HINTS) -> Any:
    """Make, number and file the paperwork of ``kind`` for record ``ref`` (a batch ``HXSZ/B01``, a ticket, a sheet).

    Notices of a whole batch also give the merged duplex PDF for printing.
    For notices, ``again``, ``force``/``reason``, ``overriding`` and ``hints``
    are the generator's (:meth:`~docgen.generate.service.Generator.notices`):
    the same rules, journal and permissions for the CLI and the web.
    Returns the generator's :class:`~docgen.generate.service.GenerateResult`.
    """
    from docgen.generate.service import Generator

    if kind not in KINDS:
        raise UsageError(f"未知的文书种类{quote_input(kind)}(可用:{'、'.join(KINDS)})")
    ref = ref.strip()
    if not ref:
        raise UsageError(f"请给出要生成{KINDS[kind][0]}的{KINDS[kind][1]}")
    session.require("generate")
    pdf = pdf_available(session)
    gen = Generator(None, session.config.generate, output=output, session=session)
    if kind == "plan":
        result = gen.handover_plan(ref, pdf=pdf, progress=progress)
    elif kind == "notices":
        result = gen.notices(ref, units=list(units) if units else None, pdf=pdf, merged=pdf and not units,
                             again=again, force=force, reason=reason, overriding=overriding, hints=hints,
                             progress=progress)
    elif kind == "compensation":
        result = gen.compensation(ref, pdf=pdf, progress=progress)
    else:
        result = gen.settlement(ref, pdf=pdf, progress=progress)
    if not pdf:
        result.warnings.append("本机未安装 LibreOffice:只生成了 docx(无 PDF,也无法预览页面);"
                               "安装后再生成即可得到 PDF")
    return result
