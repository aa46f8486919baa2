"""The customer page: plain HTML, no third-party assets, readable at phone width, English and German.

Values carry the journey's labels and are formatted for the reader's language (web/formatting.py); every text,
error and dead end is in the customer's language, and every page says how to reach a person.
"""
from __future__ import annotations

from html import escape
from typing import Any

from loopgate.policy.journeys import FieldSpec, Journey, get_journey
from loopgate.web.formatting import display_value, example_date, input_type, input_value, label_for, number_text
from loopgate.web.messages import language

_TEXT = {
    "en": {"confirm": "Confirm", "reject": "Decline", "human": "Talk to a person", "choose": "Choose this",
           "provide": "Send", "correct": "Save my corrections", "confirm_extracted": "Everything is correct",
           "greeting": "Hello {name},",
           "intro": "Here is what we prepared. Please check it and answer below.",
           "proposal": "What we propose", "becomes": "becomes",
           "choose_intro": "Please pick the option that suits you.",
           "provide_intro": "We need a little more information to go on.",
           "correct_intro": "Please check the data we read from your document and correct what is wrong.",
           "correct_none": "If something is wrong, change it and save your corrections:",
           "decline_hint": "Not what you want?", "decline_link": "Decline this proposal",
           "decline_title": "Decline this proposal?",
           "decline_explain": "If you decline, we will not go ahead and your request will be closed. "
                              "If you would rather change something, talk to a person instead.",
           "decline_yes": "Yes, decline", "decline_back": "No, go back to the proposal",
           "thanks": "Thank you, we received your answer.",
           "echo_confirm": "You confirmed:", "echo_reject": "You declined the proposal.",
           "echo_choose": "You chose: {option}", "echo_provide": "You sent us:", "echo_correct": "You corrected:",
           "echo_confirm_extracted": "You confirmed that the data is correct.",
           "echo_human": "You asked to talk to a person.",
           "next_confirm": "We are going ahead with it now. You do not need to do anything else.",
           "next_reject": "We will not go ahead with it, and your request is closed.",
           "next_choose": "We are going ahead with your choice now. You do not need to do anything else.",
           "next_provide": "We will check your information. If we need anything else, or to confirm what we "
                           "prepared, you will get one more message from us with a new link.",
           "next_correct": "We will use the corrected data. You do not need to do anything else.",
           "person_hint": "Prefer to talk to someone?",
           "human_next": "A person from our team will contact you within {hours} hours.",
           "reach_title": "Talk to a person",
           "reach_person": "Contact our customer service the way you usually reach us and say that you received "
                           "a link from us: a person from our team will help you.",
           "required": "required",
           "answered": "You have already answered this request.",
           "answered_next": "Thank you. We are working with your answer; you do not need to do anything.",
           "expired": "This link has expired.",
           "expired_next": "We did not receive an answer in time, so a person from our team will look at your "
                           "request and contact you.",
           "closed": "We are no longer waiting for this answer.",
           "closed_next": "A person from our team has taken over your request and will contact you.",
           "changed": "This request has changed.",
           "changed_next": "What this link showed has changed since. We will send you the current version "
                           "with a new link.",
           "gone": "This link can no longer be used.",
           "gone_next": "If we still need anything from you, we will send you a new message.",
           "feedback": "You have already sent feedback for this request.",
           "feedback_next": "Thank you, we have it.",
           "followup_yes": "Yes, it is solved", "followup_no": "No, it is not solved",
           "followup_comment": "Anything you would like to add? (optional)",
           "echo_followup_yes": "You told us this solved your problem. Thank you!",
           "echo_followup_no": "You told us this did not solve your problem.",
           "unknown": "We could not find this request.",
           "unknown_next": "Please check that you opened the whole link from our message.",
           "forbidden": "This form can only be sent from its own page.",
           "forbidden_next": "Please open the link from our message again and answer there.",
           "try_again": "We were just updating your request.",
           "try_again_next": "Your answer was not lost. Please go back and send it again.",
           "error_summary": "Please check: {fields}",
           "err_required": "Please fill in {label}.",
           "err_number": "{label}: please enter a number.",
           "err_between": "{label}: please enter a number between {minimum} and {maximum}.",
           "err_at_least": "{label}: please enter a number of at least {minimum}.",
           "err_at_most": "{label}: please enter a number of at most {maximum}.",
           "err_date": "{label}: please enter a date, for example {example}.",
           "err_length": "{label}: please use at most {length} characters.",
           "err_check": "{label}: please check this value.",
           "err_no_correction": "You have not changed anything. If all data is correct, choose "
                                "\u201cEverything is correct\u201d.",
           "err_choose": "Please choose one of the options.",
           "err_general": "We could not use this answer. Please check it and send it again.",
           "feedback_q": "Was this easy?", "yes": "Yes, easy", "no": "No, not really",
           "feedback_comment": "Anything we should do better? (optional)", "feedback_send": "Send feedback",
           "feedback_thanks": "Thank you for your feedback.",
           "feedback_thanks_next": "It helps us make these requests easier."},
    "de": {"confirm": "Bestätigen", "reject": "Ablehnen", "human": "Mit einer Person sprechen",
           "choose": "Diese Option wählen", "provide": "Senden", "correct": "Korrekturen speichern",
           "confirm_extracted": "Alles ist korrekt",
           "greeting": "Hallo {name},",
           "intro": "Das haben wir für Sie vorbereitet. Bitte prüfen Sie es und antworten Sie unten.",
           "proposal": "Unser Vorschlag", "becomes": "wird zu",
           "choose_intro": "Bitte wählen Sie die passende Option.",
           "provide_intro": "Wir brauchen noch ein paar Angaben, um weiterzumachen.",
           "correct_intro": "Bitte prüfen Sie die Daten aus Ihrem Dokument und korrigieren Sie Fehler.",
           "correct_none": "Wenn etwas nicht stimmt, ändern Sie es und speichern Sie Ihre Korrekturen:",
           "decline_hint": "Nicht das, was Sie möchten?", "decline_link": "Diesen Vorschlag ablehnen",
           "decline_title": "Diesen Vorschlag ablehnen?",
           "decline_explain": "Wenn Sie ablehnen, setzen wir ihn nicht um und schließen Ihre Anfrage. "
                              "Möchten Sie lieber etwas ändern, sprechen Sie stattdessen mit einer Person.",
           "decline_yes": "Ja, ablehnen", "decline_back": "Nein, zurück zum Vorschlag",
           "thanks": "Vielen Dank, wir haben Ihre Antwort erhalten.",
           "echo_confirm": "Sie haben bestätigt:", "echo_reject": "Sie haben den Vorschlag abgelehnt.",
           "echo_choose": "Ihre Wahl: {option}", "echo_provide": "Sie haben uns gesendet:",
           "echo_correct": "Ihre Korrekturen:",
           "echo_confirm_extracted": "Sie haben bestätigt, dass die Daten korrekt sind.",
           "echo_human": "Sie möchten mit einer Person sprechen.",
           "next_confirm": "Wir setzen es jetzt um. Sie müssen nichts weiter tun.",
           "next_reject": "Wir setzen es nicht um, und Ihre Anfrage ist abgeschlossen.",
           "next_choose": "Wir setzen Ihre Wahl jetzt um. Sie müssen nichts weiter tun.",
           "next_provide": "Wir prüfen Ihre Angaben. Brauchen wir noch etwas oder Ihre Bestätigung, erhalten Sie "
                           "eine weitere Nachricht mit einem neuen Link.",
           "next_correct": "Wir verwenden die korrigierten Daten. Sie müssen nichts weiter tun.",
           "person_hint": "Lieber mit jemandem sprechen?",
           "human_next": "Eine Person aus unserem Team meldet sich innerhalb von {hours} Stunden bei Ihnen.",
           "reach_title": "Mit einer Person sprechen",
           "reach_person": "Wenden Sie sich wie gewohnt an unseren Kundenservice und sagen Sie, dass Sie einen Link "
                           "von uns erhalten haben: Eine Person aus unserem Team hilft Ihnen weiter.",
           "required": "Pflichtfeld",
           "answered": "Sie haben diese Anfrage bereits beantwortet.",
           "answered_next": "Vielen Dank. Wir arbeiten mit Ihrer Antwort weiter; Sie müssen nichts tun.",
           "expired": "Dieser Link ist abgelaufen.",
           "expired_next": "Wir haben nicht rechtzeitig eine Antwort erhalten. Eine Person aus unserem Team sieht "
                           "sich Ihre Anfrage an und meldet sich bei Ihnen.",
           "closed": "Wir warten nicht mehr auf diese Antwort.",
           "closed_next": "Eine Person aus unserem Team hat Ihre Anfrage übernommen und meldet sich bei Ihnen.",
           "changed": "Diese Anfrage hat sich geändert.",
           "changed_next": "Was dieser Link zeigte, hat sich inzwischen geändert. Wir senden Ihnen die aktuelle "
                           "Fassung mit einem neuen Link.",
           "gone": "Dieser Link kann nicht mehr verwendet werden.",
           "gone_next": "Wenn wir noch etwas von Ihnen brauchen, senden wir Ihnen eine neue Nachricht.",
           "feedback": "Sie haben zu dieser Anfrage bereits Feedback gegeben.",
           "feedback_next": "Vielen Dank, es ist bei uns angekommen.",
           "followup_yes": "Ja, es ist gelöst", "followup_no": "Nein, es ist nicht gelöst",
           "followup_comment": "Möchten Sie noch etwas ergänzen? (freiwillig)",
           "echo_followup_yes": "Sie haben uns gesagt, dass Ihr Anliegen gelöst ist. Vielen Dank!",
           "echo_followup_no": "Sie haben uns gesagt, dass Ihr Anliegen nicht gelöst ist.",
           "unknown": "Wir konnten diese Anfrage nicht finden.",
           "unknown_next": "Bitte prüfen Sie, ob Sie den vollständigen Link aus unserer Nachricht geöffnet haben.",
           "forbidden": "Dieses Formular kann nur von seiner eigenen Seite gesendet werden.",
           "forbidden_next": "Bitte öffnen Sie den Link aus unserer Nachricht erneut und antworten Sie dort.",
           "try_again": "Wir haben Ihre Anfrage gerade aktualisiert.",
           "try_again_next": "Ihre Antwort ist nicht verloren. Bitte gehen Sie zurück und senden Sie sie noch "
                             "einmal.",
           "error_summary": "Bitte prüfen Sie: {fields}",
           "err_required": "Bitte geben Sie {label} an.",
           "err_number": "{label}: Bitte geben Sie eine Zahl ein.",
           "err_between": "{label}: Bitte geben Sie eine Zahl zwischen {minimum} und {maximum} ein.",
           "err_at_least": "{label}: Bitte geben Sie eine Zahl ab {minimum} ein.",
           "err_at_most": "{label}: Bitte geben Sie eine Zahl bis {maximum} ein.",
           "err_date": "{label}: Bitte geben Sie ein Datum ein, zum Beispiel {example}.",
           "err_length": "{label}: Bitte verwenden Sie höchstens {length} Zeichen.",
           "err_check": "{label}: Bitte prüfen Sie diesen Wert.",
           "err_no_correction": "Sie haben nichts geändert. Wenn alle Daten stimmen, wählen Sie "
                                "\u201eAlles ist korrekt\u201c.",
           "err_choose": "Bitte wählen Sie eine der Optionen.",
           "err_general": "Wir konnten diese Antwort nicht verwenden. Bitte prüfen Sie sie und senden Sie sie "
                          "noch einmal.",
           "feedback_q": "War das einfach?", "yes": "Ja, einfach", "no": "Nein, eher nicht",
           "feedback_comment": "Was können wir besser machen? (optional)", "feedback_send": "Feedback senden",
           "feedback_thanks": "Vielen Dank für Ihr Feedback.",
           "feedback_thanks_next": "Es hilft uns, diese Anfragen einfacher zu machen."},
}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;color:#1a1a1a;background:#fff;line-height:1.5}
main{max-width:36rem;margin:0 auto}h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}
dl{display:grid;grid-template-columns:minmax(6rem,auto) 1fr;gap:.25rem 1rem}dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}label{display:block;font-weight:600;margin-top:.75rem}
textarea{font-size:1rem;width:100%;box-sizing:border-box;border:1px solid #555;border-radius:.3rem}
input[type=text],input[type=date]{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;
border:1px solid #555;border-radius:.3rem}
fieldset{border:1px solid #999;border-radius:.4rem;margin:1rem 0}.option label{font-weight:400;display:inline}
.option{padding:.4rem 0}
button,a.button{display:block;text-align:center;text-decoration:none;font-size:1rem;padding:.75rem 1rem;
margin:.25rem 0;width:100%;box-sizing:border-box;border-radius:.4rem;border:2px solid #1f3a93;background:#1f3a93;
color:#fff;cursor:pointer}button.secondary,a.button{background:#fff;color:#1f3a93}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #b35c00;outline-offset:2px}
.error{color:#a00000;font-weight:600}.before{color:#555}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
"""


def _page(lang: str, title: str, body: str) -> str:
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="referrer" content="no-referrer"><title>{escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body><main>{body}</main></body></html>")


def _sentence(text: str) -> str:
    """Journeys write intros to follow the message's "Hello Maria,"; on a page they open a sentence."""
    return text[:1].upper() + text[1:]


def _button(response: str, label: str, secondary: bool = False, novalidate: bool = False) -> str:
    return (f'<button type="submit" name="response" value="{response}"'
            f'{" class=secondary" if secondary else ""}{" formnovalidate" if novalidate else ""}>'
            f"{escape(label)}</button>")


def _rows(values: dict[str, Any], specs: dict[str, FieldSpec], locale: str | None,
          before: dict[str, Any] | None = None) -> str:
    """A definition list of labelled, formatted values; a changed value reads "Basic 20 -> Plus 50"."""
    t = _TEXT[language(locale)]
    rows = []
    for name, value in values.items():
        spec = specs.get(name)
        shown = escape(display_value(spec, value, locale, values))
        if before and name in before and before[name] != value:
            old = escape(display_value(spec, before[name], locale, values))
            shown = (f'<span class="before">{old}</span> <span aria-hidden="true">\u2192</span>'
                     f'<span class="sr"> {escape(t["becomes"])} </span> <strong>{shown}</strong>')
        rows.append(f"<dt>{escape(label_for(name, spec, locale))}</dt><dd>{shown}</dd>")
    return f"<dl>{''.join(rows)}</dl>" if rows else ""


def _error_text(code: str | None, name: str, spec: FieldSpec | None, locale: str | None) -> str:
    """The error in the reader's language, naming the field in words and saying what fits."""
    t = _TEXT[language(locale)]
    label = label_for(name, spec, locale)
    if code == "required":
        return t["err_required"].format(label=label)
    if code == "no_correction":
        return t["err_no_correction"]
    if code == "choose":
        return t["err_choose"]
    if spec is None:
        return t["err_check"].format(label=label)
    if spec.type in ("number", "integer"):
        bounds = {"minimum": None if spec.minimum is None else number_text(spec.minimum, locale),
                  "maximum": None if spec.maximum is None else number_text(spec.maximum, locale)}
        key = {(True, True): "err_between", (True, False): "err_at_least", (False, True): "err_at_most",
               (False, False): "err_number"}[(spec.minimum is not None, spec.maximum is not None)]
        return t[key].format(label=label, **bounds)
    if spec.display == "date":
        return t["err_date"].format(label=label, example=example_date(locale))
    if spec.maxLength is not None:
        return t["err_length"].format(label=label, length=spec.maxLength)
    return t["err_check"].format(label=label)


def _field(name: str, spec: FieldSpec | None, value: Any, required: bool, error: str | None,
           locale: str | None) -> str:
    t = _TEXT[language(locale)]
    field_id = f"f-{escape(name)}"
    described = f' aria-describedby="{field_id}-error" aria-invalid="true"' if error else ""
    label = label_for(name, spec, locale)
    return (f'<label for="{field_id}">{escape(label)}{" (" + t["required"] + ")" if required else ""}</label>'
            f'<input type="{input_type(spec, value)}" id="{field_id}" name="fields.{escape(name)}" '
            f'value="{escape(input_value(spec, value, locale))}"{" required" if required else ""}{described}>'
            + (f'<p class="error" id="{field_id}-error">{escape(error)}</p>' if error else ""))


def _field_specs(journey: Journey, kind: str) -> dict[str, FieldSpec]:
    if kind == "correct":
        extracted = journey.payload.properties.get("extracted")
        return dict((extracted.properties or {}) if extracted else {})
    return journey.payload.properties


def _person_section(t: dict[str, str], hours: int | None = None) -> str:
    """How to reach a person from a page that has no answer left to give."""
    within = f"<p>{escape(t['human_next'].format(hours=hours))}</p>" if hours else ""
    return f"<h2>{escape(t['reach_title'])}</h2>{within}<p>{escape(t['reach_person'])}</p>"


def customer_page(view: dict[str, Any], errors: dict[str, str | None] | None = None, csrf: str | None = None,
                  declining: bool = False) -> str:
    """The request; `errors` maps the field an answer broke to its error code; `declining` asks "really?"."""
    locale = view.get("locale")
    lang = language(locale)
    t = _TEXT[lang]
    journey = get_journey(view["journey"])
    errors = errors or {}
    kind = view["kind"]
    hidden = f'<input type="hidden" name="csrf" value="{escape(csrf)}">' if csrf else ""
    if declining and kind == "confirm":
        body = (f"<h1>{escape(t['decline_title'])}</h1><p>{escape(t['decline_explain'])}</p>"
                f"{_rows(view['proposal'] or {}, journey.proposal.properties, locale, view.get('before'))}"
                f'<form method="post">{hidden}' + _button("reject", t["decline_yes"]) + "</form>"
                f'<a class="button" href="?">{escape(t["decline_back"])}</a>'
                f'<form method="post">{hidden}' + _button("human", t["human"], secondary=True, novalidate=True)
                + "</form>")
        return _page(lang, t["decline_title"], body)
    if kind == "followup":
        return _follow_up_page(view, t, lang, hidden, "response" in errors)
    specs = _field_specs(journey, kind)
    field_errors = {k.removeprefix("fields."): code for k, code in errors.items() if k.startswith("fields.")}
    parts = [f"<h1>{escape(view['title'])}</h1>"]
    if field_errors:
        names = ", ".join(label_for(n, specs.get(n), locale) for n in field_errors)
        parts.append(f'<p class="error" role="alert">{escape(t["error_summary"].format(fields=names))}</p>')
    general = next((k for k in ("response", "option", "fields", "(body)") if k in errors), None)
    if general:
        text = _error_text(errors[general], general, None, locale) if errors[general] else t["err_general"]
        parts.append(f'<p class="error" role="alert" id="general-error">{escape(text)}</p>')
    if view.get("name"):
        parts.append(f"<p>{escape(t['greeting'].format(name=view['name']))}</p>")
    parts.append(_rows(view.get("about") or {}, journey.payload.properties, locale))
    if kind == "confirm":
        parts.append(f"<p>{escape(_sentence(view.get('intro') or t['intro']))}</p>"
                     f"<h2>{escape(t['proposal'])}</h2>"
                     f"{_rows(view['proposal'] or {}, journey.proposal.properties, locale, view.get('before'))}"
                     f'<form method="post">{hidden}' + _button("confirm", t["confirm"]) + "</form>")
    elif kind == "choose":
        options = "".join(
            f'<div class="option"><input type="radio" id="o-{i}" name="option" value="{escape(str(o.get("id")))}"'
            f'{" required" if i == 0 else ""}> '
            f'<label for="o-{i}">{escape(str(o.get("label", o.get("id"))))}</label></div>'
            for i, o in enumerate(view.get("options", [])))
        parts.append(f"<p>{escape(_sentence(view.get('intro') or t['choose_intro']))}</p>"
                     f'<form method="post">{hidden}<fieldset>'
                     f"<legend>{escape(view['title'])}</legend>{options}</fieldset>"
                     + _button("choose", t["choose"]) + "</form>")
    elif kind == "provide":
        fields = "".join(_field(f["name"], specs.get(f["name"]), f.get("value"), f["required"],
                                _error_text(field_errors[f["name"]], f["name"], specs.get(f["name"]), locale)
                                if f["name"] in field_errors else None, locale)
                         for f in view.get("fields", []))
        question = f"<p><strong>{escape(view['question'])}</strong></p>" if view.get("question") else ""
        parts.append(f"<p>{escape(t['provide_intro'])}</p>{question}<form method=\"post\">{hidden}{fields}"
                     + _button("provide", t["provide"]) + "</form>")
    elif kind == "correct":
        extracted = view.get("extracted", {})
        fields = "".join(_field(name, specs.get(name), value, False,
                                _error_text(field_errors[name], name, specs.get(name), locale)
                                if name in field_errors else None, locale)
                         for name, value in extracted.items())
        # Two forms: Enter in a field saves the corrections, never confirms what the customer just changed.
        parts.append(f"<p>{escape(_sentence(view.get('intro') or t['correct_intro']))}</p>"
                     f"{_rows(extracted, specs, locale)}"
                     f'<form method="post">{hidden}' + _button("confirm", t["confirm_extracted"]) + "</form>"
                     f"<h2>{escape(t['correct_none'])}</h2>"
                     f'<form method="post">{hidden}{fields}' + _button("correct", t["correct"], secondary=True)
                     + "</form>")
    hours = view.get("personWithinHours", 24)
    parts.append(f"<h2>{escape(t['person_hint'])}</h2><p>{escape(t['human_next'].format(hours=hours))}</p>"
                 f"<form method=\"post\">{hidden}"
                 + _button("human", t["human"], secondary=True, novalidate=True) + "</form>")
    if kind == "confirm":
        # Declining closes the case: never one tap away from Confirm, and it asks first (GET shows the question).
        parts.append(f"<h2>{escape(t['decline_hint'])}</h2>"
                     f'<a class="button" href="?decline=1">{escape(t["decline_link"])}</a>')
    return _page(lang, view["title"], "".join(parts))


def _follow_up_page(view: dict[str, Any], t: dict[str, str], lang: str, hidden: str, error: bool) -> str:
    """Did this solve it? Yes or no, with room for a comment; a "no" is how the customer reaches a person here."""
    parts = [f"<h1>{escape(view['title'])}</h1>"]
    if error:
        parts.append(f'<p class="error" role="alert" id="general-error">{escape(t["err_general"])}</p>')
    if view.get("name"):
        parts.append(f"<p>{escape(t['greeting'].format(name=view['name']))}</p>")
    parts.append(f'<form method="post">{hidden}'
                 f'<label for="fu-comment">{escape(t["followup_comment"])}</label>'
                 f'<textarea id="fu-comment" name="comment" rows="3" maxlength="2000"></textarea>'
                 + _button("confirm", t["followup_yes"]) + _button("reject", t["followup_no"], secondary=True)
                 + "</form>")
    # A person is one tap away here too, as on every page (the answer counts as "not solved").
    hours = view.get("personWithinHours", 24)
    parts.append(f"<h2>{escape(t['person_hint'])}</h2><p>{escape(t['human_next'].format(hours=hours))}</p>"
                 f"<form method=\"post\">{hidden}"
                 + _button("human", t["human"], secondary=True, novalidate=True) + "</form>")
    return _page(lang, view["title"], "".join(parts))


def message_page(locale: str | None, key: str, hours: int | None = None) -> str:
    """A page with nothing left to answer: what happened, what happens now, and how to reach a person."""
    lang = language(locale)
    t = _TEXT[lang]
    body = f"<h1>{escape(t[key])}</h1><p>{escape(t[key + '_next'])}</p>" + _person_section(t, hours)
    return _page(lang, t[key], body)


def answered_page(view: dict[str, Any], reply: dict[str, Any], hours: int, feedback_action: str,
                  csrf: str) -> str:
    """Thanks, the answer as we understood it, what happens next, and a one-tap microfeedback form."""
    locale = view.get("locale")
    lang = language(locale)
    t = _TEXT[lang]
    journey = get_journey(view["journey"])
    response = reply["response"]
    parts = [f"<h1>{escape(t['thanks'])}</h1>"]
    if view["kind"] == "followup":
        solved = response == "confirm"
        parts.append(f"<p>{escape(t['echo_followup_yes' if solved else 'echo_followup_no'])}</p>"
                     + ("" if solved else f"<p>{escape(t['human_next'].format(hours=hours))}</p>"))
    elif response == "confirm" and view["kind"] == "correct":
        parts.append(f"<p>{escape(t['echo_confirm_extracted'])}</p><p>{escape(t['next_correct'])}</p>")
    elif response == "confirm":
        parts.append(f"<p>{escape(t['echo_confirm'])}</p>"
                     f"{_rows(view['proposal'] or {}, journey.proposal.properties, locale, view.get('before'))}"
                     f"<p>{escape(t['next_confirm'])}</p>")
    elif response == "choose":
        chosen = next((o for o in view.get("options", []) if str(o.get("id")) == reply.get("option")), {})
        option = str(chosen.get("label", reply.get("option")))
        parts.append(f"<p>{escape(t['echo_choose'].format(option=option))}</p><p>{escape(t['next_choose'])}</p>")
    elif response in ("provide", "correct"):
        specs = _field_specs(journey, view["kind"])
        parts.append(f"<p>{escape(t['echo_' + response])}</p>{_rows(reply.get('fields') or {}, specs, locale)}"
                     f"<p>{escape(t['next_' + response])}</p>")
    elif response == "reject":
        parts.append(f"<p>{escape(t['echo_reject'])}</p><p>{escape(t['next_reject'])}</p>")
    elif response == "human":
        parts.append(f"<p>{escape(t['echo_human'])}</p><p>{escape(t['human_next'].format(hours=hours))}</p>")
    parts.append(
        f'<form method="post" action="{escape(feedback_action)}"><fieldset><legend>{escape(t["feedback_q"])}</legend>'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<label for="fb-comment">{escape(t["feedback_comment"])}</label>'
        f'<textarea id="fb-comment" name="comment" rows="3" maxlength="2000"></textarea>'
        f'<button type="submit" name="helpful" value="true">{escape(t["yes"])}</button>'
        f'<button type="submit" name="helpful" value="false" class="secondary">{escape(t["no"])}</button>'
        "</fieldset></form>")
    if response != "human":
        parts.append(_person_section(t))
    return _page(lang, t["thanks"], "".join(parts))


def feedback_page(locale: str | None) -> str:
    return message_page(locale, "feedback_thanks")
