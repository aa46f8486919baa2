"""The customer page as a customer uses it, on a phone: every kind of answer, a person on request, one use only."""
import pytest

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


def open_link(stack, phone, sent, newer_than=None):
    recipient = sent["customer"].get("email") or sent["customer"]["phone"]
    link = stack.link_for(recipient, newer_than=newer_than)
    phone.goto(link)
    return link


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


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
    phone.get_by_label("reading").fill("18542")
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
    assert phone.get_by_role("heading", name="This link can no longer be used.").is_visible()


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
