"""Normalising a report at intake and in the stream: white space, personal numbers."""

from __future__ import annotations

from minqing.privacy import mask_optional, mask_pii
from minqing.records import Report


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text or None


def normalise(report: Report) -> Report:
    """Collapse white space and mask personal numbers in the free-text fields.

    >>> from datetime import datetime, timezone
    >>> r = Report(informant_id="i", title=" 噪音  扰民 ", content="电话13812345678")
    >>> n = normalise(r)
    >>> n.title, n.content
    ('噪音 扰民', '电话[电话]')
    """
    return report.model_copy(
        update={
            "title": mask_pii(_clean(report.title) or report.title),
            "content": mask_pii(_clean(report.content) or ""),
            "region_text": mask_optional(_clean(report.region_text)),
            "signals": sorted(set(report.signals)),
        }
    )
