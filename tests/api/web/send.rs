//! A buyer emails an order to its supplier from the order page.

use procura::domain::user::Role;

use super::signed_in;
use crate::helpers::spawn_app;
use crate::send::{SmtpReceiver, app_sending_to, open_order};

#[tokio::test]
async fn a_buyer_sends_an_open_order_from_its_page_and_its_history_shows_it_went() {
    let receiver = SmtpReceiver::start(&[]);
    let Some(app) = app_sending_to(&receiver).await else {
        return;
    };
    let order = open_order(&app, Some("orders@acme.example")).await;
    let path = format!(
        "/app/orders/{}",
        order["purchase_order_id"].as_str().unwrap()
    );
    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    let page = buyer.get(&path).await;
    assert!(
        page.body
            .contains("Empty: the supplier’s email (orders@acme.example)")
    );

    let refused = buyer
        .submit(
            &path,
            &format!("{path}/send"),
            &[("to", "not-an-address"), ("cc", ""), ("message", "")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("to: &#39;not-an-address&#39; is not an email address"),
        "{}",
        refused.body
    );

    let sent = buyer
        .submit(
            &path,
            &format!("{path}/send"),
            &[
                ("to", ""),
                ("cc", "boss@northwind.example"),
                ("message", "Hello"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let mail = receiver.next().await;
    assert_eq!(
        mail["rcpt_tos"],
        serde_json::json!(["orders@acme.example", "boss@northwind.example"])
    );
    assert!(mail["text"].as_str().unwrap().starts_with("Hello"));
    receiver.nothing_more().await;

    // The history names the buyer, then says it went.
    let mut said = String::new();
    for _ in 0..100 {
        said = buyer.get(&path).await.body;
        if said.contains("Sent to orders@acme.example (cc boss@northwind.example)") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        said.contains(
            "<td>buyer@example.com</td><td>Sending to orders@acme.example (cc boss@northwind.example)</td>"
        ),
        "{said}"
    );
    assert!(said.contains(
        "<td>buyer@example.com</td><td>Sent to orders@acme.example (cc boss@northwind.example)</td>"
    ));
}

#[tokio::test]
async fn a_server_without_smtp_shows_no_send_form() {
    let Some(app) = spawn_app().await else { return };
    let order = open_order(&app, Some("orders@acme.example")).await;
    let path = format!(
        "/app/orders/{}",
        order["purchase_order_id"].as_str().unwrap()
    );
    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    let page = buyer.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("/send\""));
}
