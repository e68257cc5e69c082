"""Receipt codes: keyed, stable, short, unguessable from the report id alone."""

from __future__ import annotations

import doctest
import re

import minqing.receipts
from minqing.receipts import new_report_id, receipt_for

BASE32 = re.compile(r"^[A-Z2-7]{10}$")


def test_doctests() -> None:
    result = doctest.testmod(minqing.receipts)
    assert result.attempted >= 2 and result.failed == 0


def test_receipt_is_stable_and_base32() -> None:
    a = receipt_for("r-1", "secret")
    assert a == receipt_for("r-1", "secret")
    assert BASE32.match(a)


def test_receipt_depends_on_id_and_secret() -> None:
    a = receipt_for("r-1", "secret")
    assert receipt_for("r-2", "secret") != a
    assert receipt_for("r-1", "other-secret") != a


def test_receipts_do_not_collide_on_many_ids() -> None:
    receipts = {receipt_for(f"r-{i}", "k") for i in range(5000)}
    assert len(receipts) == 5000


def test_new_report_ids_are_unique_and_fit_the_schema() -> None:
    ids = {new_report_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("r-") and len(i) <= 64 for i in ids)
