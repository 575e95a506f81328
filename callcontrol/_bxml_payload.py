"""Turning what a user gives ``update_call_bxml`` into the bytes to PUT, checked first.

The checks (a ``<Bxml>`` root, UTF-8, 64 KB, the schema) are bxml's own
(:func:`bxml.schema.check_bxml_body`); this module only turns its findings into the
client's :class:`InvalidRequestError`. :mod:`bxml` is imported on first use, so that a
client that never replaces BXML does not load it.
"""

from __future__ import annotations

from .exceptions import InvalidRequestError


def bxml_payload(doc: object) -> bytes:
    """The UTF-8 body for updateCallBxml, after checking root, size and schema.

    ``doc`` is a :class:`bxml.Bxml` or a BXML string; a string is sent exactly as given.
    """
    import bxml
    from bxml.schema import check_bxml_body

    if not isinstance(doc, (bxml.Root, str)):
        raise InvalidRequestError(
            f"update_call_bxml takes a bxml.Bxml document or a BXML string, "
            f"not {type(doc).__name__}",
            field="doc",
            value=type(doc).__name__,
        )
    try:
        return check_bxml_body(doc)
    except bxml.ValidationError as exc:
        raise InvalidRequestError(f"the BXML document was not sent: {exc}", field="doc") from exc
