//! The server under the router, over raw TCP: slow and idle clients are closed in time, the
//! connection limit holds new connections back, a shutdown drains within its deadline, and a
//! malformed head is answered in the error envelope. The helpers start `procura serve` with flags
//! and read answers off raw sockets.

mod heads;
mod shutdown;
mod slow_clients;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::test_database;

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
