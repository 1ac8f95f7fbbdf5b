use procura::domain::user::{Email, Role, SessionLimits};

use super::client::{PASSWORD, WebClient};
use super::signed_in;
use crate::helpers::{open_test_store, spawn_app, spawn_app_with_sessions, test_database};

#[tokio::test]
async fn a_new_user_sets_its_password_through_its_link_then_signs_in_and_out() {
    let Some(app) = spawn_app().await else { return };
    let mut web = WebClient::new(&app.address);
    let (_, link) = procura::web::create_user(
        app.store.as_ref(),
        app.account_id,
        &Email::parse("Buyer@Example.com").unwrap(),
        Role::Buyer,
        &app.address,
    )
    .await
    .unwrap()
    .unwrap();
    assert!(link.starts_with(&format!("{}/app/password/", app.address)));

    let page = web.get(&link[app.address.len()..]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("buyer@example.com"));
    let short = web
        .post(
            &link[app.address.len()..],
            &[
                ("csrf", &page.csrf()),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(short.body.contains("at least 10 characters"));

    let set = web.set_password(&link, PASSWORD).await;
    assert_eq!(set.status, 303);
    assert_eq!(set.location.as_deref(), Some("/app/sign-in?password_set=1"));
    // The link works once.
    assert_eq!(web.get(&link[app.address.len()..]).await.status, 404);

    let signed = web.sign_in("buyer@example.com", PASSWORD).await;
    assert_eq!(signed.status, 303);
    assert_eq!(signed.location.as_deref(), Some("/app/orders"));
    let session_cookie = web
        .set_cookies
        .iter()
        .rfind(|c| c.starts_with("procura_session="))
        .unwrap()
        .clone();
    assert!(session_cookie.contains("; HttpOnly"), "{session_cookie}");
    assert!(
        session_cookie.contains("; SameSite=Lax"),
        "{session_cookie}"
    );
    assert!(
        !session_cookie.contains("Secure"),
        "http, not https: {session_cookie}"
    );

    let orders = web.get("/app/orders").await;
    assert_eq!(orders.status, 200);
    assert!(orders.body.contains("buyer@example.com (buyer)"));
    let csp = orders.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(orders.headers["x-frame-options"], "DENY");

    let out = web.submit("/app/orders", "/app/sign-out", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/app/sign-in"));
    assert!(!web.cookies.contains_key("procura_session"));
    let after = web.get("/app/orders").await;
    assert_eq!(after.status, 303);
    assert_eq!(after.location.as_deref(), Some("/app/sign-in"));
}

#[tokio::test]
async fn a_wrong_password_or_unknown_email_is_refused_alike_and_repeated_failures_are_throttled() {
    let Some(app) = spawn_app().await else { return };
    let _ = signed_in(&app, "clerk@example.com", Role::Receiver).await;
    let mut web = WebClient::new(&app.address);
    let unknown = web.sign_in("nobody@example.com", PASSWORD).await;
    let wrong = web.sign_in("clerk@example.com", "not the password").await;
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.status, 401);
    assert!(unknown.body.contains("The email or the password is wrong."));
    assert!(wrong.body.contains("The email or the password is wrong."));
    for _ in 0..4 {
        assert_eq!(web.sign_in("clerk@example.com", "guess").await.status, 401);
    }
    // Five failures in a row: even the right password waits now.
    let held = web.sign_in("clerk@example.com", PASSWORD).await;
    assert_eq!(held.status, 429);
    assert!(held.body.contains("Too many failed sign-ins. Try again in"));
    assert!(!web.cookies.contains_key("procura_session"));
}

#[tokio::test]
async fn forms_without_their_csrf_token_are_refused_and_change_nothing() {
    let Some(app) = spawn_app().await else { return };
    let mut web = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    let forged = web.post("/app/sign-out", &[("csrf", "00ff")]).await;
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("Form expired"));
    let missing = web.post("/app/sign-out", &[]).await;
    assert_eq!(missing.status, 403);
    // Still signed in.
    assert_eq!(web.get("/app/orders").await.status, 200);

    // Another browser's token does not pass either.
    let mut other = signed_in(&app, "other@example.com", Role::Buyer).await;
    let theirs = other.get("/app/orders").await.csrf();
    assert_eq!(
        web.post("/app/sign-out", &[("csrf", &theirs)]).await.status,
        403
    );

    let mut fresh = WebClient::new(&app.address);
    let _ = fresh.get("/app/sign-in").await;
    let sign_in = fresh
        .post(
            "/app/sign-in",
            &[
                ("csrf", "0000"),
                ("email", "buyer@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(sign_in.status, 403);
    assert!(!fresh.cookies.contains_key("procura_session"));
}

#[tokio::test]
async fn an_idle_session_ends_and_the_sign_in_page_says_so() {
    let Some(db) = test_database().await else {
        return;
    };
    let store = open_test_store(&db).await;
    let limits = SessionLimits {
        idle: chrono::Duration::seconds(2),
        absolute: chrono::Duration::hours(1),
    };
    let app = spawn_app_with_sessions(db, store, 0, limits).await;
    let mut web = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    assert_eq!(web.get("/app/orders").await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let expired = web.get("/app/orders").await;
    assert_eq!(expired.status, 303);
    assert_eq!(expired.location.as_deref(), Some("/app/sign-in?expired=1"));
    assert!(
        web.get("/app/sign-in?expired=1")
            .await
            .body
            .contains("Your session has ended")
    );
    assert_eq!(web.get("/app/orders").await.status, 303);
}

#[tokio::test]
async fn disabling_a_user_ends_its_sessions_and_its_sign_ins() {
    let Some(app) = spawn_app().await else { return };
    let mut web = signed_in(&app, "clerk@example.com", Role::Receiver).await;
    let users = app.store.list_users(Some(app.account_id)).await.unwrap();
    let clerk = users
        .iter()
        .find(|u| u.email.as_str() == "clerk@example.com")
        .unwrap();
    assert!(clerk.has_password);
    app.store
        .disable_user(Some(app.account_id), clerk.id)
        .await
        .unwrap();
    assert_eq!(web.get("/app/orders").await.status, 303);
    assert_eq!(web.sign_in("clerk@example.com", PASSWORD).await.status, 401);
    let other = app.other_account().await;
    assert!(matches!(
        app.store
            .disable_user(Some(other.account_id), clerk.id)
            .await,
        Err(procura::store::StoreError::NotFound)
    ));
}
