"""The words on the sample archive's paper: realistic Chinese text for each document type.

Each function returns pages, each page a list of lines (the first line is the
title), exactly what :func:`docgen.demo.scans.text_pdf`, ``page_image`` and
:func:`docgen.demo.lightpdf.light_pdf` draw and what the ``.txt`` sidecar
stores.  Every household document names the owner(s), the unit in the form
people write it (3栋2单元1203) and the contract number, and every amount is
written in figures and in 大写 (``docgen.money.amount_in_words``): the audit
checks exactly these agreements, so the planted errors are the only ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from docgen.idnumbers import mask_id_number
from docgen.models import Complaint, Dossier, Project, RepairTicket, Revisit, Settlement
from docgen.money import amount_in_words, money_str

Pages = list[list[str]]


def cn_date(day: dt.date | None) -> str:
    """``2026年6月20日``."""
    if day is None:
        return "____年__月__日"
    return f"{day.year}年{day.month}月{day.day}日"


def amount_line(label: str, amount: Decimal, words: str | None = None) -> str:
    """``label:人民币(大写)壹万贰仟元整(小写:¥12000.00元)``; ``words`` overrides the 大写 (planted errors)."""
    big = words if words is not None else amount_in_words(amount, prefix=False)
    return f"{label}:人民币(大写){big}(小写:¥{money_str(amount)}元)"


@dataclass(slots=True)
class Ctx:
    """What a household document needs to know besides the dossier."""

    project: Project
    dossier: Dossier
    phase: str
    handover_venue: str = ""
    company_seal: str = ""

    @property
    def developer(self) -> str:
        return self.project.developer.name

    @property
    def head(self) -> list[str]:
        d = self.dossier
        return [
            f"项目名称:{self.project.name}({self.phase})  房号:{d.unit_label}",
            f"买受人(业主):{d.owner_names}  合同编号:{d.contract_no}",
        ]


def _signatures(ctx: Ctx, day: dt.date | None, *, owner_label: str = "业主(签字)") -> list[str]:
    return [
        f"出卖人(盖章):{ctx.developer}      经办人:{ctx.company_seal or '陈晓燕'}",
        f"{owner_label}:{ctx.dossier.owner_names}      日期:{cn_date(day)}",
    ]


def subscription(ctx: Ctx, day: dt.date) -> Pages:
    d = ctx.dossier
    deposit = Decimal("50000.00")
    return [
        [
            "商品房认购书",
            *ctx.head,
            f"认购人自愿认购{ctx.project.name}{d.unit_label},建筑面积约{d.area_contract}平方米。",
            amount_line("认购总价", d.price_total or Decimal(0)),
            amount_line("定金", deposit),
            "认购人应于本认购书签订之日起十五日内签订《商品房买卖合同》,逾期视为放弃认购。",
            *_signatures(ctx, day, owner_label="认购人(签字)"),
        ]
    ]


def purchase_contract(ctx: Ctx, day: dt.date) -> Pages:
    d = ctx.dossier
    owners = [f"买受人:{o.name}  证件号码:{mask_id_number(o.id_number)}  联系电话:{o.phone}" for o in d.owners]
    return [
        [
            "商品房买卖合同(预售)",
            f"合同编号:{d.contract_no}  网签备案号:{d.filing_no}",
            f"出卖人:{ctx.developer}  统一社会信用代码:{ctx.project.developer.credit_code}",
            f"法定代表人:{ctx.project.developer.legal_rep}  地址:{ctx.project.developer.address}",
            *owners,
            "第一章 合同当事人  第二章 商品房基本状况",
            f"买受人购买的商品房为{ctx.project.name}{d.unit_label},预测建筑面积{d.area_contract}平方米。",
        ],
        [
            "第三章 商品房价款",
            amount_line("该商品房总价款", d.price_total or Decimal(0)),
            f"付款方式:{'按揭贷款' if '按揭' in d.payment_status else '一次性付款'}。",
            "第四章 商品房交付条件与交付手续",
            f"出卖人应当在{cn_date(d.delivery_due)}前向买受人交付该商品房。",
            "交付时该商品房应取得建设工程竣工验收备案证明文件及房屋测绘报告。",
            "面积误差比绝对值在3%以内(含3%)的,据实结算房价款。",
        ],
        [
            "第五章 商品房质量及保修责任",
            "出卖人提供《住宅质量保证书》和《住宅使用说明书》,保修期自交付之日起计算。",
            "第六章 房屋登记  出卖人应在交付之日起60日内将办理不动产登记所需资料报送登记机构。",
            f"本合同所涉房屋:{d.unit_label};买受人:{d.owner_names}。",
            *_signatures(ctx, day, owner_label="买受人(签字)"),
        ],
    ]


def supplementary_agreement(ctx: Ctx, day: dt.date) -> Pages:
    return [
        [
            "补充协议",
            *ctx.head,
            "一、双方就装修标准、车位使用及公共部位维修等事项补充约定如下。",
            "二、本补充协议与《商品房买卖合同》具有同等法律效力。",
            *_signatures(ctx, day, owner_label="买受人(签字)"),
        ]
    ]


def id_copy(ctx: Ctx, day: dt.date, owner_index: int = 0) -> Pages:
    o = ctx.dossier.owners[owner_index]
    sex = "男" if int(o.id_number[16]) % 2 else "女"
    birth = dt.date(int(o.id_number[6:10]), int(o.id_number[10:12]), int(o.id_number[12:14]))
    return [
        [
            "居民身份证(复印件)",
            f"姓名 {o.name}   性别 {sex}   民族 汉",
            f"出生 {cn_date(birth)}",
            f"住址 {o.address}",
            f"公民身份号码 {o.id_number}",
            f"此复印件仅供{ctx.project.name}{ctx.dossier.unit_label}购房使用,再复印无效。",
            f"与原件核对一致  核对人:陈晓燕  {cn_date(day)}  ({o.role})",
        ]
    ]


def payment_receipt(ctx: Ctx, day: dt.date) -> Pages:
    d = ctx.dossier
    return [
        [
            "购房款收据",
            *ctx.head,
            f"今收到{d.owners[0].name}交来{d.unit_label}购房款。",
            amount_line("金额", d.price_total or Decimal(0)),
            f"收款单位:{ctx.developer}(财务专用章)  收款日期:{cn_date(day)}",
        ]
    ]


def mortgage(ctx: Ctx, day: dt.date) -> Pages:
    d = ctx.dossier
    loan = ((d.price_total or Decimal(0)) * Decimal("0.6")).quantize(Decimal("1"))
    return [
        [
            "个人住房按揭贷款资料",
            *ctx.head,
            f"借款人:{d.owner_names}  贷款银行:中国建设银行{ctx.project.city}分行",
            amount_line("贷款金额", loan),
            "贷款期限:30年  还款方式:等额本息",
            f"抵押物:{ctx.project.name}{d.unit_label}  日期:{cn_date(day)}",
        ]
    ]


def advance_registration(ctx: Ctx, day: dt.date) -> Pages:
    d = ctx.dossier
    return [
        [
            "预告登记证明",
            f"权利人:{d.owner_names}  义务人:{ctx.developer}",
            f"坐落:{ctx.project.address} {ctx.project.name}{d.unit_label}",
            f"预告登记种类:预购商品房预告登记  合同编号:{d.contract_no}",
            f"登记日期:{cn_date(day)}  登记机构:{ctx.project.city}市不动产登记中心",
        ]
    ]


def handover_notice(ctx: Ctx, day: dt.date, window: tuple[dt.date, dt.date] | None = None) -> Pages:
    d = ctx.dossier
    start, end = window or (d.delivery_due, d.delivery_due)
    return [
        [
            "交房通知书",
            f"尊敬的{d.owner_names}业主:",
            f"您购买的{ctx.project.name}{d.unit_label}(合同编号:{d.contract_no})已具备交付条件,",
            f"已取得竣工验收备案证明,请于{cn_date(start)}至{cn_date(end)}期间携带本通知书、身份证原件及购房合同,",
            f"到{ctx.handover_venue or '项目交房现场'}办理收房手续。",
            "办理流程:房产合同组 → 房产收款组 → 物业资料及收费组 → 验房交房组。",
            f"咨询电话:{ctx.project.service_phone}",
            f"{ctx.developer}  {cn_date(day)}",
        ]
    ]


def handover_checklist(ctx: Ctx, day: dt.date) -> Pages:
    return [
        [
            "入住手续会签单",
            *ctx.head,
            "1. 房产合同组:核验身份证、购房合同原件  已办 √",
            "2. 房产收款组:结清房款、面积补差款  已办 √",
            "3. 物业资料及收费组:签订前期物业服务协议、缴纳物业费及维修基金  已办 √",
            "4. 验房交房组:室内验收、抄水电气表、领取钥匙  已办 √",
            f"业主签字:{ctx.dossier.owner_names}  日期:{cn_date(day)}",
        ]
    ]


def area_adjustment(ctx: Ctx, day: dt.date) -> Pages:
    d = ctx.dossier
    contract = d.area_contract or Decimal(0)
    measured = d.area_measured or contract
    unit_price = ((d.price_total or Decimal(0)) / contract).quantize(Decimal("0.01")) if contract else Decimal(0)
    diff = measured - contract
    amount = (abs(diff) * unit_price).quantize(Decimal("0.01"))
    ratio = (diff / contract * 100).quantize(Decimal("0.01")) if contract else Decimal(0)
    direction = "买受人补交" if diff > 0 else "出卖人退还"
    return [
        [
            "面积补差单",
            *ctx.head,
            f"合同约定建筑面积:{contract}平方米  实测建筑面积:{measured}平方米",
            f"面积误差:{diff}平方米  面积误差比:{ratio}%(在±3%以内,据实结算)",
            f"合同单价:{unit_price}元/平方米  结算方式:{direction}",
            amount_line("补差金额", amount),
            f"业主签字:{d.owner_names}  日期:{cn_date(day)}",
        ]
    ]


def handover_record(ctx: Ctx, day: dt.date) -> Pages:
    d = ctx.dossier
    return [
        [
            "房屋交接书",
            f"甲方(出卖人):{ctx.developer}",
            f"乙方(买受人):{d.owner_names}",
            f"乙方购买的{ctx.project.name}{d.unit_label}(合同编号:{d.contract_no}),",
            f"实测建筑面积{d.area_measured or d.area_contract}平方米,经双方现场查验,甲方于{cn_date(day)}将该房屋交付乙方。",
            "乙方已领取入户门钥匙,并收到《住宅质量保证书》《住宅使用说明书》。",
            "房屋保修期自交付之日起计算。本交接书一式两份,甲乙双方各执一份。",
            *_signatures(ctx, day, owner_label="乙方(签字)"),
        ]
    ]


def inspection_record(ctx: Ctx, day: dt.date, defects: str = "") -> Pages:
    return [
        [
            "室内验收记录",
            *ctx.head,
            "检查项目:入户门、窗、墙面、地面、顶棚、给排水、电气、燃气、防水",
            f"发现问题:{defects or '无'}",
            f"水表读数:{(sum(map(ord, ctx.dossier.unit)) % 7) + 1}  电表读数:{(sum(map(ord, ctx.dossier.unit)) % 13) + 2}",
            f"验房人(业主签字):{ctx.dossier.owner_names}  工程人员:郑海峰  日期:{cn_date(day)}",
        ]
    ]


def key_receipt(ctx: Ctx, day: dt.date) -> Pages:
    return [
        [
            "钥匙签收表",
            *ctx.head,
            "入户门钥匙 3把  单元门禁卡 2张  信报箱钥匙 1把  电表箱钥匙 1把",
            f"领取人签字:{ctx.dossier.owner_names}  发放人:林志强  日期:{cn_date(day)}",
        ]
    ]


def _booklet(title: str, ctx: Ctx, day: dt.date) -> Pages:
    return [
        [
            f"{title}(签收回执)",
            *ctx.head,
            f"本人已收到{ctx.project.name}{ctx.dossier.unit_label}《{title}》一份。",
            f"签收人:{ctx.dossier.owner_names}  日期:{cn_date(day)}",
        ]
    ]


def quality_guarantee(ctx: Ctx, day: dt.date) -> Pages:
    pages = _booklet("住宅质量保证书", ctx, day)
    pages[0][3:3] = [
        "保修期限:屋面防水工程3年;墙面、厨房和卫生间地面、地下室、管道渗漏1年;",
        "墙面、顶棚抹灰层脱落1年;地面空鼓开裂1年;门窗翘裂、五金件损坏1年;管道堵塞2个月;",
        "供热、供冷系统和设备1个采暖期或供冷期;卫生洁具1年;灯具、电器开关6个月。",
    ]
    return pages


def usage_manual(ctx: Ctx, day: dt.date) -> Pages:
    return _booklet("住宅使用说明书", ctx, day)


def property_agreement(ctx: Ctx, day: dt.date) -> Pages:
    return [
        [
            "前期物业服务协议",
            f"甲方(业主):{ctx.dossier.owner_names}  乙方(物业服务企业):{ctx.project.name}物业服务中心",
            f"物业坐落:{ctx.project.name}{ctx.dossier.unit_label}",
            "物业服务费:住宅每月每平方米2.80元,自交付之日起计收。",
            f"甲方签字:{ctx.dossier.owner_names}  日期:{cn_date(day)}",
        ]
    ]


def management_statute(ctx: Ctx, day: dt.date) -> Pages:
    return [
        [
            "临时管理规约(承诺书)",
            f"本人为{ctx.project.name}{ctx.dossier.unit_label}业主,已详细阅读并同意遵守《临时管理规约》。",
            f"业主签字:{ctx.dossier.owner_names}  日期:{cn_date(day)}",
        ]
    ]


def maintenance_fund_receipt(ctx: Ctx, day: dt.date, words: str | None = None) -> Pages:
    area = ctx.dossier.area_measured or ctx.dossier.area_contract or Decimal(0)
    amount = (area * Decimal("80")).quantize(Decimal("0.01"))
    return [
        [
            "专项维修资金缴存收据",
            *ctx.head,
            f"缴存标准:80.00元/平方米 × {area}平方米",
            amount_line("缴存金额", amount, words),
            f"收款单位:{ctx.project.city}市住房专项维修资金管理中心  日期:{cn_date(day)}",
        ]
    ]


def rectification_list(ctx: Ctx, day: dt.date, defects: str = "") -> Pages:
    return [
        [
            "整改单",
            *ctx.head,
            f"验房发现问题:{defects or '无'}",
            "整改责任单位:总包单位  整改期限:7个工作日",
            f"业主签字:{ctx.dossier.owner_names}  工程部:郑海峰  日期:{cn_date(day)}",
        ]
    ]


def cert_application(ctx: Ctx, day: dt.date) -> Pages:
    d = ctx.dossier
    return [
        [
            "不动产登记申请书",
            f"申请人(权利人):{d.owner_names}  义务人:{ctx.developer}",
            f"不动产坐落:{ctx.project.address} {ctx.project.name}{d.unit_label}",
            f"登记类型:转移登记  登记原因:买卖  合同编号:{d.contract_no}",
            f"面积:{d.area_measured or d.area_contract}平方米  申请日期:{cn_date(day)}",
            f"申请人签字:{d.owner_names}",
        ]
    ]


def power_of_attorney(ctx: Ctx, day: dt.date) -> Pages:
    return [
        [
            "委托书",
            f"委托人:{ctx.dossier.owner_names}",
            f"受托人:{ctx.developer}客户服务部",
            f"委托事项:代为办理{ctx.project.name}{ctx.dossier.unit_label}的不动产转移登记及领取不动产权证书。",
            f"委托人签字:{ctx.dossier.owner_names}  日期:{cn_date(day)}",
        ]
    ]


def deed_tax_receipt(ctx: Ctx, day: dt.date) -> Pages:
    price = ctx.dossier.price_total or Decimal(0)
    area = ctx.dossier.area_measured or ctx.dossier.area_contract or Decimal(0)
    rate = Decimal("0.01") if area <= 140 else Decimal("0.015")
    return [
        [
            "契税完税证明",
            f"纳税人:{ctx.dossier.owner_names}  房屋坐落:{ctx.project.name}{ctx.dossier.unit_label}",
            f"计税依据:{money_str(price)}元  税率:{rate * 100:.1f}%",
            amount_line("实缴税额", (price * rate).quantize(Decimal("0.01"))),
            f"国家税务总局{ctx.project.city}市税务局  {cn_date(day)}",
        ]
    ]


def household_register(ctx: Ctx, day: dt.date) -> Pages:
    o = ctx.dossier.owners[0]
    return [
        [
            "户口簿(复印件)",
            f"户主姓名:{o.name}  住址:{o.address}",
            f"与原件核对一致,仅供{ctx.dossier.unit_label}办证使用  {cn_date(day)}",
        ]
    ]


def marriage_proof(ctx: Ctx, day: dt.date) -> Pages:
    names = ctx.dossier.owner_names
    status = "已婚(共有人为配偶)" if len(ctx.dossier.owners) > 1 else "未婚/单独所有"
    return [
        [
            "婚姻状况证明",
            f"申请人:{names}  婚姻状况:{status}",
            f"用途:办理{ctx.project.name}{ctx.dossier.unit_label}不动产登记  {cn_date(day)}",
        ]
    ]


def certificate_receipt(ctx: Ctx, day: dt.date) -> Pages:
    return [
        [
            "产权证领取签收单",
            *ctx.head,
            f"不动产权证书号:{ctx.dossier.certificate_no}",
            f"领取人签字:{ctx.dossier.owner_names}  发放人:吴敏  日期:{cn_date(day)}",
        ]
    ]


def property_certificate(ctx: Ctx, day: dt.date) -> Pages:
    d = ctx.dossier
    return [
        [
            "不动产权证书(复印件)",
            f"{d.certificate_no}",
            f"权利人:{d.owner_names}  共有情况:{'共同共有' if len(d.owners) > 1 else '单独所有'}",
            f"坐落:{ctx.project.address} {ctx.project.name}{d.unit_label}",
            f"权利性质:出让/市场化商品房  用途:城镇住宅用地/住宅  面积:{d.area_measured or d.area_contract}平方米",
            f"登记日期:{cn_date(day)}",
        ]
    ]


def repair_record(ctx: Ctx, repair: RepairTicket) -> Pages:
    return [
        [
            "维修记录",
            *ctx.head,
            f"报修单号:{repair.id}  报修日期:{cn_date(repair.reported_on)}  报修方式:{repair.channel}",
            f"报修部位:{repair.component}({repair.location})  保修类别:{repair.warranty_category}",
            f"问题描述:{repair.description}",
            f"原因核实:{repair.verified_cause}  责任方:{repair.responsibility}  维修单位:{repair.contractor}",
            f"完成日期:{cn_date(repair.completed_on)}  业主验收:{repair.owner_acceptance or '待验收'}",
            f"业主签字:{ctx.dossier.owners[0].name}  维修人员:{repair.handled_by}  日期:{cn_date(repair.accepted_on)}",
        ]
    ]


def compensation_agreement(ctx: Ctx, repair: RepairTicket, words: str | None = None) -> Pages:
    d = ctx.dossier
    o = d.owners[0]
    amount = repair.compensation or Decimal(0)
    day = repair.closed_on or repair.completed_on
    return [
        [
            "质量问题赔偿协议",
            f"甲方:{ctx.developer}  统一社会信用代码:{ctx.project.developer.credit_code}",
            f"乙方:{d.owner_names}  身份证号码:{mask_id_number(o.id_number)}  电话:{o.phone}",
            f"房屋:{ctx.project.name}{d.unit_label},合同编号:{d.contract_no},交付日期:{cn_date(d.delivered_on)}。",
            f"一、问题:{repair.description}(报修单号:{repair.id}),经双方现场确认。",
            f"二、原因与责任:{repair.verified_cause},由甲方承担维修责任。",
            "三、维修:甲方已完成维修,乙方验收合格。",
            amount_line("四、赔偿金额", amount, words),
            "五、本协议仅就本次质量问题一次性了结,不影响甲方其他保修义务。一式两份,各执一份。",
            f"甲方(盖章):{ctx.developer}  乙方(签字):{d.owner_names}  日期:{cn_date(day)}",
        ]
    ]


def settlement_sheet(ctx: Ctx, s: Settlement) -> Pages:
    rows = [
        f"{i}. {it.item}  {it.unit}  申报{it.declared_qty}  核定{it.approved_qty}  单价{money_str(it.unit_price)}  "
        f"申报金额{money_str(it.declared_amount)}  审定金额{money_str(it.approved_amount)}"
        for i, it in enumerate(s.items, start=1)
    ]
    approvals = [f"{a.role}:{a.name} {a.decision} {cn_date(a.date)}" for a in s.approvals]
    return [
        [
            "第三方维修费用支付会签表",
            f"项目:{ctx.project.name}  会签表编号:{s.id}  业主:{ctx.dossier.owner_names}  房号:{ctx.dossier.unit_label}",
            f"报修单号:{'、'.join(s.repair_ids)}  维修单位:{s.contractor}  合同编号:{s.contract_no}",
            "序号 维修项目 单位 申报数量 核定数量 合同单价 申报金额 审定金额",
            *rows,
            amount_line("申报金额合计", s.declared_total),
            amount_line("审定金额合计(结算总价)", s.approved_total),
            amount_line("扣款合计", s.deductions_total),
            amount_line("本次付款", s.payable),
            f"收款单位:{s.payee}  开户行:{s.bank}  账号:{s.account}",
            *approvals,
        ]
    ]


def complaint_record(ctx: Ctx, c: Complaint) -> Pages:
    return [
        [
            "投诉记录",
            *ctx.head,
            f"投诉编号:{c.id}  受理日期:{cn_date(c.received_on)}  渠道:{c.channel}",
            f"首问责任人:{c.first_responder}  类别:{c.category}",
            f"投诉内容:{c.description}",
            f"处理结果:{c.resolution or '处理中'}  结案日期:{cn_date(c.closed_on)}",
        ]
    ]


def revisit_record(ctx: Ctx, v: Revisit) -> Pages:
    label = {"A": "满意", "B": "基本满意", "C": "不满意"}.get(v.satisfaction or "", "待回访")
    return [
        [
            "回访记录",
            *ctx.head,
            f"回访编号:{v.id}  回访日期:{cn_date(v.date)}  方式:{v.channel}  类型:{v.reason}",
            f"回访人:{v.by}  满意度:{v.satisfaction}({label})",
            f"业主意见:{v.notes}",
        ]
    ]


# -- project-level documents -------------------------------------------------------------------
def presale_permit(project: Project, phase_name: str, permit: str, day: dt.date, buildings: list[str]) -> Pages:
    return [
        [
            "商品房预售许可证",
            f"{permit}",
            f"售房单位:{project.developer.name}  统一社会信用代码:{project.developer.credit_code}",
            f"项目名称:{project.name}{phase_name}  坐落:{project.address}",
            f"预售范围:{'、'.join(b.lstrip('0') + '栋' for b in buildings)}",
            f"发证机关:{project.city}市住房和城乡建设局  发证日期:{cn_date(day)}",
        ]
    ]


def completion_filing(project: Project, phase_name: str, day: dt.date, buildings: list[str]) -> Pages:
    return [
        [
            "房屋建筑和市政基础设施工程竣工验收备案表",
            f"工程名称:{project.name}{phase_name}({'、'.join(b.lstrip('0') + '栋' for b in buildings)})",
            f"建设单位:{project.developer.name}  法定代表人:{project.developer.legal_rep}",
            "勘察、设计、施工、监理单位均已签署质量合格文件。",
            f"备案机关:{project.city}市建设工程质量安全监督站  备案日期:{cn_date(day)}",
        ]
    ]


def initial_registration(project: Project, number: str, day: dt.date) -> Pages:
    return [
        [
            "不动产首次登记证明",
            f"{number}",
            f"权利人:{project.developer.name}",
            f"坐落:{project.address} {project.name}",
            f"登记类型:首次登记(初始登记)  登记日期:{cn_date(day)}",
        ]
    ]


def area_survey(project: Project, phase_name: str, day: dt.date, buildings: list[str]) -> Pages:
    return [
        [
            "房屋面积实测报告",
            f"项目:{project.name}{phase_name}  委托单位:{project.developer.name}",
            f"测绘范围:{'、'.join(b.lstrip('0') + '栋' for b in buildings)}",
            "测绘依据:GB/T 17986《房产测量规范》",
            f"测绘单位:{project.city}市房产测绘院  报告日期:{cn_date(day)}",
        ]
    ]


def service_policy(project: Project, day: dt.date) -> Pages:
    return [
        [
            "客户服务部工作制度",
            "第一条 首问责任制:业主首次联系的员工为首问责任人,负责跟进至问题关闭,不得推诿。",
            "第二条 报修响应:接到报修后24小时内响应,一般问题3个工作日内完成维修。",
            "第三条 投诉处理:投诉应在15日内处理完毕,结案后3日内回访。",
            "第四条 回访:交房后1个月回访一次,此后每半年定期回访;维修完成后1至2个月回访。",
            "第五条 档案:一户一档,资料24小时内录入系统,每月备份。",
            f"第六条 本制度自{cn_date(day)}起施行,由{project.developer.name}客户服务部负责解释。",
        ]
    ]
