//! The `procura` command line.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::domain::account::NewApiKey;
use crate::domain::ids::{AccountId, ApiKeyId};
use crate::serve::ServerLimits;
use crate::startup::{self, Application, DbOptions, Listeners, Settings};
use crate::store::StoreError;
use crate::store::{postgres, sqlite};

#[derive(Debug, Parser)]
#[command(
    name = "procura",
    version,
    about = "Purchase orders over the ShipStation API v2 purchase-order dialect."
)]
pub struct Cli {
    /// Where data is stored: a SQLite file path (or `sqlite:PATH`), or a `postgres://` URL.
    #[arg(
        long = "database",
        env = "PROCURA_DATABASE_URL",
        default_value = "procura.db",
        global = true
    )]
    pub database_url: String,

    #[command(flatten)]
    pub db: DbArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// PostgreSQL pool settings (ignored for SQLite).
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// Most database connections this process opens (PostgreSQL). Keep the sum over every
    /// instance under the server's `max_connections`.
    #[arg(
        long,
        env = "PROCURA_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,
    /// Seconds a request waits for a free database connection before it is answered 503.
    #[arg(
        long,
        env = "PROCURA_DB_ACQUIRE_TIMEOUT_SECS",
        default_value_t = 5,
        global = true
    )]
    pub db_acquire_timeout_secs: u64,
    /// Longest any one SQL statement may run, in seconds (PostgreSQL `statement_timeout`);
    /// 0 turns the limit off.
    #[arg(
        long,
        env = "PROCURA_DB_STATEMENT_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub db_statement_timeout_secs: u64,
}

impl DbArgs {
    pub fn options(&self) -> DbOptions {
        DbOptions {
            max_connections: self.db_max_connections,
            acquire_timeout: Duration::from_secs(self.db_acquire_timeout_secs),
            statement_timeout: Duration::from_secs(self.db_statement_timeout_secs),
        }
    }
}

/// How long clients may take, how many may be connected, and how long a shutdown may take.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionArgs {
    /// Seconds a client has to send a whole request head, from its first byte (for a new
    /// connection, from its opening); a slower connection is closed.
    #[arg(long, env = "PROCURA_HEADER_READ_TIMEOUT_SECS", default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_secs: u64,
    /// Seconds a keep-alive connection may wait for its next request before it is closed.
    #[arg(long, env = "PROCURA_IDLE_TIMEOUT_SECS", default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,
    /// Connections served at once; more wait in the listen backlog until one closes.
    #[arg(long, env = "PROCURA_MAX_CONNECTIONS", default_value_t = 1024,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Seconds requests in flight get to finish after SIGTERM or Ctrl-C before their
    /// connections are cut.
    #[arg(long, env = "PROCURA_SHUTDOWN_TIMEOUT_SECS", default_value_t = 10)]
    pub shutdown_timeout_secs: u64,
}

impl ConnectionArgs {
    pub fn limits(&self) -> ServerLimits {
        ServerLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout_secs),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API. On first start with no account, creates one and prints its API key.
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "PROCURA_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Requests per minute allowed per account; 0 turns the limit off.
        #[arg(long, env = "PROCURA_RATE_LIMIT_PER_MINUTE", default_value_t = 0)]
        rate_limit_per_minute: u32,
        /// The address clients reach the service at, e.g. `https://po.example.com`, used in
        /// pagination links. Unset, links use the Host header only when it names the address the
        /// server was reached on, and are relative otherwise.
        #[arg(long, env = "PROCURA_PUBLIC_URL")]
        public_url: Option<String>,
        /// Serve `/metrics` on this address only (e.g. `127.0.0.1:9090`), not beside the API.
        #[arg(long, env = "PROCURA_METRICS_LISTEN")]
        metrics_listen: Option<String>,
        /// How many hours an `Idempotency-Key` and its answer are kept; a retry after that runs
        /// the request again.
        #[arg(long, env = "PROCURA_IDEMPOTENCY_KEY_TTL_HOURS", default_value_t = 24,
              value_parser = clap::value_parser!(u32).range(1..=8760))]
        idempotency_key_ttl_hours: u32,
        /// The email of the first web user (an admin), created with the first account.
        #[arg(long, env = "PROCURA_ADMIN_EMAIL", default_value = "admin@localhost")]
        admin_email: String,
        /// Seconds a web session lasts without a request.
        #[arg(long, env = "PROCURA_SESSION_IDLE_SECS", default_value_t = 1800,
              value_parser = clap::value_parser!(u32).range(1..=604_800))]
        session_idle_secs: u32,
        /// Hours a web session lasts at most, however busy.
        #[arg(long, env = "PROCURA_SESSION_MAX_HOURS", default_value_t = 12,
              value_parser = clap::value_parser!(u32).range(1..=720))]
        session_max_hours: u32,
        /// Let webhooks target loopback and private addresses (refused by default, so that a
        /// webhook cannot reach into the network the server runs in).
        #[arg(long, env = "PROCURA_WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
        webhook_allow_private: bool,
        /// The SMTP server orders are emailed through: `smtp://USER:PASSWORD@HOST:587`
        /// (STARTTLS), `smtps://USER:PASSWORD@HOST:465` (TLS), or `smtp://HOST:25?tls=none` for
        /// a relay on the same machine. Without it, `POST .../send` is refused.
        #[arg(long, env = "PROCURA_SMTP_URL", hide_env_values = true)]
        smtp_url: Option<String>,
        #[command(flatten)]
        connections: ConnectionArgs,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage the web app's users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Write a consistent, verified copy of the SQLite database to a new file, while a server
    /// may be running and writing (restore: stop the server, put the copy in place of the
    /// database file, remove any `-wal` and `-shm` files beside it, start the server).
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Copy a SQLite database into an empty PostgreSQL database, verified by counts and sums.
    ///
    /// Stop the server using the SQLite file first. The file is opened read-only; on PostgreSQL
    /// everything happens in one transaction, committed only if the verification passes.
    Copy {
        /// The SQLite database to copy: a file path or `sqlite:PATH`.
        #[arg(long)]
        from: String,
        /// The PostgreSQL database to copy into, `postgres://user@host/db`; its schema is created
        /// if needed and it must hold no account yet.
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it (last line of standard output). Without --account, a new account.
    Create {
        /// The account the key is for, e.g. `se-1`.
        #[arg(long)]
        account: Option<String>,
        /// What the key is for, e.g. `shop sync` (at most 100 characters).
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List every key: id, account, first characters, creation and revocation times, when it was
    /// last used (to the minute) and its label.
    List,
    /// Revoke a key by its id (from `keys list`); requests with it are refused from then on.
    Revoke {
        /// The key's id, e.g. `se-3`.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user and print a one-time link (valid 7 days) where it sets its password.
    Create {
        /// The account the user belongs to, e.g. `se-1`.
        #[arg(long)]
        account: String,
        /// The user's sign-in name.
        #[arg(long)]
        email: String,
        /// `admin`, `buyer` or `receiver`.
        #[arg(long)]
        role: String,
        /// The address users reach the web app at, for the link.
        #[arg(
            long,
            env = "PROCURA_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
    /// List users: id, account, email, role, whether a password is set, disabled.
    List {
        /// Only the users of this account.
        #[arg(long)]
        account: Option<String>,
    },
    /// Disable a user by its id (from `users list`) and end its sessions.
    Disable {
        /// The user's id, e.g. `se-2`.
        id: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Opens its two databases itself; `--database` plays no part.
    if let Command::Copy { from, to } = &cli.command {
        return copy(from, to).await;
    }
    if let Command::Backup { to } = &cli.command {
        return backup(&cli.database_url, to);
    }
    let is_sqlite = !postgres::is_postgres_url(&cli.database_url);
    let creates = matches!(cli.command, Command::Serve { .. } | Command::Migrate);
    if is_sqlite && !creates {
        let path = sqlite::path_from_url(&cli.database_url);
        if !path.is_file() {
            anyhow::bail!(
                "there is no database at {}; check --database (only `serve` and `migrate` create one)",
                path.display()
            );
        }
    }
    if let Command::Serve {
        listen,
        rate_limit_per_minute,
        public_url,
        metrics_listen,
        idempotency_key_ttl_hours,
        admin_email,
        session_idle_secs,
        session_max_hours,
        webhook_allow_private,
        smtp_url,
        connections,
    } = cli.command
    {
        let settings = Settings {
            listen,
            metrics_listen,
            database_url: cli.database_url,
            rate_limit_per_minute,
            public_url,
            idempotency_key_ttl: Duration::from_secs(u64::from(idempotency_key_ttl_hours) * 3600),
            webhook_allow_private,
            smtp_url,
            server: connections.limits(),
            admin_email,
            sessions: crate::domain::user::SessionLimits {
                idle: chrono::Duration::seconds(i64::from(session_idle_secs)),
                absolute: chrono::Duration::hours(i64::from(session_max_hours)),
            },
        };
        return serve(&settings, &cli.db.options()).await;
    }
    let store = startup::open_store_with(&cli.database_url, &cli.db.options()).await?;
    match cli.command {
        Command::Serve { .. } => Ok(()),
        Command::Keys {
            command: KeysCommand::Create { account, label },
        } => {
            let label = crate::domain::account::parse_key_label(&label)
                .map_err(|e| anyhow::anyhow!("the label {e}"))?;
            let key = NewApiKey::generate().labelled(label);
            let secret = key.secret.clone();
            let (account, id) = match account {
                Some(raw) => {
                    let account = AccountId::parse(&raw)
                        .with_context(|| format!("'{raw}' is not an account id"))?;
                    let id = store.create_key(account, key).await.map_err(|e| match e {
                        StoreError::NotFound => anyhow::anyhow!("account {raw} does not exist"),
                        other => anyhow::anyhow!("creating the key: {other}"),
                    })?;
                    (account, id)
                }
                None => store
                    .create_account(key)
                    .await
                    .map_err(|e| anyhow::anyhow!("creating the account: {e}"))?,
            };
            println!("Created key {id} for account {account} (shown only this once):");
            println!("{secret}");
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::List,
        } => {
            let keys = store
                .list_keys(None)
                .await
                .map_err(|e| anyhow::anyhow!("listing keys: {e}"))?;
            let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
                at.map_or("-".to_owned(), |t| {
                    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                })
            };
            println!(
                "{:<12} {:<12} {:<12} {:<22} {:<22} {:<22} LABEL",
                "ID", "ACCOUNT", "KEY", "CREATED", "REVOKED", "LAST USED"
            );
            for key in keys {
                println!(
                    "{:<12} {:<12} {:<12} {:<22} {:<22} {:<22} {}",
                    key.id.to_string(),
                    key.account_id.to_string(),
                    format!("{}...", key.hint),
                    when(Some(key.created_at)),
                    when(key.revoked_at),
                    when(key.last_used_at),
                    key.label,
                );
            }
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Revoke { id },
        } => {
            let key = ApiKeyId::parse(&id)
                .with_context(|| format!("'{id}' is not a key id (see `procura keys list`)"))?;
            store.revoke_key(key).await.map_err(|e| match e {
                StoreError::NotFound => anyhow::anyhow!("key {id} does not exist"),
                other => anyhow::anyhow!("revoking the key: {other}"),
            })?;
            println!("Revoked key {id}.");
            Ok(())
        }
        Command::Users { command } => users(store.as_ref(), command).await,
        Command::Migrate => {
            println!("The database schema is up to date.");
            Ok(())
        }
        Command::Copy { .. } | Command::Backup { .. } => Ok(()),
    }
}

/// `procura serve`, in the order that leaves nothing behind when a step fails: the listeners
/// (a wrong address or a port in use), the file lock (another server on the file), then the
/// database, the first account and its key.
async fn serve(settings: &Settings, db: &DbOptions) -> anyhow::Result<()> {
    let listeners = Listeners::bind(settings).await?;
    // Held until the process ends.
    let _lock = if postgres::is_postgres_url(&settings.database_url) {
        None
    } else {
        Some(sqlite::ServerLock::acquire(&sqlite::path_from_url(
            &settings.database_url,
        ))?)
    };
    let store = startup::open_store_with(&settings.database_url, db).await?;
    let first = startup::ensure_first_account(store.as_ref()).await?;
    let app = Application::on(listeners, settings, Arc::clone(&store)).await?;
    if let Some((account, secret)) = first {
        println!("Created account {account}. Its API key (shown only this once):");
        println!("{secret}");
        let base = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", app.local_addr()));
        let (email, link) =
            startup::first_admin(store.as_ref(), account, &settings.admin_email, &base).await?;
        println!("Its first web user, {email} (admin), sets a password at (valid 7 days):");
        println!("{link}");
    }
    tracing::info!(address = %app.local_addr(), "procura listening");
    if let Some(metrics) = app.metrics_addr() {
        tracing::info!(address = %metrics, "metrics at /metrics");
    }
    println!("Listening on http://{}", app.local_addr());
    app.run_until_stopped().await?;
    match store.close().await {
        Ok(()) => tracing::info!("stopped; the database is checkpointed"),
        Err(err) => {
            tracing::warn!(error = %err, "stopped; the database could not be checkpointed")
        }
    }
    Ok(())
}

async fn users(store: &dyn crate::store::Store, command: UsersCommand) -> anyhow::Result<()> {
    use crate::domain::ids::UserId;
    use crate::domain::user::{Email, Role};
    match command {
        UsersCommand::Create {
            account,
            email,
            role,
            public_url,
        } => {
            let account_id = AccountId::parse(&account)
                .with_context(|| format!("'{account}' is not an account id"))?;
            let email = Email::parse(&email)
                .with_context(|| format!("'{email}' is not an email address"))?;
            let role = Role::parse(&role)
                .with_context(|| format!("'{role}' is not a role: admin, buyer or receiver"))?;
            let (id, link) = crate::web::create_user(store, account_id, &email, role, &public_url)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => anyhow::anyhow!("account {account} does not exist"),
                    other => anyhow::anyhow!("creating the user: {other}"),
                })?
                .with_context(|| format!("{email} already has a user"))?;
            println!("Created user {id}, {email} ({role}) of account {account}.");
            println!("It sets its password at (valid 7 days, shown only this once):");
            println!("{link}");
            Ok(())
        }
        UsersCommand::List { account } => {
            let account = account
                .map(|raw| {
                    AccountId::parse(&raw).with_context(|| format!("'{raw}' is not an account id"))
                })
                .transpose()?;
            let users = store
                .list_users(account)
                .await
                .map_err(|e| anyhow::anyhow!("listing users: {e}"))?;
            println!(
                "{:<12} {:<12} {:<32} {:<9} {:<8} DISABLED",
                "ID", "ACCOUNT", "EMAIL", "ROLE", "PASSWORD"
            );
            for user in users {
                println!(
                    "{:<12} {:<12} {:<32} {:<9} {:<8} {}",
                    user.id.to_string(),
                    user.account_id.to_string(),
                    user.email.as_str(),
                    user.role.as_str(),
                    if user.has_password { "set" } else { "-" },
                    user.disabled_at.map_or("-".to_owned(), |t| t
                        .format("%Y-%m-%dT%H:%M:%SZ")
                        .to_string()),
                );
            }
            Ok(())
        }
        UsersCommand::Disable { id } => {
            let user = UserId::parse(&id)
                .with_context(|| format!("'{id}' is not a user id (see `procura users list`)"))?;
            store.disable_user(None, user).await.map_err(|e| match e {
                StoreError::NotFound => anyhow::anyhow!("user {id} does not exist"),
                other => anyhow::anyhow!("disabling the user: {other}"),
            })?;
            println!("Disabled user {id}; its sessions are ended.");
            Ok(())
        }
    }
}

fn backup(database_url: &str, to: &std::path::Path) -> anyhow::Result<()> {
    if postgres::is_postgres_url(database_url) {
        anyhow::bail!(
            "procura backup copies SQLite files; for PostgreSQL use its own tools: \
             `pg_dump --format=custom --file=procura.dump '{}'`, restored with \
             `pg_restore --dbname=URL procura.dump` (see docs/deployment.md, Backups)",
            without_password(database_url)
        );
    }
    let from = sqlite::path_from_url(database_url);
    println!("Backing up {} to {}", from.display(), to.display());
    let report = crate::backup::backup_sqlite(&from, to)?;
    print!("{report}");
    Ok(())
}

async fn copy(from: &str, to: &str) -> anyhow::Result<()> {
    if postgres::is_postgres_url(from) {
        anyhow::bail!("--from must name a SQLite database (a file path or sqlite:PATH)");
    }
    if !postgres::is_postgres_url(to) {
        anyhow::bail!("--to must be a postgres:// or postgresql:// URL");
    }
    let path = sqlite::path_from_url(from);
    if !path.is_file() {
        anyhow::bail!(
            "there is no database at {}; check --from (copy never creates one)",
            path.display()
        );
    }
    println!(
        "Copying {} to PostgreSQL {}",
        path.display(),
        without_password(to)
    );
    println!(
        "Reading one consistent snapshot of {}: a server still writing to it may go on, and what \
         it writes from now on is not copied.",
        path.display()
    );
    let report = crate::copy::copy(&path, to, true).await?;
    print!("{report}");
    println!("Verified: every row count and sum above is equal on both sides. Committed.");
    Ok(())
}

/// `url` with any password replaced by `***`, fit for printing.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn printed_urls_hide_the_password() {
        assert_eq!(
            without_password("postgres://app:s3cret@db.example:5432/procura?sslmode=require"),
            "postgres://app:***@db.example:5432/procura?sslmode=require"
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(without_password("postgresql://h/db"), "postgresql://h/db");
    }
}
