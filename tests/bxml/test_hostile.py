"""Hostile input: DTDs in every encoding, and documents built to take quadratic time.

Every reader (parse strict and lenient, on the fast path and the reference reader;
validate, iter_errors, is_valid, check_bxml_body, lint) must refuse a DTD whatever the
encoding, and answer every document under the size limit quickly. No timing is asserted:
the worst cases below took minutes before and must simply complete.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bxml
from bxml import ParseError, schema
from bxml._fast_parse import Fallback, read
from bxml._limits import MAX_ATTRIBUTES, MAX_BYTES
from bxml.parse import _ROOTS

DTD_DOC = (
    '<?xml version="1.0" encoding="{encoding}"?>'
    '<!DOCTYPE Response [<!ENTITY x "https://evil.example/x">]>'
    '<Response><Redirect redirectUrl="&x;"/></Response>'
)
PLAIN_DOC = (
    '<?xml version="1.0" encoding="{encoding}"?>'
    "<Response><SpeakSentence>Gr\u00fc\u00dfe</SpeakSentence></Response>"
)

# (declared encoding, Python codec): with and without byte order marks.
ENCODINGS = [
    ("UTF-8", "utf-8"),
    ("UTF-8", "utf-8-sig"),
    ("UTF-16", "utf-16"),
    ("UTF-16LE", "utf-16-le"),
    ("UTF-16BE", "utf-16-be"),
    ("UTF-32", "utf-32"),
    ("UTF-32LE", "utf-32-le"),
    ("UTF-32BE", "utf-32-be"),
    ("ISO-8859-1", "latin-1"),
    ("windows-1252", "cp1252"),
]
IDS = [codec for _, codec in ENCODINGS]


def _encoded(template: str, declared: str, codec: str) -> bytes:
    return template.format(encoding=declared).encode(codec)


# -- DTDs --------------------------------------------------------------------------------


@pytest.mark.parametrize(("declared", "codec"), ENCODINGS, ids=IDS)
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_parse_refuses_a_dtd_in_every_encoding(declared: str, codec: str, strict: bool) -> None:
    with pytest.raises(ParseError, match="DTDs"):
        bxml.parse(_encoded(DTD_DOC, declared, codec), strict=strict)


@pytest.mark.parametrize(("declared", "codec"), ENCODINGS, ids=IDS)
def test_the_fast_path_gives_a_dtd_to_the_reference_reader(declared: str, codec: str) -> None:
    with pytest.raises(Fallback):
        read(_encoded(DTD_DOC, declared, codec), False, _ROOTS, True, 64)
    with pytest.raises(Fallback):
        read(_encoded(DTD_DOC, declared, codec), False, _ROOTS, False, 64)


def test_the_fast_path_checks_for_a_dtd_after_parsing_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Should the byte search ever miss an encoding, libxml2's own view still catches it.
    monkeypatch.setattr("bxml._fast_parse.searchable", lambda data: True)
    for codec in ("utf-16", "utf-32"):
        with pytest.raises(Fallback):
            read(_encoded(DTD_DOC, codec.upper(), codec), False, _ROOTS, False, 64)


def test_a_str_with_a_dtd_is_refused_on_both_paths() -> None:
    text = DTD_DOC.format(encoding="UTF-16")
    with pytest.raises(Fallback):
        read(text.encode("utf-8"), True, _ROOTS, True, 64)
    with pytest.raises(ParseError, match="DTDs"):
        bxml.parse(text, strict=False)


@pytest.mark.parametrize(("declared", "codec"), ENCODINGS, ids=IDS)
def test_validation_refuses_a_dtd_in_every_encoding(declared: str, codec: str) -> None:
    data = _encoded(DTD_DOC, declared, codec)
    assert not bxml.is_valid(data)
    assert [p.code for p in bxml.iter_errors(data)] == ["BX002"]
    with pytest.raises(bxml.ValidationError, match="DTDs"):
        bxml.validate(data)
    body = _encoded(DTD_DOC.replace("Response", "Bxml"), declared, codec)
    with pytest.raises(bxml.ValidationError, match="DTDs"):
        schema.check_bxml_body(body)


@pytest.mark.parametrize(("declared", "codec"), ENCODINGS, ids=IDS)
def test_documents_without_a_dtd_are_read_in_every_encoding(declared: str, codec: str) -> None:
    expected = bxml.Response(bxml.SpeakSentence("Gr\u00fc\u00dfe"))
    data = _encoded(PLAIN_DOC, declared, codec)
    assert bxml.parse(data) == expected
    assert bxml.parse(data, strict=False) == expected
    assert bxml.is_valid(data)


def test_an_encoding_expat_cannot_read_is_a_parse_error() -> None:
    text = '<?xml version="1.0" encoding="Shift_JIS"?><Response><Tag>\u65e5</Tag></Response>'
    data = text.encode("shift_jis")
    with pytest.raises(ParseError, match="declared encoding .* UTF-8"):
        bxml.parse(data)


# -- limits ------------------------------------------------------------------------------


def _attributes(count: int) -> str:
    return " ".join(f'a{i}="1"' for i in range(count))


def test_an_element_may_have_at_most_the_attribute_limit() -> None:
    kept = bxml.parse(f"<Response><Foo {_attributes(MAX_ATTRIBUTES)}/></Response>", strict=False)
    assert len(kept[0].extra_attributes) == MAX_ATTRIBUTES
    text = f"<Response>\n<Foo {_attributes(MAX_ATTRIBUTES + 1)}/></Response>"
    for strict in (True, False):
        with pytest.raises(ParseError, match="<Foo> has 65 attributes; .* at most 64") as info:
            bxml.parse(text, strict=strict)
        assert (info.value.line, info.value.column) == (2, 1)
    (problem,) = bxml.iter_errors(text)
    assert (problem.code, problem.path, problem.line) == ("BX005", "/Response/Foo[1]", 2)


def test_a_hundred_thousand_attributes_are_refused_quickly() -> None:
    text = f"<Response><Hangup {_attributes(90_000)}/></Response>"
    assert len(text) < MAX_BYTES
    for strict in (True, False):
        with pytest.raises(ParseError, match="90000 attributes"):
            bxml.parse(text, strict=strict)
    with pytest.raises(bxml.ValidationError, match="90000 attributes"):
        bxml.validate(text)
    assert [p.code for p in bxml.lint(text)] == ["BX005"]


def test_validation_has_the_size_limit_of_parse() -> None:
    text = "<Response>" + "<Hangup/>" * (MAX_BYTES // 9) + "</Response>"
    with pytest.raises(ParseError, match="at most 1048576 are read"):
        bxml.parse(text)
    (problem,) = bxml.iter_errors(text)
    assert problem.code == "BX005" and "at most 1048576 are read" in problem.message
    assert not bxml.is_valid(text)


def test_many_invalid_siblings_are_answered_with_a_capped_list() -> None:
    text = "<Response>" + '<Hangup x="1"/>' * 65_000 + "</Response>"
    assert len(text) < MAX_BYTES
    problems = list(bxml.iter_errors(text))
    assert len(problems) == schema.MAX_PROBLEMS + 1
    assert problems[-2].path == f"/Response/Hangup[{schema.MAX_PROBLEMS}]/@x"
    assert problems[-1].code == "BX009"
    assert "only the first 100 are listed" in problems[-1].message
    assert not bxml.is_valid(text)


def test_many_bad_values_are_answered_with_a_capped_list() -> None:
    text = "<Response>" + '<Pause duration="0"/>' * 45_000 + "</Response>"
    with pytest.raises(bxml.ValidationError) as info:
        bxml.validate(text)
    assert len(info.value.errors) == schema.MAX_PROBLEMS + 1
    assert "101 schema problems" in str(info.value)


def test_the_list_is_not_capped_below_the_limit() -> None:
    text = "<Response>" + '<Hangup x="1"/>' * schema.MAX_PROBLEMS + "</Response>"
    problems = list(bxml.iter_errors(text))
    assert len(problems) == schema.MAX_PROBLEMS
    assert all(p.code == "BX012" for p in problems)


def test_big_documents_are_validated_while_parsed_with_the_same_verdicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pathlib import Path

    here = Path(__file__).parent
    corpus = sorted((here / "invalid").glob("*.xml")) + sorted(
        (here / "spec_examples").glob("*.xml")
    )
    on_tree = {path: list(bxml.iter_errors(path)) for path in corpus}
    monkeypatch.setattr("bxml._validation._TREE_VALIDATION_BYTES", 0)
    assert {path: list(bxml.iter_errors(path)) for path in corpus} == on_tree
    assert [bxml.is_valid(path) for path in corpus] == [not on_tree[path] for path in corpus]


@settings(max_examples=40)
@given(st.lists(st.integers(0, MAX_ATTRIBUTES + 3), min_size=1, max_size=4), st.booleans())
def test_the_byte_precheck_of_crowded_elements_agrees_with_counting(
    counts: list[int], spaced: bool
) -> None:
    from lxml import etree

    from bxml._fast_parse import _crowded

    gap = "\n  " if spaced else " "
    tags = "".join(
        f"<F{i}{gap}" + gap.join(f'a{j}=""' for j in range(count)) + "/>"
        for i, count in enumerate(counts)
    )
    data = f"<Response>{tags}</Response>".encode()
    root = etree.fromstring(data)
    counted = any(len(node.attrib) > MAX_ATTRIBUTES for node in root.iter())
    assert _crowded(data, root) == counted
