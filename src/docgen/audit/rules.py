"""Audit rules as data: what each stage requires, deadlines, warranty periods, severities.

The rules live in the archive (``records/rules.json``) so that an auditor can
change them without touching code; ``docgen rules init`` writes the packaged
defaults there (journaled like every other change), and when the file is
absent the packaged defaults apply.  The file is validated on load with
pydantic (``extra="forbid"``): a misspelt key or an unknown document type is
an error that names the key, never a rule silently ignored.
"""

from __future__ import annotations

import difflib
import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from docgen.audit.findings import RULES
from docgen.certificates.requirements import CertificateRules, default_certificate_rules
from docgen.errors import ConflictError, RecordError, quote_input
from docgen.vocab import DOC_TYPES, STAGES, Stage, doc_type_code

if TYPE_CHECKING:
    from docgen.archive.store import Archive

Condition = Literal[
    "mortgage", "area_differs", "certificate_done", "has_compensation", "has_settlement", "has_closed_repair"
]
CONDITION_LABELS: dict[str, str] = {
    "mortgage": "按揭购房",
    "area_differs": "已交房且实测面积与合同面积不同",
    "certificate_done": "产权证已办结",
    "has_compensation": "有赔偿金额的报修",
    "has_settlement": "已审批或已付款的第三方维修结算",
    "has_closed_repair": "已完成或已关闭的报修",
}
TextCheck = Literal["owner_name", "all_owner_names", "unit", "contract_no"]


def _doc_code(value: str) -> str:
    code = doc_type_code(value)
    if DOC_TYPES[code][1] == "project":
        raise ValueError(f"{DOC_TYPES[code][0]}({code})是项目级文件,不能作为业主档案的要求")
    return code


def _rule_id(value: str) -> str:
    if value not in RULES:
        close = difflib.get_close_matches(value, list(RULES), n=1)
        hint = f"(是否应为 {close[0]}?)" if close else "(`docgen rules show` 列出全部规则)"
        raise ValueError(f"未知的规则{quote_input(value)}{hint}")
    return value


DocCode = Annotated[str, AfterValidator(_doc_code)]
RuleId = Annotated[str, AfterValidator(_rule_id)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StageRule(_Strict):
    """Documents a stage (or a condition) requires, and which of them must be signed."""

    required: list[DocCode] = Field(default_factory=list)
    signed: list[DocCode] = Field(default_factory=list)


class StageOverride(_Strict):
    """A project's change to one stage: documents added to or removed from the lists."""

    required_add: list[DocCode] = Field(default_factory=list)
    required_remove: list[DocCode] = Field(default_factory=list)
    signed_add: list[DocCode] = Field(default_factory=list)
    signed_remove: list[DocCode] = Field(default_factory=list)


class Deadlines(_Strict):
    """Deadlines in days (or months for the periodic revisit)."""

    revisit_interval_months: int = Field(6, ge=1)
    revisit_after_complaint_days: int = Field(3, ge=0)
    revisit_after_repair_days: int = Field(60, ge=0)
    repair_response_days: int = Field(2, ge=0)
    repair_completion_days: int = Field(30, ge=0)
    complaint_closure_days: int = Field(15, ge=0)
    certificate_registration_days: int = Field(90, ge=0)
    certificate_filing_days: int = Field(60, ge=0)
    area_variance_percent: Decimal = Decimal("3")


class DeadlineOverride(_Strict):
    """A project's own deadlines; unset keys keep the archive-wide value."""

    revisit_interval_months: int | None = Field(None, ge=1)
    revisit_after_complaint_days: int | None = Field(None, ge=0)
    revisit_after_repair_days: int | None = Field(None, ge=0)
    repair_response_days: int | None = Field(None, ge=0)
    repair_completion_days: int | None = Field(None, ge=0)
    complaint_closure_days: int | None = Field(None, ge=0)
    certificate_registration_days: int | None = Field(None, ge=0)
    certificate_filing_days: int | None = Field(None, ge=0)
    area_variance_percent: Decimal | None = None


class WarrantyPeriod(_Strict):
    """One row of the statutory warranty table: a component, its period, and words that name it."""

    component: str = Field(min_length=1)
    months: int | None = Field(ge=0)
    match: list[str] = Field(default_factory=list)
    basis: str = ""

    @field_validator("match")
    @classmethod
    def _words(cls, values: list[str]) -> list[str]:
        if any(not v.strip() for v in values):
            raise ValueError("匹配词不能为空字符串")
        return [v.strip() for v in values]


COMPLAINT_CATEGORIES: tuple[str, ...] = (
    "工程质量", "交付延期", "面积差异", "办证进度", "物业服务", "噪音扰民",
    "规划变更", "配套设施", "销售承诺", "合同争议", "服务态度", "其他",
)
CHANNELS: tuple[str, ...] = ("电话", "400热线", "微信", "短信", "现场", "前台", "上门", "网站", "邮件", "信函")


def _terms(values: list[str]) -> list[str]:
    terms = [v.strip() for v in values]
    if any(not t for t in terms):
        raise ValueError("取值不能为空字符串")
    dupes = sorted({t for t in terms if terms.count(t) > 1})
    if dupes:
        raise ValueError(f"取值 {'、'.join(dupes)} 重复")
    return terms


class Vocabularies(_Strict):
    """Controlled vocabularies: the values a field may take (an empty list switches the check off).

    Repair components are not listed here: they must match the ``warranty``
    table (a component name or one of its match words), so that every repair
    can be judged against its warranty period.
    """

    complaint_categories: list[str] = Field(default_factory=lambda: list(COMPLAINT_CATEGORIES))
    channels: list[str] = Field(default_factory=lambda: list(CHANNELS))

    _check = field_validator("complaint_categories", "channels")(_terms)


class Limits(_Strict):
    """Plausibility limits every saved record must respect (and the audit reports on old ones)."""

    max_amount: Decimal = Field(Decimal("100000000"), gt=0)
    earliest_year: int = Field(1980, ge=1900, le=2100)
    planned_years_ahead: int = Field(10, ge=1, le=100)
    name_length: int = Field(50, ge=1)
    line_length: int = Field(200, ge=1)
    text_length: int = Field(5000, ge=1)


class ProjectOverride(_Strict):
    """Per-project overrides of stage requirements, deadlines and disabled rules."""

    stages: dict[Stage, StageOverride] = Field(default_factory=dict)
    deadlines: DeadlineOverride = Field(default_factory=DeadlineOverride)
    disabled: list[RuleId] = Field(default_factory=list)


class Rules(_Strict):
    """The whole rules file (``rules.json``)."""

    version: Literal[1] = 1
    description: str = ""
    stages: dict[Stage, StageRule]
    conditions: dict[Condition, StageRule] = Field(default_factory=dict)
    projects: dict[str, ProjectOverride] = Field(default_factory=dict)
    deadlines: Deadlines = Field(default_factory=Deadlines)
    warranty: list[WarrantyPeriod] = Field(default_factory=list)
    text_checks: dict[DocCode, list[TextCheck]] = Field(default_factory=dict)
    duplicate_ok: list[DocCode] = Field(default_factory=list)
    severity: dict[RuleId, Literal["error", "warning", "info"]] = Field(default_factory=dict)
    disabled: list[RuleId] = Field(default_factory=list)
    vocabularies: Vocabularies = Field(default_factory=Vocabularies)
    limits: Limits = Field(default_factory=Limits)
    certificates: CertificateRules = Field(default_factory=default_certificate_rules)
    """办证: the materials each household needs, the blocking prerequisites, per-project variants."""

    @model_validator(mode="after")
    def _all_stages(self) -> Rules:
        missing = [s for s in STAGES if s not in self.stages]
        if missing:
            raise ValueError(f"stages 缺少阶段 {'、'.join(missing)}(四个阶段都要列出,没有要求就写空列表)")
        return self

    # -- resolved views ------------------------------------------------------
    def required_for(self, project: str, stage: str) -> tuple[dict[str, str], set[str]]:
        """Required document types (cumulative over earlier stages, mapped to the stage that asks) and the signed set."""
        required: dict[str, str] = {}
        signed: set[str] = set()
        override = self.projects.get(project)
        for s in STAGES[: STAGES.index(stage) + 1]:
            rule = self.stages[s]  # type: ignore[index]
            req = list(rule.required)
            sig = set(rule.signed)
            if override is not None and s in override.stages:
                o = override.stages[s]
                req = [c for c in req if c not in o.required_remove] + [c for c in o.required_add if c not in req]
                sig = (sig - set(o.signed_remove)) | set(o.signed_add)
            for code in req:
                required.setdefault(code, s)
            signed |= sig
        return required, signed

    def deadlines_for(self, project: str) -> Deadlines:
        """The deadlines for a project (archive-wide values with the project's overrides)."""
        override = self.projects.get(project)
        if override is None:
            return self.deadlines
        changes = {k: v for k, v in override.deadlines.model_dump().items() if v is not None}
        return self.deadlines.model_copy(update=changes) if changes else self.deadlines

    def severity_of(self, rule: str, project: str = "") -> str | None:
        """The severity a rule reports with, or None if it is disabled (archive-wide or for the project)."""
        if rule in self.disabled:
            return None
        override = self.projects.get(project)
        if override is not None and rule in override.disabled:
            return None
        return self.severity.get(rule) or RULES[rule][0]

    def warranty_for(self, *texts: str) -> WarrantyPeriod | None:
        """The first warranty row whose component name or a match word occurs in the texts."""
        for text in texts:
            if not text:
                continue
            for row in self.warranty:
                if text == row.component:
                    return row
        joined = " ".join(t for t in texts if t)
        for row in self.warranty:
            if any(word in joined for word in row.match):
                return row
        return None

    def component_names(self) -> list[str]:
        """The components of the warranty table, in order (what a repair's component may name)."""
        return [row.component for row in self.warranty]


def default_rules_bytes() -> bytes:
    """The packaged default rules file (``docgen/data/default_rules.json``)."""
    return resources.files("docgen").joinpath("data/default_rules.json").read_bytes()


def parse_rules(data: bytes, source: Path | str) -> Rules:
    """Validate a rules file; RecordError names the file and each bad key in Chinese."""
    from docgen.archive.records import translate

    try:
        raw = json.loads(data)
    except UnicodeDecodeError as exc:
        raise RecordError(source, ["不是 UTF-8 编码的文本;请用 UTF-8 保存"]) from exc
    except ValueError as exc:
        raise RecordError(source, [f"JSON 格式错误:{exc}"]) from exc
    if not isinstance(raw, dict):
        raise RecordError(source, ["规则文件应为一个 JSON 对象 {...}"])
    try:
        return Rules.model_validate(raw)
    except PydanticValidationError as exc:
        raise RecordError(source, translate(exc)) from exc


def load_rules(archive: Archive | None = None, path: Path | None = None) -> tuple[Rules, str]:
    """Load the rules in force and say where they came from.

    Order: an explicit ``path``; else the archive's ``rules.json``; else the
    packaged defaults.
    """
    if path is None and archive is not None and archive.layout.rules.is_file():
        path = archive.layout.rules
    if path is not None:
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise RecordError(path, ["文件不存在"]) from exc
        return parse_rules(data, path), str(path)
    return parse_rules(default_rules_bytes(), "默认规则"), "默认规则(档案库中没有 rules.json)"


def init_rules(archive: Archive, force: bool = False) -> Path:
    """Write the packaged defaults to the archive's ``rules.json`` (journaled); refuse to overwrite."""
    if archive.layout.rules.exists() and not force:
        raise ConflictError(f"{archive.layout.rules} 已存在;如要恢复默认规则请加 --force")
    data = default_rules_bytes()
    parse_rules(data, "默认规则")
    archive.write_config_file(archive.layout.rules_rel, data, "写入默认审计规则 rules.json")
    return archive.layout.rules


def rules_as_json(rules: Rules) -> dict[str, Any]:
    """The rules as plain JSON data (for ``docgen rules show --json``)."""
    return rules.model_dump(mode="json")
