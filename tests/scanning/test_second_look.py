"""A form's unsure words are cut out one under another, and a second reading replaces the first
only when it is one word, read surely, with other letters."""

from __future__ import annotations

import numpy as np
import pytest

from scanning.second_look import MOST_WORDS, better_reading, stack, unsure
from scanning.words import Word


def _word(text: str, confidence: float = 50.0, left: int = 0, top: int = 0, width: int = 10,
          height: int = 10) -> Word:
    return Word(text=text, left=left, top=top, width=width, height=height,
                confidence=confidence, line=0)


def test_each_word_gets_a_band_of_its_own_on_white_with_its_ink_and_a_margin() -> None:
    # GIVEN a page with two inked words of different sizes, one against the page's edge
    page = np.full((200, 300), 255, np.uint8)
    page[50:70, 100:160] = 0
    page[0:10, 0:30] = 7
    words = [_word("a", left=100, top=50, width=60, height=20), _word("b", width=30)]
    # WHEN they are stacked
    pile = stack(page, words)
    # THEN each crop's ink sits in its own band, nothing else is inked, and a reading is placed
    # by its middle
    first, second = pile.bands
    assert first[1] <= second[0]
    ink_rows = np.flatnonzero((pile.image < 255).any(axis=1))
    assert all(first[0] <= row < first[1] or second[0] <= row < second[1] for row in ink_rows)
    assert (pile.image == 0).sum() == 60 * 20
    assert (pile.image == 7).sum() == 30 * 10
    dark = np.flatnonzero((pile.image == 0).any(axis=1))
    assert pile.band_of(int(dark[0]), len(dark)) == 0
    faint = np.flatnonzero((pile.image == 7).any(axis=1))
    assert pile.band_of(int(faint[0]), len(faint)) == 1
    assert pile.band_of(pile.image.shape[0] + 10, 5) is None


@pytest.mark.parametrize(("first", "readings", "kept"), [
    (_word("o", 76), [("5", 96.0)], ("5", 96.0)),  # a figure set against its cell's rule
    (_word("CÂU,", 42), [("CẦU", 91.0)], ("CẦU,", 91.0)),  # punctuation kept as first read
    (_word("…", 30), [("Số", 95.0)], ("Số", 95.0)),  # nothing but punctuation first
])
def test_a_sure_single_word_with_other_letters_replaces_the_first_reading(
        first: Word, readings: list[tuple[str, float]], kept: tuple[str, float]) -> None:
    assert better_reading(first, readings) == kept


@pytest.mark.parametrize(("first", "readings"), [
    (_word("ỦY", 57), [("ÙY", 87.0)]),  # surer, but not sure: a fax's hooked capital
    (_word("Nề", 8), [("N2", 28.0)]),
    (_word("Số", 60), [("Số", 95.0)]),  # the same letters
    (_word("Số,", 60), [("Số", 95.0)]),  # the same letters, punctuation aside
    (_word("Sốbản", 60), [("Số", 95.0), ("bản", 95.0)]),  # more than one word
    (_word("x", 20), []),  # nothing read
    (_word("x", 20), [("...", 95.0)]),  # punctuation only
])
def test_the_first_reading_stays_unless_the_second_is_sure_one_word_and_different(
        first: Word, readings: list[tuple[str, float]]) -> None:
    assert better_reading(first, readings) is None


def test_the_least_sure_words_of_a_word_s_height_get_the_look_up_to_the_bound() -> None:
    # GIVEN a page's words: sure ones, unsure ones, an unsure mark as tall as a signature, and
    # more unsure words than the bound
    sure = [_word("Số", 95.0, height=40) for _ in range(20)]
    tall = [_word("kz`C", 5.0, height=400)]
    doubtful = [_word("o", float(confidence % 80), height=40) for confidence in range(100)]
    words = sure + tall + doubtful
    # WHEN the words for the look are chosen
    chosen = unsure(words)
    # THEN only unsure words of a word's height are, the least sure, in page order
    assert len(chosen) == MOST_WORDS
    assert chosen == sorted(chosen)
    assert all(words[i] in doubtful for i in chosen)
    assert max(words[i].confidence for i in chosen) <= min(
        w.confidence for k, w in enumerate(words) if w in doubtful and k not in chosen)
    assert unsure([]) == []
