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
from docgen.errors import ConflictError, IntegrityError, NotFoundError, UnsafePathError

KEY = "HXSZ/03-2-1204"


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
    result = export_bag(archive, KEY, dest)
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
    export_bag(archive, KEY, dest)
    next((dest / "data/documents").glob("*.pdf")).write_bytes(b"changed")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(dest)).validate()


def test_refuses_non_empty_directory(archive: Archive, tmp_path: Path) -> None:
    dest = tmp_path / "bag"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine", "utf-8")
    with pytest.raises(ConflictError, match="不会覆盖"):
        export_bag(archive, KEY, dest)
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def test_empty_existing_directory_is_fine(archive: Archive, tmp_path: Path) -> None:
    dest = tmp_path / "bag"
    dest.mkdir()
    export_bag(archive, KEY, dest)
    bagit.Bag(str(dest)).validate()


def test_refuses_damaged_dossier_and_writes_nothing(archive: Archive, tmp_path: Path) -> None:
    d = archive.dossier(KEY)
    archive.document_path(d, d.documents[1]).write_bytes(b"damaged")
    dest = tmp_path / "bag"
    with pytest.raises(IntegrityError, match="sha256"):
        export_bag(archive, KEY, dest)
    assert not dest.exists()


def test_unknown_and_unsafe_dossier(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        export_bag(archive, "HXSZ/09-9-0909", tmp_path / "a")
    with pytest.raises(UnsafePathError):
        export_bag(archive, "HXSZ/../../etc", tmp_path / "b")


def test_cli_export(archive: Archive, tmp_path: Path) -> None:
    runner = CliRunner()
    dest = tmp_path / "cli-bag"
    ok = runner.invoke(cli, ["--archive", str(archive.root), "export", KEY, "--bagit", str(dest)])
    assert ok.exit_code == 0, ok.output
    assert "校验通过" in ok.output.replace("\n", "")
    bagit.Bag(str(dest)).validate()
    again = runner.invoke(cli, ["--archive", str(archive.root), "export", KEY, "--bagit", str(dest)])
    assert again.exit_code == 1
    assert "不会覆盖" in again.output
    missing = runner.invoke(cli, ["--archive", str(archive.root), "export", KEY])
    assert missing.exit_code == 2
