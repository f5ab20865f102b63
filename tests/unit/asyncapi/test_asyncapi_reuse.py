"""Shared schemas: a repeated object schema is written once and referenced."""

from __future__ import annotations

from inferrer.asyncapi.reuse import share_schemas

ADDRESS = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "street": {"type": "string"}},
    "required": ["city", "street"],
}


def test_a_repeated_object_becomes_one_named_component() -> None:
    schemas = {
        "CustomerMoved": {
            "type": "object",
            "properties": {
                "newAddress": ADDRESS,
                "previousAddress": ADDRESS,
                "id": {"type": "integer"},
            },
        },
        "OrderPlaced": {
            "type": "object",
            "properties": {
                "shippingAddress": ADDRESS,
                "lines": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"a": {}, "b": {}}},
                },
                "returns": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"a": {}, "b": {}}},
                },
            },
        },
    }
    shared = share_schemas(schemas)
    assert shared["Address"] == ADDRESS
    ref = {"$ref": "#/components/schemas/Address"}
    assert shared["CustomerMoved"]["properties"]["previousAddress"] == ref
    assert shared["OrderPlaced"]["properties"]["shippingAddress"] == ref
    # lines and returns share an item schema: named from the shorter array, singular.
    assert shared["OrderPlaced"]["properties"]["lines"]["items"] == {
        "$ref": "#/components/schemas/Line"
    }
    assert schemas["OrderPlaced"]["properties"]["shippingAddress"] == ADDRESS  # not modified
    assert share_schemas(dict(reversed(list(schemas.items())))) == shared  # order-free


def test_a_small_or_unique_object_stays_inline() -> None:
    small = {"type": "object", "properties": {"x": {"type": "integer"}}}
    schemas = {"A": {"type": "object", "properties": {"p": small, "q": small, "r": ADDRESS}}}
    assert share_schemas(schemas) == schemas


def test_a_shared_schema_inside_another_is_shared_too_in_a_later_pass() -> None:
    money = {"type": "object", "properties": {"amount": {"type": "number"}, "currency": {}}}
    line = {"type": "object", "properties": {"sku": {"type": "string"}, "price": money}}
    schemas = {
        "A": {"type": "object", "properties": {"first": line, "second": line}},
        "B": {"type": "object", "properties": {"refund": money}},
    }
    shared = share_schemas(schemas)
    ref = "#/components/schemas/"
    line_name = shared["A"]["properties"]["first"]["$ref"].removeprefix(ref)
    money_ref = {"$ref": shared["B"]["properties"]["refund"]["$ref"]}
    assert shared["A"]["properties"]["second"] == {"$ref": ref + line_name}
    # Money occurs once inside the line component and once in B: shared.
    assert shared[line_name]["properties"]["price"] == money_ref
    assert shared[money_ref["$ref"].removeprefix(ref)] == money
