//! The webhooks page, for admins: subscribe, see the secret once, remove.

use procura::domain::user::Role;
use reqwest::Method;

use super::signed_in;
use crate::helpers::{ok_json, spawn_app};

#[tokio::test]
async fn an_admin_subscribes_a_webhook_sees_its_secret_and_removes_it() {
    let Some(app) = spawn_app().await else { return };
    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    assert_eq!(buyer.get("/app/webhooks").await.status, 403);
    let mut admin = signed_in(&app, "admin@example.com", Role::Admin).await;

    let refused = admin
        .submit(
            "/app/webhooks",
            "/app/webhooks",
            &[
                ("name", "ERP"),
                ("url", "ftp://erp.example.com/hook"),
                ("event", "purchase_order_sent_v2"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains(
            "id=\"url-error\" role=\"alert\">The URL must be an http or https URL.</span>"
        ),
        "{}",
        refused.body
    );
    assert!(
        app.store
            .list_webhooks(app.account_id)
            .await
            .unwrap()
            .is_empty()
    );

    let created = admin
        .submit(
            "/app/webhooks",
            "/app/webhooks",
            &[
                ("name", "ERP"),
                ("url", "https://erp.example.com/hook"),
                ("event", "purchase_order_sent_v2"),
            ],
        )
        .await;
    assert_eq!(created.status, 200);
    let hooks = app.store.list_webhooks(app.account_id).await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        (
            hooks[0].name.as_str(),
            hooks[0].url.as_str(),
            hooks[0].event.as_str()
        ),
        (
            "ERP",
            "https://erp.example.com/hook",
            "purchase_order_sent_v2"
        )
    );
    let secret = ok_json(
        app.send(
            Method::GET,
            &format!("/v2/environment/webhooks/{}/secret", hooks[0].id),
            None,
        )
        .await,
    )
    .await["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        created
            .body
            .contains(&format!("id=\"created-secret\">{secret}</p>"))
    );
    assert!(
        !admin.get("/app/webhooks").await.body.contains(&secret),
        "shown once"
    );

    let gone = admin
        .submit(
            "/app/webhooks",
            &format!("/app/webhooks/{}/delete", hooks[0].id),
            &[],
        )
        .await;
    assert_eq!(gone.status, 303);
    assert!(
        app.store
            .list_webhooks(app.account_id)
            .await
            .unwrap()
            .is_empty()
    );
    let again = admin
        .submit(
            "/app/webhooks",
            &format!("/app/webhooks/{}/delete", hooks[0].id),
            &[],
        )
        .await;
    assert_eq!(again.status, 404);
}
