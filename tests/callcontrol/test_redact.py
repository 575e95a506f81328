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


class TestLimits:
    """The documented lengths, at and around each limit."""

    def test_a_token_of_min_secret_length_is_remembered_one_shorter_is_not(self) -> None:
        from callcontrol._redact import MIN_SECRET_LENGTH

        assert MIN_SECRET_LENGTH == 4 and MASK == "[redacted]"  # as messages show it
        redact = Redactor()
        redact.add_token("abc")
        redact.add_token("wxyz")
        assert redact("abc wxyz") == f"abc {MASK}"

    def test_a_password_of_min_secret_length_is_masked_alone_one_shorter_only_in_pairs(
        self,
    ) -> None:
        redact = Redactor()
        redact.add_basic("u", "pqrs")
        redact.add_basic("v", "xyz")
        assert redact("pqrs xyz") == f"{MASK} xyz"
        assert redact("v:xyz") == MASK
        shortest = Redactor()
        shortest.add_basic("u", "pw")  # the pair is 4 characters: still masked
        assert shortest("(u:pw)") == f"({MASK})"

    def test_bearer_shaped_tokens_from_16_characters(self) -> None:
        redact = Redactor()
        assert redact("Bearer " + "a" * 15) == "Bearer " + "a" * 15
        assert redact("Bearer " + "a" * 16) == f"Bearer {MASK}"
        assert redact("bearer  " + "A1-._~+/" * 2 + "==") == f"bearer  {MASK}"

    def test_only_the_most_recent_tokens_are_kept(self) -> None:
        redact = Redactor()
        tokens = [f"token-{n}" for n in range(5)]
        for token in tokens:
            redact.add_token(token)
        assert redact(" ".join(tokens)) == " ".join(["token-0", *[MASK] * 4])

    def test_a_longer_secret_is_masked_whole_before_a_shorter_one_inside_it(self) -> None:
        redact = Redactor()
        redact.add_token("abcd")
        redact.add_token("abcdefgh")
        assert redact("xabcdefghx") == f"x{MASK}x"

    def test_basic_is_masked_only_when_it_decodes_to_a_pair(self) -> None:
        redact = Redactor()
        no_colon = base64.b64encode(b"justtext").decode()
        assert redact(f"Basic {no_colon}") == f"Basic {no_colon}"
        assert redact("Basic not*base64") == "Basic not*base64"
        assert redact("Basic abc") == "Basic abc"  # under 4 characters: not a credential
        pair = base64.b64encode(b"a:b").decode()
        assert redact(f"basic {pair}") == f"basic {MASK}"

    def test_named_values_with_quotes_and_spaces(self) -> None:
        redact = Redactor()
        assert redact("password = 'hunter2', x") == f"password = '{MASK}', x"
        assert redact('"refresh_token":"r1"') == f'"refresh_token":"{MASK}"'
        assert redact("passwd=p1;id_token=t2") == f"passwd={MASK};id_token={MASK}"
        assert redact("mypassword=p1") == "mypassword=p1"  # a word boundary is needed

    def test_empty_text_and_empty_secrets(self) -> None:
        redact = Redactor()
        assert redact("") == ""
        redact.add_basic("", "")
        assert redact("nothing: to hide") == "nothing: to hide"

    def test_every_encoding_of_the_password(self) -> None:
        secret = 'a "b\\c&d<é'  # a quote and a backslash: JSON escapes them
        redact = Redactor()
        redact.add_basic("u", secret)
        import html

        for form in (
            secret,
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
            quote(secret, safe=""),
            quote_plus(secret, safe=""),
            html.escape(secret),
            base64.b64encode(f"u:{secret}".encode()).decode(),
        ):
            assert redact(f"<{form}>") == f"<{MASK}>", form
