"""Automated judges for simple, binary checks on text: PII, promises, emotion, legal language, asking for a person.

Deterministic word and pattern checks, English and German; ambiguous cases are left to people.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

ANGER_OR_DISTRESS = (
    # English
    "angry", "furious", "outraged", "outrageous", "ridiculous", "unacceptable", "disgusted", "disgusting",
    "fed up", "sick of", "worst", "scam", "rip-off", "ripoff", "terrible", "appalling", "desperate",
    "can't afford", "cannot afford", "in tears", "at my wits' end", "third time", "fourth time",
    # German
    "wütend", "verärgert", "sauer", "unverschämt", "frechheit", "unzumutbar", "enttäuscht", "katastrophe",
    "skandal", "betrug", "abzocke", "verzweifelt", "kann mir nicht leisten", "zum dritten mal", "reicht mir",
)
LEGAL_LANGUAGE = (
    # English
    "lawyer", "attorney", "solicitor", "legal action", "sue ", "suing", "court", "chargeback", "ombudsman",
    "regulator", "gdpr", "data protection", "breach of contract", "small claims",
    # German
    "anwalt", "rechtsanwalt", "klage", "verklagen", "gericht", "rechtliche schritte", "verbraucherzentrale",
    "schlichtungsstelle", "bundesnetzagentur", "dsgvo", "datenschutz", "vertragsbruch", "widerruf",
)
ASKS_FOR_PERSON = (
    "talk to a person", "talk to a human", "speak to a person", "speak to a human", "speak to someone",
    "real person", "human agent", "a human please", "representative", "call me back",
    "mit einem menschen", "mit einer person", "mitarbeiter sprechen", "echten menschen", "rückruf",
    "persönlich sprechen",
)
PROMISES = (
    "guarantee", "guaranteed", "we promise", "i promise", "100%", "without fail", "no matter what",
    "garantiert", "garantie", "versprechen", "verspreche", "auf jeden fall", "ganz sicher",
)

_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)")  # a leading + makes it a phone number
# Starts only where a word starts and bounds each part (RFC 5321 lengths): without that, a long run of
# "a.a.a..." with no @ costs quadratic time (20,000 characters took 1.5 s).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}[ /-]?\d{2,5}[ /-]?\d{3,10}\b|(?<![\w.])0\d{2,5}[ /-]\d{3,10}\b")


def found_terms(text: str | None, terms: Iterable[str]) -> list[str]:
    """The terms that occur in the text (case-insensitive, whole-word at the start)."""
    if not text:
        return []
    lowered = f" {text.lower()} "
    return [t for t in terms if re.search(r"(?<![\w])" + re.escape(t.lower()), lowered)]


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    checksum = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        checksum += digit
    return checksum % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def pii_findings(text: str | None, own_email: str | None = None, own_phone: str | None = None) -> list[str]:
    """What an outgoing draft must not carry: IBANs, card numbers, other people's emails and phones."""
    if not text:
        return []
    findings = [f"IBAN {m[:4]}…" for m in _IBAN.findall(text) if iban_valid(m)]
    findings += [f"card number …{_digits(m)[-4:]}" for m in _CARD.findall(text) if luhn_valid(m)]
    findings += [f"third-party email {m}" for m in _EMAIL.findall(text)
                 if not own_email or m.lower() != own_email.lower()]
    own = _digits(own_phone or "")
    # Account and card numbers are not phone numbers, valid or not: take them out before looking for phones.
    rest = _CARD.sub(" ", _IBAN.sub(" ", text))
    for match in _PHONE.findall(rest):
        number = _digits(match)
        if own and (number.endswith(own[-9:]) or own.endswith(number[-9:])):
            continue
        findings.append(f"third-party phone …{number[-3:]}")
    return findings
