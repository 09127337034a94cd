"""Checks and masks for the personal and company numbers the archive holds.

Resident ID numbers (居民身份证号码, GB 11643-1999) and unified social credit
codes (统一社会信用代码, GB 32100-2015) are checked with ``python-stdnum``, which
implements both standards and is maintained against the published code lists.
We deliberately do *not* use ``stdnum.cn.ric.validate`` as a whole: it also
rejects numbers whose 6-digit area code is missing from its table, and real
owners born decades ago carry area codes that have since been abolished.  So
the checksum and birth date decide validity; an unknown area code is only a
warning.

Masking (``110105********002X``, ``138****5678``) lives in :mod:`docgen.privacy`,
with the rest of the privacy policy; the names are re-exported here for old callers.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

# re-exported for callers that predate docgen.privacy
from docgen.privacy import mask_address as mask_address
from docgen.privacy import mask_id_number as mask_id_number
from docgen.privacy import mask_phone as mask_phone

_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalize(text: str) -> str:
    """Fold full-width forms (１２０３, ＡＢ) to half-width and strip spaces."""
    return unicodedata.normalize("NFKC", text).strip()


def id_number_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid resident ID number, or ``None`` when it is."""
    number = normalize(value).replace(" ", "").upper()
    if not _ID_RE.match(number):
        return "身份证号码应为 18 位(17 位数字加一位数字或 X)"
    try:
        born = ric.get_birth_date(number)
    except StdnumError:
        return f"身份证号码中的出生日期 {number[6:14]} 不是有效日期"
    if born > date.today() or born.year < 1890:
        return f"身份证号码中的出生日期 {born.isoformat()} 不合理"
    expected = ric.calc_check_digit(number)
    if number[-1] != expected:
        return f"身份证号码校验位错误(按 GB 11643 应为 {expected})"
    return None


def normalize_id_number(value: str) -> str:
    """Return the canonical form (half-width, upper-case X) of an ID number, or raise ValueError."""
    problem = id_number_problem(value)
    if problem:
        raise ValueError(problem)
    return normalize(value).replace(" ", "").upper()


def id_number_area_known(number: str) -> bool:
    """Tell whether the ID number's area code is in stdnum's table (a warning, never an error)."""
    try:
        ric.get_birth_place(number)
    except StdnumError:
        return False
    return True


def credit_code_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid 统一社会信用代码, or ``None``.

    Real data contains bad codes (typed from paper, old registrations), so callers
    report this as a warning, never a rejection.
    """
    code = normalize(value).upper()
    if len(code) != 18:
        return "统一社会信用代码应为 18 位"
    try:
        uscc.validate(code)
    except StdnumError:
        try:
            expected = uscc.calc_check_digit(code[:-1])
        except Exception:
            return "统一社会信用代码含有不允许的字符(不使用 I、O、Z、S、V)"
        return f"统一社会信用代码校验位错误(按 GB 32100 应为 {expected})"
    return None


def phone_problem(value: str) -> str | None:
    """Return why ``value`` is not a mainland mobile or landline number, or ``None``."""
    phone = normalize(value).replace(" ", "")
    if _MOBILE_RE.match(phone) or _LANDLINE_RE.match(phone):
        return None
    return "电话号码应为 11 位手机号(1 开头)或带区号的固定电话(如 010-12345678)"


def normalize_phone(value: str) -> str:
    """Return the canonical phone number (half-width, no spaces), or raise ValueError."""
    problem = phone_problem(value)
    if problem:
        raise ValueError(problem)
    return normalize(value).replace(" ", "")


def id_check_digit(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits (used by the demo generator)."""
    return str(ric.calc_check_digit(first17 + "0"))


def credit_code_check_digit(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters."""
    return str(uscc.calc_check_digit(first17))
