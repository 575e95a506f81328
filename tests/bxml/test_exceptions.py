"""bxml.exceptions: the tree, and Problem as an immutable value."""

from __future__ import annotations

import copy
import pickle

import pytest

import bxml
from bxml import Problem


def test_the_tree() -> None:
    assert issubclass(bxml.InvalidValueError, bxml.BxmlError) and issubclass(
        bxml.InvalidValueError, ValueError
    )
    assert issubclass(bxml.NestingError, bxml.BxmlError) and issubclass(
        bxml.NestingError, TypeError
    )
    assert issubclass(bxml.ParseError, ValueError) and issubclass(bxml.ValidationError, ValueError)


def test_problem_is_an_immutable_value() -> None:
    problem = Problem("/Response/Gather[1]/@maxDigits", 3, "99 is too many", "BX104")
    same = Problem("/Response/Gather[1]/@maxDigits", 3, "99 is too many", code="BX104")
    assert problem == same and hash(problem) == hash(same) and len({problem, same}) == 1
    assert problem != Problem("/Response/Gather[1]/@maxDigits", 4, "99 is too many", "BX104")
    assert problem != ("/Response/Gather[1]/@maxDigits", 3, "99 is too many", "BX104")
    with pytest.raises(AttributeError, match="immutable"):
        problem.line = 4
    with pytest.raises(AttributeError, match="immutable"):
        del problem.code
    assert Problem("/Response", None, "m").code is None


def test_problem_reads_well_and_survives_copies() -> None:
    problem = Problem("/Response/Hangup[1]", 2, "never runs", "BX101")
    assert str(problem) == "/Response/Hangup[1] (line 2): never runs [BX101]"
    assert str(Problem("/Response", None, "m")) == "/Response: m"
    assert repr(problem) == (
        "Problem(path='/Response/Hangup[1]', line=2, message='never runs', code='BX101')"
    )
    assert pickle.loads(pickle.dumps(problem)) == problem
    assert copy.copy(problem) == problem and copy.deepcopy(problem) == problem


def test_import_bxml_compiles_nothing_it_does_not_need() -> None:
    import subprocess
    import sys

    code = (
        "import bxml, bxml._values as v\n"
        "root = vars(bxml.document.Root)\n"
        "print(sorted(v._compiled), type(root['bridge']).__name__,"
        " vars(bxml.Gather)['__init__'].__code__.co_filename)\n"
        "bxml.Response().gather(max_digits=1)\n"
        "print(type(vars(bxml.document.Root)['gather']).__name__,"
        " vars(bxml.Gather)['__init__'].__code__.co_filename)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = out.stdout.splitlines()
    assert before.startswith("[] _Builder ") and "<bxml" not in before
    assert after == "function <bxml Gather.__init__>"
