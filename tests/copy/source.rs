//! The SQLite database to copy, built through the store.

use super::*;
use procura::store::{Claim, KeptAnswer, Once, Write};

/// What one account holds, by id.
pub(super) struct Built {
    pub(super) id: AccountId,
    pub(super) secret: String,
    pub(super) suppliers: Vec<SupplierId>,
    pub(super) warehouses: Vec<WarehouseId>,
    pub(super) locations: Vec<LocationId>,
    pub(super) orders: Vec<PurchaseOrderId>,
}

pub(super) struct Source {
    pub(super) _dir: tempfile::TempDir,
    pub(super) path: PathBuf,
    pub(super) accounts: Vec<Built>,
    pub(super) revoked_secret: String,
}

impl Source {
    /// Two accounts with suppliers, warehouses, locations, orders in every status and receipts
    /// with lots; a third key, revoked. The store is closed when this returns.
    pub(super) async fn build() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("procura.db");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        let first = build_account(store.as_ref(), 0).await;
        let revoked = NewApiKey::generate();
        let revoked_secret = revoked.secret.clone();
        let revoked_id = store.create_key(first.id, revoked).await.unwrap();
        store.revoke_key(revoked_id).await.unwrap();
        let second = build_account(store.as_ref(), 1).await;
        // What a server's first start writes: the key of its cursors, copied like any table.
        let secret = store.secret("cursor_hmac", vec![7; 32]).await.unwrap();
        assert_eq!(secret, vec![7; 32]);
        drop(store);
        Self {
            _dir: dir,
            path,
            accounts: vec![first, second],
            revoked_secret,
        }
    }
}

pub(super) async fn build_account(store: &dyn Store, n: usize) -> Built {
    let key = NewApiKey::generate();
    let secret = key.secret.clone();
    let (id, _) = store.create_account(key).await.unwrap();
    // Subscribed before any order, so that every creation queues a delivery, and every status
    // change too: several per order, queued behind each other on SQLite.
    for event in [
        "purchase_order_created_v2",
        "purchase_order_status_changed_v2",
    ] {
        store
            .create_webhook(
                id.into(),
                procura::domain::webhook::WebhookInput {
                    name: format!("Accounting {n}"),
                    url: "https://erp.example.com/procura".into(),
                    event,
                    headers: vec![procura::domain::webhook::Header {
                        key: "x-tenant".into(),
                        value: format!("t{n}"),
                    }],
                },
                procura::domain::webhook::new_secret(),
            )
            .await
            .unwrap();
    }
    store
        .put_account_profile(
            id.into(),
            AccountProfile {
                company_name: Some(format!("Northwind {n} 株式会社")),
                email: Some("purchasing@northwind.example".into()),
                tax_id: Some("NL123456789B01".into()),
                address: Address {
                    city: Some("Amsterdam".into()),
                    country_code: Some("NL".into()),
                    ..Address::default()
                },
                ..AccountProfile::default()
            },
        )
        .await
        .unwrap();
    // The logo, bytes and all.
    let png = include_bytes!("../fixtures/logo.png").to_vec();
    let logo = procura::documents::check_logo(procura::domain::logo::ImageType::Png, png).unwrap();
    store.put_account_logo(id.into(), Some(logo)).await.unwrap();

    // A web user with a session, so that people are copied too.
    let user = store
        .create_user(
            id,
            procura::domain::user::Email::parse(&format!("buyer{n}@northwind.example")).unwrap(),
            procura::domain::user::Role::Buyer,
            [n as u8; 32],
            chrono::Utc::now() + chrono::Duration::days(7),
        )
        .await
        .unwrap()
        .expect("a new email");
    store
        .create_session(user, [100 + n as u8; 32], chrono::Utc::now())
        .await
        .unwrap();

    let acme = store
        .create_supplier(
            id.into(),
            SupplierInput {
                supplier_name: format!("Acme {n}"),
                supplier_email: Some("orders@acme.example".into()),
                address_line_1: Some("123 Main St".into()),
                address_line_2: Some("Suite 4".into()),
                city: Some("Austin".into()),
                state: Some("TX".into()),
                postal_code: Some("78701".into()),
                country_code: Some("US".into()),
                contact_name: Some("Ana".into()),
                contact_phone: Some("+1 512 555 0100".into()),
            },
        )
        .await
        .unwrap();
    // Under an idempotency key, so that the key and its kept answer are copied too.
    let keyed = Write {
        account: id,
        precondition: None,
        actor: procura::domain::event::Actor::System,
        request_id: None,
        once: Some(Once {
            claim: Claim {
                key: format!("create-globex-{n}"),
                fingerprint: [7; 32],
                expires_at: chrono::Utc::now() + chrono::Duration::hours(24),
            },
            keep: std::sync::Arc::new(|_| {
                Some(KeptAnswer {
                    status: 200,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: b"{}".to_vec(),
                })
            }),
        }),
    };
    let globex = store
        .create_supplier(keyed, named_supplier("Globex"))
        .await
        .unwrap();
    store
        .update_supplier(id.into(), globex, named_supplier("Globex Corporation"))
        .await
        .unwrap();

    let main = store
        .create_warehouse(id.into(), "Main".into())
        .await
        .unwrap()
        .id;
    let north = store
        .create_warehouse(
            id.into(),
            WarehouseInput {
                name: "North".into(),
                address: Some(Address {
                    address_line_1: Some("1 Harbour Rd".into()),
                    city: Some("Oslo".into()),
                    country_code: Some("NO".into()),
                    ..Address::default()
                }),
            },
        )
        .await
        .unwrap()
        .id;
    store
        .rename_warehouse(id.into(), north, "North DC".into())
        .await
        .unwrap();
    let mut locations = Vec::new();
    for (warehouse, name, barcode) in [
        (main, "A-01", Some("0001")),
        (main, "A-02", None),
        (north, "N-01", Some("N1")),
    ] {
        let location = store
            .create_location(
                id.into(),
                NewLocation {
                    warehouse_id: warehouse,
                    name: name.into(),
                    barcode: barcode.map(str::to_owned),
                },
            )
            .await
            .unwrap();
        locations.push(location.id);
    }

    let mut orders = Vec::new();
    // A draft in euros with every detail set.
    let draft = store
        .create_purchase_order(
            id.into(),
            PurchaseOrderInput {
                supplier_id: acme,
                warehouse_id: main,
                details: Details {
                    order_date: Some(at("2026-03-01T10:00:00.123456Z")),
                    expected_delivery_date: Some(at("2026-03-15T00:00:00Z")),
                    payment_terms: PaymentTerms::Net30,
                    currency_code: CurrencyCode::parse("EUR").unwrap(),
                    reference_number: Some(format!("REF-{n}")),
                    note_to_supplier: Some("Ring twice".into()),
                    ..Details::default()
                },
                products: vec![line("A", 10, Some("2.5")), line("B", 3, None)],
            },
        )
        .await
        .unwrap();
    orders.push(draft.id);
    // Open, with shipping details.
    let open = store
        .create_purchase_order(
            id.into(),
            order(globex, north, vec![line("C", 7, Some("0.000001"))]),
        )
        .await
        .unwrap();
    store
        .change_status(id.into(), open.id, Status::Open)
        .await
        .unwrap();
    store
        .update_shipping_details(
            id.into(),
            open.id,
            ShippingDetailsPatch {
                shipping_carrier: Patch::Set(Some("UPS".into())),
                tracking_number: Patch::Set(Some("1Z999".into())),
                ..ShippingDetailsPatch::default()
            },
        )
        .await
        .unwrap();
    // Sent to the supplier: a mail in the outbox, its whole message in bytes.
    store
        .queue_mail(
            id.into(),
            open.id,
            procura::domain::mail::NewMail {
                sender: "purchasing@northwind.example".into(),
                to: vec!["orders@acme.example".into()],
                cc: vec![format!("buyer{n}@northwind.example")],
                subject: format!("Purchase order {n}"),
                message: b"Subject: Purchase order\r\n\r\n%PDF-\x00\xff".to_vec(),
            },
        )
        .await
        .unwrap();
    orders.push(open.id);
    // Cancelled.
    let cancelled = store
        .create_purchase_order(
            id.into(),
            order(acme, main, vec![line("D", 1, Some("100"))]),
        )
        .await
        .unwrap();
    store
        .change_status(id.into(), cancelled.id, Status::Cancelled)
        .await
        .unwrap();
    orders.push(cancelled.id);
    // Receiving: part of it received into a lot with an expiry date.
    let receiving = store
        .create_purchase_order(
            id.into(),
            order(
                acme,
                main,
                vec![line("A", 20, Some("2.75")), line("E", 4, None)],
            ),
        )
        .await
        .unwrap();
    store
        .change_status(id.into(), receiving.id, Status::Open)
        .await
        .unwrap();
    let mut lot = receive("A", locations[0], 5, 1, Some("L-1"));
    lot.expiration_date = Some(at("2027-01-31T00:00:00Z"));
    store
        .receive(id.into(), receiving.id, vec![lot], format!("req-{n}-1"))
        .await
        .unwrap();
    // A receipt recorded in error, then reversed: it stays in the ledger, marked.
    store
        .receive(
            id.into(),
            receiving.id,
            vec![receive("A", locations[1], 1, 0, None)],
            format!("req-{n}-mistake"),
        )
        .await
        .unwrap();
    let mistake = store
        .list_receipts(id, receiving.id, PageRequest::first(10))
        .await
        .unwrap()
        .items
        .last()
        .unwrap()
        .id;
    store
        .reverse_receipt(id.into(), receiving.id, mistake, format!("req-{n}-undo"))
        .await
        .unwrap();
    orders.push(receiving.id);
    // Received in two receipts across locations and warehouses' lots, then closed.
    let closed = store
        .create_purchase_order(
            id.into(),
            order(
                acme,
                main,
                vec![line("A", 6, Some("3")), line("F", 2, Some("1.5"))],
            ),
        )
        .await
        .unwrap();
    store
        .change_status(id.into(), closed.id, Status::Open)
        .await
        .unwrap();
    store
        .receive(
            id.into(),
            closed.id,
            vec![
                receive("A", locations[0], 3, 0, Some("L-1")),
                receive("F", locations[1], 2, 0, None),
            ],
            format!("req-{n}-2"),
        )
        .await
        .unwrap();
    store
        .receive(
            id.into(),
            closed.id,
            vec![receive("A", locations[1], 2, 1, None)],
            format!("req-{n}-3"),
        )
        .await
        .unwrap();
    store
        .change_status(id.into(), closed.id, Status::Closed)
        .await
        .unwrap();
    orders.push(closed.id);
    // A billion units at the largest cost: a stock value past 64 bits, and sums past it too.
    let bulk = store
        .create_purchase_order(
            id.into(),
            order(
                acme,
                main,
                vec![line("BULK", 1_000_000_000, Some("999999999.999999"))],
            ),
        )
        .await
        .unwrap();
    store
        .change_status(id.into(), bulk.id, Status::Open)
        .await
        .unwrap();
    store
        .receive(
            id.into(),
            bulk.id,
            vec![receive("BULK", locations[0], 1_000_000_000, 0, None)],
            format!("req-{n}-bulk"),
        )
        .await
        .unwrap();
    orders.push(bulk.id);
    // The second account has one order more, so that the accounts differ.
    if n == 1 {
        let extra = store
            .create_purchase_order(
                id.into(),
                order(globex, north, vec![line("G", 9, Some("9.99"))]),
            )
            .await
            .unwrap();
        orders.push(extra.id);
    }

    Built {
        id,
        secret,
        suppliers: vec![acme, globex],
        warehouses: vec![main, north],
        locations,
        orders,
    }
}
