"""What the customer receives, per locale: a short message with their single-use link."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

_TEXT = {
    "en": {
        "subject": "{title}",
        "reminder": "A reminder:",
        "greeting": "Hello {name},",
        "body": "we prepared the following for you and need your answer before we go ahead.",
        "cta": "Open your request",
        "person": "You can also ask to talk to a person on that page.",
        "expires": "The link works once and expires in {hours} hours.",
        "sms": "{title}: {url} (works once, expires in {hours} h; you can ask for a person there)",
    },
    "de": {
        "subject": "{title}",
        "reminder": "Eine Erinnerung:",
        "greeting": "Hallo {name},",
        "body": "wir haben Folgendes für Sie vorbereitet und brauchen Ihre Antwort, bevor wir fortfahren.",
        "cta": "Anfrage öffnen",
        "person": "Auf der Seite können Sie auch um ein Gespräch mit einer Person bitten.",
        "expires": "Der Link funktioniert einmal und läuft in {hours} Stunden ab.",
        "sms": "{title}: {url} (einmal gültig, läuft in {hours} Std. ab; dort erreichen Sie auch eine Person)",
    },
}


@dataclass(frozen=True)
class CustomerMessage:
    subject: str
    text: str
    html: str
    sms: str


def language(locale: str | None) -> str:
    lang = (locale or "en").split("-")[0].lower()
    return lang if lang in _TEXT else "en"


def customer_message(*, locale: str | None, title: str, name: str | None, url: str, valid_seconds: int,
                     intro: str | None = None, reminder: bool = False) -> CustomerMessage:
    t = _TEXT[language(locale)]
    hours = max(1, valid_seconds // 3600)
    greeting = t["greeting"].format(name=name or "").replace(" ,", ",")
    body = (t["reminder"] + " " if reminder else "") + (intro or t["body"])
    text = "\n\n".join([greeting, body, f"{t['cta']}: {url}", t["person"], t["expires"].format(hours=hours)])
    html = (f"<p>{escape(greeting)}</p><p>{escape(body)}</p>"
            f"<p><a href=\"{escape(url)}\">{escape(t['cta'])}</a></p>"
            f"<p>{escape(t['person'])}</p><p>{escape(t['expires'].format(hours=hours))}</p>")
    subject = (t["reminder"] + " " if reminder else "") + t["subject"].format(title=title)
    return CustomerMessage(subject=subject, text=text, html=html,
                           sms=(t["reminder"] + " " if reminder else "") + t["sms"].format(title=title, url=url,
                                                                                           hours=hours))


# ---------------------------------------------------------------- a person will contact the customer
_CONTACT = {
    "en": {
        "promise_subject": "We will contact you by {when}",
        "promise": "a person from our team has your conversation with our assistant and will contact you {how} by "
                   "{when}. You do not need to repeat anything.",
        "window": "You asked to be contacted: {window}.",
        "promise_sms": "A person from our team will contact you {how} by {when}. Reference {reference}.",
        "late_subject": "Sorry for the wait: we will contact you by {when}",
        "late": "we are sorry: we have not managed to contact you yet as we promised. A person from our team will "
                "contact you {how} by {when}. You do not need to repeat anything.",
        "late_sms": "Sorry, we have not reached you yet. A person from our team will contact you {how} by {when}. "
                    "Reference {reference}.",
        "missed_subject": "We tried to reach you",
        "missed": "a person from our team tried to contact you {how} about your request, but could not reach you. "
                  "We have closed it for now. If you still need help, contact us again and quote your reference; "
                  "your conversation so far is kept with it.",
        "missed_sms": "We tried to reach you {how} but could not. If you still need help, contact us again quoting "
                      "reference {reference}.",
        "reference": "Your reference: {reference}",
        "how": {"phone": "by phone", "email": "by email", "sms": "by text message"},
    },
    "de": {
        "promise_subject": "Wir melden uns bis {when}",
        "promise": "eine Person aus unserem Team hat Ihr Gespräch mit unserem Assistenten vor sich und meldet sich "
                   "{how} bis {when} bei Ihnen. Sie müssen nichts wiederholen.",
        "window": "Ihr Wunsch zur Erreichbarkeit: {window}.",
        "promise_sms": "Eine Person aus unserem Team meldet sich {how} bis {when}. Vorgang {reference}.",
        "late_subject": "Entschuldigen Sie die Wartezeit: Wir melden uns bis {when}",
        "late": "es tut uns leid: Wir haben uns noch nicht wie versprochen bei Ihnen gemeldet. Eine Person aus unserem "
                "Team meldet sich {how} bis {when} bei Ihnen. Sie müssen nichts wiederholen.",
        "late_sms": "Entschuldigung, wir haben Sie noch nicht erreicht. Eine Person aus unserem Team meldet sich {how} "
                    "bis {when}. Vorgang {reference}.",
        "missed_subject": "Wir haben Sie nicht erreicht",
        "missed": "eine Person aus unserem Team hat versucht, Sie {how} zu Ihrem Anliegen zu erreichen, leider ohne "
                  "Erfolg. Wir haben den Vorgang vorerst geschlossen. Wenn Sie weiter Hilfe brauchen, melden Sie "
                  "sich bitte mit Ihrer Vorgangsnummer; Ihr bisheriges Gespräch ist dort gespeichert.",
        "missed_sms": "Wir haben versucht, Sie {how} zu erreichen, leider ohne Erfolg. Brauchen Sie weiter Hilfe, "
                      "melden Sie sich bitte mit Vorgang {reference}.",
        "reference": "Ihre Vorgangsnummer: {reference}",
        "how": {"phone": "telefonisch", "email": "per E-Mail", "sms": "per SMS"},
    },
}


def contact_promise_message(*, locale: str | None, name: str | None, when: str, how: str, reference: str,
                            window: str | None = None, late: bool = False) -> CustomerMessage:
    """By when a person will contact the customer (`when` already in their locale and zone), and how; `late`: an
    earlier promise was missed, and this one says sorry."""
    t, greeting = _CONTACT[language(locale)], _greeting(locale, name)
    way = t["how"].get(how, t["how"]["phone"])
    kind = "late" if late else "promise"
    lines = [greeting, t[kind].format(how=way, when=when)]
    if window:
        lines.append(t["window"].format(window=window))
    lines.append(t["reference"].format(reference=reference))
    return CustomerMessage(subject=t[f"{kind}_subject"].format(when=when), text="\n\n".join(lines),
                           html="".join(f"<p>{escape(line)}</p>" for line in lines),
                           sms=t[f"{kind}_sms"].format(how=way, when=when, reference=reference))


def not_reached_message(*, locale: str | None, name: str | None, how: str, reference: str) -> CustomerMessage:
    """A person tried and could not reach the customer: how to reach us instead."""
    t, greeting = _CONTACT[language(locale)], _greeting(locale, name)
    way = t["how"].get(how, t["how"]["phone"])
    lines = [greeting, t["missed"].format(how=way), t["reference"].format(reference=reference)]
    return CustomerMessage(subject=t["missed_subject"], text="\n\n".join(lines),
                           html="".join(f"<p>{escape(line)}</p>" for line in lines),
                           sms=t["missed_sms"].format(how=way, reference=reference))


def _greeting(locale: str | None, name: str | None) -> str:
    return _TEXT[language(locale)]["greeting"].format(name=name or "").replace(" ,", ",")
