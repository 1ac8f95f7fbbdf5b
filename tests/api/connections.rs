//! The server under the router, over raw TCP: slow and idle clients are closed in time, the
//! connection limit holds new connections back, a shutdown drains within its deadline, and a
//! malformed head is answered in the error envelope where Procura gets to see it.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app, test_database};

const WAIT: Duration = Duration::from_secs(30);

/// A running `procura serve` with the given flags, on a fresh database; killed when dropped.
struct Serving {
    child: Child,
    address: SocketAddr,
    /// The key it printed for the account it created.
    key: String,
    _db: crate::helpers::TestDb,
}

impl Serving {
    async fn start(flags: &[&str]) -> Option<Self> {
        let db = test_database().await?;
        let mut child = crate::cli::procura(&db.url)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("procura serve starts");
        let stdout = child.stdout.take().expect("a stdout pipe");
        let lines = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut seen = Vec::new();
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let listening = line.starts_with("Listening on ");
                seen.push(line);
                if listening {
                    break;
                }
            }
            seen
        })
        .await
        .unwrap();
        let address = lines
            .last()
            .and_then(|l| l.strip_prefix("Listening on http://"))
            .unwrap_or_else(|| panic!("procura serve did not start: {lines:?}"))
            .trim()
            .parse()
            .unwrap();
        let key = lines
            .iter()
            .find(|l| l.starts_with("pk_"))
            .expect("a first key")
            .trim()
            .to_owned();
        Some(Self {
            child,
            address,
            key,
            _db: db,
        })
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.address).await.unwrap()
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// How long after `since` the process exited, if it did within `within` of now.
    async fn exited(&mut self, since: Instant, within: Duration) -> Option<Duration> {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "procura serve exited with {status}");
                return Some(since.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One answer read off a raw connection.
struct Raw {
    status_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Reads one answer (its body by `Content-Length`), within `within`.
async fn read_answer(stream: &mut TcpStream, within: Duration) -> Option<Raw> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let until = tokio::time::Instant::now() + within;
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap().to_owned();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
                .collect();
            let length: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().unwrap());
            if data.len() >= end + 4 + length {
                let body = data[end + 4..end + 4 + length].to_vec();
                return Some(Raw {
                    status_line,
                    headers,
                    body,
                });
            }
        }
        let n = match tokio::time::timeout_at(until, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(read) => read.unwrap_or(0),
        };
        assert!(
            n > 0,
            "closed before answering; read {:?}",
            String::from_utf8_lossy(&data)
        );
        data.extend_from_slice(&buf[..n]);
    }
}

/// Whether the server closes `stream` within `within` (sending nothing more).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    match tokio::time::timeout(within, stream.read(&mut buf)).await {
        Err(_) => false,
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(n)) => panic!(
            "expected a close, got {:?}",
            String::from_utf8_lossy(&buf[..n])
        ),
    }
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: procura\r\n\r\n";

async fn healthz_on(stream: &mut TcpStream) {
    stream.write_all(HEALTHZ).await.unwrap();
    let answer = read_answer(stream, WAIT).await.expect("an answer");
    assert_eq!(answer.status_line, "HTTP/1.1 200 OK");
    assert_eq!(answer.json(), json!({ "status": "ok" }));
}

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
