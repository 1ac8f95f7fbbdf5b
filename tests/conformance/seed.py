"""Seeds a running Procura and writes a schemathesis configuration that points at the seed.

Usage: seed.py OUT.toml   (reads PROCURA_URL and PROCURA_API_KEY)

The ShipStation document declares no OpenAPI links, so schemathesis cannot learn ids from one
answer to use in the next. Fixed ids of real objects, one order per operation in the status
that operation needs, let fuzzing reach the stored orders, receipts and documents instead of
stopping at 404s.
"""

import json
import os
import sys
import urllib.request

URL = os.environ["PROCURA_URL"]
KEY = os.environ["PROCURA_API_KEY"]


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        URL + path,
        data=data,
        method=method,
        headers={"API-Key": KEY, "Content-Type": "application/json"},
    )
    # Any non-2xx raises: a seed that did not take would make every later check meaningless.
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


def order(supplier, warehouse, status=None):
    created = call("POST", "/v2/purchase_orders", {
        "supplier_id": supplier,
        "warehouse_id": warehouse,
        "products": [{"sku": "SEED-1", "quantity": 10, "cost": 2.5}],
    })
    po = created["purchase_order_id"]
    if status:
        call("POST", f"/v2/purchase_orders/{po}/status", {"status": status})
    return po


def main(out):
    supplier = call("POST", "/v2/suppliers", {"supplier_name": "Seed Supplier"})["supplier_id"]
    warehouse = call("POST", "/v2/inventory_warehouses", {"name": "Seed Warehouse"})
    warehouse = warehouse["inventory_warehouse_id"]
    location = call("POST", "/v2/inventory_locations", {
        "name": "A-01", "inventory_warehouse_id": warehouse,
    })["inventory_location_id"]

    receiving = order(supplier, warehouse, "open")
    call("POST", f"/v2/purchase_orders/{receiving}/receives", {"product_receives": [
        {"sku": "SEED-1", "inventory_location_id": location, "received_quantity": 4},
    ]})
    per_operation = {
        "PUT /v2/purchase_orders/{purchase_order_id}": order(supplier, warehouse),
        "POST /v2/purchase_orders/{purchase_order_id}/status": order(supplier, warehouse),
        "POST /v2/purchase_orders/{purchase_order_id}/shipping_details":
            order(supplier, warehouse, "open"),
        "POST /v2/purchase_orders/{purchase_order_id}/receives":
            order(supplier, warehouse, "open"),
        "GET /v2/purchase_orders/{purchase_order_id}/documents/order_summary":
            order(supplier, warehouse, "open"),
        "GET /v2/purchase_orders/{purchase_order_id}/documents/received_summary": receiving,
        "GET /v2/purchase_orders/{purchase_order_id}": receiving,
    }

    # TOML by hand: the values are plain ids, and Python 3.11 reads TOML but cannot write it.
    lines = [
        "[parameters]",
        f'"path.supplier_id" = "{supplier}"',
        f'"path.inventory_warehouse_id" = "{warehouse}"',
        f'"path.inventory_location_id" = "{location}"',
        # The same ids inside bodies, wherever an operation's body has the field, so that
        # generated orders, locations and receipts name objects that exist.
        f'"body.supplier_id" = "{supplier}"',
        f'"body.warehouse_id" = "{warehouse}"',
        f'"body.inventory_warehouse_id" = "{warehouse}"',
        f'"body.product_receives[*].inventory_location_id" = "{location}"',
        '"body.product_receives[*].sku" = "SEED-1"',
        "",
    ]
    for name, po in per_operation.items():
        lines += [
            "[[operations]]",
            f'include-name = "{name}"',
            f'parameters = {{ "path.purchase_order_id" = "{po}" }}',
            "",
        ]
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print(f"seeded: supplier {supplier}, warehouse {warehouse}, location {location}, "
          f"orders {', '.join(sorted(set(per_operation.values())))}")


if __name__ == "__main__":
    main(*sys.argv[1:])
