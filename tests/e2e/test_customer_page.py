"""The customer page as a customer uses it, on a phone: every kind of answer, a person on request, one use only,
in the customer's language, with no accessibility violation axe-core finds."""
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.helpers import body

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def german_phone(browser):
    """A phone whose browser asks for German (Accept-Language), for pages that know no customer."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def open_link(stack, phone, sent, newer_than=None):
    recipient = sent["customer"].get("email") or sent["customer"]["phone"]
    link = stack.link_for(recipient, newer_than=newer_than)
    phone.goto(link)
    return link


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def no_axe_violations(page) -> str:
    """Empty when axe-core finds nothing on the page as it is now; else its report."""
    results = Axe().run(page)
    return "" if results.violations_count == 0 else results.generate_report()


def text_of(page) -> str:
    return page.inner_text("main").replace("\xa0", " ")


def every_input_is_labelled(page) -> bool:
    return page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), textarea')]
        .every(el => el.labels && el.labels.length > 0 && el.labels[0].textContent.trim().length > 0)""")


def test_provide_then_choose_then_feedback(stack, phone):
    sent = body("complaint_missing_order.json")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    first = open_link(stack, phone, sent)
    assert fits_the_screen(phone) and every_input_is_labelled(phone)
    field = phone.get_by_label("Order number")
    assert field.get_attribute("required") is not None
    field.fill("O-4410")
    phone.get_by_role("button", name="Send").click()
    phone.get_by_role("heading", name="Thank you, we received your answer.").wait_for()
    phone.get_by_label("Anything we should do better? (optional)").fill("quick")
    phone.get_by_role("button", name="Yes, easy").click()
    phone.get_by_text("Thank you for your feedback.").wait_for()

    stack.wait_for(case_id, "AWAITING_CUSTOMER", where=lambda c: c["rule"] == "offer-resolution")
    open_link(stack, phone, sent, newer_than=first)
    assert fits_the_screen(phone)
    phone.get_by_label("A replacement jug, shipped this week").check()
    phone.get_by_role("button", name="Choose this").click()
    phone.get_by_role("heading", name="Thank you, we received your answer.").wait_for()

    case = stack.wait_for(case_id, "COMPLETED")
    assert case["proposal"]["chosen"]["id"] == "replacement"


def test_correct_extracted_data(stack, phone):
    sent = body("document_approval.json")  # a German customer
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    open_link(stack, phone, sent)
    assert phone.evaluate("document.documentElement.lang") == "de"
    assert fits_the_screen(phone) and every_input_is_labelled(phone)
    phone.get_by_label("Zählerstand").fill("18542")
    phone.get_by_role("button", name="Korrekturen speichern").click()
    phone.get_by_role("heading", name="Vielen Dank, wir haben Ihre Antwort erhalten.").wait_for()

    case = stack.wait_for(case_id, "COMPLETED")
    (correction,) = case["overrides"]
    assert correction["diff"] == [{"field": "reading", "from": 18452, "to": 18542}]


def test_confirm_with_the_keyboard_and_the_link_works_once(stack, phone):
    sent = body("contract_change_confident.json", locale="en")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = open_link(stack, phone, sent)
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.textContent") == "Confirm"
    phone.keyboard.press("Enter")
    phone.get_by_role("heading", name="Thank you, we received your answer.").wait_for()
    stack.wait_for(case_id, "COMPLETED")

    response = phone.goto(link)
    assert response.status == 410
    assert phone.get_by_role("heading", name="You have already answered this request.").is_visible()
    assert phone.get_by_role("heading", name="Talk to a person").is_visible()


def test_a_person_is_always_one_tap_away(stack, phone):
    sent = body("delivery_update.json", locale="en")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    open_link(stack, phone, sent)
    primary = phone.get_by_role("button", name="Choose this")
    colors = primary.evaluate("el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]")
    assert colors == ["rgb(255, 255, 255)", "rgb(31, 58, 147)"]  # white on dark blue: contrast above 9:1
    phone.get_by_role("button", name="Talk to a person").click()
    phone.get_by_text("A person from our team will contact you within 4 hours.").wait_for()
    phone.screenshot(path="/tmp/customer-page.png", full_page=True)

    case = stack.wait_for(case_id, "AWAITING_REVIEW")
    assert "customer_human" in [e["type"] for e in case["timeline"]]


def test_a_german_customer_reads_labels_euros_and_dates_and_declines_only_when_sure(stack, phone):
    sent = body("contract_change_confident.json")  # Jonas, German
    sent["payload"]["currentPlan"] = "Basic 20"
    sent["ai"]["proposal"]["startDate"] = "2026-12-01"
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    open_link(stack, phone, sent)
    assert fits_the_screen(phone)
    shown = text_of(phone)
    assert "Hallo Jonas," in shown and "Vertrag\nC-7710" in shown
    assert "Monatlicher Preis\n34,90 €" in shown and "Beginn\n1. Dezember 2026" in shown
    change = phone.locator("dd", has_text="Plus 50").inner_text()
    assert change.split() == ["Basic", "20", "→", "wird", "zu", "Plus", "50"], change
    assert "monthlyPrice" not in shown and "Wir haben die gewünschte Vertragsänderung" in shown
    assert not no_axe_violations(phone), no_axe_violations(phone)

    phone.get_by_role("link", name="Diesen Vorschlag ablehnen").click()
    phone.get_by_role("heading", name="Diesen Vorschlag ablehnen?").wait_for()
    assert stack.case(case_id)["status"] == "AWAITING_CUSTOMER"  # asking "really?" acted on nothing
    assert not no_axe_violations(phone), no_axe_violations(phone)
    phone.get_by_role("button", name="Ja, ablehnen").click()
    phone.get_by_role("heading", name="Vielen Dank, wir haben Ihre Antwort erhalten.").wait_for()
    assert "Sie haben den Vorschlag abgelehnt." in text_of(phone)
    assert not no_axe_violations(phone), no_axe_violations(phone)
    stack.wait_for(case_id, "REJECTED")


def test_a_german_customer_gets_errors_in_german_and_a_humane_dead_end(stack, phone, german_phone):
    sent = body("document_approval.json")  # Ines, German
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = open_link(stack, phone, sent)
    shown = text_of(phone)
    assert "Zählerstand\n18.452" in shown and "Abgelesen am\n20. November 2026" in shown
    phone.get_by_label("Zählerstand").fill("-5")
    phone.get_by_role("button", name="Korrekturen speichern").click()
    error = phone.get_by_text("Zählerstand: Bitte geben Sie eine Zahl zwischen 0 und 100.000.000 ein.")
    error.wait_for()
    assert phone.get_by_label("Zählerstand").get_attribute("aria-invalid") == "true"
    assert fits_the_screen(phone)
    assert not no_axe_violations(phone), no_axe_violations(phone)
    phone.get_by_label("Zählerstand").fill("18542")
    phone.get_by_role("button", name="Korrekturen speichern").click()
    phone.get_by_role("heading", name="Vielen Dank, wir haben Ihre Antwort erhalten.").wait_for()
    assert "Ihre Korrekturen:" in text_of(phone) and "18542" in text_of(phone)
    phone.get_by_role("button", name="Ja, einfach").click()
    phone.get_by_role("heading", name="Vielen Dank für Ihr Feedback.").wait_for()
    stack.wait_for(case_id, "COMPLETED")

    used = phone.goto(link)
    assert used.status == 410
    phone.get_by_role("heading", name="Sie haben diese Anfrage bereits beantwortet.").wait_for()
    phone.get_by_role("heading", name="Mit einer Person sprechen").wait_for()
    assert "Kundenservice" in text_of(phone) and fits_the_screen(phone)
    assert not no_axe_violations(phone), no_axe_violations(phone)

    unknown = german_phone.goto(link.rsplit("/", 1)[0] + "/" + uuid.uuid4().hex)
    assert unknown.status == 404
    german_phone.get_by_role("heading", name="Wir konnten diese Anfrage nicht finden.").wait_for()
    german_phone.get_by_role("heading", name="Mit einer Person sprechen").wait_for()
    assert german_phone.evaluate("document.documentElement.lang") == "de"
    assert not no_axe_violations(german_phone), no_axe_violations(german_phone)


def test_no_delivery_date_is_chosen_for_the_customer(stack, phone):
    sent = body("delivery_update.json")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    open_link(stack, phone, sent)
    assert phone.locator("input[type=radio]:checked").count() == 0
    assert "Bestellnummer\nO-7788" in text_of(phone)
    assert not no_axe_violations(phone), no_axe_violations(phone)
    phone.get_by_role("button", name="Diese Option wählen").click()  # nothing chosen: the browser asks first
    assert phone.get_by_role("heading", name="Vielen Dank, wir haben Ihre Antwort erhalten.").count() == 0
    phone.get_by_label("Freitag, 5. Dezember, 14-18 Uhr").check()
    phone.get_by_role("button", name="Diese Option wählen").click()
    phone.get_by_text("Ihre Wahl: Freitag, 5. Dezember, 14-18 Uhr").wait_for()
    stack.wait_for(case_id, "COMPLETED")
