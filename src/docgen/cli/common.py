"""Shared CLI plumbing: the App context, error mapping, and output helpers.

Errors are converted here and only here: a ``DocgenError`` prints ``错误:…``
and exits with its ``exit_code`` (1 for something the user can fix, 2 for bad
usage).  ``--debug`` shows the whole chain of causes.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from docgen.config import Config, load_config
from docgen.errors import DocgenError, UsageError, quote_input

T = TypeVar("T")


@dataclass
class App:
    """What every command needs: the configuration and a core session acting as the operator, made on first use.

    A CLI run is one :class:`~docgen.session.Session` (the local operator,
    every project); commands call core services with it and render the result.
    """

    config_path: Path | None = None
    archive_path: Path | None = None
    actor: str | None = None
    debug: bool = False
    _config: Config | None = field(default=None, repr=False)
    _session: Any = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        """The configuration (flags over environment over file over defaults)."""
        if self._config is None:
            overrides: dict[tuple[str, str], Any] = {
                ("archive", "path"): str(self.archive_path) if self.archive_path else None,
                ("archive", "actor"): self.actor,
            }
            self._config = load_config(self.config_path, overrides)
        return self._config

    @property
    def session(self) -> Any:
        """The core session for this run: the archive acting as the operator (the journal names them)."""
        if self._session is None:
            from docgen.session import User, Workspace

            workspace = Workspace(self.config)
            self._session = workspace.session(User(workspace.archive.actor, "operator"))
        return self._session

    @property
    def role(self) -> str:
        """The role of whoever runs the command: the local operator (docgen.permissions, docgen.privacy.ROLES)."""
        return "operator"

    @property
    def archive(self) -> Any:
        """The opened archive (acting as the operator); changes through it mark the search index for a refresh."""
        return self.session.archive

    def refresh_index(self) -> None:
        """After a command changed the archive, bring an existing search index up to date.

        Ingest, generation and edits all end here, so a search from another
        process finds the change at once.  A missing index is left to
        ``docgen index rebuild`` (or the first search); a busy index writer is
        not waited for long: the journal tells the next update what to index.
        """
        if self._session is None:
            return
        try:
            self._session.refresh_index(timeout=2.0)
        except DocgenError as exc:
            click.echo(f"注意:检索索引未能更新({exc});下次检索或 docgen index update 时会补上。", err=True)


pass_app = click.make_pass_decorator(App)

_console: Console | None = None


def console() -> Console:
    """The rich console for stdout (created lazily; plain when not a terminal)."""
    global _console
    if _console is None:
        width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "160"))
        _console = Console(highlight=False, soft_wrap=True, width=width)
    return _console


def err_console() -> Console:
    """A rich console for stderr."""
    return Console(stderr=True, highlight=False)


def run_guarded(ctx: click.Context, fn: Callable[[], T]) -> T:
    """Run a command, turning DocgenError into a message and exit code; then refresh the index."""

    def app() -> App | None:  # ctx.obj is set by the group's callback, inside fn()
        return ctx.obj if isinstance(ctx.obj, App) else None

    try:
        result = fn()
        if (a := app()) is not None:
            a.refresh_index()
        return result
    except SystemExit:
        if (a := app()) is not None:
            a.refresh_index()
        raise
    except DocgenError as exc:
        if (a := app()) is not None and a.debug:
            traceback.print_exc()
        click.echo(f"错误:{exc}", err=True)
        ctx.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("已中断。", err=True)
        ctx.exit(130)
    raise AssertionError("unreachable")


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    raise TypeError(type(obj).__name__)


def emit_json(data: Any) -> None:
    """Print data as JSON (UTF-8, Chinese as itself) for scripts."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a table of rows to the terminal."""
    t = Table(title=title, show_lines=False, header_style="bold")
    for col in columns:
        t.add_column(col, overflow="fold")
    for row in rows:
        t.add_row(*["" if v is None else str(v) for v in row])
    console().print(t)


def kv(pairs: Sequence[tuple[str, Any]]) -> None:
    """Print label: value lines aligned."""
    width = max((len(k) for k, _ in pairs), default=0)
    for k, v in pairs:
        pad = " " * (width - len(k)) * 2
        console().print(f"[bold]{k}[/bold]{pad}  {'' if v is None else v}")


class DateParam(click.ParamType):
    """A ``YYYY-MM-DD`` option whose errors say whether the format is wrong or the day does not exist."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import datetime as dt

        from docgen.dates import parse_date

        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DATE = DateParam()


def reveal_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--reveal`` and ``--reason`` to a command (every reveal says why, and is journaled)."""
    fn = click.option("--reason", metavar="原因", help="为什么需要看未遮蔽的信息(与 --reveal 同用,必填;记入档案日志)。")(fn)
    fn = click.option("--reveal", is_flag=True,
                      help="显示未遮蔽的身份证号码、电话和住址(须用 --reason 说明原因;记入档案日志)。")(fn)
    return fn


def reveal_reason(app: App, reveal: bool, reason: str | None, kind: str = "view") -> str | None:
    """The checked reason when ``--reveal`` was given, None when not; refuse a bad combination before any work."""
    from docgen import privacy

    if not reveal:
        if reason:
            raise UsageError("--reason 只与 --reveal 一起使用(说明为什么要看未遮蔽的信息)")
        return None
    return privacy.check_reveal(app.role, reason, kind)


def shown_where(as_json: bool) -> str:
    """Where a command's output goes, for the reveal journal entry."""
    return "屏幕(JSON 输出)" if as_json else "屏幕"


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """Parse ``field=value`` arguments; a malformed one is a usage error."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise click.UsageError(f"{quote_input(item)}应写成 字段=值")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def fail_if_unreadable(messages: Sequence[str], done: str = "其余记录已处理") -> None:
    """After a command carried on past unreadable records, name each one and exit 1.

    The results for the readable records were already shown; this makes the
    command fail (exit 1) so that a script or scheduler notices.
    """
    if not messages:
        return
    for message in messages:
        click.echo(f"· {message}", err=True)
    raise DocgenError(
        f"有 {len(messages)} 份记录无法读取(见上),{done};请按提示修正这些文件"
        "(docgen verify 可查看它们是否在 docgen 之外被改过,docgen restore 可从备份恢复)"
    )


def output_folder(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """``--out`` of the paperwork commands names a folder: a file name (``x.docx``) is refused, not made a folder."""
    if value is not None and value.suffix.lower() in (".docx", ".doc", ".pdf", ".xlsx", ".wps") and not value.is_dir():
        raise click.BadParameter(f"{value} 像是文件名;--out 应为输出目录(文书按类型放在其下的子目录中)", ctx, param)
    return value
