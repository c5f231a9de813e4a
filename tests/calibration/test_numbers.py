"""The number classifier (digits.py, trained by scripts/train_numbers.py) on rendered slots it has not
seen: a fresh seed of scripts/number_glyphs.py."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_receiver.calibration import digits
from tests.renderer import load_script


@pytest.fixture(scope="module")
def glyphs():
    return load_script("number_glyphs")


# Upside-down numbers (class UPSIDE_DOWN + n) that look like an upright one.
_ALIKE = {1: 1, 6: 9, 8: 8, 9: 6, 11: 11}


def _looks(classes: np.ndarray) -> np.ndarray:
    """What each class looks like: upright classes as themselves, upside-down ones as the upright number
    they resemble (or themselves)."""
    looks = classes.copy()
    for n, upright in _ALIKE.items():
        looks[classes == digits.UPSIDE_DOWN + n] = upright
    return looks


def test_the_classifier_reads_rendered_numbers(glyphs):
    pictures, labels = glyphs.batch(np.random.default_rng(424242), 600)
    predicted = digits.classify(pictures).argmax(axis=1)
    numbers = labels > 0
    assert (predicted == labels).mean() >= 0.85
    # What matters most: a number is rarely taken for another number, upright or upside down (the sum
    # over the twenty slots outweighs the few that are). Some look alike whichever way they stand: an
    # "8" upside down is an "8", a "6" a "9".
    confused = numbers & (predicted > 0) & (_looks(predicted) != _looks(labels))
    assert confused.sum() <= 0.08 * numbers.sum()


def test_probabilities_for_an_empty_batch_and_a_batch(glyphs):
    assert digits.classify(np.zeros((0, 32, 32), np.uint8)).shape == (0, digits.N_CLASSES)
    p = digits.classify(glyphs.batch(np.random.default_rng(5), 8)[0])
    assert p.shape == (8, digits.N_CLASSES) and np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
