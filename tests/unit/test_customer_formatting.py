"""What a customer reads: labels instead of keys, money, numbers and dates in their language, errors in words."""
import pytest

from loopgate.errors import JourneyDefinitionError
from loopgate.policy.journeys import FieldSpec, get_journey, parse_journey
from loopgate.web.formatting import display_value, input_value, label_for, preferred_language
from loopgate.web.pages import customer_page, message_page

NBSP = "\xa0"
PRICE = get_journey("contract_change").proposal.properties["monthlyPrice"]
START = get_journey("contract_change").proposal.properties["startDate"]


def test_money_reads_with_its_currency_in_the_readers_format():
    assert display_value(PRICE, 34.9, "de").replace(NBSP, " ") == "34,90 €"
    assert display_value(PRICE, 34.9, "en-GB") == "€34.90"


def test_a_sibling_currency_field_wins_over_the_declared_one():
    amount = get_journey("billing_dispute").proposal.properties["amount"]
    assert display_value(amount, 89, "de", {"amount": 89, "currency": "CHF"}).replace(NBSP, " ") == "89,00 CHF"
    assert display_value(amount, 89, "de", {"amount": 89}).replace(NBSP, " ") == "89,00 €"


def test_dates_and_numbers_in_german_and_english():
    assert display_value(START, "2026-12-01", "de") == "1. Dezember 2026"
    assert display_value(START, "2026-12-01", "en") == "December 1, 2026"
    assert display_value(START, "next week", "de") == "next week"  # not a date: shown as written
    assert display_value(None, 18452, "de") == "18.452"
    assert display_value(None, True, "de") == "Ja"


def test_an_input_holds_a_number_the_form_reads_back_unchanged():
    # A German "18.452" would come back as eighteen point four: inputs carry no grouping.
    assert input_value(None, 18452, "de") == "18452"
    assert input_value(None, 39.9, "de") == "39,9"


def test_labels_per_locale_and_words_for_unlabelled_keys():
    assert label_for("monthlyPrice", PRICE, "de") == "Monatlicher Preis"
    assert label_for("monthlyPrice", PRICE, "en") == "Monthly price"
    assert label_for("meterNumber", None, "de") == "Meter number"
    choice = get_journey("billing_dispute").proposal.properties["action"]
    assert display_value(choice, "waive_fee", "de") == "Gebühr erlassen"


@pytest.mark.parametrize(("header", "language"), [
    ("de-DE,de;q=0.9,en;q=0.8", "de"), ("fr-FR,en;q=0.5,de;q=0.7", "de"), ("en-US", "en"), ("fr", None),
    (None, None), ("de;q=0,en;q=0.1", "en"), ("de;q=abc, en", "en")])
def test_the_browsers_language_ranks_by_quality(header, language):
    assert preferred_language(header) == language


def test_journeys_refuse_display_declarations_that_cannot_be_shown():
    with pytest.raises(ValueError, match="display money needs"):
        FieldSpec(type="number", display="money")
    with pytest.raises(ValueError, match="display date applies to strings"):
        FieldSpec(type="number", display="date")
    with pytest.raises(ValueError, match="English words are label"):
        FieldSpec(type="string", label="Plan", labels={"en": "Plan"})
    data = get_journey("contract_change").model_dump(exclude_defaults=True)
    data["customerStep"]["changes"] = {"plan": "previousPlan"}
    with pytest.raises(JourneyDefinitionError, match="customerStep.changes.plan: 'previousPlan' is not a declared"):
        parse_journey("contract_change.json", data)


def _view(**extra):
    return {"caseId": "c-1", "journey": "contract_change", "kind": "confirm", "locale": "de", "name": "Maria",
            "title": "Bitte bestätigen Sie Ihre Vertragsänderung",
            "intro": "wir haben die gewünschte Vertragsänderung vorbereitet.",
            "proposal": {"plan": "Plus 50", "monthlyPrice": 34.9, "startDate": "2026-12-01"},
            "about": {"contractId": "C-2231"}, "before": {"plan": "Basic 20"}, "personWithinHours": 4, **extra}


def test_the_german_page_names_the_contract_and_what_changes():
    html = customer_page(_view(), csrf="x").replace(NBSP, " ")
    assert "<dt>Vertrag</dt><dd>C-2231</dd>" in html
    assert "Basic 20" in html and "<strong>Plus 50</strong>" in html and "wird zu" in html
    assert "<dt>Monatlicher Preis</dt><dd>34,90 €</dd>" in html
    assert "<dt>Beginn</dt><dd>1. Dezember 2026</dd>" in html
    assert "<p>Wir haben die gewünschte" in html  # the intro opens a sentence
    assert "monthlyPrice<" not in html and "startDate<" not in html


def test_decline_is_a_question_first_not_a_post_beside_confirm():
    page = customer_page(_view(), csrf="x")
    assert 'value="reject"' not in page  # one tap on the page cannot close the case
    assert 'href="?decline=1"' in page
    asked = customer_page(_view(), csrf="x", declining=True)
    assert 'value="reject"' in asked and "Diesen Vorschlag ablehnen?" in asked


def test_errors_name_the_field_in_the_pages_language():
    view = {"caseId": "c-2", "journey": "document_approval", "kind": "correct", "locale": "de", "title": "Daten",
            "proposal": {}, "extracted": {"meterNumber": "7741-22", "reading": -1, "readOn": "2026-11-20"}}
    html = customer_page(view, errors={"fields.reading": None}, csrf="x")
    assert "Zählerstand: Bitte geben Sie eine Zahl zwischen 0 und 100.000.000 ein." in html
    assert "Bitte prüfen Sie: Zählerstand" in html
    unchanged = customer_page(view, errors={"fields": "no_correction"}, csrf="x")
    assert "Sie haben nichts geändert" in unchanged and "confirm instead" not in unchanged


def test_the_correct_page_leads_with_everything_is_correct():
    view = {"caseId": "c-2", "journey": "document_approval", "kind": "correct", "locale": "en", "title": "Data",
            "proposal": {}, "extracted": {"reading": 18452}}
    html = customer_page(view, csrf="x")
    assert html.index("Everything is correct") < html.index("Save my corrections")
    assert '<button type="submit" name="response" value="correct" class=secondary>' in html


def test_dead_ends_say_what_happened_and_how_to_reach_a_person():
    used = message_page("de", "answered")
    assert "Sie haben diese Anfrage bereits beantwortet." in used and "Mit einer Person sprechen" in used
    assert 'lang="de"' in used
    assert "Dieser Link ist abgelaufen." in message_page("de", "expired")
    assert "Talk to a person" in message_page(None, "unknown")


@pytest.mark.parametrize("locale, typed, reading", [
    ("de", "18.542", 18542),  # a German thousands separator, as the page's own German figures write it
    ("de", "18.542,5", 18542.5),
    ("de", "18,5", 18.5),
    ("de", "18.5", 18.5),  # no valid German number: the dot read as a decimal mark, as typed
    ("en", "18,542", 18542),
    ("en", "18.5", 18.5),
])
def test_a_number_typed_in_the_form_reads_as_the_customers_locale_writes_it(locale, typed, reading):
    from loopgate.models import CustomerAnswer
    from loopgate.usecases.customer_steps import coerce_reply
    from tests.helpers import load_event

    case = load_event("document_approval.json")
    case["customer"]["locale"] = locale
    answer = coerce_reply("correct", CustomerAnswer(response="correct", fields={"reading": typed}), case)
    assert answer.fields["reading"] == reading
