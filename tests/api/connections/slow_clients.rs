//! Slow and idle clients are closed in time; past the connection limit, new ones wait.

use super::*;

/// Sends a head one byte a second until the server closes the connection; how long that took.
async fn trickle(address: SocketAddr) -> Duration {
    let started = Instant::now();
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = b"GET /healthz HTTP/1.1\r\nHost: procura\r\nX-Slow: one byte at a time\r\n\r\n";
    for byte in head {
        if stream.write_all(&[*byte]).await.is_err()
            || closed_within(&mut stream, Duration::from_secs(1)).await
        {
            return started.elapsed();
        }
    }
    panic!("a head sent one byte a second was never cut off")
}

#[tokio::test]
async fn trickling_heads_are_cut_off_while_normal_requests_are_answered_at_once() {
    let Some(server) = Serving::start(&["--header-read-timeout-secs", "3"]).await else {
        return;
    };
    let tricklers: Vec<_> = (0..300)
        .map(|_| tokio::spawn(trickle(server.address)))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let http = reqwest::Client::new();
    let requests: Vec<_> = (0..50)
        .map(|_| {
            let (http, url) = (http.clone(), format!("http://{}/healthz", server.address));
            tokio::spawn(async move {
                let started = Instant::now();
                let answer = http.get(url).timeout(WAIT).send().await.unwrap();
                (answer.status(), started.elapsed())
            })
        })
        .collect();
    for request in requests {
        let (status, took) = request.await.unwrap();
        assert_eq!(status, reqwest::StatusCode::OK);
        assert!(
            took < Duration::from_secs(2),
            "a normal request took {took:?}"
        );
    }
    for trickler in tricklers {
        let took = trickler.await.unwrap();
        assert!(
            took >= Duration::from_millis(2500) && took < Duration::from_secs(7),
            "a trickling head was cut off after {took:?}, not after about 3 s"
        );
    }
}

#[tokio::test]
async fn a_half_head_or_a_silent_connection_is_closed_after_the_header_read_timeout() {
    let Some(server) = Serving::start(&["--header-read-timeout-secs", "1"]).await else {
        return;
    };
    let started = Instant::now();
    let mut half = server.connect().await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    let mut silent = server.connect().await;

    assert!(!closed_within(&mut half, Duration::from_millis(700)).await);
    assert!(closed_within(&mut half, Duration::from_secs(3)).await);
    assert!(closed_within(&mut silent, Duration::from_secs(3)).await);
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_not_the_header_one() {
    let Some(server) = Serving::start(&[
        "--header-read-timeout-secs",
        "1",
        "--idle-timeout-secs",
        "4",
    ])
    .await
    else {
        return;
    };
    let mut idle = server.connect().await;
    healthz_on(&mut idle).await;
    // Idle past the header-read timeout, and still usable.
    assert!(!closed_within(&mut idle, Duration::from_secs(2)).await);
    healthz_on(&mut idle).await;
    let answered = Instant::now();
    assert!(closed_within(&mut idle, Duration::from_secs(8)).await);
    let idle_for = answered.elapsed();
    assert!(
        idle_for >= Duration::from_millis(3500) && idle_for < Duration::from_secs(7),
        "closed after {idle_for:?} idle, not after about 4 s"
    );

    // The header-read timeout counts from a head's first byte, not from the last answer.
    let mut slow = server.connect().await;
    healthz_on(&mut slow).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    slow.write_all(b"GET /healthz HT").await.unwrap();
    let first_byte = Instant::now();
    assert!(closed_within(&mut slow, Duration::from_secs(3)).await);
    let took = first_byte.elapsed();
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_millis(2500),
        "a half head after an idle spell was closed after {took:?}, not after about 1 s"
    );
}

#[tokio::test]
async fn past_the_connection_limit_a_new_connection_waits_until_a_slot_frees() {
    let Some(server) = Serving::start(&["--max-connections", "4"]).await else {
        return;
    };
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = server.connect().await;
        healthz_on(&mut stream).await;
        held.push(stream);
    }

    // The kernel completes the handshake; Procura does not take the connection yet.
    let mut fifth = server.connect().await;
    fifth.write_all(HEALTHZ).await.unwrap();
    assert!(
        read_answer(&mut fifth, Duration::from_secs(1))
            .await
            .is_none(),
        "the fifth connection was served while four were open"
    );
    // The held connections are still served.
    healthz_on(&mut held[0]).await;

    drop(held.pop());
    let answer = read_answer(&mut fifth, Duration::from_secs(5))
        .await
        .expect("the fifth connection is served once a slot frees");
    assert_eq!(answer.status_line, "HTTP/1.1 200 OK");
    assert_eq!(answer.json(), json!({ "status": "ok" }));
}
