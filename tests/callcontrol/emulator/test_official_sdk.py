"""Bandwidth's official Python SDK (bandwidth-sdk 23.3.1), pointed at the emulator, performs the
five Calls operations unchanged and gets the documented error types for 401, 404 and 409.

Not stricter than the platform: what the official client sends is what the OpenAPI contract
allows, so the emulator must take it as Bandwidth does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from callcontrol.emulator import VoiceEmulator

from .helpers import CALLEE, CALLER, ivr_app

bandwidth = pytest.importorskip(
    "bandwidth", reason="bandwidth-sdk is not installed (pip install 'bandwidth-sdk==23.3.1')"
)


@pytest.fixture
def emu() -> Iterator[VoiceEmulator]:
    with VoiceEmulator(app=ivr_app(), clock="manual") as emulator:
        yield emulator


def calls_api(emu: VoiceEmulator, password: str = "emulator-password") -> Any:
    config = bandwidth.Configuration(
        username=emu.username,
        password=password,
        host=emu.base_url,
        ignore_operation_servers=True,  # the SDK's own switch for another server
    )
    return bandwidth.CallsApi(bandwidth.ApiClient(config))


def create_body(emu: VoiceEmulator, **extra: Any) -> Any:
    return bandwidth.CreateCall(
        to=CALLEE,
        var_from=CALLER,
        application_id="app-1",
        answer_url=f"{emu.app_url}/answer",
        **extra,
    )


def test_the_five_calls_operations_work_unchanged(emu: VoiceEmulator) -> None:
    api = calls_api(emu)
    account = emu.account_id
    created = api.create_call(account, create_body(emu, tag="sdk", priority=1))
    assert created.call_id and created.tag == "sdk" and created.priority == 1
    emu.advance(1)
    state = api.get_call_state(account, created.call_id)
    assert state.call_id == created.call_id and state.state == "answered"
    listed = api.list_calls(account, to=CALLEE)
    assert [call.call_id for call in listed] == [created.call_id]
    api.update_call_bxml(
        account,
        created.call_id,
        '<?xml version="1.0" encoding="UTF-8"?><Bxml><SpeakSentence>Hi</SpeakSentence></Bxml>',
    )
    api.update_call(
        account,
        created.call_id,
        bandwidth.UpdateCall(
            state=bandwidth.CallStateEnum.ACTIVE, redirect_url=f"{emu.app_url}/redirected"
        ),
    )
    emu.advance(30)
    assert api.get_call_state(account, created.call_id).state == "disconnected"


def test_every_documented_create_field_the_sdk_sends_is_accepted(emu: VoiceEmulator) -> None:
    api = calls_api(emu)
    body = create_body(
        emu,
        privacy=False,
        display_name="John Doe",
        uui="aGVsbG8gd29ybGQ;encoding=base64",
        answer_method=bandwidth.CallbackMethodEnum.POST,
        answer_fallback_url=f"{emu.app_url}/answer",
        answer_fallback_method=bandwidth.CallbackMethodEnum.GET,
        disconnect_url=f"{emu.app_url}/disconnect",
        disconnect_method=bandwidth.CallbackMethodEnum.POST,
        call_timeout=30.5,
        callback_timeout=15.5,
        machine_detection=bandwidth.MachineDetectionConfiguration(
            mode=bandwidth.MachineDetectionModeEnum.ASYNC,
            detection_timeout=15,
            callback_url=f"{emu.app_url}/amd",
        ),
        priority=5,
        tag="t",
    )
    created = api.create_call(emu.account_id, body)
    assert created.call_id


def test_documented_error_types(emu: VoiceEmulator) -> None:
    account = emu.account_id
    with pytest.raises(bandwidth.exceptions.UnauthorizedException):
        calls_api(emu, password="wrong").get_call_state(account, "c-none")
    api = calls_api(emu)
    with pytest.raises(bandwidth.exceptions.NotFoundException):
        api.get_call_state(account, "c-none")
    created = api.create_call(account, create_body(emu))
    emu.advance(1)
    api.update_call(
        account, created.call_id, bandwidth.UpdateCall(state=bandwidth.CallStateEnum.COMPLETED)
    )
    emu.advance(1)
    with pytest.raises(bandwidth.exceptions.ConflictException):
        api.update_call_bxml(account, created.call_id, "<Bxml><Hangup/></Bxml>")


def test_update_to_completed_takes_the_sdk_default_redirect_method(emu: VoiceEmulator) -> None:
    # The contract refuses only redirectUrl and tag with state "completed" (updateCall).
    api = calls_api(emu)
    created = api.create_call(emu.account_id, create_body(emu))
    emu.advance(1)
    update = bandwidth.UpdateCall(
        state=bandwidth.CallStateEnum.COMPLETED,
        redirect_method=bandwidth.RedirectMethodEnum.POST,
    )
    api.update_call(emu.account_id, created.call_id, update)
    emu.advance(1)
    assert api.get_call_state(emu.account_id, created.call_id).state == "disconnected"


def test_machine_detection_callback_url_is_optional_in_sync_mode(emu: VoiceEmulator) -> None:
    # machineDetectionConfiguration: callbackUrl is "Only for 'async' mode"; the voicemail
    # detection guide: "If async mode is selected, the callbackUrl needs to be specified".
    api = calls_api(emu)
    sync = bandwidth.MachineDetectionConfiguration(mode=bandwidth.MachineDetectionModeEnum.SYNC)
    assert api.create_call(emu.account_id, create_body(emu, machine_detection=sync)).call_id
    unsure = bandwidth.MachineDetectionConfiguration(mode=bandwidth.MachineDetectionModeEnum.ASYNC)
    with pytest.raises(bandwidth.exceptions.BadRequestException) as refused:
        api.create_call(emu.account_id, create_body(emu, machine_detection=unsure))
    assert "machineDetection.callbackUrl is required when mode is async" in str(refused.value)


def test_update_call_bxml_takes_a_relative_redirect_url(emu: VoiceEmulator) -> None:
    # BXML Redirect: redirectUrl "May be a relative URL" (dev.bandwidth.com, BXML Redirect).
    api = calls_api(emu)
    created = api.create_call(emu.account_id, create_body(emu))
    emu.advance(1)
    api.update_call_bxml(
        emu.account_id, created.call_id, '<Bxml><Redirect redirectUrl="/redirected"/></Bxml>'
    )
    emu.advance(5)
    timeline = emu.timeline(created.call_id)
    assert "You were redirected." in timeline.heard
    assert any(c.url.endswith("/redirected") for c in timeline.callbacks)
