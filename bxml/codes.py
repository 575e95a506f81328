"""Every problem code ``bxml`` reports, with what it means and how to fix it.

``bxml lint --explain BX103`` prints one entry; ``docs/problem-codes.md`` is generated from
:data:`CODES` (:func:`render_markdown`), and a test keeps the two in step. Codes BX0xx come
from reading and validating a document (:func:`bxml.validate`, :func:`bxml.parse`), BX1xx
from :func:`bxml.lint` (and BX110 also from ``check_bxml_body``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CODES", "Code", "explain", "render_markdown"]


@dataclass(frozen=True)
class Code:
    """One problem code: a one-line summary, and what to do about it."""

    code: str
    summary: str
    fix: str

    def render(self) -> str:
        """The entry as ``bxml lint --explain`` prints it."""
        return f"{self.code}: {self.summary}\n\n{self.fix}\n"


_ENTRIES = (
    Code(
        "BX001",
        "the text is not well-formed XML",
        "Fix the XML syntax at the line shown "
        "(an unclosed tag, a stray '&' or '<'). A str is always XML text, never a file name: "
        "pass a pathlib.Path to read a file.",
    ),
    Code(
        "BX002",
        "a DTD (<!DOCTYPE ...>) is present",
        "BXML documents have no DTD; Bandwidth "
        "refuses them and so does bxml (they allow entity expansion attacks). Remove it.",
    ),
    Code(
        "BX003",
        "the root element is not <Response> or <Bxml>",
        "A webhook reply is a <Response>; a live-call update (updateCallBxml) is a <Bxml>.",
    ),
    Code(
        "BX004",
        "the body is a <Response>, or not UTF-8 (check_bxml_body)",
        "The body of a live-call update must be a UTF-8 <Bxml> document.",
    ),
    Code(
        "BX005",
        "a reading limit is exceeded",
        "The document is larger than 1 MB, nests "
        "deeper than 64 levels, or an element has more than 64 attributes. Real BXML stays far "
        "below these limits (Bandwidth stops at 64 KB).",
    ),
    Code(
        "BX009",
        "more problems were found than are listed",
        "Not a problem itself: fix the problems shown and validate again to see the rest.",
    ),
    Code(
        "BX010",
        "an attribute value is not allowed",
        "The value breaks the attribute's type: "
        "an enumeration, a range, a format (a URL, a number) or a length. The message names "
        "what is allowed.",
    ),
    Code("BX011", "a required attribute is missing", "Add the attribute the message names."),
    Code(
        "BX012",
        "an attribute the element does not have",
        "Check the spelling: BXML "
        "attributes are camelCase (gatherUrl, maxDigits). The message suggests the closest.",
    ),
    Code(
        "BX020",
        "a child element the parent may not hold",
        "Move the element where it belongs; the message lists what the parent holds.",
    ),
    Code("BX021", "more children than the parent may hold", "Remove the extra children."),
    Code(
        "BX022",
        "fewer children than the parent needs",
        "Add the child the parent needs (e.g. a <PhoneNumber> or <SipUri> in a <Transfer>).",
    ),
    Code(
        "BX030",
        "the text of an element is not allowed",
        "The element's text breaks its "
        "format (blank, too long, not a number or URL where one is needed).",
    ),
    Code(
        "BX031",
        "text where only child elements (or nothing) may appear",
        "Remove the text, or wrap it in the verb that speaks it (<SpeakSentence>).",
    ),
    Code("BX039", "another schema failure", "The message is the schema validator's own."),
    Code(
        "BX101",
        "verbs after Redirect, Hangup or Forward never run",
        "Those verbs hand the "
        "call elsewhere or end it. Move the later verbs before them, or into the document the "
        "call goes to next.",
    ),
    Code(
        "BX102",
        "verbs after a verb with its callback URL never run",
        "A Gather, Record, "
        "Transfer, Bridge or Refer that has its callback URL (gatherUrl, recordCompleteUrl, "
        "transferCompleteUrl, bridgeCompleteUrl, referCompleteUrl) continues with the reply to "
        "that callback. Put the later verbs in that reply.",
    ),
    Code(
        "BX103",
        "a Gather without gatherUrl throws the digits away",
        "Add gatherUrl, the callback that receives the digits and answers with what comes next.",
    ),
    Code(
        "BX104",
        "a Gather whose prompts x repeatCount exceeds 20",
        "Bandwidth allows at most "
        "20 prompts per Gather, counting repeats: fewer prompts or a lower repeatCount.",
    ),
    Code("BX105", "a SpeakSentence with nothing to speak", "Give it text, or remove it."),
    Code(
        "BX106",
        'say-as with format but without interpret-as="date"',
        'format applies to dates only: add interpret-as="date" or drop format.',
    ),
    Code(
        "BX107",
        "the document ends with StartStream",
        "StartStream does not block: the call "
        "ends at once and the stream closes. Add a verb that keeps the call up, e.g. "
        '<StopStream name="..." wait="true"/>.',
    ),
    Code(
        "BX110",
        "a document larger than 64 KB",
        "Bandwidth refuses BXML documents over "
        "bxml.MAX_DOCUMENT_BYTES; split the flow over several callbacks.",
    ),
    Code(
        "BX120",
        "credentials with a non-https URL where Bandwidth requires https",
        "On "
        "Record, StartRecording, StartStream and StartTranscription, username/password (and "
        "fallbackUsername/fallbackPassword) require https callback URLs: use https.",
    ),
    Code(
        "BX121",
        "credentials sent to a plain http URL",
        "On any other verb that carries "
        "username/password (Gather, Transfer, Redirect, Bridge, Conference, PlayAudio, ...), "
        "a plain http callback URL sends them unencrypted: use https.",
    ),
    Code(
        "BX122",
        "half a credential pair",
        "username without password (or the reverse), or the same for "
        "fallbackUsername/fallbackPassword: Basic credentials need both, and a verb's "
        "callbacks carry the verb's own credentials only (voice-api §9.2). Set both or neither.",
    ),
    Code(
        "BX123",
        "a fallback URL that gets no credentials",
        "username/password are sent to the primary callback URLs only; a fallback URL gets "
        "fallbackUsername/fallbackPassword. Set those too, or the fallback server's 401 "
        "loses the callback.",
    ),
    Code(
        "BX130",
        "a verb a conference document may not use",
        "A conference document may hold "
        "only PlayAudio, SpeakSentence, StartRecording, StopRecording, PauseRecording and "
        "ResumeRecording; Bandwidth rejects the whole document otherwise.",
    ),
    Code(
        "BX131",
        "a verb a transferAnswer reply may not use",
        "The reply to transferAnswer "
        "runs on the called party, which may not Bridge, Conference, Forward, Refer or "
        "Transfer.",
    ),
    Code(
        "BX140",
        "StartGather together with Forward",
        "Forward cannot run while StartGather listens: drop one of them.",
    ),
    Code(
        "BX141",
        "two streams (or transcriptions) with the same name",
        "Names of running "
        "streams and transcriptions must be unique: rename one, or stop the first.",
    ),
    Code(
        "BX142",
        "more than 4 stream or transcription tracks at once",
        "A call carries at "
        'most 4 stream tracks and 4 transcription tracks (tracks="both" counts as 2).',
    ),
    Code(
        "BX143",
        "a StartRecording while another recording runs",
        "Bandwidth ignores it: stop the running recording first (StopRecording).",
    ),
    Code(
        "BX150",
        "a Refer whose SipUri has attributes",
        "A Refer's SipUri carries the SIP URI only; the attributes belong to a Transfer's SipUri.",
    ),
)

#: Every code, by name.
CODES: dict[str, Code] = {entry.code: entry for entry in _ENTRIES}


def explain(code: str) -> Code:
    """The entry for ``code`` (any case); :class:`KeyError` naming the known codes."""
    try:
        return CODES[code.strip().upper()]
    except KeyError:
        raise KeyError(f"{code!r} is not a bxml problem code; known: {', '.join(CODES)}") from None


def render_markdown() -> str:
    """The page ``docs/problem-codes.md``."""
    lines = [
        "# bxml problem codes",
        "",
        "<!-- Generated from bxml/codes.py by bxml.codes.render_markdown(); do not edit. -->",
        "",
        "Every problem `bxml validate`, `bxml lint`, `bxml.validate()` and `bxml.lint()` report",
        "carries one of these codes. `bxml lint --explain CODE` prints an entry;",
        "`bxml lint --ignore CODE,...` leaves lint codes out.",
        "",
        "| code | problem | what to do |",
        "|---|---|---|",
    ]
    lines += [f"| {c.code} | {c.summary} | {c.fix} |" for c in _ENTRIES]
    return "\n".join(lines) + "\n"
