"""The two roots: :class:`Response` (webhook replies) and :class:`Bxml` (live updates).

Both hold the same 26 verbs and offer the same builder: leaf methods append a verb and
return the document (chain siblings); container methods append a verb and return it::

    doc = Response().speak_sentence("Hi").gather(gather_url="/menu", max_digits=1)
    # ``gather`` returned the Gather; fill it in a with block or by chaining:
    doc = Response()
    with doc.gather(gather_url="/menu", max_digits=1) as g:
        g.speak_sentence("Press 1 for sales")
    doc.hangup()
"""

from __future__ import annotations

from . import verbs as v
from ._builder import Container, leaf, nest

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

#: Bandwidth refuses BXML documents larger than this many bytes.
MAX_DOCUMENT_BYTES = 64 * 1024


class Root(Container[v.TopLevelVerb]):
    """Common base of Response and Bxml: the verb list, builder methods and output."""

    __slots__ = ()

    CHILD_TYPES = v.TOP_LEVEL

    def __init__(self, *verbs: v.TopLevelVerb) -> None:
        self._setup(verbs, locals())

    def to_xml(
        self, *, pretty: bool = False, xml_declaration: bool = True, validate: bool = False
    ) -> str:
        """Return the document as XML text.

        :param pretty: indent nested verbs (text and SSML content are never re-indented).
        :param xml_declaration: start with ``<?xml version="1.0" encoding="UTF-8"?>``.
        :param validate: check the output against the shipped XSD first
            (raises :class:`bxml.ValidationError`).
        """
        out: list[str] = []
        if xml_declaration:
            out.append(XML_DECLARATION + "\n" if pretty else XML_DECLARATION)
        self._write(out, pretty, 0)
        text = "".join(out)
        if validate:
            from .schema import validate as check

            check(text)
        return text

    def to_bytes(self, *, pretty: bool = False, xml_declaration: bool = True) -> bytes:
        """Return the document as UTF-8 bytes (what goes on the wire)."""
        return self.to_xml(pretty=pretty, xml_declaration=xml_declaration).encode("utf-8")

    def __str__(self) -> str:
        return self.to_xml()

    bridge = leaf(v.Bridge)
    conference = leaf(v.Conference)
    connect = nest(v.Connect)
    forward = leaf(v.Forward)
    gather = nest(v.Gather)
    hangup = leaf(v.Hangup)
    pause = leaf(v.Pause)
    pause_recording = leaf(v.PauseRecording)
    play_audio = leaf(v.PlayAudio)
    record = leaf(v.Record)
    redirect = leaf(v.Redirect)
    refer = nest(v.Refer)
    resume_recording = leaf(v.ResumeRecording)
    ring = leaf(v.Ring)
    send_dtmf = leaf(v.SendDtmf)
    speak_sentence = leaf(v.SpeakSentence)
    start_gather = leaf(v.StartGather)
    start_recording = leaf(v.StartRecording)
    start_stream = nest(v.StartStream)
    start_transcription = nest(v.StartTranscription)
    stop_gather = leaf(v.StopGather)
    stop_recording = leaf(v.StopRecording)
    stop_stream = leaf(v.StopStream)
    stop_transcription = leaf(v.StopTranscription)
    tag = leaf(v.Tag)
    transfer = nest(v.Transfer)


class Response(Root, tag="Response"):
    """The reply to a synchronous webhook (answer, gather, redirect, ...)."""

    __slots__ = ()


class Bxml(Root, tag="Bxml"):
    """The body of PUT .../calls/{callId}/bxml, which replaces what a live call runs."""

    __slots__ = ()
