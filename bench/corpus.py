"""Deterministic generator of realistic customer-service documents (Chinese) for the search benchmark.

Each document reads like a page the department files: a title, a header with
project, unit, owner, ID and phone numbers, contract number and dates, then
paragraphs drawn from repair, complaint, handover and contract wording with
components, problems and amounts filled in.  The same seed gives the same texts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰鹏飞宇浩然欣怡梓涵子轩诗琪俊辉海燕晓东春梅雪峰丹凤德福文博雅婷晨阳思远佳琪嘉欣立新永健"
PROJECTS = [("HXSZ", "华轩首座"), ("JYWF", "锦域万方"), ("LHYY", "蓝湖悦园"), ("TXFR", "天玺府邸")]
COMPONENTS = ["卫生间", "厨房", "主卧", "次卧", "客厅", "阳台", "外墙", "屋面", "地下室", "门窗", "入户门", "楼梯间"]
PROBLEMS = [
    "漏水", "渗水", "墙面开裂", "地暖不热", "门窗变形", "瓷砖空鼓", "下水道堵塞", "墙皮脱落",
    "插座无电", "窗户关不严", "防水层破损", "天花板发霉", "地板起拱", "水管爆裂", "暖气片漏水",
]
CAUSES = ["防水层施工不到位", "管道接口松动", "保温层厚度不足", "材料质量问题", "业主自行改造", "热胀冷缩", "排水坡度不够"]
CONTRACTORS = ["福建建工集团", "榕城防水工程有限公司", "闽兴机电安装公司", "宏达装饰工程公司", "海峡暖通设备公司"]
STAFF = ["林晓", "陈静", "黄敏", "郑强", "吴丽", "何军"]

TITLES = {
    "repair_record": "维修记录",
    "complaint_record": "投诉记录",
    "handover_record": "房屋交接书",
    "compensation_agreement": "质量问题赔偿协议",
    "purchase_contract": "商品房买卖合同",
    "revisit_record": "回访记录",
}

SENTENCES = [
    "业主{name}来电反映{comp}{prob},要求尽快安排维修。",
    "经工程部现场核实,{comp}{prob}系{cause}所致,属于保修范围。",
    "维修单位{contractor}已于{date}进场处理,预计三个工作日内完成。",
    "维修完成后业主验收合格,并在维修记录上签字确认。",
    "客服专员{staff}于{date}进行电话回访,业主对处理结果表示满意。",
    "业主认为开发商逾期交房,要求按合同约定支付逾期交房违约金。",
    "根据商品房买卖合同第十二条,出卖人逾期交房的,按日计算违约金,违约金为已付房款的万分之一。",
    "双方经友好协商,甲方一次性补偿乙方人民币{amount}元,乙方不再就{comp}{prob}问题主张其他权利。",
    "本协议一式两份,甲乙双方各执一份,自双方签字盖章之日起生效。",
    "交房时业主对{comp}进行了验收,发现{prob},已登记在整改单中。",
    "物业服务中心已将钥匙{keys}把交付业主,业主签收确认。",
    "房屋实测面积为{area}平方米,与合同约定面积的误差在百分之三以内,按实结算。",
    "业主对首问责任人的处理态度不满意,投诉至客户服务部经理。",
    "客户服务部于{date}组织工程部、物业公司召开协调会,明确整改责任和完成时限。",
    "如业主对维修结果仍有异议,可在收到通知之日起十五日内提出书面意见。",
    "保修期内因房屋质量问题造成业主财产损失的,由出卖人承担赔偿责任。",
    "经复查,{comp}{prob}已彻底解决,业主签字确认并关闭报修单。",
    "本次维修费用共计{amount}元,由责任单位{contractor}承担,从其质保金中扣除。",
    "联系电话{phone},身份证号码{idno},业主地址为{city}市{district}区。",
    "该户位于{project}{unit},合同编号{contract},交付日期为{date}。",
]
CITIES = [("福州", "鼓楼"), ("福州", "仓山"), ("厦门", "思明"), ("泉州", "丰泽")]


@dataclass
class Household:
    """One generated household: project, unit, owner and the numbers on its papers."""

    project: str
    project_name: str
    unit: str
    unit_label: str
    owner: str
    id_number: str
    phone: str
    contract: str


@dataclass
class GenDoc:
    """One generated document: its household, type, date and text."""

    household: Household
    doc_type: str
    date: str
    text: str


def _id_number(rng: random.Random) -> str:
    from stdnum.cn import ric

    area = rng.choice(["350102", "350104", "350203", "350503", "110105", "310104"])
    birth = f"{rng.randint(1955, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first = f"{area}{birth}{rng.randint(0, 999):03d}"
    return first + str(ric.calc_check_digit(first + "0"))


def households(n: int, seed: int = 20261128) -> list[Household]:
    """``n`` households with distinct units; names are 2 or 3 characters."""
    rng = random.Random(seed)
    out: list[Household] = []
    seen: set[tuple[str, str]] = set()
    while len(out) < n:
        code, name = rng.choice(PROJECTS)
        b, u, floor, room = rng.randint(1, 30), rng.randint(1, 4), rng.randint(1, 33), rng.randint(1, 4)
        unit = f"{b:02d}-{u}-{floor:02d}{room:02d}"
        if (code, unit) in seen:
            continue
        seen.add((code, unit))
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        out.append(
            Household(
                project=code,
                project_name=name,
                unit=unit,
                unit_label=f"{b}栋{u}单元{floor:02d}{room:02d}",
                owner=rng.choice(SURNAMES) + given,
                id_number=_id_number(rng),
                phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
                contract=f"{code}-HT-{rng.randint(2019, 2025)}-{len(out) + 1:05d}",
            )
        )
    return out


def document_text(h: Household, doc_type: str, rng: random.Random, size: int = 1600) -> tuple[str, str]:
    """A document of about ``size`` characters for household ``h``; returns (date, text)."""
    year = rng.randint(2021, 2026)
    date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    city, district = rng.choice(CITIES)
    lines = [
        TITLES[doc_type],
        f"项目:{h.project_name}  房号:{h.unit_label}  业主:{h.owner}",
        f"合同编号:{h.contract}  日期:{date}",
    ]
    total = sum(len(x) for x in lines)
    while total < size:
        s = rng.choice(SENTENCES).format(
            name=h.owner if rng.random() < 0.7 else rng.choice(SURNAMES) + rng.choice(GIVEN),
            comp=rng.choice(COMPONENTS),
            prob=rng.choice(PROBLEMS),
            cause=rng.choice(CAUSES),
            contractor=rng.choice(CONTRACTORS),
            staff=rng.choice(STAFF),
            date=f"{year}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
            amount=f"{rng.randint(500, 90000):,}",
            keys=rng.randint(2, 6),
            area=f"{rng.randint(60, 180)}.{rng.randint(0, 99):02d}",
            phone=h.phone,
            idno=h.id_number,
            city=city,
            district=district,
            project=h.project_name,
            unit=h.unit_label,
            contract=h.contract,
        )
        # paragraphs are broken like OCR'd lines sometimes are
        if rng.random() < 0.15:
            cut = rng.randint(1, len(s) - 1)
            s = s[:cut] + "\n" + s[cut:]
        lines.append(s)
        total += len(s)
    return date, "\n".join(lines)


def corpus(n_docs: int, seed: int = 20261128, docs_per_household: int = 4) -> list[GenDoc]:
    """``n_docs`` documents spread over ``n_docs / docs_per_household`` households."""
    rng = random.Random(seed + 1)
    homes = households(max(1, n_docs // docs_per_household), seed)
    types = list(TITLES)
    docs: list[GenDoc] = []
    for i in range(n_docs):
        h = homes[i % len(homes)]
        doc_type = rng.choice(types)
        date, text = document_text(h, doc_type, rng)
        docs.append(GenDoc(h, doc_type, date, text))
    return docs
