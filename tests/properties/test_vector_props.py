"""A report's title vector made with its content (``vectorize_pair``) is, bit for bit, the
one made from the title alone (``vectorize``): a live member keeps the former
(``MatterState.add``), a restored state remakes the latter (``Member.tvec``), and a
restarted worker must decide as the live one did."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from models.report_view import vectorize, vectorize_pair

ALPHABET = st.sampled_from([*"村口化工厂排污欠薪小区物业停电 ab12", " ", " "])  # spaces weigh more
texts = st.text(ALPHABET, max_size=60)


@settings(max_examples=500, deadline=None)
@given(texts, texts)
def test_title_vector_is_the_same_either_way(title: str, content: str) -> None:
    paired, alone = vectorize_pair(title, content)[0], vectorize(title)
    assert paired.idx.tolist() == alone.idx.tolist()
    assert paired.val.tobytes() == alone.val.tobytes()
