//! Webhooks: where an account's purchase-order events are sent, signed per Standard Webhooks 1.0,
//! and when a failed delivery is tried again.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use super::Invalid;
use super::ids::WebhookId;

/// The ShipStation webhook events Procura sends.
pub const EVENTS: [&str; 5] = [
    "purchase_order_created_v2",
    "purchase_order_updated_v2",
    "purchase_order_status_changed_v2",
    "purchase_order_products_received_v2",
    "purchase_order_sent_v2",
];

/// Checks a webhook `event` value: one of [`EVENTS`].
pub fn parse_event(raw: &str) -> Result<&'static str, Invalid> {
    EVENTS.into_iter().find(|e| *e == raw).ok_or_else(|| {
        Invalid::value(format!(
            "is not an event Procura sends; use one of {}",
            EVENTS.join(", ")
        ))
    })
}

/// A header sent with every delivery of a webhook.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Header {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookInput {
    pub name: String,
    pub url: String,
    pub event: &'static str,
    pub headers: Vec<Header>,
}

/// `PUT`: the fields given replace the stored ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebhookPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub headers: Option<Vec<Header>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: WebhookId,
    pub name: String,
    pub url: String,
    pub event: String,
    pub headers: Vec<Header>,
    /// Since when a delivery has exhausted its retries; cleared by the next success.
    pub failing_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// A fresh signing secret: `whsec_` and the base64 of 24 random bytes.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// Checks a target URL: `http` or `https` with a host. `allow_private` admits loopback and
/// private addresses, which are refused otherwise (a webhook must not reach into the network
/// the server runs in); names are checked again once resolved, at each delivery.
pub fn check_url(raw: &str, allow_private: bool) -> Result<String, Invalid> {
    let url = url::Url::parse(raw).map_err(|e| Invalid::value(format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Invalid::value("must be an http or https URL"));
    }
    let Some(host) = url.host() else {
        return Err(Invalid::value("must name a host"));
    };
    if !allow_private {
        let refused = match host {
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name == "localhost" || name.ends_with(".localhost")
            }
            url::Host::Ipv4(ip) => !is_public(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => !is_public(IpAddr::V6(ip)),
        };
        if refused {
            return Err(Invalid::value(
                "names a loopback or private address; start the server with \
                 --webhook-allow-private to send webhooks there",
            ));
        }
    }
    Ok(url.to_string())
}

/// Whether `ip` is an address on the public internet: not loopback, private, link-local,
/// shared (CGNAT), unspecified, multicast or documentation space.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Standard Webhooks' retry schedule: the delay before attempt `n + 1` after `n` failed ones;
/// `None` once they are exhausted and the delivery fails.
pub fn retry_delay(failed_attempts: u32) -> Option<Duration> {
    const SCHEDULE: [u64; 7] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
    let index = usize::try_from(failed_attempts.checked_sub(1)?).ok()?;
    SCHEDULE.get(index).map(|s| Duration::from_secs(*s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_targets_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "http://10.1.2.3/",
            "http://192.168.0.10/",
            "http://172.16.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
        ] {
            assert!(check_url(url, false).is_err(), "{url}");
            assert!(check_url(url, true).is_ok(), "{url}");
        }
        assert!(check_url("https://hooks.example.com/procura", false).is_ok());
        assert!(check_url("http://93.184.216.34/", false).is_ok());
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("not a url", true).is_err());
    }

    #[test]
    fn retries_follow_the_standard_webhooks_schedule_then_stop() {
        let delays: Vec<u64> = (1..=7).map(|n| retry_delay(n).unwrap().as_secs()).collect();
        assert_eq!(delays, [5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert_eq!(retry_delay(8), None);
    }

    #[test]
    fn an_unknown_event_is_refused_naming_the_supported_ones() {
        assert_eq!(
            parse_event("purchase_order_sent_v2"),
            Ok("purchase_order_sent_v2")
        );
        let refused = parse_event("track").unwrap_err();
        assert!(format!("{refused:?}").contains("purchase_order_created_v2"));
    }

    #[test]
    fn a_secret_is_whsec_and_24_random_bytes() {
        let secret = new_secret();
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        assert_eq!(key.len(), 24);
        assert_ne!(new_secret(), secret);
    }
}
