"""The ``docgen`` command group.

Sub-commands are loaded lazily (``COMMANDS`` maps a name to ``module:attr``), so
that ``docgen search`` does not pay for importing OCR, docxtpl and openpyxl:
the search issue's goal is a cold ``docgen search`` in under 1.5 s.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from docgen import __version__
from docgen.cli.common import App, run_guarded
from docgen.cli.zh import localize

# name -> "module:attribute"; each subsystem's commands live in their own module.
COMMANDS: dict[str, str] = {
    "init": "docgen.cli.archive_cmds:init_cmd",
    "project": "docgen.cli.archive_cmds:project",
    "batch": "docgen.cli.archive_cmds:batch",
    "dossier": "docgen.cli.archive_cmds:dossier",
    "document": "docgen.cli.archive_cmds:document",
    "repair": "docgen.cli.case_cmds:repair",
    "complaint": "docgen.cli.case_cmds:complaint",
    "revisit": "docgen.cli.case_cmds:revisit",
    "settlement": "docgen.cli.case_cmds:settlement",
    "cert": "docgen.cli.cert_cmds:cert",
    "journal": "docgen.cli.archive_cmds:journal_cmd",
    "demo": "docgen.cli.demo_cmds:demo",
    "audit": "docgen.cli.audit_cmds:audit_cmd",
    "verify": "docgen.cli.audit_cmds:verify_cmd",
    "accept": "docgen.cli.audit_cmds:accept_cmd",
    "restore": "docgen.cli.audit_cmds:restore_cmd",
    "export": "docgen.cli.audit_cmds:export_cmd",
    "rules": "docgen.cli.audit_cmds:rules_group",
    "report": "docgen.cli.report_cmds:report",
    "generate": "docgen.cli.generate_cmds:generate",
    "templates": "docgen.cli.generate_cmds:templates",
    "ingest": "docgen.cli.ingest_cmds:ingest",
    "watch": "docgen.cli.ingest_cmds:watch",
    "review": "docgen.cli.ingest_cmds:review",
    "cover-sheet": "docgen.cli.ingest_cmds:cover_sheet",
    "search": "docgen.cli.search_cmds:search",
    "index": "docgen.cli.search_cmds:index",
    "user": "docgen.cli.user_cmds:user",
    "serve": "docgen.cli.serve_cmds:serve",
    "worker": "docgen.cli.worker_cmds:worker",
}


class LazyGroup(click.Group):
    """A click group that imports a sub-command's module only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return localize(getattr(importlib.import_module(module_name), attr))

    def invoke(self, ctx: click.Context) -> Any:
        return run_guarded(ctx, lambda: super(LazyGroup, self).invoke(ctx))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="docgen")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="配置文件 docgen.toml 的路径(默认向上查找)。")
@click.option("--archive", "archive_path", type=click.Path(path_type=Path), help="档案库目录(覆盖配置中的 [archive] path)。")
@click.option("--actor", help="记入日志的操作人(默认 DOCGEN_ACTOR 或登录名)。")
@click.option("--debug", is_flag=True, help="出错时显示完整的异常链。")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, archive_path: Path | None, actor: str | None, debug: bool) -> None:
    """docgen:客户服务部业主档案管理与文书生成。

    档案库(records/)是唯一的权威记录;检索索引、报表和生成的文书都由它派生。
    """
    ctx.obj = App(config_path=config_path, archive_path=archive_path, actor=actor, debug=debug)


localize(cli)


def main() -> None:
    """Console entry point."""
    sys.exit(cli.main(prog_name="docgen", standalone_mode=True) or 0)
