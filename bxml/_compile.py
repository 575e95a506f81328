"""Compile each element class's ``__init__`` into straight-line code, as dataclasses do.

A verb's hand-written ``__init__`` declares its signature (for readers, type checkers and
``help()``) and calls the generic :meth:`Element._setup`; at class creation it is checked to
do nothing else. When a class is first instantiated, its ``__init__`` is replaced by a
function of the same signature whose body checks only the arguments given, in declaration
order, with the per-attribute fast checks of :mod:`bxml._values`. The original stays
reachable as ``__init__.__wrapped__``; a test checks both build equal objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .exceptions import InvalidValueError

if TYPE_CHECKING:
    from ._element import Element


def _missing(owner: str, name: str) -> InvalidValueError:
    return InvalidValueError(f"{owner}.{name} is required")


def unknown_keywords(cls: type[Element], given: dict[str, Any]) -> TypeError:
    """The error for keywords ``cls`` does not take, suggesting the nearest attribute.

    Built only on that error path: the compiled ``__init__`` collects unknown keywords in
    ``**`` and checks them with one test. BXML's own camelCase spellings (``gatherUrl``,
    pasted from Bandwidth's docs) map to their snake_case keywords.
    """
    import difflib

    owner = cls.__name__
    names = [attr.name for attr in cls.FIELDS]
    parts = []
    for key in given:
        attr = cls.XML_FIELDS.get(key)
        if attr is not None:
            hint = f"; keywords are snake_case: did you mean {attr.name!r}?"
        else:
            close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
            folded = key.replace("_", "").lower()
            close = close or [n for n in names if n.replace("_", "").lower() == folded]
            hint = f"; did you mean {close[0]!r}?" if close else ""
        parts.append(f"{owner}() got an unexpected keyword argument {key!r}{hint}")
    if all("did you mean" in part for part in parts):
        return TypeError("; ".join(parts))
    known = f"takes {', '.join(names)}" if names else "takes no keywords"
    return TypeError("; ".join(parts) + f" ({owner} {known})")


def _parameters(cls: type[Element], original: Callable[..., None]) -> tuple[list[str], str]:
    """Return the parameter list source and the content expression ('' if none).

    Read from the code object rather than :mod:`inspect`, which is slow to import.
    """
    code = original.__code__
    names = code.co_varnames
    positional = code.co_argcount
    keyword_only = names[positional : positional + code.co_kwonlyargcount]
    fields = {attr.name for attr in cls.FIELDS}
    if set(keyword_only) != fields:
        odd = sorted(set(keyword_only) ^ fields)
        raise TypeError(f"{cls.__name__}.__init__ keywords {odd} do not match its attributes")
    source: list[str] = []
    content = ""
    defaults = original.__defaults__ or ()
    for index in range(1, positional):  # skip self
        name = names[index]
        default_index = index - (positional - len(defaults))
        default = f"={defaults[default_index]!r}" if default_index >= 0 else ""
        source.append(f"{name}{default}")
        content = f"({name},)"
    if positional > 1 and code.co_posonlyargcount == positional:
        source.append("/")
    if code.co_flags & 0x04:  # CO_VARARGS: *children / *content
        name = names[positional + code.co_kwonlyargcount]
        source.append(f"*{name}")
        content = name
    elif keyword_only:
        source.append("*")
    required = set(keyword_only) - set(original.__kwdefaults__ or {})
    source += [name if name in required else f"{name}=None" for name in keyword_only]
    source.append("**unknown")
    return source, content


def call_arguments(original: Callable[..., None]) -> str:
    """Return the argument list that passes every parameter of ``original`` on, by kind."""
    code = original.__code__
    names = code.co_varnames
    positional = code.co_argcount
    keyword_only = names[positional : positional + code.co_kwonlyargcount]
    arguments = list(names[1:positional])
    if code.co_flags & 0x04:  # CO_VARARGS
        arguments.append("*" + names[positional + code.co_kwonlyargcount])
    arguments += [f"{name}={name}" for name in keyword_only]
    return ", ".join(arguments)


def builder_method(cls: type[Element], returns_child: bool) -> Callable[..., Any]:
    """Return a container method that appends a ``cls`` built from its arguments.

    It is compiled with the parameters of ``cls``'s own ``__init__``, so ``help()``,
    :mod:`inspect` and editors show the verb's real signature.
    """
    original = getattr(cls.__init__, "__wrapped__", cls.__init__)
    params, _ = _parameters(cls, original)
    call = f"CHILD({', '.join(filter(None, [call_arguments(original), '**unknown']))})"
    if returns_child:
        body = f"    child = {call}\n    self.append(child)\n    return child\n"
    else:
        body = f"    return self.append({call})\n"
    shown = ", ".join(p for p in params if p != "**unknown")
    source = f"def method(self, {', '.join(params)}):\n{body}"
    # The signature help() and inspect show: the verb's own, without the **unknown that
    # only turns a mistyped keyword into a suggestion.
    source += f"def signature(self, {shown}):\n    pass\n"
    namespace: dict[str, Any] = {"CHILD": cls}
    exec(compile(source, f"<bxml builder for {cls.__name__}>", "exec"), namespace)  # noqa: S102
    method: Callable[..., Any] = namespace["method"]
    annotations = {k: v for k, v in original.__annotations__.items() if k != "return"}
    if returns_child:  # else the container, which the caller names
        annotations["return"] = cls.__name__
    method.__annotations__ = annotations
    namespace["signature"].__annotations__ = annotations
    method.__wrapped__ = namespace["signature"]  # type: ignore[attr-defined]
    return method


def _overrides(cls: type[Element], name: str) -> bool:
    from ._element import Element

    return getattr(cls, name) is not getattr(Element, name)


def _text_lines(cls: type[Element], text: str) -> list[str]:
    """Lines that store the text: printable ASCII not starting with whitespace is taken
    after the class's own check; anything else goes through _set_text."""
    plain = f"type({text}) is str and {text} and {text}.isascii() and {text}.isprintable()"
    plain += f" and {text}[0] not in ' \\t\\n\\r'"
    if _overrides(cls, "_text_problem"):
        plain += f" and self._text_problem({text}) is None"
    return [
        f"if {plain}:",
        f"    self._content = [{text}]",
        "else:",
        "    self._content = []",
        f"    self._set_text({text})",
    ]


def _content_lines(cls: type[Element], items: str, namespace: dict[str, Any]) -> list[str]:
    """Lines that store the children: taken as they are in the common, valid case
    (exact allowed classes within the count; one plain text), else through _add_all."""
    if cls.CONTENT == "mixed":
        plain = f"type(c := {items}[0]) is str and c and c.isascii() and c.isprintable()"
        return [
            f"if len({items}) == 1 and {plain}:",
            "    self._content = [c]",
            "else:",
            "    self._content = []",
            f"    if {items}:",
            f"        self._add_all({items})",
        ]
    namespace["EXACT"] = cls._CHILD_SET
    lines = [
        f"if {items}:",
        f"    for c in {items}:",
        "        if type(c) not in EXACT:",
        "            self._content = []",
        f"            self._add_all({items})",
        "            break",
        "    else:",
    ]
    if cls.MAX_CHILDREN is None:
        lines.append(f"        self._content = list({items})")
    else:
        lines += [
            f"        if len({items}) <= {cls.MAX_CHILDREN}:",
            f"            self._content = list({items})",
            "        else:",
            "            self._content = []",
            f"            self._add_all({items})",
        ]
    return [*lines, "else:", "    self._content = []"]


# Bytecode of the allowed __init__ bodies, by the shape of the signature (argument counts,
# varargs, docstring): the names do not change the bytecode, so few shapes are compiled.
_ALLOWED: dict[tuple[int, ...], list[tuple[bytes, tuple[str, ...], tuple[Any, ...]]]] = {}


def _shape(code: Any) -> tuple[str, str]:
    """Return a parameter list with made-up names and the content expression for it."""
    positional = code.co_argcount
    params = [f"p{index}" for index in range(1, positional)]
    if positional > 1 and code.co_posonlyargcount == positional:
        params.append("/")
    content = f"(p{positional - 1},)" if positional > 1 else "()"
    if code.co_flags & 0x04:  # CO_VARARGS
        params.append("*v")
        content = "v"
    elif code.co_kwonlyargcount:
        params.append("*")
    params += [f"k{index}" for index in range(code.co_kwonlyargcount)]
    return ", ".join(params), content


def _allowed(cls: type[Element], original: Callable[..., None]) -> list[Any]:
    code = original.__code__
    has_doc = original.__doc__ is not None
    key = (
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_flags & 0x04,
        has_doc,
        not cls.FIELDS,
    )
    found = _ALLOWED.get(key)
    if found is None:
        params, content = _shape(code)
        calls = [f"self._setup({content}, locals())"]
        if not cls.FIELDS:
            calls.append(f"self._setup({content}, {{}})")
        doc = "    'doc'\n" if has_doc else ""
        source = "".join(
            f"def allowed_{index}(self, {params}):\n{doc}    {call}\n"
            for index, call in enumerate(calls)
        )
        namespace: dict[str, Any] = {}
        exec(compile(source, "<bxml allowed __init__>", "exec"), namespace)  # noqa: S102
        found = _ALLOWED[key] = [
            _body(namespace[f"allowed_{index}"], has_doc) for index in range(len(calls))
        ]
    return found


def _body(
    function: Callable[..., None], has_doc: bool
) -> tuple[bytes, tuple[str, ...], tuple[Any, ...]]:
    code = function.__code__
    doc = function.__doc__
    consts = tuple(c for c in code.co_consts if not (has_doc and c == doc))
    return code.co_code, code.co_names, consts


def check_init(cls: type[Element], original: Callable[..., None]) -> None:
    """Refuse a hand-written ``__init__`` that does more than call ``self._setup``.

    Only the signature of that ``__init__`` is kept, so any other statement in it would
    silently never run. Its bytecode is compared with that of the allowed bodies.
    """
    _parameters(cls, original)  # its keywords must be the class's attributes
    if _body(original, original.__doc__ is not None) in _allowed(cls, original):
        return
    raise TypeError(
        f"{cls.__qualname__}.__init__ may only call self._setup(..., locals()): the rest "
        "of its body would never run, as its signature is compiled into a new __init__. "
        "Put checks that involve several attributes or children in _check_rules(self), "
        "checks of the text in _text_problem(self, text)."
    )


def lazy_init(cls: type[Element], original: Callable[..., None]) -> Callable[..., None]:
    """Check ``original`` now; return an ``__init__`` that compiles the fast one when first
    called (most programs build a few of the element classes, so most are never compiled).
    """
    check_init(cls, original)

    def __init__(self: Element, *args: Any, **kwargs: Any) -> None:
        init = compile_init(cls, original)
        if vars(cls).get("__init__") is __init__:
            cls.__init__ = init  # type: ignore[method-assign]
        init(self, *args, **kwargs)

    __init__.__doc__ = original.__doc__
    __init__.__qualname__ = original.__qualname__
    __init__.__module__ = original.__module__
    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    return __init__


def compile_init(cls: type[Element], original: Callable[..., None]) -> Callable[..., None]:
    """Return a fast ``__init__`` for ``cls`` with the signature of ``original``."""
    params, content = _parameters(cls, original)
    owner = cls.TAG or cls.__name__
    namespace: dict[str, Any] = {
        "missing": _missing,
        "OWNER": owner,
        "CLS": cls,
        "unknown_keywords": unknown_keywords,
    }
    body = ["if unknown:", "    raise unknown_keywords(CLS, unknown)", "v = {}", "h = self._HEAD"]
    for attr in cls.FIELDS:
        name = attr.name
        namespace[f"F_{name}"] = cls.FRAGMENTS[name]
        body += [f"if {name} is not None:", f"    h += F_{name}({name})"]
        body.append(f"    v[{name!r}] = {name}")
        if attr.required:
            body += ["else:", f"    raise missing(OWNER, {name!r})"]
    body += ["self._values = v", "self._head = h", "self._extra = None"]
    if cls.CONTENT == "text":
        body += _text_lines(cls, content.strip("(,)"))
    elif content:
        body += _content_lines(cls, content, namespace)
    else:
        body.append("self._content = []")
    if _overrides(cls, "_check_rules"):
        body.append("self._check_rules()")
    source = f"def __init__(self, {', '.join(params)}):\n"
    source += "".join(f"    {line}\n" for line in body)
    exec(compile(source, f"<bxml {owner}.__init__>", "exec"), namespace)  # noqa: S102
    init: Callable[..., None] = namespace["__init__"]
    init.__doc__ = original.__doc__
    init.__qualname__ = original.__qualname__
    init.__module__ = original.__module__
    init.__wrapped__ = original  # type: ignore[attr-defined]
    return init
