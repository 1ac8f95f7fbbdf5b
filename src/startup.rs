//! Building and running the service: open the store, bind the listener, serve until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::domain::account::NewApiKey;
use crate::domain::ids::AccountId;
use crate::domain::user::{Email, Role};
use crate::http::pagination::{CURSOR_KEY, CursorKey};
use crate::http::rate_limit::RateLimiter;
use crate::http::{self, AppState};
use crate::serve::{self, ServerLimits};
use crate::store::Store;
use crate::store::postgres::{self, PgStore};
use crate::store::sqlite::{self, SqliteStore};
use crate::webhooks::Deliverer;

pub use crate::store::postgres::DbOptions;

/// What `procura serve` needs to run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    /// Where `/metrics` is served instead of beside the API, to keep it private.
    pub metrics_listen: Option<String>,
    pub database_url: String,
    pub rate_limit_per_minute: u32,
    pub public_url: Option<String>,
    /// How long an `Idempotency-Key` and its answer are kept.
    pub idempotency_key_ttl: std::time::Duration,
    /// Whether webhooks may target loopback and private addresses.
    pub webhook_allow_private: bool,
    /// Where orders are emailed through (`smtp://`, `smtps://`; see `mail::transport`); without
    /// it, sending an order is refused.
    pub smtp_url: Option<String>,
    /// Timeouts, the connection limit and the shutdown deadline.
    pub server: ServerLimits,
    /// The email of the first web user, made with the first account.
    pub admin_email: String,
    /// How long a web session lasts.
    pub sessions: crate::domain::user::SessionLimits,
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

/// Creates the first account's first web user, an admin, and returns its email and the link
/// where it sets its password.
pub async fn first_admin(
    store: &dyn Store,
    account: AccountId,
    email: &str,
    base: &str,
) -> anyhow::Result<(Email, String)> {
    let email = Email::parse(email)
        .with_context(|| format!("--admin-email '{email}' is not an email address"))?;
    let (_, link) = crate::web::create_user(store, account, &email, Role::Admin, base)
        .await
        .map_err(|e| anyhow::anyhow!("creating the first web user: {e}"))?
        .with_context(|| format!("{email} already has a user"))?;
    Ok((email, link))
}

pub struct Application {
    listeners: Listeners,
    store: Arc<dyn Store>,
    router: axum::Router,
    metrics: Option<axum::Router>,
    limits: ServerLimits,
    webhook_allow_private: bool,
    public_url: Option<String>,
    mail: Option<crate::mail::Transport>,
}

/// The bound sockets of a server, bound before anything else is done so that a wrong address or
/// a port in use stops `procura serve` before it creates a database, an account or a key.
pub struct Listeners {
    api: TcpListener,
    metrics: Option<TcpListener>,
}

impl Listeners {
    pub async fn bind(settings: &Settings) -> anyhow::Result<Self> {
        let api = bind(&settings.listen, "--listen").await?;
        let metrics = match &settings.metrics_listen {
            Some(address) => Some(bind(address, "--metrics-listen").await?),
            None => None,
        };
        Ok(Self { api, metrics })
    }
}

async fn bind(address: &str, flag: &str) -> anyhow::Result<TcpListener> {
    if !address.contains(':') {
        anyhow::bail!(
            "{flag} {address} is not an address: give a host and a port, such as 127.0.0.1:{address}"
        );
    }
    TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} ({flag})"))
}

impl Application {
    /// Binds the listeners (port 0 picks a free port) and builds the router over `store`.
    pub async fn build(settings: &Settings, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        let listeners = Listeners::bind(settings).await?;
        Self::on(listeners, settings, store).await
    }

    /// The application on listeners already bound.
    pub async fn on(
        listeners: Listeners,
        settings: &Settings,
        store: Arc<dyn Store>,
    ) -> anyhow::Result<Self> {
        let secret = store
            .secret(CURSOR_KEY, CursorKey::fresh_secret())
            .await
            .map_err(|e| anyhow::anyhow!("reading the cursor key: {e}"))?;
        let state = AppState {
            store: Arc::clone(&store),
            limiter: RateLimiter::per_minute(settings.rate_limit_per_minute).map(Arc::new),
            public_url: settings.public_url.clone(),
            cursor_key: CursorKey::new(&secret),
            renders: Arc::new(crate::documents::RenderSlots::for_this_machine()),
            idempotency_key_ttl: settings.idempotency_key_ttl,
            webhook_allow_private: settings.webhook_allow_private,
            key_uses: Arc::default(),
            smtp: settings.smtp_url.is_some(),
        };
        let mail = settings
            .smtp_url
            .as_deref()
            .map(crate::mail::transport)
            .transpose()
            .context("--smtp-url")?;
        let csrf = store
            .secret(crate::web::CSRF_KEY, CursorKey::fresh_secret())
            .await
            .map_err(|e| anyhow::anyhow!("reading the CSRF key: {e}"))?;
        let web = crate::web::WebState {
            api: state.clone(),
            csrf: crate::web::csrf::CsrfKey::new(&csrf),
            sessions: settings.sessions,
            secure_cookies: settings
                .public_url
                .as_deref()
                .is_some_and(|url| url.starts_with("https://")),
        };
        let separate = listeners.metrics.is_some();
        Ok(Self {
            router: crate::web::router(web).merge(http::router(state.clone(), !separate)),
            metrics: separate.then(|| http::metrics_router(state)),
            listeners,
            store,
            limits: settings.server,
            webhook_allow_private: settings.webhook_allow_private,
            public_url: settings.public_url.clone(),
            mail,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        address_of(&self.listeners.api)
    }

    /// Where `/metrics` is served when it has a listener of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.listeners.metrics.as_ref().map(address_of)
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` resolves (for tests and embedding).
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        let wait = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        let metrics = match (self.listeners.metrics, self.metrics) {
            (Some(listener), Some(router)) => Some(tokio::spawn(serve::serve(
                listener,
                router,
                self.limits,
                wait(stopped.clone()),
            ))),
            _ => None,
        };
        let origin = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", address_of(&self.listeners.api)));
        let delivering = tokio::spawn(
            Deliverer::new(Arc::clone(&self.store), self.webhook_allow_private, origin)?
                .run(wait(stopped.clone())),
        );
        let mailing = self.mail.map(|transport| {
            tokio::spawn(
                crate::mail::Mailer::new(Arc::clone(&self.store), transport)
                    .run(wait(stopped.clone())),
            )
        });
        let purging = tokio::spawn(purge_expired_keys(self.store, wait(stopped.clone())));
        tokio::spawn(async move {
            stop.await;
            let _ = stopping.send(true);
        });
        let served = serve::serve(self.listeners.api, self.router, self.limits, wait(stopped))
            .await
            .context("serving HTTP");
        if let Some(metrics) = metrics {
            metrics
                .await
                .context("the metrics server")?
                .context("serving /metrics")?;
        }
        purging.abort();
        delivering.abort();
        if let Some(mailing) = mailing {
            mailing.abort();
        }
        served
    }
}

/// How often expired idempotency keys are deleted, and how many at most per statement.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
const PURGE_BATCH: u32 = 1000;

/// Deletes expired idempotency keys in the background until `stop`, a batch at a time so that no
/// one statement holds the database for long. Every server does it; on a shared PostgreSQL
/// database the deletes of two servers only find less to do.
async fn purge_expired_keys(store: Arc<dyn Store>, stop: impl std::future::Future<Output = ()>) {
    let purge = async {
        let mut ticks = tokio::time::interval(PURGE_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            loop {
                match store
                    .purge_expired_keys(crate::store::now(), PURGE_BATCH)
                    .await
                {
                    Ok(n) if n >= u64::from(PURGE_BATCH) => continue,
                    Ok(n) => {
                        if n > 0 {
                            tracing::debug!(deleted = n, "expired idempotency keys deleted");
                        }
                        break;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot delete expired idempotency keys; will retry");
                        break;
                    }
                }
            }
        }
    };
    tokio::select! {
        () = purge => {},
        () = stop => {},
    }
}

fn address_of(listener: &TcpListener) -> SocketAddr {
    listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
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
