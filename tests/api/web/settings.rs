//! The settings page: the account's profile, for admins, judged by the rules of `PUT /v2/account`.

use procura::domain::user::Role;

use super::signed_in;
use crate::helpers::spawn_app;

#[tokio::test]
async fn an_admin_sets_the_company_profile_and_mistakes_are_shown_at_their_fields() {
    let Some(app) = spawn_app().await else { return };
    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    assert_eq!(buyer.get("/app/settings").await.status, 403);
    let mut admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    assert_eq!(admin.get("/app/settings").await.status, 200);

    let refused = admin
        .submit(
            "/app/settings",
            "/app/settings",
            &[
                ("company_name", "Northwind Trading"),
                ("email", "not-an-email"),
                ("country_code", "Netherlands"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("id=\"email-error\" role=\"alert\">email "),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("id=\"country_code-error\" role=\"alert\">")
    );
    assert!(
        refused.body.contains("value=\"Northwind Trading\""),
        "what was typed stays"
    );
    assert_eq!(
        app.store.account_profile(app.account_id).await.unwrap(),
        Default::default(),
        "a refused form stores nothing"
    );

    let saved = admin
        .submit(
            "/app/settings",
            "/app/settings",
            &[
                ("company_name", "Northwind Trading"),
                ("email", "purchasing@northwind.example"),
                ("phone", ""),
                ("city", "Amsterdam"),
                ("country_code", "NL"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let profile = app.store.account_profile(app.account_id).await.unwrap();
    assert_eq!(profile.company_name.as_deref(), Some("Northwind Trading"));
    assert_eq!(
        profile.email.as_deref(),
        Some("purchasing@northwind.example")
    );
    assert_eq!(profile.phone, None);
    assert_eq!(profile.address.city.as_deref(), Some("Amsterdam"));
    assert_eq!(profile.address.country_code.as_deref(), Some("NL"));
    let page = admin.get("/app/settings?saved=1").await;
    assert!(page.body.contains("<p>Saved.</p>"));
    assert!(page.body.contains("value=\"purchasing@northwind.example\""));
}
