"""PII redaction: what it masks, what it leaves alone, and that nothing unmasked is stored."""

from __future__ import annotations

import asyncio
import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from livekit.agents import AgentSession
from livekit.agents.llm import ChatContext, FunctionCall, FunctionCallOutput

import transcript_samples as samples
from {{ cookiecutter.package_name }}.transcript.capture import TranscriptCapture
from {{ cookiecutter.package_name }}.transcript.model import Entry, Transcript
from {{ cookiecutter.package_name }}.transcript.redaction import (
    IBAN_LENGTHS,
    iban_valid,
    luhn_valid,
    redact_entry,
    redact_room,
    redact_text,
    redact_transcript,
)

MASKED = [
    ("Mail me at john.doe+calls@example.co.uk.", "Mail me at [EMAIL]."),
    ("écrivez à zoé@exemple.fr", "écrivez à [EMAIL]"),
    ("Call (415) 555-0123 today", "Call [PHONE] today"),
    ("415-555-0123, 415.555.0123 or 4155550123", "[PHONE], [PHONE] or [PHONE]"),
    ("toll free 1-800-555-0199", "toll free [PHONE]"),
    ("+1 415 555 0123 and +1 (415) 555-0123", "[PHONE] and [PHONE]"),
    ("London +44 20 7946 0958, Paris +33 6 12 34 56 78", "London [PHONE], Paris [PHONE]"),
    ("from abroad 0049 30 12345678", "from abroad [PHONE]"),
    ("at home 020 7946 0958 or 06 12 34 56 78", "at home [PHONE] or [PHONE]"),
    ("card 4111 1111 1111 1111 exp 12/27", "card [CARD] exp 12/27"),
    ("4111-1111-1111-1111 or 4111111111111111", "[CARD] or [CARD]"),
    ("amex 3782 822463 10005", "amex [CARD]"),
    ("card 4111 1111 1111 1111 123", "card [CARD] 123"),  # the CVV after it stays
    ("ref 12 4111 1111 1111 1111", "ref 12 [CARD]"),
    ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [IBAN] please"),
    ("GB82WEST12345698765432.", "[IBAN]."),
    ("fr76 3000 6000 0112 3456 7890 189", "[IBAN]"),
    ("SSN 123-45-6789 or 078 05 1120", "SSN [SSN] or [SSN]"),
    ("from 192.168.1.10 and 2001:db8::8a2e:370:7334.", "from [IP] and [IP]."),
    ("mapped ::ffff:10.0.0.1 or ::1", "mapped [IP] or [IP]"),
    ('{"email": "a@b.io", "card": 4111111111111111}', '{"email": "[EMAIL]", "card": [CARD]}'),
]

KEPT = [
    "Meeting on 2026-11-24 at 10:30:45, or 24.11.2026, or 01.02.2026.",
    "It costs $1,299.99, order 12345, room 101, 10 000 people, year 1999.",
    "not a card: 1234 5678 9012 3456",  # fails the Luhn check
    "not an SSN: 666-12-3456, 123-00-4567, 912-34-5678",
    "not an IBAN: GB00WEST12345698765432, DE893704004405320130",  # checksum, length
    "version 3.14159, uuid 123e4567-e89b-12d3-a456-012345678901",
    "created 1795000000.123, mac 00:1a:2b:3c:4d:5e, std::vector, +5 points",
    "ip 999.1.1.1 is not an address",
]

# Documented limits: none of these are masked.
NOT_CAUGHT = [
    "My name is Jane Smith and I live at 12 Baker Street.",
    "four one five, five five five, zero one two three",
    "john at example dot com",
    "my SSN is 123456789",
    "call 555-0123",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_masks_pii(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_leaves_look_alikes_alone(text):
    assert redact_text(text) == text


@pytest.mark.parametrize("text", NOT_CAUGHT)
def test_documented_limits(text):
    assert redact_text(text) == text


def test_checksums():
    assert luhn_valid("4111 1111 1111 1111") and not luhn_valid("4111 1111 1111 1112")
    assert not luhn_valid("0000 0000 0")  # too short to be a card
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE88370400440532013000")


# property tests

PIECES = string.digits * 3 + string.ascii_letters + " .-+()@:"
LETTERS = st.text(string.ascii_letters + " ,;!?'éü東京", max_size=20)
DIGIT = st.integers(0, 9)


def with_luhn_digit(body: list[int]) -> str:
    """``body`` followed by the check digit that makes it pass the Luhn check."""
    total = 0
    for position, digit in enumerate(reversed(body)):
        value = digit * 2 if position % 2 == 0 else digit  # the check digit will be position 0
        total += value - 9 if value > 9 else value
    return "".join(map(str, body)) + str(-total % 10)


@st.composite
def cards(draw) -> str:
    first = draw(st.integers(1, 9))  # no card number starts with 0
    number = with_luhn_digit([first, *draw(st.lists(DIGIT, min_size=11, max_size=17))])
    separator = draw(st.sampled_from(["", " ", "-"]))
    return separator.join(number[i : i + 4] for i in range(0, len(number), 4))


@st.composite
def us_phones(draw) -> str:
    area = draw(st.integers(200, 999))
    exchange = draw(st.integers(200, 999))
    line = draw(st.integers(0, 9999))
    shape = draw(
        st.sampled_from(
            ["({a}) {e}-{l}", "{a}-{e}-{l}", "{a}.{e}.{l}", "+1 {a} {e} {l}", "1-{a}-{e}-{l}"]
        )
    )
    return shape.format(a=area, e=exchange, l=f"{line:04d}")


@st.composite
def international_phones(draw) -> str:
    country = draw(st.integers(1, 999))
    groups = draw(st.lists(st.integers(10, 9999), min_size=2, max_size=4))
    number = f"+{country} " + " ".join(map(str, groups))
    digits = sum(c.isdigit() for c in number)
    return number if 8 <= digits <= 15 else f"+{country} 20 7946 0958"


@st.composite
def ibans(draw) -> str:
    country, length = draw(st.sampled_from(sorted(IBAN_LENGTHS.items())))
    alphabet = string.ascii_uppercase + string.digits
    bban = draw(st.text(alphabet, min_size=length - 4, max_size=length - 4))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    compact = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    if draw(st.booleans()):
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


emails = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["com", "org", "co.uk", "io", "de"]),
)


@pytest.mark.parametrize(
    ("strategy", "placeholder"),
    [
        (cards(), "[CARD]"),
        (us_phones(), "[PHONE]"),
        (international_phones(), "[PHONE]"),
        (ibans(), "[IBAN]"),
        (emails, "[EMAIL]"),
    ],
)
def test_masks_generated_pii_in_any_sentence(strategy, placeholder):
    @given(before=LETTERS, value=strategy, after=LETTERS)
    def check(before, value, after):
        redacted = redact_text(f"{before} {value} {after}")
        assert redacted == f"{before} {placeholder} {after}"

    check()


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="@")))
def test_text_without_digits_or_at_signs_is_untouched(text):
    text = "".join(c for c in text if not c.isdigit())
    assert redact_text(text) == text


@given(st.text(st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from(PIECES))))
def test_redaction_never_fails_and_is_idempotent(text):
    once = redact_text(text)
    assert redact_text(once) == once


# entries, transcripts and storage


def test_redact_entry_masks_text_arguments_and_output_only():
    call = Entry(
        "function_call",
        samples.T0,
        "item_1",
        name="send_sms",
        call_id="call_9",
        arguments=json.dumps({"to": "+44 20 7946 0958", "body": "hi"}),
    )
    redacted = redact_entry(call)
    assert json.loads(redacted.arguments) == {"to": "[PHONE]", "body": "hi"}
    assert (redacted.name, redacted.call_id, redacted.id) == ("send_sms", "call_9", "item_1")
    assert "7946" in call.arguments  # the original is not modified

    output = Entry("function_call_output", samples.T0, output="Sent to jane@example.com")
    assert redact_entry(output).output == "Sent to [EMAIL]"
    said = Entry(
        "message", samples.T0, role="user", text="my card is 4111 1111 1111 1111", interrupted=True
    )
    assert redact_entry(said) == Entry(
        "message", samples.T0, role="user", text="my card is [CARD]", interrupted=True
    )


def test_redact_transcript_keeps_the_header_but_masks_the_room():
    transcript = Transcript(
        samples.sample_session(), [Entry("message", samples.T0, role="user", text="a@b.io")]
    )
    redacted = redact_transcript(transcript)
    assert redacted.session == transcript.session  # no PII in "support | room-42"
    assert [e.text for e in redacted.entries] == ["[EMAIL]"]
    transcript.session.room = "_+14155550123_AbCdEf"
    assert redact_transcript(transcript).session.room == "_[PHONE]_AbCdEf"
    assert transcript.session.room == "_+14155550123_AbCdEf"  # the original is not modified


@pytest.mark.parametrize(
    ("room", "masked"),
    [
        ("_+14155550123_AbCdEf", "_[PHONE]_AbCdEf"),  # LiveKit SIP: prefix_caller_random
        ("call-_+14155550123_x9", "call-_[PHONE]_x9"),
        ("support_4155550123_q", "support_[PHONE]_q"),
        ("jane.doe@example.com", "[EMAIL]"),
        ("support | room-42", "support | room-42"),
        ("room_42_2026-11-24", "room_42_2026-11-24"),
    ],
)
def test_room_names_are_masked(room, masked):
    assert redact_room(room) == masked


PII_TURN = "Sure, it's jane.doe@example.com, +1 415 555 0123 and card 4111 1111 1111 1111."


def pii_history() -> ChatContext:
    chat = ChatContext.empty()
    chat.add_message(role="user", content=PII_TURN, created_at=samples.T0 + 1)
    chat.insert(
        FunctionCall(
            call_id="c1",
            name="charge",
            arguments=json.dumps({"card": "4111111111111111", "iban": "GB82WEST12345698765432"}),
            created_at=samples.T0 + 2,
        )
    )
    chat.insert(
        FunctionCallOutput(
            call_id="c1",
            name="charge",
            output="receipt sent to jane.doe@example.com from 10.0.0.7",
            is_error=False,
            created_at=samples.T0 + 3,
        )
    )
    return chat


RAW_PII = ["jane.doe", "415 555", "4111", "GB82", "10.0.0.7"]


async def test_the_live_journal_never_holds_unmasked_pii(tmp_path):
    journal = tmp_path / "journal.jsonl"
    capture = TranscriptCapture(samples.sample_session(), journal, redact=redact_entry)
    capture.attach(AgentSession())
    for item in pii_history().items:
        capture.add(item)
    await asyncio.to_thread(capture.finish, samples.sample_session())
    written = journal.read_text(encoding="utf-8")
    assert not [raw for raw in RAW_PII if raw in written]
    assert written.count("[EMAIL]") == 2 and written.count("[CARD]") == 2
    assert "[IBAN]" in written and "[IP]" in written and "[PHONE]" in written


def test_cli_masks_pii_in_a_raw_history(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(json.dumps(pii_history().to_dict(exclude_timestamp=False)), encoding="utf-8")
    for name in ("json", "text", "srt"):
        result = samples.run_cli(str(path), "-f", name, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        shown = result.stdout.decode("utf-8")
        assert "[EMAIL]" in shown
        assert not [raw for raw in RAW_PII if raw in shown]
