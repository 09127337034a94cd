"""One privacy policy: what a role may see of personal data, the masking, and the journaled reveal.

The department works under PIPL (个人信息保护法): resident ID numbers, phone
numbers and addresses are shown masked (``350102********1234``,
``138****5678``, ``福州市鼓楼区****``) unless someone deliberately reveals
them, and every reveal is journaled with **who** (the archive's acting user),
**what** was shown, **why** (a reason the person types) and **where** it went
(the screen, a file, a bag, a generated document).  Every place that shows
personal data asks this module: dossier views, search (snippets, titles,
queries that contain a full number), document text, generated paperwork and
exports.  So the CLI today and a web application tomorrow cannot disagree.

Masking of free text keeps its length (``mask_text``), so the highlight
offsets of a search snippet stay valid.

Roles: today the only caller is the person at the terminal (role ``cli``),
who may reveal anything, with a reason, journaled.  :data:`ROLES` is the table
the multi-user issue fills in; :func:`may_reveal` is the one question asked
everywhere, never a check sprinkled in a view.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from docgen.errors import DocgenError, UsageError, quote_input
from docgen.permissions import ROLE_LABELS

if TYPE_CHECKING:
    from docgen.archive.store import Archive

# --- the policy ----------------------------------------------------------------------

#: What a reveal is for: looking at it (screen, JSON), making a file that leaves
#: docgen (a BagIt bag, a search export), or generating paperwork with it.
VIEW, EXPORT, GENERATE = "view", "export", "generate"
KIND_LABELS = {VIEW: "查看", EXPORT: "导出", GENERATE: "生成文书"}


@dataclass(frozen=True, slots=True)
class Role:
    """A kind of user, and which kinds of reveal the policy allows them (always journaled)."""

    label: str
    reveals: frozenset[str]


#: Who may reveal what, by the roles of :mod:`docgen.permissions` (the role
#: table's ``reveal`` permission is exactly "may reveal for viewing" here; a
#: test holds the two together).  The operator is the person at the archive's
#: own terminal; clerks call owners and prepare agreements but do not send data
#: out; the archivist and the manager hand bags to registry offices and
#: lawyers; an auditor works from masked reports and asks the archivist for a
#: bag; the administrator runs the system and needs no one's ID number.
ROLES: dict[str, Role] = {
    "operator": Role(ROLE_LABELS["operator"], frozenset({VIEW, EXPORT, GENERATE})),
    "archivist": Role(ROLE_LABELS["archivist"], frozenset({VIEW, EXPORT, GENERATE})),
    "manager": Role(ROLE_LABELS["manager"], frozenset({VIEW, EXPORT, GENERATE})),
    "staff": Role(ROLE_LABELS["staff"], frozenset({VIEW, GENERATE})),
    "auditor": Role(ROLE_LABELS["auditor"], frozenset()),
    "admin": Role(ROLE_LABELS["admin"], frozenset()),
}
DEFAULT_ROLE = "operator"
HOW = '--reveal --reason "原因"'  # how a CLI user asks for a reveal, for sentences such as 须加 …
ASK_CLI = f"请用 {HOW} 写明"
"""Where a CLI user writes the reason; each caller passes its own clause (the web: 请在“理由”一栏写明)."""
REASON_MIN = 2
"""The shortest reason a reveal accepts, for every caller (the web form's ``minlength`` too): one character says nothing."""
REASON_MAX = 200
REASON_EXAMPLE = "业主来电核对产权证办理进度"
ACTION = "privacy.reveal"


class RevealRefused(DocgenError):
    """The policy does not let this role reveal personal data this way."""


class ReasonRequired(UsageError):
    """A reveal was asked for without a usable reason (every reveal must say why)."""


def _role(role: str) -> Role:
    try:
        return ROLES[role]
    except KeyError:
        raise DocgenError(f"未知的角色{quote_input(role)}(可用:{'、'.join(ROLES)})") from None


def may_reveal(role: str, kind: str = VIEW) -> bool:
    """Tell whether ``role`` may reveal personal data for ``kind`` (view, export, generate)."""
    return kind in _role(role).reveals


def check_reason(reason: str | None, ask: str = ASK_CLI) -> str:
    """Return the cleaned reason for a reveal, or raise ReasonRequired saying how to give one.

    The rule is the same for every caller (:data:`REASON_MIN` to
    :data:`REASON_MAX` characters, one line); ``ask`` is the caller's own
    clause saying where its user writes the reason (:data:`ASK_CLI`; the web:
    ``请在“理由”一栏写明``; the API: ``请在参数 reason 中写明``), so the message
    reads as a sentence wherever it is shown.
    """
    text = unicodedata.normalize("NFC", reason or "").strip()
    how = f"{ask}为什么要查看(至少 {REASON_MIN} 个字,如“{REASON_EXAMPLE}”)"
    if not text:
        raise ReasonRequired(f"显示未遮蔽的个人信息须说明原因,会记入档案日志:{how}")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):  # U+2028 too: it breaks the journal line
        raise ReasonRequired("原因中不能有换行、制表符或不可见的控制字符")
    if len(text) < REASON_MIN:
        raise ReasonRequired(f"原因{quote_input(text)}太短:{how}")
    if len(text) > REASON_MAX:
        raise ReasonRequired(f"原因过长({len(text)} 个字),请在 {REASON_MAX} 个字以内写明")
    return text


def check_reveal(role: str, reason: str | None, kind: str = VIEW, ask: str = ASK_CLI) -> str:
    """Refuse a reveal before any work is done: the role must be allowed and a reason given."""
    r = _role(role)
    if kind not in r.reveals:
        raise RevealRefused(f"角色「{r.label}」不能{KIND_LABELS[kind]}未遮蔽的个人信息;请联系档案管理员")
    return check_reason(reason, ask)


@dataclass(frozen=True, slots=True)
class Reveal:
    """One journaled reveal: what was shown of whom, why, and where it went."""

    target: str
    what: str
    why: str
    where: str
    kind: str
    role: str
    who: str


def reveal(
    archive: Archive, *, target: str, what: str, why: str | None, where: str, kind: str = VIEW,
    role: str = DEFAULT_ROLE, detail: dict[str, Any] | None = None,
) -> Reveal:
    """Journal one reveal (an entry that writes no file) after checking the policy; return it.

    ``target`` names the record whose data is shown (a dossier key, a batch, a
    project, a document id); ``what`` says which data in words (already masked:
    a query is stored as ``350121********3583``, never in full); ``where`` is
    the screen, a file or a folder.  Call it *before* the data leaves the core:
    if the journal cannot be written, nothing is shown.
    """
    reason = check_reveal(role, why, kind)
    if not target.strip():
        raise DocgenError("内部错误:记入日志的查看对象为空")
    entry_detail: dict[str, Any] = {
        "what": what, "why": reason, "where": where, "kind": kind, "role": role,
        **(detail or {}),
    }
    summary = f"{KIND_LABELS[kind]}未遮蔽的个人信息:{what};原因:{reason};去向:{where}"
    archive.record_access(ACTION, target, summary, entry_detail)
    return Reveal(target, what, reason, where, kind, role, archive.actor)


def target_of(keys: Iterable[str], fallback: str = "全部项目") -> str:
    """The journal target for data of several records: the one key, their one project, or ``fallback``.

    ``keys`` are dossier keys (``HXSZ/03-2-1203``) or project codes.
    """
    distinct = list(dict.fromkeys(k for k in keys if k))
    if len(distinct) == 1:
        return distinct[0]
    projects = {k.split("/", 1)[0] for k in distinct}
    if len(projects) == 1:
        return projects.pop()
    return fallback


def listed(keys: Sequence[str], limit: int = 200) -> dict[str, Any]:
    """Journal detail naming the records shown (at most ``limit`` of them, and how many in all)."""
    distinct = list(dict.fromkeys(keys))
    out: dict[str, Any] = {"records": distinct[:limit], "count": len(distinct)}
    if len(distinct) > limit:
        out["records_truncated"] = True
    return out


# --- masking single values -----------------------------------------------------------------

def mask_id_number(number: str) -> str:
    """Mask an ID number as ``110105********002X`` (keep area code and last four)."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """Mask a phone number as ``138****5678``."""
    digits = phone.replace("-", "")
    if len(digits) < 7:
        return "*" * len(phone)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


ADDRESS_KEEP = 6  # characters of an address left visible: province and city (福建省厦门市)


def mask_address(address: str) -> str:
    """Keep the first six characters of an address (province and city) and hide the rest."""
    if len(address) <= ADDRESS_KEEP:
        return address
    return address[:ADDRESS_KEEP] + "****"


# --- finding and masking personal data in free text ------------------------------------------

# Full-width digits are \d too; a full-width X is folded by nobody before us, so it is listed.
ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXxＸｘ](?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
LANDLINE_RE = re.compile(r"(?<![\d-])0\d{2,3}-\d{7,8}(?!\d)")
# An address after a personal label (住址 on an ID card, 通讯地址 on a form), up to the next
# space, line end or separator.  A bare 地址 is not personal on its own (the developer's
# address follows it in every contract), so it counts only with a personal prefix.
_ADDRESS_LABEL_RE = re.compile(
    r"(?:住址|户籍地址|家庭住址|家庭地址|通讯地址|通信地址|联系地址|现住址|居住地址|送达地址|户籍所在地)"
    r"[ \t\u3000]*[::]?[ \t\u3000]*(?P<a>[^\s,,;;。、|]{2,80})"
)


def find_personal_numbers(text: str) -> list[tuple[int, int, str]]:
    """Spans of ID numbers and phone numbers in ``text``: (start, end, "id"|"phone"), in order."""
    spans: list[tuple[int, int, str]] = [(m.start(), m.end(), "id") for m in ID_RE.finditer(text)]
    taken = [(s, e) for s, e, _ in spans]

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for rx in (MOBILE_RE, LANDLINE_RE):
        for m in rx.finditer(text):
            if free(m.start(), m.end()):
                spans.append((m.start(), m.end(), "phone"))
                taken.append((m.start(), m.end()))
    return sorted(spans)


def find_addresses(text: str, known: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Spans of addresses in ``text``: after a personal label, and every occurrence of a ``known`` one."""
    spans = [(m.start("a"), m.end("a")) for m in _ADDRESS_LABEL_RE.finditer(text)]
    for address in known:
        address = address.strip()
        if len(address) <= ADDRESS_KEEP:
            continue
        start = text.find(address)
        while start >= 0:
            spans.append((start, start + len(address)))
            start = text.find(address, start + 1)
    return sorted(spans)


def mask_span(value: str, kind: str) -> str:
    """Mask an ID number (keep 6 + 4), a phone (keep 3 + 4) or an address (keep 6), same length."""
    if kind == "address":
        return value[:ADDRESS_KEEP] + "*" * max(0, len(value) - ADDRESS_KEEP)
    keep_head, keep_tail = (6, 4) if kind == "id" else (3, 4)
    chars = list(value)
    positions = [i for i, c in enumerate(chars) if c not in "-"]
    for j, i in enumerate(positions):
        if keep_head <= j < len(positions) - keep_tail:
            chars[i] = "*"
    return "".join(chars)


def mask_text(text: str, addresses: Iterable[str] = ()) -> str:
    """Mask every ID number, phone number and address in ``text``, keeping its length.

    ``addresses`` are addresses known to belong to the people concerned (a
    dossier's owners): they are masked wherever they stand, labelled or not.
    """
    if not text:
        return text
    numbers = find_personal_numbers(text)
    places = find_addresses(text, addresses) if ("址" in text or "地" in text or addresses) else []
    if not numbers and not places:
        return text
    out = list(text)
    for start, end in places:
        out[start:end] = list(mask_span(text[start:end], "address"))
    for start, end, kind in numbers:
        out[start:end] = list(mask_span(text[start:end], kind))
    return "".join(out)


def mask_pages(pages: Sequence[str], addresses: Iterable[str] = ()) -> list[str]:
    """Mask each page of a document's text (see :func:`mask_text`)."""
    known = list(addresses)
    return [mask_text(page, known) for page in pages]


#: A run of digits a person may type for a number, grouped by spaces, hyphens or dots (``181 7967 2934``),
#: not part of a code (``DOC-2026-000555``, ``BX-2026-00012``: a letter or hyphen before it, a letter after).
_NUMBER_PROBE_RE = re.compile(r"(?<![A-Za-z0-9\-.])\d(?:[ \-.]?\d)+(?:[ \-.]?[Xx])?(?![A-Za-z0-9])")
_DATE_RE = re.compile(r"\d{4}[\-.]\d{1,2}(?:[\-.]\d{1,2})?")
_UNIT_CODE_RE = re.compile(r"\d{1,3}-\d{1,2}-\d{3,4}")  # 房号 03-2-1203
_COMPACT_DATE_RE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")  # 20260101
#: Digits enough to single out a person: 7 of a phone's 11 (or of an ID's 18) narrow it to a handful.
PROBE_DIGITS = 7


def full_numbers_in(text: str) -> list[str]:
    """The ID and phone numbers a query contains or probes for, masked for the journal (``350121********3583``).

    Searching by a number confirms whose it is, so such a search is a reveal.
    The search engine matches digit pairs and substrings, so a number typed
    with spaces (``181 7967 2934``) or with a digit left off (``1817967293``)
    finds the same person: any run of at least :data:`PROBE_DIGITS` digits,
    however grouped, counts, except a date (``2026-11-16``, ``20261116``), a 房号
    (``03-2-1203``) and the digits of a code (``DOC-2026-000555``,
    ``HXSZ-HT-2024-00005``).  A bare 备案号 such as ``2025000123`` counts too:
    better a reason asked once too often than a number confirmed unasked.
    """
    folded = unicodedata.normalize("NFKC", text)
    found = [(s, e, kind) for s, e, kind in find_personal_numbers(folded)]
    out = [mask_span(folded[s:e], kind) for s, e, kind in found]
    for m in _NUMBER_PROBE_RE.finditer(folded):
        if any(not (m.end() <= a or m.start() >= b) for a, b, _ in found) or _DATE_RE.fullmatch(m.group()) \
                or _UNIT_CODE_RE.fullmatch(m.group()):
            continue
        digits = re.sub(r"[^0-9Xx]", "", m.group())
        if len(digits) >= PROBE_DIGITS and not _COMPACT_DATE_RE.fullmatch(digits):
            out.append(mask_span(digits, "id" if len(digits) > 11 else "phone"))
    return out
