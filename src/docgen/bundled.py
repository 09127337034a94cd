"""Files docgen ships beside its code: the default templates, the sample archive and its sample scans.

In the repository they live at the top, where people edit and review them:
``templates/`` (the four .docx templates), ``records/`` (the sample archive),
``samples/inbox/`` (its sample scans) and ``docs/`` (the user guide the web
application's help link shows).  They stay the only source: a wheel
carries copies made when it is built (``setup.py`` copies them to
``docgen/data/`` in the build folder, never into ``src/``), so an installed
docgen finds them without the checkout, and a source or editable install
finds the checkout's own folders.  Nothing is kept twice in the repository,
so nothing can drift.
"""

from __future__ import annotations

from pathlib import Path

#: what is bundled, as a path relative to the checkout and to ``docgen/data/`` in a wheel
TEMPLATES = "templates"
SAMPLE_ARCHIVE = "records"
SAMPLE_INBOX = "samples/inbox"
DOCS = "docs"
"""The documentation, for the web application's help page (the user guide and its screenshots)."""

_PACKAGE = Path(__file__).resolve().parent


def bundled_path(name: str) -> Path | None:
    """Where a bundled folder is: the installed copy (``docgen/data/<name>``), else the checkout's, else None.

    The checkout counts only when this module is imported from its ``src/``
    folder (a source or editable install), so an installed docgen never
    reads a folder that merely happens to sit next to its site-packages.
    """
    installed = _PACKAGE / "data" / name
    if installed.exists():
        return installed
    checkout = _PACKAGE.parent.parent
    if _PACKAGE.parent.name == "src" and (checkout / "pyproject.toml").is_file() and (checkout / name).exists():
        return checkout / name
    return None
