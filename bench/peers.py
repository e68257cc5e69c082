"""The two peers the clusterer is compared with, on the same reports and the same text.

* river's TextClust: a streaming text clusterer (TF-IDF micro-clusters with
  fading), fed character bigrams of the same normalised title and content
  opening our clusterer reads, one report at a time in event order.
* Offline agglomerative clustering (average linkage, cosine distance) over TF-IDF
  of character 2-3-grams of the same text: it sees every report at once, so it is
  a reference for what batch clustering of the text alone achieves, not a
  streaming competitor.

Each peer's one parameter (TextClust's radius, the linkage's distance cut) is
chosen on the fitting data (bench/clustering.py), as our thresholds are.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from river import cluster
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_distances

from bench.common import Dataset
from minqing.records import Accepted
from models.baseline_clustering import BaselineClusterer
from models.textproc import normalize

CONTENT_CHARS = 200
Peer = Callable[[Dataset, float], list[str]]


def text_of(item: Accepted) -> str:
    """Normalised title and content opening: the same text our clusterer reads."""
    r = item.report
    return f"{normalize(r.title)} {normalize(r.content[:CONTENT_CHARS])}".strip()


def bigrams(text: str) -> dict[str, int]:
    """Character bigram counts, not across spaces.

    >>> bigrams("景蓉 景蓉")
    {'景蓉': 2}
    """
    out: dict[str, int] = {}
    for i in range(len(text) - 1):
        g = text[i : i + 2]
        if " " not in g:
            out[g] = out.get(g, 0) + 1
    return out


def textclust(data: Dataset, radius: float) -> list[str]:
    """TextClust micro-cluster of each report right after it was learnt."""
    model = cluster.TextClust(radius=radius, real_time_fading=False, fading_factor=0.0005,
                              tgap=100, auto_r=False, auto_merge=True)  # fmt: skip
    out = []
    for item in data.items:
        x = bigrams(text_of(item)) or {"<empty>": 1}
        model.learn_one(x)
        out.append(f"C{model.predict_one(x, type='micro')}")
    return out


def agglomerative(data: Dataset, cut: float) -> list[str]:
    """Average-linkage clusters of TF-IDF 2-3-gram vectors, cut at cosine distance ``cut``."""
    texts = [text_of(item) or "<empty>" for item in data.items]
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True)
    dist = cosine_distances(tfidf.fit_transform(texts)).astype(np.float32)
    model = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                    distance_threshold=cut)  # fmt: skip
    return [f"A{label}" for label in model.fit_predict(dist)]


def baseline(data: Dataset, threshold: float) -> list[str]:
    """The project's first clusterer (cosine to centroids, one threshold), for reference."""
    from bench.common import config

    cfg = config().clustering.model_copy(update={"threshold": threshold})
    model = BaselineClusterer(cfg)
    state, out = model.init(), []
    for item in data.items:
        state, update = model.update(state, item)
        out.append(update.matter.matter_id)
    return out


PEERS: dict[str, tuple[Peer, tuple[float, ...]]] = {
    "textclust (river)": (textclust, (0.3, 0.5, 0.7, 0.8, 0.9)),
    "agglomerative (offline)": (agglomerative, (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)),
    "baseline (previous)": (baseline, (0.3, 0.42, 0.55)),
}
