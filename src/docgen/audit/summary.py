"""Summarise findings as they stream past: counts by project, batch, stage, rule and severity, and the worst dossiers.

Only counters and a bounded heap of the worst dossiers are kept, so a summary
of a 20,000-household audit costs the same memory as one of 20.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from docgen.audit.findings import Finding


@dataclass
class DossierScore:
    """How bad one dossier is: counts per severity (sorted errors first)."""

    key: str
    project: str
    batch: str
    stage: str
    error: int = 0
    warning: int = 0
    info: int = 0
    rules: Counter[str] = field(default_factory=Counter)

    @property
    def order(self) -> tuple[int, int, int, str]:
        """Sort key: more errors, then warnings, then info are worse; the key breaks ties."""
        return (self.error, self.warning, self.info, self.key)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "key": self.key, "project": self.project, "batch": self.batch, "stage": self.stage,
            "error": self.error, "warning": self.warning, "info": self.info,
            "rules": dict(self.rules.most_common()),
        }


class Summary:
    """Counts of findings, fed one finding at a time (findings of a dossier arrive together)."""

    def __init__(self, top: int = 10) -> None:
        self.top = top
        self.total = 0
        self.dossiers_checked = 0
        self.by_severity: Counter[str] = Counter()
        self.by_rule: Counter[str] = Counter()
        self.by_rule_severity: Counter[tuple[str, str]] = Counter()
        self.by_project: Counter[tuple[str, str]] = Counter()
        self.by_batch: Counter[tuple[str, str, str]] = Counter()
        self.by_stage: Counter[tuple[str, str]] = Counter()
        self.dossiers_with_findings = 0
        self._current: DossierScore | None = None
        self._heap: list[tuple[tuple[int, int, int, str], int, DossierScore]] = []
        self._n = 0

    def add(self, f: Finding) -> None:
        """Count one finding."""
        self.total += 1
        self.by_severity[f.severity] += 1
        self.by_rule[f.rule] += 1
        self.by_rule_severity[(f.rule, f.severity)] += 1
        self.by_project[(f.project, f.severity)] += 1
        if f.batch:
            self.by_batch[(f.project, f.batch, f.severity)] += 1
        if f.stage:
            self.by_stage[(f.stage, f.severity)] += 1
        cur = self._current
        if cur is None or cur.key != f.key:
            self._flush()
            cur = self._current = DossierScore(f.key, f.project, f.batch, f.stage)
        setattr(cur, f.severity, getattr(cur, f.severity) + 1)
        cur.rules[f.rule] += 1

    def _flush(self) -> None:
        cur = self._current
        if cur is None:
            return
        self._current = None
        if "/" not in cur.key:
            return  # a project-level finding: counted, but not a dossier
        self.dossiers_with_findings += 1
        self._n += 1
        item = (cur.order, self._n, cur)
        if len(self._heap) < self.top:
            heapq.heappush(self._heap, item)
        elif item[0] > self._heap[0][0]:
            heapq.heapreplace(self._heap, item)

    def worst(self) -> list[DossierScore]:
        """The worst dossiers, worst first."""
        self._flush()
        return [s for _, _, s in sorted(self._heap, key=lambda x: x[0], reverse=True)]

    def table(self, counter: Counter[Any]) -> list[dict[str, Any]]:
        """Turn a (…, severity) counter into rows with error/warning/info columns."""
        rows: dict[tuple[str, ...], dict[str, Any]] = {}
        for key, n in counter.items():
            *group, severity = key
            row = rows.setdefault(tuple(group), {"group": list(group), "error": 0, "warning": 0, "info": 0})
            row[severity] += n
        return sorted(rows.values(), key=lambda r: (-r["error"], -r["warning"], -r["info"], r["group"]))

    def as_dict(self) -> dict[str, Any]:
        """The whole summary as JSON data."""
        self._flush()
        return {
            "dossiers_checked": self.dossiers_checked,
            "dossiers_with_findings": self.dossiers_with_findings,
            "total": self.total,
            "by_severity": {s: self.by_severity.get(s, 0) for s in ("error", "warning", "info")},
            "by_rule": dict(self.by_rule.most_common()),
            "by_rule_table": [{"rule": r["group"][0], **_counts(r)} for r in self.table(self.by_rule_severity)],
            "by_project": [{"project": r["group"][0], **_counts(r)} for r in self.table(self.by_project)],
            "by_batch": [{"project": r["group"][0], "batch": r["group"][1], **_counts(r)} for r in self.table(self.by_batch)],
            "by_stage": [{"stage": r["group"][0], **_counts(r)} for r in self.table(self.by_stage)],
            "worst": [s.as_dict() for s in self.worst()],
        }


def _counts(row: dict[str, Any]) -> dict[str, int]:
    return {"error": row["error"], "warning": row["warning"], "info": row["info"]}
