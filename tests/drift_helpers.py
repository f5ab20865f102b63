"""Small in-memory AsyncAPI documents for the drift tests."""

from __future__ import annotations

import copy
from typing import Any


def order_spec() -> dict[str, Any]:
    """One topic, one message kind with a discriminator, a key, headers and bindings."""
    return copy.deepcopy(
        {
            "asyncapi": "3.0.0",
            "info": {"title": "Orders", "version": "1.0.0"},
            "channels": {
                "orders": {
                    "address": "shop.orders",
                    "messages": {
                        "OrderPlaced": {
                            "name": "OrderPlaced",
                            "payload": {
                                "type": "object",
                                "discriminator": "type",
                                "properties": {
                                    "type": {"type": "string", "const": "OrderPlaced"},
                                    "orderId": {"type": "string", "format": "uuid"},
                                    "amount": {"type": "number"},
                                    "status": {"type": "string", "enum": ["NEW", "PAID"]},
                                    "coupon": {"type": "string"},
                                    "lines": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "sku": {"type": "string"},
                                                "qty": {"type": "integer", "minimum": 1},
                                            },
                                            "required": ["sku"],
                                        },
                                    },
                                },
                                "required": ["type", "orderId", "amount"],
                            },
                            "headers": {
                                "type": "object",
                                "properties": {"traceparent": {"type": "string"}},
                            },
                            "bindings": {"kafka": {"key": {"type": "string"}}},
                        }
                    },
                    "bindings": {
                        "kafka": {
                            "partitions": 3,
                            "replicas": 3,
                            "topicConfiguration": {
                                "cleanup.policy": ["delete"],
                                "retention.ms": 604800000,
                                "max.message.bytes": 1048576,
                            },
                        }
                    },
                }
            },
            "operations": {
                "billing": {
                    "action": "receive",
                    "channel": {"$ref": "#/channels/orders"},
                    "bindings": {"kafka": {"groupId": {"type": "string", "enum": ["billing"]}}},
                }
            },
        }
    )


PAYLOAD = "/channels/orders/messages/OrderPlaced/payload"


def payload_of(spec: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = spec["channels"]["orders"]["messages"]["OrderPlaced"]["payload"]
    return result
