"""A level whose trained network predicts exactly what the previous, denser level predicted is marked:
pruning removed only dead weights, so the point repeats the previous network at a lower nominal density
(the flat 23.40 % tail of the headline random-pruning run)."""
from __future__ import annotations

from sparselab.train.metrics import PREDICTIONS_DIGEST, REPEATS_PREVIOUS, collapse_reasons, mark_repeats


def level(density: float, digest: str | None, loss: float = 2.1) -> dict:
    return {"density": density, PREDICTIONS_DIGEST: digest, "final_test_accuracy": 0.234, "final_test_loss": loss}


def test_same_predictions_at_a_lower_density_repeat_the_previous_level() -> None:
    levels = [level(1.0, "a"), level(0.8, "b"), level(0.64, "b"), level(0.512, "b"), level(0.41, "c")]
    mark_repeats(levels)
    assert [bool(lv.get(REPEATS_PREVIOUS)) for lv in levels] == [False, False, True, True, False]
    assert collapse_reasons(levels[2]) == ["same test predictions as the previous, denser level"]
    assert collapse_reasons(levels[1]) == []


def test_old_jobs_without_a_digest_and_equal_densities_are_not_marked() -> None:
    levels = [level(1.0, None), level(0.8, None), level(0.8, "x"), level(0.8, "x")]
    mark_repeats(levels)
    assert not any(lv.get(REPEATS_PREVIOUS) for lv in levels)


def test_same_predictions_with_another_loss_are_a_different_working_network() -> None:
    """A 99 % breast-cancer level predicts the 113 test rows like the level before it, with other logits."""
    levels = [level(1.0, "a", 0.034), level(0.8, "a", 0.0404), level(0.64, "a", 0.04041), level(0.5, "a", 0.05)]
    mark_repeats(levels)
    assert [bool(lv.get(REPEATS_PREVIOUS)) for lv in levels] == [False, False, True, False]
