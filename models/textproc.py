"""Chinese text handling for matching reports: normalisation, words, weights.

``normalize`` makes two wordings of one matter look alike: full width ->
half width (NFKC), traditional -> simplified (OpenCC's character table, which
ships inside opencc-python-reimplemented, so nothing is downloaded), Chinese
numerals before a counter -> digits (三个月 -> 3个月, 十五中 -> 15中), dates and
clock times dropped (every report has its own), punctuation -> one space.

``Words`` segments titles with jieba plus a user dictionary of the region's
names (villages, townships, and any extra names the office lists), so 枫溪村
stays one word. Word weights are jieba's own IDF table (also shipped with the
package); a word jieba has never seen (most place and company names) gets a
high weight, since names are what tells one matter from another.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

import jieba_fast
import numpy as np
import numpy.typing as npt

from models import kernels

log = logging.getLogger(__name__)

# 2019年4月25日, 4月25号, 2019-04-25 (its dashes already spaces): dates, after mapping.
_DATES = re.compile(
    r"\d+ ?年 ?\d+ ?月(?: ?\d+ ?[日号])?|\d+ ?月 ?\d+ ?[日号]|\d{4} \d\d? \d\d?(?!\d)"
)
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_UNITS = {"十": 10, "百": 100, "千": 1000}
# A run of numerals counts something only before a counter word.
_CN_NUMBER = re.compile(
    r"[零〇一二两三四五六七八九十百千]+"
    r"(?=[个名户人位家月年天周日号栋幢单元楼层组中小亩元万次多余期届条座台辆])"
)
# Words that frame a message rather than name its matter.
STOPWORDS = frozenset((
    "关于", "投诉", "反映", "咨询", "希望", "请求", "建议", "要求", "请问", "举报",
    "强烈", "问题", "相关", "质疑", "我们", "你们", "他们", "领导", "尊敬", "您好",
    "你好", "谢谢", "请", "的", "了", "吗", "呢", "吧", "啊", "和",
    "与", "及", "在", "是", "有", "对", "给", "把", "被", "将",
    "让", "为", "从", "向", "也", "都", "就", "还", "又", "不",
    "没有", "一个", "这个", "那个", "什么", "怎么", "如何", "为何", "为什么", "能否",
    "可以", "是否", "已经", "现在", "情况", "事宜", "一事", "解决", "处理", "反应",
    "恳请",
))  # fmt: skip


@cache
def _char_map() -> npt.NDArray[np.uint32]:
    """Code point -> code point for the whole BMP: NFKC, simplified, lower case, and
    anything that is not a letter or digit -> space. One numpy lookup per text is far
    cheaper than NFKC plus ``str.translate`` (which dominated the cost per report)."""
    t2s = _t2s()
    table = np.arange(0x10000, dtype=np.uint32)
    for cp in range(0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        c = unicodedata.normalize("NFKC", chr(cp))
        c = t2s.get(ord(c), c) if len(c) == 1 else chr(cp)
        c = c.lower() if len(c.lower()) == 1 else c
        table[cp] = ord(c) if c.isalnum() else 32
    return table


def _map_chars(text: str) -> str:
    cps = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    return str(kernels.map_points(cps, _char_map()).tobytes().decode("utf-32-le"))


MEMO = 20000  # titles remembered by Words


@cache
def _t2s() -> dict[int, str]:
    """Traditional -> simplified, one character each (the first OpenCC candidate)."""
    table: dict[int, str] = {}
    path = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        trad, _, simp = line.partition("\t")
        if len(trad) == 1 and simp:
            table[ord(trad)] = simp.split()[0]
    return table


def cn_number(s: str) -> int:
    """A Chinese numeral as an int.

    >>> [cn_number(s) for s in ("三", "十五", "二十三", "两百", "一千零五", "二零一九")]
    [3, 15, 23, 200, 1005, 2019]
    """
    if not any(c in _UNITS for c in s):
        return int("".join(str(_DIGITS[c]) for c in s))
    total, digit = 0, 0
    for c in s:
        if c in _UNITS:
            total += (digit or 1) * _UNITS[c]
            digit = 0
        else:
            digit = _DIGITS[c]
    return total + digit


def normalize(text: str) -> str:
    """Canonical form for matching; see the module docstring.

    >>> normalize("Ａ２區景蓉華苑，拖欠三個月工資！2019年4月25日")
    'a2区景蓉华苑 拖欠3个月工资'
    >>> normalize("十五中 二十多名工人")
    '15中 20多名工人'
    """
    dated = "月" in text or "-" in text or "/" in text
    text = _map_chars(text)
    if dated:  # the regex costs more than the rest together: run it only when it can match
        text = _DATES.sub(" ", text)
    text = _CN_NUMBER.sub(lambda m: str(cn_number(m.group())), text)
    return " ".join(text.split())


@cache
def _idf() -> tuple[dict[str, float], float]:
    """jieba's IDF table and the weight for a word it does not know (its 90th percentile)."""
    path = resources.files("jieba") / "analyse" / "idf.txt"
    table: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, value = line.partition(" ")
        table[word] = float(value)
    values = sorted(table.values())
    return table, values[int(0.9 * (len(values) - 1))]


def idf(word: str) -> float:
    """How telling a word is: jieba's IDF, high for unknown words (names).

    >>> idf("问题") < idf("投诉") < idf("景蓉华苑")
    True
    """
    return _IDF_TABLE.get(word, _IDF_UNKNOWN)


_IDF_TABLE, _IDF_UNKNOWN = _idf()  # read once at import: idf() is called for every word


@cache
def _tokenizer(user_words: tuple[str, ...]) -> jieba_fast.Tokenizer:
    # jieba_fast: jieba's exact mode in C, same dictionary and API, twice as fast; reading
    # a report is the clusterer's largest cost (18 of 74,672 real texts split otherwise).
    tk = jieba_fast.Tokenizer()
    tk.initialize()
    for w in user_words:
        tk.add_word(w, freq=max(tk.FREQ.get(w, 0), 2000))
    log.debug("jieba ready with %d user words", len(user_words))
    return tk


class Words:
    """Title words (jieba, exact mode); place names and the office's names are one word each.

    Place names (the region's villages and townships) are kept out of the words and out of
    the title the clusterer compares: where a report comes from is evidence of its own (the
    place features), and two problems of one village must not look alike for sharing its name.

    >>> w = Words(places=["枫溪村"])
    >>> w("枫溪村养猪场臭气熏天"), w.without_places("枫溪村养猪场臭气熏天")
    (['养猪场', '臭气熏天'], '养猪场臭气熏天')
    """

    def __init__(self, user_words: Iterable[str] = (), places: Iterable[str] = ()) -> None:
        self.places = frozenset(p for p in (normalize(w) for w in places) if len(p) >= 2)
        words = {normalize(w) for w in user_words} | self.places
        self._tk = _tokenizer(tuple(sorted(w for w in words if len(w) >= 2)))
        # Titles repeat (续报, 再次反映 ... re-reports): segmenting is pure, so remember some.
        self._seen: dict[str, tuple[tuple[str, ...], str]] = {}

    def _split(self, text: str) -> tuple[tuple[str, ...], str]:
        known = self._seen.get(text)
        if known is None:
            tokens = self._tk.lcut(text, HMM=False)
            out: list[str] = []
            for w in tokens:
                keep = len(w) >= 2 and not w.isdigit() and w not in out
                if keep and w not in STOPWORDS and w not in self.places:
                    out.append(w)
            rest = "".join(" " if t in self.places else t for t in tokens)
            if len(self._seen) >= MEMO:
                self._seen.clear()
            known = self._seen[text] = (tuple(out), " ".join(rest.split()))
        return known

    def __call__(self, text: str) -> list[str]:
        """Distinct content words of normalised ``text`` in order: no stopwords, places, digits."""
        return list(self._split(text)[0])

    def without_places(self, text: str) -> str:
        """Normalised ``text`` with the place names taken out."""
        return self._split(text)[1]
