"""Which language a customer writes in, when it is one the English and German judges cannot read.

langdetect (Google's language-detection profiles, 55 languages, pure Python, 2.7 MB with six) was chosen over
py3langid 0.4.0 (78 MB with numpy) and lingua-language-detector (98 MB, 6.5 s to build a detector for all
languages) for the size of the Lambda layer; its import costs 20 ms and the first detection loads the
profiles once per container (about 0.55 s), later ones take about a millisecond.

Statistical detectors guess wildly on a few words ("ok" comes out Slovak), so: a text needs three words of
letters before it is judged at all; a part whose words are mostly common English or German words is read as
English or German whatever the detector says (typos, missing umlauts, anglicisms, a foreign greeting or name);
and each sentence is judged on its own, so "Hello, quiero hablar con alguien" after an English greeting counts.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from loopgate.policy.text import fold

READABLE = frozenset({"en", "de"})
NAMES = {
    "fr": "French", "tr": "Turkish", "pl": "Polish", "es": "Spanish", "it": "Italian", "nl": "Dutch",
    "pt": "Portuguese", "hr": "Croatian", "vi": "Vietnamese", "ar": "Arabic", "ru": "Russian", "uk": "Ukrainian",
    "ro": "Romanian", "cs": "Czech", "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian", "el": "Greek",
    "hu": "Hungarian", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "bg": "Bulgarian",
    "fa": "Persian", "he": "Hebrew", "zh-cn": "Chinese", "zh-tw": "Chinese", "ja": "Japanese", "ko": "Korean",
    "id": "Indonesian", "ca": "Catalan", "so": "Somali", "sw": "Swahili", "tl": "Tagalog", "af": "Afrikaans",
    "hi": "Hindi", "th": "Thai", "lt": "Lithuanian", "lv": "Latvian", "et": "Estonian", "cy": "Welsh",
}
MIN_WORDS = 3
# Common English and German words, folded (no umlauts, ss for ß): what makes a part readable for the judges.
_COMMON = frozenset("""
i me my you your we our us he she it they them is are was were be been am im ive id dont cant wont didnt doesnt
the a an and or but not no yes to of in on at for with from by about as this that these those there here what
when where why how who which can could would should will shall do does did have has had get got want need please
pls thanks thank hi hello hey dear sorry just only still again also very so too now today yesterday tomorrow
my order parcel package refund cancel account invoice bill payment money help call back send sent arrived
ich du er sie es wir ihr mich mir dich dir uns euch mein meine meinen meinem meiner ihr ihre ihren ihrem
der die das den dem des ein eine einen einem einer und oder aber nicht kein keine ja nein zu von mit bei
fuer auf aus nach vor ist sind war waren bin bist hat habe haben hatte wird werden kann koennen koennte
moechte will wollte soll muss mal noch schon auch nur sehr so wie was wann wo warum wer bitte danke hallo
guten tag gruesse gruss liebe lieber sehr geehrte damen herren meine bestellung paket rechnung geld konto
hab nen ne gerne gern alles nichts etwas heute morgen gestern jetzt dann denn doch weil dass wenn ob
ordered last week weeks days month broken repair delivered delivery tracking says nope item arrived paid
charged wrong missing late never yet where new old thx ty asap ok okay
kaputt hilfe lieferung bestellt geliefert nix nicht mehr wann woche wochen tage falsch dringend geht
""".split())
# Telegraphic service messages ("Laptop broken. Repair?") carry few function words: their vocabulary decides.
_WORDS = re.compile(r"[^\W\d_]{2,}")
_SENTENCES = re.compile(r"[^.!?;:\n]+")
# A greeting before a comma ("Guten Tag, ...") must not make the request after it read as German
_CLAUSES = re.compile(r"[^.!?;:,\n]+")

_lock = threading.Lock()
_detect = None


@dataclass(frozen=True)
class Detection:
    code: str
    name: str
    part: str  # the words judged foreign, as written


def _detector():
    """langdetect, seeded: its sampling is random, and a judge must say the same thing twice."""
    global _detect
    with _lock:
        if _detect is None:
            from langdetect import DetectorFactory, detect_langs

            DetectorFactory.seed = 0
            _detect = detect_langs
    return _detect


def _readable(part: str) -> bool:
    words = _WORDS.findall(fold(part).text)
    if len(words) < MIN_WORDS:
        return True  # too short to say: nothing the judges should hand over for
    common = sum(w in _COMMON for w in words)
    return common / len(words) >= 0.3


def _guess(part: str) -> str | None:
    from langdetect.lang_detect_exception import LangDetectException

    try:
        languages = _detector()(part)
    except LangDetectException:  # no letters at all: emoji, digits
        return None
    return languages[0].lang if languages else None


def foreign_language(text: str | None) -> Detection | None:
    """The first part of the text in a language other than English or German, or None."""
    if not text or _readable(text) and len(_WORDS.findall(text)) < MIN_WORDS:
        return None
    parts = ([text] + [m.group(0) for m in _SENTENCES.finditer(text)]
             + [m.group(0) for m in _CLAUSES.finditer(text)])
    for part in parts:
        if _readable(part):
            continue
        code = _guess(part)
        if code and code not in READABLE:
            return Detection(code, NAMES.get(code, code), " ".join(part.split()))
    return None
