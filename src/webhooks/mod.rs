//! The delivery worker: leases due deliveries from the outbox, sends each one signed, and records
//! how it went, retrying on Standard Webhooks' schedule. Every server runs one; on PostgreSQL
//! their leases (`FOR UPDATE SKIP LOCKED`) hand each delivery to one of them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::{Value, json};

use crate::domain::ids::DeliveryId;
use crate::domain::webhook::{check_url, is_public, retry_delay};
use crate::store::{Attempt, DueDelivery, Store};

pub mod sign;

/// How long an attempt may take, answer included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a leased delivery stays with the server that leased it: past this, a server that died
/// while sending it has its deliveries taken over.
const LEASE: Duration = Duration::from_secs(30);
/// How often the outbox is looked at when it was found empty.
const POLL: Duration = Duration::from_millis(100);
/// Deliveries leased at once.
const BATCH: u32 = 64;
/// How much of an answer is kept in the delivery log.
const EXCERPT: usize = 256;

pub struct Deliverer {
    store: Arc<dyn Store>,
    client: reqwest::Client,
    allow_private: bool,
    /// The origin of `resource_url` in the payloads.
    origin: String,
}

impl Deliverer {
    pub fn new(store: Arc<dyn Store>, allow_private: bool, origin: String) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(Guarded { allow_private }))
            .user_agent(concat!("procura/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            store,
            client,
            allow_private,
            origin: origin.trim_end_matches('/').to_owned(),
        })
    }

    /// Delivers until `stop`. One order has at most one delivery in a batch, so they may go at
    /// once.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        let this = Arc::new(self);
        let lease = |now, until| {
            let store = Arc::clone(&this.store);
            async move { store.lease_deliveries(now, until, BATCH).await }
        };
        let send = |due: DueDelivery| {
            let this = Arc::clone(&this);
            async move { (due.id, this.attempt(&due).await) }
        };
        let settle = |attempts: Vec<(DeliveryId, Attempt)>| {
            let store = Arc::clone(&this.store);
            async move {
                let count = attempts.len();
                if let Err(err) = store.settle_deliveries(attempts).await {
                    // The leases run out and the deliveries are sent again: at least once.
                    tracing::warn!(deliveries = count, error = %err, "cannot record webhook deliveries");
                }
            }
        };
        crate::store::outbox::work("webhook deliveries", LEASE, POLL, lease, send, settle, stop)
            .await;
    }

    async fn attempt(&self, due: &DueDelivery) -> Attempt {
        let sent = self.send(due).await;
        let at = crate::store::now();
        let failed_attempts = u32::try_from(due.attempts + 1).unwrap_or(u32::MAX);
        let (delivered, status, response) = match sent {
            Ok((status, excerpt)) => ((200..300).contains(&status), Some(status), excerpt),
            Err(reason) => (false, None, reason),
        };
        let retry_at = if delivered {
            None
        } else {
            retry_delay(failed_attempts)
                .map(|d| at + chrono::Duration::from_std(d).unwrap_or_default())
        };
        tracing::info!(delivery = %due.id, webhook = %due.webhook_id, delivered, status, "webhook delivery attempted");
        Attempt {
            at,
            delivered,
            status,
            response,
            retry_at,
        }
    }

    /// Sends one attempt; the answer's status and the first bytes of its body, or why there was
    /// no answer.
    async fn send(&self, due: &DueDelivery) -> Result<(i64, String), String> {
        // Again at each attempt: the setting may have changed since the webhook was saved.
        check_url(&due.url, self.allow_private).map_err(|e| format!("refused target: {e:?}"))?;
        let body = serde_json::to_vec(&self.payload(due)).map_err(|e| e.to_string())?;
        let id = format!("msg_{}", due.id);
        let timestamp = chrono::Utc::now().timestamp();
        let signature = sign::signature(&due.secret, &id, timestamp, &body)
            .ok_or_else(|| "the webhook's secret is malformed".to_owned())?;
        let mut request = self
            .client
            .post(&due.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature);
        for header in &due.headers {
            request = request.header(&header.key, &header.value);
        }
        let mut answer = request.body(body).send().await.map_err(|e| {
            if e.is_timeout() {
                format!("no answer within {} s", TIMEOUT.as_secs())
            } else {
                format!("cannot send: {e}")
            }
        })?;
        let status = i64::from(answer.status().as_u16());
        let mut excerpt = Vec::new();
        while excerpt.len() < EXCERPT {
            match answer.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                _ => break,
            }
        }
        excerpt.truncate(EXCERPT);
        Ok((status, String::from_utf8_lossy(&excerpt).into_owned()))
    }

    fn payload(&self, due: &DueDelivery) -> Value {
        let event = &due.event;
        let mut data = json!({ "purchase_order_id": event.order.to_string() });
        for key in [
            "status",
            "receipt_id",
            "reversal",
            "product_receives",
            "changes",
            "mail_id",
            "to",
            "cc",
            "subject",
        ] {
            if let Some(value) = event.data.get(key) {
                data[key] = value.clone();
            }
        }
        json!({
            "type": event.kind.webhook_event(),
            "timestamp": event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "resource_url": format!("{}/v2/purchase_orders/{}", self.origin, event.order),
            "data": data,
        })
    }
}

/// Resolves a target's name and refuses it when every address is loopback or private (unless
/// allowed), so that a public name pointing inside the network is refused as its address would be.
struct Guarded {
    allow_private: bool,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|addr| allow_private || is_public(addr.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{} resolves to no public address; start the server with \
                     --webhook-allow-private to send webhooks there",
                    name.as_str()
                )
                .into());
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}
