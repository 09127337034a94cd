"""Build the five .docx templates in ``templates/`` with python-docx, reproducibly.

The committed .docx files are what the department edits in Word or WPS; this
script is how they were made, so a change of layout can be reviewed as code and
the files rebuilt (``python -m docgen.generate.template_builder templates/``).
Layout follows Chinese business documents: A4, 宋体 body (小四, 12 pt), 黑体
headings, titles centred, a header on every page carrying the document number
and its QR code (the round trip: ingest reads it from the signed scan), and
"第 X 页 共 Y 页" in the footer.

Fonts: the East Asian font is named ``宋体`` (SimSun) / ``黑体`` (SimHei), which
every Chinese Windows/WPS has; where they are missing (Linux), the PDF
converter maps them knowingly to Noto Serif/Sans CJK SC (see ``pdf.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

SERIF = "宋体"
SANS = "黑体"
LATIN = "Times New Roman"


# -- low-level helpers --------------------------------------------------------
def _set_fonts(rpr_owner: Any, east_asia: str, latin: str = LATIN) -> None:
    """Set the Latin and East Asian font names on a style's or run's rPr."""
    element = rpr_owner._element if hasattr(rpr_owner, "_element") else rpr_owner
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


ARROW = "→"


def _run(paragraph: Any, text: str, *, bold: bool = False, size: float | None = None, font: str = SERIF,
         underline: bool = False, color: str | None = None) -> Any:
    """Add ``text`` as run(s); an arrow gets a run of its own in the Chinese font.

    Word and LibreOffice pick the font of U+2192 by its neighbours: after a
    Latin character it came out in Times New Roman, after Chinese in 宋体, at a
    visibly different size.  A run whose Latin and East Asian fonts are both the
    Chinese one (and hinted East Asian) draws every arrow the same.
    """
    run = None
    for i, piece in enumerate(text.split(ARROW)):
        if i:
            arrow = paragraph.add_run(ARROW)
            _style_run(arrow, bold, size, font, underline, color)
            _set_fonts(arrow, font, latin=font)
            arrow._element.rPr.rFonts.set(qn("w:hint"), "eastAsia")
            run = arrow
        if piece or run is None:
            run = paragraph.add_run(piece)
            _style_run(run, bold, size, font, underline, color)
    return run


def _style_run(run: Any, bold: bool, size: float | None, font: str, underline: bool, color: str | None) -> None:
    run.bold = bold
    run.underline = underline
    if size:
        run.font.size = Pt(size)
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    _set_fonts(run, font)


def _new_document(landscape: bool = False, line_spacing: float = 1.3) -> Any:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin = Mm(32)
    section.bottom_margin = Mm(20)
    section.left_margin = Mm(25)
    section.right_margin = Mm(22)
    section.header_distance = Mm(8)
    section.footer_distance = Mm(10)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN
    normal.font.size = Pt(12)
    _set_fonts(normal, SERIF)
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.line_spacing = line_spacing
    doc.core_properties.author = "客户服务部"
    # For whoever edits the template; generated documents drop it (render.py): no software name goes to an owner.
    doc.core_properties.comments = "模板:双花括号中的字段名请勿改动拼写,改后请运行 docgen templates check。"
    return doc


def _borderless(table: Any) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _set_widths(table: Any, widths_mm: Sequence[float]) -> None:
    """Fix column widths in the grid and every cell (Word and LibreOffice both honour tblGrid + tcW)."""
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    grid = tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=False):
        col.set(qn("w:w"), str(int(Mm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_mm, strict=False):
            cell.width = Mm(w)


def _field(paragraph: Any, instr: str) -> None:
    """Append a simple field (PAGE, NUMPAGES) to a paragraph."""
    run = paragraph.add_run()
    _set_fonts(run, SERIF)
    run.font.size = Pt(9)
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instr} "
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    num = OxmlElement("w:t")
    num.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for el in (begin, text, sep, num, end):
        run._r.append(el)


RED = "C00000"


def _header_footer(doc: Any, title: str, mark: str | None = None) -> None:
    """Header on every page: project, title, document number and the QR code; page numbers below.

    ``mark`` is a field printed large and red after the title on every page
    (the settlement sheet's 草稿 while its countersign chain is incomplete).
    """
    section = doc.sections[0]
    header = section.header
    header.is_linked_to_previous = False
    width = section.page_width - section.left_margin - section.right_margin
    table = header.add_table(rows=1, cols=2, width=width)
    _borderless(table)
    left, right = table.rows[0].cells
    _set_widths(table, (width / 36000 - 24, 24))
    p = left.paragraphs[0]
    _run(p, "{{ project.name }} · " + title, size=9)
    if mark:
        _run(p, "  " + mark, bold=True, size=16, font=SANS, color=RED)
    p2 = left.add_paragraph()
    _run(p2, "文件编号：{{ doc_id }}", size=9)
    p3 = left.add_paragraph()
    _run(p3, "本页二维码用于扫描归档，请勿涂改、遮挡。", size=7.5)
    qp = right.paragraphs[0]
    qp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _run(qp, "{{ qr }}")
    for para in (p, p2, p3, qp):  # single spacing: proportional spacing would stretch the QR's line
        para.paragraph_format.line_spacing = 1.0
    # drop the empty paragraph python-docx leaves before the table
    first = header.paragraphs[0]
    if not first.text:
        first._element.getparent().remove(first._element)
        header._element.append(OxmlElement("w:p"))
    footer = section.footer
    fp = footer.paragraphs[0]
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(fp, "第 ", size=9)
    _field(fp, "PAGE")
    _run(fp, " 页 共 ", size=9)
    _field(fp, "NUMPAGES")
    _run(fp, " 页", size=9)


def _title(doc: Any, text: str, size: float = 18, sub: str | None = None) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(6)
    p.paragraph_format.keep_with_next = True  # a title never ends a page (the notice's receipt title)
    _run(p, text, bold=True, size=size, font=SANS)
    if sub:
        s = doc.add_paragraph()
        s.alignment = WD_ALIGN_PARAGRAPH.CENTER
        s.paragraph_format.space_after = Pt(10)
        _run(s, sub, size=10.5)


def _heading(doc: Any, text: str) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(6)
    p.paragraph_format.space_after = Pt(2)
    p.paragraph_format.keep_with_next = True
    _run(p, text, bold=True, size=13, font=SANS)


def _para(doc: Any, *parts: str | tuple[str, str], indent: bool = True, align: Any = None, size: float | None = None) -> Any:
    """A paragraph; a part given as ("b", text) is bold, ("u", text) underlined, ("r", text) red and bold."""
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(24)
    if align is not None:
        p.alignment = align
    for part in parts:
        if isinstance(part, tuple):
            style, text = part
            _run(p, text, bold="b" in style or "r" in style, underline="u" in style, size=size,
                 color=RED if "r" in style else None)
        else:
            _run(p, part, size=size)
    return p


def _cell(cell: Any, text: str, *, bold: bool = False, align: Any = WD_ALIGN_PARAGRAPH.LEFT, size: float = 10.5, font: str = SERIF) -> None:
    p = cell.paragraphs[0]
    p.alignment = align
    p.paragraph_format.first_line_indent = Pt(0)
    p.paragraph_format.line_spacing = 1.1
    _run(p, text, bold=bold, size=size, font=font)


def _grid(doc: Any, headers: Sequence[str], row: Sequence[str] | None, loop: str | None = None,
          widths: Sequence[float] | None = None, extra: Sequence[Sequence[str]] = (), size: float = 10.5,
          center: Sequence[int] = (), right: Sequence[int] = (), row_height: float | None = None) -> Any:
    """A bordered table: a bold header row, an optional looped data row ({%tr for %}), then fixed rows."""
    n_rows = 1 + (3 if loop else 0) + len(extra)
    table = doc.add_table(rows=n_rows, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, h in enumerate(headers):
        _cell(table.rows[0].cells[i], h, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=size, font=SANS)
    r = 1
    if loop and row is not None:
        _cell(table.rows[r].cells[0], "{%tr " + loop + " %}", size=size)
        for i, text in enumerate(row):
            align = WD_ALIGN_PARAGRAPH.CENTER if i in center else WD_ALIGN_PARAGRAPH.RIGHT if i in right else WD_ALIGN_PARAGRAPH.LEFT
            _cell(table.rows[r + 1].cells[i], text, size=size, align=align)
        if row_height:
            table.rows[r + 1].height = Mm(row_height)
        _cell(table.rows[r + 2].cells[0], "{%tr endfor %}", size=size)
        r += 3
    for fixed in extra:
        for i, text in enumerate(fixed):
            if text:
                align = WD_ALIGN_PARAGRAPH.RIGHT if i in right else WD_ALIGN_PARAGRAPH.LEFT
                _cell(table.rows[r].cells[i], text, size=size, align=align)
        r += 1
    # repeat the header row on every page; never split a row across pages
    for i, tr in enumerate(table.rows):
        tr_pr = tr._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if i == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
    if widths:
        _set_widths(table, widths)
    return table


def _kv_table(doc: Any, pairs: Sequence[tuple[str, str, str, str]], widths: Sequence[float] = (30, 52, 30, 51)) -> Any:
    """A bordered form table of label/value pairs, two pairs per row."""
    table = doc.add_table(rows=len(pairs), cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, (k1, v1, k2, v2) in enumerate(pairs):
        cells = table.rows[r].cells
        _cell(cells[0], k1, bold=True, font=SANS, align=WD_ALIGN_PARAGRAPH.CENTER)
        _cell(cells[1], v1)
        _cell(cells[2], k2, bold=True, font=SANS, align=WD_ALIGN_PARAGRAPH.CENTER)
        _cell(cells[3], v2)
        if r < len(pairs) - 1:  # keep the form on one page
            for cell in cells:
                cell.paragraphs[0].paragraph_format.keep_with_next = True
    _set_widths(table, widths)
    return table


def _spacer(doc: Any, pt: float = 4) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.space_after = Pt(pt)


# -- 交房通知书 --------------------------------------------------------------
def build_handover_notice(path: Path) -> None:
    """交房通知书: one per unit, with a tear-off receipt the owner signs (scanned back by its QR).

    Addressed to the owner: no batch name or id, no status word, no software name.
    """
    doc = _new_document(line_spacing=1.12)
    _header_footer(doc, "交房通知书")
    _title(doc, "交 房 通 知 书")
    _para(doc, ("b", "尊敬的 {{ owner_names }} 业主："), indent=False)
    _para(
        doc,
        "您购买的{{ project.name }}{{ unit.label }}（《商品房买卖合同》编号：{{ dossier.contract_no }}）"
        "已具备交付使用条件。现通知您于{{ batch.window_start|cn_date }}至{{ batch.window_end|cn_date }}"
        "（每日{{ batch.hours }}）到{{ batch.venue }}办理交房手续。",
    )
    _para(doc, "为您预约的办理时段：", ("b", "{{ appointment }}"), "。如需改期，请在办理日前致电客户服务中心 {{ project.service_phone }}。")
    _para(doc, "{{ area_note }}")
    _heading(doc, "一、请携带以下资料")
    for line in (
        "1. 本通知书、签收回执及《面积补差单》；",
        "2. 全部产权人（含共有人）身份证原件；委托他人办理的，另带经公证的委托书及受托人身份证原件；",
        "3. 《商品房买卖合同》及购房款、契税、维修基金等已缴款项的收据或发票；",
        "4. 按揭购房的，带银行放款证明（如有）；",
        "5. 面积补差款、前期物业服务费等费用（可现场刷卡）。",
    ):
        _para(doc, line, indent=True)
    _heading(doc, "二、办理流程")
    _para(doc, "签到 → 房产合同组（核验资料）→ 房产收款组（面积补差、代收费用）→ 物业资料及收费组（签订前期物业服务协议、临时管理规约）→ 验房交房组（陪同验房、领取钥匙及《住宅质量保证书》《住宅使用说明书》）。")
    _heading(doc, "三、温馨提示")
    _para(doc, "验房时发现的问题将记入《室内验收记录》并限期整改，不影响您按时收房。逾期未办理交房手续的，按《商品房买卖合同》约定视为已交付。")
    _para(doc, "{{ developer.name }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "{{ issued_on|cn_date }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    cut = _para(doc, "- - - - - - - - - - - - - - - - - - 沿此线剪下 - - - - - - - - - - - - - - - - - -", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, size=9)
    cut.paragraph_format.keep_with_next = True
    _title(doc, "交房通知书签收回执", size=14)
    receipt = _kv_table(
        doc,
        [
            ("房号", "{{ unit.label }}", "合同编号", "{{ dossier.contract_no }}"),
            ("业主", "{{ owner_names }}", "联系电话", "{{ owner_phone }}"),
            ("通知书编号", "{{ doc_id }}", "交房日期", "{{ batch.window_start|cn_date }}起"),
            ("业主签字", "", "签收日期", "      年    月    日"),
        ],
    )
    receipt.rows[-1].height = Mm(10)
    doc.save(str(path))


# -- 交房方案 ----------------------------------------------------------------
def build_handover_plan(path: Path) -> None:
    """交房方案 for a batch: every section of the department's plan, with the schedule and unit table."""
    doc = _new_document()
    _header_footer(doc, "交房方案")
    _title(doc, "{{ project.name }}{{ phase.name }}交房方案", sub="{{ batch.name }}（批次 {{ batch.id }}）　编制：客户服务部　{{ issued_on|cn_date }}")

    _heading(doc, "一、项目概况")
    _kv_table(
        doc,
        [
            ("项目名称", "{{ project.name }}", "项目地址", "{{ project.address }}"),
            ("开发单位", "{{ developer.name }}", "分期", "{{ phase.name }}"),
            ("交付楼栋", "{{ batch.buildings }}", "交付户数", "{{ overview.unit_count }} 户"),
            ("合同建筑面积", "{{ overview.total_area }} ㎡", "预售许可证", "{{ phase.permits }}"),
            ("合同约定交付日", "{{ phase.contract_delivery_date }}", "实际交付开始日", "{{ batch.window_start|cn_date }}"),
            ("交付进度", "{{ overview.delay }}", "客服热线", "{{ project.service_phone }}"),
        ],
    )
    _heading(doc, "二、交付条件")
    _grid(
        doc,
        ["序号", "交付条件", "落实情况"],
        ["{{ c.n }}", "{{ c.item }}", "{{ c.state }}"],
        loop="for c in conditions",
        widths=(14, 74, 75),
        center=(0,),
    )
    _para(doc, "注：标明“通知前必备”的条件未落实时，不发出交房通知书。", indent=False, size=9)
    _heading(doc, "三、交付时间与地点")
    _kv_table(
        doc,
        [
            ("集中交付时间", "{{ batch.window_start|cn_date }}至{{ batch.window_end|cn_date }}", "每日办理时间", "{{ batch.hours }}"),
            ("备用交付时间", "{{ batch.fallback }}", "预演日期", "{{ batch.rehearsal }}"),
            ("交付地点", "{{ batch.venue }}", "备用场地", "{{ batch.backup_venue }}"),
        ],
    )
    _heading(doc, "四、组织机构与办理窗口")
    _para(doc, "总指挥：", ("b", "{{ batch.commander }}"), "；现场督导：", ("b", "{{ batch.supervisor }}"), "。业主按以下顺序依次办理，各组组长对本组办理质量负责。")
    _grid(
        doc,
        ["顺序", "办理窗口", "工作人员", "主要职责"],
        ["{{ k.seq }}", "{{ k.name }}", "{{ k.staff }}", "{{ k.duty }}"],
        loop="for k in counters",
        widths=(14, 36, 45, 68),
        center=(0,),
    )
    _heading(doc, "五、准备工作计划（T 为集中交付首日 {{ batch.window_start|cn_date }}）")
    _grid(
        doc,
        ["序号", "节点", "板块", "工作细项", "工作内容", "完成时间", "责任部门", "责任人", "进度检查"],
        ["{{ s.n }}", "{{ s.milestone }}", "{{ s.area }}", "{{ s.item }}", "{{ s.content }}", "{{ s.due|cn_date }}", "{{ s.department }}", "{{ s.owner }}", ""],
        loop="for s in schedule",
        widths=(9, 12, 15, 22, 40, 22, 17, 14, 12),
        size=9,
        center=(0, 1),
    )
    _heading(doc, "六、业主通知")
    _para(doc, "交房通知书于集中交付日 {{ notice.lead_days }} 日前（不迟于{{ notice.deadline|cn_date }}）以快递（EMS）寄出，同时电话告知并发送短信；电话未接通的，次日再拨并记录。每户通知的日期、方式记入业主档案。通知书随附《面积补差单》；面积误差比绝对值超出3%的，须在送达前向业主说明其退房权利。通知书签收回执扫描后按二维码自动归档。")
    _heading(doc, "七、物资与资料准备")
    _grid(
        doc,
        ["序号", "物资、资料", "说明"],
        ["{{ m.n }}", "{{ m.item }}", "{{ m.note }}"],
        loop="for m in materials",
        widths=(14, 60, 89),
        center=(0,),
    )
    _heading(doc, "八、现场布置")
    _para(doc, "按业主动线设置：等候休息区 → 手续办理区（四个窗口依次排列）→ 咨询区 → 钥匙领取区 → 工程问题整改区。公示区张贴预售许可证、竣工验收备案表、面积实测报告、收费标准及交房流程图；场地设置引导标识、饮水、座椅及医药箱。")
    _heading(doc, "九、应急预案与风险控制")
    _grid(
        doc,
        ["序号", "风险", "预防与处置措施", "责任人"],
        ["{{ r.n }}", "{{ r.risk }}", "{{ r.measure }}", "{{ r.owner }}"],
        loop="for r in risks",
        widths=(14, 34, 90, 25),
        center=(0,),
    )
    _heading(doc, "十、交付房屋清单（共 {{ overview.unit_count }} 户；{{ overview.status_summary }}）")
    _grid(
        doc,
        ["序号", "房号", "业主（含共有人）", "联系电话", "合同编号", "付款状态", "预约时段", "状态"],
        ["{{ u.n }}", "{{ u.label }}", "{{ u.owners }}", "{{ u.phones }}", "{{ u.contract_no }}", "{{ u.payment }}", "{{ u.appointment }}", "{{ u.status }}"],
        loop="for u in units",
        widths=(8, 26, 18, 24, 33, 16, 22, 16),
        size=9,
        center=(0,),
    )
    _para(doc, "注：{{ phone_note }}付款未结清（含按揭未放款）的房屋须先结清方可办理交付。", indent=False, size=9)
    _spacer(doc, 6)
    _kv_table(
        doc,
        [
            ("编制", "客户服务部", "日期", "{{ issued_on|cn_date }}"),
            ("审核", "", "批准", ""),
        ],
    )
    doc.save(str(path))


# -- 质量问题赔偿协议 ---------------------------------------------------------
def build_compensation_agreement(path: Path) -> None:
    """质量问题赔偿协议 for a repair ticket: parties in full, recitals, clauses 1-9 and signature blocks."""
    doc = _new_document()
    _header_footer(doc, "质量问题赔偿协议")
    _title(doc, "质量问题赔偿协议", sub="协议编号：{{ doc_id }}　　报修单号：{{ ticket.id }}")
    _para(doc, ("b", "甲方（开发单位）："), "{{ developer.name }}", indent=False)
    _para(doc, "统一社会信用代码：{{ developer.credit_code }}　　法定代表人：{{ developer.legal_rep }}", indent=False)
    _para(doc, "住所：{{ developer.address }}　　联系电话：{{ developer.phone }}", indent=False)
    _spacer(doc, 3)
    _para(doc, ("b", "乙方（业主）："), "{{ owner_names }}（共有人一并列明如下）", indent=False)
    _grid(
        doc,
        ["姓名", "身份", "身份证号码", "联系电话", "住址"],
        ["{{ o.name }}", "{{ o.role }}", "{{ o.id_number }}", "{{ o.phone }}", "{{ o.address }}"],
        loop="for o in owners",
        widths=(20, 18, 43, 28, 54),
        size=10,
    )
    _spacer(doc, 3)
    _para(
        doc,
        "乙方购买甲方开发的{{ project.name }}{{ unit.label }}（建筑面积 {{ dossier.area }} ㎡，"
        "《商品房买卖合同》编号 {{ dossier.contract_no }}，网签备案号 {{ dossier.filing_no }}），"
        "该房屋于{{ dossier.delivered_on|cn_date }}交付。根据《商品房销售管理办法》第三十三条及《住宅质量保证书》，"
        "双方就该房屋出现的质量问题，经平等协商，达成如下协议：",
    )
    _heading(doc, "第一条　质量问题")
    _para(doc, "乙方于{{ ticket.reported_on|cn_date }}报修：{{ ticket.component }}（{{ ticket.location }}）{{ ticket.description }}。经双方于{{ ticket.confirmed_on|cn_date }}现场确认，并拍照留存。")
    _heading(doc, "第二条　原因与责任")
    _para(doc, "经查，问题原因为：{{ ticket.cause }}。责任归属：{{ ticket.responsibility }}。该问题属于保修范围内的质量问题，非因不可抗力或乙方使用不当造成。")
    _heading(doc, "第三条　维修范围与期限")
    _para(doc, "甲方（或其委托的维修单位 {{ ticket.contractor }}）自本协议签订之日起 {{ terms.start_days }} 个工作日内开始维修，{{ terms.finish_days }} 日内完成。维修范围以双方确认的问题部位及因此受损的部分为限。维修完成后由乙方验收并签字确认。")
    _heading(doc, "第四条　赔偿金额")
    _para(doc, "甲方一次性向乙方支付赔偿款 ", ("b", "{{ compensation.amount|大写 }}"), "（小写：", ("b", "¥{{ compensation.amount|money }}"), "）。")
    _heading(doc, "第五条　支付方式")
    _para(doc, "甲方于本协议生效且维修验收合格后 {{ terms.payment_days }} 个工作日内，将上述款项转入乙方指定账户：户名________________，开户行________________________，账号________________________________。")
    _heading(doc, "第六条　一次性了结及其范围")
    _para(doc, "乙方确认，本协议约定的赔偿为就本次质量问题（报修单号 {{ ticket.id }}）所受损失的一次性了结，乙方不再就本次问题另行主张赔偿。本条不免除甲方依法律法规及《住宅质量保证书》对该房屋承担的保修责任，亦不影响乙方就本次问题以外的其他质量问题主张权利。")
    _heading(doc, "第七条　保密")
    _para(doc, "双方对本协议内容负有保密义务，但依法需要披露的除外。")
    _heading(doc, "第八条　违约与争议")
    _para(doc, "任何一方违反本协议，应承担相应违约责任。因本协议发生争议，双方协商解决；协商不成的，向房屋所在地人民法院提起诉讼。")
    _heading(doc, "第九条　其他")
    _para(doc, "本协议一式两份，甲乙双方各执一份，具有同等法律效力，自双方签字（盖章）之日起生效。")
    _spacer(doc, 8)
    table = doc.add_table(rows=4, cols=2)
    _borderless(table)
    rows = [
        ("甲方（盖章）：{{ developer.name }}", "乙方（签字）："),
        ("法定代表人或授权代表（签字）：", "{%p for o in owners %}"),
        ("", ""),
        ("日期：      年    月    日", "日期：      年    月    日"),
    ]
    for r, (a, b) in enumerate(rows):
        _cell(table.rows[r].cells[0], a, size=12)
        if b:
            _cell(table.rows[r].cells[1], b, size=12)
    # signature lines, one per owner and co-owner
    cell = table.rows[1].cells[1]
    p = cell.add_paragraph()
    _run(p, "{{ o.role }} {{ o.name }}：________________")
    p = cell.add_paragraph()
    _run(p, "{%p endfor %}")
    doc.save(str(path))


# -- 第三方维修费用支付会签表 -------------------------------------------------
def build_settlement_sheet(path: Path) -> None:
    """第三方维修费用支付会签表: header, items, totals, deductions, payee, every recorded signature in chain order.

    Until the chain is complete the sheet is a draft: 草稿 in red in the header of every page and a line under the title.
    """
    doc = _new_document()
    _header_footer(doc, "第三方维修费用支付会签表", mark="{{ draft_mark }}")
    _title(doc, "第三方维修费用支付会签表{{ draft_title }}", sub="会签表编号：{{ sheet.id }}　　填表日期：{{ sheet.created_on|cn_date }}")
    _para(doc, "{%p if draft %}", indent=False)
    _para(doc, ("r", "{{ draft_note }}"), indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "{%p endif %}", indent=False)
    _kv_table(
        doc,
        [
            ("项目、分期", "{{ project.name }} {{ sheet.phase }}", "业主及房号", "{{ owner_names }} {{ unit.label }}"),
            ("报修单号", "{{ sheet.repair_ids }}", "维修单位", "{{ sheet.contractor }}"),
            ("合同编号", "{{ sheet.contract_no }}", "经办人", "{{ sheet.handled_by }}"),
        ],
    )
    _spacer(doc, 3)
    _grid(
        doc,
        ["序号", "维修项目", "单位", "申报数量", "核定数量", "合同单价（元）", "申报金额（元）", "审定金额（元）"],
        ["{{ i.n }}", "{{ i.item }}", "{{ i.unit }}", "{{ i.declared_qty|qty }}", "{{ i.approved_qty|qty }}", "{{ i.unit_price|money }}", "{{ i.declared_amount|money }}", "{{ i.approved_amount|money }}"],
        loop="for i in items",
        widths=(9, 39, 11, 16, 16, 24, 24, 24),
        extra=[("", "合计", "", "", "", "", "{{ totals.declared|money }}", "{{ totals.approved|money }}")],
        size=9.5,
        center=(0, 2),
        right=(3, 4, 5, 6, 7),
    )
    _spacer(doc, 3)
    _kv_table(
        doc,
        [
            ("结算总价（大写）", "{{ totals.approved|大写 }}", "结算总价（小写）", "¥{{ totals.approved|money }}"),
            ("扣款明细", "{{ totals.deduction_lines }}", "扣款合计", "¥{{ totals.deductions|money }}"),
            ("已付累计", "¥{{ totals.paid_before|money }}", "扣回原施工单位", "{{ totals.chargeback_text }}"),
            ("本次付款（大写）", "{{ totals.payable|大写 }}", "本次付款（小写）", "¥{{ totals.payable|money }}"),
            ("收款单位", "{{ payee.name }}", "开户银行", "{{ payee.bank }}"),
            ("银行账号", "{{ payee.account }}", "审批层级", "{{ chain_rule }}"),
        ],
        widths=(35, 47, 35, 46),
    )
    _para(doc, "本次付款 = 结算总价 − 扣款（预留质保金、甲供料、其他扣款）− 已付累计。", indent=False, size=9)
    _spacer(doc, 3)
    _grid(
        doc,
        ["附件", "份数", "是否齐全"],
        ["{{ a.name }}", "{{ a.copies }}", "{{ a.present }}"],
        loop="for a in attachments",
        widths=(100, 25, 38),
    )
    _spacer(doc, 3)
    _grid(
        doc,
        ["顺序", "签批岗位", "审核要点", "意见", "签字", "日期"],
        ["{{ s.n }}", "{{ s.role }}", "{{ s.duty }}", "{{ s.decision }}", "{{ s.name }}", "{{ s.date }}"],
        loop="for s in chain",
        widths=(11, 36, 40, 26, 18, 32),
        center=(0,),
        row_height=10,
        size=10,
    )
    doc.save(str(path))


# -- 面积补差单 ---------------------------------------------------------------
def build_area_adjustment(path: Path) -> None:
    """面积补差单: one per unit, sent with its handover notice; the owner signs it at the handover."""
    doc = _new_document(line_spacing=1.2)
    _header_footer(doc, "面积补差单")
    _title(doc, "面 积 补 差 单", sub="{{ project.name }}　{{ unit.label }}")
    _kv_table(
        doc,
        [
            ("房号", "{{ unit.label }}", "业主", "{{ owner_names }}"),
            ("合同编号", "{{ dossier.contract_no }}", "网签备案号", "{{ dossier.filing_no }}"),
            ("合同约定面积", "{{ adjustment.contract_area }} ㎡", "实测面积", "{{ adjustment.measured_area }} ㎡（面积实测报告）"),
            ("面积差", "{{ adjustment.difference }} ㎡", "面积误差比", "{{ adjustment.ratio }}"),
            ("合同单价", "{{ adjustment.price }}", "结算依据", "{{ adjustment.basis }}"),
        ],
        widths=(28, 56, 26, 53),
    )
    _spacer(doc, 3)
    _grid(
        doc,
        ["序号", "计算项目", "面积（㎡）", "单价（元/㎡）", "倍数", "金额（元）"],
        ["{{ l.n }}", "{{ l.item }}", "{{ l.area }}", "{{ l.price }}", "{{ l.multiple }}", "{{ l.amount }}"],
        loop="for l in lines",
        widths=(11, 62, 21, 29, 12, 28),
        center=(0, 4),
        right=(2, 3, 5),
    )
    _spacer(doc, 3)
    _para(doc, "结算结果：{{ adjustment.total_label }} ", ("b", "{{ adjustment.amount|大写 }}"), "（小写：", ("b", "¥{{ adjustment.amount|money }}"), "）。", indent=False)
    _para(doc, "计算说明：面积误差比 =（实测面积 − 合同约定面积）÷ 合同约定面积 × 100%；{{ rule_text }}各分项金额按精确值四舍五入至分列示，合计按未经舍入的精确值计算后四舍五入至分，二者可能相差一分。", indent=False, size=9)
    _para(doc, "{%p if adjustment.beyond %}", indent=False)
    _heading(doc, "业主的选择（面积误差比绝对值超出{{ adjustment.band }}%）")
    _para(doc, "根据{{ adjustment.basis }}，面积误差比绝对值超出{{ adjustment.band }}%时，买受人有权退房。买受人退房的，开发企业应当在买受人提出退房之日起30日内将买受人已付房价款退还买受人，同时支付已付房价款利息；买受人不退房的，按上表结算。请在下列选项中勾选并签字：")
    _para(doc, "☐ 退房　　　　☐ 不退房，按上表结算", indent=True)
    _para(doc, "{%p endif %}", indent=False)
    _spacer(doc, 8)
    table = doc.add_table(rows=3, cols=2)
    _borderless(table)
    for r, (a, b) in enumerate((
        ("买受人（签字）：", "开发企业（盖章）：{{ developer.name }}"),
        ("", "经办人（签字）："),
        ("日期：      年    月    日", "日期：      年    月    日"),
    )):
        _cell(table.rows[r].cells[0], a, size=12)
        _cell(table.rows[r].cells[1], b, size=12)
    _set_widths(table, (63, 100))
    doc.save(str(path))


BUILDERS = {
    "handover_plan": build_handover_plan,
    "handover_notice": build_handover_notice,
    "compensation_agreement": build_compensation_agreement,
    "settlement_sheet": build_settlement_sheet,
    "area_adjustment": build_area_adjustment,
}


def build_all(folder: Path) -> list[Path]:
    """Write every template into ``folder``; return the paths."""
    from docgen.generate.cert_templates import BUILDERS as CERT_BUILDERS

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for kind, build in {**BUILDERS, **CERT_BUILDERS}.items():
        path = folder / f"{kind}.docx"
        build(path)
        out.append(path)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("templates")
    for written in build_all(target):
        print(written)
