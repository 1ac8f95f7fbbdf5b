//! Heads over Procura's limits or hyper's, or not HTTP at all, are answered in the envelope; a
//! request learns both ends of its connection.

use super::*;
use crate::helpers::spawn_app;

/// Sends `request` on a new connection to the in-process app and reads the answer.
async fn raw_answer(address: &str, request: &[u8]) -> Raw {
    let address = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_answer(&mut stream, WAIT).await.expect("an answer")
}

/// The answer is the envelope with one entry, its request id also in `X-Request-Id`.
fn assert_envelope(answer: &Raw, status_line: &str, field_name: Option<&str>, message: &str) {
    assert_eq!(answer.status_line, status_line);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let body = answer.json();
    let request_id = answer.header("x-request-id").expect("an X-Request-Id");
    assert_eq!(body["request_id"], request_id);
    let mut entry = json!({
        "error_source": "ShipStation",
        "error_type": "validation",
        "error_code": "invalid_field_value",
        "message": message,
    });
    if let Some(field) = field_name {
        entry["field_name"] = json!(field);
    }
    assert_eq!(body["errors"], json!([entry]), "{body}");
}

#[tokio::test]
async fn a_request_target_over_the_limit_is_answered_414_in_the_envelope() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let path = format!("/v2/suppliers?q={}", "a".repeat(9000));
    let request = format!("GET {path} HTTP/1.1\r\nHost: procura\r\n\r\n");
    let answer = raw_answer(&app.address, request.as_bytes()).await;
    assert_envelope(
        &answer,
        "HTTP/1.1 414 URI Too Long",
        None,
        &format!(
            "the request target is {} bytes long; the limit is 8192 bytes",
            path.len()
        ),
    );
}

#[tokio::test]
async fn header_fields_over_the_limits_are_answered_431_in_the_envelope() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let many: String = (0..110).map(|i| format!("X-Field-{i}: {i}\r\n")).collect();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: procura\r\n{many}\r\n");
    let answer = raw_answer(&app.address, request.as_bytes()).await;
    assert_envelope(
        &answer,
        "HTTP/1.1 431 Request Header Fields Too Large",
        None,
        "the request has 111 header fields; the limit is 100",
    );

    let large: String = (0..4)
        .map(|i| format!("X-Large-{i}: {}\r\n", "v".repeat(9000 + i)))
        .collect();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: procura\r\n{large}\r\n");
    let answer = raw_answer(&app.address, request.as_bytes()).await;
    let total =
        "host".len() + "procura".len() + 4 + (0..4).map(|i| 9 + 9000 + i + 4).sum::<usize>();
    assert_envelope(
        &answer,
        "HTTP/1.1 431 Request Header Fields Too Large",
        Some("x-large-3"),
        &format!(
            "the request's header fields are {total} bytes; the limit is 32768 bytes \
             (the largest, x-large-3, is 9016 bytes)"
        ),
    );
}

#[tokio::test]
async fn heads_only_hypers_parser_sees_are_answered_in_the_envelope_and_closed() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let not_http = raw_answer(
        &app.address,
        b"GET /healthz HTTP/1.1\r\nHost: procura\r\nBad\x01Name: v\r\n\r\n",
    )
    .await;
    let uri_past_hypers_limit = raw_answer(
        &app.address,
        format!(
            "GET /{} HTTP/1.1\r\nHost: procura\r\n\r\n",
            "a".repeat(70_000)
        )
        .as_bytes(),
    )
    .await;
    let fields_past_hypers_limit: String =
        (0..200).map(|i| format!("X-Field-{i}: {i}\r\n")).collect();
    let fields_past_hypers_limit = raw_answer(
        &app.address,
        format!("GET /healthz HTTP/1.1\r\nHost: procura\r\n{fields_past_hypers_limit}\r\n")
            .as_bytes(),
    )
    .await;

    for (answer, status_line, code, message) in [
        (
            &not_http,
            "HTTP/1.1 400 Bad Request",
            "invalid_object",
            "the request is not valid HTTP/1.1: its request line or a header field is malformed",
        ),
        (
            &uri_past_hypers_limit,
            "HTTP/1.1 414 URI Too Long",
            "invalid_field_value",
            "the request target is over 65534 bytes long; the limit is 8192 bytes",
        ),
        (
            &fields_past_hypers_limit,
            "HTTP/1.1 431 Request Header Fields Too Large",
            "invalid_field_value",
            "the request head has over 128 header fields or over 98304 bytes; the limits are \
             100 header fields and 32768 bytes of them",
        ),
    ] {
        assert_eq!(answer.status_line, status_line);
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(answer.header("connection"), Some("close"));
        assert!(
            answer.header("date").is_some(),
            "no Date: {:?}",
            answer.headers
        );
        let body = answer.json();
        assert_eq!(body["request_id"], answer.header("x-request-id").unwrap());
        assert_eq!(
            body["errors"],
            json!([{
                "error_source": "ShipStation",
                "error_type": "validation",
                "error_code": code,
                "message": message,
            }]),
            "{body}"
        );
    }

    // The connection that sent a refused head is closed after the answer.
    let address = app.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: procura\r\nBad\x01Name: v\r\n\r\n")
        .await
        .unwrap();
    read_answer(&mut stream, WAIT).await.expect("an answer");
    assert!(closed_within(&mut stream, Duration::from_secs(2)).await);
}

#[tokio::test]
async fn each_request_knows_the_address_it_came_from_and_the_one_it_reached() {
    use axum::extract::{ConnectInfo, Extension};
    use procura::serve::{LocalAddr, ServerLimits};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = axum::Router::new().route(
        "/",
        axum::routing::get(
            |ConnectInfo(peer): ConnectInfo<SocketAddr>,
             Extension(LocalAddr(local)): Extension<LocalAddr>| async move {
                format!("{peer} {local}")
            },
        ),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(procura::serve::serve(
        listener,
        router,
        ServerLimits::default(),
        async move {
            let _ = stopped.await;
        },
    ));

    let mut stream = TcpStream::connect(address).await.unwrap();
    let client = stream.local_addr().unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: procura\r\n\r\n")
        .await
        .unwrap();
    let answer = read_answer(&mut stream, WAIT).await.expect("an answer");
    assert_eq!(answer.status_line, "HTTP/1.1 200 OK");
    assert_eq!(
        String::from_utf8(answer.body).unwrap(),
        format!("{client} {address}")
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
