"""The API description and the route table agree; the description is valid OpenAPI 3.1 and
the message schemas valid JSON Schema; both are served."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from jsonschema import Draft202012Validator
from schemathesis.core.result import Ok

from nvrd.api import contract
from nvrd.app import routes
from tests.support.contract import documented_operations, http_operations, socket_paths


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return contract.openapi()


@pytest.fixture(scope="module")
def messages() -> dict[str, Any]:
    return contract.messages()


def test_every_route_is_documented(doc: dict[str, Any]) -> None:
    missing = http_operations(routes()) - documented_operations(doc)
    assert not missing, f"routes missing from openapi.yaml: {sorted(missing)}"


def test_every_documented_operation_is_routed(doc: dict[str, Any]) -> None:
    extra = documented_operations(doc) - http_operations(routes())
    assert not extra, f"openapi.yaml documents what nvrd does not route: {sorted(extra)}"


def test_every_socket_is_described(messages: dict[str, Any]) -> None:
    assert socket_paths(routes()) == set(messages["sockets"])


def test_socket_messages_name_defined_schemas(messages: dict[str, Any]) -> None:
    defs = messages["$defs"]
    for path, sock in messages["sockets"].items():
        if "sameAs" in sock:
            assert sock["sameAs"] in messages["sockets"], path
            continue
        for name in [*sock["server"], *sock["client"]]:
            assert name in defs, f"{path}: no schema {name}"


def test_message_schemas_are_valid(messages: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(messages)
    for schema in messages["$defs"].values():
        Draft202012Validator.check_schema(schema)


def test_description_is_valid_openapi(doc: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_dict(doc)
    assert schema.validate() is None
    ops = set()
    for r in schema.get_all_operations():
        assert isinstance(r, Ok), r.err()
        ops.add((r.ok().path, r.ok().method))
    assert ops == documented_operations(doc)


def test_every_schema_in_the_description_is_valid(doc: dict[str, Any]) -> None:
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_openapi_json_is_served(client: Any) -> None:
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["openapi"] == "3.1.0"
    assert "TS-API@0.9.20" in body["info"]["version"]
    assert set(body["paths"]) == {p for p, _ in documented_operations(body)}


def test_messages_json_is_served(client: Any) -> None:
    r = client.get("/api/messages.json?indent=2")
    assert r.status_code == 200
    assert "/wsapi/subscribeEvents" in r.json()["sockets"]


def test_description_rejects_unknown_parameters(client: Any) -> None:
    r = client.get("/api/openapi.json?bogus=1")
    assert r.status_code == 400
    assert r.json()["code"] == -1


def _params(doc: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The parameters of ``GET path``, references resolved."""
    out = []
    for p in doc["paths"][path]["get"]["parameters"]:
        if "$ref" in p:
            p = doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        out.append(p)
    return out


def _query_param(doc: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    for p in _params(doc, path):
        if p["name"] == name and p["in"] == "query":
            return dict(p["schema"])
    raise AssertionError(f"{path}: no query parameter {name}")


def test_enumerated_choices_are_the_implemented_ones(doc: dict[str, Any]) -> None:
    from nvrd.api import enum as enum_api
    from nvrd.api import find as find_api
    from nvrd.api import system as system_api

    assert set(_query_param(doc, "/api/enum", "what")["enum"]) == set(enum_api._WHAT)
    assert set(_query_param(doc, "/api/find", "what")["enum"]) == set(find_api._WHAT)
    names = {p["name"] for p in _params(doc, "/api/system")}
    assert names == set(system_api.ACTIONS) | {"indent", "lang"}


def test_view_mp4_parameters_are_the_accepted_ones(doc: dict[str, Any]) -> None:
    from nvrd.api.downloads import VIEW_PARAMS
    from nvrd.core.params import COMMON_PARAMS

    names = {p["name"] for p in _params(doc, "/api/view.mp4") if p["in"] == "query"}
    assert names | COMMON_PARAMS == VIEW_PARAMS


def test_socket_parameters_and_topics_are_the_implemented_ones(messages: dict[str, Any]) -> None:
    from nvrd.api.eventmsg import WS_TOPICS
    from nvrd.export.params import PARAMS

    assert set(messages["$defs"]["topic"]["enum"]) == set(WS_TOPICS)
    export_query = set(messages["sockets"]["/wsapi/dataExport"]["query"])
    assert export_query == set(PARAMS) | {"indent"}
