"""The list behind a number: a figure's filter (:class:`Drill`) and the records it selects.

Every number the figures give carries a drill-down: a URL query string such
as ``kind=repairs&project=HXSZ&layout=B2&component=卫生间地面渗漏`` (plus the
period, ``from``/``to``, and the batch the figures were filtered by).  The web
dashboard links each number to a list page that calls
:func:`docgen.services.report.records_behind` with it; ``docgen report list``
does the same in a terminal.  The records are selected from the same events
the figures count (:mod:`.facts`), so the list always has as many rows as the
number says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from docgen.errors import UsageError, quote_input, show_input
from docgen.report.facts import KINDS, Event, check_period_day

DIMENSIONS: dict[str, str] = {
    "project": "项目", "batch": "批次", "building": "楼栋", "unit": "房号", "layout": "户型", "stage": "阶段",
    "delivered": "已交付", "in_period": "期间内交付", "cert": "产权证状态", "cert_overdue": "办证逾期",
    "cert_due30": "30 天内到期", "done": "已做", "component": "部位", "category": "类别", "contractor": "维修单位",
    "state": "状态", "warranty": "保修期内", "response": "响应", "completion": "完成", "overdue": "逾期",
    "compensated": "有赔偿", "handler": "经办人", "cause": "原因", "revisit": "回访", "month": "月份",
    "responder": "首问责任人", "on_time": "按时关闭", "reason": "回访原因", "status": "记录状态",
    "satisfaction": "满意度", "by": "回访人", "quarter": "季度", "case_owner": "案件负责人",
    "related_kind": "相关记录", "planned_overdue": "计划回访逾期", "chargeback_to": "扣回质保金的单位",
    "counted": "已审批或已付款", "pending": "审批中", "notified": "已通知", "booked": "已预约", "attended": "已到场",
    "accepted": "已收房", "rejected": "拒收", "rectifying": "整改中", "defects": "验房有问题",
    "accepted_by": "截至该日已收房",
}
"""Every criterion a drill-down may name, with its Chinese name (what a list page shows as its title)."""
DATE_CRITERIA = ("accepted_by",)
"""Criteria whose value is a day (YYYY-MM-DD), checked as the period is."""
PERIOD_LABELS = {"from": "开始日期", "to": "结束日期"}


def _date(name: str, raw: str) -> dt.date:
    label = PERIOD_LABELS.get(name) or DIMENSIONS.get(name, name)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise UsageError(f"筛选条件 {name}({label})的值{quote_input(raw)}不是日期,应为 YYYY-MM-DD") from exc


@dataclass(frozen=True, slots=True)
class Drill:
    """A figure's filter: a record kind, dimension values, a period."""

    kind: str
    criteria: tuple[tuple[str, str], ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @classmethod
    def make(cls, kind: str, date_from: dt.date | None = None, date_to: dt.date | None = None,
             **criteria: str) -> Drill:
        """A drill-down for ``kind`` with ``criteria`` (dimension=value)."""
        return cls(kind, tuple(sorted(criteria.items())), date_from, date_to)

    @classmethod
    def parse(cls, text: str | Mapping[str, Any]) -> Drill:
        """Read a query string (``kind=repairs&project=HXSZ``) or a mapping; UsageError names what is wrong."""
        pairs = parse_qsl(text.lstrip("?"), keep_blank_values=True) if isinstance(text, str) else \
            [(str(k), str(v)) for k, v in text.items()]
        values: dict[str, str] = {}
        for key, value in pairs:
            if key in values:
                raise UsageError(f"筛选条件 {key} 出现了两次")
            values[key] = value
        kind = values.pop("kind", "")
        if kind not in KINDS:
            raise UsageError(f"筛选条件缺少或写错了 kind(应为 {'、'.join(KINDS)} 之一)")
        dates: dict[str, dt.date | None] = {"from": None, "to": None}
        for name in ("from", "to"):
            raw = values.pop(name, "")
            if raw:
                dates[name] = _date(name, raw)
        unknown = sorted(set(values) - set(DIMENSIONS))
        if unknown:
            raise UsageError(f"未知的筛选条件 {show_input('、'.join(unknown))}")
        for name in DATE_CRITERIA:
            if values.get(name):
                values[name] = _date(name, values[name]).isoformat()
        return cls(kind, tuple(sorted(values.items())), dates["from"], dates["to"])

    def check(self, today: dt.date) -> None:
        """UsageError for a day outside the figures' range (the same rule as :meth:`Filters.check`)."""
        check_period_day(self.date_from, f"筛选条件 from({PERIOD_LABELS['from']})", today)
        check_period_day(self.date_to, f"筛选条件 to({PERIOD_LABELS['to']})", today)
        for name, value in self.criteria:
            if name in DATE_CRITERIA and value:
                check_period_day(dt.date.fromisoformat(value), f"筛选条件 {name}({DIMENSIONS[name]})", today)

    @property
    def query(self) -> str:
        """The URL query string (what a figure carries and a link sends)."""
        pairs: list[tuple[str, str]] = [("kind", self.kind), *self.criteria]
        if self.date_from:
            pairs.append(("from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("to", self.date_to.isoformat()))
        return urlencode(pairs)

    def describe(self) -> str:
        """``报修单:项目=HXSZ、户型=B2`` (the title of a list page)."""
        parts = [f"{DIMENSIONS.get(k, k)}={v or '(空)'}" for k, v in self.criteria]
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or '最早'} 至 {self.date_to or '今天'}")
        return f"{KINDS[self.kind]}:" + ("、".join(parts) or "全部")

    @property
    def project(self) -> str | None:
        """The project the drill-down names, if any (the walk then reads that project only)."""
        return dict(self.criteria).get("project")

    def matches(self, e: Event) -> bool:
        """True if the event is one of the records behind the number."""
        if e.kind != self.kind:  # the period is applied by the walk, exactly as for the figures
            return False
        for key, value in self.criteria:
            if key == "accepted_by":
                accepted_on = e.m.get("accepted_on")
                if accepted_on is None or accepted_on.isoformat() > value:
                    return False
            elif e.dims.get(key, "") != value:
                return False
        return True


@dataclass(frozen=True, slots=True)
class RecordRef:
    """One record behind a number: what it is, where it is filed, one line about it."""

    kind: str
    id: str
    key: str
    project: str
    date: dt.date | None
    title: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"kind": self.kind, "id": self.id, "key": self.key, "project": self.project,
                "date": self.date.isoformat() if self.date else None, "title": self.title}


def select(events: Iterator[Event], drill: Drill) -> Iterator[RecordRef]:
    """The records among ``events`` that the drill-down selects, in archive order."""
    for e in events:
        if drill.matches(e):
            yield RecordRef(e.kind, e.ref, e.key, e.project, e.day, e.title)
