"""Ensemble metrics against hand computations on fixed probabilities and logits."""
from __future__ import annotations

import math

import pytest
import torch

from sparselab.experiments.ensembles import metrics


def two_class(confidences, correct):
    """Probabilities whose max is `confidences[i]`, on the label when `correct[i]`; labels are all 0."""
    rows = [[c, 1 - c] if ok else [1 - c, c] for c, ok in zip(confidences, correct)]
    return torch.tensor(rows, dtype=torch.float64), torch.zeros(len(rows), dtype=torch.int64)


def test_ece_with_15_equal_width_bins():
    probs, labels = two_class([0.9, 0.91, 0.92, 0.75, 0.55, 0.95], [1, 1, 0, 0, 1, 1])
    # bin (13/15, 14/15]: 0.9, 0.91, 0.92 -> accuracy 2/3, confidence 0.91; the others are alone in their bin
    expected = 3 / 6 * abs(2 / 3 - 0.91) + (0.75 + 0.45 + 0.05) / 6
    assert expected == pytest.approx(0.33)
    assert metrics.ece(probs, labels) == pytest.approx(expected, abs=1e-12)
    table = metrics.calibration_bins(probs, labels)
    assert table["count"][13] == 3 and table["count"][11] == 1 and sum(table["count"]) == 6
    assert table["accuracy"][13] == pytest.approx(2 / 3) and table["accuracy"][0] is None
    # one bin: |accuracy - mean confidence| over everything
    mean_confidence = sum([0.9, 0.91, 0.92, 0.75, 0.55, 0.95]) / 6
    assert metrics.ece(probs, labels, bins=1) == pytest.approx(abs(4 / 6 - mean_confidence))


def test_accuracy_nll_brier_on_fixed_probabilities():
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.62, 0.28], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]], dtype=torch.float64)
    labels = torch.tensor([0, 1, 0, 1])
    assert metrics.accuracy(probs, labels) == 0.5
    assert metrics.nll(probs, labels) == pytest.approx(-(math.log(0.7) + math.log(0.62) + math.log(0.3)
                                                         + math.log(0.4)) / 4)
    brier_rows = [0.3 ** 2 + 0.2 ** 2 + 0.1 ** 2, 0.1 ** 2 + 0.38 ** 2 + 0.28 ** 2,
                  0.7 ** 2 + 0.3 ** 2 + 0.4 ** 2, 0.5 ** 2 + 0.6 ** 2 + 0.1 ** 2]
    assert metrics.brier(probs, labels) == pytest.approx(sum(brier_rows) / 4)


def test_metrics_from_fixed_logits_match_a_hand_softmax():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.5, 0.0], [0.0, 0.0, 3.0]])
    labels = torch.tensor([0, 2, 2])
    probs = metrics.softmax(logits)
    hand = []
    for row in logits.tolist():
        z = sum(math.exp(v) for v in row)
        hand.append([math.exp(v) / z for v in row])
    assert torch.allclose(probs, torch.tensor(hand, dtype=torch.float64))
    assert metrics.nll(probs, labels) == pytest.approx(-(math.log(hand[0][0]) + math.log(hand[1][2])
                                                         + math.log(hand[2][2])) / 3)
    assert metrics.accuracy(probs, labels) == pytest.approx(2 / 3)
    brier = sum(sum((p - (c == y)) ** 2 for c, p in enumerate(row)) for row, y in zip(hand, labels.tolist())) / 3
    assert metrics.brier(probs, labels) == pytest.approx(brier)


def test_disagreement_kl_and_the_ensemble_mean():
    a = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]], dtype=torch.float64)
    b = torch.tensor([[0.8, 0.2], [0.7, 0.3], [0.4, 0.6], [0.45, 0.55]], dtype=torch.float64)
    labels = torch.tensor([0, 1, 1, 0])
    assert metrics.disagreement(a, b) == 0.5  # examples 2 and 4 differ
    p = torch.tensor([[0.5, 0.5]], dtype=torch.float64)
    q = torch.tensor([[0.25, 0.75]], dtype=torch.float64)
    assert metrics.kl_divergence(p, q) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75))
    assert metrics.kl_divergence(p, p) == 0.0
    assert metrics.kl_divergence(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]])) == pytest.approx(math.log(2))
    result = metrics.evaluate([a, b], labels)
    mean = (a + b) / 2
    assert torch.allclose(metrics.ensemble_probs([a, b]), mean)
    assert result["ensemble"]["accuracy"] == metrics.accuracy(mean, labels) == 1.0
    assert result["members"][0]["accuracy"] == 1.0 and result["members"][1]["accuracy"] == 0.5
    assert result["disagreement"] == [[0.0, 0.5], [0.5, 0.0]] and result["mean_disagreement"] == 0.5
    kl_ab, kl_ba = metrics.kl_divergence(a, b), metrics.kl_divergence(b, a)
    assert result["kl"] == [[0.0, kl_ab], [kl_ba, 0.0]]
    assert result["mean_kl"] == pytest.approx((kl_ab + kl_ba) / 2)
    assert result["examples"] == 4 and result["bins"] == 15
