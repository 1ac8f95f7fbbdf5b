//! API keys in the pages: created with a label, shown once, listed with when they were last used.

use std::time::Duration;

use procura::domain::user::Role;
use reqwest::StatusCode;

use super::signed_in;
use crate::helpers::spawn_app;

#[tokio::test]
async fn an_admin_creates_a_labelled_key_and_sees_when_it_was_last_used() {
    let Some(app) = spawn_app().await else { return };
    let mut admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    let keys_of_account = || async {
        app.store
            .list_keys(None)
            .await
            .unwrap()
            .into_iter()
            .filter(|k| k.account_id == app.account_id)
            .collect::<Vec<_>>()
    };
    let before = keys_of_account().await.len();

    for (label, message) in [
        ("  ", "Give the key a label: what is it for?"),
        (
            &*"x".repeat(101),
            "The label must be at most 100 characters.",
        ),
    ] {
        let refused = admin
            .submit("/app/keys", "/app/keys", &[("label", label)])
            .await;
        assert_eq!(refused.status, 422, "{label:?}");
        assert!(
            refused.body.contains(&format!(
                "<span class=\"field-error\" id=\"label-error\" role=\"alert\">{message}</span>"
            )),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("aria-invalid=\"true\""));
        assert!(!refused.body.contains("id=\"created-key\""));
        assert_eq!(
            keys_of_account().await.len(),
            before,
            "a refusal creates no key"
        );
    }

    let created = admin
        .submit("/app/keys", "/app/keys", &[("label", " shop sync ")])
        .await;
    assert_eq!(created.status, 200);
    let secret = created
        .body
        .split("id=\"created-key\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the new key is shown")
        .to_owned();
    let key = keys_of_account()
        .await
        .into_iter()
        .find(|k| secret.starts_with(&k.hint) && k.label == "shop sync")
        .expect("the key is stored with its trimmed label");
    assert_eq!(key.last_used_at, None);
    let listed = admin.get("/app/keys").await;
    assert!(!listed.body.contains(&secret), "the key is shown only once");
    let created_at = key.created_at.format("%Y-%m-%d %H:%M");
    assert!(
        listed.body.contains(&format!(
            "<td>shop sync</td><td>{}…</td><td>{created_at}</td><td>never</td><td></td>",
            key.hint
        )),
        "{}",
        listed.body
    );

    let answer = app
        .client
        .http
        .get(app.client.url("/v2/suppliers"))
        .header("API-Key", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    // The use is recorded off the request's path: wait for it, within bounds.
    let mut used = None;
    for _ in 0..50 {
        used = keys_of_account()
            .await
            .into_iter()
            .find(|k| k.id == key.id)
            .and_then(|k| k.last_used_at);
        if used.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let used = used.expect("the key's use is recorded");
    assert!(used >= key.created_at);
    let listed = admin.get("/app/keys").await;
    assert!(
        listed.body.contains(&format!(
            "<td>shop sync</td><td>{}…</td><td>{created_at}</td><td>{}</td><td></td>",
            key.hint,
            used.format("%Y-%m-%d %H:%M")
        )),
        "{}",
        listed.body
    );
}
