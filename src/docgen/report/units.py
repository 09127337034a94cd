"""The 楼盘表 (unit attributes per room): read the sales department's spreadsheet, check it, keep it, write it back.

Why: the figures count repairs, complaints and satisfaction per 户型 and per
100 units, and a room that is not in the sales table does not exist; both need
the table the sales department already keeps in Excel.  ``projects/<P>/units.json``
(:class:`~docgen.models.UnitTable`) holds it; once a project has one, saving a
dossier for a room outside it is refused (:mod:`docgen.validation.rooms`).

An import is all or nothing: every problem in the sheet is collected and
named by row and column (``第 7 行 D 列「建筑面积」:「八十九」不是数字``) and
nothing is written unless there is none.  Problems found:

- a room that cannot be read, or that is not a room of the project (its
  building is not in a phase, or the building's structure has no such floor
  or room);
- a room listed twice;
- a number that is not one (areas, floor, price), an area that is not
  positive, a 套内面积 above the 建筑面积, a 楼层 that disagrees with the room
  number, a 装修标准 outside 毛坯 / 简装 / 精装, a missing 户型;
- control characters in text; a dossier of the project whose room is missing
  from the new table (it would no longer exist).

The columns are found by their Chinese headers (in any order, extra columns
ignored, so a sales sheet with buyers' names is read without keeping them):
房号 (either ``3栋2单元1203`` / ``03-2-1203`` whole, or the room with 楼栋 and
单元 columns), 户型 (or 户型编号; ``A1 三室两厅两卫`` splits into code and name),
户型名称, 建筑面积, 套内面积, 楼层, 朝向, 装修标准, 成交单价, 总价区间 (or 总价, from
which the band is computed).  ``.xlsx`` and ``.csv`` (UTF-8, with or without
BOM) are read; the export writes the same columns, so it imports back as is.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docgen.errors import DocgenError, NotFoundError, UsageError, ValidationFailed
from docgen.models import FINISHES, Project, UnitRecord, UnitTable
from docgen.units import parse_unit, unit_label

if TYPE_CHECKING:
    from docgen.archive import Archive

MAX_ROWS = 200_000
SHOWN_PROBLEMS = 60

# field -> the headers that name it (after folding: spaces, brackets and units removed)
HEADERS: dict[str, tuple[str, ...]] = {
    "unit": ("房号", "房间号", "房屋编号", "房源编号", "室号", "房间"),
    "building": ("楼栋", "楼号", "栋号", "幢号", "楼栋号", "栋"),
    "entrance": ("单元", "单元号"),
    "layout": ("户型编号", "户型代码", "户型"),
    "layout_name": ("户型名称", "户型结构", "房型"),
    "area_building": ("建筑面积", "预测建筑面积", "实测建筑面积", "预售建筑面积"),
    "area_inner": ("套内面积", "套内建筑面积", "预测套内面积", "实测套内面积"),
    "floor": ("楼层", "所在楼层", "名义楼层"),
    "orientation": ("朝向",),
    "finish": ("装修标准", "装修", "交付标准"),
    "unit_price": ("成交单价", "单价", "备案单价", "成交均价"),
    "price_total": ("成交总价", "总价", "合同总价"),
    "price_band": ("总价区间", "总价段", "价格区间"),
}
LABELS: dict[str, str] = {
    "unit": "房号", "building": "楼栋", "entrance": "单元", "layout": "户型编号", "layout_name": "户型名称",
    "area_building": "建筑面积", "area_inner": "套内面积", "floor": "楼层", "orientation": "朝向",
    "finish": "装修标准", "unit_price": "成交单价", "price_total": "成交总价", "price_band": "总价区间",
}
EXPORT_COLUMNS: tuple[str, ...] = ("房号", "楼栋", "单元", "户型编号", "户型名称", "建筑面积", "套内面积", "楼层",
                                   "朝向", "装修标准", "成交单价", "总价区间")
_FINISH_WORDS = {"毛坯": "毛坯", "毛坯房": "毛坯", "清水": "毛坯", "清水房": "毛坯", "简装": "简装", "简装修": "简装",
                 "精装": "精装", "精装修": "精装", "全装修": "精装", "豪装": "精装"}
_UNIT_SUFFIX = re.compile(r"(㎡|m²|m2|平方米|平米|元/㎡|元/m²|元/m2|元/平方米|元|万元|万)$", re.IGNORECASE)
_BRACKETS = re.compile(r"[((\[【].*?[))\]】]")
_BUILDING_SUFFIX = re.compile(r"(栋|号楼|幢|座|#楼|#|号)$")


class UnitTableRejected(ValidationFailed):
    """The spreadsheet has problems: ``problems`` names each by row and column; nothing was imported."""


@dataclass
class UnitImport:
    """What an import did (or, with ``dry_run``, would do)."""

    project: str
    source: str
    rows: int
    layouts: dict[str, int]
    previous: int | None
    added: int
    removed: int
    dry_run: bool = False
    columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"project": self.project, "source": self.source, "rows": self.rows, "layouts": self.layouts,
                "previous": self.previous, "added": self.added, "removed": self.removed, "dry_run": self.dry_run,
                "columns": self.columns, "ignored_columns": self.ignored_columns}


def _fold_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    text = _BRACKETS.sub("", text)
    return re.sub(r"\s+", "", text)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# -- reading the sheet ---------------------------------------------------------------------
def read_rows(path: Path, sheet: str | None = None) -> Iterator[tuple[int, list[Any]]]:
    """Yield (row number from 1, cell values) of a spreadsheet (.xlsx) or a CSV file."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise NotFoundError(f"文件 {path} 不存在")
    if suffix == ".csv":
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                for n, row in enumerate(csv.reader(fh), start=1):
                    yield n, list(row)
        except UnicodeDecodeError as exc:
            raise UsageError(f"{path.name} 不是 UTF-8 编码的 CSV;请在 Excel 中另存为「CSV UTF-8」或直接导入 .xlsx") from exc
        return
    if suffix not in (".xlsx", ".xlsm"):
        raise UsageError(f"无法读取 {path.name}:楼盘表应为 .xlsx 或 .csv 文件(旧版 .xls 请先在 Excel 中另存为 .xlsx)")
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise UsageError(f"无法打开 {path.name}:不是有效的 Excel 文件({type(exc).__name__})") from exc
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise UsageError(f"{path.name} 中没有工作表「{sheet}」(有:{'、'.join(wb.sheetnames)})")
            ws = wb[sheet]
        else:
            ws = wb.worksheets[0]
        for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield n, list(values)
    finally:
        wb.close()


def _find_header(rows: Iterator[tuple[int, list[Any]]]) -> tuple[int, dict[str, int], list[str], list[str]]:
    """The header row: its number, field -> column index, the headers read and those ignored."""
    seen: list[str] = []
    for n, values in rows:
        folded = [_fold_header(v) for v in values]
        mapping: dict[str, int] = {}
        for i, name in enumerate(folded):
            for key, names in HEADERS.items():
                if name in names and key not in mapping:
                    mapping[key] = i
                    break
        if "unit" in mapping and ("layout" in mapping or "area_building" in mapping):
            used = set(mapping.values())
            ignored = [str(values[i]).strip() for i in range(len(values)) if i not in used and folded[i]]
            return n, mapping, [str(values[i]).strip() for i in sorted(used)], ignored
        if any(folded):
            seen.append("、".join(f for f in folded if f)[:60])
        if n >= 20:
            break
    hint = f"(前几行为:{';'.join(seen[:3])})" if seen else "(表是空的)"
    raise UnitTableRejected([
        f"没有找到表头:第一行(或前 20 行中的一行)应有「房号」和「户型」「建筑面积」等列{hint}"
    ])


@dataclass(slots=True)
class _Cell:
    row: int
    col: int
    header: str

    def where(self) -> str:
        return f"第 {self.row} 行 {_column_letter(self.col)} 列「{self.header}」"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _number(value: Any, cell: _Cell, problems: list[str], *, places: int = 3, what: str = "数字") -> Decimal | None:
    """A number from a cell: Excel numbers, or text like ``89.50㎡`` / ``18,500``; a problem named otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append(f"{cell.where()}:「{value}」不是{what}")
        return None
    if isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        quantum = Decimal(1).scaleb(-places)
        rounded = number.quantize(quantum)
        if abs(number - rounded) > Decimal("0.000001"):  # float noise from a formula is fine, real digits are not
            problems.append(f"{cell.where()}:{value} 的小数位过多(最多 {places} 位)")
            return None
        return _plain(rounded)
    text = _text(value).replace(",", "").replace(",", "").replace(" ", "")
    text = _UNIT_SUFFIX.sub("", text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        problems.append(f"{cell.where()}:「{_text(value)[:20]}」不是{what}")
        return None
    if not number.is_finite():
        problems.append(f"{cell.where()}:「{_text(value)[:20]}」不是{what}")
        return None
    if number != number.quantize(Decimal(1).scaleb(-places)):
        problems.append(f"{cell.where()}:「{_text(value)}」的小数位过多(最多 {places} 位)")
        return None
    return _plain(number)


def _plain(number: Decimal) -> Decimal:
    """``89.120`` → ``89.12``, ``1.2E+3`` → ``1200``: the digits a person typed, without trailing zeros."""
    normal = number.normalize()
    return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal  # type: ignore[operator]


def _unit_code(values: list[Any], cols: dict[str, int], row: int, header: dict[str, str],
               problems: list[str]) -> str | None:
    raw = _text(_at(values, cols["unit"]))
    cell = _Cell(row, cols["unit"], header["unit"])
    if not raw:
        problems.append(f"{cell.where()}:房号为空")
        return None
    try:
        return parse_unit(raw).code
    except ValueError:
        pass
    building = _text(_at(values, cols["building"])) if "building" in cols else ""
    entrance = _text(_at(values, cols["entrance"])) if "entrance" in cols else ""
    room = re.sub(r"(室|号)$", "", raw)
    if building and entrance and room.isdigit():
        b = _BUILDING_SUFFIX.sub("", building.upper())
        e = entrance.removesuffix("单元")
        try:
            return parse_unit(f"{b}-{e}-{room.zfill(3)}").code
        except ValueError:
            problems.append(f"{cell.where()}:楼栋「{building}」单元「{entrance}」房号「{raw}」无法组成房号")
            return None
    need = "(或填写「楼栋」「单元」列,房号列只写 1203)" if not (building and entrance) else ""
    problems.append(f"{cell.where()}:「{raw[:30]}」无法识别为房号,应为 3栋2单元1203 或 03-2-1203{need}")
    return None


def _at(values: list[Any], index: int) -> Any:
    return values[index] if index < len(values) else None


def price_band(total: Decimal, step_wan: int = 50) -> str:
    """``2,680,000`` → ``250-300万``: the 总价区间 of a total price, in steps of ``step_wan`` 万元."""
    wan = int(total // 10000)
    low = wan // step_wan * step_wan
    return f"{low}-{low + step_wan}万"


def parse_sheet(rows: Iterator[tuple[int, list[Any]]], project: Project,
                text_problem: Any = None) -> tuple[list[UnitRecord], list[str], list[str], list[str]]:
    """Read and check every row; return (rows, problems, headers read, headers ignored).

    ``text_problem(value)`` (from the validation rules) says what is wrong with
    a text cell, if anything.
    """
    from docgen.validation.rooms import unit_problem

    header_row, cols, used, ignored = _find_header(rows)
    header = {key: LABELS[key] for key in cols}
    problems: list[str] = []
    out: list[UnitRecord] = []
    first_row: dict[str, int] = {}
    for n, values in rows:
        if not any(_text(v) for v in values):
            continue  # blank rows between blocks are common in sales sheets
        if len(out) >= MAX_ROWS:
            problems.append(f"表中超过 {MAX_ROWS} 行,请分项目导入")
            break
        before = len(problems)
        code = _unit_code(values, cols, n, header, problems)
        fields: dict[str, Any] = {}
        for key in ("area_building", "area_inner"):
            if key in cols:
                cell = _Cell(n, cols[key], header[key])
                value = _number(_at(values, cols[key]), cell, problems, what="面积数字")
                if value is not None and not Decimal(0) < value <= Decimal(100000):
                    problems.append(f"{cell.where()}:面积 {value} 不合理(应大于 0)")
                    value = None
                fields[key] = value
        if "floor" in cols:
            cell = _Cell(n, cols["floor"], header["floor"])
            raw_floor = _at(values, cols["floor"])
            if isinstance(raw_floor, str):
                raw_floor = raw_floor.strip().removesuffix("层").removesuffix("F").removesuffix("f")
            value = _number(raw_floor, cell, problems, places=0, what="整数楼层")
            fields["floor"] = int(value) if value is not None else None
        if "unit_price" in cols:
            cell = _Cell(n, cols["unit_price"], header["unit_price"])
            value = _number(_at(values, cols["unit_price"]), cell, problems, places=2, what="金额")
            if value is not None and value <= 0:
                problems.append(f"{cell.where()}:单价 {value} 应大于 0")
                value = None
            fields["unit_price"] = value
        band: str = _text(_at(values, cols["price_band"])) if "price_band" in cols else ""
        if not band and "price_total" in cols:
            cell = _Cell(n, cols["price_total"], header["price_total"])
            price = _number(_at(values, cols["price_total"]), cell, problems, places=2, what="金额")
            if price is not None:
                if price <= 0:
                    problems.append(f"{cell.where()}:总价 {price} 应大于 0")
                else:
                    raw_total = _text(_at(values, cols["price_total"]))
                    band = price_band(price * 10000 if raw_total.endswith("万") or price < 10000 else price)
        layout = _text(_at(values, cols["layout"])) if "layout" in cols else ""
        layout_name = _text(_at(values, cols["layout_name"])) if "layout_name" in cols else ""
        if layout and not layout_name and re.search(r"\s", layout):
            layout, layout_name = re.split(r"\s+", layout, maxsplit=1)
        if not layout:
            where = _Cell(n, cols["layout"], header["layout"]).where() if "layout" in cols else f"第 {n} 行"
            problems.append(f"{where}:户型为空" if "layout" in cols else f"{where}:表中没有「户型」列")
        finish = _text(_at(values, cols["finish"])) if "finish" in cols else ""
        if finish:
            normal = _FINISH_WORDS.get(finish.replace(" ", ""))
            if normal is None:
                cell = _Cell(n, cols["finish"], header["finish"])
                problems.append(f"{cell.where()}:「{finish[:20]}」应为 {'、'.join(FINISHES)} 之一")
            finish = normal or ""
        orientation = _text(_at(values, cols["orientation"])) if "orientation" in cols else ""
        texts = {"layout": layout, "layout_name": layout_name, "orientation": orientation, "price_band": band}
        if text_problem is not None:
            for key, typed in texts.items():
                problem = text_problem(typed) if typed else None
                if problem:
                    col = cols.get(key, cols.get("price_total", 0))
                    problems.append(f"{_Cell(n, col, header.get(key, LABELS[key])).where()}:{problem}")
        if code is not None:
            if code in first_row:
                problems.append(f"第 {n} 行:房号 {unit_label(code)} 与第 {first_row[code]} 行重复")
            else:
                first_row[code] = n
            problem = unit_problem(project, code, None)
            if problem:
                problems.append(f"{_Cell(n, cols['unit'], header['unit']).where()}:{unit_label(code)} 不是项目 "
                                f"{project.code} 的房号:{problem}")
            room_floor = int(parse_unit(code).room[:-2] or "0")
            if fields.get("floor") is not None and fields["floor"] != room_floor:
                cell = _Cell(n, cols["floor"], header["floor"])
                problems.append(f"{cell.where()}:楼层 {fields['floor']} 与房号 {unit_label(code)}(第 {room_floor} 层)不符")
            if fields.get("floor") is None:
                fields["floor"] = room_floor
        inner, building_area = fields.get("area_inner"), fields.get("area_building")
        if inner is not None and building_area is not None and inner > building_area:
            cell = _Cell(n, cols["area_inner"], header["area_inner"])
            problems.append(f"{cell.where()}:套内面积 {inner} 大于建筑面积 {building_area}")
        if len(problems) > before or code is None:
            continue
        out.append(UnitRecord(unit=code, layout=layout, layout_name=layout_name,
                              area_building=fields.get("area_building"), area_inner=fields.get("area_inner"),
                              floor=fields.get("floor"), orientation=orientation, finish=finish,
                              unit_price=fields.get("unit_price"), price_band=band))
    if not out and not problems:
        problems.append(f"表头(第 {header_row} 行)之下没有任何房间")
    return out, problems, used, ignored


def _shown(problems: Sequence[str]) -> list[str]:
    if len(problems) <= SHOWN_PROBLEMS:
        return list(problems)
    return [*problems[:SHOWN_PROBLEMS], f"……另有 {len(problems) - SHOWN_PROBLEMS} 处问题未列出(共 {len(problems)} 处)"]


def import_units(archive: Archive, project_code: str, path: Path, *, sheet: str | None = None,
                 dry_run: bool = False) -> UnitImport:
    """Check a 楼盘表 spreadsheet and, if it has no problem at all, make it the project's (one journaled change).

    Raises :class:`UnitTableRejected` listing every problem (nothing written).
    """
    from docgen.archive.records import dump_record
    from docgen.validation.checks import LINE, text_problem

    project = archive.project(project_code)
    ctx = archive.validation_context()
    units, problems, used, ignored = parse_sheet(read_rows(Path(path), sheet), project,
                                                 lambda value: text_problem(value, LINE, ctx))
    codes = {u.unit for u in units}
    if not problems:
        orphans = [key.split("/", 1)[1] for key in archive.dossier_keys(project.code)
                   if key.split("/", 1)[1] not in codes]
        if orphans:
            listed = "、".join(unit_label(u) for u in orphans[:20]) + ("……" if len(orphans) > 20 else "")
            problems.append(f"项目 {project.code} 已有档案的 {len(orphans)} 个房号不在表中:{listed};"
                            "楼盘表须包含所有已建档的房间(漏行,或房号写错?)")
    if problems:
        raise UnitTableRejected(_shown([f"{Path(path).name}:{p}" for p in problems]))
    units.sort(key=lambda u: u.unit)
    previous = archive.unit_table(project.code)
    old = {u.unit for u in previous.units} if previous is not None else set()
    result = UnitImport(project=project.code, source=Path(path).name, rows=len(units),
                        layouts=dict(sorted(Counter(u.layout for u in units).items())),
                        previous=len(previous.units) if previous is not None else None,
                        added=len(codes - old), removed=len(old - codes), dry_run=dry_run, columns=used,
                        ignored_columns=ignored)
    if dry_run:
        return result
    table = UnitTable(project=project.code, source=Path(path).name, imported_at=archive.now(),
                      imported_by=archive.actor, units=units)
    bad = table.data_problems()
    if bad:  # parse_sheet has caught these already; kept as the storage rule
        raise UnitTableRejected([p for _, p in bad])
    rel = archive.layout.units_rel(project.code)
    summary = f"导入楼盘表 {Path(path).name}(共 {len(units)} 个房间)"
    with archive.transaction("project.units", project.code, summary) as tx:
        tx.put_bytes(rel, dump_record(table))
        tx.detail.update({"rows": len(units), "added": result.added, "removed": result.removed,
                          "source": Path(path).name})
    return result


def export_rows(table: UnitTable) -> Iterator[list[Any]]:
    """The table as spreadsheet rows (header first), in the columns :func:`import_units` reads."""
    yield list(EXPORT_COLUMNS)
    for u in table.units:
        unit = parse_unit(u.unit)
        yield [unit.label, f"{unit.building.lstrip('0') or '0'}栋", f"{unit.entrance}单元", u.layout, u.layout_name,
               u.area_building, u.area_inner, u.floor, u.orientation, u.finish, u.unit_price, u.price_band]


def export_units(archive: Archive, project_code: str, out: Path) -> Path:
    """Write the project's 楼盘表 to ``out`` (.xlsx, or .csv), in the columns the import reads."""
    table = archive.unit_table(project_code)
    if table is None:
        raise NotFoundError(f"项目 {project_code} 还没有楼盘表(docgen project units import {project_code} 楼盘表.xlsx)")
    out = Path(out)
    try:
        if out.suffix.lower() == ".csv":
            with open(out, "w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                for row in export_rows(table):
                    writer.writerow(["" if v is None else v for v in row])
            return out
        if out.suffix.lower() != ".xlsx":
            raise UsageError(f"导出文件 {out.name} 应为 .xlsx 或 .csv")
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("楼盘表")
        ws.freeze_panes = "A2"
        for col, width in zip("ABCDEFGHIJKL", (16, 7, 7, 9, 16, 10, 10, 6, 10, 9, 11, 12), strict=True):
            ws.column_dimensions[col].width = width
        rows = export_rows(table)
        from openpyxl.cell import WriteOnlyCell

        header = []
        for name in next(rows):
            cell = WriteOnlyCell(ws, value=name)
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        for row in rows:  # numbers as Excel numbers (areas and prices have at most 3 decimals: exact in a double)
            ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
        info = wb.create_sheet("说明")
        info.append(["项目", table.project])
        info.append(["导入自", table.source])
        info.append(["导入时间", table.imported_at.isoformat() if table.imported_at else ""])
        info.append(["导入人", table.imported_by])
        info.append(["导出时间", dt.datetime.now().astimezone().replace(microsecond=0).isoformat()])
        info.append(["说明", "修改后可用 docgen project units import 重新导入(整表替换,有任何问题则不导入)"])
        wb.save(out)
    except OSError as exc:
        raise DocgenError(f"无法写入 {out}:{exc.strerror}") from exc
    return out


@dataclass
class UnitSummary:
    """A 楼盘表 in numbers: rooms, 户型 with their areas, finishes, rooms with a dossier."""

    project: str
    rooms: int
    source: str
    imported_at: dt.datetime | None
    imported_by: str
    layouts: list[dict[str, Any]]
    finishes: dict[str, int]
    with_dossier: int

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"project": self.project, "rooms": self.rooms, "source": self.source,
                "imported_at": self.imported_at.isoformat() if self.imported_at else None,
                "imported_by": self.imported_by, "layouts": self.layouts, "finishes": self.finishes,
                "with_dossier": self.with_dossier}


def summarize_units(archive: Archive, project_code: str) -> UnitSummary:
    """What a project's 楼盘表 holds (for ``docgen project units show``)."""
    table = archive.unit_table(project_code)
    if table is None:
        raise NotFoundError(f"项目 {project_code} 还没有楼盘表(docgen project units import {project_code} 楼盘表.xlsx)")
    groups: dict[str, list[UnitRecord]] = {}
    for u in table.units:
        groups.setdefault(u.layout, []).append(u)
    layouts = []
    for code, rows in sorted(groups.items()):
        areas = [r.area_building for r in rows if r.area_building is not None]
        layouts.append({"layout": code, "name": next((r.layout_name for r in rows if r.layout_name), ""),
                        "rooms": len(rows),
                        "area_min": str(min(areas)) if areas else None, "area_max": str(max(areas)) if areas else None})
    keys = {k.split("/", 1)[1] for k in archive.dossier_keys(table.project)}
    return UnitSummary(project=table.project, rooms=len(table.units), source=table.source,
                       imported_at=table.imported_at, imported_by=table.imported_by, layouts=layouts,
                       finishes=dict(Counter(u.finish or "未填" for u in table.units)),
                       with_dossier=sum(1 for u in table.units if u.unit in keys))
