"""PII redaction: mask personal data before a transcript is written anywhere.

``redact_entry`` masks message text and tool call arguments and outputs; each match
becomes a typed placeholder. What it catches, checked in this order:

- ``[EMAIL]``: ``name@example.com`` (unicode letters allowed).
- ``[IBAN]``: IBANs, compact or in groups of four, when the ISO 7064 mod-97 check
  passes and the length fits the country.
- ``[PHONE]`` (international): numbers starting ``+`` or ``00``, 8 to 15 digits
  (``+44 20 7946 0958``, ``+1 (415) 555-0123``, ``0049 30 12345678``).
- ``[CARD]``: payment card numbers, 13 to 19 digits (single spaces or dashes between
  them allowed), when the Luhn check passes.
- ``[SSN]``: US social security numbers written ``123-45-6789`` or ``123 45 6789``
  (not the impossible ones: area 000, 666 or 9xx, group 00, serial 0000).
- ``[IP]``: IPv4 and IPv6 addresses (validated by ``ipaddress``).
- ``[PHONE]`` (national): US and Canadian numbers (``(415) 555-0123``,
  ``415.555.0123``, ``1-800-555-0199``, ``4155550123``) and numbers starting with a
  trunk ``0`` (``020 7946 0958``, ``06 12 34 56 78``; 9 to 12 digits).

Look-alikes are left alone where a check tells them apart (dates, times, prices,
version numbers, UUIDs, numbers failing the Luhn or mod-97 check); in doubt, a
number is masked: a 10-digit order number reads as a US phone number.

What it does NOT catch: names, postal addresses, dates of birth, account or order
numbers without a checksum, card numbers that fail the Luhn check, US SSNs written as
nine bare digits, and anything spoken out in words ("four one five, five five five...",
"john at example dot com"). Speech-to-text output often spells numbers out, so this is
a safety net, not a guarantee: review it against your own data before relying on it.
Room names are masked too (``redact_room``): in the transcript header and in object keys.
Audio recordings are not redacted (this option is only offered without recording).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from .model import Entry, SessionInfo, Transcript

_EMAIL = re.compile(r"(?<![\w.+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}(?!\w)", re.I | re.A)
_CARD = re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){12,40}(?!\w|\.\d)")
_SSN = re.compile(r"(?<![\w+-])(?<!\d[ .])\d{3}([- ])\d{2}\1\d{4}(?![\w-]|[ .]\d)")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]{1,4})?(?![\w:]|\.\d)",
    re.IGNORECASE,
)
_PHONE_INTERNATIONAL = re.compile(
    r"(?<![\w+.-])(?<!\d[ .-])(?:\+|00)\d{1,4}(?:[ .-]?\(?\d{1,5}\)?){1,7}(?!\w|\.\d)"
)
_PHONE_NANP = re.compile(
    r"(?<![\w+(.-])(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}(?!\w|\.\d)"
)
_PHONE_TRUNK = re.compile(r"(?<![\w+.-])\(?0\d{1,4}\)?(?:[ .-]?\d{2,4}){2,5}(?!\w|\.\d)")
_CHUNK = re.compile(r"[^ .()-]+")
MAX_CHUNKS = 20  # no card, IBAN or phone number has more groups than this


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in _digits(number)]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


# IBAN lengths by country (ISO 13616 registry); other countries: any length from 15 to 34.
IBAN_LENGTHS = {
    country: int(length)
    for country, length in re.findall(
        r"([A-Z]{2})(\d+)",
        """AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24
    DE22 DK18 DO28 EE20 EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22
    IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19
    MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19
    SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20""",
    )
}


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not compact.isascii() or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if len(compact) != expected if expected else not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _ssn_valid(candidate: str) -> bool:
    area, group, serial = re.split(r"[- ]", candidate)
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _ip_valid(candidate: str) -> bool:
    if not any(c.isdigit() for c in candidate):  # "a::b" is an address, but rarely meant as one
        return False
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def _digit_count(low: int, high: int) -> Callable[[str], bool]:
    return lambda candidate: low <= len(_digits(candidate)) <= high


@dataclass(frozen=True)
class Rule:
    """A pattern finds candidates; ``valid`` confirms them. A pattern may take in too
    much (a card number followed by its CVV): ``shrink`` then tries shorter spans cut at
    separators, ``prefix`` ones (keeping the start) or any ``window``."""

    label: str
    pattern: re.Pattern[str]
    valid: Callable[[str], bool]
    shrink: str = "none"

    def mask(self, text: str) -> str:
        if self.valid(text):
            return f"[{self.label}]"
        if self.shrink == "none":
            return text
        chunks = [(m.start(), m.end()) for m in _CHUNK.finditer(text)]
        chunks[0] = (0, chunks[0][1])  # a prefix keeps its leading "+" or "("
        firsts = [0] if self.shrink == "prefix" else range(len(chunks))
        spans = [
            (chunks[first][0], chunks[last][1])
            for first in firsts
            for last in range(first, min(first + MAX_CHUNKS, len(chunks)))
        ]
        spans.sort(key=lambda span: (span[0] - span[1], span[0]))  # longest, then leftmost
        for begin, end in spans:
            if self.valid(text[begin:end]):
                after = text[end:]
                if self.shrink == "window":
                    after = self.apply(after)
                return f"{text[:begin]}[{self.label}]{after}"
        return text

    def apply(self, text: str) -> str:
        return self.pattern.sub(lambda m: self.mask(m[0]), text)


RULES = [
    Rule("EMAIL", _EMAIL, lambda _: True),
    Rule("IBAN", _IBAN, iban_valid, "prefix"),
    Rule("PHONE", _PHONE_INTERNATIONAL, _digit_count(8, 15), "prefix"),
    Rule("CARD", _CARD, luhn_valid, "window"),
    Rule("SSN", _SSN, _ssn_valid),
    Rule("IP", _IPV6, _ip_valid),
    Rule("IP", _IPV4, _ip_valid),
    Rule("PHONE", _PHONE_NANP, lambda _: True),
    Rule("PHONE", _PHONE_TRUNK, _digit_count(9, 12), "prefix"),
]


def redact_text(text: str) -> str:
    """``text`` with every PII match replaced by its placeholder."""
    for rule in RULES:
        text = rule.apply(text)
    return text


def redact_entry(entry: Entry) -> Entry:
    """A copy of ``entry`` with PII masked in its text, tool arguments and tool output."""
    return replace(
        entry,
        text=redact_text(entry.text),
        arguments=redact_text(entry.arguments),
        output=redact_text(entry.output),
    )


def redact_room(room: str) -> str:
    """A room name with PII masked. SIP rooms join the caller's number with ``_``
    (``_+14155550123_AbCdEf``), which hides it from the patterns: each part is masked."""
    return "_".join(redact_text(part) for part in room.split("_"))


def redact_session(info: SessionInfo) -> SessionInfo:
    """A copy of the header with PII masked in the room name."""
    return replace(info, room=redact_room(info.room))


def redact_transcript(transcript: Transcript) -> Transcript:
    entries = [redact_entry(e) for e in transcript.entries]
    return Transcript(redact_session(transcript.session), entries)
