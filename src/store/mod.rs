//! Persistence: one [`Store`] trait of unit-of-work methods, one implementation per database.
//!
//! Every method is one transaction. Rules that must hold under concurrency (order numbers,
//! status changes, receipts) are enforced inside that transaction by the database itself.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::account::{ApiKeyInfo, NewApiKey};
use crate::domain::address::AccountProfile;
use crate::domain::event::Event;
use crate::domain::ids::{
    AccountId, ApiKeyId, DeliveryId, LocationId, PurchaseOrderId, ReceiptId, SupplierId, UserId,
    WarehouseId, WebhookId,
};
use crate::domain::logo::Logo;
use crate::domain::mail::{DueMail, MailAttempt, MailSummary, NewMail};
use crate::domain::page::{Page, PageRequest};
use crate::domain::purchase_order::{
    PurchaseOrder, PurchaseOrderFilter, PurchaseOrderInput, PurchaseOrderSummary,
    ShippingDetailsPatch,
};
use crate::domain::receipt::{InventoryFilter, InventoryLevel, Receipt, ReceiveLine};
use crate::domain::refusal::Refusal;
use crate::domain::status::Status;
use crate::domain::supplier::{Supplier, SupplierInput};
use crate::domain::user::{Credentials, Email, Role, SessionUser, User};
use crate::domain::version::Tag;
use crate::domain::warehouse::{Location, LocationChange, NewLocation, Warehouse, WarehouseInput};
use crate::domain::webhook::{Webhook, WebhookInput, WebhookPatch};
pub use delivery::{Attempt, Delivery, DueDelivery};

mod delivery;
mod event_rows;
pub mod key_cache;
pub mod names;
pub mod outbox;
pub mod postgres;
mod rows;
pub mod sqlite;
pub mod write;

pub use write::{Claim, KeptAnswer, Once, Origin, Tagged, Write};

pub type StoreResult<T> = Result<T, StoreError>;

/// Every store trait in scope, for calling their methods on a `dyn Store`:
/// `use crate::store::prelude::*;`.
pub mod prelude {
    pub use super::{
        Accounts as _, Events as _, Inventory as _, PurchaseOrders as _, Receiving as _,
        Sessions as _, Store as _, Suppliers as _, Users as _, Warehouses as _, Webhooks as _,
    };
}

/// The current time at the precision both databases keep (microseconds), so that what a write
/// answers equals what a later read returns.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The object named by the request (its path) does not exist in the caller's account.
    #[error("not found")]
    NotFound,
    /// The request breaks a rule that only the stored state can tell; nothing was changed.
    #[error("rejected: {0:?}")]
    Rejected(Vec<Refusal>),
    /// The database cannot be reached or is overloaded; the request may be retried.
    #[error("database unavailable: {}", .0.chain())]
    Unavailable(#[source] Fault),
    /// A bug or a corrupt database; details go to the log only.
    #[error("internal store error: {}", .0.chain())]
    Internal(#[source] Fault),
    /// `If-Match` named none of the object's current tag (given); nothing was changed.
    #[error("precondition failed: the object's tag is now {0}")]
    Stale(Tag),
    /// The `Idempotency-Key` was used before with the same request: its kept answer, and
    /// nothing was changed.
    #[error("replayed")]
    Replayed(Arc<KeptAnswer>),
    /// The `Idempotency-Key` was used before with another request; nothing was changed.
    #[error("idempotency key reused with another request")]
    KeyReused,
}

/// What a store was doing when it failed, and the error it met there. The error is kept as the
/// source, and a `StoreError`'s message names the whole chain, since most of its readers (a log
/// line, a command's error) print only the message.
#[derive(Debug, Clone)]
pub struct Fault {
    pub context: String,
    /// Shared, so that one failed commit can answer every request of its group.
    pub cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Fault {
    pub fn caused_by(
        context: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            context: context.into(),
            cause: Some(Arc::new(cause)),
        }
    }

    /// The context and every error below it, outermost first: `a SQLite call failed: disk I/O
    /// error`.
    pub fn chain(&self) -> String {
        let mut text = self.context.clone();
        let mut next = std::error::Error::source(self);
        while let Some(err) = next {
            text.push_str(": ");
            text.push_str(&err.to_string());
            next = err.source();
        }
        text
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.context)
    }
}

impl std::error::Error for Fault {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

impl From<String> for Fault {
    fn from(context: String) -> Self {
        Self {
            context,
            cause: None,
        }
    }
}

impl From<&str> for Fault {
    fn from(context: &str) -> Self {
        context.to_owned().into()
    }
}

/// A lookup's answer: `None` for an object that is not in the account.
pub(crate) fn found<T>(result: StoreResult<T>) -> StoreResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(StoreError::NotFound) => Ok(None),
        Err(err) => Err(err),
    }
}

impl StoreError {
    /// A request refused for one reason.
    pub fn rejected(refusal: Refusal) -> Self {
        Self::Rejected(vec![refusal])
    }
}

impl From<Vec<Refusal>> for StoreError {
    fn from(refusals: Vec<Refusal>) -> Self {
        Self::Rejected(refusals)
    }
}

impl From<Refusal> for StoreError {
    fn from(refusal: Refusal) -> Self {
        Self::rejected(refusal)
    }
}

/// Accounts and their API keys; each backend implements it in its `accounts.rs`.
#[async_trait]
pub trait Accounts {
    async fn create_account(&self, key: NewApiKey) -> StoreResult<(AccountId, ApiKeyId)>;
    async fn create_key(&self, account: AccountId, key: NewApiKey) -> StoreResult<ApiKeyId>;
    /// The keys of `account`, or with `None` every account's (`procura keys list`), oldest first.
    async fn list_keys(&self, account: Option<AccountId>) -> StoreResult<Vec<ApiKeyInfo>>;
    async fn revoke_key(&self, id: ApiKeyId) -> StoreResult<()>;
    async fn account_for_key(&self, hash: [u8; 32]) -> StoreResult<Option<(AccountId, ApiKeyId)>>;
    /// Records that the key was presented at `at`; a later time already recorded is kept.
    async fn note_key_use(&self, id: ApiKeyId, at: DateTime<Utc>) -> StoreResult<()>;
    async fn has_accounts(&self) -> StoreResult<bool>;
    /// The buying company's profile; empty until it is first set.
    async fn account_profile(&self, account: AccountId) -> StoreResult<AccountProfile>;
    /// Replaces the whole profile. Keyed like any write; a profile has no version to match.
    async fn put_account_profile(&self, w: Write<()>, profile: AccountProfile) -> StoreResult<()>;
    /// The buying company's logo, once one is uploaded.
    async fn account_logo(&self, account: AccountId) -> StoreResult<Option<Logo>>;
    /// Replaces the logo, or with `None` removes it.
    async fn put_account_logo(&self, w: Write<()>, logo: Option<Logo>) -> StoreResult<()>;
    /// Creates an account with `key` only if there is no account at all, atomically: of several
    /// servers starting at once on an empty database, exactly one creates it.
    async fn create_first_account(
        &self,
        key: NewApiKey,
    ) -> StoreResult<Option<(AccountId, ApiKeyId)>>;
}

/// The web app's users; each backend implements it in its `users.rs`.
#[async_trait]
pub trait Users {
    /// Creates a user without a password, to be set through the link whose hash is `link`.
    /// `None` when the email is taken (by any account: it is the sign-in name); `NotFound` when
    /// the account does not exist.
    async fn create_user(
        &self,
        account: AccountId,
        email: Email,
        role: Role,
        link: [u8; 32],
        link_expires_at: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>>;
    /// Every user of `account`, or of every account, oldest first.
    async fn list_users(&self, account: Option<AccountId>) -> StoreResult<Vec<User>>;
    /// Disables the user of `account` (any account when `None`) and ends its sessions.
    async fn disable_user(&self, account: Option<AccountId>, id: UserId) -> StoreResult<()>;
    /// Sets the password of the user whose unexpired link hashes to `link`, and spends the link.
    /// `None` when no such link is live.
    async fn set_password(
        &self,
        link: [u8; 32],
        password_hash: String,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>>;
    /// The email a live link was made for, to show on its page.
    async fn link_email(&self, link: [u8; 32], now: DateTime<Utc>) -> StoreResult<Option<Email>>;
    async fn credentials(&self, email: Email) -> StoreResult<Option<Credentials>>;
    /// Counts a failed sign-in (and holds the user back once there are too many), or clears the
    /// count after a successful one.
    async fn record_sign_in(
        &self,
        user: UserId,
        succeeded: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// Sessions of signed-in users, shared by every server on the database; each backend
/// implements it in its `sessions.rs`.
#[async_trait]
pub trait Sessions {
    async fn create_session(
        &self,
        user: UserId,
        token: [u8; 32],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The user a session token names, unless the user is disabled.
    async fn session(&self, token: [u8; 32]) -> StoreResult<Option<SessionUser>>;
    async fn touch_session(&self, token: [u8; 32], now: DateTime<Utc>) -> StoreResult<()>;
    async fn end_session(&self, token: [u8; 32]) -> StoreResult<()>;
}

/// Suppliers; each backend implements it in its `suppliers.rs`.
#[async_trait]
pub trait Suppliers {
    async fn create_supplier(
        &self,
        w: Write<SupplierId>,
        input: SupplierInput,
    ) -> StoreResult<SupplierId>;
    async fn get_supplier(
        &self,
        account: AccountId,
        id: SupplierId,
    ) -> StoreResult<Option<Supplier>>;
    /// Returns the supplier's new tag.
    async fn update_supplier(
        &self,
        w: Write<Tag>,
        id: SupplierId,
        input: SupplierInput,
    ) -> StoreResult<Tag>;
    async fn list_suppliers(
        &self,
        account: AccountId,
        name_contains: Option<String>,
        page: PageRequest,
    ) -> StoreResult<Page<Supplier>>;
}

/// Inventory warehouses and their locations; each backend implements it in its `warehouses.rs`.
#[async_trait]
pub trait Warehouses {
    async fn create_warehouse(
        &self,
        w: Write<Warehouse>,
        input: WarehouseInput,
    ) -> StoreResult<Warehouse>;
    async fn get_warehouse(
        &self,
        account: AccountId,
        id: WarehouseId,
    ) -> StoreResult<Option<Warehouse>>;
    /// Returns the warehouse's new tag.
    /// Replaces the name and the address.
    async fn rename_warehouse(
        &self,
        w: Write<Tag>,
        id: WarehouseId,
        input: WarehouseInput,
    ) -> StoreResult<Tag>;
    async fn delete_warehouse(
        &self,
        account: AccountId,
        id: WarehouseId,
        remove_inventory: bool,
    ) -> StoreResult<()>;
    async fn list_warehouses(
        &self,
        account: AccountId,
        page: PageRequest,
    ) -> StoreResult<Page<Warehouse>>;
    async fn create_location(
        &self,
        w: Write<Location>,
        input: NewLocation,
    ) -> StoreResult<Location>;
    async fn get_location(
        &self,
        account: AccountId,
        id: LocationId,
    ) -> StoreResult<Option<Location>>;
    /// Returns the location's new tag.
    async fn update_location(
        &self,
        w: Write<Tag>,
        id: LocationId,
        change: LocationChange,
    ) -> StoreResult<Tag>;
    async fn delete_location(
        &self,
        account: AccountId,
        id: LocationId,
        remove_inventory: bool,
    ) -> StoreResult<()>;
    async fn list_locations(
        &self,
        account: AccountId,
        warehouse: Option<WarehouseId>,
        page: PageRequest,
    ) -> StoreResult<Page<Location>>;
}

/// Purchase orders: their header, lines and status; each backend implements it in its `purchase_orders.rs`.
#[async_trait]
pub trait PurchaseOrders {
    async fn create_purchase_order(
        &self,
        w: Write<PurchaseOrder>,
        input: PurchaseOrderInput,
    ) -> StoreResult<PurchaseOrder>;
    async fn get_purchase_order(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
    ) -> StoreResult<Option<PurchaseOrder>>;
    async fn list_purchase_orders(
        &self,
        account: AccountId,
        filter: PurchaseOrderFilter,
        page: PageRequest,
    ) -> StoreResult<Page<PurchaseOrderSummary>>;
    /// `PUT`: a full replacement, allowed in `draft` only.
    async fn replace_purchase_order(
        &self,
        w: Write<PurchaseOrder>,
        id: PurchaseOrderId,
        input: PurchaseOrderInput,
    ) -> StoreResult<PurchaseOrder>;
    /// `shipping_details`: a patch, allowed in `open` only.
    async fn update_shipping_details(
        &self,
        w: Write<PurchaseOrder>,
        id: PurchaseOrderId,
        patch: ShippingDetailsPatch,
    ) -> StoreResult<PurchaseOrder>;
    /// Checks the transition against the stored status and applies it in one step.
    /// Returns the order's status and tag afterwards.
    async fn change_status(
        &self,
        w: Write<Tagged<Status>>,
        id: PurchaseOrderId,
        to: Status,
    ) -> StoreResult<Tagged<Status>>;
}

/// Receiving: the receipt ledger and the stock it raises; each backend implements it in its `receiving.rs`.
#[async_trait]
pub trait Receiving {
    /// Records one receive request atomically: checks every line against the stored order
    /// (status, SKU, location, quantities outstanding), stores the receipt, raises stock, and
    /// moves the order to `receiving` or `received`. Returns the new status and the order's tag.
    async fn receive(
        &self,
        w: Write<Tagged<Status>>,
        id: PurchaseOrderId,
        lines: Vec<ReceiveLine>,
        request_id: String,
    ) -> StoreResult<Tagged<Status>>;
    /// Reverses one receipt of the order atomically: takes its units back from the order's lines
    /// and from the stock it raised, marks it reversed (it stays in the ledger), and moves the
    /// order to `receiving`, or `open` when nothing received is left. Only while `receiving` or
    /// `received`, and once per receipt.
    async fn reverse_receipt(
        &self,
        w: Write<Tagged<Status>>,
        id: PurchaseOrderId,
        receipt: ReceiptId,
        request_id: String,
    ) -> StoreResult<Tagged<Status>>;
    /// A page of an order's receipts, oldest first; receipts are only ever appended, so
    /// following `next` never skips or repeats one.
    async fn list_receipts(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        page: PageRequest,
    ) -> StoreResult<Page<Receipt>>;
    /// The most recent whole receipts of an order with at most `max_lines` lines in all, and
    /// how many came before them, for a document that cannot list a long ledger. Gives up with
    /// `Unavailable` once `cancelled` is set (nobody waits for the answer any more).
    async fn latest_receipts(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        max_lines: usize,
        cancelled: Arc<AtomicBool>,
    ) -> StoreResult<LatestReceipts>;
}

/// What happened to purchase orders: events appended by every order write in its transaction;
/// each backend implements it in its `events.rs`.
#[async_trait]
pub trait Events {
    /// The account's feed, oldest first by position (commit order); every page, the last one
    /// too, has a next position to follow for events written later.
    async fn list_events(&self, account: AccountId, page: PageRequest) -> StoreResult<Page<Event>>;
    /// One order's events, oldest first.
    async fn order_history(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        page: PageRequest,
    ) -> StoreResult<Page<Event>>;
}

/// Webhooks, their secrets and their deliveries; each backend implements it in its
/// `webhooks.rs`.
#[async_trait]
pub trait Webhooks {
    /// Creates a webhook; with an `Idempotency-Key` (`w.once`), a retry gets the first answer.
    async fn create_webhook(
        &self,
        w: Write<Webhook>,
        input: WebhookInput,
        secret: String,
    ) -> StoreResult<Webhook>;
    async fn get_webhook(&self, account: AccountId, id: WebhookId) -> StoreResult<Option<Webhook>>;
    async fn list_webhooks(&self, account: AccountId) -> StoreResult<Vec<Webhook>>;
    async fn update_webhook(
        &self,
        account: AccountId,
        id: WebhookId,
        patch: WebhookPatch,
    ) -> StoreResult<()>;
    /// Deletes the webhook and its delivery log.
    async fn delete_webhook(&self, account: AccountId, id: WebhookId) -> StoreResult<()>;
    /// The webhook's signing secret.
    async fn webhook_secret(&self, account: AccountId, id: WebhookId) -> StoreResult<String>;
    /// Replaces the webhook's signing secret with `secret`, and answers it.
    async fn rotate_webhook_secret(
        &self,
        w: Write<String>,
        id: WebhookId,
        secret: String,
    ) -> StoreResult<String>;
    /// The webhook's deliveries, newest first.
    async fn list_deliveries(
        &self,
        account: AccountId,
        id: WebhookId,
        page: PageRequest,
    ) -> StoreResult<Page<Delivery>>;
    /// Sends a delivery again, at once, with a fresh set of retries.
    async fn redeliver(&self, w: Write<()>, id: WebhookId, delivery: DeliveryId)
    -> StoreResult<()>;
    /// Leases up to `limit` deliveries that are due until `until`: for each webhook and order
    /// only the oldest one still pending, so that an order's events arrive in order.
    async fn lease_deliveries(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>>;
    /// Records attempts of leased deliveries, all in one write: each delivered, retried later, or
    /// failed for good.
    async fn settle_deliveries(&self, attempts: Vec<(DeliveryId, Attempt)>) -> StoreResult<()>;
}

/// Stock levels; each backend implements it in its `inventory.rs`.
#[async_trait]
pub trait Inventory {
    async fn list_inventory(
        &self,
        account: AccountId,
        filter: InventoryFilter,
        page: PageRequest,
    ) -> StoreResult<Page<InventoryLevel>>;
}

/// A database: every aggregate's store, and what concerns the whole database.
/// The mail outbox: orders emailed to their suppliers; each backend implements it in its
/// `mails.rs`.
#[async_trait]
pub trait Mails {
    /// Queues `mail` for the order and records the request in its history, in one transaction:
    /// refused unless the order is `open` or `receiving`.
    async fn queue_mail(
        &self,
        w: Write<MailSummary>,
        order: PurchaseOrderId,
        mail: NewMail,
    ) -> StoreResult<MailSummary>;
    /// Leases up to `limit` mails that are due, until `until`.
    async fn lease_mails(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueMail>>;
    /// Records how an attempt ended; once the mail is sent or given up, the order's history
    /// says so (and a sent mail is the `purchase_order_sent_v2` webhook event).
    async fn settle_mail(&self, mail: &DueMail, attempt: MailAttempt) -> StoreResult<()>;
}

#[async_trait]
pub trait Store:
    Accounts
    + Users
    + Sessions
    + Suppliers
    + Warehouses
    + PurchaseOrders
    + Receiving
    + Inventory
    + Events
    + Webhooks
    + Mails
    + Send
    + Sync
    + 'static
{
    /// Whether the database answers and takes writes (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;
    /// The secret named `name`, shared by every server on the database: `fresh` is stored when
    /// there is none yet (of two servers racing, the first to commit wins), then the stored one
    /// is returned.
    async fn secret(&self, name: &'static str, fresh: Vec<u8>) -> StoreResult<Vec<u8>>;
    /// Deletes up to `limit` idempotency keys that expired before `now`; returns how many.
    async fn purge_expired_keys(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<u64>;
    /// Sets the gauges only the store can read (pool sizes), just before `/metrics` renders.
    fn record_gauges(&self) {}
    /// Called once the server has stopped serving: leaves the database in the state a copy of
    /// its files can be taken in. Nothing to do for a database server.
    async fn close(&self) -> StoreResult<()> {
        Ok(())
    }
}

/// The end of an order's receipt ledger (see [`Receiving::latest_receipts`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LatestReceipts {
    /// Oldest first, each with all of its lines.
    pub receipts: Vec<Receipt>,
    /// Receipts recorded before `receipts`, and their lines.
    pub earlier_receipts: u64,
    pub earlier_lines: u64,
}

/// `Unavailable` once `cancelled` is set: a ledger read for a document nobody waits for any more
/// stops at its next check.
pub(crate) fn still_wanted(cancelled: &std::sync::atomic::AtomicBool) -> StoreResult<()> {
    if cancelled.load(std::sync::atomic::Ordering::Relaxed) {
        Err(StoreError::Unavailable(
            "the ledger read was abandoned".into(),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_error_keeps_its_cause_for_the_log() {
        let err = StoreError::Internal(Fault::caused_by(
            "a SQLite call failed",
            std::io::Error::other("disk I/O error"),
        ));
        let fault = std::error::Error::source(&err).expect("the fault");
        assert_eq!(fault.to_string(), "a SQLite call failed");
        assert_eq!(
            fault.source().map(ToString::to_string).as_deref(),
            Some("disk I/O error")
        );
        let StoreError::Internal(fault) = &err else {
            unreachable!()
        };
        assert_eq!(fault.chain(), "a SQLite call failed: disk I/O error");
        assert_eq!(
            err.to_string(),
            "internal store error: a SQLite call failed: disk I/O error"
        );
        assert_eq!(Fault::from("no cause").chain(), "no cause");
    }
}
