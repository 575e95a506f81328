"""Background verbs (bxml-spec §3.2, §4.18 and the stream verbs) at their edges: rejection
messages in full, stopping one stream by name or all of them."""

from __future__ import annotations

from callcontrol.testing import CallSimulator

from .apps import RoutesApp, xml

BASE = "https://ivr.test"
START = '<StartStream name="{}" tracks="{}" destination="wss://x.test" streamEventUrl="/s"/>'


def run(doc: str) -> RoutesApp:
    app = RoutesApp({"/answer": xml(doc)})
    CallSimulator(app, base_url=BASE).inbound("/answer")
    return app


def stream_events(app: RoutesApp) -> list[tuple[str, str, str | None]]:
    return [
        (s.event["eventType"], s.event["mediaStream"]["name"], s.event.get("errorMessage"))
        for s in app.seen
        if s.path == "/s"
    ]


def test_rejections_say_what_is_wrong_and_the_limit():
    # §3.2: stream names are unique per call; at most 4 tracks run ("both" counts 2).
    doc = START.format("a", "both") + START.format("a", "inbound") + START.format("b", "both")
    doc += START.format("c", "both") + '<Pause duration="1"/>'
    assert stream_events(run(doc))[:4] == [
        ("mediaStreamStarted", "a", None),
        ("mediaStreamRejected", "a", "a stream named 'a' is already running"),
        ("mediaStreamStarted", "b", None),
        ("mediaStreamRejected", "c", "6 tracks would run; at most 4 per call"),
    ]


def test_stop_stream_with_a_name_stops_only_that_stream():
    doc = START.format("a", "inbound") + START.format("b", "inbound")
    doc += '<Pause duration="1"/><StopStream name="b"/><Pause duration="2"/>'
    app = run(doc)
    stopped = [
        (s.event["mediaStream"]["name"], s.event["eventTime"])
        for s in app.seen
        if s.event.get("eventType") == "mediaStreamStopped"
    ]
    assert stopped == [("b", "2026-01-01T09:00:01.000Z"), ("a", "2026-01-01T09:00:03.000Z")]
