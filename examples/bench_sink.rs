//! The webhook receiver of the benchmark's webhook workloads (`bench/run.py`): answers every
//! delivery 204 and counts them; `GET /count` answers how many have arrived. `POST
//! /hook?delay_ms=N` answers only after N milliseconds: a subscriber that slow keeps the server's
//! deliveries waiting, so that a workload measures the writes alone.
//!
//! It stands for a subscriber on another machine, so it must take as little of this machine as it
//! can: one thread, no parsing of what it is sent. A receiver in Python took as much CPU per
//! delivery as the server spent on the write that caused it, and the figures measured the
//! receiver.
//!
//! `cargo run --release --example bench_sink` prints the address it listens on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let received = Arc::new(AtomicU64::new(0));
        let app = Router::new()
            .route("/hook", post(receive))
            .route("/count", get(count))
            .with_state(received);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("http://{}", listener.local_addr()?);
        axum::serve(listener, app).await?;
        Ok(())
    })
}

#[derive(serde::Deserialize)]
struct Delay {
    delay_ms: Option<u64>,
}

async fn receive(
    State(received): State<Arc<AtomicU64>>,
    Query(delay): Query<Delay>,
    _body: axum::body::Bytes,
) -> StatusCode {
    if let Some(ms) = delay.delay_ms {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    received.fetch_add(1, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

async fn count(State(received): State<Arc<AtomicU64>>) -> String {
    received.load(Ordering::Relaxed).to_string()
}
