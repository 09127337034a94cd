"""Regenerate docs/cli.md from the commands' own --help texts.

    .venv/bin/python scripts/gen_cli_docs.py          # rewrite docs/cli.md
    .venv/bin/python scripts/gen_cli_docs.py --check  # exit 1 if it is out of date

tests/test_cli_docs.py runs the check, so the reference cannot drift from the code.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from docgen.cli.main import cli  # noqa: E402

DOC = ROOT / "docs" / "cli.md"
HEADER = """# docgen command reference

Generated from each command's `--help` by `scripts/gen_cli_docs.py`; do not edit by hand
(`tests/test_cli_docs.py` fails when this file and the code disagree).

"""


def walk(group: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
    """Yield (command path, command) for the group and every sub-command, depth first."""
    yield path, group
    if isinstance(group, click.Group):
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            sub = group.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, [*path, name])


def render() -> str:
    """The whole reference as Markdown."""
    parts = [HEADER]
    runner = CliRunner()
    for path, _cmd in walk(cli, []):
        title = " ".join(["docgen", *path])
        result = runner.invoke(cli, [*path, "--help"], prog_name="docgen", terminal_width=100, env={"COLUMNS": "100"})
        if result.exit_code != 0:
            raise SystemExit(f"{title} --help failed: {result.output}")
        level = "#" * min(2 + len(path), 4)
        parts.append(f"{level} `{title}`\n\n```text\n{result.output.rstrip()}\n```\n\n")
    return "".join(parts)


def main() -> int:
    from generated_doc import write_or_check

    return write_or_check(DOC, render(), "gen_cli_docs.py")


if __name__ == "__main__":
    raise SystemExit(main())
