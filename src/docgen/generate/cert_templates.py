"""Build the certificate templates (办证材料清单, 委托书, 领证通知) with python-docx, like the others.

Same layout rules as :mod:`docgen.generate.template_builder` (A4, 宋体 body,
黑体 headings, the header with the document number and QR code, page numbers),
whose helpers these builders use; kept in their own module so the two sets
can change independently.  Running text uses full-width Chinese punctuation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm

from docgen.generate.template_builder import (
    _borderless,
    _cell,
    _grid,
    _header_footer,
    _heading,
    _kv_table,
    _new_document,
    _para,
    _run,
    _spacer,
    _title,
)


# -- 办证材料清单 --------------------------------------------------------------------
def build_cert_checklist(path: Path) -> None:
    """办证材料清单: for one household, what is already filed and what to bring or sign, with the deadline."""
    doc = _new_document(line_spacing=1.2)
    _header_footer(doc, "办证材料清单")
    _title(doc, "不动产权证办理材料清单", sub="{{ project.name }}{{ unit.label }}")
    _para(doc, ("b", "尊敬的 {{ owner_names }} 业主："), indent=False)
    _para(
        doc,
        "您购买的{{ project.name }}{{ unit.label }}（《商品房买卖合同》编号：{{ dossier.contract_no }}，"
        "备案号：{{ dossier.filing_no }}）正在办理不动产权证。{{ summary }}",
    )
    _heading(doc, "一、已收到的材料")
    _grid(
        doc,
        ["序号", "材料", "份数"],
        ["{{ r.n }}", "{{ r.label }}", "{{ r.copies }}"],
        loop="for r in received",
        widths=(14, 124, 25),
        center=(0, 2),
    )
    _heading(doc, "二、尚需办理或携带的材料")
    _grid(
        doc,
        ["序号", "材料", "办理方式", "请携带", "说明"],
        ["{{ w.n }}", "{{ w.label }}", "{{ w.action }}", "{{ w.bring }}", "{{ w.note }}"],
        loop="for w in wanted",
        widths=(12, 50, 22, 40, 39),
        center=(0, 2),
        size=10,
    )
    _heading(doc, "三、办理时限")
    _para(
        doc,
        "按《商品房买卖合同》约定，请于{{ due }}前备齐上述材料。原件核对后当场退还；"
        "因他人代为办理的，须提供经公证的委托书及代理人身份证原件。",
    )
    _para(doc, "咨询电话：{{ project.service_phone }}。", indent=True)
    _spacer(doc, 6)
    _para(doc, "{{ developer.name }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "{{ issued_on|cn_date }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _spacer(doc, 6)
    receipt = _kv_table(
        doc,
        [
            ("房号", "{{ unit.label }}", "清单编号", "{{ doc_id }}"),
            ("业主签收", "", "签收日期", "      年    月    日"),
        ],
    )
    receipt.rows[-1].height = Mm(10)
    doc.save(str(path))


# -- 委托书 --------------------------------------------------------------------------
def build_power_of_attorney(path: Path) -> None:
    """委托书: every owner (full identity) authorises the developer to apply for and collect the certificate."""
    doc = _new_document()
    _header_footer(doc, "委托书")
    _title(doc, "委 托 书")
    _para(doc, ("b", "委托人（产权人，含共有人）："), indent=False)
    _grid(
        doc,
        ["序号", "姓名", "身份", "身份证号码", "住址"],
        ["{{ o.n }}", "{{ o.name }}", "{{ o.role }}", "{{ o.id_number }}", "{{ o.address }}"],
        loop="for o in owners",
        widths=(12, 22, 20, 46, 63),
        center=(0,),
    )
    _spacer(doc, 3)
    _para(doc, ("b", "受托人："), "{{ developer.name }}", indent=False)
    _para(doc, "统一社会信用代码：{{ developer.credit_code }}；法定代表人：{{ developer.legal_rep }}；", indent=False)
    _para(doc, "住所：{{ developer.address }}；联系电话：{{ developer.phone }}。", indent=False)
    _spacer(doc, 3)
    _para(
        doc,
        "委托人购买受托人开发的{{ project.name }}{{ unit.label }}（建筑面积 {{ house.area }} 平方米，"
        "《商品房买卖合同》编号：{{ house.contract_no }}，备案号：{{ house.filing_no }}）。"
        "现委托受托人代为办理该房屋的不动产转移登记，委托事项如下：",
    )
    for line in (
        "一、向{{ registry }}提交登记申请及相关材料，查询办理进度；",
        "二、按登记机构的要求补正材料，代缴登记费、工本费；",
        "三、代为领取不动产权证书，并通知委托人领取；",
        "四、受托人不得转委托，不得办理上述事项以外的任何事务。",
    ):
        _para(doc, line)
    _para(doc, "委托期限：自本委托书签署之日起至不动产权证书领取之日止。")
    _para(doc, "委托人保证所提供的身份证明、婚姻状况证明等材料真实有效，因材料不实造成的后果由委托人承担。")
    _spacer(doc, 8)
    table = doc.add_table(rows=3, cols=2)
    _borderless(table)
    _cell(table.rows[0].cells[0], "委托人（签字并按手印）：", size=12)
    _cell(table.rows[0].cells[1], "受托人（盖章）：{{ developer.name }}", size=12)
    cell = table.rows[1].cells[0]
    _cell(cell, "{%p for o in owners %}", size=12)
    p = cell.add_paragraph()
    _run(p, "{{ o.name }}：________________")
    p = cell.add_paragraph()
    _run(p, "{%p endfor %}")
    _cell(table.rows[1].cells[1], "经办人（签字）：", size=12)
    _cell(table.rows[2].cells[0], "日期：      年    月    日", size=12)
    _cell(table.rows[2].cells[1], "日期：      年    月    日", size=12)
    doc.save(str(path))


# -- 领证通知 ------------------------------------------------------------------------
def build_certificate_notice(path: Path) -> None:
    """领证通知: the certificate is ready; where, when and with what to collect it; a receipt to sign."""
    doc = _new_document(line_spacing=1.2)
    _header_footer(doc, "领证通知")
    _title(doc, "领 证 通 知")
    _para(doc, ("b", "尊敬的 {{ owner_names }} 业主："), indent=False)
    _para(
        doc,
        "您购买的{{ project.name }}{{ unit.label }}的不动产权证书已办理完毕（证书号：{{ certificate.number }}，"
        "登簿日期：{{ certificate.date|cn_date }}）。请于{{ collect.hours }}到{{ collect.place }}领取"
        "{% if collect.until %}，领取截止日期为{{ collect.until }}{% endif %}。",
    )
    _heading(doc, "领取时请携带")
    for line in (
        "一、本通知；",
        "二、{% if co_owned %}全体产权人（含共有人）的{% endif %}身份证原件；",
        "三、{{ collect.bring_agent }}",
    ):
        _para(doc, line)
    _para(doc, "咨询电话：{{ project.service_phone }}。")
    _spacer(doc, 6)
    _para(doc, "{{ developer.name }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "{{ issued_on|cn_date }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "- - - - - - - - - - - - - - - - - - 沿此线剪下 - - - - - - - - - - - - - - - - - -", indent=False,
          align=WD_ALIGN_PARAGRAPH.CENTER, size=9)
    _title(doc, "不动产权证书领取签收单", size=14)
    receipt = _kv_table(
        doc,
        [
            ("房号", "{{ unit.label }}", "证书号", "{{ certificate.number }}"),
            ("产权人", "{{ owner_names }}", "通知编号", "{{ doc_id }}"),
            ("领取人签字", "", "领取日期", "      年    月    日"),
        ],
    )
    receipt.rows[-1].height = Mm(10)
    doc.save(str(path))


BUILDERS: dict[str, Callable[[Path], Any]] = {
    "cert_checklist": build_cert_checklist,
    "power_of_attorney": build_power_of_attorney,
    "certificate_notice": build_certificate_notice,
}
