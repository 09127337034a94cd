"""One corrupt ``dossier.json`` must not block archive-wide work (issue 10, item 9).

Each command names the unreadable record (path and what is wrong, in Chinese),
carries on with the others, and exits non-zero at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from docgen.archive import Archive
from docgen.cli.main import cli
from docgen.demo.scans import text_pdf
from generate_helpers import TEMPLATES, ready_for_notices

BROKEN = "HXSZ/05-1-0502"
BROKEN_REL = "projects/HXSZ/dossiers/05-1-0502/dossier.json"
SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture
def broken(archive: Archive, tmp_path: Path) -> tuple[Archive, Path]:
    """The small archive with one dossier (in batch B01) cut short by a bad hand edit; a config for the CLI."""
    ready_for_notices(archive)  # the batch's delivery conditions met and its units waiting for notices
    path = archive.root / BROKEN_REL
    path.write_text(path.read_text("utf-8")[:200], "utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = tmp_path / "docgen.toml"
    config.write_text(
        f'[archive]\npath = "{archive.root}"\nactor = "测试员"\n\n[search]\nindex_path = "{tmp_path / "index"}"\n\n'
        f'[ingest]\ninbox = "{inbox}"\n\n[generate]\ntemplates = "{TEMPLATES}"\noutput = "{tmp_path / "out"}"\n',
        "utf-8",
    )
    return archive, config


def _run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def _names_it(output: str) -> None:
    assert BROKEN_REL in output and "3栋" not in output.split(BROKEN_REL)[0][-5:]
    assert "档案 HXSZ/05-1-0502(5栋1单元0502)" in output and "JSON 格式错误" in output
    assert "Traceback" not in output


def test_scan_dossiers_yields_the_unreadable_one_and_goes_on(broken: tuple[Archive, Path]) -> None:
    from docgen.archive.store import UnreadableRecord

    archive, _ = broken
    items = list(archive.scan_dossiers())
    bad = [i for i in items if isinstance(i, UnreadableRecord)]
    assert [i.key for i in bad] == [BROKEN] and bad[0].rel == BROKEN_REL and "JSON 格式错误" in bad[0].message
    assert len(items) == 4


def test_dossier_list_lists_the_others(broken: tuple[Archive, Path]) -> None:
    _, config = broken
    result = _run(config, "dossier", "list")
    assert result.exit_code == 1
    assert "业主档案(3 户)" in result.output and "HXSZ/03-2-1203" in result.output and "HXSZ/05-1-0601" in result.output
    _names_it(result.output)
    as_json = _run(config, "dossier", "list", "--json")
    assert as_json.exit_code == 1
    assert [r["key"] for r in json.loads(as_json.stdout)] == ["HXSZ/03-2-1203", "HXSZ/03-2-1204", "HXSZ/05-1-0601"]


def test_generate_notices_for_the_rest_of_the_batch(broken: tuple[Archive, Path]) -> None:
    archive, config = broken
    result = _run(config, "generate", "notices", "HXSZ/B01")
    assert result.exit_code == 1
    assert "已生成并归档" in result.output
    _names_it(result.output)
    assert "handover_notice" in [d.type for d in archive.dossier("HXSZ/05-1-0601").documents]
    assert "handover_notice" in [d.type for d in archive.dossier("HXSZ/03-2-1204").documents]


def test_index_rebuild_indexes_the_rest_without_tracebacks(broken: tuple[Archive, Path]) -> None:
    """Run as a real process: whoosh's worker processes wrote their tracebacks straight to stderr."""
    _, config = broken
    env = {**os.environ, "PYTHONPATH": SRC, "DOCGEN_CONFIG": ""}
    main = "import sys; from docgen.cli.main import main; sys.argv[0] = 'docgen'; main()"
    proc = subprocess.run([sys.executable, "-c", main, "--config", str(config), "index", "rebuild"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "索引重建" in proc.stdout
    _names_it(proc.stderr)
    search = _run(config, "search", "5栋1单元0601", "--json")
    assert search.exit_code == 0 and json.loads(search.output)["total"] >= 1


def test_audit_and_verify_name_it_and_carry_on(broken: tuple[Archive, Path]) -> None:
    _, config = broken
    audit = _run(config, "audit", "--list")
    assert audit.exit_code == 3 and "RECORD.UNREADABLE" in audit.output
    assert "已审计档案" in audit.output and "4 户" in audit.output
    verify = _run(config, "verify", "--json")
    assert verify.exit_code == 3
    problems = json.loads(verify.output)["problems"]
    assert {"code": "FIXITY.UNREADABLE", "path": BROKEN_REL} in [{"code": p["code"], "path": p["path"]} for p in problems]
    assert json.loads(verify.output)["stats"]["dossiers"] == 4


def test_ingest_says_the_dossier_cannot_be_read_not_that_it_does_not_exist(broken: tuple[Archive, Path], tmp_path: Path) -> None:
    archive, config = broken
    folder = tmp_path / "scans"
    folder.mkdir()
    text_pdf([["钥匙签收表", "业主:李娜"]], folder / "HXSZ_05-1-0502_key_receipt.pdf")
    text_pdf([["房屋交接书", "业主签字:张伟"]], folder / "HXSZ_03-2-1203_handover_record.pdf")
    result = _run(config, "ingest", str(folder))
    assert result.exit_code == 1
    assert "没有档案" not in result.output
    _names_it(result.output)
    assert "已归档" in result.output and [d.type for d in archive.dossier("HXSZ/03-2-1203").documents] == ["handover_record"]
    review = list((tmp_path / "inbox" / "review").glob("*.review.json"))
    assert len(review) == 1
    assert any(BROKEN_REL in r for r in json.loads(review[0].read_text("utf-8"))["reasons"])
