"""Reading SMS and email replies (en/de), the one-time codes and the invitation our messages carry."""
import pytest

from loopgate.policy.replies import (
    ReadReply,
    code_matches,
    first_reply_line,
    new_reply_code,
    normalized_address,
    read_reply,
    reply_code_hash,
    sender_hash,
)
from loopgate.web.messages import ReplyInvite, customer_message, reply_invitation, reply_text


@pytest.mark.parametrize("text, intent", [
    ("YES", "confirm"), ("yes.", "confirm"), ("Ja", "confirm"), ("ja, bitte", "confirm"), ("JA!", "confirm"),
    ("ok", "confirm"), ("\N{THUMBS UP SIGN}", "confirm"), ("\N{THUMBS UP SIGN}\U0001F3FD", "confirm"),
    ("No", "reject"), ("nein danke", "reject"), ("NEIN.", "reject"), ("\N{THUMBS DOWN SIGN}", "reject"),
    ("PERSON", "human"), ("Mensch bitte", "human"), ("agent", "human"),
    ("STOP", "stop"), ("stopp", "stop"), ("Stop!", "stop"), ("START", "start"), ("unstop", "start"),
    ("start the refund", "unknown"),
    ("yes no", "unknown"), ("ja nein", "unknown"), ("maybe", "unknown"), ("", "unknown"),
    ("please stop calling me", "unknown"), ("stop 123456", "unknown"),
])
def test_the_first_words_say_what_the_customer_answers(text, intent):
    assert read_reply(text).intent == intent


@pytest.mark.parametrize("text, option", [("2", 2), (" 2 ", 2), ("Nr. 2", 2), ("Option 3", 3), ("#1", 1),
                                          ("Termin 2", 2), ("1.", 1)])
def test_a_number_chooses_that_option(text, option):
    assert read_reply(text) == ReadReply("choose", option=option)


def test_a_six_digit_code_is_read_wherever_it_stands():
    assert read_reply("YES 482913") == ReadReply("confirm", code="482913")
    assert read_reply("ja bitte, code 048291") == ReadReply("confirm", code="048291")
    assert read_reply("2 482913") == ReadReply("choose", option=2, code="482913")
    assert read_reply("482913") == ReadReply("unknown", code="482913"), "a code alone does not say yes"
    assert read_reply("YES 48291").code is None, "five digits are no code"


def test_an_email_reply_is_read_from_its_first_own_line():
    assert first_reply_line("\n  Ja, bitte\nMit Gruessen\n> Antworten Sie JA") == "Ja, bitte"
    assert first_reply_line("> quoted YES\n\n2\n") == "2"
    assert first_reply_line("On Mon, 23 Nov 2026, Loopgate wrote:\n> Reply YES 123456") == ""
    assert first_reply_line("Am 23.11.2026 um 10:00 schrieb Loopgate:\n> JA") == ""


def test_a_sender_is_the_same_however_the_address_is_written():
    assert normalized_address("sms", "0049 151 2345-678") == normalized_address("sms", "+49 (151) 2345678")
    assert sender_hash("email", "Ana <Ana@Example.COM>") == sender_hash("email", "ana@example.com")
    assert sender_hash("sms", "+491512345678") != sender_hash("email", "+491512345678")
    assert "491512345678" not in sender_hash("sms", "+491512345678")


def test_a_code_matches_only_its_own_step():
    code = new_reply_code()
    assert len(code) == 6 and code.isdigit()
    stored = {reply_code_hash("step-1", code)}
    assert code not in next(iter(stored)), "stored hashed"
    assert code_matches("step-1", code, stored)
    assert not code_matches("step-2", code, stored), "another step's code"
    other = "000000" if code != "000000" else "111111"
    assert not code_matches("step-1", other, stored)


def test_messages_invite_a_reply_in_the_customers_language():
    choose = ReplyInvite(kind="choose", options=("Mi, 3.12.", "Fr, 5.12."))
    sms = reply_invitation("de", choose, "sms")
    assert "1 = Mi, 3.12." in sms and "2 = Fr, 5.12." in sms and "MENSCH" in sms and "STOPP" in sms
    email = reply_invitation("en", ReplyInvite(kind="confirm", code="482913"), "email")
    assert "Reply YES 482913 to confirm" in email and "PERSON" in email and "STOP" not in email
    message = customer_message(locale="en", title="T", name="Ana", url="https://x/c/abc", valid_seconds=7200,
                               invite=ReplyInvite(kind="confirm"))
    assert "Reply YES to confirm" in message.sms and "STOP" in message.sms
    assert "Reply YES to confirm" in message.text and "Reply YES to confirm" in message.html
    assert "Reply" not in customer_message(locale="en", title="T", name="Ana", url="https://x/c/abc",
                                           valid_seconds=7200).sms, "no invitation unless asked"


def test_a_sender_we_do_not_know_is_answered_in_both_languages():
    text = reply_text(None, "unknown")
    assert "could not find" in text and "keine offene Anfrage" in text
    assert "nicht verstanden" in reply_text("de-AT", "not_understood", invitation="", url="u")


def test_a_sender_gets_at_most_a_days_answers_so_no_auto_responder_starts_a_loop(world):
    from loopgate.usecases.replies import ANSWERS_PER_DAY, InboundReply, receive_reply

    from .world import PUBLIC_URL

    bot = InboundReply(channel="sms", sender="+4915100000999", body="Thank you for your message!")
    answers = [receive_reply(world.store, world.workflow, bot, PUBLIC_URL) for _ in range(ANSWERS_PER_DAY + 2)]
    assert all(a.text for a in answers[:ANSWERS_PER_DAY]) and not any(a.muted for a in answers[:ANSWERS_PER_DAY])
    assert [(a.outcome, a.text, a.muted) for a in answers[ANSWERS_PER_DAY:]] == [("unknown_sender", None, True)] * 2
    world.clock.advance(86400)  # a new day: answered again
    assert receive_reply(world.store, world.workflow, bot, PUBLIC_URL).text
