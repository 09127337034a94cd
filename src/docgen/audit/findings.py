"""Audit findings and the catalogue of rule ids with their default severities.

The set of checks is code; which documents are required, the deadlines and
the severities are data (``rules.json``).  Rule ids are stable strings
(``COMPLETE.MISSING_DOC``) so that reports, scripts and the rules file's
``severity``/``disabled`` entries can refer to them across versions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1, "never": 99}
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}

# rule id -> (default severity, Chinese title)
RULES: dict[str, tuple[Severity, str]] = {
    "RECORD.UNREADABLE": ("error", "档案文件无法读取"),
    "COMPLETE.MISSING_DOC": ("error", "缺少本阶段要求的文件"),
    "COMPLETE.UNSIGNED": ("error", "要求签字的文件没有已签字版本"),
    "COMPLETE.SUPERSEDED_BY_MISSING": ("error", "文件被一份不存在的文件替代"),
    "COMPLETE.SUPERSEDES_MISSING": ("warning", "文件声称替代一份不存在的文件"),
    "COMPLETE.FILE_MISSING": ("error", "文件记录在档,但文件本身缺失"),
    "ACCURACY.ID_NUMBER": ("error", "身份证号码有误"),
    "ACCURACY.PHONE": ("warning", "电话号码格式有误"),
    "ACCURACY.DUPLICATE_RECORD_ID": ("error", "编号重复"),
    "ACCURACY.CREDIT_CODE": ("warning", "开发商统一社会信用代码有误"),
    "ACCURACY.AMOUNT_WORDS": ("error", "大写金额与小写金额不符"),
    "ACCURACY.AMOUNT_RECORD": ("error", "文件金额与档案记录不符"),
    "ACCURACY.AMOUNT_UNREADABLE": ("warning", "大写金额无法识别"),
    "ACCURACY.OCR_DOUBTFUL": ("warning", "扫描件有 OCR 存疑的行"),
    "ACCURACY.NAME_NOT_IN_TEXT": ("warning", "文件中未出现业主姓名"),
    "ACCURACY.UNIT_NOT_IN_TEXT": ("warning", "文件中未出现本户房号"),
    "ACCURACY.CONTRACT_NOT_IN_TEXT": ("warning", "文件中未出现合同编号"),
    "ACCURACY.DUPLICATE_FILE": ("warning", "同一文件归入了两份档案"),
    "ACCURACY.SHARED_ID_NUMBER": ("error", "不同档案中姓名不同的业主使用同一身份证号码"),
    "ACCURACY.SHARED_CERTIFICATE_NO": ("error", "两户档案登记了同一个不动产权证号"),
    "ACCURACY.AREA_VARIANCE": ("warning", "面积误差比超出约定"),
    "TIME.REVISIT_OVERDUE": ("warning", "定期回访逾期"),
    "TIME.REVISIT_AFTER_COMPLAINT": ("warning", "投诉关闭后未按时回访"),
    "TIME.REVISIT_AFTER_REPAIR": ("warning", "维修完成后未按时回访"),
    "TIME.REPAIR_RESPONSE": ("warning", "报修响应超时"),
    "TIME.REPAIR_COMPLETION": ("error", "维修完成超时"),
    "TIME.COMPLAINT_OPEN": ("error", "投诉超期未关闭"),
    "TIME.COMPLAINT_LATE": ("info", "投诉超期后才关闭"),
    "TIME.CERT_OVERDUE": ("warning", "产权证超期未办结"),
    # Certificates (办证, docgen.certificates): a project prerequisite that holds up every household at once
    # is reported once, for the project, instead of once per dossier.
    "CERT.PREREQUISITE": ("error", "项目办证前提未办结,已交房的业主无法递交登记"),
    "TIME.WARRANTY_EXPIRED": ("warning", "报修时已过该部位保修期"),
    # Kept so that rules files naming it still load; since the component became a controlled
    # vocabulary the problem is reported (once) as VALID.COMPONENT.
    "TIME.WARRANTY_UNKNOWN": ("info", "报修部位不在保修期表中(已由 VALID.COMPONENT 取代)"),
    # The department's rules on record data (docgen.validation): saving refuses a change that
    # breaks one, the audit reports records written before the rule existed.
    "VALID.MONEY": ("error", "金额为负数或超出上限"),
    "VALID.QUANTITY": ("error", "核定数量超过申报数量"),
    "VALID.PAYABLE": ("error", "扣款与已付累计超过结算总价"),
    "VALID.DATE_ORDER": ("error", "日期先后顺序不合理"),
    "VALID.DATE_FUTURE": ("error", "已发生的日期在今天之后"),
    "VALID.DATE_RANGE": ("error", "日期超出合理范围"),
    "VALID.REFERENCE": ("error", "引用的记录不存在"),
    "VALID.UNIT": ("error", "房号不在项目的楼栋范围内"),
    "VALID.STRUCTURE": ("error", "项目的楼栋结构有误"),
    "VALID.COMPONENT": ("warning", "报修部位不在保修期表中"),
    "VALID.CATEGORY": ("warning", "投诉类别不在规定类别中"),
    "VALID.CHANNEL": ("warning", "渠道不在规定渠道中"),
    "VALID.APPROVAL_ORDER": ("error", "会签顺序或签字角色不符合会签链"),
    "VALID.APPROVAL_STATUS": ("error", "结算状态与会签进度不符"),
    "VALID.REGISTRATION": ("error", "办证批次或办证前提的状态与记录不符"),
    "VALID.TEXT": ("error", "文字中含控制字符、换行或文字方向控制符"),
    "VALID.TEXT_LENGTH": ("warning", "文字超出长度上限"),
}


@dataclass(slots=True)
class Finding:
    """One problem found in one dossier (or project): what is wrong and what would fix it."""

    severity: str
    rule: str
    key: str
    project: str
    batch: str
    stage: str
    message: str
    ref: str = ""

    @property
    def rank(self) -> int:
        """The severity as a number (error 3, warning 2, info 1) for sorting and thresholds."""
        return SEVERITY_RANK[self.severity]

    @property
    def title(self) -> str:
        """The rule's short Chinese title."""
        return RULES.get(self.rule, ("info", self.rule))[1]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (also the CSV/XLSX columns, in this order)."""
        out = asdict(self)
        out["title"] = self.title
        return out


COLUMNS: tuple[tuple[str, str], ...] = (
    ("severity", "严重程度"),
    ("rule", "规则"),
    ("title", "问题"),
    ("key", "档案"),
    ("project", "项目"),
    ("batch", "批次"),
    ("stage", "阶段"),
    ("ref", "相关记录"),
    ("message", "说明与处理建议"),
)


def at_or_above(severity: str, threshold: str) -> bool:
    """True if ``severity`` is at least ``threshold`` (``never`` matches nothing)."""
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]
