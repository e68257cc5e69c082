"""Intent from text: the lexicon finds the phrases, negation and talking-down are read, and the
classifier (trained on models/intent_examples.py) holds up on clauses written separately."""

from __future__ import annotations

import doctest
import re

import pytest

import models.intent
import models.risk_cues
from models.intent import ALTERNATIVES, FIRST, fit, hits, read
from models.intent_examples import EXAMPLES
from models.risk_cues import CUE_RX, read_cues

# Written apart from the training clauses (other wording, other places), never trained on.
HELD_OUT = [
    ("工友们商量着下礼拜去劳动局讨工钱。", 1),
    ("拆迁户说再拖下去就去省城上访。", 1),
    ("有人在业主群里发动大家周六到售楼部门口集合。", 1),
    ("村民已经把运渣车拦住了，不让出村。", 1),
    ("老人们说要到北京去告状。", 1),
    ("有几个人扬言要去跳楼。", 1),
    ("他们准备做横幅挂到镇政府门口。", 1),
    ("大家约好明天一起去县信访局。", 1),
    ("村民表示不会到市里去闹。", 0),
    ("没有人打算去北京，大家只想早点拿到钱。", 0),
    ("原来说要去上访的几户已经被劝回来了。", 0),
    ("小区门口堵车很严重，早上出不去。", 0),
    ("这个路口是人口聚集区，希望加强管理。", 0),
    ("业主们不想拉横幅，希望物业主动沟通。", 0),
    ("大家说不会去堵路，相信镇里会处理好。", 0),
    ("村集体土地被占用的问题请核实。", 0),
]


def test_doctests() -> None:
    for module in (models.intent, models.risk_cues):
        result = doctest.testmod(module)
        assert result.attempted >= 1 and result.failed == 0


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("村民们说下周要去市里集体上访", ("collective_petition", "petition_upward")),
        ("工人扬言要堵门", ("blocking",)),
        ("有人在网上发帖，还拉了横幅", ("banners_online",)),
        ("一名村民扬言要自焚", ("self_harm_threat",)),
        ("再不解决就去北京", ("petition_upward",)),
        ("没人管的话就去堵路", ("blocking",)),
    ],
)
def test_intent_is_read(text: str, kinds: tuple[str, ...]) -> None:
    assert read(text).kinds == kinds


@pytest.mark.parametrize(
    "text",
    [
        "不会去上访",
        "大家表示不会去上访，只希望早点解决",
        "没有人打算去堵路",
        "有人提过去市里上访，被村干部劝住了",
        "之前有人说要集体上访，现在已经劝返",
        "这里是人群聚集的场所",
        "早晚高峰很拥堵",
        "村集体土地承包到期",
    ],
)
def test_denied_or_other_senses_are_not_intent(text: str) -> None:
    assert read(text).kinds == ()


def test_traditional_characters_are_read() -> None:
    assert read("村民們說要集體上訪").kinds == ("collective_petition",)


def test_negation_is_counted_as_denied() -> None:
    assert read("大家表示不会去上访").denied == 1


def test_the_first_character_filter_loses_nothing() -> None:
    """FIRST must hold every character a phrase can start with: the filtered lexicon
    finds exactly what the unfiltered one does, on every text we have."""
    plain = re.compile(ALTERNATIVES)
    texts = [t for t, _ in [*EXAMPLES, *HELD_OUT]] + [
        "聚众闹事、围堵大门、拦车、封路、把路堵了、标语、条幅、朋友圈转发、微博曝光",
        "寻死觅活、轻生、上吊、割腕、喝农药、同归于尽、拼命、动刀、砸了、打死、报复、炸了",
        "凑人、约人、号召、组织人去、一起去讨、包车去、进京、越级、告状、去告、静坐、集合",
    ]
    for text in texts:
        assert [m.span() for m in models.intent.LEXICON.finditer(text)] == [
            m.span() for m in plain.finditer(text)
        ], text
    assert len(set(FIRST)) == len(FIRST)


def test_cue_filter_loses_nothing() -> None:
    unfiltered = re.compile(CUE_RX.pattern.split(")(?:", 1)[1][:-1])
    text = (
        "已经答复、给了答复、座谈会、工作组、按程序在办、正在协调、上门处理、来现场看、已解决、"
        "全部结清、没有意见、表示满意、可以销号、签了协议、和解、有结果了、未答复、没回音、"
        "没人管、石沉大海、推诿、踢皮球、不了了之、一直拖、迟迟没、无人问津、又来了、再次反映、"
        "老问题、反复、之前处理过、还是老样子、情绪激动、怨气、等不下去、越闹越大、担心出事、"
        "拍桌子、骂、咽不下、失控、不满意、不认可、对答复不满、回访时不满"
    )
    assert [m.span() for m in CUE_RX.finditer(text)] == [
        m.span() for m in unfiltered.finditer(text)
    ]
    assert read_cues("镇里已经答复了，但大家对答复不满")["dissatisfied"] == 1


def accuracy(pairs: list[tuple[str, int]], clf: models.intent.IntentClassifier | None) -> float:
    return sum(int(bool(read(t, clf).kinds)) == y for t, y in pairs) / len(pairs)


def test_classifier_holds_up_on_clauses_it_never_saw() -> None:
    clf = fit(list(EXAMPLES))
    assert accuracy(HELD_OUT, clf) >= 0.8
    assert accuracy(HELD_OUT, clf) >= accuracy(HELD_OUT, None) - 0.07


def test_classifier_round_trips_and_is_deterministic() -> None:
    a, b = fit(list(EXAMPLES)), fit(list(EXAMPLES))
    assert a == b
    again = models.intent.IntentClassifier.from_dict(a.to_dict())
    for text, _ in HELD_OUT:
        for h in hits(text):
            assert abs(again.prob(h) - a.prob(h)) < 1e-5
