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
from collections.abc import Iterable
from typing import Any

import click
from click.formatting import HelpFormatter, wrap_text

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
    "Do you want to continue?": "确定继续吗?",
    # usage errors
    "Error: {message}": "错误:{message}",
    "Try '{command} {option}' for help.": "用 '{command} {option}' 查看帮助。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Missing command.": "缺少子命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数:{param_name}",
    "Invalid value: {message}": "值无效:{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效:{message}",
    "Option {name!r} does not take a value.": "选项 {name!r} 后面不能跟值。",
    "Invalid start character for option ({option})": "选项的开头字符无效({option})",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Value must be an iterable.": "值应为一组值。",
    "Aborted!": "已中止。",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}:{message}",
    # values
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的数字。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是有效的是/否值,可用:{states}",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "Choose from:\n\t{choices}": "可选:\n\t{choices}",
    "Choice({choices})": "可选值({choices})",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件,不是目录。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录,不是文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    # prompts and the terminal
    "Repeat for confirmation": "请再输入一次确认",
    "Error: The two entered values do not match.": "错误:两次输入不一致。",
    "Error: invalid input": "错误:输入无效",
    "Press any key to continue...": "按任意键继续……",
    "Unknown color {colour!r}": "未知的颜色 {colour!r}",
    "Unknown standard stream '{name}'": "未知的标准流 '{name}'",
    "d": "天",
    "{editor}: Editing failed": "{editor}:编辑失败",
    "{editor}: Editing failed: {e}": "{editor}:编辑失败:{e}",
    "Windows error: {error}": "Windows 错误:{error}",
    "Couldn't detect Bash version, shell completion is not supported.": "无法确定 Bash 版本,不支持命令补全。",
    "Shell completion is not supported for Bash versions older than 4.4.": "Bash 4.4 以下的版本不支持命令补全。",
    # mistakes in a command's definition (a developer sees these, but in Chinese too)
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": "提醒:命令 {name!r} 已弃用。{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": "提醒:{name!r} 已弃用。{extra_message}",
    "Could not determine name for option with declarations {decls!r}": "无法从声明 {decls!r} 确定选项名",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?": "没有定义选项却给了名称({name}):是要声明参数,还是要写 '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.": "参数只能有一个声明,却有 {length} 个:{decls}。",
    "Name '{name}' defined twice": "名称 '{name}' 定义了两次",
    "Boolean option {decl!r} cannot use the same flag for true/false.": "开关选项 {decl!r} 的是与否不能用同一个写法。",
}

#: click's ngettext messages, by their singular msgid (Chinese has one form for both).
PLURALS: dict[str, str] = {
    "Got unexpected extra argument ({args})": "多余的参数({args})",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值,却给了 {len} 个。",
    "Did you mean {possibility}?": "(是否想用:{possibilities}?)",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面需要 {nargs} 个值。",
    "{value!r} is not {choice}.": "{value!r} 不是可选值({choices})之一。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {formats}。",
    "{len_type} values are required, but {len_value} was given.": "需要 {len_type} 个值,却给了 {len_value} 个。",
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


def gettext(message: str) -> str:
    """click's ``_()``: the Chinese for one of its messages (the message itself if unknown)."""
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """click's ``ngettext()``: Chinese has one form for singular and plural."""
    found = PLURALS.get(singular)
    if found is not None:
        return found
    return singular if n == 1 else plural


def install() -> None:
    """Point click's gettext names at the catalog (idempotent; call before commands are defined)."""
    for name in _CLICK_MODULES:
        if name == "_winconsole" and sys.platform != "win32":
            continue  # it refuses to import elsewhere
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


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
