# ruff: noqa: E501
# E501 is off for this data module only: ruff counts each CJK character as two
# columns, and splitting a Chinese sentence across string literals hurts editing.
"""Wording for the report simulator: original Chinese templates (none copied from real messages).

Templates use ``str.format`` slots. Matter slots, fixed once so every report of
a matter names the same entity: ent (the concrete factory, compound, road or
project), issue, who, site, fix, brand, road, sur, sur2, k, n, months, amount,
mu, price, year, fee, park, per, days, town, village. Report slots: here (the
informant's village), people, when, higher, title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from random import Random

from minqing.records import Category, Signal
from minqing.regions import name_variants


@dataclass(frozen=True)
class Problem:
    """One kind of concrete problem: its wording stays coherent from title to fix."""

    who: str  # the people affected, as informants name them
    site: str  # where a crowd would gather or block
    entities: tuple[str, ...]
    titles: tuple[str, ...]
    issue: str
    demands: tuple[str, ...]
    fix: str
    grows: bool = True  # False: a matter of one family, it does not draw a crowd


P = Problem
# Data tables below: one field per line reads best, so the formatter stays out.
# fmt: off
PROPERTY = ("{brand}花园", "{brand}名苑", "{road}{brand}公寓", "{brand}府")
NEIGHBOURS = ("{village}{sur}家和{sur2}家", "{village}{k}组{sur}姓两兄弟", "{village}{sur}某与邻居{sur2}某")
THEMES: dict[Category, tuple[Problem, ...]] = {
    "land_requisition": (
        P("村民", "施工工地", ("{town}{brand}工业园区二期", "{brand}物流园项目"),
          ("{ent}征地补偿问题", "反映{ent}征地款未到位"),
          "{ent}征用了{village}约{mu}亩耕地，补偿款到现在只发了一半，说好的每亩{price}万元没有兑现",
          ("希望镇里把补偿标准讲清楚", "要求尽快把剩余补偿款发到位"), "镇里已经把剩余补偿款发放到位"),
        P("村民", "施工工地", ("{road}拓宽改造工程", "{town}高铁站配套道路项目"),
          ("{ent}未签协议先施工", "{ent}占地，村民要求说法"),
          "{ent}协议还没签完就进场推土，{village}有{n}户村民的承包地被占了",
          ("要求先补偿、后施工", "希望施工方先停工，把协议签清楚"), "施工方暂停进场，补签了协议"),
        P("村民", "村委会", ("{brand}物流园项目", "{town}{brand}工业园区二期"),
          ("{ent}征地款分配不公开", "关于{ent}征地款分配的情况"),
          "{ent}的征地款分配方案一直没公开，{village}有{n}户村民说账对不上",
          ("希望公开征地款分配明细", "要求村里开村民代表大会说明"), "村里开了村民代表大会，公开了分配方案"),
        P("村民", "施工工地", ("{road}拓宽改造工程", "{town}{brand}工业园区二期"),
          ("{ent}青苗补偿标准太低", "反映{ent}青苗补偿问题"),
          "{ent}的青苗补偿还按{year}年的老标准算，{n}户村民觉得太低，跟邻村差了不少",
          ("希望按新标准重新核算",), "青苗补偿按新标准重新核算，差额已补发"),
    ),
    "demolition": (
        P("拆迁户", "拆迁指挥部门口", ("{brand}安置小区", "{town}旧城改造{k}号地块"),
          ("{ent}安置房迟迟不交付", "反映{ent}延期交房"),
          "{ent}的安置房原定{year}年底交付，到现在还没动工，{n}户拆迁户一直在外面租房",
          ("要求按协议按时交房", "希望给一个明确的交房时间"), "安置房已经开工，给了明确的交房时间"),
        P("拆迁户", "拆迁指挥部门口", ("{road}沿线棚户区改造", "{village}城中村改造项目"),
          ("{ent}拆迁补偿不公", "{ent}评估价差距大"),
          "{ent}同样面积的房子补偿差了好几万，{n}户拆迁户怀疑评估有猫腻",
          ("要求公开评估报告", "希望重新评估"), "评估公司重新测量，差价已经补到位"),
        P("拆迁户", "街道办门口", ("{town}旧城改造{k}号地块", "{road}沿线棚户区改造"),
          ("反映{ent}过渡费停发", "{ent}过渡安置费没着落"),
          "{ent}的过渡安置费已经停发{months}个月，{n}户拆迁户里有老人没地方住",
          ("希望恢复发放过渡费",), "街道已经补发了过渡费"),
        P("拆迁户", "拆迁指挥部门口", ("{village}城中村改造项目",),
          ("{ent}断水断电逼迁", "反映{ent}拆迁方式粗暴"),
          "{ent}还有{n}户没签协议，施工队晚上断水断电逼人搬走",
          ("希望停止断水断电，依法协商",), "指挥部恢复了供水供电，重新上门协商"),
    ),
    "wage_arrears": (
        P("工人", "厂门口", ("{brand}五金厂", "{brand}袜业有限公司", "{sur}老板的{brand}纺织厂"),
          ("{ent}拖欠工资", "{ent}欠薪，工人讨薪无门"),
          "{ent}拖欠{n}名工人{months}个月工资，合计约{amount}万元",
          ("希望劳动监察部门尽快介入", "工人只想拿回血汗钱"), "劳动监察大队介入后，老板结清了工资"),
        P("工人", "工地门口", ("{brand}建筑工程公司{road}工地",),
          ("反映{ent}拖欠农民工工资", "{ent}工钱一直拖着"),
          "{ent}的包工头说上面没拨款，{n}名工人的工钱{amount}万元一直拖着",
          ("希望督促总包单位付款", "希望年前能拿到工钱"), "总包单位先行垫付了工资"),
        P("工人", "厂门口", ("{brand}五金厂", "{town}{brand}珍珠加工厂"),
          ("{ent}老板联系不上，工资没着落", "{ent}老板跑路"),
          "{ent}老板{days}天前就联系不上了，厂里还有{n}个工人没拿到工资",
          ("希望帮忙找到老板结清欠款", "希望先用欠薪保障金垫付"), "老板已经找到，分两期付款，第一期已到账"),
        P("工人", "厂门口", ("{brand}袜业有限公司", "{brand}服饰有限公司"),
          ("{ent}年底工资没结清", "反映{ent}欠薪"),
          "{ent}说好年底结清工资，到现在一分没给，{n}个外地工人回不了家",
          ("工人只想拿回血汗钱，好回家过年",), "经劳动监察调解，工资已全部结清"),
    ),
    "enterprise_restructuring": (
        P("职工", "公司大门口", ("原{town}{brand}纺织厂", "原{town}供销社"),
          ("{ent}改制遗留问题", "{ent}老职工社保没补缴"),
          "{ent}改制时说好给{n}名老职工补缴社保，从{year}年拖到现在还没落实",
          ("希望补缴社保，让老职工能正常退休",), "企业补缴了拖欠的社保"),
        P("职工", "公司大门口", ("{brand}机械有限公司", "原{brand}化肥厂"),
          ("{ent}买断工龄补偿太低", "反映{ent}重组安置不公"),
          "{ent}重组后要求{n}名职工买断工龄，每年只算{per}元，大家觉得太少",
          ("希望重新核算买断标准", "希望主管部门出面说明"), "买断标准重新核算，职工签字认可"),
        P("职工", "主管局门口", ("原{town}供销社", "原{brand}化肥厂"),
          ("{ent}资产处置不透明", "{ent}职工安置费去向不明"),
          "{ent}的厂房土地已经卖掉了，{n}名职工的安置费去向一直没有说明",
          ("要求公开改制方案和资产处置情况",), "主管部门公开了资产处置清单，逐条作了解释"),
    ),
    "environment": (
        P("村民", "厂门口", ("{brand}印染厂", "{brand}化工有限公司"),
          ("{ent}偷排污水", "{ent}污染河道"),
          "{ent}晚上偷偷往河里排废水，河水发黑发臭，下游{n}户人家不敢用井水",
          ("希望环保部门来查一查", "希望公布水质检测结果"), "检测结果已公布，企业被责令整改并赔偿了损失"),
        P("村民", "厂门口", ("{brand}化工有限公司", "{town}{brand}再生资源公司"),
          ("{ent}气味太大", "反映{ent}废气扰民"),
          "{ent}一到晚上就有很刺鼻的味道，{village}的老人小孩一直咳嗽，窗户都不敢开",
          ("要求停产整改", "希望晚上来现场检测"), "环保部门责令停产整改，现在闻不到气味了"),
        P("村民", "厂门口", ("{brand}砂石场", "{brand}石材加工厂"),
          ("反映{ent}噪音粉尘扰民", "{ent}粉尘太大"),
          "{ent}的机器从早上五点开到半夜，粉尘落得满院子都是",
          ("希望限制作业时间", "要求装除尘设备"), "企业装了除尘设备，也调整了作业时间"),
        P("村民", "养猪场门口", ("{village}{sur}家养猪场",),
          ("{ent}粪水直排", "{ent}臭味扰民"),
          "{ent}的粪水直接排进水沟，一下雨就流进{road}边的农田",
          ("希望农业和环保部门来处理",), "养猪场建了沼气池，粪水不再外排"),
    ),
    "property_management": (
        P("业主", "物业办公室门口", PROPERTY, ("{ent}物业费上涨", "{ent}物业擅自涨价"),
          "{ent}物业发通知说物业费要涨到每平方{fee}元，事先没有开业主大会",
          ("要求召开业主大会表决",), "物业同意暂缓涨价，等业主大会表决"),
        P("业主", "物业办公室门口", PROPERTY, ("{ent}电梯经常坏", "{ent}电梯困人"),
          "{ent}{k}幢的电梯一个月坏了好几次，有老人被困在里面",
          ("希望物业尽快大修电梯", "希望市场监管部门检查电梯"), "电梯已经大修完成，通过了检验"),
        P("业主", "小区门口", PROPERTY, ("反映{ent}停车收费问题", "{ent}停车费太高"),
          "{ent}地下车库突然要收每月{park}元停车费，业主不同意",
          ("希望物价部门核定收费",), "停车费按备案标准重新调整"),
        P("业主", "物业办公室门口", PROPERTY, ("{ent}物业侵占公共绿地", "{ent}公共收益去向不明"),
          "{ent}物业把公共绿地改成车位出租，收益去向不明",
          ("要求公开公共收益账目",), "物业公开了公共收益账目，绿地已恢复"),
    ),
    "neighbour_dispute": (
        P("当事人", "村委会", NEIGHBOURS, ("{ent}宅基地界址纠纷", "{ent}因围墙起争执"),
          "{ent}因为围墙往外砌了半米吵了好几次，差点动手",
          ("希望村里划清界址", "希望村调委会出面调解"), "村调委会调解后两家签了协议，围墙退回原位", False),
        P("当事人", "村委会", NEIGHBOURS, ("{ent}因排水沟起争执", "{ent}邻里矛盾"),
          "{ent}为门口排水沟的事闹矛盾，一下雨水就流到对方院子里",
          ("请司法所帮忙调解",), "排水沟重新改了走向，两家都同意", False),
        P("当事人", "村委会", NEIGHBOURS, ("{ent}因采光问题闹矛盾",),
          "{ent}新盖的房子挡了对方采光，两家互不相让",
          ("希望村调委会出面调解",), "经过调解，建房一方给了补偿，双方和解", False),
    ),
    "public_services": (
        P("村民", "公交站", ("{town}到城区的{k}路公交",), ("{ent}停运", "{ent}班次减少"),
          "{ent}从上个月起停了，{n}个学生和老人进城很不方便",
          ("希望尽快恢复班次",), "公交公司已恢复班次"),
        P("村民", "路口", ("{road}的路灯",), ("{ent}多日没人修", "反映{ent}不亮"),
          "{ent}坏了{days}天没人修，晚上走路很危险",
          ("希望有关部门来看看",), "路灯已经修好了"),
        P("村民", "镇政府门口", ("{village}饮用水工程",), ("{ent}断水", "反映{ent}问题"),
          "{ent}的水管老化，{village}已经断水{days}天",
          ("希望尽快抢修", "希望先送水应急"), "供水站抢修完毕，已恢复供水"),
        P("群众", "卫生院门口", ("{town}卫生院",), ("{ent}看病难", "{ent}服务跟不上"),
          "{ent}晚上只有一个医生值班，看病要排很久",
          ("希望增加值班医生",), "卫生院调整了排班，增加了夜间值班医生"),
    ),
    "social_security": (
        P("村民", "村委会", ("{village}低保评定",), ("{ent}不公", "反映{ent}问题"),
          "{ent}名单里有的人家里开着小车，真正困难的{sur}大爷却没评上",
          ("希望民政部门复核",), "复核后名单已调整并重新公示", False),
        P("老人", "镇政府门口", ("{town}被征地农民养老保险",), ("{ent}迟迟不到账", "反映{ent}停发"),
          "{ent}说好每月发放，已经{months}个月没到账，{n}位老人在问",
          ("希望尽快补发", "希望社保部门查一下"), "养老金已补发到账"),
        P("参保人", "社保窗口", ("{year}年城乡居民医保缴费", "{brand}公司职工社保"),
          ("咨询{ent}", "{ent}查不到记录"),
          "{ent}在系统里查不到缴费记录，看病不能报销",
          ("希望社保部门查一下",), "缴费记录已补录，可以正常报销", False),
    ),
    "shortage": (
        P("患者家属", "卫生院门口", ("{town}卫生院的碳酸锂片", "{town}药店的胰岛素"),
          ("{ent}断货", "反映{ent}买不到"),
          "{ent}已经断货{days}天了，有病人的药只够吃几天",
          ("希望卫健部门协调调货",), "卫健局已经从市里调来一批药"),
        P("村民", "农资店门口", ("{town}农资店的复合肥", "{town}供销社的尿素"),
          ("{ent}短缺", "{ent}涨价还买不到"),
          "{ent}正是要用的时候，跑了几家都说没货，价格涨了一倍多",
          ("希望尽快补货、平价供应",), "供销社组织了平价供应"),
        P("村民", "供应点门口", ("{village}液化气供应点",), ("{ent}供应紧张", "{ent}换气难"),
          "{ent}换一次气要排好几天，老人做饭都成问题",
          ("希望增加配送车次",), "供应点增加了配送车次"),
    ),
    "other": (
        P("老人", "公司门口", ("{brand}投资咨询公司", "{brand}财富管理中心"),
          ("{ent}退不了钱", "反映{ent}非法集资"),
          "{ent}以高息为名向{n}名老人吸收存款，现在人去楼空",
          ("希望公安部门调查",), "公安已经立案，部分钱款已追回"),
        P("老人", "门店门口", ("{brand}养老服务中心", "{brand}健康体验馆"),
          ("{ent}卖保健品返利", "反映{ent}骗老人钱"),
          "{ent}卖保健品，说交钱可以返利，{n}位老人交了钱拿不回来",
          ("希望市场监管部门查处",), "市场监管部门查封了门店，正在退款"),
        P("居民", "夜市", ("{road}夜市",), ("{ent}扰民",),
          "{ent}每天晚上吵到一两点，附近居民睡不好",
          ("希望城管管一管",), "夜市调整了营业时间", False),
        P("村民", "村委会", ("{village}{k}组的流浪狗",), ("反映{ent}问题",),
          "{ent}咬伤了小孩，大家出门都提心吊胆",
          ("希望有关部门处理",), "流浪狗已经被收容", False),
    ),
}

# Stage frames: the same matter told at different moments of its life.
OPENERS: dict[str, tuple[str, ...]] = {
    "terse": ("",),
    "normal": ("", "{here}反映：", "报告一个情况："),
    "long": ("各位领导好：", "我是{here}的信息员，向上级反映一个情况。", "领导您好，有件事要报告一下。"),
    "phone": ("{here}信息员来电反映：", "电话反映："),
    "visit": ("信息员到镇综治中心当面反映：", "来访反映："),
}
BACKGROUND = (
    "这件事拖了有一阵子了，之前村里也出面协调过，没有结果。",
    "我去现场看过，情况基本属实。",
    "大家都是本分人，不是实在没办法不会来找。",
    "具体情况如下，请领导看一下。",
)
MORE = (
    "{ent}的事情还没有解决，现在{here}也有{who}来反映，涉及{people}人左右。",
    "今天又有{people}名{who}来找我说{ent}的事，大家意见很大。",
    "{ent}的问题{town}好几个村都在议论，目前涉及{people}人左右。",
    "跟进{ent}的情况：上次反映后一直没有回音，关注的{who}已经有{people}人左右。",
    "{ent}这件事越闹越大，{here}这边的{who}也卷进来了，大约{people}人。",
)
MOODS = ("大家情绪比较激动。", "{who}们说已经等不下去了。", "怨气越来越大，担心出事。", "")
INTENT_LEADS = ("{ent}的事情有升级的苗头。", "紧急情况，{ent}。", "{ent}的矛盾还在发酵。", "关于{ent}：")
INTENT: dict[Signal, tuple[str, ...]] = {
    "collective_petition": (
        "{who}们说{when}要去{higher}集体上访。",
        "{who}正在凑人，准备{when}组织{people}人左右去{higher}上访。",
        "有人在挨家挨户签名，说人凑齐了就一起去{higher}讨说法。",
    ),
    "petition_upward": (
        "有人说镇里、市里都解决不了，{when}直接去杭州省里上访。",
        "几个带头的{who}扬言要去北京上访。",
        "{who}们说不相信下面了，要越级到省里去反映。",
    ),
    "gathering": (
        "今天上午已经有{people}名{who}聚集在{site}。",
        "{who}这几天晚上都聚在村文化礼堂商量对策。",
        "{site}现在围了不少{who}，大约{people}人。",
    ),
    "blocking": ("{who}扬言要堵路。", "村民说再不解决就去把{road}堵了。", "{who}们说要把{site}堵起来，不让车辆进出。"),
    "banners_online": (
        "有人做了横幅，准备挂在{site}。",
        "已经有人把视频发到抖音和微信群里，转发了很多。",
        "{who}在网上发帖，话说得很难听。",
    ),
    "self_harm_threat": (
        "有一位{who}情绪很激动，说再不给说法就喝农药。",
        "一名{who}扬言要从楼顶跳下去。",
        "有位年纪大的{who}说活不下去了，要死在{site}。",
    ),
}
URGENT = ("请领导高度重视！", "建议尽快派人下来做工作。", "情况紧急，请尽快处理。", "")
CALM = ("目前情绪稳定。", "暂时没有过激言行。", "先报上来备案。", "请相关部门关注一下。", "")
SOLVED = (
    "{ent}的事情有结果了：{fix}，{who}表示满意。",
    "回访{ent}的情况：{fix}，当事人没有意见了。",
    "{ent}一事已处理，{fix}，可以销号。",
)
BIG_CALM = (
    "这件事涉及{people}人，大家主要是想要个说法，没有过激言行。",
    "影响面比较大，大约{people}人，群众比较理性，希望尽快答复。",
    "据了解受影响的有{people}人左右，目前都在等答复，秩序正常。",
)
TITLES_BY_STAGE: dict[str, tuple[str, ...]] = {
    "more": ("再次反映：{title}", "{title}（续报）", "{title}，涉及人数增加", "{title}"),
    "intent": ("{title}（紧急）", "{title}，矛盾升级", "{title}，群众情绪激动", "紧急：{title}"),
    "solved": ("{ent}问题已解决", "回访：{title}", "{title}（已处理）"),
}
WHEN = ("明天", "后天", "这周五", "下周一", "过两天", "月底前")
HIGHER = ("市里", "县里", "市信访局", "市政府", "绍兴")

# Invented name parts for entities; the region's own names come from the CSV.
BRANDS = ("宏达", "永盛", "金鑫", "鸿运", "东升", "恒信", "兴隆", "天成", "瑞祥", "新越", "华丰", "丰泰", "盛源", "联发", "润昌", "锦程", "森茂", "嘉和", "振华", "汇通")
ROADS = ("建业路", "新华路", "环城东路", "金城路", "和平路", "工业大道", "滨江北路", "望湖路", "解放路", "城西大道")
SURNAMES = ("王", "陈", "张", "杨", "赵", "何", "楼", "斯", "宣", "骆", "周", "郦", "蒋", "俞", "吴", "寿")

# Input noise seen from real informants: typos of a phone IME, full-width digits,
# and older informants typing in traditional characters.
TYPOS = (("已经", "以经"), ("反映", "反应"), ("拖欠", "托欠"), ("情绪", "情续"), ("在", "再"), ("的", "得"))
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
TRADITIONAL = str.maketrans(
    "说们这厂门问发镇资会县里钱没还来时现经给为户协调补偿业污环边头进处万几两车楼线场区请领导况关报应决评价涨货约亩权产过闹尽员访图贴视频属实热难众买卖级划标准议论带扬网转拖欠断费结园项设拆迁执",
    "說們這廠門問發鎮資會縣裡錢沒還來時現經給為戶協調補償業汙環邊頭進處萬幾兩車樓線場區請領導況關報應決評價漲貨約畝權產過鬧盡員訪圖貼視頻屬實熱難眾買賣級劃標準議論帶揚網轉拖欠斷費結園項設拆遷執",
)


def matter_slots(category: Category, town: str, village: str, peak: int, growing: bool, rng: Random) -> tuple[Problem, dict[str, str]]:
    """The matter's problem and concrete details, drawn once so all its reports tell one story."""
    sur, sur2 = rng.sample(SURNAMES, 2)
    slots = {
        "town": town, "village": village, "brand": rng.choice(BRANDS), "road": rng.choice(ROADS),
        "sur": sur, "sur2": sur2, "k": str(rng.randint(1, 12)), "n": str(peak),
        "months": str(rng.randint(2, 9)), "amount": str(rng.randint(8, 260)),
        "mu": str(rng.randint(30, 400)), "price": f"{rng.uniform(2.5, 6.0):.1f}",
        "year": str(rng.randint(2019, 2025)), "fee": f"{rng.uniform(1.8, 3.5):.1f}",
        "park": str(rng.randrange(150, 401, 50)), "per": str(rng.choice((800, 1000, 1200))),
        "days": str(rng.randint(3, 21)),
    }
    p = rng.choice([p for p in THEMES[category] if p.grows or not growing])
    slots["ent"] = rng.choice(p.entities).format_map(slots)
    return p, slots | {"issue": p.issue.format_map(slots), "who": p.who, "site": p.site, "fix": p.fix}
# fmt: on


def body(
    problem: Problem, stage: str, signals: Sequence[Signal], terse: bool, rng: Random
) -> list[str]:
    """Template pieces for one stage; terse informants skip the optional ones."""

    def extra(piece: str) -> str:
        return "" if terse else piece

    if stage == "more":
        return [rng.choice(MORE), extra("{issue}。"), extra(rng.choice(MOODS))]
    if stage == "intent":
        issue = "{issue}。" if not terse and rng.random() < 0.5 else ""
        says = [rng.choice(INTENT[s]) for s in signals]
        return [rng.choice(INTENT_LEADS), issue, *says, extra(rng.choice(URGENT))]
    if stage == "solved":
        return [rng.choice(SOLVED)]
    tail = rng.choice(BIG_CALM) if stage == "big_calm" else extra(rng.choice(CALM))
    return ["{issue}，", rng.choice(problem.demands), "。", tail]


def words(
    problem: Problem,
    stage: str,
    signals: Sequence[Signal],
    slots: dict[str, str],
    style: str,
    rng: Random,
) -> tuple[str, str]:
    """Title and content of one report in the informant's style (terse, normal, long, phone, visit)."""
    slots = slots | {"when": rng.choice(WHEN), "higher": rng.choice(HIGHER)}
    slots["title"] = rng.choice(problem.titles).format_map(slots)
    title = rng.choice(TITLES_BY_STAGE.get(stage, ("{title}",))).format_map(slots)
    parts = [rng.choice(OPENERS[style])]
    if style == "long":
        parts.append(rng.choice(BACKGROUND))
    parts += body(problem, stage, signals, style == "terse", rng)
    title, content = add_noise(title, "".join(parts).format_map(slots), rng)
    return title[:100], content[:2000]


def short_name(name: str) -> str:
    """The name people write: 枫溪村 rather than 枫溪村村民委员会 or 汤家店村委会."""
    if name.endswith("村委会"):
        return name[: -len("委会")]
    names = sorted(name_variants(name), key=lambda s: (len(s), s))
    return next((s for s in names if len(s) >= 3), name)


def round_people(x: float) -> int:
    """Informants estimate crowds: exact when few, to 5 or 10 when many."""
    step = 1 if x < 20 else 5 if x < 100 else 10
    return max(1, round(x / step) * step)


def add_typos(text: str, rng: Random) -> str:
    """One or two slips, each replacing a single occurrence."""
    for wrong, typo in rng.sample(TYPOS, rng.randint(1, 2)):
        text = text.replace(wrong, typo, 1)
    return text


def add_noise(title: str, content: str, rng: Random) -> tuple[str, str]:
    """Typos (content only), full-width digits, traditional characters: rare, independent."""
    if rng.random() < 0.10:
        content = add_typos(content, rng)
    if rng.random() < 0.08:
        title, content = title.translate(FULL_WIDTH), content.translate(FULL_WIDTH)
    if rng.random() < 0.03:
        title, content = title.translate(TRADITIONAL), content.translate(TRADITIONAL)
    return title, content
