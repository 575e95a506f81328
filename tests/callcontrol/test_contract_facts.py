"""callcontrol.contract: the Voice API's facts in one place."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcontrol import _checks, contract
from callcontrol.emulator import validate
from callcontrol.engine import core


def test_e164_takes_ascii_digits_only():
    # bandwidth.yml: ^\+[1-9]\d{1,14}$, a JSON Schema (ECMA) \d: 0-9 only.
    assert contract.is_phone_number("+15551230000")
    assert not contract.is_phone_number("+1555١٢٣٠٠٠٠")  # Arabic-Indic digits
    assert not contract.is_phone_number("+05551230000")
    assert not contract.is_phone_number("+1" + "2" * 15)
    assert not contract.is_phone_number(15551230000)


def test_sip_uris_take_both_schemes():
    assert contract.is_sip_uri("sip:alice@example.com")
    assert contract.is_sip_uri("sips:alice@example.com;transport=tls")
    assert not contract.is_sip_uri("tel:+15551230000")
    assert not contract.is_sip_uri("sip:alice@")


def test_everyone_uses_the_one_pattern():
    assert _checks.E164 is contract.E164 and _checks.SIP_URI is contract.SIP_URI
    assert validate.E164 is contract.E164 and validate.SIP is contract.SIP_URI
    assert core.Engine().api_base == contract.VOICE_API_BASE


def test_call_url():
    assert (
        contract.call_url("http://127.0.0.1:8/api/v2/", "99", "c-1")
        == "http://127.0.0.1:8/api/v2/accounts/99/calls/c-1"
    )


_TEXT = st.characters(codec="utf-8")  # lone surrogates: see the next test


@given(st.text(st.characters(blacklist_characters=":", codec="utf-8")), st.text(_TEXT))
def test_basic_credentials_round_trip(username: str, password: str):
    header = contract.basic_authorization(username, password)
    assert header.startswith("Basic ")
    assert contract.parse_basic_authorization(header) == (username, password)
    assert contract.parse_basic_authorization("basic " + header[6:]) == (username, password)


@pytest.mark.parametrize(
    ("username", "password", "which", "at"),
    [
        ("a\ud800b", "pw", "username", 1),
        ("user", "pw\udfff", "password", 2),
        ("\ud800", "", "username", 0),
    ],
)
def test_credentials_utf8_cannot_carry_are_refused_by_name_not_value(username, password, which, at):
    with pytest.raises(ValueError) as caught:
        contract.basic_authorization(username, password)
    message = str(caught.value)
    assert f"the Basic {which} holds a lone surrogate code point at index {at};" in message
    assert "pw" not in message


def test_bad_basic_headers_are_none():
    for header in (None, "", "Bearer abc", "Basic !!!", "Basic //4="):
        assert contract.parse_basic_authorization(header) is None
