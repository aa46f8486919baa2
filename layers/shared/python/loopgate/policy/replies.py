"""Reading a customer's SMS or email reply: yes or no, an option number, a one-time code, a person, STOP, START."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from email.utils import parseaddr

YES = {"yes", "y", "yeah", "yep", "ok", "okay", "confirm", "confirmed", "sure",
       "ja", "j", "jo", "jawohl", "klar", "gerne", "bestätigen", "bestätigt", "einverstanden"}
NO = {"no", "n", "nope", "decline", "cancel", "nein", "ne", "nee", "ablehnen", "abgelehnt"}
PERSON = {"person", "mensch", "agent", "human", "operator", "mitarbeiter", "mitarbeiterin"}
STOP = {"stop", "stopp", "unsubscribe", "abmelden", "stopall", "end", "quit"}
START = {"start", "unstop"}  # after a STOP by mistake: messages on this channel again
# Words that may stand before an option number: "Option 2", "Nr. 2", "Termin 2".
OPTION_WORDS = {"option", "nr", "nummer", "number", "termin", "date", "datum", "#"}
CODE_DIGITS = 6
_THUMBS = {"\N{THUMBS UP SIGN}": " yes ", "\N{THUMBS DOWN SIGN}": " no "}
_SKIN_TONES = re.compile("[\U0001F3FB-\U0001F3FF\uFE0F]")
# "On Mon, ... Ana wrote:", "Am 23.11.2026 schrieb Ana <ana@example.com>:"
_QUOTE_HEADER = re.compile(r"^(on|am)\s.+\b(wrote|schrieb)\b.*:\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ReadReply:
    intent: str  # confirm | reject | choose | human | stop | start | unknown
    option: int | None = None  # 1-based, for choose
    code: str | None = None  # a 6-digit code found anywhere in the reply


def read_reply(text: str) -> ReadReply:
    """What the first words say; words that contradict each other ("yes no") are not understood."""
    for emoji, word in _THUMBS.items():
        text = text.replace(emoji, word)
    words = re.findall(r"#|\w+", _SKIN_TONES.sub("", text).lower())
    code = next((w for w in words if w.isdigit() and len(w) == CODE_DIGITS), None)
    rest = [w for w in words if w != code]
    if not rest:
        return ReadReply("unknown", code=code)
    first = rest[0]
    if first in STOP and len(rest) == 1 and not code:
        return ReadReply("stop")
    if first in START and len(rest) == 1 and not code:
        return ReadReply("start")
    if first in OPTION_WORDS and len(rest) > 1:
        rest = rest[1:]
        first = rest[0]
    if first.isdigit() and len(first) <= 2:
        return ReadReply("choose", option=int(first), code=code)
    said = {w for w in rest[:4]}
    yes, no, person = bool(said & YES), bool(said & NO), first in PERSON
    if person:
        return ReadReply("human", code=code)
    if yes and not no and first in YES:
        return ReadReply("confirm", code=code)
    if no and not yes and first in NO:
        return ReadReply("reject", code=code)
    return ReadReply("unknown", code=code)


def first_reply_line(body: str) -> str:
    """An email reply's own words: its first line that is not quoted, empty or a quote's header."""
    for line in body.splitlines():
        text = line.strip()
        if not text or text.startswith(">"):
            continue
        if _QUOTE_HEADER.match(text) or text.startswith("-----"):
            return ""  # the reply starts with the quote: nothing of the customer's own
        return text
    return ""


def normalized_address(channel: str, address: str) -> str:
    """E.164 for a phone number ("0049 151 ..." and "+49 (151) ..." are one number), the lower-cased address
    for email ("Ana <Ana@Example.com>" is ana@example.com)."""
    if channel == "sms":
        digits = re.sub(r"[^\d+]", "", address)
        return "+" + digits[2:] if digits.startswith("00") else digits
    return parseaddr(address)[1].strip().lower()


def sender_hash(channel: str, address: str) -> str:
    """What replies are keyed by: the address is personal data and stays out of keys."""
    return hashlib.sha256(f"{channel}:{normalized_address(channel, address)}".encode()).hexdigest()


def new_reply_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def reply_code_hash(step_id: str, code: str) -> str:
    """Stored in place of the code; salted with the step so one step's codes say nothing of another's."""
    return hashlib.sha256(f"{step_id}:{code}".encode()).hexdigest()


def code_matches(step_id: str, code: str, hashes: set[str] | list[str]) -> bool:
    given = reply_code_hash(step_id, code)
    return any(hmac.compare_digest(given, known) for known in hashes)
