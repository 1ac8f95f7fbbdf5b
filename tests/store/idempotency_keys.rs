//! Idempotency keys in the store: a key's answer is kept with its write, replayed while it lives,
//! and once expired the key runs its request afresh and is purged.

use std::sync::Arc;

use chrono::{Duration, Utc};
use procura::domain::ids::SupplierId;
use procura::store::{Claim, KeptAnswer, Once, Store, StoreError, StoreResult, Write};

use crate::harness::{account, contract_tests, supplier_input};

contract_tests!(
    a_key_replays_its_kept_answer_until_it_expires,
    expired_keys_are_purged_and_live_ones_kept,
);

/// A write under `key` that keeps the created id as its answer's body.
fn keyed(
    account: procura::domain::ids::AccountId,
    key: &str,
    expires_in: Duration,
) -> Write<SupplierId> {
    Write {
        account,
        precondition: None,
        actor: procura::domain::event::Actor::System,
        request_id: None,
        once: Some(Once {
            claim: Claim {
                key: key.to_owned(),
                fingerprint: [1; 32],
                expires_at: Utc::now() + expires_in,
            },
            keep: Arc::new(|outcome: &StoreResult<SupplierId>| {
                Some(KeptAnswer {
                    status: 200,
                    headers: vec![("content-type".into(), "text/plain".into())],
                    body: outcome
                        .as_ref()
                        .map_or(b"refused".to_vec(), |id| id.to_string().into_bytes()),
                })
            }),
        }),
    }
}

async fn a_key_replays_its_kept_answer_until_it_expires(store: Arc<dyn Store>) {
    let account = account(store.as_ref()).await;
    let first = store
        .create_supplier(
            keyed(account, "live", Duration::hours(1)),
            supplier_input("A"),
        )
        .await
        .unwrap();
    match store
        .create_supplier(
            keyed(account, "live", Duration::hours(1)),
            supplier_input("B"),
        )
        .await
    {
        Err(StoreError::Replayed(answer)) => {
            assert_eq!(answer.body, first.to_string().into_bytes());
            assert_eq!(
                answer.headers,
                [("content-type".to_owned(), "text/plain".to_owned())]
            );
        }
        other => panic!("expected a replay, got {other:?}"),
    }

    // A key whose answer has expired runs its request again.
    let old = store
        .create_supplier(
            keyed(account, "old", -Duration::seconds(1)),
            supplier_input("C"),
        )
        .await
        .unwrap();
    let again = store
        .create_supplier(
            keyed(account, "old", Duration::hours(1)),
            supplier_input("D"),
        )
        .await
        .unwrap();
    assert_ne!(old, again);
    let page = store
        .list_suppliers(account, None, procura::domain::page::PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(page.total, 3, "A, C and D; B was a replay");
}

async fn expired_keys_are_purged_and_live_ones_kept(store: Arc<dyn Store>) {
    let account = account(store.as_ref()).await;
    for n in 0..5 {
        store
            .create_supplier(
                keyed(account, &format!("gone-{n}"), -Duration::seconds(1)),
                supplier_input(&format!("G{n}")),
            )
            .await
            .unwrap();
    }
    store
        .create_supplier(
            keyed(account, "kept", Duration::hours(1)),
            supplier_input("K"),
        )
        .await
        .unwrap();
    assert_eq!(store.purge_expired_keys(Utc::now(), 2).await.unwrap(), 2);
    assert_eq!(store.purge_expired_keys(Utc::now(), 100).await.unwrap(), 3);
    assert_eq!(store.purge_expired_keys(Utc::now(), 100).await.unwrap(), 0);
    assert!(matches!(
        store
            .create_supplier(
                keyed(account, "kept", Duration::hours(1)),
                supplier_input("K2")
            )
            .await,
        Err(StoreError::Replayed(_))
    ));
}
