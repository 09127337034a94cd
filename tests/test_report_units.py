"""The 楼盘表: importing the sales spreadsheet (all or nothing, problems by row and column), the table as the
authority on which rooms exist, export and re-import, the CLI, permissions."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from conftest import make_id
from docgen.archive import Archive
from docgen.audit.engine import Auditor
from docgen.audit.fixity import Verifier
from docgen.cli.main import cli
from docgen.config import load_config
from docgen.errors import NotFoundError, PermissionDenied, RecordError
from docgen.models import Dossier, Owner
from docgen.report.units import UnitTableRejected
from docgen.services.report import export_unit_table, import_unit_table, unit_table_summary
from docgen.session import Session, User, Workspace
from docgen.validation import RuleViolations

HEADER = ["房号", "户型", "户型名称", "建筑面积", "套内面积", "楼层", "朝向", "装修标准", "成交单价", "总价区间", "客户姓名"]


def _rows() -> list[list[Any]]:
    """Every room of the small archive's buildings 03 and 05 used by tests: floors 2-13, rooms 01-04, entrances 1-2."""
    rows = []
    for b in ("3", "5"):
        for e in (1, 2):
            for f in range(2, 14):
                for r in range(1, 5):
                    layout = {1: "A1", 2: "B1", 3: "B1", 4: "A1"}[r]
                    area = 125.36 if layout == "A1" else 89.12
                    rows.append([f"{b}栋{e}单元{f:02d}{r:02d}", layout, "三室两厅两卫" if layout == "A1" else "两室两厅一卫",
                                 area, round(area * 0.78, 2), f, "南北通透", "精装", 18500 + 40 * f, "150-200万", "张三"])
    return rows


def _xlsx(path: Path, rows: list[list[Any]], header: list[str] = HEADER, title_rows: int = 1) -> Path:
    wb = Workbook()
    ws = wb.active
    for _ in range(title_rows - 1):
        ws.append(["华轩首座 楼盘销控表(销售部 2026-05)"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _session(archive: Archive, tmp_path: Path, role: str = "operator", **kw: Any) -> Session:
    config = load_config(None, {("archive", "path"): str(archive.root)}, env={})
    config.search.index_path = tmp_path / "index"
    return Workspace(config, archive=archive).session(User("王芳", role, **kw))


def _journal_length(archive: Archive) -> int:
    last = archive.journal.last()
    return int(last["seq"]) if last else 0


def test_import_makes_the_table_the_authority_on_rooms(archive: Archive, tmp_path: Path) -> None:
    s = _session(archive, tmp_path)
    result = import_unit_table(s, "HXSZ", _xlsx(tmp_path / "楼盘表.xlsx", _rows()))
    assert result.rows == 192 and result.layouts == {"A1": 96, "B1": 96} and result.previous is None
    assert "客户姓名" in result.ignored_columns  # the buyers' names in a sales sheet are not kept
    table = archive.unit_table("HXSZ")
    assert table is not None and table.imported_by == "王芳" and table.source == "楼盘表.xlsx"
    row = next(u for u in table.units if u.unit == "03-2-1203")
    assert (row.layout, row.layout_name, str(row.area_building), str(row.area_inner), row.floor, row.finish,
            str(row.unit_price), row.price_band) == ("B1", "两室两厅一卫", "89.12", "69.51", 12, "精装", "18980.00",
                                                     "150-200万")
    assert "张三" not in (archive.root / "projects/HXSZ/units.json").read_text("utf-8")
    last = archive.journal.last()
    assert last is not None and last["action"] == "project.units" and last["actor"] == "王芳"
    assert [f["path"] for f in last["files"]] == ["projects/HXSZ/units.json"]
    assert [p for p in Verifier(archive).run() if p.severity == "error"] == []
    # a room the table does not have cannot get a dossier any more; one it has can
    owner = [Owner(name="赵六", id_number=make_id("19900101", 111))]
    with pytest.raises(RuleViolations, match="不在项目 HXSZ 的楼盘表中"):
        archive.new_dossier(Dossier(project="HXSZ", unit="05-1-1405", owners=owner))  # floor 14: not in the table
    archive.new_dossier(Dossier(project="HXSZ", unit="05-1-1304", owners=owner))


def test_an_import_with_errors_names_each_by_row_and_column_and_changes_nothing(archive: Archive,
                                                                                 tmp_path: Path) -> None:
    s = _session(archive, tmp_path)
    import_unit_table(s, "HXSZ", _xlsx(tmp_path / "good.xlsx", _rows()))
    before = (archive.root / "projects/HXSZ/units.json").read_bytes()
    seq = _journal_length(archive)
    rows = _rows()
    rows[4][3] = "八十九"                      # row 6: a number that is not one
    rows[5][0] = "99栋1单元0201"               # row 7: a building the project does not have
    rows[6][0] = rows[7][0]                    # row 8: the same room as row 9
    rows[10][4] = 300                          # row 12: 套内面积 above 建筑面积
    rows[11][5] = 7                            # row 13: floor 7 for room 0404
    rows[12][7] = "豪华毛坯"                    # row 14: not a finish
    rows[13][1] = ""                           # row 15: no 户型
    rows[14][6] = "朝\u202e南"                  # row 16: a bidi override
    rows[15][8] = "一万八"                      # row 17: price not a number
    with pytest.raises(UnitTableRejected) as info:
        import_unit_table(s, "HXSZ", _xlsx(tmp_path / "bad.xlsx", rows))
    text = str(info.value)
    for expected in ("第 6 行 D 列「建筑面积」:「八十九」不是面积数字",
                     "第 7 行 A 列「房号」:99栋1单元0201 不是项目 HXSZ 的房号:99栋不是项目 HXSZ 的楼栋",
                     "第 9 行:房号 3栋1单元0304 与第 8 行重复",
                     "第 12 行 E 列「套内面积」:套内面积 300 大于建筑面积 89.12",
                     "第 13 行 F 列「楼层」:楼层 7 与房号 3栋1单元0404(第 4 层)不符",
                     "第 14 行 H 列「装修标准」:「豪华毛坯」应为 毛坯、简装、精装 之一",
                     "第 15 行 B 列「户型编号」:户型为空",
                     "第 16 行 G 列「朝向」:含有文字方向控制符(U+202E)",
                     "第 17 行 I 列「成交单价」:「一万八」不是金额"):
        assert expected in text, expected
    assert text.startswith("发现 ") and "bad.xlsx:" in text
    assert (archive.root / "projects/HXSZ/units.json").read_bytes() == before
    assert _journal_length(archive) == seq


def test_the_table_must_hold_every_room_that_has_a_dossier(archive: Archive, tmp_path: Path) -> None:
    s = _session(archive, tmp_path)
    rows = [r for r in _rows() if r[0] not in ("3栋2单元1203", "5栋1单元0502")]
    with pytest.raises(UnitTableRejected, match="已有档案的 2 个房号不在表中:3栋2单元1203、5栋1单元0502"):
        import_unit_table(s, "HXSZ", _xlsx(tmp_path / "short.xlsx", rows))
    assert archive.unit_table("HXSZ") is None and not (archive.root / "projects/HXSZ/units.json").exists()


def test_headers_are_found_by_name_and_a_sheet_without_them_is_refused(archive: Archive, tmp_path: Path) -> None:
    s = _session(archive, tmp_path)
    with pytest.raises(UnitTableRejected, match="没有找到表头"):
        import_unit_table(s, "HXSZ", _xlsx(tmp_path / "x.xlsx", [["a", "b"]], header=["编号", "名称"]))
    # a title row above the header, columns in another order, room split into 楼栋/单元/房号, 户型 "A1 三室两厅两卫"
    rows = [[f"{r[0].split('栋')[0]}#", f"{r[0].split('栋')[1].split('单元')[0]}单元", r[0].split("单元")[1],
             f"{r[1]} {r[2]}", f"{r[3]}㎡", "毛坯房"] for r in _rows()]
    result = import_unit_table(s, "HXSZ", _xlsx(tmp_path / "y.xlsx", rows, ["楼栋", "单元", "房号", "户型", "建筑面积(㎡)",
                                                                         "装修标准"], title_rows=2))
    assert result.rows == 192
    row = next(u for u in archive.unit_table("HXSZ").units if u.unit == "05-1-0502")  # type: ignore[union-attr]
    assert (row.layout, row.layout_name, str(row.area_building), row.finish, row.floor) == ("B1", "两室两厅一卫",
                                                                                             "89.12", "毛坯", 5)


def test_export_imports_back_unchanged(archive: Archive, tmp_path: Path) -> None:
    s = _session(archive, tmp_path)
    import_unit_table(s, "HXSZ", _xlsx(tmp_path / "in.xlsx", _rows()))
    first = [u.model_dump() for u in archive.unit_table("HXSZ").units]  # type: ignore[union-attr]
    out = export_unit_table(s, "HXSZ", tmp_path / "out.xlsx")
    ws = load_workbook(out).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["房号", "楼栋", "单元", "户型编号", "户型名称", "建筑面积"] and ws.max_row == 193
    result = import_unit_table(s, "HXSZ", out)
    assert result.added == result.removed == 0 and result.previous == 192
    assert [u.model_dump() for u in archive.unit_table("HXSZ").units] == first  # type: ignore[union-attr]
    csv_out = export_unit_table(s, "HXSZ", tmp_path / "out.csv")
    with open(csv_out, encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh))[0] == "房号"
    import_unit_table(s, "HXSZ", csv_out)
    assert [u.model_dump() for u in archive.unit_table("HXSZ").units] == first  # type: ignore[union-attr]
    summary = unit_table_summary(s, "HXSZ")
    assert summary.rooms == 192 and summary.with_dossier == 4 and [r["layout"] for r in summary.layouts] == ["A1", "B1"]


def test_dry_run_checks_without_writing(archive: Archive, tmp_path: Path) -> None:
    s = _session(archive, tmp_path)
    seq = _journal_length(archive)
    result = import_unit_table(s, "HXSZ", _xlsx(tmp_path / "in.xlsx", _rows()), dry_run=True)
    assert result.dry_run and result.rows == 192
    assert archive.unit_table("HXSZ") is None and _journal_length(archive) == seq


def test_permissions_and_scope(archive: Archive, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "in.xlsx", _rows())
    with pytest.raises(PermissionDenied, match="修改档案和项目资料"):
        import_unit_table(_session(archive, tmp_path, "staff"), "HXSZ", path)
    with pytest.raises(NotFoundError, match="项目 HXSZ 不存在或无权查看"):
        import_unit_table(_session(archive, tmp_path, "archivist", projects=frozenset({"YHW"})), "HXSZ", path)
    import_unit_table(_session(archive, tmp_path, "archivist"), "HXSZ", path)
    with pytest.raises(NotFoundError):
        export_unit_table(_session(archive, tmp_path, "staff", projects=frozenset({"YHW"})), "HXSZ", tmp_path / "o.xlsx")


def test_audit_reports_an_old_dossier_whose_room_is_not_in_the_table(archive: Archive, tmp_path: Path) -> None:
    """Records written before the table (or by hand) are reported by the audit against the table, like a save."""
    s = _session(archive, tmp_path)
    import_unit_table(s, "HXSZ", _xlsx(tmp_path / "in.xlsx", _rows()))
    folder = archive.root / "projects/HXSZ/dossiers/05-1-1406"
    folder.mkdir()
    data = json.loads(archive.dossier_file("HXSZ/05-1-0502").read_text("utf-8"))
    data["unit"] = "05-1-1406"
    (folder / "dossier.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    found = [f for f in Auditor(archive, today=dt.date(2026, 11, 16)).run() if f.rule == "VALID.UNIT"]
    assert [(f.key, "不在项目 HXSZ 的楼盘表中" in f.message) for f in found] == [("HXSZ/05-1-1406", True)]


def test_a_hand_edited_table_is_named_when_it_cannot_be_read(archive: Archive, tmp_path: Path) -> None:
    s = _session(archive, tmp_path)
    import_unit_table(s, "HXSZ", _xlsx(tmp_path / "in.xlsx", _rows()))
    path = archive.root / "projects/HXSZ/units.json"
    data = json.loads(path.read_text("utf-8"))
    data["units"][0]["area_building"] = 12.5  # a float: money and quantities are strings
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(RecordError, match="units.json"):
        archive.unit_table("HXSZ")
    problems = [p for p in Verifier(archive).run() if p.path == "projects/HXSZ/units.json"]
    assert problems and "楼盘表" in problems[0].message


def test_cli(archive: Archive, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--archive", str(archive.root)]
    rows = _rows()
    rows[2][3] = "abc"
    bad = runner.invoke(cli, [*base, "project", "units", "import", "HXSZ", str(_xlsx(tmp_path / "bad.xlsx", rows))])
    assert bad.exit_code == 1 and "错误:" in bad.output and "第 4 行 D 列「建筑面积」:「abc」不是面积数字" in bad.output
    assert "Traceback" not in bad.output
    missing = runner.invoke(cli, [*base, "project", "units", "import", "HXSZ", str(tmp_path / "nope.xlsx")])
    assert missing.exit_code == 1 and "不存在" in missing.output
    wrong = runner.invoke(cli, [*base, "project", "units", "import", "HXSZ", str(tmp_path / "bad.txt")])
    (tmp_path / "bad.txt").write_text("x", "utf-8")
    wrong = runner.invoke(cli, [*base, "project", "units", "import", "HXSZ", str(tmp_path / "bad.txt")])
    assert wrong.exit_code == 2 and ".xlsx 或 .csv" in wrong.output
    good = runner.invoke(cli, [*base, "project", "units", "import", "HXSZ", str(_xlsx(tmp_path / "ok.xlsx", _rows()))])
    assert good.exit_code == 0, good.output
    assert "已导入:项目 HXSZ 楼盘表 ok.xlsx,共 192 个房间" in good.output and "A1 96 套" in good.output
    shown = runner.invoke(cli, [*base, "project", "units", "show", "HXSZ", "--json"])
    assert shown.exit_code == 0 and json.loads(shown.output)["rooms"] == 192
    out = tmp_path / "导出.xlsx"
    exported = runner.invoke(cli, [*base, "project", "units", "export", "HXSZ", "--out", str(out)])
    assert exported.exit_code == 0 and out.is_file()
    none = runner.invoke(cli, [*base, "project", "units", "show", "YHW"])
    assert none.exit_code == 1 and "YHW" in none.output
