"""Rules as data: defaults, `rules init`, validation errors that name the key, overrides that change findings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import build_small_archive
from docgen.archive import Archive
from docgen.audit.checks import add_months
from docgen.audit.engine import Auditor
from docgen.audit.rules import default_rules_bytes, init_rules, load_rules, parse_rules
from docgen.cli.main import cli
from docgen.errors import ConflictError, RecordError

TODAY = dt.date(2027, 1, 10)


def rules_dict() -> dict:
    return json.loads(default_rules_bytes())


def write_rules(archive: Archive, data: dict) -> None:
    archive.write_config_file("rules.json", json.dumps(data, ensure_ascii=False).encode(), "测试规则")


def rules_of(archive: Archive, key: str) -> list[str]:
    return [f.rule + ":" + f.ref for f in Auditor(archive, today=TODAY).run() if f.key == key]


def test_defaults_apply_when_no_file(archive: Archive) -> None:
    rules, source = load_rules(archive)
    assert "默认规则" in source
    required, signed = rules.required_for("HXSZ", "交房")
    assert required["purchase_contract"] == "签约" and required["handover_record"] == "交房"
    assert "handover_record" in signed
    assert "cert_application" not in required  # a later stage's documents are not asked yet
    assert "cert_application" in rules.required_for("HXSZ", "保修期")[0]


def test_init_writes_journaled_file_and_refuses_overwrite(archive: Archive) -> None:
    path = init_rules(archive)
    assert path == archive.layout.rules and path.read_bytes() == default_rules_bytes()
    assert archive.journal.last()["files"][0]["path"] == "rules.json"  # type: ignore[index]
    assert "rules.json" in load_rules(archive)[1]
    with pytest.raises(ConflictError, match="--force"):
        init_rules(archive)
    init_rules(archive, force=True)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["stages"]["签约"]["required"].append("contrat"), "stages.签约.required[4]"),
        (lambda r: r.update(stagez={}), "stagez"),
        (lambda r: r["stages"].pop("办证"), "办证"),
        (lambda r: r["deadlines"].update(repair_response_day=3), "deadlines.repair_response_day"),
        (lambda r: r["deadlines"].update(repair_response_days=-1), "deadlines.repair_response_days"),
        (lambda r: r["severity"].update({"COMPLETE.MISING_DOC": "info"}), "COMPLETE.MISSING_DOC"),
        (lambda r: r["severity"].update({"COMPLETE.MISSING_DOC": "fatal"}), "severity.COMPLETE.MISSING_DOC"),
        (lambda r: r["warranty"][0].update(months="三年"), "warranty[0].months"),
        (lambda r: r["stages"]["交房"]["required"].append("presale_permit"), "项目级文件"),
        (lambda r: r["projects"].update(HXSZ={"stages": {"入住": {}}}), "projects.HXSZ.stages"),
        (lambda r: r["text_checks"].update(purchase_contract=["owner_phone"]), "text_checks.purchase_contract[0]"),
    ],
)
def test_validation_names_the_key(change, expected: str) -> None:  # type: ignore[no-untyped-def]
    data = rules_dict()
    change(data)
    with pytest.raises(RecordError) as err:
        parse_rules(json.dumps(data, ensure_ascii=False).encode(), "rules.json")
    assert expected in str(err.value)
    assert "rules.json" in str(err.value)


def test_bad_json_and_bad_file(archive: Archive) -> None:
    archive.layout.rules.write_text('{"stages": ', "utf-8")
    with pytest.raises(RecordError, match="JSON 格式错误"):
        load_rules(archive)
    archive.layout.rules.write_text("[1, 2]", "utf-8")
    with pytest.raises(RecordError, match="JSON 对象"):
        load_rules(archive)
    with pytest.raises(RecordError, match="不存在"):
        load_rules(path=archive.root / "nope.json")


def test_chinese_labels_accepted_for_types() -> None:
    data = rules_dict()
    data["stages"]["签约"]["required"] = ["商品房买卖合同"]
    rules = parse_rules(json.dumps(data, ensure_ascii=False).encode(), "x")
    assert rules.stages["签约"].required == ["purchase_contract"]


def test_editing_rules_changes_findings_without_code(archive: Archive) -> None:
    key = "HXSZ/03-2-1203"
    before = rules_of(archive, key)
    assert "COMPLETE.MISSING_DOC:subscription" in before
    data = rules_dict()
    data["projects"] = {"HXSZ": {"stages": {"签约": {"required_remove": ["subscription"], "required_add": ["advance_registration"]}}}}
    data["severity"] = {"COMPLETE.MISSING_DOC": "warning"}
    data["disabled"] = ["TIME.CERT_OVERDUE"]
    write_rules(archive, data)
    findings = [f for f in Auditor(archive, today=TODAY).run()]
    mine = [f.rule + ":" + f.ref for f in findings if f.key == key]
    assert "COMPLETE.MISSING_DOC:subscription" not in mine
    assert "COMPLETE.MISSING_DOC:advance_registration" in mine
    assert all(f.severity == "warning" for f in findings if f.rule == "COMPLETE.MISSING_DOC")
    assert not any(f.rule == "TIME.CERT_OVERDUE" for f in findings)


def test_project_deadline_and_registration_override(archive: Archive) -> None:
    key = "HXSZ/03-2-1204"
    assert "TIME.CERT_OVERDUE:" in rules_of(archive, key)  # 90 days after 2026-06-20 passed by 2027-01-10
    data = rules_dict()
    data["projects"] = {"HXSZ": {"deadlines": {"certificate_registration_days": 300}}}
    write_rules(archive, data)
    assert "TIME.CERT_OVERDUE:" not in rules_of(archive, key)
    with archive.edit_dossier(key, "dossier.edit", "合同约定办证期限") as (d, _):
        d.registration_due_days = 100  # the contract's own term wins over the rules
    assert "TIME.CERT_OVERDUE:" in rules_of(archive, key)


def test_warranty_table_lookup() -> None:
    rules = parse_rules(default_rules_bytes(), "默认")
    assert rules.warranty_for("", "屋面渗漏").months == 36  # type: ignore[union-attr]
    assert rules.warranty_for("", "卫生间地面渗水").months == 12  # type: ignore[union-attr]
    assert rules.warranty_for("", "厨房下水管堵塞").months == 2  # type: ignore[union-attr]
    assert rules.warranty_for("", "客厅灯具").months == 6  # type: ignore[union-attr]
    assert rules.warranty_for("门窗", "阳台").component == "门窗"  # type: ignore[union-attr]
    assert rules.warranty_for("", "承重墙结构裂缝").months is None  # type: ignore[union-attr]
    assert rules.warranty_for("", "院子") is None


def test_add_months() -> None:
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 6, 20), 36) == dt.date(2029, 6, 20)


def test_cli_rules(tmp_path: Path) -> None:
    archive = build_small_archive(tmp_path / "records")
    runner = CliRunner()
    base = ["--archive", str(archive.root), "rules"]
    shown = runner.invoke(cli, [*base, "show"])
    assert shown.exit_code == 0, shown.output
    assert "默认规则" in shown.output and "屋面防水" in shown.output
    assert runner.invoke(cli, [*base, "init"]).exit_code == 0
    again = runner.invoke(cli, [*base, "init"])
    assert again.exit_code == 1 and "--force" in again.output
    assert runner.invoke(cli, [*base, "check"]).exit_code == 0
    as_json = runner.invoke(cli, [*base, "show", "--json"])
    assert json.loads(as_json.output)["rules"]["deadlines"]["certificate_registration_days"] == 90
    archive.layout.rules.write_text(
        archive.layout.rules.read_text("utf-8").replace('"repair_response_days"', '"repair_respons_days"'), "utf-8"
    )
    broken = runner.invoke(cli, [*base, "check"])
    assert broken.exit_code == 1
    assert "deadlines.repair_respons_days" in broken.output
    audit = runner.invoke(cli, ["--archive", str(archive.root), "audit"])
    assert audit.exit_code == 1 and "repair_respons_days" in audit.output
