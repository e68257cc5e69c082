"""Intent to act together, read from a report's text: a lexicon, negation, a small classifier.

The lexicon finds candidate phrases (集体上访, 去市里, 进京, 聚集, 堵路, 拉横幅, 网上发帖,
跳楼, 自焚 ...), written to skip the same words in other senses (人群聚集的场所,
拥堵路段). Each hit is then read in its clause: a negator before it (不会去上访,
没有人打算去堵路) denies it unless a conditional breaks the scope (没人管就去堵路 is a
threat); talking down after it in the sentence (被劝住, 已经劝返) defuses it. The
rule decides when no classifier is trained; a trained classifier (logistic
regression over the rule's flags and hashed characters around the hit) refines it.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass
from typing import Any

KINDS = (
    "collective_petition", "petition_upward", "gathering", "blocking", "banners_online",
    "self_harm_threat", "violence_threat",
)  # fmt: skip
# Going up a level; not 镇政府 (the level that handles it) nor 城里 (where people shop).
_PLACES = "市里|省里|北京|杭州|县里|省城|京城|(省|市|县|区)(政府|委)|(省|市|县|区)?信访(局|办)"
PATTERNS = {
    "collective_petition": (
        "集体(上访|访|去|到|维权|讨|请愿)|联名|签名|凑人|约人|号召(大家|村民|群众|业主|工人|职工|老人)|组织.{0,6}(上访|去)"
        "|一起去.{0,8}(上访|讨|找|反映)|讨(个)?说法|包车去"
    ),
    "petition_upward": f"(去|到|上)({_PLACES})|进京|越级|上访|告状|去告",
    "gathering": "(?<!人口)(?<!人群)(?<!人员)聚集(?!场所|区|地)|聚在|围了|围住|围在|集合|静坐|聚众",
    "blocking": (
        "(?<!拥)堵(路|门|住|了|起来|大门|厂门)|拦(路|车|住)|封路|把.{1,6}(堵|封)(了|住|起来)"
    ),
    "banners_online": (
        "横幅|条幅|(挂|贴|拉|写|打)了?.{0,3}标语|(网上|网络|微博|抖音|朋友圈|微信群|群里).{0,4}(发|曝光|转)"
        "|发帖|曝光"
        "|发到.{0,2}(网上|抖音|微博|朋友圈|微信群|群里)"
    ),
    "self_harm_threat": "跳楼|跳下去|自焚|喝农药|寻死|轻生|死在|不想活|活不下去|割腕|上吊",
    "violence_threat": "同归于尽|拼命|动刀|砸了|砸烂|打死|(?<!打击)报复|炸了",
}
# Every character a phrase can start with (tests check it): the lookahead lets the engine
# reject most positions at one class test instead of trying every pattern there.
FIRST = (
    "集联签凑约号组一讨包去到上进越告聚围静堵拦封把"
    "横条标网微抖朋群发曝跳自喝寻轻死不活割同拼动砸打报炸挂贴拉写"
)
ALTERNATIVES = "|".join(f"(?P<{k}>{p})" for k, p in PATTERNS.items())
LEXICON = re.compile(f"(?=[{FIRST}])(?:{ALTERNATIVES})")
NEGATORS = re.compile(
    "不会|不要|不想|不打算|不准备|不愿|不用|不至于|没有人|没人|没有|并未|未曾|无人|别|谁也不"
)
SCOPE_BREAK = re.compile("就|便|才|的话|否则|再不")
DEFUSED = re.compile("劝住|劝回|劝返|劝阻|劝下|劝了回去|已经回家|散了|疏散|打消")
PAST = re.compile("之前|以前|曾经|去年|上次|过去|多次|屡次|当年|那年")
_CLAUSE_END = "，,；;：:、"
_SENTENCE_END = "。！？!?\n"
# Traditional forms of the characters the patterns use (a few informants type traditional).
TRADITIONAL, SIMPLIFIED = (
    "訪聯簽組織訴說門橫發網轉體樓藥尋殺燒圍團結縣鎮區裡進勸沒會願別們",
    "访联签组织诉说门横发网转体楼药寻杀烧围团结县镇区里进劝没会愿别们",
)
_T2S = str.maketrans(TRADITIONAL, SIMPLIFIED)
_ANY_TRADITIONAL = re.compile(f"[{TRADITIONAL}]")
N_BUCKETS = 2048
CONTEXT = 10  # characters of clause read on each side of a hit


def simplify(text: str) -> str:
    """The traditional characters the lexicon needs, simplified (only when there are any).

    >>> simplify("集體上訪，堵門")
    '集体上访，堵门'
    """
    return text.translate(_T2S) if _ANY_TRADITIONAL.search(text) else text


@dataclass(frozen=True)
class Hit:
    """One lexicon phrase in its clause, with the rule's reading of it."""

    kind: str
    left: str  # the clause before the phrase (at most CONTEXT characters)
    right: str  # the sentence after the phrase (at most CONTEXT characters)
    negated: bool
    defused: bool
    past: bool

    @property
    def asserted(self) -> bool:
        return not (self.negated or self.defused)


def _negated(left: str) -> bool:
    """A negator governs the phrase unless a conditional comes between them.

    >>> _negated("大家说不会去"), _negated("没人管就去"), _negated("村民要去")
    (True, False, False)
    """
    ends = [m.end() for m in NEGATORS.finditer(left)]
    return bool(ends) and SCOPE_BREAK.search(left, ends[-1]) is None


def hits(text: str) -> list[Hit]:
    """Every lexicon phrase of ``text`` read in its clause.

    >>> [(h.kind, h.asserted) for h in hits("大家说不会去上访。再不解决就去堵路")]
    [('petition_upward', False), ('blocking', True)]
    """
    text = simplify(text)
    out = []
    for m in LEXICON.finditer(text):
        start = max(text.rfind(c, 0, m.start()) for c in _CLAUSE_END + _SENTENCE_END) + 1
        end = min(
            (i for c in _SENTENCE_END if (i := text.find(c, m.end())) >= 0), default=len(text)
        )
        left = text[max(start, m.start() - CONTEXT) : m.start()]
        right = text[m.end() : min(end, m.end() + CONTEXT)]
        kind = m.lastgroup or ""
        past = PAST.search(left) is not None or right.startswith("过")
        out.append(Hit(kind, left, right, _negated(left), DEFUSED.search(right) is not None, past))
    return out


def _bucket(s: str) -> int:
    return zlib.crc32(s.encode("utf-8")) % N_BUCKETS


def hit_features(h: Hit) -> list[int]:
    """Active feature indices: rule flags, the kind, hashed characters of each side."""
    dense = [h.negated, h.defused, h.past, h.asserted]
    out = [N_BUCKETS + i for i, on in enumerate(dense) if on]
    out.append(N_BUCKETS + len(dense) + KINDS.index(h.kind))
    for side, text in (("L", h.left[-6:]), ("R", h.right[:6])):
        grams = [*text, *(text[i : i + 2] for i in range(len(text) - 1))]
        out.extend(_bucket(side + g) for g in grams)
    return sorted(set(out))


N_FEATURES = N_BUCKETS + 4 + len(KINDS)


@dataclass(frozen=True)
class IntentClassifier:
    """P(a hit states intent) = sigmoid(bias + sum of active weights)."""

    weights: tuple[float, ...]
    bias: float

    def prob(self, h: Hit) -> float:
        z = self.bias + sum(self.weights[i] for i in hit_features(h))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, Any]:
        nz = [[i, round(w, 6)] for i, w in enumerate(self.weights) if abs(w) >= 1e-6]
        return {"n": len(self.weights), "bias": round(self.bias, 6), "weights": nz}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IntentClassifier:
        w = [0.0] * int(d["n"])
        for i, v in d["weights"]:
            w[int(i)] = float(v)
        return cls(tuple(w), float(d["bias"]))


@dataclass(frozen=True)
class IntentReading:
    """What one report says about acting together."""

    kinds: tuple[str, ...]  # kinds stated as intent, in KINDS order
    denied: int  # phrases read as not intent (denied, talked down)
    score: float  # the highest P(intent) of any phrase, 0.0 without one


def read(text: str, clf: IntentClassifier | None = None) -> IntentReading:
    """The intent of one text, by the classifier when given, else by the rule.

    >>> read("村民说明天要去市里集体上访").kinds
    ('collective_petition', 'petition_upward')
    >>> read("大家表示不会去上访")
    IntentReading(kinds=(), denied=1, score=0.0)
    """
    found: dict[str, float] = {}
    denied = 0
    for h in hits(text):
        p = clf.prob(h) if clf is not None else float(h.asserted)
        if p >= 0.5:
            found[h.kind] = max(found.get(h.kind, 0.0), p)
        else:
            denied += 1
    kinds = tuple(k for k in KINDS if k in found)
    return IntentReading(kinds, denied, round(max(found.values(), default=0.0), 6))


def fit(examples: list[tuple[str, int]], c: float = 1.0) -> IntentClassifier:
    """Logistic regression on every hit of the labelled texts (each hit takes its text's label)."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    rows, labels = [], []
    for text, label in examples:
        for h in hits(text):
            rows.append(hit_features(h))
            labels.append(label)
    indptr = np.cumsum([0, *map(len, rows)])
    data = np.ones(int(indptr[-1]))
    x = csr_matrix((data, np.concatenate(rows), indptr), shape=(len(rows), N_FEATURES))
    lr = LogisticRegression(C=c, max_iter=2000).fit(x, np.asarray(labels))
    return IntentClassifier(tuple(float(w) for w in lr.coef_[0]), float(lr.intercept_[0]))
