"""Invariants of explore() over generated IVRs (hypothesis)."""

from __future__ import annotations

from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from callcontrol.engine import Press
from callcontrol.testing import CallSimulator, explore, press
from tests.callcontrol.testing.explore_apps import Reply, menu, say, table_app, tree_ivr


@settings(max_examples=8, deadline=None)
@given(levels=st.integers(1, 3), keys=st.integers(1, 3))
def test_healthy_trees_have_no_findings_and_every_node_is_reached(levels, keys):
    app, menus = tree_ivr(levels, keys)
    graph = explore(app)
    assert graph.findings == [] and graph.notes == []
    reached = {"n1"}
    for _ in graph.nodes:
        reached |= {e.target for e in graph.edges if e.source in reached}
    assert reached == set(graph.nodes)
    served = {n.url for n in graph.nodes.values() if n.kind == "document"}
    assert len([u for u in served if not u.endswith("/again")]) == menus + 1


@settings(max_examples=15, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from("123"),
        st.dictionaries(st.sampled_from("123"), st.booleans(), min_size=1),
        min_size=1,
    )
)
def test_silent_leaves_are_found_with_the_keys_that_reach_them(tree):
    routes: dict[str, Reply] = {"/answer": menu("Top.", "/top")}
    top: dict[str, str] = {}
    for first, leaves in tree.items():
        top[first] = menu(f"Menu {first}.", f"/m{first}")
        table = {
            k: ("<Response><Hangup/></Response>" if silent else say("Bye."))
            for k, silent in leaves.items()
        }

        def leaf(event: dict[str, Any], table: dict[str, str] = table) -> str:
            return table.get(event["digits"], say("No."))

        routes[f"/m{first}"] = leaf
    routes["/top"] = lambda event: top.get(event["digits"], say("No."))
    graph = explore(table_app(routes))
    expected = {
        (first, min(k for k, silent in leaves.items() if silent))
        for first, leaves in tree.items()
        if any(leaves.values())
    }
    found = {tuple(cast(Press, step).digits for step in f.path) for f in graph.findings}
    assert [f.kind for f in graph.findings] == ["silence"] * len(expected)
    assert found == expected
    sim = CallSimulator(table_app(routes))
    for first, key in expected:
        call = sim.inbound("/answer", script=[press(first), press(key)])
        call.assert_ended("hangup")


FLAWS = {
    "ok": ("", say("Thanks. Goodbye.")),
    "silence": ("silence", "<Response><Hangup/></Response>"),
    "app-error": ("app-error", None),
    "invalid-bxml": ("invalid-bxml", "<Response><SpeakSentence>cut"),
    "callback-error": ("callback-error", '<Response><Redirect redirectUrl="/gone"/></Response>'),
    "endless-loop": ("endless-loop", '<Response><Redirect redirectUrl="/loop"/></Response>'),
}


@settings(max_examples=12, deadline=None)
@given(st.dictionaries(st.sampled_from("123456789"), st.sampled_from(sorted(FLAWS)), min_size=1))
def test_planted_flaws_are_found_once_each_by_the_first_key_that_shows_them(keys):
    def choose(event: dict[str, Any]) -> str:
        reply = FLAWS[keys.get(event["digits"], "ok")][1]
        if reply is None:
            raise RuntimeError("planted")
        return reply

    app = table_app(
        {
            "/answer": menu("Choose.", "/choose"),
            "/choose": lambda event: choose(event) if event["digits"] else say("Bye."),
            "/loop": '<Response><Pause duration="1"/><Redirect redirectUrl="/loop"/></Response>',
        }
    )
    graph = explore(app)
    expected: dict[str, list[Press]] = {}
    for key in sorted(keys):
        kind = FLAWS[keys[key]][0]
        if kind:
            expected.setdefault(kind, [press(key)])
    assert {f.kind: f.path for f in graph.findings} == expected
    assert len(graph.findings) == len(expected)
