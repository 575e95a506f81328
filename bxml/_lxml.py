"""The one hardened libxml2 parser configuration, per thread, for parse and validate.

No DTD loading, no entity resolution, no network, no huge trees; comments and processing
instructions are dropped (they are not content, and a schema ignores them). lxml is
imported on first use, so ``import bxml`` stays light. Parsers are kept per thread:
lxml serializes a shared parser, which would queue the threads of a webhook server.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lxml import etree

_local = threading.local()
_fromstring: Any = None


def fromstring(data: bytes, utf8: bool, schema: etree.XMLSchema | None = None) -> etree._Element:
    """Parse ``data`` with this thread's hardened parser (see :func:`parser`)."""
    chosen = parser(utf8, schema)  # first: it imports lxml and sets _fromstring
    root: etree._Element = _fromstring(data, chosen)
    return root


def parser(utf8: bool, schema: etree.XMLSchema | None = None) -> etree.XMLParser:
    """Return this thread's parser; ``utf8`` reads UTF-8 whatever the declaration says.

    With ``schema`` (always the same one), the parser also validates as it reads.
    """
    name = ("utf8" if utf8 else "declared") + ("" if schema is None else "+schema")
    found: etree.XMLParser | None = getattr(_local, name, None)
    if found is None:
        global _fromstring
        from lxml import etree

        _fromstring = etree.fromstring
        found = etree.XMLParser(
            encoding="utf-8" if utf8 else None,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            schema=schema,
        )
        setattr(_local, name, found)
    return found
