"""click's own words in Chinese: help headings, ``[required]``, usage errors, ``Try … for help``.

Everything a user reads is Chinese, including what click writes itself
(``Usage:``, ``Show this message and exit.``, ``Error: No such option '-o'``).
click marks those texts for translation with gettext: each of its modules does
``from gettext import gettext as _`` (and ``ngettext``) and calls ``_()`` when
it builds a help page or an error.  :func:`install` points those module-level
names at :data:`MESSAGES`, a catalog kept here as data, so no ``.mo`` file,
no locale environment and no change to the process-wide gettext domain are
needed, and other libraries are untouched.  It runs when ``docgen.cli`` is
imported, before any command is defined (``version_option`` translates at
definition time).

A few words are not gettext messages in click: the usage line's
``[OPTIONS]`` and ``COMMAND [ARGS]...`` and the type metavars (``TEXT``,
``INTEGER``).  :func:`localize` sets them on each command when it is loaded,
with a help formatter that aligns columns by display width (a Chinese
character takes two columns of a terminal; click counts one).

``tests/test_cli_zh.py`` checks that every message click marks has a
translation here (so a click upgrade that adds one fails a test rather than
printing English) and walks every command's ``--help`` for English leftovers.
"""

from __future__ import annotations

import importlib
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import click
from click.formatting import HelpFormatter, wrap_text

from docgen.errors import shown

#: click's gettext messages (msgid → Chinese).  Placeholders are kept; one
#: that Chinese does not need (the type name in "not a valid integer") is dropped.
MESSAGES: dict[str, str] = {
    # help pages
    "Usage:": "用法:",
    "Options": "选项",
    "Positional arguments": "参数",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "required": "必填",
    "default: {default}": "默认:{default}",
    "env var: {var}": "环境变量:{var}",
    "(dynamic)": "(动态)",
    "deprecated": "已弃用",
    "Confirm the action without prompting.": "不再询问,直接确认。",
    "Do you want to continue?": "确定继续吗？",
    # usage errors
    "Error: {message}": "错误:{message}",
    "Try '{command} {option}' for help.": "用 “{command} {option}” 查看帮助。",
    "No such option {name!r}.": "没有选项 “{name}”。",
    "No such command {name!r}.": "没有命令 “{name}”。",
    "Missing command.": "缺少子命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数 “{param_name}”。",
    "Invalid value: {message}": "值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Option {name!r} does not take a value.": "选项 “{name}” 后面不能跟值。",
    "Invalid start character for option ({option})": "选项的开头字符无效：“{option}”。",
    "Argument {name!r} takes {nargs} values.": "参数 “{name}” 需要 {nargs} 个值。",
    "Value must be an iterable.": "值应为一组值。",
    "Aborted!": "已中止。",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件 “{filename}”：{message}",
    # values
    "{value!r} is not a valid {number_type}.": "“{value}” 不是有效的数字。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "“{value}” 不是有效的是/否值，可用：{states}",
    "{value!r} is not a valid UUID.": "“{value}” 不是有效的 UUID。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Choice({choices})": "可选值({choices})",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} “{filename}” 不存在。",
    "{name} {filename!r} is a file.": "{name} “{filename}” 是文件，不是目录。",
    "{name} {filename!r} is a directory.": "{name} “{filename}” 是目录，不是文件。",
    "{name} {filename!r} is not readable.": "{name} “{filename}” 不可读。",
    "{name} {filename!r} is not writable.": "{name} “{filename}” 不可写。",
    "{name} {filename!r} is not executable.": "{name} “{filename}” 不可执行。",
    # prompts and the terminal
    "Repeat for confirmation": "请再输入一次确认",
    "Error: The two entered values do not match.": "错误:两次输入不一致。",
    "Error: invalid input": "错误:输入无效。",
    "Press any key to continue...": "按任意键继续……",
    "Unknown color {colour!r}": "未知的颜色 “{colour}”",
    "Unknown standard stream '{name}'": "未知的标准流 “{name}”",
    "d": "天",
    "{editor}: Editing failed": "{editor}：编辑失败",
    "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
    "Windows error: {error}": "Windows 错误：{error}",
    "Couldn't detect Bash version, shell completion is not supported.": "无法确定 Bash 版本，不支持命令补全。",
    "Shell completion is not supported for Bash versions older than 4.4.": "Bash 4.4 以下的版本不支持命令补全。",
    # mistakes in a command's definition (a developer sees these, but in Chinese too)
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": "提醒：命令 “{name}” 已弃用。{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": "提醒：“{name}” 已弃用。{extra_message}",
    "Could not determine name for option with declarations {decls!r}": "无法从声明 “{decls}” 确定选项名",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?": "没有定义选项却给了名称 “{name}”：是要声明参数，还是要写 “--{name}”？",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.": "参数只能有一个声明，却有 {length} 个：{decls}。",
    "Name '{name}' defined twice": "名称 “{name}” 定义了两次",
    "Boolean option {decl!r} cannot use the same flag for true/false.": "开关选项 “{decl}” 的是与否不能用同一个写法。",
}

#: click's ngettext messages, by their singular msgid (Chinese has one form for both).
PLURALS: dict[str, str] = {
    "Got unexpected extra argument ({args})": "多余的参数：{args}。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，却给了 {len} 个。",
    "Did you mean {possibility}?": "（是否想用：{possibilities}？）",
    "Option {name!r} requires an argument.": "选项 “{name}” 后面需要 {nargs} 个值。",
    "{value!r} is not {choice}.": "“{value}” 不是可选值（{choices}）之一。",
    "{value!r} does not match the format {format}.": "“{value}” 不符合格式 {formats}。",
    "{len_type} values are required, but {len_value} was given.": "需要 {len_type} 个值，却给了 {len_value} 个。",
}

#: Metavars of click's built-in types (``--limit INTEGER``), by the type's name.
METAVARS = {
    "text": "文本",
    "integer": "整数",
    "integer range": "整数",
    "float": "数字",
    "float range": "数字",
    "boolean": "是/否",
    "filename": "文件",
    "uuid": "UUID",
}
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."

# click modules that import gettext's functions (``_winconsole`` exists only on Windows)
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils",
                  "shell_completion", "_termui_impl", "_winconsole")


#: Placeholders that hold what the user typed (an option, a value, a file name): shown, never printed raw.
_TYPED = frozenset({"name", "value", "filename", "colour", "option", "param_name"})


class Message(str):
    """A translated click message whose :meth:`format` shows the user's values safely.

    click fills in what was typed with ``.format(name=…, value=…)``; the
    catalog puts those places in Chinese quotation marks (“{value}”), and
    this class passes each typed value through :func:`docgen.errors.shown`,
    so a value with a control character reads ``“1<U+0000>”``, not the
    Python repr ``'1\\x00'`` click would print.
    """

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> str:
        """Fill in the placeholders, the typed ones made visible and cut if very long."""
        safe = {k: shown(v, 60) if k in _TYPED and isinstance(v, str) else v for k, v in kwargs.items()}
        return str.format(self, *args, **safe)


def gettext(message: str) -> str:
    """click's ``_()``: the Chinese for one of its messages (the message itself if unknown)."""
    found = MESSAGES.get(message)
    return Message(found) if found is not None else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """click's ``ngettext()``: Chinese has one form for singular and plural."""
    found = PLURALS.get(singular)
    if found is not None:
        return Message(found)
    return singular if n == 1 else plural


# -- where click quotes names itself ----------------------------------------------------------------
# click builds some parts of its messages outside gettext, with ASCII quotes and
# reprs: the parameter in "Missing option '--reason'." and "Invalid value for
# '--limit'", the suggestions after "No such option", the choices of a Choice.
# These functions build the same parts in Chinese (“--reason”, “a”、“b”) and
# :func:`install` puts them in click's place, as it does with gettext.

def _quote_all(names: Iterable[Any]) -> str:
    return "、".join(f"“{shown(str(n), 60)}”" for n in names)


def error_hint(param: click.Parameter, ctx: click.Context | None) -> str:
    """How a message names a parameter: “--reason” (with its other spellings: “-o” / “--out”), “UNIT”."""
    if isinstance(param, click.Argument):
        name = param.make_metavar(ctx) if ctx is not None else param.human_readable_name
        return f"“{name}”"
    return " / ".join(f"“{x}”" for x in (param.opts or [param.human_readable_name]))


def join_param_hints(param_hint: Sequence[str] | str | None) -> str | None:
    """A parameter hint given as a list of names, quoted the Chinese way; a string is used as it is."""
    if param_hint is not None and not isinstance(param_hint, str):
        return " / ".join(f"“{x}”" for x in param_hint)
    return param_hint


def possibilities(names: list[str]) -> str:
    """``（是否想用：“--limit”、“--to”？）`` after an unknown option or command."""
    text = _quote_all(sorted(names))
    return ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)",
                    len(names)).format(possibility=text, possibilities=text)


def _with_possibilities(self: Any) -> str:
    """An unknown option or command, and what the user may have meant (no space before the Chinese bracket)."""
    return self.message + possibilities(self.possibilities) if self.possibilities else self.message


def missing_message(self: click.MissingParameter) -> str:
    """``缺少选项 “--reason”。`` (click writes ``Missing option '--reason'.``), then what the type adds."""
    hint = self.param_hint if self.param_hint is not None else (
        self.param.get_error_hint(self.ctx) if self.param is not None else None)
    hint = join_param_hints(hint)
    kind = self.param_type or (self.param.param_type_name if self.param is not None else None)
    missing = {"argument": "Missing argument", "option": "Missing option", "parameter": "Missing parameter"}
    text = gettext(missing[kind]) if kind in missing else gettext("Missing {param_type}").format(param_type=kind)
    extra = self.message
    if self.param is not None:
        more = self.param.type.get_missing_message(param=self.param, ctx=self.ctx)
        if more:
            extra = f"{extra}。{more}" if extra else more
    return f"{text} {hint}。{extra}" if hint else f"{text}。{extra}"


def invalid_choice(self: click.Choice, value: Any, ctx: click.Context | None) -> str:
    """``“完成” 不是可选值（“未办理”、“办理中”、“已办结”）之一。``"""
    mapping = getattr(self, "_normalized_mapping", None)
    choices = mapping(ctx=ctx).values() if mapping is not None else self.choices
    text = _quote_all(choices)
    return ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.",
                    len(self.choices)).format(value=str(value), choice=text, choices=text)


def install() -> None:
    """Point click's gettext names at the catalog and its quoting at ours (idempotent; before commands are defined).

    Like the gettext names, the quoting is click's own for the whole process:
    any click program run in it (a worker's) reads the same Chinese.
    """
    for name in _CLICK_MODULES:
        if name == "_winconsole" and sys.platform != "win32":
            continue  # it refuses to import elsewhere
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    exceptions = importlib.import_module("click.exceptions")
    exceptions._join_param_hints = join_param_hints  # type: ignore[attr-defined]
    exceptions._format_possibilities = possibilities  # type: ignore[attr-defined]
    click.Parameter.get_error_hint = error_hint  # type: ignore[method-assign,assignment]
    click.Argument.get_error_hint = error_hint  # type: ignore[method-assign,assignment]
    click.MissingParameter.format_message = missing_message  # type: ignore[method-assign]
    click.NoSuchOption.format_message = _with_possibilities  # type: ignore[method-assign]
    no_such_command = getattr(exceptions, "NoSuchCommand", None)  # click 8.4 and later
    if no_such_command is not None:
        no_such_command.format_message = _with_possibilities
    if hasattr(click.Choice, "get_invalid_choice_message"):  # click 8.2 and later
        click.Choice.get_invalid_choice_message = invalid_choice  # type: ignore[method-assign]


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for wide (CJK) characters, one for the rest."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in click.unstyle(text))


class ZhHelpFormatter(HelpFormatter):
    """click's help formatter, with definition lists aligned by display width."""

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        """Write option/command rows in two aligned columns (a long first column gets its own line)."""
        rows = list(rows)
        first_col = min(max((display_width(r[0]) for r in rows), default=0), col_max) + col_spacing
        for row in rows:
            first, second = row[0], row[1] if len(row) > 1 else ""
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            width = display_width(first)
            if width <= first_col - col_spacing:
                self.write(" " * (first_col - width))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_text(second, max(self.width - first_col - 2, 10), preserve_paragraphs=True).splitlines()
            self.write(f"{lines[0] if lines else ''}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class ZhContext(click.Context):
    """A click context whose help pages use :class:`ZhHelpFormatter`."""

    formatter_class = ZhHelpFormatter


def localize(command: Any) -> Any:
    """Set the usage line's words and the type metavars of a command and its sub-commands to Chinese.

    Idempotent and cheap (a flag on the command); returns the command.
    """
    if not isinstance(command, click.Command) or getattr(command, "_docgen_zh", False):
        return command
    command._docgen_zh = True  # type: ignore[attr-defined]
    command.context_class = ZhContext
    if command.options_metavar == "[OPTIONS]":
        command.options_metavar = OPTIONS_METAVAR
    for param in command.params:
        if isinstance(param, click.Option) and param.metavar is None and not param.is_flag and not param.count:
            word = METAVARS.get(param.type.name)  # built-in types whose metavar is their English name
            if word is not None:
                param.metavar = word + ("..." if param.nargs != 1 else "")
    if isinstance(command, click.Group):
        if command.subcommand_metavar == "COMMAND [ARGS]...":
            command.subcommand_metavar = SUBCOMMAND_METAVAR
        for sub in command.commands.values():
            localize(sub)
    return command
