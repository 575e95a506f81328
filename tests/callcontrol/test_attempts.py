"""The retry decisions both clients share (callcontrol._attempts), as properties over any
sequence of attempt outcomes: a request that must not be sent twice never is, once an attempt
may have reached the server; retries stop at the policy's limit; the deadline is kept."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcontrol import ApiError, DeadlineExceededError, RetryPolicy, TransportError
from callcontrol._attempts import DONE, RENEW, Attempts, Deadline
from callcontrol._reply import Headers, Reply
from callcontrol.retry import Failure

URL = "https://voice.example/api/accounts/1/calls/c-1/bxml"

#: An attempt's outcome: a failure without a response, or a status (with Retry-After).
outcomes = st.one_of(
    st.sampled_from(list(Failure)),
    st.sampled_from([200, 204, 400, 401, 404, 409, 429, 500, 502, 503, 504]),
)


def reply(status: int, bearer: bool) -> Reply:
    headers = Headers([("Retry-After", "1")] if status in (429, 503) else [])
    auth = "Bearer tok-1" if bearer else "Basic x"
    return Reply("PUT", URL, URL, status, headers, b"", auth)


def run(
    method: str, idempotent: bool | None, script: list[Any], bearer: bool, max_retries: int
) -> tuple[list[Any], BaseException | None]:
    """Play ``script`` until the loop stops; the outcomes used, and what was raised."""
    now = [0.0]
    policy = RetryPolicy(max_retries=max_retries, sleep=lambda s: None, random=lambda: 0.5)
    attempts = Attempts(method, URL, policy, Deadline(None, lambda: now[0]), idempotent=idempotent)
    used: list[Any] = []
    renewed: list[str] = []
    for outcome in script:
        attempts.start()
        used.append(outcome)
        try:
            if isinstance(outcome, Failure):
                step: Any = attempts.failed(outcome, "boom")
                if isinstance(step, TransportError):
                    return used, step
                continue
            step = attempts.answered(reply(outcome, bearer), renewed.append)
        except ApiError as exc:
            return used, exc
        if step == DONE:
            return used, None
        assert step == RENEW or isinstance(step, float)
    return used, None


@given(
    st.sampled_from([("POST", None), ("PUT", False)]),
    st.lists(outcomes, min_size=1, max_size=12),
    st.booleans(),
    st.integers(0, 5),
)
def test_a_once_only_request_is_never_sent_after_it_may_have_arrived(
    request: tuple[str, bool | None], script: list[Any], bearer: bool, max_retries: int
) -> None:
    method, idempotent = request
    used, raised = run(method, idempotent, script, bearer, max_retries)
    for index, outcome in enumerate(used[:-1]):
        # What may be followed by another attempt: a failure before sending, a 429 (refused
        # unread), or a 401 to a bearer token (refused, renewed once).
        assert outcome is Failure.NOT_SENT or outcome in (429, 401), (index, used)
    if isinstance(raised, TransportError) and used[-1] is Failure.MAYBE_SENT:
        assert raised.maybe_sent and "taken effect" in str(raised)


@given(st.lists(outcomes, min_size=1, max_size=12), st.booleans(), st.integers(0, 5))
def test_retries_stop_at_the_limit(script: list[Any], bearer: bool, max_retries: int) -> None:
    used, _ = run("GET", None, script, bearer, max_retries)
    renewals = 1 if bearer and 401 in used else 0
    assert len(used) <= max_retries + 1 + renewals


def test_no_attempt_starts_after_the_deadline() -> None:
    now = [0.0]
    policy = RetryPolicy(sleep=lambda s: None)
    attempts = Attempts("GET", URL, policy, Deadline(1.0, lambda: now[0]))
    attempts.start()
    assert attempts.failed(Failure.MAYBE_SENT, "slow") == pytest.approx(0.5, abs=0.25)
    now[0] = 1.0
    with pytest.raises(DeadlineExceededError, match="may have reached the server") as info:
        attempts.start()
    assert info.value.maybe_sent is True
