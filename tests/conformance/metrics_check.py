"""/metrics read by the Prometheus project's own Python parser (prometheus_client), after the
fuzzers have sent their requests: the exposition must parse whole, and hold the request metrics
by route pattern and status, the histograms with their buckets, and the store's metrics."""

import os
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    url = os.environ["PROCURA_URL"] + "/metrics"
    with urllib.request.urlopen(url, timeout=10) as answer:
        content_type = answer.headers["Content-Type"]
        text = answer.read().decode("utf-8")
    assert content_type.startswith("text/plain; version=0.0.4"), content_type

    families = {f.name: f for f in text_string_to_metric_families(text)}
    requests = families["procura_http_requests"]
    assert requests.type == "counter", requests.type
    routes = {s.labels["route"] for s in requests.samples}
    assert "/v2/purchase_orders/{purchase_order_id}" in routes, sorted(routes)
    assert not any("se-" in r for r in routes), "ids never become label values"
    statuses = {s.labels["status"] for s in requests.samples}
    assert {"200", "400", "404"} <= statuses, sorted(statuses)

    duration = families["procura_http_request_duration_seconds"]
    assert duration.type == "histogram", duration.type
    buckets = [s for s in duration.samples if s.name.endswith("_bucket")]
    assert any(s.labels["le"] == "+Inf" for s in buckets)

    for name, kind in [
        ("procura_http_requests_in_flight", "gauge"),
        ("procura_sqlite_writer_queue", "gauge"),
        ("procura_sqlite_group_jobs", "histogram"),
        ("procura_sqlite_commit_seconds", "histogram"),
    ]:
        assert families[name].type == kind, (name, families[name].type)
    print(f"conformance: /metrics parsed: {len(families)} families, {len(routes)} routes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
