"""Every ``docgen search`` example we show people finds something in the bundled sample archive.

The examples are read from where people read them: ``docgen search --help``,
the README's "Using it" and docs/search.md's "What a user types".  Each runs
through the real CLI against a copy of the sample archive (``records/``) in a
temp folder; the repository's ``records/`` and ``index/`` are never touched.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from docgen.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]


def _command_lines(text: str) -> list[list[str]]:
    """The arguments after ``docgen search`` of each example line in ``text`` (shell comments dropped)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("docgen search "):
            out.append(shlex.split(line, comments=True)[2:])
    return out


def _section(path: Path, heading: str) -> str:
    """The text of a markdown section, up to the next heading of the same or a higher level."""
    text = path.read_text("utf-8")
    level = heading.split(" ")[0]
    start = text.index(heading + "\n")
    rest = text[start + len(heading) + 1 :]
    end = re.search(rf"^#{{1,{len(level)}}} ", rest, flags=re.M)
    return rest[: end.start()] if end else rest


def _help_examples() -> list[list[str]]:
    result = CliRunner().invoke(cli, ["search", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return _command_lines(result.output)


EXAMPLES = {
    "help": _help_examples(),
    "README": _command_lines(_section(ROOT / "README.md", "## Using it")),
    "docs/search.md": _command_lines(_section(ROOT / "docs" / "search.md", "## What a user types")),
}


def test_the_examples_are_found() -> None:
    """The lists are not empty (a changed heading or help layout must not make the test below vacuous)."""
    assert len(EXAMPLES["help"]) >= 5
    assert len(EXAMPLES["README"]) >= 3
    assert len(EXAMPLES["docs/search.md"]) >= 8
    assert ["卫生间", "漏水"] in EXAMPLES["help"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled sample archive with its own config and index (built by the first search)."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(ROOT / "records", root / "records", ignore=shutil.ignore_patterns(".docgen"))
    (root / "docgen.toml").write_text('[archive]\npath = "records"\n[search]\nindex_path = "index"\nprocs = 1\n', "utf-8")
    return root


@pytest.mark.parametrize(("where", "args"), [(w, a) for w, lines in EXAMPLES.items() for a in lines],
                         ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_every_example_finds_something_in_the_sample(sample: Path, tmp_path: Path, where: str, args: list[str]) -> None:
    args = list(args)
    if "--export" in args:  # the file goes to a temp folder, never into the checkout
        i = args.index("--export") + 1
        args[i] = str(tmp_path / args[i])
    if "--json" not in args:
        args.append("--json")
    result = CliRunner().invoke(cli, ["--config", str(sample / "docgen.toml"), "search", *args],
                                env={"DOCGEN_CONFIG": "", "DOCGEN_ARCHIVE": "", "DOCGEN_INDEX": ""})
    assert result.exit_code == 0, f"{where}: docgen search {shlex.join(args)}\n{result.output}"
    data = json.loads(result.output)
    found = data["rows"] if "--export" in args else data["total"]
    assert found > 0, f"{where}: `docgen search {shlex.join(args)}` finds nothing in the sample archive"
