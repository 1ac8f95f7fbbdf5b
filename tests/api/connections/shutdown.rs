//! SIGTERM: idle and half-read connections are closed at once, requests in flight finish
//! within the shutdown deadline, and what is left then is cut.

use super::*;

/// A supplier create whose body has not all arrived: a request in flight for as long as the
/// client likes. Returns the rest of the body.
async fn start_slow_create(server: &Serving, stream: &mut TcpStream) -> &'static [u8] {
    let body = br#"{"supplier_name": "Slow Supplies"}"#;
    let head = format!(
        "POST /v2/suppliers HTTP/1.1\r\nHost: procura\r\nAPI-Key: {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.key,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    // Long enough for the server to take the request.
    tokio::time::sleep(Duration::from_millis(300)).await;
    &body[10..]
}

#[tokio::test]
async fn sigterm_closes_idle_and_half_read_connections_and_exits_at_once() {
    let Some(mut server) = Serving::start(&["--shutdown-timeout-secs", "20"]).await else {
        return;
    };
    let mut idle = server.connect().await;
    healthz_on(&mut idle).await;
    let mut half = server.connect().await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let signalled = Instant::now();
    server.terminate();
    let exited = server.exited(signalled, Duration::from_secs(5)).await;
    assert!(
        exited.is_some_and(|took| took < Duration::from_secs(2)),
        "with nothing in flight, exit took {exited:?}"
    );
    assert!(closed_within(&mut idle, Duration::from_secs(1)).await);
    assert!(closed_within(&mut half, Duration::from_secs(1)).await);
}

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_and_then_exits() {
    let Some(mut server) = Serving::start(&["--shutdown-timeout-secs", "20"]).await else {
        return;
    };
    let mut slow = server.connect().await;
    let rest = start_slow_create(&server, &mut slow).await;
    let mut half = server.connect().await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let signalled = Instant::now();
    server.terminate();
    assert!(
        closed_within(&mut half, Duration::from_secs(1)).await,
        "a half head held on through the shutdown"
    );
    assert!(
        TcpStream::connect(server.address).await.is_err(),
        "a new connection was accepted during the shutdown"
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );

    slow.write_all(rest).await.unwrap();
    let answer = read_answer(&mut slow, Duration::from_secs(5))
        .await
        .expect("the request in flight is answered");
    assert_eq!(answer.status_line, "HTTP/1.1 200 OK");
    let body = answer.json();
    assert!(
        body["supplier_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("se-")),
        "{body}"
    );
    assert_eq!(answer.header("connection"), Some("close"));
    let exited = server.exited(signalled, Duration::from_secs(5)).await;
    assert!(
        exited.is_some_and(|took| took < Duration::from_secs(3)),
        "exit after the last answer took {exited:?} from the signal"
    );
}

#[tokio::test]
async fn sigterm_cuts_a_request_still_running_at_the_shutdown_deadline() {
    let Some(mut server) = Serving::start(&["--shutdown-timeout-secs", "2"]).await else {
        return;
    };
    let mut slow = server.connect().await;
    let _never_sent = start_slow_create(&server, &mut slow).await;
    let mut half = server.connect().await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();

    let signalled = Instant::now();
    server.terminate();
    let exited = server.exited(signalled, Duration::from_secs(10)).await;
    assert!(
        exited.is_some_and(
            |took| took >= Duration::from_millis(1800) && took < Duration::from_secs(5)
        ),
        "exit took {exited:?}, not about the 2 s deadline"
    );
    assert!(closed_within(&mut slow, Duration::from_secs(1)).await);
}
