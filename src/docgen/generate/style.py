"""House style of the documents: full-width punctuation in Chinese text, no internal words.

Formal Chinese documents use full-width ``，：；（）`` in running text (and 《》
for titles); numbers, dates, times and codes keep their half-width ``09:00``,
``12,000.00``, ``HXSZ-HT-2024-0002``.  The rule a machine can check without
false alarms: a half-width ``,:;()`` **next to a Chinese character** is wrong.

:func:`template_style_problems` is part of ``docgen templates check``: it reads
the literal text of a template's paragraphs (body, headers, footers), leaves
out what is inside Jinja tags (``{{ … }}``, ``{% … %}``), and lists each
half-width mark next to Chinese, and the software's name, which has no place
in a document addressed to an owner or an authority.  So a template edited in
Word keeps the house style.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree

HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）"}
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff5e《》“”‘’、—…]")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: Words that must not appear in a document addressed to an owner or an authority.
SOFTWARE_NAMES = ("docgen",)


def is_cjk(ch: str) -> bool:
    """True for a Chinese character or full-width punctuation."""
    return bool(ch) and _CJK.match(ch) is not None


def halfwidth_marks(text: str) -> list[tuple[int, str]]:
    """(position, mark) of each half-width ``,:;()`` that touches a Chinese character in ``text``."""
    found = []
    for i, ch in enumerate(text):
        if ch in HALF_TO_FULL:
            before = text[i - 1] if i else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            if is_cjk(before) or is_cjk(after):
                found.append((i, ch))
    return found


def _snippet(text: str, i: int, width: int = 8) -> str:
    return text[max(0, i - width): i + width + 1].replace("\x00", "…").strip()


def text_style_problems(text: str) -> list[str]:
    """Each half-width mark next to Chinese in ``text``, as a Chinese sentence with its context."""
    return [f"「{_snippet(text, i)}」中的半角「{ch}」应为全角「{HALF_TO_FULL[ch]}」" for i, ch in halfwidth_marks(text)]


def _paragraph_texts(xml: bytes) -> list[str]:
    root = etree.fromstring(xml)
    return ["".join(t.text or "" for t in p.iter(f"{_W}t")) for p in root.iter(f"{_W}p")]


def template_style_problems(path: Path) -> list[str]:
    """House-style problems in a template's literal text (outside Jinja tags), each naming the part and text."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as package:
        parts = sorted(n for n in package.namelist()
                       if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n))
        for name in parts:
            where = "正文" if name == "word/document.xml" else "页眉" if "header" in name else "页脚"
            for text in _paragraph_texts(package.read(name)):
                literal = _TAG.sub("\x00", text)  # a field is neither Chinese nor punctuation
                problems += [f"{where}:{p}" for p in text_style_problems(literal)]
                lowered = literal.lower()
                for word in SOFTWARE_NAMES:
                    if word in lowered:
                        problems.append(f"{where}:「{_snippet(literal, lowered.index(word))}」含有软件名称 {word},"
                                        "发给业主或主管部门的文书中不应出现")
    return problems


__all__ = ["HALF_TO_FULL", "halfwidth_marks", "is_cjk", "template_style_problems", "text_style_problems"]
