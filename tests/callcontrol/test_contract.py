"""The client against Bandwidth's official OpenAPI file (../shared/contract/bandwidth.yml).

Every request body the client produces validates against the operation's request schema;
the models have exactly the schemas' fields and enforce their constraints; the file's
response and error examples parse into the models and the status table.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
import responses

from callcontrol import (
    CallState,
    CreateCall,
    CreateCallResponse,
    InvalidRequestError,
    MachineDetectionConfiguration,
    UpdateCall,
)
from callcontrol._wire import camel_case as json_name
from callcontrol.client import DEFAULT_BASE_URL, DEFAULT_TOKEN_URL
from callcontrol.exceptions import STATUS_ERRORS, ApiError, api_error, error_class_for

from .calls_helpers import CALL_ID, CALLS_URL, CREATE_FIELDS, create_response_json, make_client

SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared/contract/bandwidth.yml"
if not SPEC_PATH.is_file():
    pytest.skip(
        f"the OpenAPI contract is not here ({SPEC_PATH}); it lives in ../shared/contract",
        allow_module_level=True,
    )

yaml = pytest.importorskip("yaml")
jsonschema = pytest.importorskip("jsonschema")

CALL_URL = f"{CALLS_URL}/{CALL_ID}"
OPERATIONS = {
    "createCall": ("post", "/accounts/{accountId}/calls"),
    "listCalls": ("get", "/accounts/{accountId}/calls"),
    "getCallState": ("get", "/accounts/{accountId}/calls/{callId}"),
    "updateCall": ("post", "/accounts/{accountId}/calls/{callId}"),
    "updateCallBxml": ("put", "/accounts/{accountId}/calls/{callId}/bxml"),
}
MODELS = {
    "createCall": CreateCall,
    "machineDetectionConfiguration": MachineDetectionConfiguration,
    "updateCall": UpdateCall,
    "createCallResponse": CreateCallResponse,
    "callState": CallState,
}
REQUEST_MODELS = ("createCall", "machineDetectionConfiguration", "updateCall")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # type: ignore[no-any-return]


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Inline every ``$ref`` and turn OpenAPI ``nullable`` into JSON Schema's null type."""
    if isinstance(node, list):
        return [resolve(spec, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return resolve(spec, target)
    out = {key: resolve(spec, value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return resolve(spec, spec["components"]["schemas"][name])  # type: ignore[no-any-return]


def closed(node: dict[str, Any]) -> dict[str, Any]:
    """A copy where objects with listed properties admit no others (catches misspelt keys)."""
    node = copy.deepcopy(node)
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if current.get("type") in ("object", ["object", "null"]) and "properties" in current:
                current.setdefault("additionalProperties", False)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return node


def operation(spec: dict[str, Any], name: str) -> dict[str, Any]:
    method, path = OPERATIONS[name]
    op = spec["paths"][path][method]
    assert op["operationId"] == name
    return op  # type: ignore[no-any-return]


def request_schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    body = resolve(spec, operation(spec, name)["requestBody"])
    return closed(body["content"]["application/json"]["schema"])


def check_body(spec: dict[str, Any], name: str, body: Any) -> None:
    validator = jsonschema.Draft7Validator(
        request_schema(spec, name), format_checker=jsonschema.FormatChecker()
    )
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


FULL_CREATE = CreateCall(
    **CREATE_FIELDS,
    privacy=False,
    display_name="John Doe",
    answer_method="POST",
    username="mySecretUsername",
    password="mySecretPassword1!",
    answer_fallback_url="https://myFallbackServer.example/webhooks/answer",
    answer_fallback_method="GET",
    fallback_username="fu",
    fallback_password="fp",
    disconnect_url="https://myCallbackServer.example/webhooks/disconnect",
    disconnect_method="POST",
    call_timeout=30,
    callback_timeout=15.5,
    machine_detection=MachineDetectionConfiguration(
        mode="async",
        detection_timeout=15,
        silence_timeout=10,
        speech_threshold=10,
        speech_end_threshold=5,
        machine_speech_end_threshold=5,
        delay_result=False,
        callback_url="https://myServer.example/amd",
        callback_method="POST",
        username="u",
        password="p",
        fallback_url="https://myFallbackServer.example/amd",
        fallback_method="GET",
        fallback_username="fu",
        fallback_password="fp",
    ),
    priority=5,
    tag="arbitrary text here",
)


class TestRequestBodies:
    """What the client sends validates against the operation's request schema."""

    @responses.activate
    def test_create_call_bodies(self, spec: dict[str, Any]) -> None:
        responses.post(CALLS_URL, status=201, json=create_response_json())
        client = make_client()
        client.create_call(**CREATE_FIELDS)
        client.create_call(FULL_CREATE)
        client.create_call(
            **{**CREATE_FIELDS, "to": "sip:user@server.example"},
            uui="aGVsbG8gd29ybGQ;encoding=base64",
            privacy=True,
            display_name="Anonymous",
        )
        assert len(responses.calls) == 3
        for call in responses.calls:
            check_body(spec, "createCall", json.loads(call.request.body or ""))

    @responses.activate
    def test_update_call_bodies(self, spec: dict[str, Any]) -> None:
        responses.post(CALL_URL, status=200)
        client = make_client()
        client.hangup(CALL_ID)
        client.redirect(
            CALL_ID,
            "https://myServer.example/redirect",
            method="GET",
            username="u",
            password="p",
            fallback_url="https://myFallbackServer.example/redirect",
            fallback_method="POST",
            fallback_username="fu",
            fallback_password="fp",
            tag="",
        )
        client.update_call(CALL_ID, redirect_url="https://myServer.example/r")
        assert len(responses.calls) == 3
        for call in responses.calls:
            check_body(spec, "updateCall", json.loads(call.request.body or ""))

    def test_a_misspelt_key_would_be_caught(self, spec: dict[str, Any]) -> None:
        with pytest.raises(AssertionError, match="Additional properties"):
            check_body(spec, "createCall", CREATE_FIELDS | {"answerUrl": "https://a.example"})

    def test_list_calls_parameters_are_documented(self, spec: dict[str, Any]) -> None:
        names = {resolve(spec, p)["name"] for p in operation(spec, "listCalls")["parameters"]}
        sent = {"to", "from", "minStartTime", "maxStartTime", "disconnectCause", "pageSize"}
        assert sent <= names
        page_size = resolve(spec, spec["components"]["parameters"]["pageSizeCalls"])["schema"]
        assert (page_size["minimum"], page_size["maximum"]) == (1, 10000)

    def test_bxml_examples_pass_the_clients_checks(self, spec: dict[str, Any]) -> None:
        body = resolve(spec, operation(spec, "updateCallBxml")["requestBody"])
        examples = body["content"]["application/xml"]["examples"]
        assert examples
        from callcontrol._bxml_payload import bxml_payload

        for example in examples.values():
            # The file's XML declarations are mis-escaped (version=\"1.0\"); the rest is BXML.
            text = re.sub(r"^<\?xml[^>]*\?>\s*", "", example["value"])
            assert bxml_payload(text) == text.encode()


class TestModelsMatchSchemas:
    """Each model has exactly its schema's properties, and enforces its constraints."""

    @pytest.mark.parametrize("name", list(MODELS))
    def test_fields_are_the_schema_properties(self, spec: dict[str, Any], name: str) -> None:
        model = MODELS[name]
        ours = {json_name(f.name) for f in dataclasses.fields(model) if f.name != "extra"}
        assert ours == set(schema(spec, name)["properties"])

    @pytest.mark.parametrize("name", ["createCall", "createCallResponse"])
    def test_required_fields(self, spec: dict[str, Any], name: str) -> None:
        model = MODELS[name]
        required = {
            json_name(f.name)
            for f in dataclasses.fields(model)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        assert required == set(schema(spec, name)["required"])

    @pytest.mark.parametrize("name", REQUEST_MODELS)
    def test_enums(self, spec: dict[str, Any], name: str) -> None:
        for prop, rules in schema(spec, name)["properties"].items():
            if "enum" not in rules:
                continue
            field = _field_name(MODELS[name], prop)
            for value in rules["enum"]:
                build(name, field, value)
            with pytest.raises(InvalidRequestError):
                build(name, field, "NOT-A-VALUE")

    @pytest.mark.parametrize("name", REQUEST_MODELS)
    def test_numeric_ranges(self, spec: dict[str, Any], name: str) -> None:
        for prop, rules in schema(spec, name)["properties"].items():
            if "minimum" not in rules:
                continue
            field = _field_name(MODELS[name], prop)
            build(name, field, rules["minimum"])
            build(name, field, rules["maximum"])
            for bad in (rules["minimum"] - 1, rules["maximum"] + 1):
                with pytest.raises(InvalidRequestError):
                    build(name, field, bad)

    @pytest.mark.parametrize("name", REQUEST_MODELS)
    def test_max_lengths(self, spec: dict[str, Any], name: str) -> None:
        for prop, rules in schema(spec, name)["properties"].items():
            if "maxLength" not in rules:
                continue
            field = _field_name(MODELS[name], prop)
            limit = rules["maxLength"]
            build(name, field, sized(rules, limit))
            with pytest.raises(InvalidRequestError, match=str(limit)):
                build(name, field, sized(rules, limit + 1))


def _field_name(model: type, prop: str) -> str:
    return next(f.name for f in dataclasses.fields(model) if json_name(f.name) == prop)


def sized(rules: dict[str, Any], length: int) -> str:
    """A valid value of ``length`` characters for a string or URI property."""
    if rules.get("format") == "uri":
        prefix = "https://a.example/"
        return prefix + "a" * (length - len(prefix))
    return "a" * length


def build(name: str, field: str, value: Any) -> Any:
    """Build the request model ``name`` with ``field=value`` and whatever else it needs."""
    if name == "createCall":
        return CreateCall(**{**CREATE_FIELDS, field: value})
    if name == "updateCall":
        base: dict[str, Any] = {"redirect_url": "https://a.example/r"}
        if field == "state" and value == "completed":
            base = {}
        return UpdateCall(**{**base, field: value})
    return MachineDetectionConfiguration(**{field: value})


class TestExamples:
    """The file's examples parse into the models and the error table."""

    def test_create_call_response_example(self, spec: dict[str, Any]) -> None:
        example = spec["components"]["examples"]["createCallResponseExample"]["value"]
        response = CreateCallResponse.from_dict(example)
        assert response.extra == {}
        assert response.call_id == "c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85"
        assert response.enqueued_time is not None and response.enqueued_time.tzinfo is not None
        assert "password='***'" in repr(response)
        assert set(response.to_dict()) == set(example)
        assert CreateCallResponse.from_dict(response.to_dict()) == response

    def test_call_state_property_examples(self, spec: dict[str, Any]) -> None:
        properties = spec["components"]["schemas"]["callState"]["properties"]
        example = {k: v["example"] for k, v in properties.items() if "example" in v}
        example["direction"] = "inbound"
        state = CallState.from_dict(example)
        assert state.extra == {}
        assert state.stir_shaken == {
            "verstat": "TN-Validation-Passed",
            "attestationIndicator": "A",
            "originatingId": "abc123",
        }
        assert state.end_time is not None and state.end_time.tzinfo is not None

    def test_response_schemas_accept_what_the_models_write(self, spec: dict[str, Any]) -> None:
        response = CreateCallResponse.from_dict(create_response_json(tag=None, password="*****"))
        jsonschema.validate(response.to_dict(), schema(spec, "createCallResponse"))

    @pytest.mark.parametrize("op", list(OPERATIONS))
    def test_error_examples_follow_the_status_table(self, spec: dict[str, Any], op: str) -> None:
        for code, ref in operation(spec, op)["responses"].items():
            status = int(code)
            if status < 400:
                continue
            cls = error_class_for(status)
            assert cls is not ApiError and STATUS_ERRORS.get(status, cls) is cls
            content = resolve(spec, ref)["content"]["application/json"]
            for example in content.get("examples", {}).values():
                body = json.dumps(example["value"])
                error = api_error(status, "GET", CALL_URL, {"Retry-After": "1"}, body)
                assert type(error) is cls
                assert error.error_type == example["value"]["type"]
                assert error.description == example["value"]["description"]

    def test_documented_conflicts_are_on_the_update_operations(self, spec: dict[str, Any]) -> None:
        with_409 = {op for op in OPERATIONS if "409" in operation(spec, op)["responses"]}
        assert with_409 == {"updateCall", "updateCallBxml"}


class TestEndpoints:
    def test_base_url_and_token_url(self, spec: dict[str, Any]) -> None:
        servers = {s["url"] for op in OPERATIONS.values() for s in _servers(spec, *op)}
        assert servers == {DEFAULT_BASE_URL}
        oauth = spec["components"]["securitySchemes"]["OAuth2"]
        assert oauth["flows"]["clientCredentials"]["tokenUrl"] == DEFAULT_TOKEN_URL

    @responses.activate
    def test_each_operation_uses_the_documented_method_and_path(self, spec: dict[str, Any]) -> None:
        responses.post(CALLS_URL, status=201, json=create_response_json())
        responses.get(CALLS_URL, json=[])
        responses.get(CALL_URL, json={})
        responses.post(CALL_URL, status=200)
        responses.put(f"{CALL_URL}/bxml", status=204)
        client = make_client()
        client.create_call(**CREATE_FIELDS)
        list(client.list_calls())
        client.get_call_state(CALL_ID)
        client.hangup(CALL_ID)
        client.update_call_bxml(CALL_ID, "<Bxml><Hangup/></Bxml>")
        sent = [(str(c.request.method).lower(), c.request.url) for c in responses.calls]
        expected = [
            (method, DEFAULT_BASE_URL + path.format(accountId="9900000", callId=CALL_ID))
            for method, path in OPERATIONS.values()
        ]
        assert sent == expected
        assert responses.calls[4].request.headers["Content-Type"].startswith("application/xml")


def _servers(spec: dict[str, Any], method: str, path: str) -> list[dict[str, Any]]:
    item = spec["paths"][path]
    return item[method].get("servers") or item.get("servers") or spec["servers"]  # type: ignore[no-any-return]
