"""The exported model: same scores as scikit-learn, exact save/load, calibrated, explained."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest

import models.risk_fit
import models.risk_model
from minqing.errors import ModelError
from models.risk_features import FEATURES
from models.risk_fit import calibrate, export_linear, export_trees, fit
from models.risk_model import RiskModel


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1500, len(FEATURES)))
    logit = 1.5 * x[:, 0] - x[:, 1] + 0.8 * x[:, 2] * x[:, 3]
    y = (rng.random(1500) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y


def test_doctests() -> None:
    for module in (models.risk_fit, models.risk_model):
        result = doctest.testmod(module)
        assert result.attempted >= 1 and result.failed == 0


def test_exported_trees_score_like_sklearn(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    fitted = fit("gbm", x, y)
    trees = export_trees(fitted)
    ref = fitted.decision_function(x[:300])
    for xi, r in zip(x[:300], ref, strict=True):
        raw, contrib = trees.raw(xi)
        assert raw == pytest.approx(r, abs=1e-9)
        assert trees.base + contrib.sum() == pytest.approx(raw, abs=1e-9)
    # The feature the outcome depends on most gets credited most, on average.
    mean_abs = np.mean([np.abs(trees.raw(xi)[1]) for xi in x[:200]], axis=0)
    assert int(np.argmax(mean_abs)) == 0


def test_exported_logistic_scores_like_sklearn(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    fitted = fit("logistic", x, y)
    lin = export_linear(fitted)
    ref = fitted.decision_function(x[:50])
    assert [lin.raw(xi)[0] for xi in x[:50]] == pytest.approx(list(ref), abs=1e-9)


@pytest.mark.parametrize("kind", ["gbm", "logistic"])
def test_model_round_trips_exactly(kind: str, data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    fitted = fit(kind, x, y)
    cal = calibrate(fitted.decision_function(x), y)
    model = RiskModel("v-test", FEATURES, models.risk_fit.export(kind, fitted), cal, None, 168.0)
    again = RiskModel.from_json(model.to_json())
    assert again.to_json() == model.to_json() and again.kind == kind
    for xi in x[:40]:
        p, c = model.predict(list(xi))
        q, d = again.predict(list(xi))
        assert p == q and np.array_equal(c, d) and 0.0 <= p <= 1.0


def test_calibration_is_monotone_and_bounded(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    raw = fit("logistic", x, y).decision_function(x)
    cal = calibrate(raw, y)
    probs = [cal(r) for r in np.linspace(-20, 20, 200)]
    assert probs == sorted(probs) and probs[0] >= 0.0 and probs[-1] <= 1.0
    # Calibrated on its own rows, the mean forecast equals the observed rate.
    assert np.mean([cal(r) for r in raw]) == pytest.approx(y.mean(), abs=0.01)


def test_not_a_model_is_a_clear_error() -> None:
    with pytest.raises(ModelError):
        RiskModel.from_json('{"format": 1}')
    with pytest.raises(ModelError):
        RiskModel.from_json("not json")


def test_a_model_of_other_features_is_refused(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    fitted = fit("logistic", x, y)
    cal = calibrate(fitted.decision_function(x), y)
    model = RiskModel("v-old", FEATURES, export_linear(fitted), cal, None, 168.0)
    doc = json.loads(model.to_json())
    doc["features"] = doc["features"][:-1]
    with pytest.raises(ModelError, match="retrain"):
        RiskModel.from_json(json.dumps(doc))
