"""Writes the ShipStation document restricted to the operations Procura serves.

Usage: restrict_spec.py SOURCE.yaml OUT.yaml

The whole document describes dozens of resources Procura does not implement; fuzzing or
generating a client from those would only test 404s. Components are kept whole: unused ones
are harmless, and pruning them by hand would be a second copy of the reference graph.
"""

import sys

import yaml

# The paths of DECISIONS.md's resource table, with the methods Procura serves on each.
SERVED = {
    "/v2/purchase_orders": {"get", "post"},
    "/v2/purchase_orders/{purchase_order_id}": {"get", "put"},
    "/v2/purchase_orders/{purchase_order_id}/shipping_details": {"post"},
    "/v2/purchase_orders/{purchase_order_id}/status": {"post"},
    "/v2/purchase_orders/{purchase_order_id}/receives": {"post"},
    "/v2/purchase_orders/{purchase_order_id}/documents/order_summary": {"get"},
    "/v2/purchase_orders/{purchase_order_id}/documents/received_summary": {"get"},
    "/v2/suppliers": {"get", "post"},
    "/v2/suppliers/{supplier_id}": {"get", "put"},
    "/v2/inventory_warehouses": {"get", "post"},
    "/v2/inventory_warehouses/{inventory_warehouse_id}": {"get", "put", "delete"},
    "/v2/inventory_locations": {"get", "post"},
    "/v2/inventory_locations/{inventory_location_id}": {"get", "put", "delete"},
    "/v2/inventory": {"get"},
}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def allow_null_in_shipping_details(doc):
    """DECISIONS.md section 3 makes `shipping_details` a patch where an explicit `null` clears a
    field; the document types those fields as plain strings. DECISIONS wins, so the copy the
    checks read says so, and `null` there is not counted as a schema-violating request."""
    operation = doc["paths"]["/v2/purchase_orders/{purchase_order_id}/shipping_details"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    for field in schema["properties"].values():
        field["type"] = [field["type"], "null"]


def main(source, out):
    with open(source, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    paths = {}
    for path, methods in SERVED.items():
        item = doc["paths"][path]  # a KeyError here means the document changed: fail loudly
        paths[path] = {k: v for k, v in item.items() if k not in METHODS or k in methods}
    doc["paths"] = paths
    allow_null_in_shipping_details(doc)
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
