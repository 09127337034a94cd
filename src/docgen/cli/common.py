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
from docgen.errors import DocgenError

T = TypeVar("T")


@dataclass
class App:
    """What every command needs: configuration and the archive, loaded on first use."""

    config_path: Path | None = None
    archive_path: Path | None = None
    actor: str | None = None
    debug: bool = False
    _config: Config | None = field(default=None, repr=False)
    _archive: Any = field(default=None, repr=False)

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
    def archive(self) -> Any:
        """The opened archive; changes made through it mark the search index for a refresh."""
        if self._archive is None:
            self._archive = self.config.open_archive()
            self._archive.listeners.append(self._note_change)
        return self._archive

    _changed: bool = field(default=False, repr=False)

    def _note_change(self, _entry: Any) -> None:
        self._changed = True

    def refresh_index(self) -> None:
        """After a command changed the archive, bring an existing search index up to date.

        Ingest, generation and edits all end here, so a search from another
        process finds the change at once.  A missing index is left to
        ``docgen index rebuild`` (or the first search); a busy index writer is
        not waited for long: the journal tells the next update what to index.
        """
        if not self._changed:
            return
        self._changed = False
        index = Path(self.config.search.index_path)
        if not (index / "CURRENT").exists():
            return
        from docgen.search.api import refresh

        try:
            refresh(self.archive, self.config.search, timeout=2.0)
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


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """Parse ``field=value`` arguments; a malformed one is a usage error."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise click.UsageError(f"{item!r} 应写成 字段=值")
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
