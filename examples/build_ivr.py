"""Build a small IVR menu three equivalent ways, check it, and print the BXML.

Run: python examples/build_ivr.py
"""

from __future__ import annotations

import bxml
from bxml import Gather, Hangup, PlayAudio, Redirect, Response, SpeakSentence, ssml


def nested() -> Response:
    """Constructor nesting: the document reads like the XML."""
    return Response(
        SpeakSentence("Welcome to Example Corp."),
        Gather(
            SpeakSentence(ssml.Emphasis("Press 1", level="strong"), " for sales.", voice="julie"),
            PlayAudio("https://example.com/menu.wav"),
            gather_url="/menu",
            max_digits=1,
            first_digit_timeout=5,
        ),
    )


def chained() -> Response:
    """Fluent chaining: container methods return the child, leaf methods the container."""
    doc = Response().speak_sentence("Welcome to Example Corp.")
    menu = doc.gather(gather_url="/menu", max_digits=1, first_digit_timeout=5)
    menu.speak_sentence(
        ssml.Emphasis("Press 1", level="strong"), " for sales.", voice="julie"
    ).play_audio("https://example.com/menu.wav")
    return doc


def with_blocks() -> Response:
    """``with`` blocks: nesting shown by indentation."""
    doc = Response()
    doc.speak_sentence("Welcome to Example Corp.")
    with doc.gather(gather_url="/menu", max_digits=1, first_digit_timeout=5) as menu:
        menu.speak_sentence(ssml.Emphasis("Press 1", level="strong"), " for sales.", voice="julie")
        menu.play_audio("https://example.com/menu.wav")
    return doc


def main() -> None:
    doc = nested()
    assert doc == chained() == with_blocks()
    print(doc.to_xml(pretty=True, validate=True))

    problems = bxml.lint(Response(Redirect(redirect_url="/next"), Hangup()))
    print("\nlint of a document with a verb after Redirect:")
    for problem in problems:
        print(" ", problem)

    try:
        Gather(max_digits=99)
    except bxml.InvalidValueError as error:
        print("\nbuild-time check:", error)


if __name__ == "__main__":
    main()
