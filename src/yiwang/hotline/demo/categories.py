"""The category tree (工单分类) and time-limit rules of the demo district's 12345 centre.

Codes are short and stable: they are the Open311 ``service_code``. ``SQ01`` (社区治理) has no fixed
department: it goes to the street office (街道办事处) of the order's location.
"""

from __future__ import annotations

# (code, name, department code or "", keywords, description)
TREE: list[tuple[str, str, list[tuple[str, str, str, str, str]]]] = [
    ("CG", "城市管理", [
        ("CG01", "占道经营", "YX-CG", "流动摊贩,摆摊,夜市,占道,出店经营", "流动摊贩、店外经营占用道路"),
        ("CG02", "违法建设", "YX-CG", "违章搭建,私搭乱建,加盖,违建,阳光房", "违章搭建、私自加层扩建"),
        ("CG03", "市容环卫", "YX-CG", "垃圾,清运,乱堆乱放,保洁,垃圾桶,建筑垃圾", "垃圾清运、道路保洁、乱堆乱放"),
        ("CG04", "户外广告招牌", "YX-CG", "广告牌,招牌,横幅,小广告,牛皮癣", "户外广告、店招、乱张贴"),
        ("CG05", "路灯照明", "YX-CG", "路灯,不亮,灯杆,照明", "路灯不亮、灯杆损坏"),
        ("CG06", "园林绿化", "YX-CG", "树木,修剪,绿化带,草坪,倒伏,病虫害", "行道树、绿化带养护"),
        ("CG07", "餐饮油烟", "YX-CG", "油烟,烧烤,排烟,餐馆", "餐饮油烟扰民、露天烧烤"),
        ("CG08", "生活噪声", "YX-CG", "广场舞,喇叭,KTV,酒吧,商铺噪音", "商业经营、娱乐活动噪声"),
    ]),
    ("JS", "城建交通", [
        ("JS01", "道路破损", "YX-ZJ", "坑洼,坑槽,路面,人行道,破损,塌陷", "市政道路、人行道破损"),
        ("JS02", "井盖设施", "YX-ZJ", "井盖,窨井,缺失,松动,响动", "井盖缺失、破损、异响"),
        ("JS03", "排水防汛", "YX-SL", "下水道,堵塞,积水,污水冒溢,雨水", "排水管道堵塞、路面积水"),
        ("JS04", "违章停车", "YX-GA", "乱停车,占道停车,堵车库,僵尸车,消防车道停车", "机动车乱停乱放"),
        ("JS05", "公交出行", "YX-JT", "公交,站台,线路,班次,司机", "公交线路、站点与服务"),
        ("JS06", "出租网约车", "YX-JT", "出租车,网约车,拒载,绕路,黑车", "出租车、网约车服务"),
        ("JS07", "交通设施", "YX-GA", "红绿灯,信号灯,标线,斑马线,护栏", "交通信号灯、标志标线"),
    ]),
    ("GY", "公用事业", [
        ("GY01", "供水", "YX-SWGS", "停水,没水,水压,水质,自来水,爆管", "停水、水压低、水质问题"),
        ("GY02", "供电", "YX-GD", "停电,没电,跳闸,电压,电线,变压器", "停电、电压不稳、线路隐患"),
        ("GY03", "燃气", "YX-RQ", "燃气,天然气,煤气,停气,漏气,液化气", "停气、燃气泄漏、燃气安全"),
        ("GY04", "供暖", "YX-ZJ", "供暖,暖气,不热,集中供热", "集中供暖不热、停暖"),
    ]),
    ("HB", "生态环境", [
        ("HB01", "施工噪声", "YX-STHJ", "夜间施工,打桩,工地,施工噪音,机器轰鸣", "建筑施工、工业噪声"),
        ("HB02", "大气污染", "YX-STHJ", "扬尘,异味,臭味,焚烧,废气,烟尘", "扬尘、废气、异味"),
        ("HB03", "水污染", "YX-STHJ", "偷排,排污,河道,黑臭,污水直排", "污水偷排、河道污染"),
    ]),
    ("SC", "市场监管", [
        ("SC01", "食品安全", "YX-SCJG", "过期食品,变质,食物中毒,卫生,后厨,外卖", "食品质量与卫生"),
        ("SC02", "消费维权", "YX-SCJG", "退款,预付卡,价格,欺诈,售后,跑路", "消费纠纷、价格欺诈"),
        ("SC03", "无证无照经营", "YX-SCJG", "无证经营,无照,营业执照,黑作坊", "无证无照经营"),
        ("SC04", "药品医疗器械", "YX-SCJG", "药店,假药,处方药,医疗器械,保健品", "药品、医疗器械质量与经营"),
        ("SC05", "电梯安全", "YX-SCJG", "电梯,困人,故障,停运,维保", "电梯等特种设备安全"),
    ]),
    ("LD", "劳动社保", [
        ("LD01", "拖欠工资", "YX-RS", "欠薪,拖欠工资,农民工,工钱,包工头", "拖欠劳动报酬"),
        ("LD02", "社会保险", "YX-RS", "社保,养老保险,缴费,断缴,失业金", "社保缴纳与待遇"),
        ("LD03", "就业创业", "YX-RS", "就业,招聘,培训,创业补贴,劳动合同", "就业服务与劳动关系"),
        ("LD04", "医疗保障", "YX-YB", "医保,报销,异地就医,医保卡,门诊", "医保参保、报销"),
    ]),
    ("JY", "教育", [
        ("JY01", "入学招生", "YX-JYJ", "入学,学区,招生,划片,转学,报名,小升初", "义务教育入学招生"),
        ("JY02", "校外培训", "YX-JYJ", "培训机构,补课,退费,学科培训", "校外培训机构"),
        ("JY03", "学校管理", "YX-JYJ", "学校,老师,食堂,校车,放学,收费", "学校管理与校园安全"),
    ]),
    ("ZF", "住房物业", [
        ("ZF01", "物业管理", "YX-ZJ", "物业,物业费,业委会,保安,小区管理", "物业服务纠纷"),
        ("ZF02", "房屋安全", "YX-ZJ", "漏水,渗水,裂缝,房屋质量,维修基金,群租", "房屋质量、维修、安全"),
        ("ZF03", "住房公积金", "YX-GJJ", "公积金,提取,贷款,缴存", "公积金缴存、提取、贷款"),
    ]),
    ("MZ", "民生保障", [
        ("MZ01", "养老服务", "YX-MZ", "养老院,老人,助餐,居家养老,高龄补贴", "养老服务与补贴"),
        ("MZ02", "社会救助", "YX-MZ", "低保,困难,救助,残疾人,临时救助", "低保、特困与临时救助"),
        ("MZ03", "婚姻殡葬", "YX-MZ", "婚姻登记,结婚,离婚,殡葬,公墓", "婚姻登记与殡葬服务"),
        ("MZ04", "退役军人", "YX-TYJR", "退役军人,优抚,军属,安置", "退役军人服务与优抚"),
    ]),
    ("WS", "卫生健康", [
        ("WS01", "医疗服务", "YX-WJW", "医院,医生,挂号,医疗纠纷,看病", "医疗机构服务"),
        ("WS02", "疾病防控", "YX-WJW", "疫苗,接种,疾控,传染病,体检", "预防接种与疾病防控"),
    ]),
    ("GA", "公安治安", [
        ("GA01", "户籍证件", "YX-GA", "户口,身份证,居住证,落户,迁移", "户籍、身份证、居住证"),
        ("GA02", "治安秩序", "YX-GA", "打架,偷盗,诈骗,赌博,高空抛物,邻里纠纷", "治安问题"),
        ("GA03", "犬只管理", "YX-GA", "狗,犬只,遛狗,不拴绳,流浪狗,咬人", "养犬管理"),
    ]),
    ("AQ", "安全生产", [
        ("AQ01", "消防安全", "YX-XF", "消防通道,堵塞,飞线充电,电动车,灭火器,火灾隐患", "消防安全隐患"),
        ("AQ02", "安全生产", "YX-YJ", "安全隐患,危化品,工厂,仓库,烟花爆竹", "生产经营安全"),
    ]),
    ("NY", "农业农村", [
        ("NY01", "农业农村", "YX-NY", "农田,秸秆,农资,种子,宅基地,农村道路", "农业生产与农村事务"),
    ]),
    ("SW", "税务", [
        ("SW01", "税费发票", "YX-SWJ", "发票,个税,退税,纳税,税务", "税费与发票"),
    ]),
    ("SQ", "社区事务", [
        ("SQ01", "社区治理", "", "社区,居委会,村委会,公共设施,楼道,邻里", "社区公共事务，由所在街道（镇）办理"),
    ]),
    ("QT", "政务服务", [
        ("QT01", "办事咨询", "YX-ZWB", "办事,材料,窗口,预约,一网通办,办事指南", "政务服务事项办理"),
    ]),
]

# (category code or None, urgency or "", accept minutes, accept working days, reply working days, note)
TIME_LIMITS = [
    (None, "", None, 1, 5, "默认：1 个工作日内签收，5 个工作日内答复"),
    (None, "urgent", 30, 1, 5, "紧急（危及人身财产安全）：30 分钟内签收"),
    ("GY", "", 30, 1, 2, "停水停电停气停暖：30 分钟内签收，2 个工作日内答复"),
    ("JY01", "", None, 1, 3, "入学招生咨询：3 个工作日内答复"),
]


def street_office_for(street_code: str | None) -> str | None:
    """The street office (街道办事处/镇政府) department code for a street division code."""
    from yiwang.core.demo.geo import STREETS

    for s in STREETS:
        if s.code == street_code:
            return f"YX-{s.slug}-BSC"
    return None


def seed(stdout=None) -> dict:
    """Create the categories and time-limit rules that are missing (idempotent). Departments that do
    not exist are left empty (a test organisation has only a few)."""
    from yiwang.core.models import Department

    from ..models import Category, TimeLimitRule

    depts = {d.code: d for d in Department.objects.all()}
    existing = set(Category.objects.values_list("code", flat=True))
    groups = [Category(code=g, name=n, sort=i, open311=False) for i, (g, n, _l) in enumerate(TREE) if g not in existing]
    Category.objects.bulk_create(groups)
    parents = {c.code: c for c in Category.objects.filter(code__in=[g for g, _n, _l in TREE])}
    leaves = [Category(code=code, name=name, parent=parents[g], department=depts.get(dept), keywords=keywords,
                       description=description, sort=i)
              for g, _n, items in TREE for i, (code, name, dept, keywords, description) in enumerate(items)
              if code not in existing]
    Category.objects.bulk_create(leaves)
    created = len(groups) + len(leaves)
    cats = {c.code: c for c in Category.objects.all()}
    have = set(TimeLimitRule.objects.values_list("category__code", "urgency"))
    new_rules = [TimeLimitRule(category=cats.get(code) if code else None, urgency=urgency, accept_minutes=minutes,
                               accept_working_days=accept_days, reply_working_days=reply_days, note=note)
                 for code, urgency, minutes, accept_days, reply_days, note in TIME_LIMITS
                 if (code, urgency) not in have]
    TimeLimitRule.objects.bulk_create(new_rules)
    rules = len(new_rules)
    if stdout is not None:
        stdout.write(f"  hotline categories: {created} created; time-limit rules: {rules} created\n")
    return {"categories": {"created": created}, "time_limits": {"created": rules}}
