//! The SQLite delivery queues (migration 0012): an order's deliveries to a webhook go one at a
//! time, oldest first, and none is ever left waiting behind nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, params};

use super::{due, redeliver, settle};
use crate::domain::event::{Actor, NewEvent};
use crate::domain::ids::{AccountId, DeliveryId, PurchaseOrderId, WebhookId};
use crate::domain::status::Status;
use crate::store::Attempt;
use crate::store::sqlite::events::append_event;
use crate::store::sqlite::migrate;
use crate::store::write::Origin;

const ORDERS: i64 = 4;

/// A database with two webhooks listening to status changes. Foreign keys are off: the orders
/// the events name need not exist here.
fn database() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    migrate::run(&mut conn).unwrap();
    subscribe(&conn);
    conn
}

fn subscribe(conn: &Connection) {
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO webhooks (id, account_id, name, url, event, headers, secret, created_at)
             VALUES (1, 1, 'a', 'https://a.example', 'purchase_order_status_changed_v2', '[]', 'whsec_', 0),
                    (2, 1, 'b', 'https://b.example', 'purchase_order_status_changed_v2', '[]', 'whsec_', 0);",
    )
    .unwrap();
}

fn origin() -> Origin {
    Origin {
        account: AccountId(1),
        actor: Actor::System,
        request_id: None,
    }
}

fn event(conn: &Connection, order: i64) {
    let event = NewEvent::status_changed(PurchaseOrderId(order), Status::Open, Status::Received);
    append_event(conn, &origin(), &event).unwrap();
}

/// Everything due whenever the worker looks, in the order it would send them.
fn due_ids(conn: &Connection) -> Vec<i64> {
    let later = Utc::now() + Duration::days(365);
    due(conn, later, 10_000)
        .unwrap()
        .into_iter()
        .map(|d| d.id.0)
        .collect()
}

fn attempt(at: DateTime<Utc>, delivered: bool, retry_at: Option<DateTime<Utc>>) -> Attempt {
    Attempt {
        at,
        delivered,
        status: Some(if delivered { 200 } else { 500 }),
        response: String::new(),
        retry_at,
    }
}

#[derive(Debug)]
struct Row {
    webhook: i64,
    order: i64,
    done: bool,
    /// Sent again by hand after it was done: it goes beside the order's queue, not in it.
    redelivered: bool,
}

/// Random events, attempts that succeed, fail for good or are retried, and redeliveries, checked
/// after every step against what the worker must see: a delivery is due only once every older
/// delivery of its order to its webhook is done (a redelivery aside), and a webhook and order
/// with deliveries pending always has one due.
#[test]
fn an_orders_deliveries_go_one_at_a_time_in_order_and_none_is_stranded() {
    for seed in 0..20 {
        let conn = database();
        let mut rng = StdRng::seed_from_u64(seed);
        let mut rows: BTreeMap<i64, Row> = BTreeMap::new();
        for _ in 0..400 {
            let now = Utc::now();
            match rng.random_range(0..100) {
                0..40 => {
                    let order = rng.random_range(1..=ORDERS);
                    event(&conn, order);
                    let mut s = conn
                        .prepare(
                            "SELECT id, webhook_id FROM webhook_deliveries
                             WHERE event_id = (SELECT MAX(id) FROM events)",
                        )
                        .unwrap();
                    let new = s
                        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                        .unwrap()
                        .map(Result::unwrap)
                        .collect::<Vec<(i64, i64)>>();
                    assert_eq!(new.len(), 2);
                    for (id, webhook) in new {
                        let row = Row {
                            webhook,
                            order,
                            done: false,
                            redelivered: false,
                        };
                        rows.insert(id, row);
                    }
                }
                40..88 => {
                    for id in due_ids(&conn) {
                        if rng.random_bool(0.4) {
                            continue;
                        }
                        let (delivered, retry_at) = match rng.random_range(0..20) {
                            0..12 => (true, None),
                            12..17 => (false, Some(now)),
                            _ => (false, None),
                        };
                        settle(&conn, DeliveryId(id), &attempt(now, delivered, retry_at)).unwrap();
                        rows.get_mut(&id).unwrap().done = retry_at.is_none();
                    }
                }
                88..96 => {
                    let done: Vec<i64> = rows
                        .iter()
                        .filter(|(_, r)| r.done)
                        .map(|(id, _)| *id)
                        .collect();
                    if let Some(&id) = done.get(rng.random_range(0..done.len().max(1))) {
                        let row = rows.get_mut(&id).unwrap();
                        redeliver(&conn, WebhookId(row.webhook), DeliveryId(id), now).unwrap();
                        row.done = false;
                        row.redelivered = true;
                    }
                }
                _ => {
                    let pending: Vec<i64> = rows
                        .iter()
                        .filter(|(_, r)| !r.done)
                        .map(|(id, _)| *id)
                        .collect();
                    if let Some(&id) = pending.get(rng.random_range(0..pending.len().max(1))) {
                        let webhook = WebhookId(rows[&id].webhook);
                        redeliver(&conn, webhook, DeliveryId(id), now).unwrap();
                    }
                }
            }
            check(&conn, &rows, seed);
        }
        // Delivered as they come due, everything goes.
        for _ in 0..rows.len() + 1 {
            let due = due_ids(&conn);
            if due.is_empty() {
                break;
            }
            for id in due {
                settle(&conn, DeliveryId(id), &attempt(Utc::now(), true, None)).unwrap();
                rows.get_mut(&id).unwrap().done = true;
            }
            check(&conn, &rows, seed);
        }
        let pending: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(pending, 0, "seed {seed}");
        assert!(rows.values().all(|r| r.done), "seed {seed}");
    }
}

fn check(conn: &Connection, rows: &BTreeMap<i64, Row>, seed: u64) {
    let due = due_ids(conn);
    for &id in &due {
        let row = &rows[&id];
        assert!(!row.done, "seed {seed}: {id} is due but done");
        if row.redelivered {
            continue;
        }
        let waiting_on: Vec<i64> = rows
            .range(..id)
            .filter(|(_, r)| {
                r.webhook == row.webhook && r.order == row.order && !r.done && !r.redelivered
            })
            .map(|(id, _)| *id)
            .collect();
        assert!(
            waiting_on.is_empty(),
            "seed {seed}: {id} is due before {waiting_on:?}"
        );
    }
    for webhook in 1..=2 {
        for order in 1..=ORDERS {
            let pending = rows
                .values()
                .any(|r| r.webhook == webhook && r.order == order && !r.done);
            let going = due
                .iter()
                .any(|id| rows[id].webhook == webhook && rows[id].order == order);
            assert_eq!(
                pending, going,
                "seed {seed}: webhook {webhook}, order {order}: {rows:?}, due {due:?}"
            );
        }
    }
}

/// A database at version 11 with deliveries pending is migrated with each order's oldest
/// pending delivery as its head, and the others queued behind it.
#[test]
fn migration_0012_queues_the_deliveries_already_pending() {
    let mut conn = migrate::database_at(11);
    subscribe(&conn);
    // Orders 1, 2, 1, 1, 2 for both webhooks: deliveries 1 to 10.
    // Written as version 11 wrote them.
    for (event, order) in [1, 2, 1, 1, 2].into_iter().enumerate() {
        let event = event as i64 + 1;
        conn.execute(
            "INSERT INTO events (id, account_id, position, purchase_order_id, type, occurred_at,
                                 actor, data)
             VALUES (?1, 1, ?1, ?2, 'purchase_order.status_changed', ?1, 'system', '{}')",
            params![event, order],
        )
        .unwrap();
        for webhook in [1, 2] {
            conn.execute(
                "INSERT INTO webhook_deliveries (webhook_id, event_id, purchase_order_id, state,
                                                 next_attempt_at, created_at)
                 VALUES (?1, ?2, ?3, 'pending', ?2, ?2)",
                params![webhook, event, order],
            )
            .unwrap();
        }
    }
    // Done: the first of order 1 to webhook 1 (delivery 1), and order 2's first to webhook 2 (4).
    conn.execute(
        "UPDATE webhook_deliveries SET state = 'delivered' WHERE id IN (1, 4)",
        [],
    )
    .unwrap();
    migrate::run(&mut conn).unwrap();

    let queued: Vec<(i64, i64, i64, bool)> = conn
        .prepare(
            "SELECT id, webhook_id, purchase_order_id, queued FROM webhook_deliveries ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        queued,
        [
            (1, 1, 1, false),
            (2, 2, 1, false),
            (3, 1, 2, false),
            (4, 2, 2, false),
            (5, 1, 1, false),
            (6, 2, 1, true),
            (7, 1, 1, true),
            (8, 2, 1, true),
            (9, 1, 2, true),
            (10, 2, 2, false),
        ]
    );
    assert_eq!(due_ids(&conn), [2, 3, 5, 10]);
    // Each head, once delivered, makes way for its order's next.
    for id in [2, 3, 5, 10] {
        settle(&conn, DeliveryId(id), &attempt(Utc::now(), true, None)).unwrap();
    }
    assert_eq!(due_ids(&conn), [6, 7, 9]);
}

/// A redelivered event that fails goes back to wait for its retry without holding up the
/// order's head beside it; the deliveries queued behind both show the retry's time.
#[test]
fn a_failing_redelivery_holds_up_the_queue_but_not_the_head_beside_it() {
    let conn = database();
    for _ in 0..3 {
        event(&conn, 1);
    }
    // Webhook 1's deliveries of order 1: 1 (head), 3 and 5 (queued). The first is delivered and
    // 3 becomes the head; then 1 is sent again, beside it.
    let now = Utc::now();
    settle(&conn, DeliveryId(1), &attempt(now, true, None)).unwrap();
    redeliver(&conn, WebhookId(1), DeliveryId(1), now).unwrap();
    let webhook_1 = |conn: &Connection| -> Vec<i64> {
        due(conn, now + Duration::seconds(1), 100)
            .unwrap()
            .into_iter()
            .filter(|d| d.webhook_id == WebhookId(1))
            .map(|d| d.id.0)
            .collect()
    };
    assert_eq!(webhook_1(&conn), [3, 1], "oldest due first");

    let retry = now + Duration::hours(1);
    settle(&conn, DeliveryId(1), &attempt(now, false, Some(retry))).unwrap();
    assert_eq!(webhook_1(&conn), [3]);
    let next_attempt = |id: i64| -> i64 {
        conn.query_row(
            "SELECT next_attempt_at FROM webhook_deliveries WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(next_attempt(5), retry.timestamp_micros());
    assert!(next_attempt(3) <= now.timestamp_micros());
}
