"""Near-synonyms for search (同义词): a table kept as data, expanded when a query is read.

Why: the same defect is written several ways (漏水 / 渗水 / 渗漏, 空鼓 / 起鼓)
by clerks, contractors and owners, and the index holds what each paper says.
A query term that is (or contains) a word of a group is therefore read as an
``Or`` of the term and its variants with that word swapped for each other word
of the group (``卫生间漏水`` → also ``卫生间渗水``, ``卫生间渗漏``).  Expansion
happens at query time, so editing the table never needs a rebuild of the index.

The built-in table is ``docgen/data/synonyms.json``.  ``[search] synonyms`` in
``docgen.toml`` names a table of the archive's own (same format), which adds
its groups to the built-in ones, or with ``"builtin": false`` replaces them.
Groups that share a word are one group (so adding ``["漏水", "漏雨"]`` puts 漏雨
into the built-in 漏水 group).  A quoted phrase is never expanded: quoting
searches the words exactly as typed.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from docgen.errors import ConfigError, quote_input
from docgen.search.text import fold

BUILTIN = "docgen/data/synonyms.json"
#: at most this many variants of one query term (its own form included): a term holding
#: several synonyms would otherwise multiply them
MAX_VARIANTS = 12
_KEYS = frozenset({"说明", "groups", "builtin"})


@dataclass(frozen=True)
class SynonymTable:
    """Groups of words that find each other; ``source`` says where the table came from."""

    groups: tuple[tuple[str, ...], ...] = ()
    source: str = ""
    _group_of: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, groups: list[list[str]], source: str = "") -> SynonymTable:
        """A table from groups of folded words; groups sharing a word are merged (in first-seen order)."""
        merged: list[list[str]] = []
        for group in groups:
            into = [g for g in merged if any(w in g for w in group)]
            target: list[str] = into[0] if into else []
            if not into:
                merged.append(target)
            for other in into[1:]:
                target.extend(w for w in other if w not in target)
                merged.remove(other)
            target.extend(w for w in group if w not in target)
        frozen = tuple(tuple(g) for g in merged if len(g) > 1)
        group_of = {w: g for g in frozen for w in g}
        words = sorted(group_of, key=len, reverse=True)  # longest first: 渗漏水 before 渗漏
        pattern = re.compile("|".join(re.escape(w) for w in words)) if words else None
        return cls(frozen, source, group_of, pattern)

    def variants(self, literal: str) -> list[str]:
        """``literal`` first, then each form with its synonyms swapped (at most :data:`MAX_VARIANTS` in all)."""
        if self._pattern is None:
            return [literal]
        found = list(self._pattern.finditer(literal))
        if not found:
            return [literal]
        choices = [self._group_of[m.group(0)] for m in found]
        out = [literal]
        for combo in itertools.product(*choices):
            pieces: list[str] = []
            last = 0
            for m, word in zip(found, combo, strict=True):
                pieces += [literal[last : m.start()], word]
                last = m.end()
            variant = "".join([*pieces, literal[last:]])
            if variant not in out:
                out.append(variant)
                if len(out) >= MAX_VARIANTS:
                    break
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON form (where the table came from and its groups)."""
        return {"source": self.source, "groups": [list(g) for g in self.groups]}


def _groups(raw: Any, where: str) -> tuple[list[list[str]], bool]:
    """Check one table's JSON and return its folded groups and its ``builtin`` flag."""
    if not isinstance(raw, dict):
        raise ConfigError(f"同义词表 {where} 应为一个 JSON 对象,如 {{\"groups\": [[\"漏水\", \"渗水\"]]}}")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f"同义词表 {where} 中有未知的项 {'、'.join(unknown)}(可用:groups、builtin、说明)")
    builtin = raw.get("builtin", True)
    if not isinstance(builtin, bool):
        raise ConfigError(f"同义词表 {where}:builtin 应为 true 或 false")
    groups = raw.get("groups", [])
    if not isinstance(groups, list):
        raise ConfigError(f"同义词表 {where}:groups 应为词组的列表,如 [[\"漏水\", \"渗水\"]]")
    out: list[list[str]] = []
    for n, group in enumerate(groups, start=1):
        if not isinstance(group, list) or not all(isinstance(w, str) for w in group):
            raise ConfigError(f"同义词表 {where}:第 {n} 组应为词的列表,如 [\"漏水\", \"渗水\"]")
        words: list[str] = []
        for word in group:
            folded = fold(word)
            if len(folded) < 2 or " " in folded:
                # a one-character word would be swapped inside every term that holds that character
                raise ConfigError(f"同义词表 {where}:第 {n} 组的{quote_input(word)}不可用(每个词至少两个字,且不含空格)")
            if folded not in words:
                words.append(folded)
        if len(words) < 2:
            raise ConfigError(f"同义词表 {where}:第 {n} 组至少要有两个不同的词")
        out.append(words)
    return out, builtin


def _read(data: bytes, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"同义词表 {where} 不是有效的 JSON(UTF-8):{exc}") from exc


@functools.lru_cache(maxsize=1)
def builtin_table() -> SynonymTable:
    """The table shipped with docgen (``docgen/data/synonyms.json``)."""
    data = resources.files("docgen").joinpath("data/synonyms.json").read_bytes()
    groups, _ = _groups(_read(data, "(内置)"), "(内置)")
    return SynonymTable.of(groups, BUILTIN)


def load_synonyms(path: Path | None) -> SynonymTable:
    """The table in force: the built-in one, plus (or, with ``"builtin": false``, instead) the file at ``path``.

    Re-read only when the file changes (its size and modification time), so a
    warm engine picks up an edited table without a restart.
    """
    if path is None:
        return builtin_table()
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise ConfigError(f"同义词表 {path} 不存在(docgen.toml 中 [search] synonyms 指定的文件)") from exc
    except OSError as exc:
        raise ConfigError(f"同义词表 {path} 无法读取:{exc.strerror or exc}") from exc
    return _load_file(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _load_file(path: Path, mtime_ns: int, size: int) -> SynonymTable:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"同义词表 {path} 无法读取:{exc.strerror or exc}") from exc
    groups, builtin = _groups(_read(data, str(path)), str(path))
    if builtin:
        base = builtin_table()
        return SynonymTable.of([list(g) for g in base.groups] + groups, f"{BUILTIN} + {path}")
    return SynonymTable.of(groups, str(path))
