"""The 预警 thresholds as data, beside the audit rules: ``records/thresholds.json`` (else the packaged defaults).

A manager tunes when the figures warn (five complaints of one category in one
building within seven days; the handover plan for day N of a window; the share
of open repairs past their deadline …) without touching code, the way the
audit's deadlines live in ``rules.json``.  The file is validated on load
(``extra="forbid"``): a misspelt key is an error naming it, never a threshold
silently ignored.  ``projects`` overrides sections for one project, ``disabled``
switches warnings off by kind.  ``docgen report thresholds --init`` writes the
defaults into the archive (journaled).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from docgen.errors import ConflictError, RecordError

if TYPE_CHECKING:
    from docgen.archive import Archive

FILE = "thresholds.json"
Severity = Literal["error", "warning", "info"]

WARNING_KINDS: dict[str, str] = {
    "complaint_cluster": "同一楼栋同类投诉集中",
    "handover_behind_plan": "收房率低于计划",
    "repairs_overdue": "逾期未修完的报修占比过高",
    "contractor_slow": "维修单位完成时间过长",
    "layout_defects": "某户型某类问题明显偏多",
    "certificates_overdue": "产权证逾期未办结",
    "complaints_overdue": "投诉超期未关闭",
    "satisfaction_low": "不满意(C)占比过高",
}
"""Each kind of warning and its Chinese title."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComplaintCluster(_Strict):
    """≥ ``min_count`` complaints of one category in one building within ``days`` days."""

    severity: Severity = "warning"
    min_count: int = Field(5, ge=2)
    days: int = Field(7, ge=1)


class PlanPoint(_Strict):
    """By day ``day`` of the window (1 = its first day; ``end`` = its last) the 收房率 should be at least ``rate``."""

    day: int | Literal["end"]
    rate: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _positive(self) -> PlanPoint:
        if isinstance(self.day, int) and self.day < 1:
            raise ValueError("day 应从 1 起(交房窗口的第 1 天)或为 \"end\"")
        return self


class HandoverPlan(_Strict):
    """The 收房率 plan of a handover window, checked while the window runs and ``active_days_after`` days after it."""

    severity: Severity = "warning"
    plan: list[PlanPoint] = Field(default_factory=lambda: [
        PlanPoint(day=1, rate=0.1), PlanPoint(day=3, rate=0.4), PlanPoint(day="end", rate=0.85)])
    active_days_after: int = Field(30, ge=0)


class RepairsOverdue(_Strict):
    """Open repairs past the completion deadline: at least ``min_count`` and a share of the open ones ≥ ``max_share``.

    The share alone is noise on a small base (1 overdue of 2 open is 50 %):
    ``min_count`` is how many overdue tickets make a pattern worth a warning;
    each overdue ticket is still counted in the figures and listed behind them.
    """

    severity: Severity = "warning"
    max_share: float = Field(0.2, ge=0, le=1)
    min_count: int = Field(3, ge=1)


class ContractorSlow(_Strict):
    """A contractor whose median completion days exceed ``max_median_days`` over at least ``min_tickets`` repairs."""

    severity: Severity = "warning"
    max_median_days: float = Field(15, ge=0)
    min_tickets: int = Field(5, ge=1)


class LayoutDefects(_Strict):
    """A 户型 whose repairs of one component per 100 units reach ``factor`` × the project's, with ≥ ``min_count``."""

    severity: Severity = "warning"
    factor: float = Field(2.0, ge=1)
    min_count: int = Field(8, ge=1)


class Recurring(_Strict):
    """Recurring defects (same component in the same 户型): listed when in ≥ ``min_buildings`` buildings, ≥ ``min_count`` repairs."""

    min_buildings: int = Field(2, ge=1)
    min_count: int = Field(3, ge=1)


class CountRule(_Strict):
    """Warn when at least ``min_count`` records are in the state."""

    severity: Severity = "warning"
    min_count: int = Field(1, ge=1)


class SatisfactionLow(_Strict):
    """A quarter whose share of C (不满意) reaches ``max_c_share`` over at least ``min_revisits`` revisits."""

    severity: Severity = "info"
    max_c_share: float = Field(0.1, ge=0, le=1)
    min_revisits: int = Field(20, ge=1)


class ProjectThresholds(_Strict):
    """A project's own thresholds; sections left out keep the archive-wide ones."""

    complaint_cluster: ComplaintCluster | None = None
    handover_plan: HandoverPlan | None = None
    repairs_overdue: RepairsOverdue | None = None
    contractor_slow: ContractorSlow | None = None
    layout_defects: LayoutDefects | None = None
    recurring: Recurring | None = None
    certificates_overdue: CountRule | None = None
    complaints_overdue: CountRule | None = None
    satisfaction_low: SatisfactionLow | None = None
    disabled: list[str] = Field(default_factory=list)


class Thresholds(_Strict):
    """The whole thresholds file (``thresholds.json``)."""

    version: Literal[1] = 1
    description: str = ""
    complaint_cluster: ComplaintCluster = Field(default_factory=ComplaintCluster)
    handover_plan: HandoverPlan = Field(default_factory=HandoverPlan)
    repairs_overdue: RepairsOverdue = Field(default_factory=RepairsOverdue)
    contractor_slow: ContractorSlow = Field(default_factory=ContractorSlow)
    layout_defects: LayoutDefects = Field(default_factory=LayoutDefects)
    recurring: Recurring = Field(default_factory=Recurring)
    certificates_overdue: CountRule = Field(default_factory=CountRule)
    complaints_overdue: CountRule = Field(default_factory=CountRule)
    satisfaction_low: SatisfactionLow = Field(default_factory=SatisfactionLow)
    disabled: list[str] = Field(default_factory=list)
    projects: dict[str, ProjectThresholds] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_kinds(self) -> Thresholds:
        for where, kinds in [("disabled", self.disabled), *((f"projects.{c}.disabled", p.disabled)
                                                              for c, p in self.projects.items())]:
            unknown = [k for k in kinds if k not in WARNING_KINDS]
            if unknown:
                raise ValueError(f"{where} 中有未知的预警类型 {'、'.join(unknown)}(可用:{'、'.join(WARNING_KINDS)})")
        return self

    def section(self, name: str, project: str) -> Any:
        """A section for a project: its override if it has one, else the archive-wide one."""
        override = self.projects.get(project)
        value = getattr(override, name, None) if override is not None else None
        return value if value is not None else getattr(self, name)

    def enabled(self, kind: str, project: str) -> bool:
        """False if the warning kind is switched off archive-wide or for the project."""
        override = self.projects.get(project)
        return kind not in self.disabled and not (override is not None and kind in override.disabled)


def default_bytes() -> bytes:
    """The packaged default thresholds (``docgen/data/default_thresholds.json``)."""
    return resources.files("docgen").joinpath("data/default_thresholds.json").read_bytes()


def parse_thresholds(data: bytes, source: Path | str) -> Thresholds:
    """Validate a thresholds file; RecordError names the file and each bad key in Chinese."""
    from docgen.archive.records import translate

    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise RecordError(source, [f"JSON 格式错误:{exc}"]) from exc
    if not isinstance(raw, dict):
        raise RecordError(source, ["预警阈值文件应为一个 JSON 对象 {...}"])
    try:
        return Thresholds.model_validate(raw)
    except PydanticValidationError as exc:
        raise RecordError(source, translate(exc)) from exc


def load_thresholds(archive: Archive) -> tuple[Thresholds, str]:
    """The thresholds in force and where they came from (the archive's file, else the packaged defaults)."""
    path = archive.root / FILE
    if path.is_file():
        return parse_thresholds(path.read_bytes(), path), str(path)
    return parse_thresholds(default_bytes(), "默认预警阈值"), "默认预警阈值(档案库中没有 thresholds.json)"


def init_thresholds(archive: Archive, force: bool = False) -> Path:
    """Write the packaged defaults to the archive's ``thresholds.json`` (journaled); refuse to overwrite."""
    path = archive.root / FILE
    if path.exists() and not force:
        raise ConflictError(f"{path} 已存在;如要恢复默认预警阈值请加 --force")
    data = default_bytes()
    parse_thresholds(data, "默认预警阈值")
    archive.write_config_file(FILE, data, "写入默认预警阈值 thresholds.json")
    return path
