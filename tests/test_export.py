"""BagIt export of one dossier: a bag that bagit validates, refusals that lose nothing."""

from __future__ import annotations

import json
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner

from conftest import OWNERS, build_small_archive
from docgen.archive import Archive
from docgen.audit.export import export_bag
from docgen.cli.main import cli
from docgen.errors import ConflictError, IntegrityError, LockTimeout, NotFoundError, UnsafePathError
from docgen.privacy import ReasonRequired

KEY = "HXSZ/03-2-1204"
WHY = "交不动产登记中心办理产权证"


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = build_small_archive(tmp_path / "records")
    for name, doc_type, text in [
        ("contract.pdf", "purchase_contract", "商品房买卖合同 王芳 3栋2单元1204"),
        ("keys.jpg", "key_receipt", None),
    ]:
        src = tmp_path / name
        src.write_bytes(f"file {name}".encode())
        archive.add_document(KEY, src, doc_type=doc_type, text_pages=[text] if text else None, signed=True)
    return archive


def test_bag_validates_and_holds_everything(archive: Archive, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "bag"
    result = export_bag(archive, KEY, dest, reason=WHY)
    assert result.bag_dir == dest
    bag = bagit.Bag(str(dest))
    bag.validate()  # raises on any problem
    payload = sorted(str(p.relative_to(dest / "data")) for p in (dest / "data").rglob("*") if p.is_file())
    d = archive.dossier(KEY)
    docs = [f"documents/{doc.file}" for doc in d.documents] + [f"documents/{d.documents[0].text_file}"]
    assert payload == sorted(["dossier.json", "project.json", "清单.txt", *docs])
    assert result.files == len(payload)
    assert json.loads((dest / "data/dossier.json").read_text("utf-8"))["unit"] == "03-2-1204"
    summary = (dest / "data/清单.txt").read_text("utf-8")
    assert "王芳" in summary and OWNERS[1][1] in summary  # unmasked: for an authorised recipient
    assert "个人信息" in summary
    assert bag.info["External-Identifier"] == KEY
    assert "个人信息" in bag.info["Internal-Sender-Description"]
    assert "sha256" in bag.algorithms


def test_bag_detects_later_tampering(archive: Archive, tmp_path: Path) -> None:
    dest = tmp_path / "bag"
    export_bag(archive, KEY, dest, reason=WHY)
    next((dest / "data/documents").glob("*.pdf")).write_bytes(b"changed")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(dest)).validate()


def test_refuses_non_empty_directory(archive: Archive, tmp_path: Path) -> None:
    dest = tmp_path / "bag"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine", "utf-8")
    with pytest.raises(ConflictError, match="不会覆盖"):
        export_bag(archive, KEY, dest, reason=WHY)
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def test_empty_existing_directory_is_fine(archive: Archive, tmp_path: Path) -> None:
    dest = tmp_path / "bag"
    dest.mkdir()
    export_bag(archive, KEY, dest, reason=WHY)
    bagit.Bag(str(dest)).validate()


def test_refuses_damaged_dossier_and_writes_nothing(archive: Archive, tmp_path: Path) -> None:
    d = archive.dossier(KEY)
    archive.document_path(d, d.documents[1]).write_bytes(b"damaged")
    dest = tmp_path / "bag"
    with pytest.raises(IntegrityError, match="sha256"):
        export_bag(archive, KEY, dest, reason=WHY)
    assert not dest.exists()


def test_unknown_and_unsafe_dossier(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        export_bag(archive, "HXSZ/09-9-0909", tmp_path / "a", reason=WHY)
    with pytest.raises(UnsafePathError):
        export_bag(archive, "HXSZ/../../etc", tmp_path / "b", reason=WHY)


def test_export_is_a_journaled_reveal_with_its_destination(archive: Archive, tmp_path: Path) -> None:
    dest = tmp_path / "bag"
    before = archive.journal.last()["seq"]
    with pytest.raises(ReasonRequired, match="原因"):
        export_bag(archive, KEY, dest, reason="  ")
    assert not dest.exists() and archive.journal.last()["seq"] == before
    result = export_bag(archive, KEY, dest, reason=WHY)
    entry = archive.journal.last()
    assert entry["seq"] == before + 1 and entry["action"] == "privacy.reveal" and entry["target"] == KEY
    assert entry["actor"] == archive.actor and entry["files"] == []
    detail = entry["detail"]
    assert detail["kind"] == "export" and detail["why"] == WHY and str(dest.absolute()) in detail["where"]
    assert detail["files"] == result.files and detail["payload_oxum"] == bagit.Bag(str(dest)).info["Payload-Oxum"]
    assert archive.journal.verify() == []


def test_export_that_cannot_be_journaled_leaves_no_bag(archive: Archive, tmp_path: Path) -> None:
    """If the reveal cannot be journaled (another writer holds the lock), the bag is removed again."""
    other = Archive.open(archive.root)
    impatient = Archive.open(archive.root, lock_timeout=0.2)
    dest = tmp_path / "bag"
    with other._lock, pytest.raises(LockTimeout):
        export_bag(impatient, KEY, dest, reason=WHY)
    assert not dest.exists()


def test_cli_export(archive: Archive, tmp_path: Path) -> None:
    runner = CliRunner()
    dest = tmp_path / "cli-bag"
    before = archive.journal.last()["seq"]
    refused = runner.invoke(cli, ["--archive", str(archive.root), "export", KEY, "--bagit", str(dest)])
    assert refused.exit_code == 2 and "--reveal --reason" in refused.output and "无法脱敏" in refused.output
    refused = runner.invoke(cli, ["--archive", str(archive.root), "export", KEY, "--bagit", str(dest), "--reveal"])
    assert refused.exit_code == 2 and "须说明原因" in refused.output
    assert not dest.exists() and archive.journal.last()["seq"] == before
    ok = runner.invoke(cli, ["--archive", str(archive.root), "export", KEY, "--bagit", str(dest), "--reveal",
                             "--reason", WHY])
    assert ok.exit_code == 0, ok.output
    assert archive.journal.last()["detail"]["why"] == WHY
    assert "校验通过" in ok.output.replace("\n", "")
    bagit.Bag(str(dest)).validate()
    again = runner.invoke(cli, ["--archive", str(archive.root), "export", KEY, "--bagit", str(dest), "--reveal",
                                "--reason", WHY])
    assert again.exit_code == 1
    assert "不会覆盖" in again.output
    missing = runner.invoke(cli, ["--archive", str(archive.root), "export", KEY])
    assert missing.exit_code == 2
