"""A batch's handover notices from the browser when the core refuses them: the refusal and its choices on a form.

``POST /paperwork`` with ``kind=notices`` asks the core first
(:func:`docgen.services.paperwork.check_notices`, the same checks as the
generation, nothing made).  When it refuses, the page says why in the form's
words and offers what the CLI's flags offer:

- 仍然发出 (``force``) with a required 理由 (``reason``): the CLI's
  ``--force --reason``, journaled the same way (``generate.override``, the
  logged-in user as actor) by the same core call; the conditions the page
  showed go back as ``overriding``, so a condition gone missing since is
  refused again rather than overridden unseen;
- 补发 (``reissue``, one checkbox per unit already notified or handed over):
  the CLI's ``--again`` for exactly the units ticked.

Who may do either is the core's rule (``generate`` and ``handover`` on the
batch's project, as for the CLI); the page only shows the choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from docgen.generate.refusals import ConditionsNotMet, ForceReasonRequired, Hints, Refusal
from docgen.services import paperwork
from docgen.session import Session
from docgen.web.forms import FormErrors, listed, text
from docgen.web.render import page

HINTS = Hints(force="请勾选“仍然发出”并填写理由", reason="勾选“仍然发出”时须填写理由",
              again="勾选该户的“补发”后重新生成",
              conditions="请系统管理员在交房批次中登记")
"""How a web user asks for what a refusal of notices offers: this form's fields, never the CLI's flags."""


@dataclass
class NoticeChoices:
    """What the person chose on the notices form (or the batch page's button, which chooses nothing)."""

    again: bool | list[str] = False
    """True for the legacy ``again=1`` (every unit), else the units ticked for 补发."""
    force: bool = False
    reason: str = ""
    overriding: list[str] | None = None
    """The missing conditions the page showed when 仍然发出 was ticked (None: none shown)."""
    reissue: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, form: Any) -> NoticeChoices:
        """The choices from a submitted form (unknown values are the core's to refuse)."""
        reissue = listed(form, "reissue")
        again: bool | list[str] = True if text(form, "again") == "1" else reissue
        shown = listed(form, "overriding")
        return cls(again=again, force=text(form, "force") == "1", reason=text(form, "reason"),
                   overriding=shown if shown or text(form, "shown") == "1" else None, reissue=reissue)

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of the core call (check and generation alike)."""
        return {"again": self.again, "force": self.force, "reason": self.reason, "overriding": self.overriding,
                "hints": HINTS}


def check(request: Request, session: Session, ref: str, back: str, choices: NoticeChoices) -> Response | None:
    """Ask the core whether these notices can be made; the refusal page if not, None to go ahead."""
    try:
        found = paperwork.check_notices(session, ref, **choices.arguments())
    except ConditionsNotMet as exc:
        return refusal_page(request, ref, back, choices, message=str(exc), status=409, **_facts(session, ref, exc))
    except ForceReasonRequired as exc:
        errors = FormErrors()
        errors.add("reason", str(exc))
        try:  # the conditions as the person's other choices meet them, to show beside the reason
            paperwork.check_notices(session, ref, again=choices.again, hints=HINTS)
            refusal = None
        except ConditionsNotMet as missing:
            refusal = missing
        return refusal_page(request, ref, back, choices, message="", errors=errors, status=400,
                            **_facts(session, ref, refusal))
    if found.units:
        return None
    return refusal_page(request, ref, back, choices, status=409, **_facts(session, ref),
                        message=f"交房批次 {found.ref}({found.name})所选的 {len(found.refused)} 户都不能生成交房通知书,"
                                "本次未生成任何文书(各户原因见下)。")


def _facts(session: Session, ref: str, refusal: ConditionsNotMet | None = None) -> dict[str, Any]:
    """What the page shows: the missing conditions (``refusal``'s, under the person's choices) and every unit refused.

    The units are asked of the core without the person's choices, so a unit
    they ticked for 补发 is still listed (ticked) beside the others.
    """
    try:
        plain = paperwork.check_notices(session, ref, hints=HINTS)
        refused, name = plain.refused, plain.name
    except ConditionsNotMet as exc:
        refused, name = exc.refused, exc.name
    if refusal is None:
        return {"lacking": [], "refused": refused, "name": name}
    return {"lacking": refusal.lacking, "refused": refused, "name": name}


def refusal_page(request: Request, ref: str, back: str, choices: NoticeChoices, *, message: str, name: str,
                 lacking: Sequence[Any] = (), refused: Sequence[Refusal] = (), errors: FormErrors | None = None,
                 status: int) -> Response:
    """The notices form after a refusal: why, the missing conditions, each refused unit, the choices, what was typed."""
    reissuable = [r for r in refused if r.reissuable]
    context = {
        "title": f"生成交房通知书:{ref}", "ref": ref, "name": name, "back": back, "message": message,
        "lacking": list(lacking), "reissuable": reissuable, "others": [r for r in refused if not r.reissuable],
        "choices": choices, "errors": errors or FormErrors(),
        "show_force": bool(lacking) or choices.force,
    }
    return page(request, "notices.html", context, status=status)
