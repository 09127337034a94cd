"""Reports: the terminal summary, CSV, JSON, XLSX (read back with openpyxl) and HTML (opened in Chromium)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from docgen.archive import Archive
from docgen.audit.engine import AuditFilter, Auditor
from docgen.audit.findings import COLUMNS, Finding
from docgen.audit.report import chart_svg, open_report, render_html
from docgen.audit.summary import Summary
from docgen.cli.main import cli
from docgen.errors import UsageError
from test_audit import TODAY, build_planted

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, list[Finding], Summary]:
    base = tmp_path_factory.mktemp("report")
    archive = build_planted(base / "records", base / "src")
    findings = list(Auditor(archive, today=TODAY).run())
    summary = Summary(top=3)
    for f in findings:
        summary.add(f)
    summary.dossiers_checked = 5
    return archive, findings, summary


def write(fmt: str, path: Path, findings: list[Finding], summary: Summary) -> None:
    writer = open_report(fmt, path)
    for f in findings:
        writer.add(f)
    writer.close(summary, {"today": TODAY.isoformat(), "rules": "默认规则", "filters": ""})


def test_summary_counts_and_worst(planted: tuple[Archive, list[Finding], Summary]) -> None:
    _, findings, summary = planted
    data = summary.as_dict()
    assert data["total"] == len(findings)
    assert sum(data["by_severity"].values()) == len(findings)
    assert sum(r["error"] + r["warning"] + r["info"] for r in data["by_project"]) == len(findings)
    assert data["dossiers_with_findings"] == 3  # 1204, 0601, 0602 (the project-level finding is not a dossier)
    worst = data["worst"]
    assert len(worst) == 3
    errors = [w["error"] for w in worst]
    assert errors == sorted(errors, reverse=True)
    assert worst[0]["key"] == "HXSZ/03-2-1204"
    stages = {r["stage"] for r in data["by_stage"]}
    assert stages == {"交房", "保修期", "签约"}
    assert {r["batch"] for r in data["by_batch"]} == {"B01"}


def test_csv(planted: tuple[Archive, list[Finding], Summary], tmp_path: Path) -> None:
    _, findings, summary = planted
    path = tmp_path / "a.csv"
    write("csv", path, findings, summary)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel/WPS
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    assert rows[0] == [label for _, label in COLUMNS]
    assert len(rows) == len(findings) + 1
    assert {r[1] for r in rows[1:]} == {f.rule for f in findings}
    assert rows[1][0] in ("错误", "警告", "提示")


def test_json(planted: tuple[Archive, list[Finding], Summary], tmp_path: Path) -> None:
    _, findings, summary = planted
    path = tmp_path / "a.json"
    write("json", path, findings, summary)
    data = json.loads(path.read_text("utf-8"))
    assert len(data["findings"]) == len(findings)
    assert data["findings"][0]["rule"] == findings[0].rule
    assert data["summary"]["total"] == len(findings)
    assert data["meta"]["today"] == TODAY.isoformat()


def test_json_with_no_findings(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    write("json", path, [], Summary())
    assert json.loads(path.read_text("utf-8"))["findings"] == []


def test_xlsx_read_back(planted: tuple[Archive, list[Finding], Summary], tmp_path: Path) -> None:
    _, findings, summary = planted
    path = tmp_path / "a.xlsx"
    write("xlsx", path, findings, summary)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["问题清单", "汇总"]
    ws = wb["问题清单"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:I{len(findings) + 1}"
    header = [c.value for c in ws[1]]
    assert header == [label for _, label in COLUMNS]
    assert ws.max_row == len(findings) + 1
    keys = {ws.cell(row=r, column=4).value for r in range(2, ws.max_row + 1)}
    assert keys == {f.key for f in findings}
    summary_ws = wb["汇总"]
    assert summary_ws.freeze_panes == "A2"
    first = [c.value for c in summary_ws[2]]
    assert first[0] == "合计" and first[2] == summary.by_severity["error"]


def test_html_is_self_contained_and_escaped(planted: tuple[Archive, list[Finding], Summary]) -> None:
    _, findings, summary = planted
    evil = Finding("error", "COMPLETE.MISSING_DOC", "HXSZ/01-1-0101", "HXSZ", "", "签约", "<script>alert(1)</script>")
    page = render_html([*findings, evil], summary, {"today": TODAY.isoformat()})
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "<svg" in page and "sorted-asc" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<link" not in page and "src=" not in page
    assert page.count('class="finding"') == len(findings) + 1


def test_chart_svg_scales_bars() -> None:
    svg = chart_svg([("甲", {"error": 10}), ("乙", {"error": 5, "warning": 5}), ("丙", {})])
    assert svg.count('class="bar-error"') == 2 and svg.count('class="bar-warning"') == 1
    assert svg.startswith("<svg") and svg.endswith("</svg>")


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="报表格式"):
        open_report("pdf", tmp_path / "x.pdf")
    with pytest.raises(UsageError, match="无法写入"):
        open_report("csv", tmp_path / "no" / "such" / "dir.csv")


@pytest.mark.chromium
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium not installed")
def test_html_in_headless_chromium(planted: tuple[Archive, list[Finding], Summary], tmp_path: Path) -> None:
    _, findings, summary = planted
    path = tmp_path / "report.html"
    write("html", path, findings, summary)
    profile = tmp_path / "chromium-profile"
    result = subprocess.run(
        [
            shutil.which(CHROMIUM) or CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--dump-dom", path.as_uri(),
        ],
        capture_output=True, text=True, timeout=60,
    )
    dom = result.stdout
    assert "<table" in dom and 'id="findings"' in dom, result.stderr[-2000:]
    assert dom.count('class="finding"') == len(findings)
    assert "HXSZ/03-2-1204" in dom and "<svg" in dom
    assert "COMPLETE.MISSING_DOC" in dom


def test_cli_audit_summary_and_exit_codes(planted: tuple[Archive, list[Finding], Summary], tmp_path: Path) -> None:
    archive, _, _ = planted
    runner = CliRunner()
    base = ["--archive", str(archive.root), "audit", "--today", TODAY.isoformat()]
    result = runner.invoke(cli, [*base, "--top", "2"])
    assert result.exit_code == 3  # errors exist; default fail_on = error
    assert "按项目" in result.output and "问题最多的档案" in result.output
    assert "HXSZ/03-2-1204" in result.output
    assert runner.invoke(cli, [*base, "--fail-on", "never"]).exit_code == 0
    info_only = runner.invoke(cli, [*base, "--project", "HXSZ", "--stage", "签约", "--fail-on", "error"])
    in_stage = Auditor(archive, today=TODAY, where=AuditFilter(project="HXSZ", stage="签约")).run()
    errors_in_stage = [f for f in in_stage if f.severity == "error"]
    assert info_only.exit_code == (3 if errors_in_stage else 0)


def test_cli_audit_json_and_files(planted: tuple[Archive, list[Finding], Summary], tmp_path: Path) -> None:
    archive, findings, _ = planted
    runner = CliRunner()
    base = ["--archive", str(archive.root), "audit", "--fail-on", "never", "--today", TODAY.isoformat()]
    out = runner.invoke(cli, [*base, "--json", "--severity", "error"])
    assert out.exit_code == 0
    data = json.loads(out.output)
    assert data["summary"]["total"] == sum(1 for f in findings if f.severity == "error")
    assert data["summary"]["by_severity"]["warning"] == 0
    for fmt in ("csv", "xlsx", "html", "json"):
        target = tmp_path / f"r.{fmt}"
        res = runner.invoke(cli, [*base, "--format", fmt, "--out", str(target)])
        assert res.exit_code == 0, res.output
        assert target.stat().st_size > 0
    implied = tmp_path / "by-suffix.xlsx"
    assert runner.invoke(cli, [*base, "--out", str(implied)]).exit_code == 0
    assert openpyxl.load_workbook(implied).sheetnames == ["问题清单", "汇总"]
    listed = runner.invoke(cli, [*base, "--batch", "B01", "--list"])
    assert "问题清单" in listed.output


def test_cli_audit_bad_usage(planted: tuple[Archive, list[Finding], Summary]) -> None:
    archive, _, _ = planted
    runner = CliRunner()
    bad_stage = runner.invoke(cli, ["--archive", str(archive.root), "audit", "--stage", "入住"])
    assert bad_stage.exit_code == 2
    unknown = runner.invoke(cli, ["--archive", str(archive.root), "audit", "--project", "NOPE"])
    assert unknown.exit_code == 1 and "项目 NOPE 不存在" in unknown.output
    bad_format = runner.invoke(cli, ["--archive", str(archive.root), "audit", "--out", "x.pdf"])
    assert bad_format.exit_code == 2 and "报表格式" in bad_format.output


def test_fail_on_from_config(tmp_path: Path) -> None:
    from conftest import build_small_archive

    archive = build_small_archive(tmp_path / "records")
    runner = CliRunner()
    args = ["audit", "--project", "HXSZ", "--today", "2026-07-01", "--severity", "warning"]
    config = tmp_path / "docgen.toml"
    config.write_text('[archive]\npath = "records"\n[audit]\nfail_on = "never"\n', "utf-8")
    assert runner.invoke(cli, ["--config", str(config), *args]).exit_code == 0
    config.write_text('[archive]\npath = "records"\n[audit]\nfail_on = "error"\n', "utf-8")
    assert runner.invoke(cli, ["--config", str(config), *args]).exit_code == 3
    assert archive.root.is_dir()
