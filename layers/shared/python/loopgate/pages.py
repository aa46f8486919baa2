"""The customer page: plain HTML, no third-party assets, readable at phone width, English and German."""
from __future__ import annotations

import json
from html import escape
from typing import Any

from .messages import language

_TEXT = {
    "en": {"confirm": "Confirm", "reject": "Decline", "human": "Talk to a person", "choose": "Choose this",
           "provide": "Send", "correct": "Save my corrections", "confirm_extracted": "Everything is correct",
           "intro": "Here is what we prepared. Please check it and answer below.",
           "choose_intro": "Please pick the option that suits you.",
           "provide_intro": "We need a little more information to go on.",
           "correct_intro": "Please check the data we read from your document and correct what is wrong.",
           "thanks": "Thank you, we received your answer.", "gone": "This link can no longer be used.",
           "unknown": "We could not find this request.", "person_hint": "Prefer to talk to someone?",
           "human_next": "A person from our team will contact you, usually within one working day.",
           "required": "required"},
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
           "human_next": "Eine Person aus unserem Team meldet sich bei Ihnen, meist innerhalb eines Werktages.",
           "required": "Pflichtfeld"},
}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;color:#1a1a1a;background:#fff;line-height:1.5}
main{max-width:36rem;margin:0 auto}h1{font-size:1.4rem}
dl{display:grid;grid-template-columns:minmax(6rem,auto) 1fr;gap:.25rem 1rem}dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}label{display:block;font-weight:600;margin-top:.75rem}
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
        parts.append(f"<p>{escape(t['intro'])}</p><dl>{rows}</dl><form method=\"post\">{hidden}"
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
        parts.append(f"<p>{escape(t['provide_intro'])}</p><form method=\"post\">{hidden}{fields}"
                     + _button("provide", t["provide"]) + "</form>")
    elif kind == "correct":
        fields = "".join(_field(name, name, value, False, errors.get(f"fields.{name}"), t)
                         for name, value in view.get("extracted", {}).items())
        parts.append(f"<p>{escape(t['correct_intro'])}</p><form method=\"post\">{hidden}{fields}"
                     + _button("correct", t["correct"]) + _button("confirm", t["confirm_extracted"], secondary=True)
                     + "</form>")
    if general:
        parts.append(f'<p class="error" role="alert">{escape(general)}</p>')
    parts.append(f"<h2>{escape(t['person_hint'])}</h2><form method=\"post\">{hidden}"
                 + _button("human", t["human"], secondary=True, novalidate=True) + "</form>")
    return _page(lang, view["title"], "".join(parts))


def message_page(locale: str | None, key: str, extra: str | None = None) -> str:
    lang = language(locale)
    text = _TEXT[lang][key]
    body = f"<h1>{escape(text)}</h1>" + (f"<p>{escape(extra)}</p>" if extra else "")
    return _page(lang, text, body)


def answered_page(locale: str | None, response: str) -> str:
    return message_page(locale, "thanks", _TEXT[language(locale)]["human_next"] if response == "human" else None)
