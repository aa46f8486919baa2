"""The learned judge: a linear model per must-see signal, trained on the labelled set, OR-ed with the word lists.

The word lists (judges.py) find what their authors thought of; a customer who writes "is there a human being
anywhere in this company" in words nobody listed slips through them. This judge scores every text by weights
learned from the labelled items (eval/judgement, split `tune` only): the text's folded words, word pairs and
five-letter pieces of longer words (German compounds and inflections share them), and two intensity cues
(repeated "!", words in capitals). A score at or above the signal's threshold is a finding, which names the
words that weighed most, as the word lists' findings do.

Training (`make train-judges`, eval/judgement/train.py) picks each threshold by cross-validation: the lowest that
keeps the judge's own precision at 0.9 on items it was not trained on. The weights ship in learned_judges.json
(read once, on first use); nothing here calls a service or learns at run time.
"""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from loopgate.policy.text import fold

MODEL_FILE = Path(__file__).with_name("learned_judges.json")
SIGNALS = ("customer_requests_human", "emotional_escalation", "policy_language", "vulnerability", "draft_promise")
MAX_CHARS = 4000  # a message is judged on its first 4,000 characters: linear time, bounded cost
_WORD = re.compile(r"[a-z0-9]+")
_BANGS = re.compile(r"!{2,}")
_SHOUTED = re.compile(r"[A-Za-zÄÖÜ]{3,}")
PIECE = 5  # letters in a word piece
# Words that weigh in the score but say nothing to the person reading why ("with", "und"): not shown as reasons.
_SAYS_NOTHING = frozenset(
    "a an and are as at be but by can could do for from have i if in is it its me my of on or our please so that "
    "the this to was we will with would you your "
    "aber auch bin bitte da das dem den der die du ein eine einen er es fuer hat ich ihr ihnen im in ist mich mir "
    "mit nicht noch sie so und von was wer wie wir zu".split())


def features(text: str | None) -> set[str]:
    """What the model sees of a text: `w:` words, `b:` word pairs, `c:` five-letter pieces of words of five
    letters or more, `x:bangs` and `x:caps`."""
    raw = (text or "")[:MAX_CHARS]
    words = _WORD.findall(fold(raw).text)
    found: set[str] = set()
    for i, word in enumerate(words):
        found.add(f"w:{word}")
        if i:
            found.add(f"b:{words[i - 1]}_{word}")
        for k in range(len(word) - PIECE + 1):
            found.add(f"c:{word[k:k + PIECE]}")
    if _BANGS.search(raw):
        found.add("x:bangs")
    if sum(1 for word in _SHOUTED.findall(raw) if word.isupper()) >= 2:
        found.add("x:caps")
    return found


@cache
def model() -> dict[str, Any]:
    return json.loads(MODEL_FILE.read_text(encoding="utf-8"))


def score(signal: str, text: str | None) -> tuple[float, list[tuple[float, str]]]:
    """The signal's score for the text, and the features that raised it, heaviest first."""
    weights = model()["signals"][signal]
    table = weights["weights"]
    present = [(table[f], f) for f in features(text) if f in table]
    total = weights["bias"] + sum(w for w, _ in present)
    return total, sorted((p for p in present if p[0] > 0), reverse=True)


def _words_of(feature: str, text: str) -> str:
    kind, _, body = feature.partition(":")
    if kind == "w":
        return body
    if kind == "b":
        return body.replace("_", " ")
    if kind == "c":  # the whole word the piece came from
        return next((w for w in _WORD.findall(fold(text[:MAX_CHARS]).text) if body in w), body)
    return {"bangs": "!!", "caps": "CAPITALS"}.get(body, body)


def learned_findings(signal: str, text: str | None) -> list[str]:
    """The words that made the learned judge find the signal (at most three), or [] when it does not."""
    if not text or not text.strip():
        return []
    total, raised = score(signal, text)
    if total < model()["signals"][signal]["threshold"]:
        return []
    telling = [f for _, f in raised if not set(_words_of(f, text).split()) <= _SAYS_NOTHING]
    words: list[str] = []
    for feature in telling or [f for _, f in raised]:
        shown = _words_of(feature, text)
        if shown not in words:
            words.append(shown)
        if len(words) == 3:
            break
    return words
