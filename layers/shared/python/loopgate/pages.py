"""The customer page: plain HTML, no third-party assets, readable at phone width, English and German."""
from __future__ import annotations

from html import escape
from typing import Any

from .messages import language

_TEXT = {
    "en": {"confirm": "Confirm", "reject": "Decline", "human": "Talk to a person",
           "intro": "Here is what we prepared. Please check it and answer below.",
           "thanks": "Thank you, we received your answer.", "gone": "This link can no longer be used.",
           "unknown": "We could not find this request.", "human_next":
           "A person from our team will contact you, usually within one working day."},
    "de": {"confirm": "Bestätigen", "reject": "Ablehnen", "human": "Mit einer Person sprechen",
           "intro": "Das haben wir für Sie vorbereitet. Bitte prüfen Sie es und antworten Sie unten.",
           "thanks": "Vielen Dank, wir haben Ihre Antwort erhalten.",
           "gone": "Dieser Link kann nicht mehr verwendet werden.",
           "unknown": "Wir konnten diese Anfrage nicht finden.", "human_next":
           "Eine Person aus unserem Team meldet sich bei Ihnen, meist innerhalb eines Werktages."},
}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;color:#1a1a1a;background:#fff;line-height:1.5}
main{max-width:36rem;margin:0 auto}h1{font-size:1.4rem}
dl{display:grid;grid-template-columns:minmax(6rem,auto) 1fr;gap:.25rem 1rem}dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
button{font-size:1rem;padding:.75rem 1rem;margin:.25rem 0;width:100%;border-radius:.4rem;border:2px solid #1f3a93;
background:#1f3a93;color:#fff;cursor:pointer}button.secondary{background:#fff;color:#1f3a93}
button:focus-visible{outline:3px solid #b35c00;outline-offset:2px}
"""


def _page(lang: str, title: str, body: str) -> str:
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="referrer" content="no-referrer"><title>{escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body><main>{body}</main></body></html>")


def _value(value: Any) -> str:
    if isinstance(value, (dict, list)):
        import json

        return escape(json.dumps(value, ensure_ascii=False))
    return escape(str(value))


def customer_page(view: dict[str, Any]) -> str:
    lang = language(view.get("locale"))
    t = _TEXT[lang]
    rows = "".join(f"<dt>{escape(str(k))}</dt><dd>{_value(v)}</dd>" for k, v in (view["proposal"] or {}).items())
    buttons = "".join(
        f'<button type="submit" name="response" value="{r}"'
        f'{" class=secondary" if r != "confirm" else ""}>{escape(t[r])}</button>'
        for r in ("confirm", "reject", "human") if r in view["responses"])
    body = (f"<h1>{escape(view['title'])}</h1><p>{escape(t['intro'])}</p><dl>{rows}</dl>"
            f'<form method="post">{buttons}</form>')
    return _page(lang, view["title"], body)


def message_page(locale: str | None, key: str, extra: str | None = None) -> str:
    lang = language(locale)
    text = _TEXT[lang][key]
    body = f"<h1>{escape(text)}</h1>" + (f"<p>{escape(extra)}</p>" if extra else "")
    return _page(lang, text, body)


def answered_page(locale: str | None, response: str) -> str:
    return message_page(locale, "thanks", _TEXT[language(locale)]["human_next"] if response == "human" else None)
