"""The request and response models: JSON mapping, unknown fields, timestamps, checks, masking."""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcontrol import (
    CallState,
    CreateCall,
    CreateCallResponse,
    InvalidRequestError,
    MachineDetectionConfiguration,
    UnexpectedResponseError,
    UpdateCall,
)
from callcontrol._time import format_datetime, parse_datetime
from callcontrol._wire import camel_case as json_name
from callcontrol.events import GatherEvent

from .calls_helpers import CREATE_FIELDS, call_state_json, create_response_json

UTC = timezone.utc


def create(**overrides: Any) -> CreateCall:
    """A valid CreateCall with ``overrides`` applied."""
    return CreateCall(**{**CREATE_FIELDS, **overrides})


class TestJsonMapping:
    """snake_case fields, camelCase JSON, None omitted."""

    def test_json_names(self) -> None:
        assert json_name("from_") == "from"
        assert json_name("call_timeout") == "callTimeout"
        assert json_name("machine_speech_end_threshold") == "machineSpeechEndThreshold"
        assert json_name("to") == "to"

    def test_minimal_create_call(self) -> None:
        assert create().to_dict() == {
            "to": "+19195551234",
            "from": "+19195554321",
            "applicationId": "04e88489-df02-4e34-a0ee-27a91849555f",
            "answerUrl": "https://myServer.example/bandwidth/webhooks/answer",
        }

    def test_nested_machine_detection_and_numbers(self) -> None:
        amd = MachineDetectionConfiguration(mode="sync", detection_timeout=15, delay_result=False)
        data = create(machine_detection=amd, call_timeout=30.5, priority=1).to_dict()
        assert data["machineDetection"] == {
            "mode": "sync",
            "detectionTimeout": 15,
            "delayResult": False,
        }
        assert data["callTimeout"] == 30.5 and data["priority"] == 1

    def test_empty_tag_is_sent_because_it_clears_the_tag(self) -> None:
        assert UpdateCall(redirect_url="https://a.example/r", tag="").to_dict()["tag"] == ""

    def test_every_field_has_a_distinct_json_name(self) -> None:
        for model in (CreateCall, UpdateCall, MachineDetectionConfiguration, CallState):
            names = [json_name(f.name) for f in dataclasses.fields(model) if f.name != "extra"]
            assert len(names) == len(set(names))


class TestRoundTrips:
    """from_dict(to_dict(x)) == x, and the API's JSON survives a round trip."""

    def test_full_create_call(self) -> None:
        call = create(
            privacy=True,
            display_name="Private",
            answer_method="GET",
            username="user",
            password="pw",
            answer_fallback_url="https://fallback.example/answer",
            answer_fallback_method="POST",
            fallback_username="fu",
            fallback_password="fp",
            disconnect_url="https://myServer.example/disconnect",
            disconnect_method="GET",
            call_timeout=300,
            callback_timeout=1,
            machine_detection=MachineDetectionConfiguration(
                mode="async",
                detection_timeout=15,
                silence_timeout=10,
                speech_threshold=10,
                speech_end_threshold=5,
                machine_speech_end_threshold=5,
                delay_result=True,
                callback_url="https://myServer.example/amd",
                callback_method="POST",
                username="a",
                password="b",
                fallback_url="https://fallback.example/amd",
                fallback_method="GET",
                fallback_username="c",
                fallback_password="d",
            ),
            priority=5,
            tag="t" * 4096,
        )
        assert CreateCall.from_dict(call.to_dict()) == call

    def test_update_call(self) -> None:
        update = UpdateCall(
            state="active",
            redirect_url="https://a.example/r",
            redirect_method="GET",
            username="u",
            password="p",
            redirect_fallback_url="https://b.example/r",
            redirect_fallback_method="POST",
            fallback_username="fu",
            fallback_password="fp",
            tag="x",
        )
        assert UpdateCall.from_dict(update.to_dict()) == update
        assert UpdateCall.from_dict({"state": "completed"}) == UpdateCall(state="completed")

    def test_call_state_json_is_preserved(self) -> None:
        data = call_state_json(stirShaken={"verstat": "TN-Validation-Passed"}, parentCallId="c-a")
        state = CallState.from_dict(data)
        assert state.stir_shaken == {"verstat": "TN-Validation-Passed"}
        assert CallState.from_dict(state.to_dict()) == state
        expected = {k: v for k, v in data.items() if v is not None}
        assert {k: parse_or_keep(v) for k, v in state.to_dict().items()} == {
            k: parse_or_keep(v) for k, v in expected.items()
        }

    def test_create_call_response(self) -> None:
        response = CreateCallResponse.from_dict(create_response_json(password="*****"))
        assert response.call_id.startswith("c-") and response.from_ == "+19195554321"
        assert response.call_timeout == 30.0 and isinstance(response.call_timeout, float)
        assert response.enqueued_time == datetime(2022, 6, 16, 13, 15, 7, 160000, UTC)
        assert CreateCallResponse.from_dict(response.to_dict()) == response

    @given(
        to=st.from_regex(r"\A\+[1-9][0-9]{1,14}\Z"),
        call_timeout=st.none() | st.floats(1, 300) | st.integers(1, 300),
        callback_timeout=st.none() | st.floats(1, 25),
        priority=st.none() | st.integers(1, 5),
        tag=st.none() | st.text(max_size=50),
        method=st.none() | st.sampled_from(["GET", "POST"]),
        extra=st.dictionaries(st.sampled_from(["newThing", "x-y", "later"]), st.integers()),
    )
    def test_property_round_trip(
        self,
        to: str,
        call_timeout: float | None,
        callback_timeout: float | None,
        priority: int | None,
        tag: str | None,
        method: str | None,
        extra: dict[str, int],
    ) -> None:
        call = create(
            to=to,
            call_timeout=call_timeout,
            callback_timeout=callback_timeout,
            priority=priority,
            tag=tag,
            answer_method=method,
            extra=extra,
        )
        assert CreateCall.from_dict(call.to_dict()) == call


def parse_or_keep(value: Any) -> Any:
    """Compare timestamps by instant, whatever their spelling."""
    return (parse_datetime(value) or value) if isinstance(value, str) else value


class TestUnknownFields:
    """Nothing the API sends, or a user gives, is dropped."""

    def test_unknown_response_fields_are_kept_and_written_back(self) -> None:
        state = CallState.from_dict(call_state_json(brandNew={"a": 1}, another=None))
        assert state.extra == {"brandNew": {"a": 1}, "another": None}
        assert state.to_dict()["brandNew"] == {"a": 1}

    def test_unreadable_known_values_are_kept_as_given(self) -> None:
        state = CallState.from_dict(call_state_json(endTime="yesterday", direction=7))
        assert state.end_time is None and state.direction is None
        assert state.extra == {"endTime": "yesterday", "direction": 7}
        assert state.to_dict()["endTime"] == "yesterday"

    def test_empty_and_query_like_response_values_are_kept_not_converted(self) -> None:
        data = call_state_json(endTime="", stirShaken='{"verstat": "x"}')
        state = CallState.from_dict(data)
        assert state.end_time is None and state.stir_shaken is None
        assert state.extra == {"endTime": "", "stirShaken": '{"verstat": "x"}'}
        assert state.to_dict()["endTime"] == ""

    def test_request_extra_is_sent(self) -> None:
        call = create(extra={"futureOption": True})
        assert call.to_dict()["futureOption"] is True
        assert CreateCall.from_dict(call.to_dict()) == call

    def test_request_extra_may_not_shadow_a_field(self) -> None:
        with pytest.raises(InvalidRequestError, match="duplicates the field 'call_timeout'"):
            create(extra={"callTimeout": 9999})

    def test_request_from_dict_checks_values(self) -> None:
        data = create().to_dict() | {"callTimeout": "soon"}
        with pytest.raises(InvalidRequestError, match="call_timeout"):
            CreateCall.from_dict(data)

    def test_extra_must_be_a_mapping(self) -> None:
        with pytest.raises(InvalidRequestError, match="extra must be a mapping"):
            create(extra=["x"])


class TestTimestamps:
    """Timestamps are timezone-aware datetimes."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2022-06-16T13:15:07.160Z", datetime(2022, 6, 16, 13, 15, 7, 160000, UTC)),
            ("2022-06-16T13:15:07Z", datetime(2022, 6, 16, 13, 15, 7, tzinfo=UTC)),
            ("2022-06-16T13:15:07.1234567891Z", datetime(2022, 6, 16, 13, 15, 7, 123456, UTC)),
            ("2022-06-16T13:15:07.5", datetime(2022, 6, 16, 13, 15, 7, 500000, UTC)),
            (
                "2022-06-16T15:15:07+02:00",
                datetime(2022, 6, 16, 15, 15, 7, tzinfo=timezone(timedelta(hours=2))),
            ),
            ("2022-06-16T08:15:07-0500", datetime(2022, 6, 16, 13, 15, 7, tzinfo=UTC)),
            ("2022-06-16 13:15", datetime(2022, 6, 16, 13, 15, tzinfo=UTC)),
        ],
    )
    def test_parse(self, text: str, expected: datetime) -> None:
        parsed = parse_datetime(text)
        assert parsed == expected and parsed is not None and parsed.tzinfo is not None

    @pytest.mark.parametrize("text", ["", "2022-13-01T00:00:00Z", "yesterday", "2022-06-16"])
    def test_not_timestamps(self, text: str) -> None:
        assert parse_datetime(text) is None

    def test_format(self) -> None:
        assert format_datetime(datetime(2022, 6, 21, 19, 13, 21, tzinfo=UTC)) == (
            "2022-06-21T19:13:21Z"
        )
        local = datetime(2022, 6, 21, 21, 13, 21, 500000, timezone(timedelta(hours=2)))
        assert format_datetime(local) == "2022-06-21T19:13:21.500Z"
        assert format_datetime(datetime(2022, 6, 21, 19, 13, 21, 5)) == (
            "2022-06-21T19:13:21.000005Z"
        )

    @given(
        st.datetimes(
            min_value=datetime(1900, 1, 2),
            max_value=datetime(9999, 12, 30),
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]),
        )
    )
    def test_format_reads_back(self, moment: datetime) -> None:
        assert parse_datetime(format_datetime(moment)) == moment

    @given(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
            lambda moment: (
                moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
            )
        )
        | st.from_regex(
            r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z", fullmatch=True
        )
        | st.text(st.sampled_from("0123456789-T:.Zz +\u0663"), min_size=22, max_size=26)
    )
    def test_the_api_form_fast_path_reads_as_every_form_does(self, text: str) -> None:
        from callcontrol._time import _parse_any_datetime

        fast, reference = parse_datetime(text), _parse_any_datetime(text)
        assert fast == reference
        assert (fast is None) == (reference is None)
        if fast is not None and reference is not None:
            assert fast.tzinfo is reference.tzinfo and fast.utcoffset() == reference.utcoffset()

    def test_the_api_form_with_an_impossible_date_is_no_timestamp(self) -> None:
        assert parse_datetime("2022-02-30T10:00:00.000Z") is None
        assert parse_datetime("2022-06-16T24:00:00.000Z") is None
        assert parse_datetime("0000-06-16T10:00:00.000Z") is None

    def test_models_and_events_write_times_alike(self) -> None:
        moment = datetime(2022, 6, 16, 13, 15, 7, 160000, UTC)
        state = CallState(start_time=moment).to_dict()["startTime"]
        event = GatherEvent(event_time=moment).to_dict()["eventTime"]
        assert state == event == format_datetime(moment) == "2022-06-16T13:15:07.160Z"

    def test_a_response_keeps_the_api_spelling_of_milliseconds(self) -> None:
        data = call_state_json()
        written = CallState.from_dict(data).to_dict()
        for key in ("enqueuedTime", "startTime", "answerTime", "endTime", "lastUpdate"):
            assert written[key] == data[key]

    def test_call_state_times_are_aware(self) -> None:
        state = CallState.from_dict(call_state_json())
        for name in ("enqueued_time", "start_time", "answer_time", "end_time", "last_update"):
            value = getattr(state, name)
            assert isinstance(value, datetime) and value.utcoffset() == timedelta(0)


BAD_CREATE_VALUES = [
    ("to", "5551234567"),
    ("to", "+0123"),
    ("to", "+1234567890123456"),
    ("to", "sip:"),
    ("to", ""),
    ("to", 15551234567),
    ("from_", "sip:user@host.example"),
    ("from_", "Anonymous"),
    ("application_id", ""),
    ("answer_url", "ftp://host/answer"),
    ("answer_url", "/relative/answer"),
    ("answer_url", "https://host/" + "a" * 2048),
    ("answer_url", "https://host/with space"),
    ("answer_method", "PUT"),
    ("answer_method", "post"),
    ("disconnect_method", "DELETE"),
    ("answer_fallback_method", "x"),
    ("disconnect_url", "not a url"),
    ("username", "u" * 1025),
    ("call_timeout", 0.5),
    ("call_timeout", 301),
    ("call_timeout", "30"),
    ("call_timeout", True),
    ("call_timeout", float("nan")),
    ("callback_timeout", 26),
    ("callback_timeout", 0),
    ("priority", 0),
    ("priority", 6),
    ("priority", 2.0),
    ("tag", "t" * 4097),
    ("display_name", "n" * 257),
    ("display_name", "two\nlines"),
    ("privacy", "yes"),
    ("machine_detection", {"mode": "sync"}),
]


class TestCreateCallChecks:
    """Every bad value is refused with the field, the value and what is allowed."""

    @pytest.mark.parametrize(("name", "value"), BAD_CREATE_VALUES)
    def test_bad_values(self, name: str, value: Any) -> None:
        with pytest.raises(InvalidRequestError) as info:
            create(**{name: value})
        assert info.value.field == name
        assert str(info.value).startswith(f"CreateCall.{name}")
        assert isinstance(info.value, ValueError)

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("to", "sip:user@server.example"),
            ("to", "sips:alice@10.0.0.1:5061;transport=tls"),
            ("to", "+12"),
            ("to", "+123456789012345"),
            ("call_timeout", 1),
            ("call_timeout", 300),
            ("callback_timeout", 25),
            ("callback_timeout", 2.5),
            ("priority", 1),
            ("tag", ""),
            ("display_name", "John Doe"),
            ("answer_url", "http://example.com/answer"),
        ],
    )
    def test_good_values(self, name: str, value: Any) -> None:
        assert getattr(create(**{name: value}), name) == value

    def test_message_says_what_is_allowed(self) -> None:
        with pytest.raises(InvalidRequestError) as info:
            create(call_timeout=500)
        assert str(info.value) == "CreateCall.call_timeout = 500: must be a number from 1 to 300"
        assert info.value.value == 500

    def test_https_is_required_with_callback_credentials(self) -> None:
        with pytest.raises(InvalidRequestError, match="must use https"):
            create(answer_url="http://example.com/answer", username="u", password="p")
        with pytest.raises(InvalidRequestError, match="answer_fallback_url"):
            create(answer_fallback_url="http://example.com/fb", fallback_password="p")
        # loopback answer URLs only exist against a local emulator
        create(answer_url="http://127.0.0.1:8080/answer", username="u", password="p")

    def test_privacy_limits_the_display_name(self) -> None:
        create(privacy=True, display_name="Anonymous")
        create(privacy=False, display_name="John Doe")
        with pytest.raises(InvalidRequestError, match="when privacy=True"):
            create(privacy=True, display_name="John Doe")

    def test_uui(self) -> None:
        sip = "sip:user@server.example"
        value = "eyJhbGciOiJIUzI1NiJ9.WyJoaSJd.x;encoding=jwt,aGVsbG8gd29ybGQ;encoding=base64"
        assert create(to=sip, uui=value).uui == value
        create(to=sip, uui="abcd;encoding=hex")
        with pytest.raises(InvalidRequestError, match="encoding"):
            create(to=sip, uui="abcd;encoding=utf8")
        with pytest.raises(InvalidRequestError, match="encoding"):
            create(to=sip, uui=";encoding=jwt")
        with pytest.raises(InvalidRequestError, match="at most 350"):
            create(to=sip, uui="a" * 340 + ";encoding=jwt")
        with pytest.raises(InvalidRequestError, match="SIP URI destinations"):
            create(uui="abcd;encoding=hex")

    def test_required_fields_from_dict(self) -> None:
        data = create().to_dict()
        del data["answerUrl"]
        with pytest.raises(InvalidRequestError, match="'answerUrl' is missing"):
            CreateCall.from_dict(data)
        with pytest.raises(InvalidRequestError, match="JSON object"):
            CreateCall.from_dict([])  # type: ignore[arg-type]


class TestMachineDetectionChecks:
    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("mode", "auto"),
            ("detection_timeout", -1),
            ("silence_timeout", "10"),
            ("delay_result", "false"),
            ("callback_url", "nope"),
            ("fallback_method", "PATCH"),
            ("password", "p" * 1025),
        ],
    )
    def test_bad_values(self, name: str, value: Any) -> None:
        with pytest.raises(InvalidRequestError) as info:
            MachineDetectionConfiguration(**{name: value})
        assert info.value.field == name

    def test_nested_dict_is_read_by_from_dict(self) -> None:
        data = create().to_dict() | {"machineDetection": {"mode": "sync", "silenceTimeout": 5}}
        call = CreateCall.from_dict(data)
        assert call.machine_detection == MachineDetectionConfiguration(
            mode="sync", silence_timeout=5
        )


class TestUpdateCallRules:
    """redirectUrl is required for active and forbidden for completed."""

    def test_active_needs_a_redirect_url(self) -> None:
        for state in (None, "active"):
            with pytest.raises(InvalidRequestError, match="redirect_url: is required"):
                UpdateCall(state=state, tag="x")

    @pytest.mark.parametrize(
        "name",
        [
            "redirect_url",
            "redirect_method",
            "tag",
            "username",
            "password",
            "redirect_fallback_url",
            "redirect_fallback_method",
            "fallback_username",
            "fallback_password",
        ],
    )
    def test_completed_takes_no_other_field(self, name: str) -> None:
        value = "GET" if name.endswith("method") else "https://a.example/x"
        with pytest.raises(InvalidRequestError, match="not allowed when state='completed'") as info:
            UpdateCall(state="completed", **{name: value})  # type: ignore[arg-type]
        assert info.value.field == name

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("state", "hangup"),
            ("redirect_url", "mailto:x@y"),
            ("redirect_method", "PUT"),
            ("tag", "t" * 4097),
            ("fallback_password", "p" * 1025),
        ],
    )
    def test_bad_values(self, name: str, value: Any) -> None:
        fields: dict[str, Any] = {"redirect_url": "https://a.example/r", name: value}
        with pytest.raises(InvalidRequestError) as info:
            UpdateCall(**fields)
        assert info.value.field == name


class TestResponseModels:
    def test_missing_required_field_is_an_unexpected_response(self) -> None:
        data = create_response_json()
        del data["callId"]
        with pytest.raises(UnexpectedResponseError, match="'callId' is missing"):
            CreateCallResponse.from_dict(data)

    def test_call_state_tolerates_unknown_states(self) -> None:
        state = CallState.from_dict({"state": "transferring", "disconnectCause": "brand-new"})
        assert state.state == "transferring" and state.disconnect_cause == "brand-new"

    def test_call_state_from_a_non_object(self) -> None:
        with pytest.raises(UnexpectedResponseError):
            CallState.from_dict("nope")  # type: ignore[arg-type]


class TestValueSemantics:
    def test_models_are_frozen_and_hashable(self) -> None:
        call = create(machine_detection=MachineDetectionConfiguration(mode="sync"))
        with pytest.raises(dataclasses.FrozenInstanceError):
            call.to = "+15550000000"  # type: ignore[misc]
        assert hash(call) == hash(
            create(machine_detection=MachineDetectionConfiguration(mode="sync"))
        )
        assert (
            len({CallState.from_dict(call_state_json()), CallState.from_dict(call_state_json())})
            == 1
        )

    def test_replace_rechecks(self) -> None:
        with pytest.raises(InvalidRequestError):
            dataclasses.replace(create(), priority=9)

    def test_models_are_keyword_only(self) -> None:
        with pytest.raises(TypeError):
            CreateCall("+15551234567", "+15557654321", "app", "https://a.example")  # type: ignore[call-arg]


class TestMasking:
    """Secrets never show in a repr."""

    def test_create_call_repr(self) -> None:
        call = create(
            username="user",
            password="hunter2",
            fallback_password="swordfish",
            machine_detection=MachineDetectionConfiguration(password="amd-secret"),
        )
        text = repr(call)
        for secret in ("hunter2", "swordfish", "amd-secret"):
            assert secret not in text
        assert "password='***'" in text and "username='user'" in text

    def test_update_call_and_response_repr(self) -> None:
        update = UpdateCall(redirect_url="https://a.example", password="hunter2")
        assert "hunter2" not in repr(update) and "hunter2" not in str(update)
        response = CreateCallResponse.from_dict(create_response_json(password="plain"))
        assert "plain" not in repr(response)

    def test_repr_shows_only_given_fields(self) -> None:
        assert repr(UpdateCall(state="completed")) == "UpdateCall(state='completed')"
        assert "extra={'x': 1}" in repr(CallState.from_dict({"x": 1}))


# Valid text for each string field of the request models, to spoil with a lone surrogate.
TEXT_SAMPLES: dict[str, str] = {
    "to": "sip:user@host.example",
    "from_": "+19195554321",
    "application_id": "app-1",
    "answer_url": "https://a.example/answer",
    "display_name": "Alice",
    "uui": "abc;encoding=hex",
    "username": "user",
    "password": "hunter2",
    "answer_fallback_url": "https://a.example/fallback",
    "fallback_username": "fuser",
    "fallback_password": "swordfish",
    "disconnect_url": "https://a.example/disconnect",
    "tag": "tag",
    "redirect_url": "https://a.example/redirect",
    "redirect_fallback_url": "https://a.example/redirect-fallback",
    "callback_url": "https://a.example/amd",
    "fallback_url": "https://a.example/amd-fallback",
}
REQUEST_BASES: dict[type, dict[str, Any]] = {
    CreateCall: CREATE_FIELDS,
    UpdateCall: {"redirect_url": "https://a.example/r"},
    MachineDetectionConfiguration: {},
}
TEXT_FIELDS = [
    (model, name)
    for model in REQUEST_BASES
    for name in (f.name for f in dataclasses.fields(model))
    if name in TEXT_SAMPLES
]
SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


class TestUnencodableText:
    """A lone surrogate cannot be sent as UTF-8: it is refused when the model is built."""

    def test_every_text_field_is_covered(self) -> None:
        for model in REQUEST_BASES:
            hints = typing.get_type_hints(model)
            for f in dataclasses.fields(model):
                if f.name != "extra" and str in typing.get_args(hints[f.name]) + (hints[f.name],):
                    assert f.name in TEXT_SAMPLES, f"{model.__name__}.{f.name}"

    @pytest.mark.parametrize(("model", "name"), TEXT_FIELDS)
    @given(data=st.data())
    def test_a_lone_surrogate_names_the_field(self, model: type, name: str, data: Any) -> None:
        sample = TEXT_SAMPLES[name]
        at = data.draw(st.integers(0, len(sample)), label="at")
        spoiled = sample[:at] + data.draw(SURROGATES, label="surrogate") + sample[at:]
        with pytest.raises(InvalidRequestError) as info:
            model(**{**REQUEST_BASES[model], name: spoiled})
        assert info.value.field == name
        if "password" in name:
            assert sample not in str(info.value) and sample not in repr(info.value.value)

    def test_the_message_says_what_is_wrong(self) -> None:
        with pytest.raises(InvalidRequestError, match=r"UpdateCall\.tag = 'a\\ud800'.*surrogate"):
            UpdateCall(redirect_url="https://a.example/r", tag="a\ud800")

    def test_a_lone_surrogate_in_extra_names_the_key(self) -> None:
        for extra in ({"note": "a\udc00"}, {"deep": [{"x": "\ud800"}]}, {"k\ud800": 1}):
            with pytest.raises(InvalidRequestError, match=r"extra\[") as info:
                create(extra=extra)
            assert info.value.field == "extra"

    @given(tag=st.text(max_size=20), note=st.text(max_size=20))
    def test_what_is_accepted_can_be_sent(self, tag: str, note: str) -> None:
        call = create(tag=tag, extra={"note": note})
        json.dumps(call.to_dict(), ensure_ascii=False).encode("utf-8")
