"""Values as people read them: the journey's label for a key, money with its currency, dates and numbers in the
reader's language (Babel's CLDR data), and the language a browser asks for."""
from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from loopgate.policy.journeys import FieldSpec
from loopgate.web.messages import language

_YES_NO = {"en": ("Yes", "No"), "de": ("Ja", "Nein")}
SUPPORTED = ("en", "de")


def label_for(name: str, spec: FieldSpec | None, locale: str | None) -> str:
    """The journey's words for a field in the reader's language; a key nobody labelled reads as words."""
    label = spec.label_in(language(locale)) if spec else None
    return label or name[:1].upper() + "".join(f" {c.lower()}" if c.isupper() else c for c in name[1:]).replace(
        "_", " ")


def _display(spec: FieldSpec | None, value: Any) -> str:
    if spec and spec.display:
        return spec.display
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number"
    return "text"


def _iso_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def display_value(spec: FieldSpec | None, value: Any, locale: str | None,
                  siblings: dict[str, Any] | None = None) -> str:
    """`value` as the page shows it: 39.9 with EUR reads "39,90 €" in German and "€39.90" in English."""
    lang = language(locale)
    kind = _display(spec, value)
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _YES_NO[lang][0 if value else 1]
    if kind == "money" and isinstance(value, (int, float)) and math.isfinite(value):
        named = (siblings or {}).get(spec.currencyField) if spec.currencyField else None
        currency = named if isinstance(named, str) and len(named) == 3 and named.isupper() else spec.currency
        return format_currency(value, currency, locale=lang)
    if kind == "date" and _iso_date(value):
        return format_date(_iso_date(value), format="long", locale=lang)
    if kind == "number" and isinstance(value, (int, float)) and math.isfinite(value):
        return format_decimal(value, locale=lang)
    if kind == "choice" and isinstance(value, str) and value in (spec.choices or {}):
        words = spec.choices[value]
        return words.get(lang) or words.get("en") or value
    if isinstance(value, dict) and spec and spec.properties:
        return "; ".join(f"{label_for(k, spec.properties.get(k), locale)}: "
                         f"{display_value(spec.properties.get(k), v, locale, value)}" for k, v in value.items())
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def input_value(spec: FieldSpec | None, value: Any, locale: str | None) -> str:
    """What an input field holds for editing: numbers in the reader's decimal sign, without grouping (a German
    "18.452" would read back as eighteen point four), dates as ISO (the date input shows them localized)."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return format_decimal(value, locale=language(locale), group_separator=False)
    return str(value)


def input_type(spec: FieldSpec | None, value: Any) -> str:
    """A date field gets the browser's date picker; the rest is text (numbers take the locale's decimal sign)."""
    return "date" if _display(spec, value) == "date" else "text"


def number_text(value: float, locale: str | None) -> str:
    return format_decimal(value, locale=language(locale))


def example_date(locale: str | None) -> str:
    return format_date(date(2026, 12, 1), format="short", locale=language(locale))


def preferred_language(accept_language: str | None) -> str | None:
    """The supported language the browser ranks highest in Accept-Language ("de-DE,de;q=0.9,en;q=0.8")."""
    ranked = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, number = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
        lang = tag.split("-")[0].strip().lower()
        if lang in SUPPORTED and quality > 0:
            ranked.append((-quality, index, lang))
    return min(ranked)[2] if ranked else None
