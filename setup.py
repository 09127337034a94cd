"""Build hook: copy the default templates, the sample archive and its scans into the wheel.

Metadata and everything else are in pyproject.toml; this only adds a step to
``build_py``.  The repository's ``templates/``, ``records/`` and
``samples/inbox/`` stay the one source (people edit and review them there);
the wheel gets copies under ``docgen/data/`` made at build time, in the build
folder only, so there are never two copies in the repository to drift apart.
An editable install needs no copies: ``docgen.bundled`` finds the checkout's
folders (see docs/dependencies.md, "What a wheel carries").
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# folder in the repository -> folder under docgen/data/ in the wheel (mirrors docgen.bundled)
BUNDLED = ("templates", "records", "samples/inbox", "docs")
# never shipped: an archive's lock and staging folder, caches
IGNORE = shutil.ignore_patterns(".docgen", "__pycache__", "*.pyc", ".DS_Store")


class BuildPyWithBundledData(build_py):
    """``build_py`` plus a fresh copy of each bundled folder into ``<build_lib>/docgen/data/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the checkout's folders are found in place (docgen.bundled)
        for name in BUNDLED:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"setup.py: {source} is missing; the wheel must carry it")
            target = Path(self.build_lib) / "docgen" / "data" / name
            shutil.rmtree(target, ignore_errors=True)  # a build folder reused from an earlier build
            shutil.copytree(source, target, ignore=IGNORE)


setup(cmdclass={"build_py": BuildPyWithBundledData})
