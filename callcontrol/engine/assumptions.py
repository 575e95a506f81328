"""The engine's assumption register: behaviour it picks where Bandwidth's docs are silent.

Each entry has an id (written into the transcript whenever it applies), the rule the engine
follows, and why. ``docs/engine-assumptions.md`` is generated from this list and checked by
a test, so the two never drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Assumption:
    """One documented guess: ``id``, the ``rule`` the engine follows and ``why``."""

    id: str
    rule: str
    why: str


ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "fetch-latency",
        "Where the engine runs on virtual time (the simulator, the explorer, the emulator's "
        "manual clock), the app answers a callback in no time unless the driver reports a "
        "latency (the simulator's reply_latency or faults.slow). It does not apply on a wall "
        "clock (the emulator's real clock): there a reply's real latency passes on the call's "
        "clock.",
        "Network and app latency are not documented; zero keeps simulated transcripts exact "
        "and repeatable.",
    ),
    Assumption(
        "empty-reply",
        "A 2xx reply with an empty body to a synchronous callback is an empty <Response/>, "
        "so the call hangs up.",
        "The docs only describe replies that carry BXML (voice-api §9.1).",
    ),
    Assumption(
        "bxml-root-reply",
        "A callback reply whose root is <Bxml> instead of <Response> is invalid BXML.",
        "Every synchronous reply is a <Response> (bxml-spec §1.1); <Bxml> is for PUT .../bxml.",
    ),
    Assumption(
        "fallback-status",
        "Any non-2xx status, a connection error or an unreachable URL counts as 'failed to "
        "respond' and moves a synchronous callback to its fallback URL, once.",
        "voice-api §11: which statuses trigger the fallback is not specified.",
    ),
    Assumption(
        "inbound-answer",
        "An inbound call is answered when the first verb other than Tag, Hangup, Forward, "
        "Redirect, StartGather, StopGather or Ring answerCall=false starts.",
        "The docs say when Ring answers (bxml-spec §4.14) but not when other verbs do.",
    ),
    Assumption(
        "reject-cause",
        "<Hangup> (or the end of the document) on an unanswered inbound call ends it with "
        "cause 'rejected'.",
        "bxml-spec §4.7 says the call is rejected; the disconnect cause is not documented.",
    ),
    Assumption(
        "press-timing",
        "A scripted press starts 0.3 s after the prompt has finished (or barge_in seconds "
        "into it) and keys follow 0.3 s apart.",
        "Human key timing is not part of the platform; a fixed gap keeps runs repeatable.",
    ),
    Assumption(
        "digit-tie",
        "A key arriving at the same virtual millisecond as a timeout counts.",
        "Caller input is ordered before verb timers at equal times (engine-design §b.2).",
    ),
    Assumption(
        "digits-unheard",
        "Keys pressed while neither Gather, Record nor StartGather listens are discarded.",
        "Nothing in the docs receives them.",
    ),
    Assumption(
        "speech-rate",
        "SpeakSentence takes 0.4 s per word (at least 0.5 s) plus its SSML <break> times; "
        "PlayAudio takes the configured seconds for its URL, else 3 s.",
        "Real durations depend on the TTS voice and the file; tests need fixed values.",
    ),
    Assumption(
        "unsupported-audio",
        "PlayAudio of a URL ending in .ogg ends the call with cause 'application-error'.",
        "bxml-spec §4.11 gives .ogg as unsupported; other unknown extensions play as WAV.",
    ),
    Assumption(
        "busy-timing",
        "A busy (or rejecting) destination reports busy (or rejected) 1 s after it is "
        "dialled; a destination with no entry never answers and times out after callTimeout.",
        "Ringing times are not documented.",
    ),
    Assumption(
        "transfer-failure-cause",
        "When every Transfer destination fails, transferComplete carries the cause of the "
        "destination that failed last.",
        "voice-api §9.4 says it refers to 'one of them' without saying which.",
    ),
    Assumption(
        "forward-answered",
        "<Forward> on a call that is already answered (or outbound) ends it with cause "
        "'application-error'.",
        "bxml-spec §4.5 allows Forward only on an unanswered inbound call.",
    ),
    Assumption(
        "no-bridge-target",
        "<Bridge> to a call id that no call of the simulation or emulator has (one engine "
        "holds them all: the id was never a call's, or the call was forgotten after its "
        "retention) fails as a target that is gone: bridgeComplete with cause 'unknown' and "
        "an errorMessage, or the next verb when there is no bridgeCompleteUrl.",
        "bxml-spec §4.1 documents the failure for a target that is gone, not the answer to "
        "an id that never was a call; a gone call is the nearest case.",
    ),
    Assumption(
        "bridge-failure-cause",
        "A <Bridge> that cannot be made (target gone, an outbound target not answered, a "
        "target running <Forward> or in another bridge, or the call itself) sends "
        "bridgeComplete with cause 'unknown' and an errorMessage naming the reason.",
        "bxml-spec §4.1 lists busy, rejected or unknown as the causes without saying which "
        "case gives which; 'unknown' claims the least.",
    ),
    Assumption(
        "bridge-answers-inbound",
        "Bridging an inbound call that is not answered yet answers it.",
        "bxml-spec §4.1 forbids only an outbound target not yet answered; an inbound call "
        "must be answered to carry audio.",
    ),
    Assumption(
        "connect-holds",
        "<Connect> holds the call (no connect events are sent) until it is hung up or interrupted.",
        "Connect (Beta) events are not documented (bxml-spec §4.3).",
    ),
    Assumption(
        "conference-event-order",
        "The first member's <Conference> sends conferenceCreated, then conferenceMemberJoin "
        "for that member; the last member's leaving sends conferenceMemberExit, then "
        "conferenceCompleted.",
        "The event pages say when each event fires (voice-api §9.4) but not how "
        "conferenceCreated and the creator's own join are ordered.",
    ),
    Assumption(
        "conference-tag",
        "The tag sent on conference events is the creating call's tag when it runs "
        "<Conference> (its tag attribute, else the call's sticky tag).",
        "bxml-spec §4.2 says the creator's tag is sent; whether a call tag set earlier counts "
        "when the verb has none is not said.",
    ),
    Assumption(
        "conference-full",
        "A 21st call running <Conference> does not join: it ends with cause 'error' and an "
        "errorMessage saying the conference is full.",
        "bxml-spec §4.2 allows at most 20 calls but does not say what happens to the 21st; "
        "failing the call is the safe side for a test (a flow that relies on it fails here "
        "first).",
    ),
    Assumption(
        "conference-one-coach",
        "A call with callIdsToCoach joining while another member coaches joins as an "
        "ordinary member (its callIdsToCoach is ignored).",
        "bxml-spec §4.2 allows one coach at a time; what happens to a second is not said.",
    ),
    Assumption(
        "conference-time-limit",
        "At 24 hours the conference ends as updateConference status=completed does: every "
        "member goes on with the verb after its <Conference>.",
        "bxml-spec §4.2 gives the 24 h limit but not what happens at it.",
    ),
    Assumption(
        "conference-callback-failure",
        "A conference event whose delivery fails for good (its fallback too) is dropped; the "
        "conference and its members go on.",
        "voice-api §9.1 ends the call when a call's callback fails; a conference event "
        "belongs to no one call.",
    ),
    Assumption(
        "conference-recording-order",
        "A conference recording still running when the last member leaves ends then; "
        "conferenceRecordingAvailable follows conferenceCompleted.",
        "StartRecording records until the conference ends (bxml-spec §3.2); the order of the "
        "two events is not documented.",
    ),
    Assumption(
        "stream-events",
        "StartStream sends mediaStreamStarted, StopStream or the end of the call sends "
        "mediaStreamStopped (cause 'closed'); StartTranscription sends "
        "realTimeTranscriptionStarted and Stopped when destination and URL are set, and "
        "Available at the end when the URL is set. No websocket is opened.",
        "The simulation has no media; only the callbacks of bxml-spec §5 are modelled.",
    ),
    Assumption(
        "loop-limit",
        "A call that fetches more than 50 documents without virtual time passing or caller "
        "input ends with cause 'error' and an error naming the URLs of the loop.",
        "Bandwidth would loop until something breaks; a test must end.",
    ),
    Assumption(
        "time-limit",
        "A simulated call still up after 4 hours of virtual time is hung up (cause 'error').",
        "Tests need an end; real calls are bounded by account limits that are not documented.",
    ),
    Assumption(
        "interrupt-wins",
        "An updateCall or updateCallBxml that arrives while a synchronous callback is in "
        "flight wins: the callback's reply is ignored when it comes back.",
        "The docs say an update interrupts what runs, not what happens to a pending fetch.",
    ),
    Assumption(
        "interrupt-transfer",
        "updateCall or updateCallBxml during a Transfer hangs up every B-leg first.",
        "The docs do not say what happens to a bridged B-leg when the A-leg is redirected.",
    ),
    Assumption(
        "put-relative-urls",
        "Relative URLs in a document installed with updateCallBxml resolve against the URL "
        "of the last document the call fetched.",
        "The docs resolve relative URLs against the URL that served the BXML; a PUT has none.",
    ),
    Assumption(
        "hangup-in-bleg-reply",
        "The end of a transferAnswer reply bridges the legs; a Hangup in it ends the B-leg "
        "and the Transfer goes on as if it had hung up.",
        "bxml-spec §4.10: 'the bridge happens after it finishes'.",
    ),
    Assumption(
        "refer-sip-call",
        "An inbound call is a SIP call when its from or to is a SIP URI (sip: or sips:); "
        "<Refer> on any other call (or a Transfer B-leg) fails at once with no SIP codes.",
        "bxml-spec: Refer is only supported on inbound SIP URI calls; what happens on "
        "other calls is not documented.",
    ),
    Assumption(
        "refer-outcome",
        "The Refer's SIP URI is looked up in destinations: answers() succeeds after its "
        "'after' seconds (REFER 202, NOTIFY 200); busy() fails after 1 s (202, NOTIFY 486); "
        "rejects() fails at once (REFER 603, no NOTIFY); no_answer(), no entry, or an "
        "answer after 30 s or more fails after 30 s (202, no NOTIFY).",
        "The docs give the 30 s NOTIFY timeout, not the timing of the endpoint's answers.",
    ),
    Assumption(
        "refer-cause",
        "After a successful REFER the call ends with disconnect cause 'hangup', right after "
        "referComplete is sent; the reply to referComplete is read and ignored.",
        "The docs say the call is torn down but not with which cause.",
    ),
    Assumption(
        "amd-timing",
        "Machine detection starts at the answer. The callee's destination decides the result: "
        "machine(result=...) gives its result, voicemail() 'answering-machine', anyone else "
        "who answers 'human'. It takes machine(detected_after=...) seconds, else: human 1 s "
        "of speech plus speechEndThreshold; answering-machine speechThreshold (with "
        "delayResult: the greeting, at least speechThreshold, plus machineSpeechEndThreshold, "
        "reported by detectionTimeout at the latest); "
        "silence silenceTimeout; timeout detectionTimeout; error at once. A result that "
        "would take longer than detectionTimeout is 'timeout' at detectionTimeout. Sync mode "
        "sends the answer callback then, with machineDetectionResult; async mode sends answer "
        "at once and machineDetectionComplete then, unless the call has ended first. An "
        "updateCall redirect or updateCallBxml during sync detection takes the call over: "
        "the held answer callback is not sent. "
        "tone-detected is never reported.",
        "voice-api §3.2 gives the parameters' meaning, not the detector's timing; "
        "tone-detected needs an account setting the engine does not model.",
    ),
    Assumption(
        "amd-fallback",
        "A machineDetectionComplete that gets a non-2xx status or no response is sent once "
        "to machineDetection's fallbackUrl with the fallback credentials, when one is set; "
        "without one it is retried once to callbackUrl after a connection error, like other "
        "asynchronous callbacks.",
        "The docs say fallbackUrl is used when callbackUrl 'fails to respond' without "
        "saying which statuses count.",
    ),
    Assumption(
        "auth-challenge",
        "Every callback is first sent without credentials, also to a URL that has already "
        "challenged; only a 401 with a WWW-Authenticate header gets the repeat with Basic "
        "credentials, and the repeat's answer is the callback's result.",
        "voice-api §9.2 (Authenticated Callbacks) describes the exchange per request and "
        "says nothing of remembering a challenge.",
    ),
    Assumption(
        "verb-credentials",
        "A callback whose URL was given without credentials (a verb without username/"
        "password, or updateCall's redirectUrl without them) is sent without any, even when "
        "the call has callback credentials; those go to the answer (initiate) and disconnect "
        "URLs only.",
        "voice-api §9.2 lists credentials per URL (createCall for answer/disconnect, each "
        "verb for its own URLs) and never says a verb inherits the call's.",
    ),
    Assumption(
        "call-fallback-credentials",
        "The call's fallback URL (answerFallbackUrl, or the application's initiate fallback) "
        "given without fallback credentials gets the call's own credentials.",
        "voice-api §3 and §9.2 name fallbackUsername/fallbackPassword for it but not what "
        "applies without them; the simulator has one set of application credentials.",
    ),
    Assumption(
        "dial-error-message",
        "A dialled leg that ends unanswered carries an errorMessage and errorId: 'Callee is "
        "busy' (documented), 'Callee did not answer before the callTimeout' for timeout and "
        "'Callee rejected the call' for rejected. Every errorMessage of an ended call comes "
        "with an errorId, a UUID fixed for the call.",
        "The webhooks' examples (disconnect, transferComplete, transferDisconnect) show "
        "only the busy message; the others' wording is not documented.",
    ),
    Assumption(
        "b-leg-update",
        "updateCall (redirect) or updateCallBxml on a Transfer B-leg, by its call id, takes "
        "it out of the bridge and runs the new document on it; the A-leg stays in its "
        "Transfer until the B-leg ends (then transferComplete), and the end of the new "
        "document bridges the legs again, as the end of a transferAnswer reply does. "
        "state=completed hangs up an answered B-leg (cause hangup) and cancels a ringing "
        "one (cause cancel).",
        "voice-api §6 updates any call by its id; what a B-leg's bridge and its A-leg do "
        "meanwhile is not documented.",
    ),
    Assumption(
        "sync-connection-retry",
        "A synchronous callback that meets a connection error (no HTTP answer, not a "
        "timeout) is sent once more to the same URL before its fallback URL is tried or the "
        "call ends with callback-error; the fallback's own callback gets the same one repeat.",
        "Older Bandwidth docs retry a callback once after a connection exception; today's "
        "say so only of asynchronous ones (voice-api §9.1).",
    ),
    Assumption(
        "recording-order",
        "A recording that ends because its call (or B-leg) ends is announced after the "
        "disconnect (or transferDisconnect): recordingAvailable, then transcriptionAvailable, "
        "at the same virtual time, without processing time.",
        "Webhooks recordingAvailable: sent 'after a recording has been processed' (the "
        "example comes about 50 s after the recording ended); the processing time is not "
        "documented.",
    ),
    Assumption(
        "transcription-timing",
        'With transcribe="true" and a transcriptionAvailableUrl (Record, StartRecording), '
        "transcriptionAvailable follows the recordingAvailable of the same recording at once, "
        "with the documented transcription object {id, url, status, completedTime}; status "
        "is 'available', or 'file-size-too-small' for 0.5 s of audio or less.",
        "bxml-spec §4.12 gives the 0.5 s minimum and webhooks transcriptionAvailable the "
        "event; the time transcription takes and the status of a too short recording are "
        "not documented. No text is transcribed (the simulation has no audio).",
    ),
    Assumption(
        "strict-attributes",
        "A reply with an attribute the BXML pages do not define, or a value outside the "
        "documented ones ('post' for POST, 'True' for true, '2.0' for an integer), is invalid "
        "BXML: the call ends (cause invalid-bxml), as for any unreadable reply.",
        "Each verb's page lists its attributes and their values (GET or POST, true or false, "
        "integers); what Bandwidth does with anything else is not documented. Refusing is the "
        "safe side for a test: a passing test must mean a flow that works, so a value that "
        "might be ignored or misread on the platform fails here first.",
    ),
    Assumption(
        "queue-session-wait",
        "A createCall accepted into the account's queue that finds max_concurrent calls up "
        "when its slot comes waits in the queue (it is not refused later) and is placed once "
        "one of them has ended, then the queue keeps its pace. Applied by the queue of the "
        "emulator and of sim.client(), not by the engine.",
        "voice-api §8.3 gives the concurrent-call limit and the queue, and createCall's 429 "
        "when the limit is reached at creation; what happens to a call already queued when "
        "its turn comes at the limit is not documented.",
    ),
)

BY_ID: dict[str, Assumption] = {item.id: item for item in ASSUMPTIONS}


def render_markdown() -> str:
    """The register as the Markdown page ``docs/engine-assumptions.md``."""
    lines = [
        "# Call engine: assumption register",
        "",
        "Where Bandwidth's documentation is silent the call engine picks a behaviour. Each",
        "choice has an id that the simulator writes into a call's transcript whenever it",
        "applies. This page is generated from `callcontrol/engine/assumptions.py`.",
        "",
        "| id | rule | why |",
        "|---|---|---|",
    ]
    for item in ASSUMPTIONS:
        lines.append(f"| `{item.id}` | {_code(item.rule)} | {_code(item.why)} |")
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    """Markdown with XML tags such as <Response/> shown as code, not read as HTML."""
    return re.sub(r"(<[^<>]+>)", r"`\1`", text)
