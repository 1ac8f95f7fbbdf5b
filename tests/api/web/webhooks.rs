//! The webhooks page, for admins: subscribe, see the secret once, remove.

use std::time::Duration;

use procura::domain::user::Role;
use reqwest::Method;
use serde_json::{Value, json};

use super::signed_in;
use crate::helpers::{ok_json, po_body, spawn_app};
use crate::webhooks::{Receiver, subscribe};

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

#[tokio::test]
async fn an_admin_reads_a_webhooks_delivery_log_and_sends_a_delivery_again() {
    let Some(app) = spawn_app().await else { return };
    // The receiver refuses the first delivery; its retry would come 5 s later.
    let receiver = Receiver::start(1).await;
    let (hook, _) = subscribe(&app, &receiver.url, "purchase_order_status_changed_v2").await;
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let po = app.po_in(&po_body(&supplier, &warehouse), &["open"]).await;
    receiver.wait_for(1, Duration::from_secs(10)).await;
    let log = format!("/v2/environment/webhooks/{hook}/deliveries");
    // The newest delivery in the log, once `ready` says so (or after 2 s).
    let newest = async |ready: fn(&Value) -> bool| {
        let mut newest = Value::Null;
        for _ in 0..100 {
            newest =
                ok_json(app.send(Method::GET, &log, None).await).await["deliveries"][0].clone();
            if ready(&newest) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        newest
    };
    let first = newest(|d| d["attempts"] == 1).await;
    assert_eq!(
        (&first["state"], &first["attempts"], &first["last_status"]),
        (&json!("pending"), &json!(1), &json!(500)),
        "{first:#}"
    );
    let delivery = first["delivery_id"].as_str().unwrap().to_owned();
    let number = ok_json(app.get_po(&po).await).await["order_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = format!("/app/webhooks/{hook}");

    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    assert_eq!(buyer.get(&page).await.status, 403);
    let mut admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    let listed = admin.get("/app/webhooks").await;
    assert!(
        listed
            .body
            .contains(&format!("<a href=\"/app/webhooks/{hook}\">")),
        "{}",
        listed.body
    );
    let shown = admin.get(&page).await;
    assert_eq!(shown.status, 200);
    for expected in [
        "<h2>Deliveries (1)</h2>".to_owned(),
        format!(
            "<td>{delivery}</td><td class=\"nowrap\"><a href=\"/app/orders/{po}\">{number}</a></td><td>pending</td><td>1</td><td>500 not now</td><td>next try "
        ),
        format!("action=\"/app/webhooks/{hook}/deliveries/{delivery}/redeliver\""),
    ] {
        assert!(shown.body.contains(&expected), "{expected}\n{}", shown.body);
    }
    assert_eq!(admin.get("/app/webhooks/se-999999").await.status, 404);

    // Without the session's token: refused, and nothing is sent again.
    let redeliver = format!("/app/webhooks/{hook}/deliveries/{delivery}/redeliver");
    let forged = admin.post(&redeliver, &[("csrf", "0000")]).await;
    assert_eq!(forged.status, 403, "{}", forged.body);

    let sent = admin.submit(&page, &redeliver, &[]).await;
    assert_eq!(
        (sent.status.as_u16(), sent.location.as_deref()),
        (303, Some(page.as_str()))
    );
    // Sent again at once, with fresh retries: delivered at its first attempt since, which the
    // retry alone (5 s on) would have made its second.
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[0].headers["webhook-id"], got[1].headers["webhook-id"]);
    let done = newest(|d| d["state"] == "delivered").await;
    assert_eq!(
        (&done["state"], &done["attempts"], &done["last_status"]),
        (&json!("delivered"), &json!(1), &json!(200)),
        "{done:#}"
    );
    let shown = admin.get(&page).await;
    assert!(
        shown.body.contains("<td>delivered</td><td>1</td><td>200 "),
        "{}",
        shown.body
    );
    let history = app
        .store
        .order_history(
            app.account_id,
            procura::domain::ids::PurchaseOrderId::parse(&po).unwrap(),
            procura::domain::page::PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(
        history.items.len(),
        2,
        "a redelivery is no change to the order"
    );
}
