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
                     intro: str | None = None, reminder: bool = False,
                     invite: ReplyInvite | None = None) -> CustomerMessage:
    t = _TEXT[language(locale)]
    hours = max(1, valid_seconds // 3600)
    greeting = t["greeting"].format(name=name or "").replace(" ,", ",")
    body = (t["reminder"] + " " if reminder else "") + (intro or t["body"])
    text = "\n\n".join([greeting, body, f"{t['cta']}: {url}", t["person"], t["expires"].format(hours=hours)])
    html = (f"<p>{escape(greeting)}</p><p>{escape(body)}</p>"
            f"<p><a href=\"{escape(url)}\">{escape(t['cta'])}</a></p>"
            f"<p>{escape(t['person'])}</p><p>{escape(t['expires'].format(hours=hours))}</p>")
    subject = (t["reminder"] + " " if reminder else "") + t["subject"].format(title=title)
    sms = (t["reminder"] + " " if reminder else "") + t["sms"].format(title=title, url=url, hours=hours)
    if invite:
        by_mail = reply_invitation(locale, invite, "email")
        text += "\n\n" + by_mail
        html += "".join(f"<p>{escape(line)}</p>" for line in by_mail.split("\n"))
        sms += "\n" + reply_invitation(locale, invite, "sms")
    return CustomerMessage(subject=subject, text=text, html=html, sms=sms)


@dataclass(frozen=True)
class ReplyInvite:
    """What the customer can answer by replying to the message itself (docs/messaging.md)."""

    kind: str  # the step's kind: confirm | choose | provide | correct
    options: tuple[str, ...] = ()  # the labels of a choice, numbered from 1 in the message
    code: str | None = None  # an irreversible action's one-time code, to be sent with the answer


_INVITE = {
    "en": {
        "confirm": "Reply YES to confirm or NO to decline.",
        "confirm_code": "Reply YES {code} to confirm, or NO to decline.",
        "choose": "Reply with the number of your choice:",
        "choose_code": "Reply with the number of your choice and the code {code} (for example: 1 {code}):",
        "other": "You can also reply to this message.",
        "person": "Reply PERSON to talk to a person.",
        "stop": "STOP: no more text messages.",
    },
    "de": {
        "confirm": "Antworten Sie JA zum Bestätigen oder NEIN zum Ablehnen.",
        "confirm_code": "Antworten Sie JA {code} zum Bestätigen oder NEIN zum Ablehnen.",
        "choose": "Antworten Sie mit der Nummer Ihrer Wahl:",
        "choose_code": "Antworten Sie mit der Nummer Ihrer Wahl und dem Code {code} (zum Beispiel: 1 {code}):",
        "other": "Sie können auch auf diese Nachricht antworten.",
        "person": "Antworten Sie MENSCH für ein Gespräch mit einer Person.",
        "stop": "STOPP: keine SMS mehr.",
    },
}


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


def reply_invitation(locale: str | None, invite: ReplyInvite, channel: str) -> str:
    t = _INVITE[language(locale)]
    code = "_code" if invite.code else ""
    if invite.kind == "confirm":
        lines = [t["confirm" + code].format(code=invite.code)]
    elif invite.kind == "choose" and invite.options:
        lines = [t["choose" + code].format(code=invite.code)]
        lines += [f"{number} = {label}" for number, label in enumerate(invite.options, start=1)]
    else:
        lines = []
    lines.append(t["person"])
    if channel == "sms":
        lines.append(t["stop"])
    return "\n".join(lines)


_REPLY = {
    "en": {
        "subject": "Your reply",
        "received": "Thank you, we received your answer ({what}). No need to use the link any more.",
        "person": "Thank you. A person from our team will contact you within {hours} hours.",
        "need_code": "To go ahead, please reply with your answer and the 6-digit code from our message, "
                     "for example: {example}",
        "wrong_code": "That code does not match the one in our message. Please check it and reply again, "
                      "for example: {example}",
        "locked": "Too many wrong codes. Please use this link instead: {url}",
        "not_understood": "Sorry, we did not understand your reply.\n{invitation}\nOr use this link: {url}",
        "answered": "We already have your answer to this request; nothing more is needed.",
        "closed": "We are no longer waiting for this answer; a person from our team will contact you.",
        "expired": "This request has expired; a person from our team will contact you.",
        "changed": "What our message showed has changed since; we will send you the current proposal.",
        "try_again": "We were just updating your request. Please send your answer again.",
        "opted_in": "You will get our messages by this channel again. Reply STOP to stop them.",
        "unknown": "We could not find an open request for this sender. Please use the link in the message we "
                   "sent you, or reply from the number or address we wrote to.",
    },
    "de": {
        "subject": "Ihre Antwort",
        "received": "Danke, wir haben Ihre Antwort erhalten ({what}). Sie müssen den Link nicht mehr benutzen.",
        "person": "Danke. Eine Person aus unserem Team meldet sich innerhalb von {hours} Stunden bei Ihnen.",
        "need_code": "Um fortzufahren, antworten Sie bitte mit Ihrer Antwort und dem 6-stelligen Code aus "
                     "unserer Nachricht, zum Beispiel: {example}",
        "wrong_code": "Der Code stimmt nicht mit dem aus unserer Nachricht überein. Bitte prüfen Sie ihn und "
                      "antworten Sie erneut, zum Beispiel: {example}",
        "locked": "Zu viele falsche Codes. Bitte benutzen Sie stattdessen diesen Link: {url}",
        "not_understood": "Wir haben Ihre Antwort leider nicht verstanden.\n{invitation}\n"
                          "Oder benutzen Sie diesen Link: {url}",
        "answered": "Wir haben Ihre Antwort auf diese Anfrage bereits; es ist nichts weiter nötig.",
        "closed": "Wir warten nicht mehr auf diese Antwort; eine Person aus unserem Team meldet sich bei Ihnen.",
        "expired": "Diese Anfrage ist abgelaufen; eine Person aus unserem Team meldet sich bei Ihnen.",
        "changed": "Was unsere Nachricht zeigte, hat sich inzwischen geändert; wir senden Ihnen den aktuellen "
                   "Vorschlag.",
        "try_again": "Wir haben Ihre Anfrage gerade aktualisiert. Bitte senden Sie Ihre Antwort noch einmal.",
        "opted_in": "Sie erhalten unsere Nachrichten auf diesem Weg wieder. Antworten Sie STOPP, um sie zu beenden.",
        "unknown": "Wir haben keine offene Anfrage für diesen Absender gefunden. Bitte benutzen Sie den Link aus "
                   "unserer Nachricht oder antworten Sie von der Nummer oder Adresse, an die wir geschrieben haben.",
    },
}


def reply_text(locale: str | None, key: str, **values: str) -> str:
    """What we answer to an SMS or email reply; None as locale: a sender we do not know, told in both languages."""
    if locale is None:
        return "\n\n".join(_REPLY[lang][key].format(**values) for lang in ("en", "de"))
    return _REPLY[language(locale)][key].format(**values)


def reply_subject(locale: str | None) -> str:
    return _REPLY[language(locale)]["subject"]


_WHAT = {"en": {"confirm": "confirmed", "reject": "declined", "choose": "{label}"},
         "de": {"confirm": "bestätigt", "reject": "abgelehnt", "choose": "{label}"}}


def answer_words(locale: str | None, response: str, label: str | None = None) -> str:
    """The answer a reply was read as, in the customer's words: the thanks repeats it so a misreading shows."""
    return _WHAT[language(locale)][response].format(label=label or "")
