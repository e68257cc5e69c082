"""How well a clustering matches the truth: B-cubed precision, recall and F1, ARI and AMI.

B-cubed (Bagga and Baldwin 1998; Amigó et al. 2009) scores each report: the
share of its cluster that is truly its matter (precision) and the share of its
matter that its cluster found (recall), averaged over reports. It is what an
analyst feels: a mixed-up matter lowers precision for every report in it. ARI
and AMI (scikit-learn) are chance-corrected agreement scores, for comparison
with the literature.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    ari: float
    ami: float
    n_reports: int
    n_true: int
    n_found: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def bcubed(truth: Sequence[str], found: Sequence[str]) -> tuple[float, float, float]:
    """B-cubed (precision, recall, F1) of ``found`` cluster labels against ``truth`` labels.

    >>> bcubed(["a", "a", "b"], ["x", "x", "y"])
    (1.0, 1.0, 1.0)
    >>> [round(v, 3) for v in bcubed(["a", "a", "b", "b"], ["x", "x", "x", "x"])]
    [0.5, 1.0, 0.667]
    """
    if len(truth) != len(found):
        raise ValueError("truth and found differ in length")
    if not truth:
        return 0.0, 0.0, 0.0
    both = Counter(zip(truth, found, strict=True))
    n_truth, n_found = Counter(truth), Counter(found)
    precision = sum(n * n / n_found[f] for (_, f), n in both.items()) / len(truth)
    recall = sum(n * n / n_truth[t] for (t, _), n in both.items()) / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(truth: Sequence[str], found: Sequence[str]) -> Scores:
    """All figures for one clustering.

    >>> s = score(["a", "a", "b"], ["x", "x", "y"])
    >>> (s.f1, s.ari, s.ami, s.n_true, s.n_found)
    (1.0, 1.0, 1.0, 2, 2)
    """
    p, r, f = bcubed(truth, found)
    return Scores(
        precision=round(p, 4), recall=round(r, 4), f1=round(f, 4),
        ari=round(float(adjusted_rand_score(truth, found)), 4),
        ami=round(float(adjusted_mutual_info_score(truth, found)), 4),
        n_reports=len(truth), n_true=len(set(truth)), n_found=len(set(found)),
    )  # fmt: skip
