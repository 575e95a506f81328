"""Hypothesis strategies for valid BXML: values, single verbs and whole documents.

Use them to property-test your own handlers::

    from hypothesis import given
    from bxml import strategies

    @given(strategies.documents())
    def test_my_handler_accepts_any_document(doc):
        ...

The strategies are derived from the same attribute declarations that check values, so
whatever they generate is accepted by the verb classes (and, by test, by the XSD).
Hypothesis is imported when this module is, never by ``import bxml``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without hypothesis
    raise ImportError(
        "bxml.strategies needs hypothesis, which is not installed: "
        "pip install 'bxml-callcontrol[hypothesis]'"
    ) from exc

from . import ssml, verbs
from ._element import Element
from ._values import (
    _NOT_XML_CHAR,
    URL_PATTERN,
    XML_SPACE,
    Attr,
    Choice,
    Custom,
    Flag,
    Integer,
    Number,
    Text,
    Url,
    _usable_authority,
    is_https,
    is_relative,
    url_userinfo,
)
from .document import Bxml, Response, Root

__all__ = [
    "attribute_values",
    "documents",
    "elements",
    "ssml_nodes",
    "top_level_verbs",
    "xml_text",
]

_XML_CHARS = st.characters(exclude_categories=["Cs"]).filter(
    lambda c: _NOT_XML_CHAR.match(c) is None
)


def xml_text(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Any text XML 1.0 can carry (markup characters, quotes, CR, astral planes included)."""
    return st.text(_XML_CHARS, min_size=min_size, max_size=max_size)


def _non_blank(max_size: int = 40) -> st.SearchStrategy[str]:
    return xml_text(min_size=1, max_size=max_size).filter(lambda s: s.strip(XML_SPACE) != "")


def _number(attr: Number) -> st.SearchStrategy[float]:
    low, high = int(attr.low * 100), int(attr.high * 100)
    hundredths = st.integers(low, high).map(lambda n: n / 100)
    whole = st.integers(int(-(-attr.low // 1)), int(attr.high))
    return st.one_of(whole, hundredths)


def _text(attr: Text) -> st.SearchStrategy[str]:
    if attr.pattern is not None:
        base = st.from_regex(attr.pattern, fullmatch=True)
        base = base.filter(lambda s: _NOT_XML_CHAR.search(s) is None)
    else:
        base = xml_text(max_size=60)
    low, high = attr.min_length, attr.max_length
    if low or high is not None:
        base = base.filter(lambda s: low <= len(s) <= (high if high is not None else len(s)))
    return base


_SAMPLE_URLS = (
    "https://example.com/callbacks/gather",
    'https://user:pass@example.com:8443/cb?a=1&b=<2>#"x"',
    "HTTPS://EXAMPLE.COM",
    "http://10.0.0.5:8080/answer?x=%20y",
    "http://[::1]/cb",
    "/onGather",
    "next?step=2&lang=en",
    "./a:b",
    "?retry=1",
    "//cdn.example.com/cb",
)


def _url(*, https_only: bool = False) -> st.SearchStrategy[str]:
    """Callback URLs (``bxml._values.URL_PATTERN``): absolute http or https, or relative.
    With ``https_only``, no absolute http URL and no credentials outside https, as on the
    verbs that send credentials to their URLs."""
    samples = st.sampled_from(_SAMPLE_URLS)
    generated = st.from_regex(URL_PATTERN, fullmatch=True).filter(
        lambda s: _NOT_XML_CHAR.search(s) is None and (s.isascii() or _usable_authority(s))
    )
    urls = st.one_of(samples, generated)
    if https_only:
        urls = urls.filter(lambda u: is_https(u) or (is_relative(u) and url_userinfo(u) is None))
    return urls


_BREAK_TIMES = st.one_of(
    st.integers(0, 10_000).map(lambda n: f"{n}ms"),
    st.integers(0, 10).map(lambda n: f"{n}s"),
)


def attribute_values(attr: Attr[Any]) -> st.SearchStrategy[Any]:
    """Values that ``attr`` accepts."""
    if isinstance(attr, Choice):
        return st.sampled_from(attr.values)
    if isinstance(attr, Flag):
        return st.booleans()
    if isinstance(attr, Integer):
        return st.integers(attr.low, attr.high)
    if isinstance(attr, Number):
        return _number(attr)
    if isinstance(attr, Url):
        return _url()
    if isinstance(attr, Text):
        return _text(attr)
    if isinstance(attr, Custom) and attr.name == "time":
        return _BREAK_TIMES
    raise TypeError(f"no strategy for attribute {attr.name!r} ({type(attr).__name__})")


def _attributes(
    cls: type[Element], skip: tuple[str, ...] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    # URLs that credentials may go to are https or relative (verbs._HttpsWithCredentials).
    https_only = {name for _, urls in getattr(cls, "HTTPS_WITH", ()) for name in urls}

    def values(attr: Attr[Any]) -> st.SearchStrategy[Any]:
        return _url(https_only=True) if attr.name in https_only else attribute_values(attr)

    required = {a.name: values(a) for a in cls.FIELDS if a.required}
    optional = {a.name: values(a) for a in cls.FIELDS if not a.required and a.name not in skip}
    return st.fixed_dictionaries(required, optional=optional)


_TEXT_CONTENT: dict[type[Element], st.SearchStrategy[str]] = {
    verbs.PhoneNumber: st.from_regex(verbs.E164_PATTERN, fullmatch=True),
    verbs.SipUri: st.from_regex(r"sips?:[a-z0-9_.]{1,12}@[a-z0-9.]{1,20}", fullmatch=True),
    verbs.SendDtmf: st.from_regex(verbs.DTMF_PATTERN, fullmatch=True),
    verbs.Conference: st.from_regex(verbs.CONFERENCE_NAME_PATTERN, fullmatch=True),
    verbs.Tag: xml_text(max_size=verbs.TAG_MAX),
    verbs.PlayAudio: st.sampled_from(
        ["https://example.com/a.wav", "/prompts/b.mp3", "beep.wav?x=1&y=<2>"]
    ),
}


def _leaf(cls: Any) -> st.SearchStrategy[Element]:
    attrs = _attributes(cls)
    if cls.CONTENT == "text":
        text = _TEXT_CONTENT.get(cls, _non_blank())
        return st.builds(lambda t, kw: cls(t, **kw), text, attrs)
    return st.builds(lambda kw: cls(**kw), attrs)


def ssml_nodes(max_leaves: int = 6) -> st.SearchStrategy[Element]:
    """Any SSML node (phrase, sentence or paragraph), nested a few levels deep."""
    phrase = _phrases(max_leaves)
    sentence = st.builds(
        lambda c: ssml.S(*c), st.lists(st.one_of(_non_blank(20), phrase), min_size=1, max_size=3)
    )
    paragraph = st.builds(
        lambda c: ssml.P(*c),
        st.lists(st.one_of(_non_blank(20), phrase, sentence), min_size=1, max_size=3),
    )
    return st.one_of(phrase, sentence, paragraph)


def _phrases(max_leaves: int) -> st.SearchStrategy[Element]:
    leaves = st.one_of(
        st.builds(lambda kw: ssml.Break(**kw), _attributes(ssml.Break)),
        st.builds(_say_as, _non_blank(20), _attributes(ssml.SayAs)),
        *(
            st.builds(lambda t, kw, c=cls: c(t, **kw), _non_blank(20), _attributes(cls))
            for cls in (ssml.Sub, ssml.Phoneme)
        ),
    )

    def extend(children: st.SearchStrategy[Element]) -> st.SearchStrategy[Element]:
        content = st.lists(st.one_of(_non_blank(20), children), min_size=1, max_size=3)
        return st.one_of(
            *(
                st.builds(lambda c, kw, k=cls: k(*c, **kw), content, _attributes(cls))
                for cls in (ssml.Emphasis, ssml.Prosody, ssml.Lang)
            )
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


def _say_as(text: str, kwargs: dict[str, Any]) -> Element:
    if kwargs["interpret_as"] != "date":
        kwargs.pop("format", None)  # a date format goes with dates only
    return ssml.SayAs(text, **kwargs)


def _speak_sentence() -> st.SearchStrategy[Element]:
    content = st.lists(st.one_of(_non_blank(30), ssml_nodes()), min_size=1, max_size=4)
    content = content.filter(lambda c: any(not isinstance(i, str) or i.strip(XML_SPACE) for i in c))
    return st.builds(
        lambda c, kw: verbs.SpeakSentence(*c, **kw), content, _attributes(verbs.SpeakSentence)
    )


def _gather() -> st.SearchStrategy[Element]:
    prompt = st.one_of(_speak_sentence(), _leaf(verbs.PlayAudio))

    @st.composite
    def build(draw: st.DrawFn) -> Element:
        kwargs = draw(_attributes(verbs.Gather, skip=("repeat_count",)))
        repeat = draw(st.one_of(st.none(), st.integers(1, 20)))
        limit = min(4, verbs.Gather.MAX_PROMPTS // (repeat or 1))
        prompts: list[Any] = draw(st.lists(prompt, max_size=limit))
        return verbs.Gather(*prompts, repeat_count=repeat, **kwargs)

    return build()


def _container(
    cls: type[Element], child: type[Element], low: int, high: int
) -> st.SearchStrategy[Element]:
    children = st.lists(
        _leaf(child) if child is not verbs.PhoneNumber else _destination(),
        min_size=low,
        max_size=high,
    )
    return st.builds(lambda c, kw: cls(*c, **kw), children, _attributes(cls))


def _destination() -> st.SearchStrategy[Element]:
    return st.one_of(_leaf(verbs.PhoneNumber), _leaf(verbs.SipUri))


def _refer() -> st.SearchStrategy[Element]:
    destination = st.builds(verbs.SipUri, _TEXT_CONTENT[verbs.SipUri])  # the URI only
    return st.builds(lambda c, kw: verbs.Refer(c, **kw), destination, _attributes(verbs.Refer))


_SPECIAL: dict[type[Element], Callable[[], st.SearchStrategy[Element]]] = {
    verbs.Refer: _refer,
    verbs.SpeakSentence: _speak_sentence,
    verbs.Gather: _gather,
    verbs.Transfer: lambda: _container(verbs.Transfer, verbs.PhoneNumber, 1, 8),
    verbs.StartStream: lambda: _container(verbs.StartStream, verbs.StreamParam, 0, 3),
    verbs.StartTranscription: lambda: _container(verbs.StartTranscription, verbs.CustomParam, 0, 3),
    verbs.Connect: lambda: _container(verbs.Connect, verbs.Endpoint, 1, 3),
}


def elements(cls: type[Element]) -> st.SearchStrategy[Element]:
    """Valid instances of one element class (any of the 31 verbs or a root)."""
    if issubclass(cls, Root):
        return documents(root=cls)
    special = _SPECIAL.get(cls)
    return special() if special is not None else _leaf(cls)


def top_level_verbs() -> st.SearchStrategy[Element]:
    """Any of the 26 verbs a document may hold at its top level."""
    return st.one_of(*(elements(cls) for cls in verbs.TOP_LEVEL))


def documents(root: type[Root] | None = None, *, max_verbs: int = 6) -> st.SearchStrategy[Root]:
    """Whole documents: a Response or Bxml (or the given ``root``) of valid verbs."""
    roots: list[type[Root]] = [root] if root is not None else [Response, Bxml]
    return st.builds(
        lambda cls, items: cls(*items),
        st.sampled_from(roots),
        st.lists(top_level_verbs(), max_size=max_verbs),
    )
