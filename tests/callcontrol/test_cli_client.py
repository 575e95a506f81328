"""The client a ``callcontrol calls`` command uses: settings from flags and ``BW_*`` variables."""

from __future__ import annotations

import argparse

import pytest

from callcontrol.cli import UsageError
from callcontrol.cli._client import DEFAULT_RETRIES, SETTINGS, make_client, settings

ENV = {
    "BW_ACCOUNT_ID": "acc-env",
    "BW_USERNAME": "user-env",
    "BW_PASSWORD": "pass-env",
    "BW_VOICE_BASE_URL": "http://127.0.0.1:1/api/v2",
}


def test_each_setting_has_its_flag_and_variable() -> None:
    assert SETTINGS == (
        ("account_id", "--account-id", "BW_ACCOUNT_ID"),
        ("username", "--username", "BW_USERNAME"),
        ("password", "--password", "BW_PASSWORD"),
        ("client_id", "--client-id", "BW_CLIENT_ID"),
        ("client_secret", "--client-secret", "BW_CLIENT_SECRET"),
        ("base_url", "--base-url", "BW_VOICE_BASE_URL"),
    )
    assert DEFAULT_RETRIES == 3


def test_the_environment_alone() -> None:
    env = {**ENV, "BW_CLIENT_ID": "", "BW_CLIENT_SECRET": ""}  # empty variables are unset
    assert settings(argparse.Namespace(), env) == {
        "account_id": "acc-env",
        "username": "user-env",
        "password": "pass-env",
        "base_url": "http://127.0.0.1:1/api/v2",
    }


def test_a_flag_wins_over_its_variable() -> None:
    args = argparse.Namespace(account_id="acc-flag", base_url="http://flag.test")
    assert settings(args, ENV) == {
        "account_id": "acc-flag",
        "username": "user-env",
        "password": "pass-env",
        "base_url": "http://flag.test",
    }


@pytest.mark.parametrize(
    "flags",
    [
        {"client_id": "id-flag", "client_secret": "secret-flag"},
        {"username": "user-flag", "password": "pass-flag"},
        {"password": "pass-flag"},
    ],
)
def test_credential_flags_replace_every_credential_variable(flags) -> None:
    env = {**ENV, "BW_CLIENT_ID": "id-env", "BW_CLIENT_SECRET": "secret-env"}
    got = settings(argparse.Namespace(**flags), env)
    assert got == {"account_id": "acc-env", "base_url": ENV["BW_VOICE_BASE_URL"], **flags}


def test_oauth_credentials_from_the_environment() -> None:
    env = {"BW_ACCOUNT_ID": "a", "BW_CLIENT_ID": "id-env", "BW_CLIENT_SECRET": "secret-env"}
    assert settings(argparse.Namespace(), env) == {
        "account_id": "a",
        "client_id": "id-env",
        "client_secret": "secret-env",
    }


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({}, "no account: set BW_ACCOUNT_ID or pass --account-id"),
        (
            {"account_id": "1"},
            "no credentials: set BW_USERNAME and BW_PASSWORD (or BW_CLIENT_ID and "
            "BW_CLIENT_SECRET), or pass --username and --password",
        ),
        ({"account_id": "1", "client_id": "x"}, "--client-secret (BW_CLIENT_SECRET): is required"),
        ({"account_id": "1", "client_secret": "x"}, "--client-id (BW_CLIENT_ID): is required"),
        ({"account_id": "1", "username": "u"}, "--password (BW_PASSWORD): is required"),
        ({"account_id": "1", "password": "p"}, "--username (BW_USERNAME): is required"),
        (
            {"account_id": "1", "username": "u", "password": "p", "client_id": "i", "client_secret": "s"},
            "give either --username and --password, or --client-id and --client-secret "
            "(or their BW_* variables), not both",
        ),
        (
            {"account_id": "1", "username": "u", "password": "p", "base_url": "ftp://x"},
            "--base-url (BW_VOICE_BASE_URL) = 'ftp://x': must be an absolute http(s) URL such as "
            "'https://host/path'",
        ),
    ],
)  # fmt: skip
def test_missing_or_unusable_settings_name_the_flags(flags, message) -> None:
    with pytest.raises(UsageError) as caught:
        make_client(argparse.Namespace(**flags), {})
    assert str(caught.value) == message


def test_the_retries_flag_and_its_default(monkeypatch) -> None:
    import callcontrol.client

    made: list[dict[str, object]] = []

    def fake_client(account_id: str, **kw: object) -> dict[str, object]:
        made.append(kw)
        return kw

    monkeypatch.setattr(callcontrol.client, "CallsClient", fake_client)
    make_client(argparse.Namespace(account_id="1", username="u", password="p"), {})
    make_client(argparse.Namespace(account_id="1", username="u", password="p", retries=0), {})
    assert [kw["retry"].max_retries for kw in made] == [DEFAULT_RETRIES, 0]  # type: ignore[attr-defined]
    assert made[0]["username"] == "u" and made[0]["password"] == "p"
