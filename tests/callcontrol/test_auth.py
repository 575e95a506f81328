"""Authentication objects: secrets stay hidden, tokens are renewed early and never used late."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcontrol import CallsClient
from callcontrol._auth import (
    RENEW_MARGIN,
    BasicAuth,
    ClientCredentialsAuth,
    Token,
    basic_header,
    check_credential,
    renewal_time,
)
from callcontrol.exceptions import InvalidRequestError

from .calls_helpers import ACCOUNT_ID

_secret = (
    st.text(min_size=1, max_size=30)
    .map(lambda s: f"Zq{s}")
    .filter(lambda s: not any("\ud800" <= ch <= "\udfff" for ch in s))
)
_user = _secret.filter(lambda s: ":" not in s)


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@settings(max_examples=40, deadline=None)
@given(_user, _secret)
def test_no_repr_shows_a_credential(user: str, secret: str) -> None:
    encoded = basic_header(user, secret).split()[1]
    basic = CallsClient(ACCOUNT_ID, username=user, password=secret)
    oauth = CallsClient(ACCOUNT_ID, client_id=user, client_secret=secret)
    shown = " ".join(
        [repr(basic), repr(oauth), str(basic), repr(basic._auth), repr(oauth._auth)]
        + [repr(BasicAuth(user, secret))]
    )
    assert secret not in shown and user not in shown and encoded not in shown
    assert repr(basic._auth) == "BasicAuth(***)"
    assert repr(oauth._auth) == "ClientCredentialsAuth(***)"


def test_the_basic_header_is_utf8_base64_of_the_pair() -> None:
    assert basic_header("jürgen", "pä:ss") == "Basic " + base64.b64encode(
        "jürgen:pä:ss".encode()
    ).decode("ascii")


def test_renewal_is_a_minute_early_for_long_lived_tokens() -> None:
    assert RENEW_MARGIN == 60.0
    assert renewal_time(1000.0, 3600.0) == 1000.0 + 3600.0 - 60.0
    assert renewal_time(1000.0, 40.0) == 1020.0  # short-lived: at half its life


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=100_000),
    st.lists(st.floats(min_value=0, max_value=5000, allow_nan=False), max_size=30),
)
def test_an_expired_or_nearly_expired_token_is_never_used(
    expires_in: int, advances: list[float]
) -> None:
    clock = FakeClock()
    expiry: dict[str, float] = {}  # token -> when the server stops accepting it

    def fetch(now: float) -> Token:
        value = f"t{len(expiry)}"
        expiry[value] = now + expires_in
        return Token(value, renewal_time(now, expires_in))

    auth = ClientCredentialsAuth(fetch, clock)
    margin = min(RENEW_MARGIN, expires_in / 2)
    previous = None
    for step in [0.0, *advances]:
        clock.now += step
        token = auth.token()
        left = expiry[token] - clock.now
        assert left > margin  # renewed `margin` seconds early, so never sent expired
        if previous is not None and token != previous:
            assert expiry[previous] - clock.now <= margin  # no renewal while still good
        previous = token


def test_basic_auth_gives_its_header_to_the_async_client() -> None:
    assert BasicAuth("user", "pass").header() == basic_header("user", "pass")


def test_a_colon_is_refused_in_a_user_name_but_allowed_in_a_secret() -> None:
    with pytest.raises(
        InvalidRequestError, match=r"^Calls\.username = 'a:b': must not contain ':'"
    ):
        check_credential("Calls", "username", "a:b", secret=False, user=True)
    check_credential("Calls", "password", "a:b", secret=True, user=False)
    check_credential("Calls", "client_secret", "x:y:z", secret=True, user=False)


def test_a_token_cannot_be_changed_once_fetched() -> None:
    token = Token("t1", 100.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.expires_at = 1e12  # type: ignore[misc]


def test_invalidating_before_any_fetch_does_nothing() -> None:
    fetched: list[float] = []

    def fetch(now: float) -> Token:
        fetched.append(now)
        return Token("t1", now + 100)

    auth = ClientCredentialsAuth(fetch, FakeClock())
    auth.invalidate("t0")
    assert fetched == []
    assert auth.token() == "t1"
    auth.invalidate("t0")  # not the cached one: kept
    assert auth.token() == "t1" and fetched == [500.0]
    auth.invalidate("t1")
    assert auth.token() == "t1" and fetched == [500.0, 500.0]
