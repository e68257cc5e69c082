"""Masking personal numbers in free text before anything is published.

Phone numbers, ID card numbers (身份证号), bank card numbers and licence plates
are replaced by a label: handling a matter never needs them from the report
text, and an office that does can ask the informant.

>>> mask_pii("联系人张先生 138-1234-5678，车牌浙D·12345")
'联系人张先生 [电话]，车牌[车牌]'
>>> mask_pii("身份证 33068119800101123X")
'身份证 [身份证号]'
"""

from __future__ import annotations

import re

# Full-width digits, letters and separators map one-to-one to ASCII, so spans
# found in the translated copy are the same spans in the original text.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space

_SEP = r"[ \-‐–—·.]?"
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "[身份证号]",
        re.compile(
            rf"(?<![0-9])[1-9]\d{{5}}{_SEP}(?:19|20)\d{{2}}{_SEP}\d{{4}}{_SEP}\d{{3}}[0-9Xx](?![0-9])"
        ),
    ),
    (
        "[银行卡号]",
        re.compile(rf"(?<![0-9])(?:\d{{4}}{_SEP}){{3}}\d{{4}}(?:{_SEP}?\d{{1,3}})?(?![0-9])"),
    ),
    ("[银行卡号]", re.compile(r"(?<![0-9])\d{16,19}(?![0-9])")),
    (
        "[电话]",
        re.compile(rf"(?<![0-9])(?:\+?86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}(?![0-9])"),
    ),
    ("[电话]", re.compile(rf"(?<![0-9])0\d{{2,3}}{_SEP}\d{{7,8}}(?![0-9])")),
    ("[车牌]", re.compile(rf"[{_PROVINCES}][A-Za-z]{_SEP}(?:[A-Za-z0-9]{{5,6}})(?![A-Za-z0-9])")),
]


def mask_pii(text: str) -> str:
    """Replace phone, ID card, bank card and plate numbers with labels."""
    shadow = text.translate(_FULLWIDTH)
    spans: list[tuple[int, int, str]] = []
    for label, pattern in _PATTERNS:
        for m in pattern.finditer(shadow):
            if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                spans.append((m.start(), m.end(), label))
    for start, end, label in sorted(spans, reverse=True):
        text = text[:start] + label + text[end:]
    return text


def mask_optional(text: str | None) -> str | None:
    return None if text is None else mask_pii(text)
