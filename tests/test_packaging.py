"""A wheel of docgen carries the default templates and the sample archive, and the tour runs from anywhere.

The wheel is built by pip from a copy of the files a build needs (so the
checkout gets no ``build/`` folder), installed without ``-e`` into a fresh
venv, and ``docgen demo`` is run from a folder outside the checkout that has no
``templates/``, no ``records/`` and no ``docgen.toml``.  The installed package
must not see the source tree: it is imported from the new venv, nothing on its
``sys.path`` points at the checkout's ``src/``, and the tour must report the
sample bundled inside the venv.

Third-party dependencies come from this test's own environment through a
``.pth`` line (a path, so the editable install's finder there is not run):
installing them from pip's cache as well takes another half minute and checks
nothing about what the wheel carries (docs/dependencies.md says how to do it
by hand).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# what a build reads (pyproject.toml, setup.py, MANIFEST.in) and what setup.py bundles
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "src", "templates", "records",
                "samples/inbox", "docs")


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and ".docgen" not in p.relative_to(folder).parts}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DOCGEN_", "PYTHON", "VIRTUAL_ENV")) and k != "PIP_REQUIRE_VIRTUALENV"}
    return {**env, "COLUMNS": "160", **extra}


@pytest.mark.slow
def test_wheel_carries_bundled_data_and_the_tour_runs_from_any_folder(tmp_path: Path) -> None:
    # -- build the wheel from a copy of the build inputs ---------------------------------------
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns(".docgen", "__pycache__", "*.pyc", "*.egg-info")
    for name in BUILD_INPUTS:
        source, target = ROOT / name, tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy2(source, target)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(tree)],
                   check=True, cwd=tmp_path, env=_clean_env(), capture_output=True)
    (wheel,) = dist.glob("docgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in ("handover_plan", "handover_notice", "compensation_agreement", "settlement_sheet"):
        assert f"docgen/data/templates/{template}.docx" in names
    data = {n.removeprefix("docgen/data/") for n in names if n.startswith("docgen/data/")}
    assert {f"records/{f}" for f in _files(ROOT / "records")} <= data
    assert {f"samples/inbox/{f}" for f in _files(ROOT / "samples" / "inbox")} <= data
    assert {"synonyms.json", "default_rules.json"} <= data

    # -- install it (not editable) into a fresh venv -------------------------------------------
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=_clean_env())
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, env=_clean_env(), capture_output=True)
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    (purelib / "_docgen_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", "utf-8")
    anywhere = tmp_path / "elsewhere"
    anywhere.mkdir()
    probe = subprocess.run(
        [str(python), "-c", "import sys, docgen; print(docgen.__file__); print('\\n'.join(sys.path))"],
        check=True, capture_output=True, text=True, cwd=anywhere, env=_clean_env(),
    ).stdout.splitlines()
    assert Path(probe[0]).is_relative_to(purelib / "docgen"), probe[0]
    assert not any(p and Path(p).resolve() in (ROOT, ROOT / "src") for p in probe[1:])

    # -- the tour, from a folder with no templates/, records/ or docgen.toml --------------------
    assert not any((d / "docgen.toml").exists() for d in (anywhere, *anywhere.parents))
    run = tmp_path / "x" / "run"
    tour = subprocess.run([str(venv / "bin" / "docgen"), "demo", "--work", str(run), "--no-pdf"],
                          capture_output=True, text=True, cwd=anywhere, env=_clean_env())
    assert tour.returncode == 0, tour.stdout[-3000:] + tour.stderr[-3000:]
    assert "演示完成" in tour.stdout
    assert str(purelib / "docgen" / "data" / "records") in tour.stdout  # the sample bundled in the venv
    # every kind of paperwork was generated from the bundled templates
    kinds = {p.parent.name for p in (run / "output").rglob("*.docx")}
    assert kinds == {"handover_plan", "handover_notice", "area_adjustment", "compensation_agreement",
                     "settlement_sheet"}, kinds
    assert (run / "审计报告.html").is_file()
    assert not (anywhere / "templates").exists() and not (anywhere / "records").exists()


# --- finding the bundled data in a source checkout (the same lookups an installed docgen makes) ------

def test_bundled_folders_are_found_in_the_checkout() -> None:
    from docgen.bundled import SAMPLE_ARCHIVE, SAMPLE_INBOX, TEMPLATES, bundled_path

    assert bundled_path(TEMPLATES) == ROOT / "templates"
    assert bundled_path(SAMPLE_ARCHIVE) == ROOT / "records"
    assert bundled_path(SAMPLE_INBOX) == ROOT / "samples" / "inbox"
    assert bundled_path("no-such-folder") is None


def test_templates_fall_back_to_the_built_in_ones_only_without_a_folder(tmp_path: Path) -> None:
    from docgen.generate.catalog import check_templates, template_path, templates_folder
    from docgen.generate.settings import GenerateSettings

    missing = GenerateSettings(templates=tmp_path / "templates")
    assert templates_folder(missing) == ROOT / "templates"
    assert template_path(missing, "handover_plan") == ROOT / "templates" / "handover_plan.docx"
    assert all(r.ok for r in check_templates(missing))
    # an archive's own folder is used as it is: a template missing there is reported, not replaced
    (tmp_path / "templates").mkdir()
    shutil.copy2(ROOT / "templates" / "handover_plan.docx", tmp_path / "templates")
    own = GenerateSettings(templates=tmp_path / "templates")
    reports = {r.kind: r for r in check_templates(own)}
    assert reports["handover_plan"].ok and reports["handover_plan"].path == tmp_path / "templates" / "handover_plan.docx"
    assert not reports["handover_notice"].exists and "不存在" in reports["handover_notice"].error


def test_the_tour_uses_a_configured_sample_but_never_a_real_archive(tmp_path: Path) -> None:
    from docgen.archive import Archive
    from docgen.demo.tour import find_sample

    # the checkout's sample (a demo archive with its scans beside it)
    assert find_sample(ROOT / "records") == (ROOT / "records", ROOT / "samples" / "inbox")
    # nothing configured, or a real archive configured: the bundled sample
    assert find_sample(tmp_path / "records") == (ROOT / "records", ROOT / "samples" / "inbox")
    Archive.create(tmp_path / "real" / "records", actor="测试员")
    assert find_sample(tmp_path / "real" / "records") == (ROOT / "records", ROOT / "samples" / "inbox")
    # a sample built elsewhere with docgen demo build (no samples/inbox beside it)
    shutil.copytree(ROOT / "records", tmp_path / "mine" / "records", ignore=shutil.ignore_patterns(".docgen"))
    assert find_sample(tmp_path / "mine" / "records") == (tmp_path / "mine" / "records", None)
