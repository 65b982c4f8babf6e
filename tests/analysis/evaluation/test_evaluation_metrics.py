"""Evaluation metrics against hand computations on fixed logits, and the attacks against a linear
model, whose L-inf worst case is known in closed form."""
from __future__ import annotations

import itertools
import math

import pytest
import torch

from sparselab.experiments.ensembles import metrics
from sparselab.analysis.evaluation import measures


def test_accuracy_nll_ece_from_fixed_logits_two_bins():
    # two classes, logits (0, z): p(class 1) = sigmoid(z)
    z = torch.tensor([math.log(9.0), math.log(3.0), -math.log(4.0), 0.2], dtype=torch.float64)  # p1 = 0.9, 0.75, 0.2, ~0.55
    logits = torch.stack([torch.zeros(4, dtype=torch.float64), z], dim=1)
    labels = torch.tensor([1, 0, 0, 1])
    probs = metrics.softmax(logits)
    p1 = torch.sigmoid(z)
    assert metrics.accuracy(probs, labels) == 0.75  # predictions 1, 1, 0, 1
    assert metrics.nll(probs, labels) == pytest.approx(-(math.log(0.9) + math.log(0.25) + math.log(0.8)
                                                         + math.log(p1[3].item())) / 4)
    # bins (0, 0.5], (0.5, 1]: every confidence (0.9, 0.75, 0.8, 0.55) is in the upper bin:
    # accuracy 3/4, mean confidence (0.9 + 0.75 + 0.8 + c4) / 4
    c4 = p1[3].item()
    assert metrics.ece(probs, labels, bins=2) == pytest.approx(abs(0.75 - (0.9 + 0.75 + 0.8 + c4) / 4), abs=1e-12)


def test_ece_two_bins_hand_example_with_both_bins_used():
    # 3 classes so a confidence can fall below 0.5: confidences 0.4 (wrong), 0.45 (right), 0.9 (right), 0.6 (wrong)
    probs = torch.tensor([[0.4, 0.3, 0.3], [0.45, 0.35, 0.2], [0.9, 0.05, 0.05], [0.6, 0.2, 0.2]], dtype=torch.float64)
    labels = torch.tensor([1, 0, 0, 2])
    low = 2 / 4 * abs(1 / 2 - (0.4 + 0.45) / 2)  # bin (0, 0.5]
    high = 2 / 4 * abs(1 / 2 - (0.9 + 0.6) / 2)  # bin (0.5, 1]
    assert metrics.ece(probs, labels, bins=2) == pytest.approx(low + high, abs=1e-12)
    assert low + high == pytest.approx(0.0375 + 0.125)


def brute_force_auroc(s_in, s_out):
    pairs = list(itertools.product(s_in, s_out))
    return sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs) / len(pairs)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auroc_equals_a_brute_force_pair_count(seed):
    g = torch.Generator().manual_seed(seed)
    s_in = torch.randint(0, 8, (23,), generator=g).double()  # many ties on purpose
    s_out = torch.randint(0, 6, (17,), generator=g).double()
    assert measures.auroc(s_in, s_out) == pytest.approx(brute_force_auroc(s_in.tolist(), s_out.tolist()), abs=1e-12)


def test_auroc_hand_cases():
    assert measures.auroc(torch.tensor([3.0, 4.0]), torch.tensor([1.0, 2.0])) == 1.0
    assert measures.auroc(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])) == 0.0
    # pairs: (2>1) (2=2) (2<3) (5>1) (5>2) (5>3): (1 + 0.5 + 0 + 3) / 6
    assert measures.auroc(torch.tensor([2.0, 5.0]), torch.tensor([1.0, 2.0, 3.0])) == pytest.approx(4.5 / 6)


def test_fpr_at_95_tpr_by_hand():
    s_in = torch.arange(1, 21).double()  # 1..20: 95 % = 19 scores pass a threshold of 2 (not of 3)
    s_out = torch.tensor([0.0, 1.0, 1.5, 2.0, 2.5, 10.0, 25.0, -3.0])  # >= 2: 2.0, 2.5, 10, 25
    assert measures.fpr_at_tpr(s_in, s_out, 0.95) == pytest.approx(4 / 8)
    assert measures.fpr_at_tpr(s_in, s_out, 1.0) == pytest.approx(6 / 8)  # threshold 1: also 1.0, 1.5


def test_msp_and_energy_scores():
    logits = torch.tensor([[2.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    e2 = math.exp(2)
    assert measures.msp(logits).tolist() == pytest.approx([e2 / (e2 + 2), 1 / 3])
    assert measures.energy(logits).tolist() == pytest.approx([math.log(e2 + 2), 1 + math.log(3)])
    result = measures.detection(torch.tensor([[5.0, 0.0], [4.0, 0.0]]), torch.tensor([[0.1, 0.0], [0.0, 0.2]]))
    assert result["auroc_msp"] == 1.0 and result["fpr95_msp"] == 0.0 and result["auroc_energy"] == 1.0


# ----- attacks on a linear model -------------------------------------------------------------------------
W = torch.tensor([[0.5, -1.0, 2.0, 0.0], [-0.5, 1.5, 0.25, -1.0]], dtype=torch.float64)
B = torch.tensor([0.1, -0.2], dtype=torch.float64)


def linear(x):
    return x @ W.T + B


def margin(x, y):
    """logit of the label minus the other logit."""
    z = linear(x)
    return z.gather(1, y.view(-1, 1)).squeeze(1) - z.gather(1, (1 - y).view(-1, 1)).squeeze(1)


def worst_case_margin(x, y, eps):
    """min over |d|_inf <= eps of the margin: w.x - eps * ||w||_1 with w = w_y - w_other."""
    w = W[y] - W[1 - y]
    return margin(x, y) - eps * w.abs().sum(dim=1)


def points():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 4, generator=g, dtype=torch.float64) * 2 - 1
    y = (linear(x).argmax(dim=1) + (torch.rand(64, generator=g) < 0.2).long()) % 2
    return x, y


@pytest.mark.parametrize("eps", [0.05, 0.2, 0.5])
def test_fgsm_reaches_the_closed_form_worst_case_of_a_linear_model(eps):
    x, y = points()
    adv = measures.fgsm(linear, x, y, eps, bounds=None)
    assert (adv - x).abs().max().item() == pytest.approx(eps)
    assert margin(adv, y).tolist() == pytest.approx(worst_case_margin(x, y, eps).tolist(), abs=1e-9)
    robust = measures.robust_correct(linear, x, y, "fgsm", eps, 1, None, False, None)
    assert robust.tolist() == (worst_case_margin(x, y, eps) > 0).tolist()


@pytest.mark.parametrize("random_start", [False, True])
def test_pgd_reaches_the_worst_case_and_stays_in_the_ball(random_start):
    x, y = points()
    eps, steps = 0.3, 20
    adv = measures.pgd(linear, x, y, eps, steps, random_start=random_start, bounds=None,
                      generator=torch.Generator().manual_seed(1))
    assert (adv - x).abs().max().item() <= eps + 1e-12
    # the linear worst case is a corner of the ball; 20 steps of 2.5 * eps / 20 reach it from anywhere
    assert margin(adv, y).tolist() == pytest.approx(worst_case_margin(x, y, eps).tolist(), abs=1e-9)
    robust = measures.robust_correct(linear, x, y, "pgd", eps, steps, None, random_start, None,
                                    torch.Generator().manual_seed(1))
    assert robust.tolist() == (worst_case_margin(x, y, eps) > 0).tolist()


def test_attacks_clamp_to_the_pixel_range_and_pgd_step_default():
    x = torch.tensor([[0.0, 1.0, 0.98, 0.02]], dtype=torch.float64)
    y = torch.tensor([0])
    for adv in (measures.fgsm(linear, x, y, 0.1), measures.pgd(linear, x, y, 0.1, 5, random_start=True)):
        assert adv.min().item() >= 0.0 and adv.max().item() <= 1.0
        assert (adv - x).abs().max().item() <= 0.1 + 1e-12
    # gradient sign of class 0's CE: -(w0 - w1) = (-1, 2.5, -1.75, -1): pixel 1 is at 1 and cannot grow
    assert measures.fgsm(linear, x, y, 0.1)[0].tolist() == pytest.approx([0.0, 1.0, 0.88, 0.0])
    assert measures.default_step_size(0.1, 10) == pytest.approx(0.025)
