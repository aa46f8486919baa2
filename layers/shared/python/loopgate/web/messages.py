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
