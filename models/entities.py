"""Place and organisation names in normalised report text: the strongest evidence of a matter.

A name is found by its generic tail (小区, 花园, 苑, 村, 组, 公司, 厂, 项目, 路, 小学,
市场 ...) and read leftwards to its start: at most eight characters, stopping at
a space, at the end of the name before it, at an administrative unit (a2区,
青竹湖镇) or at a word that cannot be inside a name (的, 在, 请, 我 ...); framing
words at the front (投诉, 关于, 请求解决 ...) are dropped. Each name keeps its
kind and its core (the name without the generic tail); two names compare by the
characters their cores share, so typos and small variations (景蓉华苑 / 景蓉花苑,
华邦 / 邦华) still match. The cut is rough but the same for every report, which
is what matching needs.

Administrative units (a市, k9县, 青竹湖镇, 安沙街道) are kept apart: they place a
report rather than name its matter.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

# kind -> generic tails; longer tails first so 农贸市场 wins over 市场.
KINDS: dict[str, tuple[str, ...]] = {
    "compound": ("小区", "花园", "家园", "公寓", "新村", "大厦", "广场", "华庭", "名邸", "山庄",
                 "庄园", "公馆", "华府", "名城", "新城", "花苑", "苑", "府", "城", "郡", "湾"),
    "village": ("村民小组", "社区", "村", "组"),
    "company": ("有限公司", "公司", "集团", "物业", "厂", "超市", "商场", "酒店", "饭店",
                "宾馆", "驾校", "银行", "养殖场", "养猪场", "养鸡场", "养鸭场", "猪场",
                "屠宰场", "石场", "加油站", "气站", "中心"),
    "project": ("项目", "工程", "地块", "工地", "安置区", "安置房", "工业园"),
    "road": ("大道", "公路", "国道", "省道", "高速", "路", "街", "巷", "桥"),
    "school": ("幼儿园", "小学", "中学", "大学", "学院", "学校", "学区"),
    "market": ("农贸市场", "菜市场", "市场", "商城"),
    "hospital": ("医院", "卫生院", "诊所"),
    "admin": ("街道", "省", "市", "县", "区", "州", "镇", "乡"),
}  # fmt: skip
_KIND_OF = {tail: kind for kind, tails in KINDS.items() for tail in tails}
# 城 and 府 end estate names (汇金城, 华府) but also 城中村, 城区, 政府: those are not tails.
_NOT_AFTER = {"城": "(?![中区市乡镇管])", "府": "(?<!政)"}
_TAILS = re.compile("|".join(
    f"{t}{_NOT_AFTER[t]}" if t == "城" else f"{_NOT_AFTER.get(t, '')}{t}"
    for t in sorted(_KIND_OF, key=len, reverse=True)
))  # fmt: skip
# Cores that are words, not names: 城中村 (an urban village), 本村, 全组 ...
GENERIC_CORES = frozenset(
    (
        "城中",
        "新农",
        "本",
        "该",
        "全",
        "各",
        "邻",
        "外",
        "乡",
        "农",
        "本组",
        "村口",
        "村里",
        "镇上",
        "附近",
        "门口",
        "上游",
        "下游",
        "那家",
        "这家",
    )
)
# The longest run of characters that can be inside a name, ending where the tail starts.
_NAME = re.compile(
    r"[^ 的了在对给把将与及是被从到让请求望问我你他们"
    r"这那该其此不没也都就还又很要会去说等至由但而或]{1,8}$"
)
# An administrative unit inside a name's run: the name starts after it.
_ADMIN_IN = re.compile(r".*(?:[a-z]\d{0,2}[省市县区州]|[镇乡县]|街道)")
_CODE = re.compile(r"[a-z]\d{0,2}$")
_DIGITS = re.compile(r"\d+")
# Long names run over shorter ones inside them (状元村城中村改造项目): read the full window.
_LONG = frozenset(("company", "project"))  # a7 of a7县: the anonymised units of real data
FRAMING = ("请求", "要求", "希望", "建议", "关于", "投诉", "反映", "举报", "咨询", "解决", "反对",
           "强烈", "恳请", "呼吁", "请问", "质疑", "位于", "附近", "旁边", "门口", "再次", "处理",
           "本", "某")  # fmt: skip
_FRAMING = re.compile("|".join(FRAMING))
# Words naming a trade or a kind of project, not a firm or a site: 恒信石材加工厂 and 丰泰石材
# 加工厂 differ by 恒信 / 丰泰 only, 状元村城中村改造项目 and 栗金村城中村改造项目 by the village.
_GENERIC = re.compile(
    r"有限|责任|股份|管理|实业|发展|开发|置业|投资|科技|集团|石材|加工|袜业|纺织|五金|建筑|劳务"
    r"|建材|化工|机械|电子|食品|塑料|化肥|物流园|物流|房地产|地产|物业|工程|建设|装饰|服务|贸易"
    r"|商贸|农业|生态|矿业|印染|服装|家具|电器|运输|水泥|陶瓷|造纸|纸浆|能源|环保|材料|医药"
    r"|养殖|城中村|改造|旧城|棚户区|拓宽|安置|工业园区|工业园|园区|财富|中心"
)
MIN_CORE = {"village": 2, "road": 2, "compound": 2, "company": 2, "project": 2}


class Entity(NamedTuple):
    """A name found: its kind, its core (what two names are compared by) and its generic tail."""

    kind: str
    core: str
    tail: str

    @property
    def name(self) -> str:
        return self.core + self.tail


def _core(run: str, kind: str) -> str:
    """The name in the run of name characters left of a tail."""
    m = _ADMIN_IN.match(run)
    if m:
        run = run[m.end() :]
    m = _FRAMING.match(run)
    while m and len(run) - m.end() >= 2:  # drop framing words, keeping two characters at least
        run = run[m.end() :]
        m = _FRAMING.match(run)
    return _GENERIC.sub("", run) if kind in ("company", "project") else run


def _keep(core: str, kind: str) -> bool:
    if core in GENERIC_CORES:
        return False
    if core.isdigit():
        return kind == "village"  # 15组: a group is a number
    return len(core) >= MIN_CORE.get(kind, 1)


def _admin(text: str, bound: int, start: int, tail: str) -> str | None:
    """The administrative unit ending at ``start`` + tail: a code (a7县) or a town (安沙镇)."""
    m = _CODE.search(text, max(bound, start - 3), start)
    if m and tail in "省市县区州":
        return m.group() + tail
    if tail in ("镇", "乡", "街道", "县"):
        name = _NAME.search(text, max(bound, start - 4), start)
        core = _core(name.group(), "admin")[-3:] if name else ""
        if len(core) >= 2:
            return core + tail
    return None


def scan(text: str) -> tuple[list[Entity], list[str]]:
    """Distinct names and administrative units in normalised ``text``, in order.

    >>> names, units = scan("投诉a2区景蓉华苑物业 拖欠工资 枫溪村15组")
    >>> [e.name for e in names], units
    (['景蓉华苑', '景蓉华苑物业', '枫溪村', '15组'], ['a2区'])
    >>> names, units = scan("反映a7县星沙镇板桥小区夜宵一条街 杨柳桥村村民")
    >>> [(e.kind, e.core) for e in names], units
    ([('compound', '板桥'), ('road', '夜宵一条'), ('road', '杨柳'), ('village', '杨柳桥')], \
['a7县', '星沙镇'])
    """
    names: list[Entity] = []
    units: list[str] = []
    prev, prev_start, prev_tail, prev_unit = 0, 0, "", 0
    for m in _TAILS.finditer(text):
        start, tail = m.start(), m.group()
        kind = _KIND_OF[tail]
        # A tail right after a name continues it (板桥 + 小区); otherwise names do not overlap.
        bound = prev_start if start - prev < 2 and tail != prev_tail else prev
        if kind == "admin":
            unit = _admin(text, prev, start, tail)
            if unit and unit not in units:
                units.append(unit)
            prev_start = prev_unit = m.end()
        else:
            left = max(0, start - 8) if kind in _LONG else max(bound, start - 8)
            run = _NAME.search(text, max(prev_unit, left), start)
            core = _core(run.group(), kind) if run else ""
            e = Entity(kind, core, tail)
            if _keep(core, kind) and e not in names:
                names.append(e)
            prev_start = run.start() if run else start
        prev, prev_tail = m.end(), tail
    return names, units


@lru_cache(maxsize=1 << 16)  # pure, and the same pairs come back report after report
def similarity(a: str, b: str) -> float:
    """Dice coefficient of the characters of two cores (order ignored: typos and swaps match).

    >>> similarity("景蓉华", "景蓉花"), similarity("华邦", "邦华"), similarity("白沙", "金地")
    (0.667, 1.0, 0.0)
    >>> similarity("旧城改造9号", "旧城改造2号"), similarity("里亭村寿家", "寿家")
    (0.0, 1.0)
    """
    if not a or not b:
        return 0.0
    if not a.isalpha() and not b.isalpha() and _DIGITS.findall(a) != _DIGITS.findall(b):
        return 0.0  # 9号地块 and 2号地块, 15组 and 16组: different places (isalpha: no digits)
    if len(a) >= 2 and len(b) >= 2 and (a.endswith(b) or b.endswith(a)):
        return 1.0  # 寿家 and 里亭村寿家: one name, read further left in one report
    sa, sb = set(a), set(b)
    return round(2 * len(sa & sb) / (len(sa) + len(sb)), 3)
