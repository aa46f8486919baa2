"""Text normalisation and phrase matching for the judges: one folded form, so each word list is written once.

Folding: lower case; ä/ö/ü/ß become ae/oe/ue/ss (so "WÜTEND", "wütend" and "wuetend" are the same word);
other accents are dropped ("é" -> "e"); apostrophes vanish ("can't" -> "cant", "I'm" -> "im"); a letter
repeated three or more times counts once ("soooo" -> "so"). Every folded character remembers where it came
from, so a finding quotes the customer's own words, not the folded ones.

Patterns are written in the folded form in a small notation compiled to regular expressions:

    a space   one run of separators (spaces, punctuation)
    ~         up to three whole words in between ("talk to ~ human" matches "talk to a real human")
    word*     a stem: "verklag*" matches "verklage", "verklagen"
    (a|b) ?   regular-expression groups and optionals, written around whole words

Every pattern matches whole words only (no "klage" in "Klagenfurt"), and runs in linear time: words and
separators are possessive (never re-split while backtracking) and the gaps are bounded.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_SPECIAL = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ı": "i", "ł": "l",
            "’": "", "'": "", "`": "", "´": ""}

_WORD = "[a-z0-9]"
_SEP = "(?:[^a-z0-9]++)"
_GAP = f"(?:{_SEP}{_WORD}++){{0,3}}{_SEP}"


@dataclass(frozen=True)
class Folded:
    source: str
    text: str
    origin: tuple[int, ...]  # origin[i]: index in source of folded character i

    def quote(self, start: int, end: int) -> str:
        """The customer's own words behind the folded span [start, end)."""
        if start >= end:
            return ""
        return self.source[self.origin[start]:self.origin[end - 1] + 1]


def _fold_char(char: str) -> str:
    lower = char.lower()
    if lower in _SPECIAL:
        return _SPECIAL[lower]
    if lower.isascii():
        return lower
    decomposed = unicodedata.normalize("NFKD", lower)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped or lower


def fold(text: str | None) -> Folded:
    source = text or ""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(source):
        for piece in _fold_char(char):
            chars.append(piece)
            origin.append(index)
    # A letter repeated three or more times counts once ("soooo" -> "so"); a double letter stays ("wood").
    text_out: list[str] = []
    origin_out: list[int] = []
    i = 0
    while i < len(chars):
        j = i + 1
        while j < len(chars) and chars[j] == chars[i]:
            j += 1
        keep = 1 if chars[i].isalpha() and j - i >= 3 else j - i
        text_out.extend(chars[i] * keep)
        origin_out.extend(origin[i:i + keep - 1] + [origin[j - 1]])
        i = j
    return Folded(source, "".join(text_out), tuple(origin_out))


def compile_patterns(patterns: Iterable[str]) -> re.Pattern[str]:
    """One regular expression for a list of patterns in the notation above, matching whole words only."""
    alternatives = []
    for pattern in patterns:
        body = pattern.strip()
        body = re.sub(r"(?<=[a-z)])\*", f"{_WORD}*+", body.replace(" ~ ", "\x00"))
        body = body.replace(" ", _SEP).replace("\x00", _GAP)
        alternatives.append(f"(?:{body})")
    return re.compile(f"(?<![a-z0-9])(?:{'|'.join(alternatives)})(?![a-z0-9])")


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    words: str  # as the customer wrote them


NEGATORS = frozenset({"not", "no", "dont", "doesnt", "didnt", "never", "without", "nobody", "cant", "cannot",
                      "wont", "isnt", "arent", "nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie",
                      "niemals", "ohne", "weder", "unable"})
_CLAUSE_END = re.compile(r"[.;:!?,]|\b(?:but|aber|sondern|and|und)\b")
_TOKEN = re.compile(r"[a-z0-9]+")


def words_before(folded: Folded, start: int, count: int = 3, window: int = 60) -> list[str]:
    """The last few words before start within the same clause (a comma, full stop, "but" or "and" ends it)."""
    before = folded.text[max(0, start - window):start]
    ends = list(_CLAUSE_END.finditer(before))
    if ends:
        before = before[ends[-1].end():]
    return _TOKEN.findall(before)[-count:]


def words_after(folded: Folded, end: int, count: int = 3, window: int = 60) -> list[str]:
    after = folded.text[end:end + window]
    stop = _CLAUSE_END.search(after)
    if stop:
        after = after[:stop.start()]
    return _TOKEN.findall(after)[:count]


def find(folded: Folded, pattern: re.Pattern[str], unless_before: frozenset[str] = frozenset(),
         unless_after: Sequence[re.Pattern[str]] = ()) -> list[Hit]:
    """Every match, less those with one of unless_before among the words just before it (negation scope)
    or a following clause matching one of unless_after ("Rückruf nicht nötig")."""
    hits = []
    for match in pattern.finditer(folded.text):
        if unless_before and unless_before.intersection(words_before(folded, match.start())):
            continue
        if unless_after:
            following = " ".join(words_after(folded, match.end()))
            if any(p.match(following) for p in unless_after):
                continue
        hits.append(Hit(match.start(), match.end(), folded.quote(match.start(), match.end())))
    return hits


def quoted_words(words: Iterable[str], limit: int = 3) -> str:
    """The first few findings, quoted and without repeats, for an explanation."""
    seen: list[str] = []
    for word in words:
        flat = " ".join(word.split())
        if flat.lower() not in (s.lower() for s in seen):
            seen.append(flat)
    return ", ".join(f'"{w}"' for w in seen[:limit])
