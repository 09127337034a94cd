"""Fake people for the sample archive: names, resident ID numbers, phones and addresses.

Everything is drawn from a ``random.Random`` the caller seeds, so a seed gives
the same people on every machine.  We use our own short lists rather than
Faker's zh_CN provider: Faker's lists and its random draws change between
releases, which would silently change a committed sample archive, and
Faker's ``ssn()`` is often not a valid GB 11643 number anyway.  The lists
follow the real distribution loosely: common single surnames dominate, a few
compound surnames (欧阳, 司马, 上官, 诸葛) appear, and about a quarter of given
names have one character (so two-character full names like 张伟 are common).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from docgen.idnumbers import id_check_digit

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙")
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强文斌婷玉兰宇浩然子涵梓萱欣怡雨轩思远俊杰佳琪"
    "晨曦嘉怡一鸣海燕春梅红梅丽娟永刚国庆立新小红晓东晓燕新华少华德明振华金凤丹丹倩倩慧敏博文昊天诗涵若曦"
)
GIVEN_SINGLE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华婷宇浩鹏辉玲斌波峰琳颖晶健雪梅彬蕾"

# Real 6-digit administrative codes (GB/T 2260) around the two sample projects and beyond.
AREA_CODES = (
    ("350102", "福建省福州市鼓楼区"),
    ("350103", "福建省福州市台江区"),
    ("350104", "福建省福州市仓山区"),
    ("350105", "福建省福州市马尾区"),
    ("350111", "福建省福州市晋安区"),
    ("350121", "福建省闽侯县"),
    ("350181", "福建省福清市"),
    ("350203", "福建省厦门市思明区"),
    ("350205", "福建省厦门市海沧区"),
    ("350206", "福建省厦门市湖里区"),
    ("350211", "福建省厦门市集美区"),
    ("350212", "福建省厦门市同安区"),
    ("350582", "福建省晋江市"),
    ("350602", "福建省漳州市芗城区"),
    ("350702", "福建省南平市延平区"),
    ("360102", "江西省南昌市东湖区"),
    ("330106", "浙江省杭州市西湖区"),
    ("440304", "广东省深圳市福田区"),
    ("110105", "北京市朝阳区"),
    ("310115", "上海市浦东新区"),
)
STREETS = ("五四路", "东街", "湖东路", "杨桥中路", "工业路", "六一北路", "湖滨南路", "嘉禾路", "鹭江道", "海沧大道", "金山大道", "福新中路")
MOBILE_PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "152", "158", "159", "186", "187", "188", "189", "177", "180", "181", "133", "153", "199")


@dataclass(frozen=True, slots=True)
class Person:
    """A fake person: name, ID number (valid checksum), phone, home address, sex, birth date."""

    name: str
    id_number: str
    phone: str
    address: str
    male: bool
    birth: dt.date


def make_name(rng: random.Random) -> str:
    """A plausible Chinese full name: 2 to 4 characters, sometimes a compound surname."""
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.03 else rng.choice(SURNAMES)
    if rng.random() < 0.27:
        given = rng.choice(GIVEN_SINGLE)
    else:
        given = rng.choice(GIVEN_CHARS) + rng.choice(GIVEN_CHARS)
    return surname + given


def make_id_number(rng: random.Random, birth: dt.date, male: bool, area: str) -> str:
    """A resident ID number with a valid GB 11643 check character."""
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


def make_phone(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def make_person(rng: random.Random, *, born_between: tuple[int, int] = (1958, 1998)) -> Person:
    """A fake adult owner."""
    male = rng.random() < 0.5
    year = rng.randint(*born_between)
    birth = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    area, place = rng.choice(AREA_CODES)
    address = f"{place}{rng.choice(STREETS)}{rng.randint(1, 399)}号{rng.randint(1, 30)}{rng.randint(1, 4):02d}室"
    return Person(
        name=make_name(rng),
        id_number=make_id_number(rng, birth, male, area),
        phone=make_phone(rng),
        address=address,
        male=male,
        birth=birth,
    )


STAFF = ("陈晓燕", "林志强", "黄丽娟", "郑海峰", "吴敏", "刘婷", "王磊", "张静")
"""客服专员 / 客服主管 who take calls and run revisits (fake)."""

MANAGERS = {"经办人": "陈晓燕", "客户服务部负责人": "周建华", "分管领导": "李国栋", "总经理": "方宏伟"}
CONTRACTORS = ("福建省建工集团有限公司", "福州恒顺防水工程有限公司", "厦门鑫达建筑维修有限公司", "福州安居水电安装有限公司", "福建美家门窗有限公司")
