"""Not stricter than the platform: the emulator's request checks agree with Bandwidth's OpenAPI
contract (../shared/contract/bandwidth.yml): every documented field is taken, ranges match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from callcontrol.emulator import validate

ROOT = Path(__file__).resolve().parents[3]
CANDIDATES = [base / "shared/contract/bandwidth.yml" for base in (ROOT.parent, ROOT.parent.parent)]
SPEC_PATH = next((path for path in CANDIDATES if path.is_file()), None)
if SPEC_PATH is None:
    pytest.skip(
        f"the OpenAPI contract is not here ({CANDIDATES[0]}); it lives in ../shared/contract",
        allow_module_level=True,
    )
yaml = pytest.importorskip("yaml")


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    assert SPEC_PATH is not None
    spec = yaml.safe_load(SPEC_PATH.read_text())
    return dict(spec["components"]["schemas"])


@pytest.mark.parametrize(
    ("schema", "ours"),
    [("createCall", validate._CREATE_FIELDS), ("updateCall", validate._UPDATE_FIELDS)],
)
def test_every_documented_field_is_known(
    schemas: dict[str, Any], schema: str, ours: dict[str, str]
) -> None:
    assert set(schemas[schema]["properties"]) == set(ours)


def test_numeric_ranges_are_the_contracts(schemas: dict[str, Any]) -> None:
    properties = schemas["createCall"]["properties"]
    for name, (low, high) in validate._RANGES.items():
        assert (properties[name]["minimum"], properties[name]["maximum"]) == (low, high), name


def test_length_limits_are_the_contracts(schemas: dict[str, Any]) -> None:
    properties = schemas["createCall"]["properties"]
    assert properties["answerUrl"]["maxLength"] == validate.MAX_URL
    assert properties["username"]["maxLength"] == validate.MAX_CREDENTIAL
    assert properties["tag"]["maxLength"] == validate.MAX_TAG
    assert properties["displayName"]["maxLength"] == 256
