"""Callback URLs: http or https (or relative) only, and https where credentials go with them.

Sources: bxml-spec §1 (relative URLs are resolved against the URL of the request that
returned the document); Bandwidth's API allows only http and https ("Invalid answerUrl: only
http and https are allowed", bandwidth.yml components.examples.voiceBadRequestErrorExample);
bxml-spec §1.2, §4.16 (Record), §4.20 (StartRecording), §4.21 (StartStream), §4.23
(StartTranscription): with username/password set the URLs must be https, and Record's
fallback URL with fallbackUsername/fallbackPassword. RFC 3986 §4.2: a relative reference
whose first segment holds ':' would be read as a scheme.
"""

from __future__ import annotations

import inspect
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

import bxml
from bxml import Gather, InvalidValueError, Response, strategies
from bxml._element import REGISTRY, Element
from bxml._values import URL_PATTERN, Url
from bxml.verbs import _HttpsWithCredentials

REFUSED = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "file:///etc/passwd",
    "data:text/xml,<Response/>",
    "ftp://example.com/cb",
    "mailto:ops@example.com",
    "wss://example.com/socket",
    "a:b",
    "http:/example.com/cb",
    "http:example.com",
    "https://",
    "https:///cb",
    " javascript:alert(1)",
    "/cb ",
    "https://example.com/a b",
    "https://example.com/\ncb",
    "\t/cb",
]
ALLOWED = [
    "https://example.com/cb",
    "http://example.com",
    "HTTPS://EXAMPLE.COM/CB",
    "https://example.com:8443/cb?a=1&b=<2>#frag",
    "http://[::1]:8080/cb",
    "https://user:pw@example.com/cb",
    "/onGather",
    "onGather",
    "next/step:2",
    "./a:b",
    "?retry=1",
    "#x",
    "//cdn.example.com/cb",
    "https://exämple.com/ü",
]


def _url_attributes() -> list[tuple[type[Element], Url]]:
    return [
        (cls, attr)
        for tag, cls in sorted(REGISTRY.items())
        for attr in cls.FIELDS
        if isinstance(attr, Url)
    ]


URL_ATTRIBUTES = _url_attributes()


def test_every_callback_url_attribute_is_a_url_kind() -> None:
    names = {f"{cls.TAG}.{attr.xml}" for cls, attr in URL_ATTRIBUTES}
    assert "Redirect.redirectUrl" in names and "Gather.gatherUrl" in names
    every = {
        f"{cls.TAG}.{attr.xml}"
        for cls in REGISTRY.values()
        for attr in cls.FIELDS
        if attr.xml.endswith("Url")
    }
    assert names == every  # and no websocket destination among them
    assert len(names) == 30


def test_the_xsd_url_type_has_the_models_pattern() -> None:
    schema = etree.parse(str(bxml.SCHEMA_PATH))
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    found = schema.xpath('//xs:simpleType[@name="url"]//xs:pattern/@value', namespaces=ns)
    assert isinstance(found, list) and found == [URL_PATTERN]


def _build(cls: type[Element], attr: Url, url: str) -> Element:
    values: dict[str, Any] = {a.name: _filler(a) for a in cls.FIELDS if a.required}
    values[attr.name] = url
    if cls is bxml.Transfer:
        return cls(bxml.PhoneNumber("+15551234567"), **values)
    if cls is bxml.Connect:
        return cls(bxml.Endpoint("e-1"), **values)
    if cls in (bxml.PhoneNumber, bxml.SipUri):
        text = "+15551234567" if cls is bxml.PhoneNumber else "sip:a@example.com"
        return cls(text, **values)
    if cls is bxml.Conference:
        return cls("room", **values)
    if cls is bxml.Refer:
        return cls(bxml.SipUri("sip:a@example.com"), **values)
    if cls is bxml.Bridge:
        return cls("c-1234", **values)
    return cls(**values)


def _filler(attr: Any) -> Any:
    return {"redirect_url": "/r", "dtmf_url": "/d", "destination": "wss://s"}[attr.name]


def _document(element: Element) -> str:
    if isinstance(element, (bxml.PhoneNumber, bxml.SipUri)):
        element = bxml.Transfer(element)
    return bxml.Response(element).to_xml()  # type: ignore[arg-type]


@pytest.mark.parametrize("url", REFUSED)
@pytest.mark.parametrize(("cls", "attr"), URL_ATTRIBUTES, ids=lambda v: getattr(v, "xml", v))
def test_other_schemes_and_whitespace_are_refused_when_built_parsed_and_validated(
    cls: type[Element], attr: Url, url: str
) -> None:
    # Issue 20 item 12: redirectUrl="javascript:..." and "file:..." were accepted.
    with pytest.raises(bxml.InvalidValueError, match="is not an http or https URL"):
        _build(cls, attr, url)
    good = _document(_build(cls, attr, "/ok"))
    bad = good.replace('="/ok"', f'="{bxml._values.escape_attr(url)}"')
    assert bad != good
    with pytest.raises(bxml.ParseError, match=f"{attr.xml}: .*is not an http or https URL"):
        bxml.parse(bad)
    (problem,) = bxml.iter_errors(bad)
    assert problem.code == "BX010" and problem.path.endswith(f"/@{attr.xml}")


@pytest.mark.parametrize("url", ALLOWED)
def test_http_https_and_relative_urls_are_taken(url: str) -> None:
    doc = bxml.Response(bxml.Redirect(redirect_url=url))
    assert bxml.parse(doc.to_bytes()) == doc
    assert bxml.is_valid(doc.to_bytes())


@given(url=st.from_regex(URL_PATTERN, fullmatch=True))
def test_what_the_pattern_matches_has_no_other_scheme(url: str) -> None:
    head = url.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if ":" in head:  # a scheme: only http or https
        assert head.lower() in ("http:", "https:")
    assert not any(space in url for space in " \t\n\r")


# -- https where credentials go ----------------------------------------------------------------


def _credential_cases() -> list[tuple[type[Element], str, str]]:
    return [
        (cls, secret, url)
        for cls in (bxml.Record, bxml.StartRecording, bxml.StartStream, bxml.StartTranscription)
        for secrets, urls in cls.HTTPS_WITH
        for secret in secrets
        for url in urls
    ]


CREDENTIAL_CASES = _credential_cases()


def _with(cls: type[Element], **values: Any) -> Element:
    if cls is bxml.StartStream:
        values.setdefault("destination", "wss://s")
    return cls(**values)


def test_the_verbs_that_need_https_are_the_four_the_docs_name() -> None:
    needing = sorted(c.TAG for c in REGISTRY.values() if issubclass(c, _HttpsWithCredentials))
    assert needing == ["Record", "StartRecording", "StartStream", "StartTranscription"]
    assert len(CREDENTIAL_CASES) == 2 * 3 + 2 * 1 + 2 * 2 + 2 + 2


@pytest.mark.parametrize(("cls", "secret", "url_name"), CREDENTIAL_CASES, ids=str)
def test_credentials_need_an_https_url(cls: type[Element], secret: str, url_name: str) -> None:
    # Issue 20 item 12: this was only a lint warning (BX120); now it is refused.
    with pytest.raises(
        bxml.InvalidValueError,
        match=rf"{url_name}: 'http://a\.example/x' is not https; with {secret} set",
    ):
        _with(cls, **{secret: "hunter2", url_name: "http://a.example/x"})
    fine = _with(cls, **{secret: "hunter2", url_name: "https://a.example/x"})
    relative = _with(cls, **{secret: "hunter2", url_name: "/x"})  # the document's scheme
    plain = _with(cls, **{url_name: "http://a.example/x"})  # no credentials: http is fine
    bad = fine.to_xml().replace("https://a.example/x", "http://a.example/x")
    with pytest.raises(bxml.ParseError, match=f"{cls.TAG}.{url_name}: .* is not https"):
        bxml.parse(f"<Response>{bad}</Response>")
    for element in (fine, relative, plain):
        doc = bxml.Response(element)  # type: ignore[arg-type]
        assert bxml.parse(doc.to_bytes()) == doc
    with pytest.raises(bxml.InvalidValueError, match="is not https"):
        setattr(plain, secret, "hunter2")
    assert getattr(plain, secret) is None  # the refused change was not kept
    with pytest.raises(bxml.InvalidValueError, match="is not https"):
        setattr(fine, url_name, "http://a.example/x")
    assert getattr(fine, url_name) == "https://a.example/x"


@pytest.mark.parametrize(("cls", "secret", "url_name"), CREDENTIAL_CASES[::2], ids=str)
def test_credentials_in_the_url_need_https_and_are_never_shown(
    cls: type[Element], secret: str, url_name: str
) -> None:
    for url in ("http://ivr:hunter2@a.example/x", "//ivr:hunter2@a.example/x"):
        with pytest.raises(bxml.InvalidValueError, match="carries credentials") as raised:
            _with(cls, **{url_name: url})
        assert "hunter2" not in str(raised.value) and "***@a.example" in str(raised.value)
    element = _with(cls, **{url_name: "https://ivr:hunter2@a.example/x"})
    assert "hunter2" not in repr(element)


def test_credentials_in_a_refused_url_are_never_shown() -> None:
    for make in (
        lambda: bxml.Redirect(redirect_url="ftp://ivr:hunter2@a.example/x"),
        lambda: bxml.parse('<Response><Redirect redirectUrl="ftp://ivr:hunter2@h/x"/></Response>'),
    ):
        with pytest.raises(bxml.BxmlError) as raised:
            make()
        assert "hunter2" not in str(raised.value)
    (problem,) = bxml.iter_errors(
        '<Response><Redirect redirectUrl="ftp://u:hunter2@h"/></Response>'
    )
    assert "hunter2" not in problem.message
    assert "hunter2" not in repr(bxml.Gather(gather_url="http://u:hunter2@h/g"))


def test_other_verbs_keep_credentials_over_http_where_the_docs_allow_it() -> None:
    # The docs ask for https with credentials only on the four verbs above.
    redirect = bxml.Redirect(redirect_url="http://a.example/r", username="u", password="p")
    transfer = bxml.Transfer(bxml.PhoneNumber("+15551234567"), transfer_complete_url="http://a/t")
    gather = bxml.Gather(gather_url="http://u:p@a.example/g")
    for element in (redirect, transfer, gather):
        assert bxml.is_valid(bxml.Response(element).to_bytes())


@given(strategies.elements(bxml.Record))
def test_generated_verbs_that_carry_credentials_use_https_or_relative_urls(record: Any) -> None:
    for _, urls in record.HTTPS_WITH:
        for name in urls:
            url = getattr(record, name)
            if url is None or url.lower().startswith("https://"):
                continue
            assert not url.lower().startswith("http://")
            if url.startswith("//"):  # a relative URL with an authority: no credentials
                assert "@" not in re.split("[/?#]", url[2:])[0]


def test_the_urls_remembered_as_checked_are_bounded() -> None:
    fragment = bxml.Redirect.FRAGMENTS["redirect_url"]
    known = inspect.getclosurevars(fragment).nonlocals["known"]
    for index in range(bxml._values._KNOWN_URLS + 10):
        bxml.Redirect(redirect_url=f"/r{index}")
    assert 0 < len(known) <= bxml._values._KNOWN_URLS
    bxml.Redirect(redirect_url="/" + "x" * bxml._values._KNOWN_URL_CHARS)  # too long to keep
    assert all(len(url) <= bxml._values._KNOWN_URL_CHARS for url in known)
    with pytest.raises(bxml.InvalidValueError):  # a remembered URL is still the same value
        bxml.Redirect(redirect_url=["/r1"])  # type: ignore[arg-type]


@given(url=st.from_regex(URL_PATTERN, fullmatch=True))
def test_every_url_the_pattern_takes_can_be_resolved(url: str) -> None:
    """RFC 3986 §3.2.2: a bracketed host is an IPv6 address, so urljoin never refuses one."""
    joined = urljoin("https://ivr.test/answer", url)
    urlsplit(joined)


@pytest.mark.parametrize("url", ["HTTP://[", "http://[0]/", "http://[::::]/x", "//[", "http://a]/"])
def test_a_host_that_is_not_a_name_or_an_ipv6_address_is_refused(url: str) -> None:
    with pytest.raises(InvalidValueError, match="redirect_url"):
        bxml.Redirect(redirect_url=url)
    assert not bxml.is_valid(f'<Response><Redirect redirectUrl="{url}"/></Response>')


# A character that NFKC-normalises to a delimiter ('／' -> '/', '＃' -> '#', ...) in the
# authority makes urllib (and so every callback sender built on it) refuse the URL: the
# callback could never be sent, and the error would quote the URL's credentials.
@pytest.mark.parametrize(
    "url",
    [
        "https://a\uff03b@x.test/f",
        "https://user:pw\uff0fx@x.test/f",
        "https://x\uff1fy.test/f",
        "//host\uff20other.test/f",
    ],
)
def test_an_authority_that_normalises_to_a_delimiter_is_refused_masked(url: str) -> None:
    with pytest.raises(bxml.BxmlError) as built:
        Gather(gather_url=url)
    with pytest.raises(bxml.BxmlError) as parsed:
        bxml.parse(f'<Response><Gather gatherUrl="{url}"/></Response>')
    for caught in (built, parsed):
        message = str(caught.value)
        assert "NFKC normalization turns into a URL delimiter" in message
        assert "pw" not in message


@pytest.mark.parametrize(
    "url", ["https://x.test/caf\u00e9", "https://b\u00fccher.test/f", "/menu\uff03/next"]
)
def test_non_ascii_that_urllib_reads_is_kept(url: str) -> None:
    assert Gather(gather_url=url).gather_url == url
    assert bxml.parse(Response(Gather(gather_url=url)).to_xml()) == Response(Gather(gather_url=url))
