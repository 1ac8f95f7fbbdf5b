//! `GET/PUT/DELETE /v2/account/logo`: the buying company's logo, printed at the head of its
//! documents. The PDFs are read back with lopdf, which finds the image as a viewer would.

use reqwest::{Method, StatusCode};

use crate::helpers::{ApiClient, TestApp, assert_error, error, ok_json, spawn_app};

const PNG: &[u8] = include_bytes!("../fixtures/logo.png");
const JPEG: &[u8] = include_bytes!("../fixtures/logo.jpg");
/// 2001 × 2 pixels: a byte count any logo has, a side longer than a logo may have.
const TOO_WIDE: &[u8] = include_bytes!("../fixtures/too-wide.png");

async fn upload(client: &ApiClient, content_type: &str, image: &[u8]) -> reqwest::Response {
    client
        .request(Method::PUT, "/v2/account/logo")
        .header("content-type", content_type)
        .body(image.to_vec())
        .send()
        .await
        .expect("the request is answered")
}

/// The logo as the API gives it back: its type and bytes, or none.
async fn stored(client: &ApiClient) -> Option<(String, Vec<u8>)> {
    let response = client.send(Method::GET, "/v2/account/logo", None).await;
    if response.status() == StatusCode::NOT_FOUND {
        return None;
    }
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    Some((content_type, response.bytes().await.unwrap().to_vec()))
}

/// The images on the first page of the order's summary: (width, height, filter) of each.
async fn images_on_order_summary(app: &TestApp, po: &str) -> Vec<(i64, i64, String)> {
    let response = app
        .send(
            Method::GET,
            &format!("/v2/purchase_orders/{po}/documents/order_summary"),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let pdf = response.bytes().await.unwrap();
    let document = lopdf::Document::load_mem(&pdf).unwrap();
    let first = *document.get_pages().get(&1).unwrap();
    let resources = document.get_page_resources(first).unwrap();
    let mut dictionaries: Vec<&lopdf::Dictionary> = resources
        .1
        .iter()
        .map(|id| document.get_dictionary(*id).unwrap())
        .collect();
    if let Some(own) = resources.0 {
        dictionaries.push(own);
    }
    let mut images = Vec::new();
    for resources in dictionaries {
        let Ok(xobjects) = resources.get(b"XObject") else {
            continue;
        };
        let xobjects = match xobjects {
            lopdf::Object::Reference(id) => document.get_dictionary(*id).unwrap(),
            other => other.as_dict().unwrap(),
        };
        for (_, object) in xobjects.iter() {
            let stream = document
                .get_object(object.as_reference().unwrap())
                .unwrap()
                .as_stream()
                .unwrap();
            let dict = &stream.dict;
            if dict.get(b"Subtype").unwrap().as_name().unwrap() != b"Image" {
                continue;
            }
            let filter = dict
                .get(b"Filter")
                .ok()
                .and_then(|f| f.as_name().ok())
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .unwrap_or_default();
            images.push((
                dict.get(b"Width").unwrap().as_i64().unwrap(),
                dict.get(b"Height").unwrap().as_i64().unwrap(),
                filter,
            ));
        }
    }
    images
}

#[tokio::test]
async fn an_uploaded_logo_is_given_back_and_printed_on_the_order_summary_until_removed() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (po, _, _, _) = crate::documents::order(&app, 2).await;
    ok_json(app.set_status(&po, "open").await).await;

    assert_error(
        app.send(Method::GET, "/v2/account/logo", None).await,
        StatusCode::NOT_FOUND,
        &[error("validation", "unspecified")
            .field_without_value("logo")
            .says("PUT /v2/account/logo")],
    )
    .await;
    assert_eq!(images_on_order_summary(&app, &po).await, []);

    let described = ok_json(upload(&app, "image/png", PNG).await).await;
    assert_eq!(
        described,
        serde_json::json!({ "content_type": "image/png", "width": 600, "height": 160,
                            "size_bytes": PNG.len() })
    );
    assert_eq!(
        stored(&app).await,
        Some(("image/png".to_owned(), PNG.to_vec()))
    );
    // The PNG's colours, with its transparency as a soft mask of the same size.
    let images = images_on_order_summary(&app, &po).await;
    assert!(
        images.contains(&(600, 160, "FlateDecode".to_owned())),
        "{images:?}"
    );

    // A JPEG replaces it, and is embedded as it is.
    let described = ok_json(upload(&app, "image/jpeg", JPEG).await).await;
    assert_eq!(described["content_type"], "image/jpeg");
    assert_eq!(
        stored(&app).await,
        Some(("image/jpeg".to_owned(), JPEG.to_vec()))
    );
    assert_eq!(
        images_on_order_summary(&app, &po).await,
        [(600, 160, "DCTDecode".to_owned())]
    );

    // Another account has its own (none).
    let other = app.other_account().await;
    assert_eq!(stored(&other).await, None);

    let removed = app.send(Method::DELETE, "/v2/account/logo", None).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(stored(&app).await, None);
    assert_eq!(images_on_order_summary(&app, &po).await, []);
    // Removing none is no error.
    let removed = app.send(Method::DELETE, "/v2/account/logo", None).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_logo_that_is_not_a_small_png_or_jpeg_is_refused_at_its_field_and_changes_nothing() {
    let Some(app) = spawn_app().await else {
        return;
    };
    ok_json(upload(&app, "image/png", PNG).await).await;

    let mut huge = PNG.to_vec();
    huge.resize(600 * 1024, 0);
    // A PNG cut short: its header reads, its pixels do not.
    let cut = &PNG[..PNG.len() / 2];
    for (content_type, body, says) in [
        ("image/gif", &b"GIF89a...."[..], "not 'image/gif'"),
        (
            "image/png",
            JPEG,
            "is declared image/png but is a JPEG image",
        ),
        (
            "image/jpeg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "not a PNG or JPEG image",
        ),
        ("image/png", &huge, "a logo may have at most 524288 bytes"),
        ("image/png", b"", "the request body is empty"),
        ("image/png", cut, "cannot be printed"),
        ("image/png", &PNG[..40], "cannot be read as PNG"),
        (
            "image/png",
            TOO_WIDE,
            "is 2001 × 2 pixels; a logo may have at most 2000",
        ),
    ] {
        assert_error(
            upload(&app, content_type, body).await,
            StatusCode::BAD_REQUEST,
            &[error("validation", "invalid_field_value")
                .field_without_value("logo")
                .says(says)],
        )
        .await;
        assert_eq!(
            stored(&app).await,
            Some(("image/png".to_owned(), PNG.to_vec())),
            "{says}"
        );
    }
}
