"""Redactor: the client's secrets and credential-shaped text never survive redaction."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from callcontrol._redact import MASK, Redactor

USER = "api-user"
SECRET = "pa55-w0rd-s3cr3t"
PAIR_B64 = base64.b64encode(f"{USER}:{SECRET}".encode()).decode()


def _redactor() -> Redactor:
    redactor = Redactor()
    redactor.add_basic(USER, SECRET)
    return redactor


def _shown(text: str) -> str:
    """The redacted text with each mask blanked out, so a secret cannot hide inside one."""
    return text.replace(MASK, "\x00")


class TestKnownSecrets:
    def test_every_form_of_the_basic_pair(self) -> None:
        redact = _redactor()
        forms = [
            SECRET,
            f"{USER}:{SECRET}",
            PAIR_B64,
            f"Authorization: Basic {PAIR_B64}",
            json.dumps({"password": SECRET}),
            f"client_id={USER}&client_secret={quote_plus(SECRET)}",
        ]
        for form in forms:
            out = redact(f"the server said: {form} (end)")
            assert SECRET not in out and PAIR_B64 not in out and f"{USER}:" not in out, out
            assert out.startswith("the server said: ") and out.endswith(" (end)")

    def test_encoded_forms_of_an_awkward_secret(self) -> None:
        secret = 'pä"ss wörd/&=\\x'
        redact = Redactor()
        redact.add_basic("u", secret)
        for form in (
            secret,
            json.dumps(secret),
            json.dumps(secret, ensure_ascii=False),
            quote(secret, safe=""),
            quote_plus(secret),
        ):
            assert MASK in redact(form), form
            assert secret not in redact(form)

    def test_bearer_tokens_are_remembered(self) -> None:
        redact = Redactor()
        redact.add_token("tok-1")
        assert redact("rejected tok-1 for you") == f"rejected {MASK} for you"

    def test_short_secrets_are_not_masked_on_their_own(self) -> None:
        redact = Redactor()
        redact.add_basic("u", "pw")
        redact.add_token("a")
        assert redact("a call") == "a call"
        assert redact("upward") == "upward"
        assert base64.b64encode(b"u:pw").decode() not in redact(
            "Basic " + base64.b64encode(b"u:pw").decode()
        )

    def test_text_without_secrets_is_unchanged(self) -> None:
        text = "Call [c-1] not found; Basic authentication failed; use a Bearer token"
        assert _redactor()(text) == text


class TestCredentialShapes:
    """Credentials the client does not know (another user's, a new token) are masked too."""

    def test_a_basic_header_value(self) -> None:
        other = base64.b64encode(b"someone:else").decode()
        assert _redactor()(f"got Basic {other}") == f"got Basic {MASK}"

    def test_a_long_bearer_token(self) -> None:
        token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature-x"
        assert _redactor()(f"Authorization: Bearer {token}") == f"Authorization: Bearer {MASK}"

    def test_named_values_in_json_and_forms(self) -> None:
        redact = Redactor()
        assert (
            redact('{"access_token": "abc123", "x": 1}') == f'{{"access_token": "{MASK}", "x": 1}}'
        )
        assert redact("grant_type=x&client_secret=zz%2Fy&b=1") == (
            f"grant_type=x&client_secret={MASK}&b=1"
        )


_password = st.text(min_size=4, max_size=40).filter(lambda s: not {"[", "]"} & set(s))
_user = st.text(min_size=1, max_size=20).filter(lambda s: ":" not in s)


@settings(max_examples=60, deadline=None)
@given(_user, _password, st.text(max_size=30), st.text(max_size=30), st.integers(0, 4))
def test_no_form_of_the_credential_survives(
    user: str, password: str, before: str, after: str, form: int
) -> None:
    assume(not any("\ud800" <= ch <= "\udfff" for ch in user + password))
    pair = f"{user}:{password}"
    encoded = base64.b64encode(pair.encode()).decode()
    shown = [password, pair, f"Basic {encoded}", json.dumps(password), quote_plus(password)][form]
    redact = Redactor()
    redact.add_basic(user, password)
    out = _shown(redact(f"{before}{shown}{after}"))
    assume(password not in before + after and encoded not in before + after)
    assert password not in out
    assert encoded not in out
