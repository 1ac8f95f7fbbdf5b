//! Building and running the service: open the store, bind the listener, serve until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::domain::account::NewApiKey;
use crate::domain::ids::AccountId;
use crate::http::rate_limit::RateLimiter;
use crate::http::{self, AppState};
use crate::store::Store;
use crate::store::postgres::{self, PgStore};
use crate::store::sqlite::{self, SqliteStore};

pub use crate::store::postgres::DbOptions;

/// What `procura serve` needs to run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub database_url: String,
    pub rate_limit_per_minute: u32,
    pub public_url: Option<String>,
}

/// The runtime `procura serve` runs on: tokio's multi-threaded scheduler, whose workers keep
/// their SQLite read snapshot from one request to the next while they are busy and give it back
/// whenever they go idle (see `store::sqlite::engine`).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_unpark(sqlite::keep_read_snapshots)
        .on_thread_park(sqlite::release_read_snapshots)
        .build()
}

/// Opens the store a database URL names, with the default pool settings.
pub async fn open_store(database_url: &str) -> anyhow::Result<Arc<dyn Store>> {
    open_store_with(database_url, &DbOptions::default()).await
}

/// Opens the store a database URL names: `postgres://...` or `postgresql://...` for PostgreSQL
/// (pool settings from `db`), anything else (`sqlite:path`, or a plain path) for an SQLite file.
pub async fn open_store_with(database_url: &str, db: &DbOptions) -> anyhow::Result<Arc<dyn Store>> {
    if postgres::is_postgres_url(database_url) {
        let store = PgStore::connect(database_url, db)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the PostgreSQL database: {e}"))?;
        return Ok(Arc::new(store));
    }
    let path = sqlite::path_from_url(database_url);
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
        .await
        .context("opening the SQLite database")?
        .map_err(|e| anyhow::anyhow!("cannot open the SQLite database {database_url}: {e}"))?;
    Ok(Arc::new(store))
}

/// On first start (no account yet) creates one and returns its key, to be shown once.
pub async fn ensure_first_account(
    store: &dyn Store,
) -> anyhow::Result<Option<(AccountId, String)>> {
    if store
        .has_accounts()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        return Ok(None);
    }
    let key = NewApiKey::generate();
    let secret = key.secret.clone();
    let created = store
        .create_first_account(key)
        .await
        .map_err(|e| anyhow::anyhow!("creating the first account: {e}"))?;
    Ok(created.map(|(account, _)| (account, secret)))
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
}

impl Application {
    /// Binds the listener (port 0 picks a free port) and builds the router over `store`.
    pub async fn build(settings: &Settings, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let state = AppState {
            store,
            limiter: RateLimiter::per_minute(settings.rate_limit_per_minute).map(Arc::new),
            public_url: settings.public_url.clone(),
            renders: Arc::new(crate::documents::RenderSlots::for_this_machine()),
        };
        Ok(Self {
            listener,
            router: http::router(state),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving HTTP")
    }

    /// Serves until `stop` resolves (for tests and embedding).
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(stop)
            .await
            .context("serving HTTP")
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down; finishing requests in flight");
}
