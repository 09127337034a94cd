"""``docgen search`` and ``docgen index`` through click's CliRunner on a real archive."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from docgen.archive import Archive
from docgen.cli.main import cli


@pytest.fixture
def env(archive: Archive, tmp_path: Path) -> dict[str, str]:
    src = tmp_path / "合同扫描.pdf"
    src.write_bytes(b"%PDF-1.4\n")
    archive.add_document("HXSZ/03-2-1203", src, doc_type="repair_record",
                         text_pages=["业主张伟来电反映卫生间漏水。电话13812345678。"])
    archive.add_document("HXSZ/03-2-1204", src, doc_type="handover_record", signed=True,
                         text_pages=["房屋交接书 3栋2单元1204 交付"])
    return {"DOCGEN_ARCHIVE": str(archive.root), "DOCGEN_INDEX": str(tmp_path / "index"), "DOCGEN_CONFIG": ""}


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_search_prints_count_and_masked_snippet(env: dict[str, str]) -> None:
    code, out = run(env, "search", "漏水")
    assert code == 0, out
    assert "共找到 1 条" in out or "共找到 2 条" in out
    assert "138****5678" in out and "13812345678" not in out
    assert "维修记录" in out


def test_search_json(env: dict[str, str]) -> None:
    code, out = run(env, "search", "卫生间", "--json", "--kind", "document")
    assert code == 0, out
    data = json.loads(out)
    assert data["total"] == 1
    hit = data["hits"][0]
    for key in ("id", "owner", "type", "title", "original_name", "date", "score", "snippet"):
        assert key in hit
    assert hit["original_name"] == "合同扫描.pdf" and hit["owner"] == "HXSZ/03-2-1203"
    assert hit["snippet"][hit["highlights"][0][0]:hit["highlights"][0][1]] == "卫生间"


def test_search_flags(env: dict[str, str]) -> None:
    code, out = run(env, "search", "--unit", "3栋2单元", "--signed", "是", "--json")
    assert code == 0, out
    assert [h["id"] for h in json.loads(out)["hits"]] and all(h["signed"] for h in json.loads(out)["hits"])
    code, out = run(env, "search", "--type", "房屋交接书", "--from", "2020", "--to", "2099-12", "--json")
    assert json.loads(out)["total"] == 1


def test_reveal_shows_numbers_and_journals(env: dict[str, str], archive: Archive) -> None:
    code, out = run(env, "search", "13812345678", "--reveal", "--reason", "业主来电核对", "--kind", "document")
    assert code == 0 and "13812345678" in out
    last = archive.journal.last()
    assert last["action"] == "privacy.reveal" and last["target"] == "HXSZ/03-2-1203"
    assert last["detail"]["why"] == "业主来电核对" and last["detail"]["where"] == "屏幕"
    assert "13812345678" not in json.dumps(last, ensure_ascii=False)


def test_search_by_full_number_needs_a_reveal(env: dict[str, str], archive: Archive) -> None:
    """Searching a full ID or phone number confirms whose it is: refused, saying how, nothing journaled."""
    before = archive.journal.last()["seq"]
    for number in ("350121196501163583", "13812345678"):
        code, out = run(env, "search", number)
        assert code == 2 and "--reveal --reason" in out and number not in out, out
    code, out = run(env, "search", "漏水", "--reveal")
    assert code == 2 and "须说明原因" in out and "--reason" in out
    code, out = run(env, "search", "漏水", "--reason", "看看")
    assert code == 2 and "--reveal" in out
    assert archive.journal.last()["seq"] == before
    code, out = run(env, "search", "350121196501163583", "--reveal", "--reason", "公安协查", "--json")
    assert code == 0 and json.loads(out)["total"] == 0
    last = archive.journal.last()
    assert last["seq"] == before + 1 and last["target"] == "全部项目" and last["detail"]["total"] == 0
    assert "350121********3583" in last["summary"] and "350121196501163583" not in json.dumps(last, ensure_ascii=False)
    assert last["detail"]["where"] == "屏幕(JSON 输出)"


def test_bad_range_query_is_explained_in_chinese(env: dict[str, str]) -> None:
    for query, words in (("日期:[20260101 TO", "日期:[20260101 TO 20260630]"), ("日期:20260230", "这一天不存在")):
        code, out = run(env, "search", query)
        assert code == 2 and words in out and "int()" not in out and "day is out" not in out, out
    code, out = run(env, "search", "--from", "2026-02-29")
    assert code == 2 and "2026 年 2 月只有 28 天" in out, out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "--unit", "三楼"], "房号"),
        (["search", "--from", "2026-13-01"], "日期"),
        (["search", "--type", "猫"], "文件类型"),
        (["search", "--signed", "maybe"], "是/否"),
        (["search", "--stage", "入住"], "阶段"),
        (["search", "--kind", "cat"], "类别"),
        (["search", "漏水", "--limit", "0"], "--limit"),
    ],
)
def test_bad_input_is_a_clear_usage_error(env: dict[str, str], args: list[str], message: str) -> None:
    code, out = run(env, *args)
    assert code == 2
    assert "错误:" in out and message in out


def test_index_commands(env: dict[str, str]) -> None:
    code, out = run(env, "index", "status")
    assert code == 0 and "不可用" in out
    code, out = run(env, "index", "rebuild")
    assert code == 0 and "重建" in out
    code, out = run(env, "index", "status", "--json")
    data = json.loads(out)
    assert data["usable"] and data["pending_entries"] == 0 and data["by_kind"]["document"] == 2
    code, out = run(env, "index", "update", "--json")
    assert code == 0 and json.loads(out)["mode"] == "none"
    code, out = run(env, "index", "status")
    assert "无,索引已是最新" in out


def test_search_pages(env: dict[str, str]) -> None:
    code, out = run(env, "search", "--limit", "1", "--kind", "document")
    assert code == 0, out
    assert "共找到 2 条,显示第 1-1 条" in out and "--page 2" in out
    code, out = run(env, "search", "--limit", "1", "--page", "2", "--kind", "document", "--json")
    data = json.loads(out)
    assert data["offset"] == 1 and data["returned"] == 1 and data["total"] == 2
    code, out = run(env, "search", "--limit", "1", "--page", "3", "--kind", "document")
    assert "本页无结果" in out
    code, out = CliRunner().invoke(cli, ["search", "--page", "0"], env=env).exit_code, ""
    assert code != 0


def test_export_xlsx_and_csv(env: dict[str, str], tmp_path: Path) -> None:
    """Every hit (not just the first page) goes to the file, masked; the workbook opens with a filter row."""
    from openpyxl import load_workbook

    out_xlsx = tmp_path / "导出" / "结果.xlsx"
    code, out = run(env, "search", "--kind", "document", "--export", str(out_xlsx), "--limit", "1")
    assert code == 0, out
    assert "已导出 1 条" in out and "--page" in out
    code, out = run(env, "search", "--kind", "document", "--export", str(out_xlsx))
    assert code == 0 and "已导出 2 条" in out, out
    wb = load_workbook(out_xlsx)
    rows = list(wb["检索结果"].iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "类别", "编号", "标题") and len(rows) == 3
    assert wb["检索结果"].auto_filter.ref == "A1:N3"
    text = " ".join(str(c) for r in rows for c in r if c is not None)
    assert "138****5678" in text and "13812345678" not in text
    assert not list(out_xlsx.parent.glob(".*.tmp"))

    out_csv = tmp_path / "结果.csv"
    code, out = run(env, "search", "漏水", "--export", str(out_csv), "--reveal", "--reason", "交律师核对")
    assert code == 0, out
    raw = out_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel and WPS read the Chinese
    assert "13812345678" in raw.decode("utf-8-sig")  # --reveal, journaled


def test_export_refuses_other_formats(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "结果.pdf"
    result = CliRunner().invoke(cli, ["search", "漏水", "--export", str(target)], env=env)
    assert result.exit_code != 0 and ".xlsx" in result.output
    assert not target.exists()


def test_export_cells_are_text_never_formulas(env: dict[str, str], archive: Archive, tmp_path: Path) -> None:
    """Scan text and inbox file names reach the cells: a leading = is text, control characters are dropped."""
    from openpyxl import load_workbook

    src = tmp_path / "x.pdf"
    src.write_bytes(b"%PDF-1.4\n")
    archive.add_document("HXSZ/03-2-1203", src, doc_type="repair_record", original_name="=2+3.pdf",
                         text_pages=['=HYPERLINK("http://x.invalid") 渗水\x02复查'])
    out_xlsx, out_csv = tmp_path / "a.xlsx", tmp_path / "a.csv"
    assert run(env, "search", "渗水", "--export", str(out_xlsx))[0] == 0
    assert run(env, "search", "渗水", "--export", str(out_csv))[0] == 0
    ws = load_workbook(out_xlsx)["检索结果"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    risky = [c for c in cells if c.value.startswith("=")]
    assert {c.value for c in risky} >= {"=2+3.pdf"} and all(c.data_type == "s" for c in risky)
    assert not any("\x02" in c.value for c in cells) and any("渗水复查" in c.value for c in cells)
    rows = list(csv.reader(out_csv.read_text("utf-8-sig").splitlines()))
    assert "'=2+3.pdf" in rows[1] and not any(v.startswith("=") for v in rows[1])


def test_refused_export_journals_nothing_and_reveal_says_where(env: dict[str, str], archive: Archive,
                                                                tmp_path: Path) -> None:
    before = archive.journal.last()["seq"]
    result = CliRunner().invoke(cli, ["search", "漏水", "--reveal", "--reason", "交律师", "--export", str(tmp_path / "x.txt")],
                                env=env)
    assert result.exit_code != 0 and ".xlsx" in result.output
    assert archive.journal.last()["seq"] == before  # refused before searching: no reveal journaled
    blocker = tmp_path / "占用"
    blocker.write_text("a file, not a folder")
    result = CliRunner().invoke(cli, ["search", "漏水", "--export", str(blocker / "x.csv")], env=env)
    assert result.exit_code != 0 and "不是目录" in result.output and "Traceback" not in result.output
    target = tmp_path / "明文.xlsx"
    code, out = run(env, "search", "漏水", "--reveal", "--reason", "交律师", "--export", str(target), "--json")
    assert code == 0 and json.loads(out)["rows"] == 1 and target.exists()
    last = archive.journal.last()
    assert last["action"] == "privacy.reveal" and "导出到" in last["summary"] and str(target) in last["summary"]
    assert last["detail"]["kind"] == "export" and last["detail"]["why"] == "交律师"
