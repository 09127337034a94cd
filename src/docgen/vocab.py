"""Controlled vocabularies: document types, stages, statuses, with their Chinese labels.

Document types are stored by a short ASCII code (stable in file names, filename
conventions and templates); people see the Chinese label.  Everywhere a user
types a type, either form is accepted (:func:`doc_type_code`).
"""

from __future__ import annotations

from typing import Literal

from docgen.errors import quote_input

# code -> (Chinese label, where it is filed: "dossier", "project" or "both")
DOC_TYPES: dict[str, tuple[str, str]] = {
    # 签约
    "subscription": ("认购书", "dossier"),
    "purchase_contract": ("商品房买卖合同", "dossier"),
    "supplementary_agreement": ("补充协议", "dossier"),
    "id_copy": ("身份证复印件", "dossier"),
    "payment_receipt": ("购房款收据/发票", "dossier"),
    "mortgage": ("按揭贷款资料", "dossier"),
    "advance_registration": ("预告登记证明", "dossier"),
    # 交房
    "handover_notice": ("交房通知书", "dossier"),
    "handover_checklist": ("入住手续会签单", "dossier"),
    "area_survey": ("面积实测报告", "both"),
    "area_adjustment": ("面积补差单", "dossier"),
    "handover_record": ("房屋交接书", "dossier"),
    "inspection_record": ("室内验收记录", "dossier"),
    "key_receipt": ("钥匙签收表", "dossier"),
    "quality_guarantee": ("住宅质量保证书", "dossier"),
    "usage_manual": ("住宅使用说明书", "dossier"),
    "property_agreement": ("前期物业服务协议", "dossier"),
    "management_statute": ("临时管理规约", "dossier"),
    "maintenance_fund_receipt": ("维修基金收据", "dossier"),
    "rectification_list": ("整改单", "dossier"),
    # 办证
    "cert_application": ("不动产登记申请书", "dossier"),
    "power_of_attorney": ("委托书", "dossier"),
    "deed_tax_receipt": ("契税完税证明", "dossier"),
    "household_register": ("户口簿", "dossier"),
    "marriage_proof": ("婚姻状况证明", "dossier"),
    "certificate_receipt": ("产权证领取签收单", "dossier"),
    "property_certificate": ("不动产权证", "dossier"),
    "cert_checklist": ("办证材料清单", "dossier"),
    "certificate_notice": ("领证通知", "dossier"),
    # 保修期
    "repair_record": ("维修记录", "dossier"),
    "compensation_agreement": ("质量问题赔偿协议", "dossier"),
    "settlement_sheet": ("第三方维修费用支付会签表", "dossier"),
    "complaint_record": ("投诉记录", "dossier"),
    "revisit_record": ("回访记录", "dossier"),
    # 项目
    "handover_plan": ("交房方案", "project"),
    "presale_permit": ("预售许可证", "project"),
    "completion_filing": ("竣工验收备案表", "project"),
    "initial_registration": ("初始登记证明", "project"),
    "registration_list": ("办证递交清单", "project"),
    "policy": ("制度/政策法规", "project"),
    "other": ("其他", "both"),
}

STAGES: tuple[str, ...] = ("签约", "交房", "办证", "保修期")
Stage = Literal["签约", "交房", "办证", "保修期"]

Source = Literal["scan", "generated", "import"]
SOURCE_LABELS = {"scan": "扫描", "generated": "系统生成", "import": "导入"}

TextOrigin = Literal["text", "ocr", "none"]
TEXT_ORIGIN_LABELS = {"text": "文本层", "ocr": "OCR 识别", "none": "无文字"}

PaymentStatus = Literal["未付清", "已付清", "按揭待放款", "按揭已到账"]
CertificateStatus = Literal["未办理", "资料收集中", "已递交", "已办结"]

RepairStatus = Literal["已受理", "已核实", "维修中", "待验收", "已完成", "已关闭", "不予维修"]
REPAIR_OPEN = ("已受理", "已核实", "维修中", "待验收")
Responsibility = Literal["施工单位", "开发商", "业主", "物业", "不可抗力", "待定"]
ComplaintStatus = Literal["已受理", "处理中", "已关闭"]
Satisfaction = Literal["A", "B", "C"]
SATISFACTION_LABELS = {"A": "满意", "B": "基本满意", "C": "不满意"}
RevisitReason = Literal["定期回访", "投诉后回访", "维修后回访", "交房后回访"]

BatchUnitStatus = Literal["待通知", "已通知", "已预约", "已到场", "已收房", "拒收", "整改中"]
SettlementStatus = Literal["草稿", "审批中", "已审批", "已付款", "已驳回"]

PrerequisiteKind = Literal["presale_permit", "area_survey", "data_linkage", "initial_registration", "completion_filing"]
PrerequisiteStatus = Literal["未办理", "办理中", "已办结"]
RegistrationStatus = Literal["待递交", "已递交", "已出证", "已领取", "已退出"]
"""A household in a registration batch (办证批次): waiting → submitted → certificate back → handed out, or left."""


def doc_type_code(value: str) -> str:
    """Return the type code for a code or a Chinese label; raise ValueError for anything else."""
    text = value.strip()
    if text in DOC_TYPES:
        return text
    for code, (label, _) in DOC_TYPES.items():
        if text == label:
            return code
    known = "、".join(f"{c}({label})" for c, (label, _) in list(DOC_TYPES.items())[:6])
    raise ValueError(f"未知的文件类型{quote_input(value)}(例如:{known}……;`docgen document types` 列出全部)")


def doc_type_label(code: str) -> str:
    """Return the Chinese label of a document type code (the code itself if unknown)."""
    entry = DOC_TYPES.get(code)
    return entry[0] if entry else code


def level_problem(code: str, owner_key: str) -> str | None:
    """Why a document of type ``code`` cannot be filed under ``owner_key`` (a dossier or a project), or None."""
    label, where = DOC_TYPES[code]
    is_dossier = "/" in owner_key
    if where == "project" and is_dossier:
        return f"{label} 是项目级文件,应归入项目(如 {owner_key.split('/')[0]}),而非业主档案"
    if where == "dossier" and not is_dossier:
        return f"{label} 应归入业主档案(项目/房号),而非项目"
    return None
