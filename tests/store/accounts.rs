use std::sync::Arc;

use procura::domain::account::NewApiKey;
use procura::domain::ids::{AccountId, ApiKeyId};
use procura::store::Store;

use crate::harness::{assert_not_found, contract_tests};

contract_tests!(
    keys_find_their_account_until_revoked,
    keys_cannot_be_made_for_missing_accounts
);

async fn keys_find_their_account_until_revoked(store: Arc<dyn Store>) {
    assert!(!store.has_accounts().await.unwrap());
    let first = NewApiKey::generate();
    let first_hash = first.hash;
    let first_hint = first.hint.clone();
    let (account, first_id) = store.create_account(first).await.unwrap();
    assert!(store.has_accounts().await.unwrap());

    let second = NewApiKey::generate();
    let second_hash = second.hash;
    let second_id = store.create_key(account, second).await.unwrap();
    assert_ne!(first_id, second_id);
    assert_eq!(
        store.account_for_key(first_hash).await.unwrap(),
        Some((account, first_id))
    );
    assert_eq!(
        store.account_for_key(second_hash).await.unwrap(),
        Some((account, second_id))
    );
    assert_eq!(
        store
            .account_for_key(NewApiKey::generate().hash)
            .await
            .unwrap(),
        None
    );

    let (other, _) = store.create_account(NewApiKey::generate()).await.unwrap();
    assert_ne!(other, account);

    let keys = store.list_keys(None).await.unwrap();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0].id, first_id);
    assert_eq!(keys[0].account_id, account);
    assert_eq!(keys[0].hint, first_hint);
    assert!(keys.iter().all(|k| k.revoked_at.is_none()));
    assert!(
        keys.windows(2).all(|w| w[0].id < w[1].id),
        "keys are listed oldest first"
    );
    let ids = |keys: Vec<procura::domain::account::ApiKeyInfo>| {
        keys.into_iter().map(|k| k.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.list_keys(Some(account)).await.unwrap()),
        [first_id, second_id],
        "an account's keys only"
    );
    assert_eq!(
        ids(store.list_keys(Some(other)).await.unwrap()),
        [keys[2].id]
    );

    store.revoke_key(first_id).await.unwrap();
    assert_eq!(store.account_for_key(first_hash).await.unwrap(), None);
    assert_eq!(
        store.account_for_key(second_hash).await.unwrap(),
        Some((account, second_id))
    );
    let revoked_at = store.list_keys(None).await.unwrap()[0]
        .revoked_at
        .expect("a revocation time");

    // Revoking again is harmless and keeps the first revocation time.
    store.revoke_key(first_id).await.unwrap();
    assert_eq!(
        store.list_keys(None).await.unwrap()[0].revoked_at,
        Some(revoked_at)
    );
    assert_not_found(store.revoke_key(ApiKeyId(999_999)).await);
}

async fn keys_cannot_be_made_for_missing_accounts(store: Arc<dyn Store>) {
    assert_not_found(
        store
            .create_key(AccountId(424_242), NewApiKey::generate())
            .await,
    );
    assert!(store.list_keys(None).await.unwrap().is_empty());
}
