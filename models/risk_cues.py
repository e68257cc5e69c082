"""What else a report's words say about a matter's course: answered, solved, no answer, back again.

Short lexicons, one per cue; ``read_cues`` counts each in a text. They feed the
risk features (an answer lowers risk, "no answer" and a return raise it).
"""

from __future__ import annotations

import re

from models.intent import simplify

CUES = ("answered", "solved", "no_answer", "repeat", "angry", "dissatisfied", "calm")
PATTERNS = {
    "answered": (
        "已(经)?答复|答复(说|了|称)|已(经)?回复|给了答复|作出答复|座谈会|工作组|按程序在办"
        "|正在协调|正在处理|已受理|上门(答复|处理|协商)|来(村里|现场)(看|处理|开会)"
    ),
    "solved": (
        "已(经)?解决|已处理|(已|全部|已经)结清|已(经)?(恢复|补发|到账|整改|调整|发放到位|退款)"
        "|没有意见|表示满意|可以销号|签了协议|和解|有结果了"
    ),
    "no_answer": (
        "没有答复|未答复|没(有)?回音|没人(管|理|给)|石沉大海|没有下文|没有结果|没有回复|推诿"
        "|踢皮球|不了了之|一直拖|迟迟(没|不|未)|无人问津|答复期限.{0,3}过"
    ),
    "repeat": (
        "又(来了|出现|反复|冒头|开始|发生)|再次反映|重复反映|老问题|反复(出现|发生)?"
        "|之前(说是)?(处理|解决)(过|好)|又是|还是老样子"
    ),
    "angry": "情绪(比较|很|非常)?激动|怨气|等不下去|越闹越大|担心出事|拍(了)?桌子|骂|咽不下|失控",
    "dissatisfied": "不满意|不认可|不接受|不服|对答复不满|回访.{0,4}不满",
    # 无过激言行: the stock phrase of a report that sees no danger.
    "calm": ("情绪(比较|很)?(稳定|平稳)|(没有|无)(过激|异常)|秩序正常|(比较|很)?理性|不会闹事"),
}
# One pass over the text: each cue a named group; the lookahead skips positions no cue starts at.
_FIRST = (
    "已答给作座工按正上来解处全有结恢补到整调发退没表可签和"
    "未回人石推踢不一迟无又再重老反之还情怨等越担拍骂咽失对秩比很理"
)
CUE_RX = re.compile(
    f"(?=[{_FIRST}])(?:" + "|".join(f"(?P<{k}>{p})" for k, p in PATTERNS.items()) + ")"
)


def read_cues(text: str) -> dict[str, int]:
    """How often each cue occurs in ``text``.

    >>> c = read_cues("上次反映后一直没有回音，大家情绪激动。")
    >>> c["no_answer"], c["angry"], c["answered"]
    (1, 1, 0)
    """
    counts = dict.fromkeys(CUES, 0)
    for m in CUE_RX.finditer(simplify(text)):
        counts[m.lastgroup or ""] += 1
    return counts
