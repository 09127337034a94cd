"""Field and record names in the words a clerk uses: 完成日期, 第 1 位业主, 报修单 BX-2026-00012.

Every message about a record (a refused change, a finding, a structural error
from pydantic) names the record and the field this way, never by its JSON
path (``owners[0].id_number``): the people who read them work with paper
forms, not with files.  The table covers every field of every record model;
``tests/test_validation.py`` fails when a field is added without a label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# model name -> field -> label (the Chinese term the department's forms use)
_COMMON = {"revision": "版本号", "updated_by": "最后修改人", "updated_at": "最后修改时间"}
FIELD_LABELS: dict[str, dict[str, str]] = {
    "Company": {
        "name": "公司名称", "credit_code": "统一社会信用代码", "legal_rep": "法定代表人", "address": "地址",
        "phone": "联系电话",
    },
    "Building": {
        "code": "楼栋号", "entrances": "单元数", "floors": "最高层", "lowest_floor": "最低住宅层",
        "rooms_per_floor": "每层户数", "skipped_floors": "不设的楼层",
    },
    "Phase": {
        "name": "期名", "buildings": "楼栋", "structure": "楼栋结构", "presale_permits": "预售许可证",
        "contract_delivery_date": "合同约定交付日期", "completion_filed_on": "竣工验收备案日期",
    },
    "InitialRegistration": {"status": "办理状态", "number": "证书编号", "date": "办结日期"},
    "Prerequisite": {
        "kind": "办证前提", "phase": "期名", "status": "办理状态", "number": "证号或编号", "started_on": "开始办理日期",
        "done_on": "办结日期", "document": "证明文件", "note": "备注",
    },
    "Registration": {
        "id": "办证批次编号", "project": "项目编号", "name": "批次名称", "registry": "登记机构", "created_on": "建立日期",
        "handled_by": "经办人", "submitted_on": "递交日期", "receipt_no": "登记中心受理编号", "households": "住户",
        "notes": "备注", **_COMMON,
    },
    "RegistrationEntry": {
        "unit": "房号", "status": "状态", "joined_on": "加入日期", "agent": "代理人", "materials": "材料份数",
        "certificate_no": "不动产权证号", "certified_on": "登簿日期", "handed_out_on": "领证日期",
        "received_by": "领取人", "left_on": "退出日期", "left_reason": "退出原因", **_COMMON,
    },
    "PageInfo": {"n": "页码", "origin": "文字来源", "confidence": "识别置信度", "chars": "字数",
                 "size": "页面尺寸", "rereads": "重新识别记录", "doubtful": "OCR 存疑的行"},
    "DoubtfulLine": {"box": "位置", "text": "识别出的文字", "confidence": "识别置信度", "reason": "存疑原因",
                     "tried": "尝试过的办法", "row": "行号", "missing": "是否漏读"},
    "Document": {
        "id": "文件编号", "type": "文件类型", "title": "标题", "date": "文件日期", "source": "来源", "file": "文件名",
        "original_name": "原文件名", "media_type": "文件格式", "sha256": "校验值", "size": "文件大小",
        "pages": "页面信息", "text_file": "文字稿文件名", "signed": "是否已签字", "supersedes": "所替代的文件",
        "superseded_by": "替代它的文件", "related": "相关记录", "identified_by": "识别方式",
        "confidence": "识别置信度", "filed_at": "归档时间", "filed_by": "归档人", "note": "备注",
    },
    "Owner": {"name": "姓名", "id_number": "身份证号码", "phone": "电话", "address": "联系地址", "role": "身份"},
    "RepairTicket": {
        "id": "报修单号", "reported_on": "报修日期", "reported_by": "报修人", "channel": "渠道", "component": "部位",
        "location": "具体位置", "description": "问题描述", "warranty_category": "保修类别",
        "in_warranty": "是否在保修期内", "verified_cause": "核实原因", "responsibility": "责任方",
        "contractor": "维修单位", "status": "状态", "handled_by": "经办人", "responded_on": "响应日期",
        "completed_on": "完成日期", "owner_acceptance": "业主验收", "accepted_on": "验收日期",
        "compensation": "赔偿金额", "closed_on": "关闭日期", "notes": "备注", **_COMMON,
    },
    "Complaint": {
        "id": "投诉编号", "received_on": "受理日期", "channel": "渠道", "first_responder": "首问责任人",
        "category": "类别", "description": "投诉内容", "status": "状态", "resolution": "处理结果",
        "closed_on": "关闭日期", "related_repairs": "相关报修单", **_COMMON,
    },
    "Revisit": {
        "id": "回访编号", "date": "回访日期", "by": "回访人", "channel": "渠道", "reason": "回访原因",
        "status": "状态", "satisfaction": "满意度", "notes": "回访记录", "related": "相关记录", **_COMMON,
    },
    "SettlementItem": {
        "item": "维修项目", "unit": "计量单位", "declared_qty": "申报数量", "approved_qty": "核定数量",
        "unit_price": "合同单价",
    },
    "Deduction": {"name": "扣款名称", "amount": "金额"},
    "Approval": {"role": "签字角色", "name": "签字人", "date": "签字日期", "decision": "审批意见", "note": "意见说明"},
    "Settlement": {
        "id": "会签表编号", "created_on": "填报日期", "repair_ids": "维修单号", "contractor": "第三方维修单位",
        "contract_no": "维修合同编号", "items": "结算明细", "deductions": "扣款", "paid_before": "已付累计",
        "chargeback": "质保金扣回金额", "chargeback_to": "被扣回的原施工单位", "payee": "收款单位",
        "bank": "开户行", "account": "账号", "attachments": "附件", "approvals": "会签链", "status": "状态",
        "handled_by": "经办人", **_COMMON,
    },
    "Dossier": {
        "project": "项目编号", "unit": "房号", "owners": "业主", "contract_no": "合同编号", "filing_no": "合同备案号",
        "contract_date": "合同日期", "area_contract": "合同面积", "area_measured": "实测面积",
        "price_total": "总房款", "payment_status": "付款状态", "stage": "阶段", "signed_on": "签约日期",
        "delivery_due": "合同约定交付日期", "delivered_on": "交房日期", "registration_due_days": "办证期限(天)",
        "certificate_status": "产权证状态", "certificate_no": "不动产权证号", "certified_on": "产权证办结日期",
        "batch": "交房批次", "documents": "文件", "repairs": "报修单", "complaints": "投诉", "revisits": "回访",
        "settlements": "第三方维修结算", "notes": "备注", "unit_price": "合同单价", **_COMMON,
    },
    "DeliveryCondition": {"item": "交付条件", "status": "落实情况", "date": "落实日期", "evidence": "证明文件",
                          "note": "说明"},
    "AreaRule": {"basis": "依据", "band": "误差范围(%)", "within": "范围内的处理", "excess": "超出部分的承担",
                 "shortfall_multiple": "面积不足超出部分的返还倍数"},
    "Counter": {"seq": "顺序", "name": "窗口名称", "staff": "工作人员"},
    "BatchUnit": {
        "unit": "房号", "status": "状态", "notice_sent_on": "交房通知书发出日期", "notice_channel": "通知方式",
        "appointment": "预约时段", "defects": "验房问题", "keys_issued": "钥匙已发放", **_COMMON,
    },
    "Batch": {
        "id": "批次编号", "project": "项目编号", "name": "批次名称", "phase": "分期", "buildings": "楼栋",
        "window_start": "交房开始日期", "window_end": "交房结束日期", "fallback_start": "备用交房开始日期",
        "fallback_end": "备用交房结束日期", "hours": "办理时间", "rehearsal_on": "演练日期", "venue": "交房地点",
        "backup_venue": "备用地点", "commander": "总指挥", "supervisor": "现场督导", "counters": "办理窗口",
        "units": "房号清单", "notes": "备注", "conditions": "交付条件", "area_rule": "面积补差规则", **_COMMON,
    },
    "Project": {
        "code": "项目编号", "name": "项目名称", "city": "城市", "address": "项目地址", "developer": "开发商",
        "phases": "分期", "initial_registration": "初始登记", "prerequisites": "办证前提", "service_phone": "客服电话",
        "documents": "项目文件",
        "notes": "备注", **_COMMON,
    },
    "UnitRecord": {
        "unit": "房号", "layout": "户型编号", "layout_name": "户型名称", "area_building": "建筑面积",
        "area_inner": "套内面积", "floor": "楼层", "orientation": "朝向", "finish": "装修标准",
        "unit_price": "成交单价", "price_band": "总价区间",
    },
    "UnitTable": {
        "project": "项目编号", "source": "导入文件", "imported_at": "导入时间", "imported_by": "导入人",
        "units": "房间",
    },
}

# (model, list field) -> (the model of its items, how one item is named: by its id, else by its position)
ITEMS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("Dossier", "owners"): ("Owner", "", "第 {n} 位业主"),
    ("Dossier", "documents"): ("Document", "文件 {id}", "第 {n} 份文件"),
    ("Dossier", "repairs"): ("RepairTicket", "报修单 {id}", "第 {n} 张报修单"),
    ("Dossier", "complaints"): ("Complaint", "投诉 {id}", "第 {n} 件投诉"),
    ("Dossier", "revisits"): ("Revisit", "回访 {id}", "第 {n} 次回访"),
    ("Dossier", "settlements"): ("Settlement", "结算会签 {id}", "第 {n} 份结算"),
    ("Document", "pages"): ("PageInfo", "", "第 {n} 页"),
    ("PageInfo", "doubtful"): ("DoubtfulLine", "", "第 {n} 处存疑"),
    ("Settlement", "items"): ("SettlementItem", "", "第 {n} 项结算明细"),
    ("Settlement", "deductions"): ("Deduction", "", "第 {n} 项扣款"),
    ("Settlement", "approvals"): ("Approval", "", "第 {n} 个签字"),
    ("Project", "phases"): ("Phase", "", "第 {n} 期"),
    ("Project", "documents"): ("Document", "文件 {id}", "第 {n} 份文件"),
    ("Phase", "structure"): ("Building", "", "第 {n} 栋的结构"),
    ("Batch", "counters"): ("Counter", "", "第 {n} 个办理窗口"),
    ("Batch", "conditions"): ("DeliveryCondition", "", "第 {n} 项交付条件"),
    ("Batch", "units"): ("BatchUnit", "房号 {unit}", "第 {n} 户"),
    ("Project", "prerequisites"): ("Prerequisite", "", "第 {n} 项办证前提"),
    ("Registration", "households"): ("RegistrationEntry", "房号 {unit}", "第 {n} 户"),
    ("UnitTable", "units"): ("UnitRecord", "房号 {unit}", "第 {n} 个房间"),
}
# (model, object field) -> the model it holds
NESTED: dict[tuple[str, str], str] = {
    ("Project", "developer"): "Company",
    ("Batch", "area_rule"): "AreaRule",
    ("Project", "initial_registration"): "InitialRegistration",
}
# What the top-level record is called (``CASE_LABEL`` in the archive uses the same words).
RECORD_NOUNS = {
    "Dossier": "档案", "Project": "项目", "Batch": "交房批次", "RepairTicket": "报修单", "Complaint": "投诉",
    "Revisit": "回访", "Settlement": "结算会签", "Document": "文件", "Registration": "办证批次",
    "UnitTable": "楼盘表",
}


def field_label(model: str, name: str) -> str:
    """The Chinese label of a field of a model (by class name), or the field's own name if unknown."""
    return FIELD_LABELS.get(model, {}).get(name, name)


def of(record: str, label: str) -> str:
    """``报修单 BX-2026-00012`` + ``完成日期`` → ``报修单 BX-2026-00012 的完成日期`` (a space after an id)."""
    if not record:
        return label
    if not label:
        return record
    sep = " " if record[-1].isascii() and record[-1].isalnum() else ""
    return f"{record}{sep}的{label}"


def then(record: str, text: str) -> str:
    """``报修单 BX-2026-00012`` + ``有未知字段 …``, with a space after an id (as :func:`of` does)."""
    sep = " " if record and record[-1].isascii() and record[-1].isalnum() else ""
    return f"{record}{sep}{text}"


def _item_name(model: str, name: str, index: int, item: Any) -> tuple[str, str] | None:
    spec = ITEMS.get((model, name))
    if spec is None:
        return None
    child, by_id, by_position = spec
    if by_id and isinstance(item, Mapping):
        key = "unit" if "{unit}" in by_id else "id"
        value = item.get(key)
        if isinstance(value, str) and value and value.isascii() and len(value) <= 64:
            return child, by_id.format(**{key: value})
    return child, by_position.format(n=index + 1)


def describe_location(model: str, loc: Sequence[Any], data: Any = None) -> str | None:
    """Name a pydantic error location in words: ``("owners", 0, "id_number")`` → ``第 1 位业主的身份证号码``.

    ``model`` is the class name of the validated record and ``data`` its input
    (a dict), used to name list items by their id (``报修单 BX-2026-00012``
    rather than ``第 3 张报修单``).  None when the location leaves the labelled
    models (a rules file, a configuration): the caller then shows the path.
    """
    if model not in FIELD_LABELS:
        return None
    words = ""
    current: str | None = model
    node = data
    parts = list(loc)
    i = 0
    while i < len(parts):
        part = parts[i]
        if current is None or not isinstance(part, str):
            return None
        if part not in FIELD_LABELS.get(current, {}):
            if i == len(parts) - 1 or part == "[key]":
                return of(words, part) if part != "[key]" else words  # an unknown key: shown as typed
            return None
        sub = node.get(part) if isinstance(node, Mapping) else None
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if isinstance(nxt, int) and (current, part) in ITEMS:
            item = sub[nxt] if isinstance(sub, list) and 0 <= nxt < len(sub) else None
            named = _item_name(current, part, nxt, item)
            assert named is not None
            child, name = named
            words = f"{words} {name}" if words else name
            current, node = child, item
            i += 2
            continue
        label = field_label(current, part)
        if isinstance(nxt, int):  # a list of plain values (buildings, related_repairs)
            words = of(words, f"{label}(第 {nxt + 1} 项)")
            return words if i + 2 == len(parts) else None
        words = of(words, label)
        if (current, part) in NESTED:
            current, node = NESTED[(current, part)], sub
        else:
            current, node = None, None
        i += 1
    return words
