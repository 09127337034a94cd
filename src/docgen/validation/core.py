"""What a rule violation is (:class:`Problem`), what the rules are judged against (:class:`Context`).

A problem carries a stable code (also the audit's rule id, ``VALID.DATE_ORDER``),
the record and the field in words (``报修单 BX-2026-00012``, ``完成日期``) and
one Chinese sentence for the person who must fix it.  Its :attr:`Problem.key`
identifies it across two versions of a record, so that the storage layer can
refuse only what a change *introduces*: old bad data never blocks an unrelated
edit (the audit reports it instead).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from docgen.audit.rules import Rules
from docgen.errors import ValidationFailed
from docgen.models import Project


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule in one record: its code, the record and field in words, and the sentence to show."""

    code: str
    """Stable code, also the audit's rule id (``VALID.DATE_ORDER``)."""
    record: str
    """The record in words: ``报修单 BX-2026-00012``, ``档案 HXSZ/03-2-1203 第 1 位业主``."""
    field: str
    """The field in words: ``完成日期``."""
    message: str
    """The whole Chinese sentence: ``报修单 BX-2026-00012 的完成日期早于响应日期(……)``."""
    path: str
    """Where it is, by ids rather than positions: ``repairs[BX-2026-00012].completed_on``."""
    ref: str = ""
    """What an audit finding refers to: the case id, else the field path."""

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity across two versions of a record (a changed value is a new problem)."""
        return (self.code, self.path, self.message)

    def __str__(self) -> str:
        return self.message


def default_thresholds() -> dict[str, Decimal]:
    """The countersign thresholds when the configuration names none (``[generate] approval_thresholds``)."""
    from docgen.generate.settings import GenerateSettings

    factory = GenerateSettings.model_fields["approval_thresholds"].default_factory
    assert factory is not None
    return dict(factory())  # type: ignore[call-arg]


class Context:
    """What records are judged against: the rules, today, the countersign thresholds, the project.

    Build one per project and reuse it for every record of that project (the
    audit does; the archive caches one per project).  ``unit_table`` is the
    place for a 楼盘表 (the set of unit codes that exist, imported from a
    spreadsheet in a later issue): when given, it is the authority on which
    rooms exist and the project's building structure is not consulted.
    """

    __slots__ = (
        "categories",
        "channels",
        "components",
        "earliest",
        "horizon",
        "max_amount",
        "project",
        "rules",
        "thresholds",
        "today",
        "unit_table",
    )

    def __init__(
        self,
        rules: Rules,
        today: dt.date,
        thresholds: Mapping[str, Decimal] | None = None,
        project: Project | None = None,
        unit_table: Iterable[str] | None = None,
    ) -> None:
        self.rules = rules
        self.today = today
        self.thresholds: Mapping[str, Decimal] = dict(thresholds) if thresholds is not None else default_thresholds()
        self.project = project
        self.unit_table = frozenset(unit_table) if unit_table is not None else None
        vocab = rules.vocabularies
        self.categories = frozenset(vocab.complaint_categories)
        self.channels = frozenset(vocab.channels)
        limits = rules.limits
        self.earliest = dt.date(limits.earliest_year, 1, 1)
        try:
            self.horizon = today.replace(year=today.year + limits.planned_years_ahead)
        except ValueError:  # 29 February
            self.horizon = today.replace(year=today.year + limits.planned_years_ahead, day=28)
        self.max_amount = limits.max_amount
        self.components = rules.component_names()

    def for_project(self, project: Project | None) -> Context:
        """The same rules, day and thresholds for another project."""
        return Context(self.rules, self.today, self.thresholds, project, None)


class RuleViolations(ValidationFailed):
    """A change breaks the department's rules; ``found`` holds each :class:`Problem` (``problems`` their sentences)."""

    def __init__(self, found: Sequence[Problem]) -> None:
        self.found = list(found)
        super().__init__([p.message for p in self.found])


def introduced(after: Sequence[Problem], before: Sequence[Problem] | None) -> list[Problem]:
    """The problems of ``after`` that ``before`` did not have (all of them for a new record, ``before`` None)."""
    if before is None:
        return list(after)
    old = {p.key for p in before}
    return [p for p in after if p.key not in old]


def refuse(after: Sequence[Problem], before: Sequence[Problem] | None = None) -> None:
    """Raise :class:`RuleViolations` for every problem the change introduces; return if there is none."""
    new = introduced(after, before)
    if new:
        raise RuleViolations(new)
