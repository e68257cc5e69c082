# ruff: noqa: E501
# E501 is off for this data module only: ruff counts each CJK character as two columns.
"""Wording for the scenario generator, beyond the simulator's phrasebook (all original text).

Stages the phrasebook does not have: a complaint of no answer, the office's answer, an
angry but lone voice, intent that is denied or talked down, a matter that comes back,
a seasonal burst, and the incident itself. Slots as in ``producers.phrasebook``
(ent, who, site, road, town, here, people, higher, when, fix, n, days_waiting).
"""

from __future__ import annotations

from random import Random

from minqing.records import Signal
from producers import phrasebook as pb

# fmt: off
NO_ANSWER = (
    "上次反映到现在已经{days_waiting}天了，一直没有答复。",
    "打了好几次电话问{ent}的事，没人给个说法。",
    "材料交上去{days_waiting}天了，石沉大海，{who}们越等越急。",
    "说好的答复期限早过了，还是没有下文。",
    "跑了几趟镇里都说在研究，到现在没有结果。",
)
ANSWERED = (
    "{town}已经答复，成立了工作组，{days_waiting}天内拿出方案，{who}们愿意等一等。",
    "相关部门今天上门答复了，正在协调{ent}的事，大家情绪平稳。",
    "镇里领导来村里开了座谈会，把{ent}的处理办法讲清楚了。",
    "已收到答复，{ent}的事按程序在办，先报备一下进展。",
)
ANGRY = (
    "当事人情绪很激动，在村委会拍了桌子，骂了半天。",
    "他说这口气咽不下去，天天打电话来骂。",
    "{sur}某脾气很冲，说话很难听，扬言要找人算账，但就他一家的事。",
    "当事人觉得很委屈，哭了一场，说没人替他做主。",
)
# Intent that is stated only to be denied, or talked down: a lexicon alone would count these.
NEGATED = (
    "大家说不会去上访，只希望早点解决。",
    "{who}们表示不会聚集闹事，相信政府会处理好。",
    "没有人说要去堵路，都在等答复。",
    "有人提过去市里上访，被村干部劝住了，说先等镇里答复。",
    "{who}说不打算拉横幅，也不会去网上发帖，就想要个说法。",
    "之前有人说要集体上访，现在已经劝返，情绪稳定。",
)
LONE_THREAT = (
    "他一个人说要去市里上访，家里人在劝。",
    "当事人说再不解决就去北京，村里正在做工作。",
    "{sur}某扬言要去网上发帖曝光，其他人没有附和。",
)
# More ways to state intent than the phrasebook's, so a model cannot learn one template set.
EXTRA_INTENT: dict[Signal, tuple[str, ...]] = {
    "collective_petition": ("{who}在微信群里约人，说{when}包车去{higher}讨个说法。", "已经有{people}户签了联名信，准备一起去{higher}反映。"),
    "petition_upward": ("有人放话说要进京上访。", "几个{who}商量着去省里找领导。"),
    "gathering": ("{site}聚了{people}来个{who}，议论纷纷。", "{who}约好{when}到{site}集合。"),
    "blocking": ("{who}说再不给答复就把{site}堵了。", "有人扬言要拦住施工车辆，不让进场。"),
    "banners_online": ("{who}拉了条幅，写着讨还公道。", "有人把照片发到网上，说要让更多人知道。"),
    "self_harm_threat": ("有位{who}说要在{site}自焚。",),
}
INCIDENT: dict[Signal, str] = {
    "gathering": "{people}多名{who}已经聚集在{site}，情绪激动，现场有民警维持秩序。",
    "blocking": "{who}把{road}堵了，交通中断，镇里领导正在现场劝说。",
    "collective_petition": "{who}今天一早去了{higher}集体上访，正在组织劝返。",
    "banners_online": "{site}拉起了横幅，围了{people}人左右，场面有些失控。",
}
REPEAT = (
    "{ent}的事情又来了：",
    "{ent}之前说是处理好了，最近又反复了。",
    "再次反映{ent}：上次答应的事没有兑现。",
    "老问题又冒头了，{ent}。",
)
SEASONAL: dict[str, tuple[str, ...]] = {
    "wage_arrears": ("快过年了，{ent}还有{n}名{who}的钱没结清，大家急着回家。", "年关将近，{ent}的{who}都在等工钱，{here}也来了{people}人左右。"),
    "shortage": ("正是用的时候，{ent}一下子供应不上，{here}也有人来问。", "这几天{ent}的事情反映的人特别多，{here}也来了{people}人左右。"),
    "social_security": ("月初集中办理的时候，{ent}的问题一下子冒出来了。", "这几天来问{ent}的老人特别多，{here}也有{people}人左右。"),
}
COMMON_SEASONAL = ("每年这个时候都这样，{ent}的事又集中冒出来了。",)
SOFT = (
    "有人嘀咕说再拖就去讨说法。",
    "大家说要是年前不给钱，就一起去问问。",
)
TITLES = {
    "no_answer": ("{title}，至今未答复", "催办：{title}", "{title}（再次反映）"),
    "answered": ("{title}（已答复）", "{title}进展", "{title}"),
    "angry": ("{title}", "{title}，当事人情绪激动"),
    "negated": ("{title}", "{title}，群众在等答复"),
    "lone": ("{title}", "{title}，当事人扬言上访"),
    "incident": ("紧急：{title}，已发生聚集", "{title}，事态扩大", "{title}（突发）"),
    "repeat": ("{title}（重复反映）", "又是{title}", "{title}"),
    "seasonal": ("{title}", "{title}（集中反映）"),
}
# fmt: on
STAGES = frozenset(TITLES)


def words(
    problem: pb.Problem,
    stage: str,
    intents: tuple[Signal, ...],
    slots: dict[str, str],
    style: str,
    rng: Random,
) -> tuple[str, str]:
    """Title and content of one report; phrasebook stages go to ``pb.words``."""
    if stage not in STAGES:
        if stage == "intent" and rng.random() < 0.35:
            return _intent_variant(problem, intents, slots, style, rng)
        return pb.words(problem, stage, intents, slots, style, rng)
    slots = slots | {"when": rng.choice(pb.WHEN), "higher": rng.choice(pb.HIGHER)}
    slots["title"] = rng.choice(problem.titles).format_map(slots)
    title = rng.choice(TITLES[stage]).format_map(slots)
    opener = rng.choice(pb.OPENERS[style])
    content = (opener + "".join(_body(stage, intents, slots.get("category", ""), rng))).format_map(
        slots
    )
    title, content = pb.add_noise(title, content, rng)
    return title[:100], content[:2000]


def _intent_variant(
    problem: pb.Problem, intents: tuple[Signal, ...], slots: dict[str, str], style: str, rng: Random
) -> tuple[str, str]:
    slots = slots | {"when": rng.choice(pb.WHEN), "higher": rng.choice(pb.HIGHER)}
    slots["title"] = rng.choice(problem.titles).format_map(slots)
    title = rng.choice(pb.TITLES_BY_STAGE["intent"]).format_map(slots)
    says = [rng.choice(EXTRA_INTENT.get(s) or pb.INTENT[s]) for s in intents]
    content = rng.choice(pb.OPENERS[style]) + "{issue}。" + "".join(says)
    return pb.add_noise(title[:100], content.format_map(slots)[:2000], rng)


def _body(stage: str, intents: tuple[Signal, ...], category: str, rng: Random) -> list[str]:
    """The template pieces of one of this module's stages."""
    if stage == "no_answer":
        return ["{issue}。", rng.choice(NO_ANSWER), rng.choice(pb.MOODS)]
    if stage == "answered":
        return [rng.choice(ANSWERED)]
    if stage == "angry":
        return ["{issue}。", rng.choice(ANGRY)]
    if stage == "negated":
        return ["{issue}。", rng.choice(NEGATED)]
    if stage == "lone":
        return ["{issue}。", rng.choice(ANGRY), rng.choice(LONE_THREAT)]
    if stage == "incident":
        return [INCIDENT.get(intents[0] if intents else "gathering", INCIDENT["gathering"])]
    if stage == "repeat":
        return [rng.choice(REPEAT), "{issue}。", rng.choice(pb.CALM)]
    soft = [rng.choice(SOFT)] if intents else []
    return [rng.choice(SEASONAL.get(category, COMMON_SEASONAL) + COMMON_SEASONAL), *soft]
