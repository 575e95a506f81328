"""The compiled schema: whether a document passes it, and the problems when it does not.

lxml's libxml2 validator decides, with the schema compiled once per process; the
problems of an invalid document come from :mod:`bxml._explain` (which loads
``xmlschema``), at most :data:`MAX_PROBLEMS` of them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ._lxml import fromstring, parser
from .document import MAX_DOCUMENT_BYTES
from .exceptions import Problem

if TYPE_CHECKING:
    from pathlib import Path

    from lxml import etree

    from ._explain import Explainer

    #: The XML Schema shipped inside the package (``schemas/xml.xsd`` sits next to it).
    SCHEMA_PATH: Path

# The schema's file name; SCHEMA_PATH, its pathlib.Path, is made on first use (pathlib is
# slow to import and validation does not need it).
_SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "schemas", "bxml.xsd")
#: Most problems listed for one document; a last problem (BX009) says there are more.
MAX_PROBLEMS = 100
# Larger documents are validated while parsed: validating a tree, libxml2 names the node
# of each failure, which costs time quadratic in the number of failing siblings.
_TREE_VALIDATION_BYTES = MAX_DOCUMENT_BYTES

_schema: etree.XMLSchema | None = None
_explainer: Explainer | None = None
_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    if name != "SCHEMA_PATH":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _schema_path()


def _schema_path() -> Path:
    from pathlib import Path

    path = Path(_SCHEMA_FILE)
    globals()["SCHEMA_PATH"] = path
    return path


def _get_schema() -> etree.XMLSchema:
    global _schema
    if _schema is None:
        with _lock:
            if _schema is None:
                from lxml import etree

                _schema = etree.XMLSchema(etree.parse(_SCHEMA_FILE, parser(False)))
    return _schema


def _get_explainer() -> Explainer:
    global _explainer
    if _explainer is None:
        with _lock:
            if _explainer is None:
                from ._explain import Explainer

                _explainer = Explainer(_schema_path())
    return _explainer


def schema_log(root: etree._Element, data: bytes, utf8: bool) -> Any:
    """Return None when the document (``root``, parsed from ``data``) passes the schema,
    else libxml2's error log."""
    schema = _get_schema()
    if len(data) <= _TREE_VALIDATION_BYTES:
        return None if schema.validate(root) else schema.error_log
    try:
        fromstring(data, utf8, schema)
    except SyntaxError as exc:  # lxml's XMLSyntaxError, with the validator's log
        return getattr(exc, "error_log", ())
    return None


def schema_errors(root: etree._Element, data: bytes, utf8: bool) -> Iterator[Problem]:
    """Yield the schema's problems with the document, at most MAX_PROBLEMS and a BX009."""
    log = schema_log(root, data, utf8)
    if log is None:
        return
    for count, problem in enumerate(_get_explainer().explain(root, log), 1):
        if count > MAX_PROBLEMS:
            message = f"... and more problems: only the first {MAX_PROBLEMS} are listed"
            yield Problem("/", None, message, "BX009")
            return
        yield problem
