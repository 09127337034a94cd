"""Why handover notices are refused, in words the caller's user can act on.

The generator refuses notices in two ways: the whole run while a required
delivery condition of the batch is missing (:class:`ConditionsNotMet`), and a
unit at a time once it was notified or handed over (a :class:`Refusal` with
its ``code``).  Both offer the person a way on: issue anyway with a reason
(journaled), or issue again.  How they ask differs by caller (the CLI's
``--force --reason`` and ``--again``; a web form's 仍然发出 and 补发), so the
refusals carry structured fields (the batch, the missing conditions, each
unit's code) and their sentences are built with the caller's :class:`Hints`.
The default hints name neither flags nor fields.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docgen.errors import UsageError
from docgen.generate.render import GenerateError

if TYPE_CHECKING:
    from docgen.generate.conditions import ConditionState
    from docgen.models import BatchUnit

REASON_MAX = 200
"""The longest reason for issuing notices despite missing conditions (it goes into the journal's summary line)."""
REASON_MIN = 4
"""The fewest letters (汉字 or words' letters, two different at least; punctuation, digits, ー and 々 do not count).

An auditor reads it later to learn why a notice went out without its
conditions: "。" or "1" says nothing (``实测待录`` is the shortest that does)."""

NOTIFIED, HANDED_OVER, UNREADABLE, AREA_PROBLEM = "notified", "handed_over", "unreadable", "area"
REISSUABLE = frozenset({NOTIFIED, HANDED_OVER})
"""Refusal codes that issuing again (补发) overrides."""


@dataclass(frozen=True)
class Hints:
    """How the caller's user asks for what a refusal of notices offers (each a phrase that fits the sentence)."""

    force: str = "可写明理由后仍然生成"
    """Issue despite missing delivery conditions: ``确需先行发出的,{force}(记入日志)``."""
    reason: str = "仍然生成交房通知书须写明理由"
    """The refusal when issuing anyway without a reason: ``{reason},理由将记入日志``."""
    again: str = "选择补发"
    """Issue again to a unit already notified: ``如需补发请{again}``."""
    conditions: str = "在交房批次中登记"
    """Where the other delivery conditions are recorded; ``{ref}`` is replaced by the batch (``HXSZ/B01``)."""


DEFAULT_HINTS = Hints()


@dataclass
class Refusal:
    """A unit for which no notice was made, and why (a clear line for the clerk)."""

    unit: str
    label: str
    reason: str
    code: str = ""
    """Why, for a caller offering the way on: notified, handed_over (补发 overrides both), unreadable, area."""

    @property
    def reissuable(self) -> bool:
        """True if issuing again would give this unit a notice."""
        return self.code in REISSUABLE


class ConditionsNotMet(GenerateError):
    """Notices were asked for while a required delivery condition of the batch is missing."""

    def __init__(self, ref: str, name: str, lacking: Sequence[ConditionState], *, hints: Hints = DEFAULT_HINTS,
                 changed: bool = False, units: Sequence[str] = (), refused: Sequence[Refusal] = ()) -> None:
        self.ref = ref
        self.name = name
        self.lacking = list(lacking)
        """The missing required conditions (code, label, reason), in the plan's order."""
        self.units = list(units)
        """The units that would get a notice once the conditions are met or the person issues anyway."""
        self.refused = list(refused)
        """The units that would be left out even then, each with its reason and code."""
        self.changed = changed
        """True when the person chose to issue anyway for other missing conditions than these (they changed since)."""
        lines = "\n".join(f"  - {c.reason}" for c in self.lacking)
        if changed:
            head = (f"交房批次 {ref}({name})的交付条件在您确认之后有变化,未生成交房通知书;"
                    f"现在未具备的是:\n{lines}\n请核对后重新确认")
        else:
            head = f"交房批次 {ref}({name})尚不具备交付条件,未生成交房通知书:\n{lines}"
        super().__init__(
            f"{head}\n落实后请在档案中登记(竣工验收备案、预售许可证在项目资料中,实测面积在各户档案中,"
            f"其他条件{hints.conditions.format(ref=ref)});确需先行发出的,{hints.force}(记入日志)。"
        )

    @property
    def codes(self) -> list[str]:
        """The codes of the missing conditions (what a person agrees to issue without)."""
        return [c.code for c in self.lacking]


class ForceReasonRequired(UsageError):
    """Issuing notices despite missing conditions was asked for without a usable reason."""


def force_reason(reason: str, hints: Hints = DEFAULT_HINTS) -> str:
    """The cleaned reason for issuing anyway, or ForceReasonRequired saying what is wrong with it."""
    text = unicodedata.normalize("NFC", reason or "").strip()
    if not text:
        raise ForceReasonRequired(f"{hints.reason},理由将记入日志")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):  # U+2028 too: it breaks the journal line
        raise ForceReasonRequired("理由中不能有换行、制表符或不可见的控制字符")
    if len(text) > REASON_MAX:
        raise ForceReasonRequired(f"理由过长({len(text)} 个字),请在 {REASON_MAX} 个字以内写明")
    letters = [c for c in text if unicodedata.category(c) in ("Lo", "Lu", "Ll", "Lt")]  # not ー 々 ʰ (Lm)
    if len(letters) < REASON_MIN or len(set(letters)) < 2:  # "aaaa" says nothing either
        raise ForceReasonRequired(f"理由过短,请写明为什么在条件未齐时仍要发出(至少 {REASON_MIN} 个字,"
                                  "如“实测报告已出具,数据待录入”),理由将记入日志")
    return text


def already(bu: BatchUnit, label: str, previous: str | None, hints: Hints = DEFAULT_HINTS) -> Refusal:
    """Why a unit gets no new notice: when and how it was notified, its status, how to reissue."""
    sent = (f"已于{bu.notice_sent_on:%Y-%m-%d}通知({bu.notice_channel or '方式未登记'})" if bu.notice_sent_on
            else "已生成通知书" if previous else "已通知")
    was = f",原通知书 {previous}" if previous else ""
    if bu.status == "已收房":
        known = f"({sent}{was})" if bu.notice_sent_on or previous else ""
        return Refusal(bu.unit, label, f"已收房{known},不再发交房通知书;确需补发请{hints.again}", HANDED_OVER)
    return Refusal(bu.unit, label, f"{sent},现为「{bu.status}」{was};如需补发请{hints.again}(新通知书替代原通知书)",
                   NOTIFIED)
