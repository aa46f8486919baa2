"""The text judges as a reviewer meets them: what flags a case, what does not, and the words the reason quotes."""
import time

import pytest

from loopgate.policy import judges
from loopgate.policy.journeys import get_journey
from loopgate.policy.language import foreign_language
from loopgate.policy.signals import SIGNALS, CaseFacts
from loopgate.policy.text import fold

CUSTOMER = {"id": "c", "email": "anna.k@example.com", "phone": "+44 7700 900123"}


def signal(name, message=None, draft=None):
    facts = CaseFacts(payload={"message": message} if message else {},
                      ai={"confidence": 0.9, "draft": draft, "proposal": {}}, customer=CUSTOMER)
    return SIGNALS[name](facts, get_journey("complaint"))


@pytest.mark.parametrize("text, folded", [
    ("WÜTEND", "wuetend"), ("wütend", "wuetend"), ("Rückruf", "rueckruf"), ("Verstoß", "verstoss"),
    ("soooo angry", "so angry"), ("I can't", "i cant"), ("Café", "cafe"), ("coffee", "coffee"),
])
def test_folding_makes_spellings_meet(text, folded):
    assert fold(text).text == folded


@pytest.mark.parametrize("name, message, expected", [
    ("emotional_escalation", "Ich bin echt WUETEND", True),
    ("emotional_escalation", "ich bin echt wütend", True),
    ("emotional_escalation", "I am soooo angryyyy", True),
    ("customer_requests_human", "Bitte um Rueckruf", True),
    ("customer_requests_human", "Bitte um RÜCKRUF", True),
    ("policy_language", "Ich werde Sie verklagen", True),
    ("policy_language", "Ich gehe zum Anwält... zu meiner Anwältin", True),
    # whole words only
    ("policy_language", "Wir wohnen in Klagenfurt, liefern Sie nach Österreich?", False),
    ("policy_language", "Can the courier leave it in the courtyard?", False),
    ("policy_language", "Sue from billing said she would email me", False),
    ("customer_requests_human", "Die Rückrufnummer auf der Rechnung stimmt nicht", False),
])
def test_spelling_and_word_boundaries(name, message, expected):
    assert signal(name, message).value is expected


@pytest.mark.parametrize("message", [
    "talk to a real human being please", "I want to talk to an actual human", "let me speak to a human",
    "ich will mit einem echten Menschen reden", "Kann ich mit einem Menschen sprechen?",
])
def test_phrases_allow_a_few_words_in_between(message):
    assert signal("customer_requests_human", message).value is True


@pytest.mark.parametrize("name, message", [
    ("customer_requests_human", "No need to call me back, email is fine."),
    ("customer_requests_human", "Don't call me back, I'm at work."),
    ("customer_requests_human", "Kein Rückruf nötig, E-Mail reicht."),
    ("customer_requests_human", "Rückruf nicht nötig, danke."),
    ("customer_requests_human", "I spoke to a real person yesterday, it's fixed."),
    ("emotional_escalation", "I am not angry, just asking when the technician comes."),
    ("emotional_escalation", "Ich bin nicht sauer, ich will nur das Datum wissen."),
])
def test_negated_or_past_requests_and_anger_do_not_count(name, message):
    assert signal(name, message).value is False


@pytest.mark.parametrize("message, cue", [
    ("WHERE IS MY PARCEL, I PAID FOR EXPRESS", "capitals"),
    ("Zum vierten Mal: die Adresse ist FALSCH.", "FALSCH"),
    ("Where is my refund!!!", "!!!"),
    ("Seriously?! You cut off my internet.", "?!"),
    ("what a company 🤬", "🤬"),
    ("This is the third time I'm writing.", "third time"),
    ("Zum x-ten Mal schreibe ich Ihnen.", "x-ten Mal"),
])
def test_intensity_escalates_and_the_reason_names_it(message, cue):
    result = signal("emotional_escalation", message)
    assert result.value is True
    assert cue in result.explanation


def test_third_time_in_another_sense_does_not_escalate():
    assert signal("emotional_escalation", "Geht die Umstellung auch zum dritten Mal im Jahr?").value is False


@pytest.mark.parametrize("name, text, field, words", [
    ("emotional_escalation", "Das ist eine absolute Frechheit", "message", '"Frechheit"'),
    ("policy_language", "Mein Anwalt meldet sich bei Ihnen", "message", '"Anwalt"'),
    ("customer_requests_human", "Please put me through to a supervisor", "message", "put me through to a supervisor"),
    ("draft_promise", "You have my word that it is reversed today.", "draft", '"You have my word"'),
    ("vulnerability", "My husband passed away last month.", "message", '"passed away"'),
])
def test_each_finding_quotes_the_words_that_triggered_it(name, text, field, words):
    result = signal(name, **{field: text})
    assert result.value is True
    assert words in result.explanation


@pytest.mark.parametrize("message, expected", [
    ("My husband passed away last month and the account is in his name.", True),
    ("I lost my job and can't pay this bill.", True),
    ("I'm writing from the hospital, I had a stroke.", True),
    ("thank you for always being here, you understand me better than my family", True),
    ("Mein Mann ist letzten Monat verstorben.", True),
    ("Ich bekomme Bürgergeld und die Lastschrift ist geplatzt.", True),
    ("Danke, dass du immer da bist, du verstehst mich besser als meine Familie", True),
    ("Ich bin 86 und verstehe diese E-Mails nicht.", True),
    ("My phone died halfway through the call.", False),
    ("I'm dying to know when the new model comes out", False),
    ("I work night shifts at the hospital, deliver after 2pm.", False),
    ("Der Akku ist tot, bitte Link nochmal schicken.", False),
    ("Ist der Versand von Trauerkränzen samstags möglich? Ich bin Floristin.", False),
    ("Your chatbot is lovely, 10/10.", False),
])
def test_vulnerability(message, expected):
    assert signal("vulnerability", message).value is expected


@pytest.mark.parametrize("message, language", [
    ("Bonjour, je n'ai toujours pas reçu mon colis et personne ne me répond.", "French"),
    ("kargo gelmedi ya cok sinirliyim", "Turkish"),
    ("Hello, quiero hablar con alguien sobre la factura.", "Spanish"),
    ("Hi, sorry my English not good. Siparişim gelmedi, iade istiyorum.", "Turkish"),
])
def test_a_language_the_judges_cannot_read_is_named(message, language):
    result = signal("language", message)
    assert result.value is True
    assert language in result.explanation


@pytest.mark.parametrize("message", [
    "ok", "danke", "pls cancel", "👍", "i want refund now", "ich bin voll wuetend, wo bleibt mein geld",
    "Koennen Sie mich zurueckrufen?", "Hab das Ticket gecancelt, aber der Refund ist noch nicht da",
    "Bonjour! Just wanted to say the parcel arrived, merci 😊", "Can you send it to 12 Rue de la Paix, Paris?",
    "Ciao! Wollte nur danke sagen, hat alles geklappt.", "Ich heiße Ayşe Yılmaz und möchte meine Adresse ändern.",
])
def test_short_english_and_german_with_typos_are_not_foreign(message):
    assert signal("language", message).value is False


@pytest.mark.parametrize("draft, expected", [
    ("The previous owner of this line, 0044 20 7946 0011, has been removed.", True),  # a phone, not a card
    ("Your parcel number is 3400120077812341.", False),          # passes Luhn, but not grouped or called a card
    ("Ihre Sendungsnummer lautet 1003005007009024.", False),
    ("Kartennummer 4539148803436467", True),                     # called a card
    ("The card 4917.6100.0012.3455 was declined.", True),        # grouped like a card
    ("Contact us at support@example.com or on 0800 123 4567.", False),  # the company's own contacts
    ("Unsere Hotline erreichen Sie unter 030 99 88 77 66.", False),
    ("You can write to the seller directly: peter.hall (at) example.com", True),
    ("Die Rückzahlung ging an de43370400440771155300.", True),    # lower-case IBAN
    ("Ihr Vermieter ist unter +49(0)30 7654321 erreichbar.", True),
    ("We'll text you on 07700 900123 when the driver is close.", False),  # the customer's own, national format
])
def test_pii_judge(draft, expected):
    assert signal("draft_pii", draft=draft).value is expected


@pytest.mark.parametrize("draft, expected", [
    ("You will definitely get a full refund by Friday.", True),
    ("You have my word that the charge will be reversed today.", True),
    ("Das ist versprochen: die Abbuchung wird storniert.", True),
    ("Ich verspreche Ihnen, dass die Abbuchung heute storniert wird.", True),
    ("We cannot guarantee a delivery date yet.", False),
    ("We can't guarantee a delivery date yet.", False),
    ("Einen genauen Liefertermin können wir leider nicht garantieren.", False),
    ("You asked whether we promise next-day delivery: we don't.", False),
    ("The label says 100% cotton.", False),
])
def test_promise_judge(draft, expected):
    assert signal("draft_promise", draft=draft).value is expected


HOSTILE = ("a " * 50_000, "a" * 100_000, "talk to " * 12_500, "mit einem " * 10_000, "!?" * 50_000,
           "Ä" * 100_000, "1 " * 50_000, "zum dritten " * 8_000, "no need to " * 9_000, "a.a." * 25_000,
           "AAAA " * 20_000, "passed " * 14_000, "0 " * 50_000, "(at) " * 20_000)


@pytest.mark.parametrize("judge", [judges.escalation_findings, judges.legal_findings, judges.person_request_findings,
                                   judges.promise_findings, judges.vulnerability_findings])
def test_the_text_judges_stay_linear_on_hostile_messages(judge):
    for hostile in HOSTILE:
        started = time.perf_counter()
        judge(hostile)
        assert time.perf_counter() - started < 2.0, hostile[:12]


def test_the_language_judge_stays_fast_on_hostile_messages():
    foreign_language("warm up")
    for hostile in ("a " * 50_000, "Bonjour. " * 12_000, "x" * 100_000):
        started = time.perf_counter()
        foreign_language(hostile)
        assert time.perf_counter() - started < 5.0, hostile[:12]


@pytest.mark.parametrize("name, message, expected", [
    ("emotional_escalation", "Oh brilliant, another automated reply.", True),
    ("emotional_escalation", "This is beyond a joke now.", True),
    ("emotional_escalation", "You have wasted hours of my time.", True),
    ("emotional_escalation", "Vielen Dank auch für gar nichts.", True),
    ("emotional_escalation", "Das kann doch nicht Ihr Ernst sein?", True),
    ("emotional_escalation", "Ich hab echt die Schnauze voll.", True),
    ("emotional_escalation", "Unglaublich, wie man hier behandelt wird.", True),
    ("emotional_escalation", "Das ist doch ein schlechter Scherz.", True),
    ("emotional_escalation", "Unglaublich schnelle Lieferung, danke!", False),
    ("emotional_escalation", "Der Witz auf der Geburtstagskarte ist super.", False),
    ("emotional_escalation", "I ruined my screen protector, do you sell them?", False),
    ("emotional_escalation", "How many more sizes will come in blue?", False),
    ("vulnerability", "Since my wife passed I don't know how this works.", True),
    ("vulnerability", "My son passed his driving test, add him to the policy.", False),
    ("vulnerability", "Honestly you're the only one who listens to me.", True),
    ("vulnerability", "Ehrlich gesagt bist du der einzige, der mir zuhört.", True),
    ("vulnerability", "Meine Frau ist von uns gegangen.", True),
    ("vulnerability", "Das Geld reicht hinten und vorne nicht.", True),
    ("vulnerability", "I've been out of work since January.", True),
    ("vulnerability", "My laptop died, can I get it repaired?", False),
    ("vulnerability", "Der Drucker ist gestorben, gibt es Ersatz?", False),
    ("vulnerability", "Die Pflegeanleitung für die Jacke fehlt.", False),
    ("vulnerability", "Ich pflege meine Mutter und habe wenig Zeit.", True),
])
def test_indirect_anger_and_vulnerability(name, message, expected):
    assert signal(name, message).value is expected


@pytest.mark.parametrize("draft, expected", [
    ("Sie erhalten bestimmt bis Freitag Ihr Geld zurück.", True),
    ("Wir erstatten Ihnen selbstverständlich auch die Versandkosten.", True),
    ("Die Reparaturkosten übernehmen wir, die Hotelkosten erstatten wir ebenfalls.", True),
    ("Das wird nicht wieder vorkommen.", True),
    ("Die Mahngebühr wird Ihnen selbstverständlich erlassen.", True),
    ("Spätestens Montag ist das Geld auf Ihrem Konto.", True),
    ("Your money will be back by Wednesday at the latest.", True),
    ("This won't happen again.", True),
    ("I've added three free months to your account.", True),
    ("Please send the item back by Monday at the latest.", False),
    ("Bitte senden Sie die Ware spätestens Montag zurück.", False),
    ("Rücksendungen erstatten wir in der Regel innerhalb von 14 Tagen.", False),
    ("Die Versandkosten können wir leider nicht erstatten.", False),
    ("Bestimmte Artikel sind vom Umtausch ausgeschlossen.", False),
    ("You will receive a confirmation email once the return is scanned.", False),
])
def test_promises_in_german_compounds_and_deadlines(draft, expected):
    assert signal("draft_promise", draft=draft).value is expected


GERMAN_CUSTOMER = {"id": "c", "email": "m.schulz@example.de", "phone": "+49 151 23456789"}


@pytest.mark.parametrize("draft, expected", [
    ("Der Vermieter ist unter 0151 / 876 543 21 erreichbar.", True),
    ("Herr Becker erreichen Sie unter +49 (0) 30 / 1234 5678.", True),
    ("Rufen Sie den Gutachter unter (030) 765 43 21 an.", True),
    ("Kontonummer 0532013000, BLZ 37040044.", True),
    ("Sort code 20-45-77, account number 83746512.", True),
    ("The seller's address is tom.baker @ example.org.", True),
    ("Wir rufen Sie unter 0151 / 234 567 89 zurück.", False),   # the customer's own
    ("Ihre Kundennummer lautet 0301234567.", False),
    ("Your account number ends in 6512.", False),
    ("Unsere Servicehotline: +49 (0) 800 123 4567.", False),
])
def test_pii_in_german_formats(draft, expected):
    facts = CaseFacts(payload={}, ai={"confidence": 0.9, "draft": draft, "proposal": {}}, customer=GERMAN_CUSTOMER)
    assert SIGNALS["draft_pii"](facts, get_journey("complaint")).value is expected


@pytest.mark.parametrize("message, expected", [
    ("Guten Tag, faturamda yanlış tutar var.", True),
    ("Hallo, ik wil mijn abonnement opzeggen.", True),
    ("Laptop broken. Repair?", False),
    ("Tracking says delivered. Nope.", False),
    ("Paket nicht da. Wann?", False),
])
def test_terse_messages_and_a_greeting_before_a_foreign_request(message, expected):
    assert signal("language", message).value is expected


@pytest.mark.parametrize("hostile", [
    "0151 / " * 14_000, "(030) " * 16_000, "+49 (0) 30 / " * 7_000, "a @ " * 25_000, "BLZ 37040044 " * 7_000,
    "kontonummer " * 8_000, "sort code 20-45-77 " * 5_000, "Versandkosten " * 7_000, "a" * 99_990 + "kosten",
    "spätestens " * 9_000, "my wife passed " * 6_000, "unglaublich " * 8_000, "how many more times " * 5_000,
])
def test_the_new_patterns_stay_linear_on_hostile_messages(hostile):
    assert len(hostile) >= 60_000
    for judge in (judges.escalation_findings, judges.promise_findings, judges.vulnerability_findings,
                  judges.pii_findings):
        started = time.perf_counter()
        judge(hostile)
        assert time.perf_counter() - started < 2.0, (judge.__name__, hostile[:12])


def test_the_language_judge_stays_fast_on_many_clauses():
    foreign_language("warm up")
    for hostile in ("Laptop broken repair, " * 5_000, "Bonjour, " * 12_000, "qwrt zxcv plkm, " * 6_000):
        started = time.perf_counter()
        foreign_language(hostile)
        assert time.perf_counter() - started < 5.0, hostile[:12]
