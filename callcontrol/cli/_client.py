"""The CallsClient a command uses, from flags and ``BW_*`` environment variables."""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import UsageError

if TYPE_CHECKING:
    from ..client import CallsClient

#: (argument name, flag, environment variable) of each connection setting.
SETTINGS = (
    ("account_id", "--account-id", "BW_ACCOUNT_ID"),
    ("username", "--username", "BW_USERNAME"),
    ("password", "--password", "BW_PASSWORD"),
    ("client_id", "--client-id", "BW_CLIENT_ID"),
    ("client_secret", "--client-secret", "BW_CLIENT_SECRET"),
    ("base_url", "--base-url", "BW_VOICE_BASE_URL"),
)
_CREDENTIALS = ("username", "password", "client_id", "client_secret")
DEFAULT_RETRIES = 3


def sleep(seconds: float) -> None:
    """Wait before a retry (replaced in tests)."""
    time.sleep(seconds)


def settings(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, str]:
    """The connection settings: each flag wins over its variable.

    Credentials come either all from flags or all from the environment, so a flag never
    pairs with a leftover variable of the other kind of credentials.
    """
    flags = {name: getattr(args, name) for name, _, _ in SETTINGS if hasattr(args, name)}
    env = {name: environ[var] for name, _, var in SETTINGS if environ.get(var)}
    if flags.keys() & set(_CREDENTIALS):
        env = {name: value for name, value in env.items() if name not in _CREDENTIALS}
    return {**env, **flags}


def make_client(args: argparse.Namespace, environ: Mapping[str, str]) -> CallsClient:
    """A client for the command's settings; a missing or bad setting is a :class:`UsageError`."""
    from ..client import CallsClient
    from ..exceptions import InvalidRequestError
    from ..retry import RetryPolicy

    values: dict[str, Any] = settings(args, environ)
    account_id = values.pop("account_id", None)
    if not account_id:
        raise UsageError("no account: set BW_ACCOUNT_ID or pass --account-id")
    if not values.keys() & set(_CREDENTIALS):
        raise UsageError(
            "no credentials: set BW_USERNAME and BW_PASSWORD (or BW_CLIENT_ID and "
            "BW_CLIENT_SECRET), or pass --username and --password"
        )
    retries = getattr(args, "retries", DEFAULT_RETRIES)
    retry = RetryPolicy(max_retries=retries, sleep=lambda seconds: sleep(seconds))
    try:
        return CallsClient(account_id, retry=retry, **values)
    except InvalidRequestError as exc:
        raise UsageError(_flag_names(str(exc))) from None


def _flag_names(message: str) -> str:
    """The client's message, naming the flags and variables the settings come from."""
    for name, flag, var in SETTINGS:
        message = message.replace(f"CallsClient.{name}", f"{flag} ({var})")
    return message.replace(
        "give either username and password, or client_id and client_secret",
        "give either --username and --password, or --client-id and --client-secret "
        "(or their BW_* variables)",
    )
