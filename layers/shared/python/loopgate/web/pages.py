"""The customer page: plain HTML, no third-party assets, readable at phone width, English and German."""
from __future__ import annotations

import json
from html import escape
from typing import Any

from loopgate.web.messages import language

_TEXT = {
    "en": {"confirm": "Confirm", "reject": "Decline", "human": "Talk to a person", "choose": "Choose this",
           "provide": "Send", "correct": "Save my corrections", "confirm_extracted": "Everything is correct",
           "intro": "Here is what we prepared. Please check it and answer below.",
           "choose_intro": "Please pick the option that suits you.",
           "provide_intro": "We need a little more information to go on.",
           "correct_intro": "Please check the data we read from your document and correct what is wrong.",
           "thanks": "Thank you, we received your answer.", "gone": "This link can no longer be used.",
           "unknown": "We could not find this request.", "person_hint": "Prefer to talk to someone?",
           "human_next": "A person from our team will contact you within {hours} hours.",
           "required": "required", "forbidden": "This form can only be sent from its own page.",
           "try_again": "We were just updating your request. Please go back and send your answer again.",
           "feedback_q": "Was this easy?", "yes": "Yes, easy", "no": "No, not really",
           "feedback_comment": "Anything we should do better? (optional)", "feedback_send": "Send feedback",
           "feedback_thanks": "Thank you for your feedback."},
    "de": {"confirm": "Bestätigen", "reject": "Ablehnen", "human": "Mit einer Person sprechen",
           "choose": "Diese Option wählen", "provide": "Senden", "correct": "Korrekturen speichern",
           "confirm_extracted": "Alles ist korrekt",
           "intro": "Das haben wir für Sie vorbereitet. Bitte prüfen Sie es und antworten Sie unten.",
           "choose_intro": "Bitte wählen Sie die passende Option.",
           "provide_intro": "Wir brauchen noch ein paar Angaben, um weiterzumachen.",
           "correct_intro": "Bitte prüfen Sie die Daten aus Ihrem Dokument und korrigieren Sie Fehler.",
           "thanks": "Vielen Dank, wir haben Ihre Antwort erhalten.",
           "gone": "Dieser Link kann nicht mehr verwendet werden.",
           "unknown": "Wir konnten diese Anfrage nicht finden.", "person_hint": "Lieber mit jemandem sprechen?",
           "human_next": "Eine Person aus unserem Team meldet sich innerhalb von {hours} Stunden bei Ihnen.",
           "required": "Pflichtfeld", "forbidden": "Dieses Formular kann nur von seiner eigenen Seite gesendet werden.",
           "try_again": "Wir haben Ihre Anfrage gerade aktualisiert. Bitte senden Sie Ihre Antwort noch einmal.",
           "feedback_q": "War das einfach?", "yes": "Ja, einfach", "no": "Nein, eher nicht",
           "feedback_comment": "Was können wir besser machen? (optional)", "feedback_send": "Feedback senden",
           "feedback_thanks": "Vielen Dank für Ihr Feedback."},
}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;color:#1a1a1a;background:#fff;line-height:1.5}
main{max-width:36rem;margin:0 auto}h1{font-size:1.4rem}
dl{display:grid;grid-template-columns:minmax(6rem,auto) 1fr;gap:.25rem 1rem}dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}label{display:block;font-weight:600;margin-top:.75rem}
textarea{font-size:1rem;width:100%;box-sizing:border-box;border:1px solid #555;border-radius:.3rem}
input[type=text]{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;border:1px solid #555;
border-radius:.3rem}
fieldset{border:1px solid #999;border-radius:.4rem;margin:1rem 0}.option label{font-weight:400;display:inline}
button{font-size:1rem;padding:.75rem 1rem;margin:.25rem 0;width:100%;border-radius:.4rem;border:2px solid #1f3a93;
background:#1f3a93;color:#fff;cursor:pointer}button.secondary{background:#fff;color:#1f3a93}
button:focus-visible,input:focus-visible{outline:3px solid #b35c00;outline-offset:2px}
.error{color:#a00000;font-weight:600}
"""


def _page(lang: str, title: str, body: str) -> str:
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="referrer" content="no-referrer"><title>{escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body><main>{body}</main></body></html>")


def _value(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return escape(json.dumps(value, ensure_ascii=False))
    return escape(str(value))


def _button(response: str, label: str, secondary: bool = False, novalidate: bool = False) -> str:
    return (f'<button type="submit" name="response" value="{response}"'
            f'{" class=secondary" if secondary else ""}{" formnovalidate" if novalidate else ""}>'
            f"{escape(label)}</button>")


def _field(name: str, label: str, value: Any, required: bool, error: str | None, t: dict) -> str:
    field_id = f"f-{escape(name)}"
    described = f' aria-describedby="{field_id}-error" aria-invalid="true"' if error else ""
    shown = "" if value is None else _value(value)
    return (f'<label for="{field_id}">{escape(label)}{" (" + t["required"] + ")" if required else ""}</label>'
            f'<input type="text" id="{field_id}" name="fields.{escape(name)}" value="{shown}"'
            f'{" required" if required else ""}{described}>'
            + (f'<p class="error" id="{field_id}-error">{escape(error)}</p>' if error else ""))


def customer_page(view: dict[str, Any], errors: dict[str, str] | None = None, csrf: str | None = None) -> str:
    lang = language(view.get("locale"))
    t = _TEXT[lang]
    errors = errors or {}
    kind = view["kind"]
    hidden = f'<input type="hidden" name="csrf" value="{escape(csrf)}">' if csrf else ""
    rows = "".join(f"<dt>{escape(str(k))}</dt><dd>{_value(v)}</dd>" for k, v in (view["proposal"] or {}).items())
    parts = [f"<h1>{escape(view['title'])}</h1>"]
    general = errors.get("response") or errors.get("fields") or errors.get("(body)")
    if kind == "confirm":
        parts.append(f"<p>{escape(view.get('intro') or t['intro'])}</p><dl>{rows}</dl><form method=\"post\">{hidden}"
                     + _button("confirm", t["confirm"]) + _button("reject", t["reject"], secondary=True) + "</form>")
    elif kind == "choose":
        options = "".join(
            f'<div class="option"><input type="radio" id="o-{i}" name="option" value="{escape(str(o.get("id")))}"'
            f'{" checked" if i == 0 else ""}> '
            f'<label for="o-{i}">{escape(str(o.get("label", o.get("id"))))}</label></div>'
            for i, o in enumerate(view.get("options", [])))
        error = f'<p class="error">{escape(errors["option"])}</p>' if "option" in errors else ""
        parts.append(f"<p>{escape(t['choose_intro'])}</p><form method=\"post\">{hidden}<fieldset>"
                     f"<legend>{escape(view['title'])}</legend>{options}</fieldset>{error}"
                     + _button("choose", t["choose"]) + "</form>")
    elif kind == "provide":
        fields = "".join(_field(f["name"], f["label"], f.get("value"), f["required"],
                                errors.get(f"fields.{f['name']}"), t) for f in view.get("fields", []))
        question = f"<p><strong>{escape(view['question'])}</strong></p>" if view.get("question") else ""
        parts.append(f"<p>{escape(t['provide_intro'])}</p>{question}<form method=\"post\">{hidden}{fields}"
                     + _button("provide", t["provide"]) + "</form>")
    elif kind == "correct":
        fields = "".join(_field(name, name, value, False, errors.get(f"fields.{name}"), t)
                         for name, value in view.get("extracted", {}).items())
        parts.append(f"<p>{escape(t['correct_intro'])}</p><form method=\"post\">{hidden}{fields}"
                     + _button("correct", t["correct"]) + _button("confirm", t["confirm_extracted"], secondary=True)
                     + "</form>")
    if general:
        parts.append(f'<p class="error" role="alert">{escape(general)}</p>')
    hours = view.get("personWithinHours", 24)
    parts.append(f"<h2>{escape(t['person_hint'])}</h2><p>{escape(t['human_next'].format(hours=hours))}</p>"
                 f"<form method=\"post\">{hidden}"
                 + _button("human", t["human"], secondary=True, novalidate=True) + "</form>")
    return _page(lang, view["title"], "".join(parts))


def message_page(locale: str | None, key: str, extra: str | None = None) -> str:
    lang = language(locale)
    text = _TEXT[lang][key]
    body = f"<h1>{escape(text)}</h1>" + (f"<p>{escape(extra)}</p>" if extra else "")
    return _page(lang, text, body)


def answered_page(locale: str | None, response: str, hours: int, feedback_action: str, csrf: str) -> str:
    """Thanks, what happens next, and a one-tap microfeedback form."""
    lang = language(locale)
    t = _TEXT[lang]
    parts = [f"<h1>{escape(t['thanks'])}</h1>"]
    if response == "human":
        parts.append(f"<p>{escape(t['human_next'].format(hours=hours))}</p>")
    parts.append(
        f'<form method="post" action="{escape(feedback_action)}"><fieldset><legend>{escape(t["feedback_q"])}</legend>'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<label for="fb-comment">{escape(t["feedback_comment"])}</label>'
        f'<textarea id="fb-comment" name="comment" rows="3" maxlength="2000"></textarea>'
        f'<button type="submit" name="helpful" value="true">{escape(t["yes"])}</button>'
        f'<button type="submit" name="helpful" value="false" class="secondary">{escape(t["no"])}</button>'
        "</fieldset></form>")
    return _page(lang, t["thanks"], "".join(parts))


def feedback_page(locale: str | None) -> str:
    return message_page(locale, "feedback_thanks")
