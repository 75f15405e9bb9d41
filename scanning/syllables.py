"""Vietnamese syllables that Tesseract ran together, parted again.

Vietnamese is written one syllable to a word, each syllable an optional initial consonant, one
to three vowels and an optional final consonant, with at most one tone mark. Tesseract's layout
sometimes misses the space between two syllables in bold or tightly set text (a table header
"Số bản" read "Sốbản"), after a figure ("3 Bản" read "3Bản") or after a comma ("Đông, xã" read
"Đông,.xã"); such a token is no syllable at all, so the word is lost to search. A token is
parted only when it is not a syllable itself, every part is one, and it carries a Vietnamese
mark (a tone, ă â ê ô ơ ư or đ; on both sides of a comma): a word in another language, a name
from one, an abbreviation or a code has no such parting, or no mark, and is kept as read.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
"""Grave, acute, tilde, hook above and dot below: the five tone marks, once decomposed."""

SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx])?"
    r"[aăâeêioôơuưy]{1,3}"
    r"(?:ch|ng|nh|[cmnpt])?")
"""A syllable with its tone taken off, in lower case."""

VIETNAMESE_LETTERS = frozenset("ăâêôơưđ")
VOWELS = frozenset("aăâeêioôơuưy")
EDGES = re.compile(r"^(?P<lead>[\W_]*)(?P<core>.*?)(?P<trail>[\W_]*)$", re.DOTALL)
FIGURE_THEN_LETTERS = re.compile(r"(\d+)([^\W\d_]+)")
RULE_REMNANTS = frozenset("_|")
STOP_BETWEEN = re.compile(r"([^\W\d_]+)([,;:.]+)([^\W\d_]+)")
LONGEST_PARTED = 12
"""Letters beyond which a token is not tried: two or three run-together syllables are this
long at most, and the search grows with the length."""


def part_words(token: str) -> list[str]:
    """``token`` as the words it should have been: itself, or its syllables parted, leading
    and trailing punctuation kept on the first and last, a table rule's remnant ("_", "|") on
    its own."""
    edges = EDGES.fullmatch(token)
    if edges is None or not edges["core"]:
        return [token]
    lead, core, trail = edges["lead"], edges["core"], edges["trail"]
    words = _parted(core)
    if words is None:
        if not (_remnant(lead) or _remnant(trail)) or not _marked(core):
            return [token]
        words = [core]
    before = [lead] if _remnant(lead) else []
    after = [trail] if _remnant(trail) else []
    if not before:
        words[0] = lead + words[0]
    if not after:
        words[-1] = words[-1] + trail
    return [*before, *words, *after]


def _parted(core: str) -> list[str] | None:
    """The words ``core`` (a token without its edges) parts into, or None when it is kept."""
    figure = FIGURE_THEN_LETTERS.fullmatch(core)
    if figure is not None:  # "3Bản"
        letters = figure[2]
        if _is_syllable(letters) and _marked(letters):
            return [figure[1], letters]
        return None
    stop = STOP_BETWEEN.fullmatch(core)
    if stop is not None:  # "Đông,.xã": the space after a comma missed
        before, after = _as_syllables(stop[1]), _as_syllables(stop[3])
        if before is None or after is None or not (_marked(stop[1]) and _marked(stop[3])):
            return None
        return [*before[:-1], before[-1] + stop[2], *after]
    capitals = _capitals_then_word(core)
    if capitals is not None:  # "UBNDTỉnh", or a rule's corner read "L" before "Căn"
        return capitals
    if _is_syllable(core) or not _marked(core):
        return None
    return _as_syllables(core)


def _capitals_then_word(core: str) -> list[str] | None:
    """Capitals run into a capitalised, marked word: the capitals, then the word's syllables."""
    for cut in range(1, len(core) - 1):
        head, word = core[:cut], core[cut:]
        if head.isupper() and word[0].isupper() and word[1:].islower():
            syllables = _as_syllables(word)
            return [head, *syllables] if syllables is not None and _marked(word) else None
    return None


def _remnant(edge: str) -> bool:
    return bool(edge) and set(edge) <= RULE_REMNANTS


def _as_syllables(letters: str) -> list[str] | None:
    """``letters`` as the syllables they part into (one when they are one), or None."""
    if not letters.isalpha() or len(letters) > LONGEST_PARTED:
        return None
    lengths = _syllables(letters.lower())
    if lengths is None:
        return None
    words, start = [], 0
    for length in lengths:
        words.append(letters[start:start + length])
        start += length
    return words


def _bare(text: str) -> tuple[str, int]:
    """``text`` in lower case without its tone marks, and how many it had."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    tones = sum(mark in TONES for mark in decomposed)
    bare = "".join(mark for mark in decomposed if mark not in TONES)
    return unicodedata.normalize("NFC", bare), tones


def _is_syllable(text: str) -> bool:
    bare, tones = _bare(text)
    return tones <= 1 and SYLLABLE.fullmatch(bare) is not None


def _marked(text: str) -> bool:
    bare, tones = _bare(text)
    return tones > 0 or not VIETNAMESE_LETTERS.isdisjoint(bare)


@lru_cache(maxsize=4096)
def _syllables(letters: str) -> tuple[int, ...] | None:
    """The lengths of the fewest syllables ``letters`` (lower case) parts into, or None. Of
    partings as short, the one giving later syllables the longest initial wins ("cư trú", not
    "cưt rú"), as a reader would part them. A lone letter counts only as a vowel."""
    if _is_syllable(letters) and (len(letters) > 1 or letters in VOWELS):
        return (len(letters),)
    best: tuple[int, ...] | None = None
    for cut in range(1, len(letters)):
        head = letters[:cut]
        if not _is_syllable(head) or (cut == 1 and head not in VOWELS):
            continue
        rest = _syllables(letters[cut:])
        if rest is not None and (best is None or len(rest) + 1 < len(best)):
            best = (cut, *rest)
    return best
