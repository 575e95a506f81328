"""CallsClient: construction, auth, wire format, the five operations, and lifecycle."""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Any
from urllib.parse import unquote

import pytest
import requests
import responses
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from responses import matchers

from callcontrol import (
    ApiError,
    CallControlError,
    CallsClient,
    CallState,
    ConflictError,
    CreateCall,
    CreateCallResponse,
    InvalidRequestError,
    NotFoundError,
    UnauthorizedError,
    UnexpectedResponseError,
    UpdateCall,
)
from callcontrol._version import __version__
from callcontrol.client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT

from .calls_helpers import (
    ACCOUNT_ID,
    CALL_ID,
    CALLS_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    CREATE_FIELDS,
    PASSWORD,
    TOKEN_URL,
    USERNAME,
    call_state_json,
    create_response_json,
    exception_texts,
    instant_retry,
    make_client,
)

CALL_URL = f"{CALLS_URL}/{CALL_ID}"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _body(call: Any) -> Any:
    return json.loads(call.request.body)


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def oauth_client(clock: Clock | None = None, **overrides: Any) -> CallsClient:
    settings: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "retry": instant_retry(),
        "clock": clock or Clock(),
    }
    settings.update(overrides)
    return CallsClient(ACCOUNT_ID, **settings)


def _token(value: str, expires_in: int = 3600) -> dict[str, Any]:
    return {"access_token": value, "token_type": "Bearer", "expires_in": expires_in}


class TestConstruction:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({}, "give either username and password"),
            ({"username": "u"}, "password"),
            ({"password": "p"}, "username"),
            ({"client_id": "c"}, "client_secret"),
            (
                {"username": "u", "password": "p", "client_id": "c", "client_secret": "s"},
                "not both",
            ),
            ({"username": "", "password": "p"}, "username"),
        ],
    )
    def test_credentials_must_be_one_complete_pair(
        self, kwargs: dict[str, Any], message: str
    ) -> None:
        with pytest.raises(InvalidRequestError, match=message):
            CallsClient(ACCOUNT_ID, **kwargs)

    @pytest.mark.parametrize(
        ("base_url", "message"),
        [
            ("voice.bandwidth.com/api/v2", "absolute http"),
            ("ftp://voice.bandwidth.com", "absolute http"),
            ("https://user:pw@voice.bandwidth.com/api/v2", "must not contain credentials"),
            ("https://voice.bandwidth.com/api/v2?x=1", "query"),
        ],
    )
    def test_base_url_is_checked(self, base_url: str, message: str) -> None:
        with pytest.raises(InvalidRequestError, match=message) as info:
            make_client(base_url=base_url)
        assert "pw@" not in str(info.value)

    @pytest.mark.parametrize("timeout", [0, -1, (1, 0), (1, 2, 3), float("inf"), None, "5"])
    def test_timeout_is_checked(self, timeout: Any) -> None:
        with pytest.raises(InvalidRequestError, match="timeout"):
            make_client(timeout=timeout)

    def test_account_id_is_required(self) -> None:
        with pytest.raises(InvalidRequestError, match="account_id"):
            CallsClient("", username="u", password="p")

    def test_defaults(self) -> None:
        client = make_client()
        assert client.base_url == DEFAULT_BASE_URL == "https://voice.bandwidth.com/api/v2"
        assert client.token_url == TOKEN_URL
        assert client._transport.timeout == DEFAULT_TIMEOUT
        assert repr(client) == (
            "CallsClient(account_id='9900000', base_url='https://voice.bandwidth.com/api/v2', "
            "auth='basic')"
        )

    def test_trailing_slash_and_account_quoting(self) -> None:
        client = make_client(base_url="https://h.example/api/v2/", username="u")
        assert client.base_url == "https://h.example/api/v2"
        odd = CallsClient("a/b", username="u", password="p")
        assert odd._calls_url.endswith("/accounts/a%2Fb/calls")


class TestFromEnv:
    ENV = {"BW_ACCOUNT_ID": "123", "BW_USERNAME": "u", "BW_PASSWORD": "p"}

    def test_basic(self) -> None:
        client = CallsClient.from_env(self.ENV)
        assert client.account_id == "123" and client._auth.kind == "basic"
        assert client.base_url == DEFAULT_BASE_URL

    def test_oauth_and_base_url(self) -> None:
        env = {
            "BW_ACCOUNT_ID": "123",
            "BW_CLIENT_ID": "c",
            "BW_CLIENT_SECRET": "s",
            "BW_VOICE_BASE_URL": "http://127.0.0.1:9999/api/v2",
        }
        client = CallsClient.from_env(env)
        assert client._auth.kind == "oauth2" and client.base_url == "http://127.0.0.1:9999/api/v2"

    def test_reads_os_environ(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for key, value in self.ENV.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("BW_CLIENT_ID", raising=False)
        monkeypatch.delenv("BW_CLIENT_SECRET", raising=False)
        monkeypatch.delenv("BW_VOICE_BASE_URL", raising=False)
        assert CallsClient.from_env().account_id == "123"

    def test_missing_account(self) -> None:
        with pytest.raises(InvalidRequestError, match="BW_ACCOUNT_ID"):
            CallsClient.from_env({"BW_USERNAME": "u", "BW_PASSWORD": "p"})

    def test_both_kinds_of_credentials(self) -> None:
        env = self.ENV | {"BW_CLIENT_ID": "c", "BW_CLIENT_SECRET": "s"}
        with pytest.raises(InvalidRequestError, match="not both"):
            CallsClient.from_env(env)

    def test_keyword_arguments_win(self) -> None:
        env = self.ENV | {"BW_CLIENT_ID": "c", "BW_CLIENT_SECRET": "s"}
        client = CallsClient.from_env(env, client_id="c2", client_secret="s2", timeout=3)
        assert client._auth.kind == "oauth2" and client._transport.timeout == (3.0, 3.0)

    def test_empty_variables_count_as_unset(self) -> None:
        with pytest.raises(InvalidRequestError, match="no credentials"):
            CallsClient.from_env({"BW_ACCOUNT_ID": "1", "BW_USERNAME": "", "BW_PASSWORD": ""})

    ALL_VARIABLES = (
        "BW_ACCOUNT_ID",
        "BW_USERNAME",
        "BW_PASSWORD",
        "BW_CLIENT_ID",
        "BW_CLIENT_SECRET",
    )

    @pytest.mark.parametrize(
        "env", [{}, {"BW_ACCOUNT_ID": "1"}, {"BW_USERNAME": "u", "BW_PASSWORD": "p"}]
    )
    def test_missing_settings_name_every_variable_read(self, env: dict[str, str]) -> None:
        with pytest.raises(InvalidRequestError) as info:
            CallsClient.from_env(env)
        for name in self.ALL_VARIABLES:
            assert name in str(info.value), name

    @pytest.mark.parametrize(
        ("env", "missing"),
        [
            ({"BW_USERNAME": "u"}, "BW_PASSWORD"),
            ({"BW_PASSWORD": "Secret-Value-1"}, "BW_USERNAME"),
            ({"BW_CLIENT_ID": "c"}, "BW_CLIENT_SECRET"),
            ({"BW_CLIENT_SECRET": "Secret-Value-1"}, "BW_CLIENT_ID"),
        ],
    )
    def test_half_a_pair_names_the_missing_variable(
        self, env: dict[str, str], missing: str
    ) -> None:
        with pytest.raises(InvalidRequestError, match=f"{missing} is not set") as info:
            CallsClient.from_env({"BW_ACCOUNT_ID": "1", **env})
        assert "Secret-Value-1" not in exception_texts(info.value)


class TestBasicAuth:
    @responses.activate
    def test_every_request_carries_basic_auth_and_the_user_agent(self) -> None:
        responses.get(CALL_URL, json=call_state_json())
        make_client().get_call_state(CALL_ID)
        headers = responses.calls[0].request.headers
        assert headers["Authorization"] == _basic(USERNAME, PASSWORD)
        assert headers["User-Agent"].startswith(f"bxml-callcontrol/{__version__} ")
        assert headers["Accept"] == "application/json"

    @responses.activate
    def test_non_ascii_credentials_are_utf8(self) -> None:
        responses.get(CALL_URL, json=call_state_json())
        make_client(username="jürgen", password="pässwörd").get_call_state(CALL_ID)
        assert responses.calls[0].request.headers["Authorization"] == _basic("jürgen", "pässwörd")

    @responses.activate
    def test_netrc_cannot_override_our_credentials(
        self, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        netrc = tmp_path / ".netrc"
        netrc.write_text("machine voice.bandwidth.com login other password elsewhere\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
        responses.get(CALL_URL, json=call_state_json())
        make_client().get_call_state(CALL_ID)
        assert responses.calls[0].request.headers["Authorization"] == _basic(USERNAME, PASSWORD)


class TestOAuth:
    """Client-credentials tokens: fetched once, cached, renewed before expiry."""

    @responses.activate
    def test_token_request_and_bearer_header(self) -> None:
        responses.post(TOKEN_URL, json=_token("tok-1"))
        responses.get(CALL_URL, json=call_state_json())
        oauth_client().get_call_state(CALL_ID)
        token_request = responses.calls[0].request
        assert token_request.headers["Authorization"] == _basic(CLIENT_ID, CLIENT_SECRET)
        assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert token_request.body == b"grant_type=client_credentials"
        assert responses.calls[1].request.headers["Authorization"] == "Bearer tok-1"

    @responses.activate(registry=responses.registries.OrderedRegistry)
    def test_token_is_cached_then_renewed_a_minute_before_expiry(self) -> None:
        clock = Clock()
        responses.post(TOKEN_URL, json=_token("tok-1", expires_in=600))
        for _ in range(2):
            responses.get(CALL_URL, json=call_state_json())
        responses.post(TOKEN_URL, json=_token("tok-2", expires_in=600))
        responses.get(CALL_URL, json=call_state_json())
        client = oauth_client(clock)
        client.get_call_state(CALL_ID)
        clock.now += 539  # 61 s left: still good
        client.get_call_state(CALL_ID)
        clock.now += 1  # 60 s left: renew
        client.get_call_state(CALL_ID)
        sent = [c.request.headers["Authorization"] for c in responses.calls]
        assert sent[1:3] == ["Bearer tok-1", "Bearer tok-1"] and sent[4] == "Bearer tok-2"
        assert [c.request.url for c in responses.calls].count(TOKEN_URL) == 2

    @responses.activate(registry=responses.registries.OrderedRegistry)
    def test_an_expired_token_is_never_sent(self) -> None:
        clock = Clock()
        responses.post(TOKEN_URL, json=_token("tok-1", expires_in=600))
        responses.get(CALL_URL, json=call_state_json())
        responses.post(TOKEN_URL, json=_token("tok-2", expires_in=600))
        responses.get(CALL_URL, json=call_state_json())
        client = oauth_client(clock)
        client.get_call_state(CALL_ID)
        clock.now += 10_000  # long past its expiry
        client.get_call_state(CALL_ID)
        sent = [c.request.headers["Authorization"] for c in responses.calls]
        assert sent[1] == "Bearer tok-1" and sent[3] == "Bearer tok-2"

    @responses.activate
    def test_short_lived_tokens_are_renewed_at_half_life(self) -> None:
        clock = Clock()
        responses.post(TOKEN_URL, json=_token("tok", expires_in=40))
        responses.get(CALL_URL, json=call_state_json())
        client = oauth_client(clock)
        client.get_call_state(CALL_ID)
        clock.now += 19
        client.get_call_state(CALL_ID)
        assert len([c for c in responses.calls if c.request.url == TOKEN_URL]) == 1

    @responses.activate
    def test_threads_share_one_token_fetch(self) -> None:
        responses.post(TOKEN_URL, json=_token("shared"))
        responses.get(CALL_URL, json=call_state_json())
        client = oauth_client()
        barrier = threading.Barrier(8)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                barrier.wait()
                client.get_call_state(CALL_ID)
            except BaseException as exc:  # surfaced by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert [c.request.url for c in responses.calls].count(TOKEN_URL) == 1
        assert len(responses.calls) == 9

    @responses.activate(registry=responses.registries.OrderedRegistry)
    def test_a_refused_token_is_replaced_once(self) -> None:
        responses.post(TOKEN_URL, json=_token("revoked"))
        responses.post(CALLS_URL, status=401, json={"type": "authentication-error"})
        responses.post(TOKEN_URL, json=_token("fresh"))
        responses.post(CALLS_URL, status=201, json=create_response_json())
        result = oauth_client().create_call(**CREATE_FIELDS)
        assert result.call_id == CALL_ID
        assert responses.calls[3].request.headers["Authorization"] == "Bearer fresh"

    @responses.activate(registry=responses.registries.OrderedRegistry)
    def test_a_token_replaced_by_another_thread_is_used_for_the_retry(self) -> None:
        from callcontrol._auth import Token

        client = oauth_client()

        def refused_while_another_thread_renews(request: Any) -> tuple[int, dict[str, str], str]:
            client._auth._token = Token("renewed-elsewhere", 1e9)  # type: ignore[union-attr]
            return 401, {}, json.dumps({"type": "authentication-error"})

        responses.post(TOKEN_URL, json=_token("old"))
        responses.add_callback(
            responses.GET, CALL_URL, callback=refused_while_another_thread_renews
        )
        responses.get(CALL_URL, json=call_state_json())
        assert client.get_call_state(CALL_ID).call_id == CALL_ID
        sent = [c.request.headers["Authorization"] for c in responses.calls]
        assert sent[1:] == ["Bearer old", "Bearer renewed-elsewhere"]

    @responses.activate(registry=responses.registries.OrderedRegistry)
    def test_a_second_401_is_raised(self) -> None:
        responses.post(TOKEN_URL, json=_token("a"))
        responses.get(CALL_URL, status=401, json={"type": "authentication-error"})
        responses.post(TOKEN_URL, json=_token("b"))
        responses.get(CALL_URL, status=401, json={"type": "authentication-error"})
        with pytest.raises(UnauthorizedError):
            oauth_client().get_call_state(CALL_ID)
        assert len(responses.calls) == 4

    @responses.activate
    def test_bad_client_credentials(self) -> None:
        error = {"error": "invalid_client", "error_description": "Bad client credentials"}
        responses.post(TOKEN_URL, status=401, json=error)
        with pytest.raises(UnauthorizedError) as info:
            oauth_client().get_call_state(CALL_ID)
        assert info.value.error_type == "invalid_client"
        assert info.value.url == TOKEN_URL
        assert CLIENT_SECRET not in str(info.value) and CLIENT_SECRET not in repr(info.value)

    @pytest.mark.parametrize(
        "body",
        [
            {"token_type": "Bearer", "expires_in": 10},
            {"access_token": "x"},
            {"access_token": "x", "expires_in": "9"},
        ],
    )
    @responses.activate
    def test_unusable_token_responses(self, body: dict[str, Any]) -> None:
        responses.post(TOKEN_URL, json=body)
        with pytest.raises(UnexpectedResponseError, match="token endpoint"):
            oauth_client().get_call_state(CALL_ID)

    @responses.activate
    def test_token_url_can_be_overridden(self) -> None:
        custom = "https://auth.example/token"
        responses.post(custom, json=_token("t"))
        responses.get(CALL_URL, json=call_state_json())
        oauth_client(token_url=custom).get_call_state(CALL_ID)
        assert responses.calls[0].request.url == custom


class TestCreateCall:
    @responses.activate
    def test_sends_json_and_reads_the_201(self) -> None:
        responses.post(
            CALLS_URL,
            status=201,
            json=create_response_json(),
            headers={"Location": f"{CALLS_URL}/{CALL_ID}"},
        )
        result = make_client().create_call(**CREATE_FIELDS, call_timeout=45, tag="vip")
        assert isinstance(result, CreateCallResponse) and result.call_id == CALL_ID
        request = responses.calls[0].request
        assert request.headers["Content-Type"] == "application/json; charset=utf-8"
        assert (
            _body(responses.calls[0])
            == CreateCall(**CREATE_FIELDS, call_timeout=45, tag="vip").to_dict()
        )

    @responses.activate
    def test_accepts_a_model(self) -> None:
        responses.post(CALLS_URL, status=201, json=create_response_json())
        call = CreateCall(**CREATE_FIELDS, display_name="Zoë")
        make_client().create_call(call)
        assert _body(responses.calls[0])["displayName"] == "Zoë"

    @responses.activate
    def test_bad_values_send_nothing(self) -> None:
        client = make_client()
        with pytest.raises(InvalidRequestError, match="call_timeout"):
            client.create_call(**CREATE_FIELDS, call_timeout=0)
        with pytest.raises(InvalidRequestError, match="missing required field"):
            client.create_call(to="+15551234567")
        with pytest.raises(InvalidRequestError, match="not both"):
            client.create_call(CreateCall(**CREATE_FIELDS), tag="x")
        with pytest.raises(InvalidRequestError, match="expected a CreateCall"):
            client.create_call(UpdateCall(state="completed"))  # type: ignore[arg-type]
        assert len(responses.calls) == 0

    def test_unknown_keyword_suggests_the_field(self) -> None:
        with pytest.raises(TypeError, match="did you mean 'answer_url'"):
            make_client().create_call(**{**CREATE_FIELDS, "answerUrl": "https://a.example"})
        with pytest.raises(TypeError, match="did you mean 'call_timeout'"):
            make_client().create_call(**CREATE_FIELDS, call_timout=3)

    @responses.activate
    def test_response_that_is_not_an_object(self) -> None:
        responses.post(CALLS_URL, status=201, json=["odd"])
        with pytest.raises(UnexpectedResponseError, match="expected a JSON object"):
            make_client().create_call(**CREATE_FIELDS)


class TestOtherOperations:
    @responses.activate
    def test_get_call_state(self) -> None:
        responses.get(CALL_URL, json=call_state_json(state="answered"))
        state = make_client().get_call_state(CALL_ID)
        assert isinstance(state, CallState) and state.state == "answered"

    @responses.activate
    def test_call_ids_are_quoted_into_one_path_segment(self) -> None:
        responses.get(f"{CALLS_URL}/..%2Fother%3Fx", json=call_state_json())
        make_client().get_call_state("../other?x")
        assert responses.calls[0].request.url == f"{CALLS_URL}/..%2Fother%3Fx"

    @pytest.mark.parametrize("call_id", ["", None, 42])
    def test_call_id_is_checked(self, call_id: Any) -> None:
        with pytest.raises(InvalidRequestError, match="call_id"):
            make_client().get_call_state(call_id)

    @responses.activate
    def test_update_call(self) -> None:
        responses.post(CALL_URL, status=200, body="")
        make_client().update_call(CALL_ID, redirect_url="https://a.example/r", tag="t")
        assert _body(responses.calls[0]) == {"redirectUrl": "https://a.example/r", "tag": "t"}

    @responses.activate
    def test_redirect(self) -> None:
        responses.post(CALL_URL, status=200)
        make_client().redirect(
            CALL_ID, "https://a.example/r", method="GET", fallback_url="https://b.example/r"
        )
        assert _body(responses.calls[0]) == {
            "state": "active",
            "redirectUrl": "https://a.example/r",
            "redirectMethod": "GET",
            "redirectFallbackUrl": "https://b.example/r",
        }

    @responses.activate
    def test_hangup(self) -> None:
        responses.post(CALL_URL, status=200)
        make_client().hangup(CALL_ID)
        assert _body(responses.calls[0]) == {"state": "completed"}

    @responses.activate
    def test_update_call_conflict(self) -> None:
        body = {"type": "validation", "description": f"Call [{CALL_ID}] cannot be modified"}
        responses.post(CALL_URL, status=409, json=body)
        with pytest.raises(ConflictError, match="cannot be modified"):
            make_client().hangup(CALL_ID)

    @responses.activate
    def test_redirects_are_not_followed(self) -> None:
        responses.get(CALL_URL, status=302, headers={"Location": "https://elsewhere.example/"})
        with pytest.raises(UnexpectedResponseError, match="unexpected redirect 302"):
            make_client().get_call_state(CALL_ID)
        assert len(responses.calls) == 1


class TestTimeoutsAndSession:
    class RecordingSession(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            self.kwargs: list[dict[str, Any]] = []
            self.closed = False

        def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
            self.kwargs.append(kwargs)
            return super().request(method, url, *args, **kwargs)

        def close(self) -> None:
            self.closed = True
            super().close()

    @responses.activate
    def test_timeouts_reach_every_request(self) -> None:
        responses.get(CALL_URL, json=call_state_json())
        session = self.RecordingSession()
        make_client(session=session, timeout=(2, 9)).get_call_state(CALL_ID)
        assert session.kwargs[0]["timeout"] == (2.0, 9.0)
        assert session.kwargs[0]["allow_redirects"] is False

    @responses.activate
    def test_default_timeouts_are_bounded(self) -> None:
        responses.get(CALL_URL, json=call_state_json())
        session = self.RecordingSession()
        make_client(session=session).get_call_state(CALL_ID)
        connect, read = session.kwargs[0]["timeout"]
        assert 0 < connect <= 10 and 0 < read <= 60

    def test_a_given_session_is_not_closed(self) -> None:
        session = self.RecordingSession()
        with make_client(session=session):
            pass
        assert session.closed is False

    def test_own_session_is_closed_and_the_client_refuses_work(self) -> None:
        with make_client() as client:
            session = client._session
        with pytest.raises(CallControlError, match="closed"):
            client.get_call_state(CALL_ID)
        client.close()  # twice is fine
        assert session.adapters["https://"].poolmanager.pools._container == {}  # type: ignore[attr-defined]


class TestNotFound:
    @responses.activate
    def test_404(self) -> None:
        responses.get(CALL_URL, status=404, json={"type": "validation", "description": "gone"})
        with pytest.raises(NotFoundError):
            make_client().get_call_state(CALL_ID)

    @responses.activate
    def test_200_that_is_not_json(self) -> None:
        responses.get(CALL_URL, body="OK", content_type="text/plain")
        with pytest.raises(UnexpectedResponseError, match="not JSON: 'OK'"):
            make_client().get_call_state(CALL_ID)


def test_requests_go_to_the_content_type_each_operation_needs() -> None:
    with responses.RequestsMock() as mock:
        mock.post(
            CALL_URL,
            match=[matchers.header_matcher({"Content-Type": "application/json; charset=utf-8"})],
        )
        make_client().hangup(CALL_ID)


class TestUpdateCallBxml:
    """PUT .../bxml: a <Bxml> document, checked before it is sent."""

    @responses.activate
    def test_sends_a_document(self) -> None:
        from bxml import Bxml, Hangup, SpeakSentence

        responses.put(f"{CALL_URL}/bxml", status=204)
        doc = Bxml(SpeakSentence("Goodbye"), Hangup())
        make_client().update_call_bxml(CALL_ID, doc)
        request = responses.calls[0].request
        assert request.headers["Content-Type"] == "application/xml; charset=utf-8"
        assert request.body == doc.to_bytes()

    @responses.activate
    def test_sends_a_string_exactly_as_given(self) -> None:
        responses.put(f"{CALL_URL}/bxml", status=204)
        text = '<?xml version="1.0" encoding="UTF-8"?>\n<Bxml>\n  <SpeakSentence>Grüße</SpeakSentence>\n</Bxml>'
        make_client().update_call_bxml(CALL_ID, text)
        assert responses.calls[0].request.body == text.encode("utf-8")

    @pytest.mark.parametrize(
        "doc",
        [
            "<Response><Hangup/></Response>",
            '<?xml version="1.0"?><Response><SpeakSentence>Hi</SpeakSentence></Response>',
        ],
    )
    @responses.activate
    def test_a_response_root_is_refused(self, doc: str) -> None:
        with pytest.raises(InvalidRequestError, match=r"<Bxml> root, not <Response>.*bxml\.Bxml"):
            make_client().update_call_bxml(CALL_ID, doc)
        assert len(responses.calls) == 0

    @responses.activate
    def test_a_response_object_is_refused(self) -> None:
        from bxml import Hangup, Response

        with pytest.raises(InvalidRequestError, match=r"<Bxml> root, not <Response>.*bxml\.Bxml"):
            make_client().update_call_bxml(CALL_ID, Response(Hangup()))  # type: ignore[arg-type]
        assert len(responses.calls) == 0

    @pytest.mark.parametrize(
        ("doc", "message"),
        [
            ("<Bxml><Hangup>", r"not well-formed XML.*\[BX001\]"),
            ("<Bxml><NoSuchVerb/></Bxml>", r"/Bxml/NoSuchVerb\[1\]"),
            ('<Bxml><Pause duration="x"/></Bxml>', r"/Bxml/Pause\[1\]/@duration"),
            ('<?xml version="1.0" encoding="ISO-8859-1"?><Bxml/>', "UTF-8"),
            ("<Bxml><SpeakSentence>" + "a" * 70000 + "</SpeakSentence></Bxml>", "65536"),
            (b"<Bxml/>", "not bytes"),
        ],
    )
    @responses.activate
    def test_bad_documents_send_nothing(self, doc: Any, message: str) -> None:
        with pytest.raises(InvalidRequestError, match=message):
            make_client().update_call_bxml(CALL_ID, doc)
        assert len(responses.calls) == 0

    @responses.activate
    def test_a_too_large_document_object(self) -> None:
        from bxml import Bxml, SpeakSentence

        doc = Bxml(*[SpeakSentence("word " * 200) for _ in range(70)])
        with pytest.raises(InvalidRequestError, match="64 KB"):
            make_client().update_call_bxml(CALL_ID, doc)
        assert len(responses.calls) == 0


class TestAgainstARealServer:
    """Every operation over real HTTP, against a fake Voice API on 127.0.0.1."""

    @pytest.fixture
    def api(self) -> Any:
        from .fake_voice_api import FakeVoiceApi, serve

        fake = FakeVoiceApi(ACCOUNT_ID, USERNAME, PASSWORD)
        with serve(fake) as base_url:
            fake.base_url = base_url  # type: ignore[attr-defined]
            yield fake

    def _client(self, api: Any, **overrides: Any) -> CallsClient:
        settings: dict[str, Any] = {
            "username": USERNAME,
            "password": PASSWORD,
            "base_url": api.base_url,
            "retry": instant_retry(),
        }
        settings.update(overrides)
        return CallsClient(ACCOUNT_ID, **settings)

    def test_create_get_list_update_hangup(self, api: Any) -> None:
        with self._client(api) as client:
            created = [
                client.create_call(**{**CREATE_FIELDS, "to": f"+1919555000{i}"}) for i in range(5)
            ]
            assert (
                created[0].call_url
                == f"{api.base_url}/accounts/{ACCOUNT_ID}/calls/{created[0].call_id}"
            )
            state = client.get_call_state(created[0].call_id)
            assert state.state == "answered" and state.to == "+19195550000"
            assert state.start_time is not None and state.start_time.tzinfo is not None

            listed = list(client.list_calls(page_size=2))
            assert [c.call_id for c in listed] == [c.call_id for c in created]
            assert [
                r.query for r in api.requests if r.method == "GET" and r.path.endswith("/calls")
            ][1:] != []

            only = list(client.list_calls(to="+19195550003", page_size=2))
            assert [c.call_id for c in only] == [created[3].call_id]

            client.redirect(created[1].call_id, "https://app.example/next", tag="step-2")
            assert api.redirects[created[1].call_id] == [
                {"state": "active", "redirectUrl": "https://app.example/next", "tag": "step-2"}
            ]
            client.hangup(created[1].call_id)
            assert client.get_call_state(created[1].call_id).state == "disconnected"
            with pytest.raises(ConflictError, match="cannot be modified"):
                client.hangup(created[1].call_id)

    def test_paging_by_hand(self, api: Any) -> None:
        for i in range(5):
            api.add_call(f"c-{i}", to="+15550000000")
        with self._client(api) as client:
            page = client.list_calls_page(page_size=3)
            assert len(page) == 3 and page.next_url is not None
            assert page.next_url.startswith(api.base_url)
            last = client.list_calls_page(next_url=page.next_url)
            assert [c.call_id for c in last] == ["c-3", "c-4"] and last.next_url is None

    def test_errors_from_the_server(self, api: Any) -> None:
        with self._client(api) as client:
            with pytest.raises(NotFoundError, match=r"Call \[nope\] not found"):
                client.get_call_state("nope")
        with self._client(api, password="wrong") as client:
            with pytest.raises(UnauthorizedError) as info:
                client.get_call_state("nope")
            assert "wrong" not in str(info.value)

    def test_oauth_against_the_server(self, api: Any) -> None:
        api.add_call("c-oauth")
        with self._client(
            api,
            username=None,
            password=None,
            client_id=api.client_id,
            client_secret=api.client_secret,
            token_url=f"{api.base_url}/oauth2/token",
        ) as client:
            assert client.get_call_state("c-oauth").call_id == "c-oauth"
            assert client.get_call_state("c-oauth").call_id == "c-oauth"
        assert [r.path for r in api.requests].count("/oauth2/token") == 1

    def test_threads_retry_with_a_token_another_thread_renewed(self, api: Any) -> None:
        api.add_call("c-shared")
        api.revoke_every = 90
        errors: list[BaseException] = []
        done: list[int] = []
        client = self._client(
            api,
            username=None,
            password=None,
            client_id=api.client_id,
            client_secret=api.client_secret,
            token_url=f"{api.base_url}/oauth2/token",
        )
        barrier = threading.Barrier(8)

        def work() -> None:
            barrier.wait()
            for _ in range(50):
                try:
                    client.get_call_state("c-shared")
                    done.append(1)
                except BaseException as exc:  # surfaced by the assertion below
                    errors.append(exc)

        with client:
            threads = [threading.Thread(target=work) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert [type(e).__name__ for e in errors] == [] and len(done) == 400
        fetches = [r.path for r in api.requests].count("/oauth2/token")
        assert fetches - 1 == 400 // 90  # one renewal per revocation, no more

    def test_concurrent_use_of_one_client(self, api: Any) -> None:
        for i in range(20):
            api.add_call(f"c-{i}")
        results: list[str] = []
        with self._client(api) as client:

            def work(i: int) -> None:
                results.append(client.get_call_state(f"c-{i}").call_id or "")

            threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert sorted(results) == sorted(f"c-{i}" for i in range(20))

    def test_update_call_bxml(self, api: Any) -> None:
        from bxml import Bxml, Hangup, SpeakSentence

        api.add_call("c-live")
        with self._client(api) as client:
            client.update_call_bxml("c-live", Bxml(SpeakSentence("Goodbye"), Hangup()))
            client.update_call_bxml("c-live", "<Bxml><Hangup/></Bxml>")
        assert "<SpeakSentence>Goodbye</SpeakSentence>" in api.bxml["c-live"][0]
        assert api.bxml["c-live"][1] == "<Bxml><Hangup/></Bxml>"


class TestPathSegments:
    """Ids become exactly one URL path segment; '.' and '..' would be dropped by URL handling."""

    @pytest.mark.parametrize("call_id", [".", ".."])
    @responses.activate
    def test_dot_call_ids_are_refused_before_sending(self, call_id: str) -> None:
        client = make_client()
        for operation in (
            lambda: client.update_call(call_id, state="completed"),
            lambda: client.get_call_state(call_id),
            lambda: client.hangup(call_id),
            lambda: client.update_call_bxml(call_id, "<Bxml><Hangup/></Bxml>"),
        ):
            with pytest.raises(InvalidRequestError, match="call_id") as info:
                operation()
            assert info.value.field == "call_id"
            assert "'.' or '..'" in str(info.value)
        assert len(responses.calls) == 0

    @pytest.mark.parametrize("account_id", [".", ".."])
    def test_dot_account_ids_are_refused(self, account_id: str) -> None:
        with pytest.raises(InvalidRequestError, match="account_id") as info:
            CallsClient(account_id, username=USERNAME, password=PASSWORD)
        assert info.value.field == "account_id"

    @pytest.mark.parametrize("call_id", ["...", ".a", "a.", "%2E%2E", "./x"])
    @responses.activate
    def test_other_dotted_ids_are_one_segment(self, call_id: str) -> None:
        responses.get(re.compile(rf"{re.escape(CALLS_URL)}/[^/]+"), json=call_state_json())
        make_client().get_call_state(call_id)
        sent = responses.calls[0].request.url
        assert sent is not None
        assert sent.rsplit("/", 1)[0] == CALLS_URL
        assert unquote(sent.rsplit("/", 1)[1]) == call_id

    @settings(max_examples=30, deadline=None)
    @given(st.text(min_size=1).filter(lambda s: s not in (".", "..")))
    def test_any_call_id_is_exactly_the_last_segment(self, call_id: str) -> None:
        assume(not any(0xD800 <= ord(ch) <= 0xDFFF for ch in call_id))
        with responses.RequestsMock() as mock:
            mock.get(re.compile(rf"{re.escape(CALLS_URL)}/[^/]+"), json=call_state_json())
            make_client().get_call_state(call_id)
            sent = mock.calls[0].request.url
        assert sent is not None
        assert sent.rsplit("/", 1)[0] == CALLS_URL
        assert unquote(sent.rsplit("/", 1)[1]) == call_id


class TestUnencodableCredentials:
    """A lone surrogate cannot be sent: it is refused up front, and no secret leaks."""

    SECRET_TAIL = "Zq9-unique-tail"

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"username": "u\ud800", "password": "p"}, "username"),
            ({"username": "u", "password": "p\ud800Zq9-unique-tail"}, "password"),
            ({"client_id": "c\udfff", "client_secret": "s"}, "client_id"),
            ({"client_id": "c", "client_secret": "\ud800Zq9-unique-tail"}, "client_secret"),
        ],
    )
    def test_credentials(self, kwargs: dict[str, Any], field: str) -> None:
        with pytest.raises(InvalidRequestError) as info:
            CallsClient(ACCOUNT_ID, **kwargs)
        assert info.value.field == field
        assert field in str(info.value) and "surrogate" in str(info.value)
        assert self.SECRET_TAIL not in exception_texts(info.value)
        assert not isinstance(info.value.__context__, UnicodeError)

    @pytest.mark.parametrize(
        "kwargs", [{"username": "a:b", "password": "p"}, {"client_id": "a:b", "client_secret": "s"}]
    )
    def test_a_colon_in_the_user_part_is_refused(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(InvalidRequestError, match="must not contain ':'"):
            CallsClient(ACCOUNT_ID, **kwargs)

    def test_account_id(self) -> None:
        with pytest.raises(InvalidRequestError, match="account_id") as info:
            CallsClient("99\ud800", username=USERNAME, password=PASSWORD)
        assert info.value.field == "account_id"

    @responses.activate
    def test_call_id(self) -> None:
        with pytest.raises(InvalidRequestError, match="call_id") as info:
            make_client().update_call("c-\ud800", state="completed")
        assert info.value.field == "call_id"
        assert len(responses.calls) == 0

    @pytest.mark.parametrize("name", ["to", "from_", "disconnect_cause"])
    @responses.activate
    def test_list_filters(self, name: str) -> None:
        with pytest.raises(InvalidRequestError, match=name) as info:
            filters: dict[str, Any] = {name: "x\ud800"}
            make_client().list_calls(**filters)
        assert info.value.field == name and len(responses.calls) == 0

    @responses.activate
    def test_next_url(self) -> None:
        with pytest.raises(InvalidRequestError, match="next_url"):
            make_client().list_calls_page(next_url=f"{CALLS_URL}?pageToken=\ud800")
        assert len(responses.calls) == 0

    @settings(max_examples=25, deadline=None)
    @given(st.text(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), st.text())
    def test_any_password_with_a_surrogate(self, head: str, lone: str, tail: str) -> None:
        password = f"{head}{lone}{tail}{self.SECRET_TAIL}"
        with pytest.raises(InvalidRequestError) as info:
            CallsClient(ACCOUNT_ID, username=USERNAME, password=password)
        assert info.value.field == "password" and info.value.value == "***"
        assert self.SECRET_TAIL not in exception_texts(info.value)

    @pytest.mark.parametrize(
        "token", ["tok\nZq9-unique-tail", "tök-Zq9-unique-tail", "a Zq9-unique-tail", ""]
    )
    @responses.activate
    def test_unusable_access_tokens_are_refused_without_showing_them(self, token: str) -> None:
        responses.post(TOKEN_URL, json=_token(token))
        with pytest.raises(UnexpectedResponseError, match="access_token") as info:
            oauth_client().get_call_state(CALL_ID)
        assert self.SECRET_TAIL not in exception_texts(info.value)
        assert len(responses.calls) == 1


def _echo_app(status: int, kind: str, token: str = "") -> Any:
    """A server that echoes the request's Authorization header and body into its answer."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode() if length else ""
        if token and environ["PATH_INFO"] == "/oauth2/token":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(_token(token)).encode()]
        auth = environ.get("HTTP_AUTHORIZATION", "")
        said = f"you sent Authorization: {auth} and body {body!r}"
        if kind == "json":
            payload = json.dumps({"type": "validation", "description": said, "id": auth})
        else:
            payload = said
        headers = [("Content-Type", f"application/{kind}"), ("X-Echo", auth)]
        start_response(f"{status} Echo", headers)
        return [payload.encode()]

    return app


class TestEchoedCredentials:
    """A server echoing the request's credentials never gets them into our exceptions."""

    PAIR = f"{USERNAME}:{PASSWORD}"
    PAIR_B64 = base64.b64encode(PAIR.encode()).decode()

    def _leaks(self, error: BaseException, *secrets: str) -> list[str]:
        texts = exception_texts(error)
        return [secret for secret in secrets if secret in texts]

    @pytest.mark.parametrize(("status", "kind"), [(400, "json"), (500, "json"), (401, "text")])
    def test_basic_credentials(self, status: int, kind: str) -> None:
        from .fake_voice_api import serve

        with serve(_echo_app(status, kind)) as url:
            client = make_client(base_url=url, retry=None)
            with pytest.raises(ApiError) as info:
                client.update_call(CALL_ID, redirect_url="https://a.example/r", tag="x")
        assert "you sent Authorization: Basic [redacted]" in str(info.value)
        assert self._leaks(info.value, PASSWORD, self.PAIR, self.PAIR_B64) == []
        assert info.value.headers.get("X-Echo") == "Basic [redacted]"

    def test_a_success_status_with_an_unreadable_body(self) -> None:
        from .fake_voice_api import serve

        with serve(_echo_app(200, "text")) as url:
            with pytest.raises(UnexpectedResponseError, match="not JSON") as info:
                make_client(base_url=url).get_call_state(CALL_ID)
        assert self._leaks(info.value, PASSWORD, self.PAIR, self.PAIR_B64) == []

    def test_client_secret_at_the_token_endpoint(self) -> None:
        from .fake_voice_api import serve

        pair_b64 = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        with serve(_echo_app(401, "json")) as url:
            client = oauth_client(base_url=url, token_url=f"{url}/oauth2/token")
            with pytest.raises(UnauthorizedError) as info:
                client.get_call_state(CALL_ID)
        assert self._leaks(info.value, CLIENT_SECRET, pair_b64) == []

    def test_bearer_token(self) -> None:
        from .fake_voice_api import serve

        token = "tok-3a9c1f27be5d4e08"
        with serve(_echo_app(400, "json", token=token)) as url:
            client = oauth_client(base_url=url, token_url=f"{url}/oauth2/token")
            with pytest.raises(ApiError) as info:
                client.hangup(CALL_ID)
        assert self._leaks(info.value, token, CLIENT_SECRET) == []
        assert f"Bearer {token}" not in repr(info.value.__dict__)
