//! The credit ledger (api.md §8.2.1, §8.2.2): an append-only list of signed changes,
//! each row carrying the running balance after it. No HTTP here.
//!
//! # Serialising balance changes
//!
//! Every change runs inside a transaction opened with [`begin`], and [`append`] is the
//! only writer:
//!
//! * **PostgreSQL:** [`append`] first locks the user's `users` row
//!   (`SELECT … FOR UPDATE`), so concurrent writers for one user queue up behind each
//!   other until the holder commits; only then is the latest balance read.
//! * **SQLite:** [`begin`] opens the transaction with `BEGIN IMMEDIATE`, which takes the
//!   database's single write lock at once. A deferred transaction would read the balance
//!   first and fail (`SQLITE_BUSY`) when it later tries to write after another writer
//!   committed; an immediate one waits for the lock (busy timeout) before reading.
//!
//! Either way no two rows are computed from the same previous balance, and a charge
//! can never overdraw it.

use entity::{credits, users};
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::{ids, timestamp};

/// `credits.type` (api.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    Bonus,
    Usage,
    Refund,
    Purchase,
    AdminGrant,
}

impl EntryType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bonus => "bonus",
            Self::Usage => "usage",
            Self::Refund => "refund",
            Self::Purchase => "purchase",
            Self::AdminGrant => "admin_grant",
        }
    }
}

/// One change to write. `amount` is positive for additions, negative for charges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub amount: i32,
    pub kind: EntryType,
    pub description: Option<String>,
    pub reference_id: Option<String>,
    pub reference_type: Option<String>,
}

impl NewEntry {
    pub fn new(amount: i32, kind: EntryType, description: impl Into<String>) -> Self {
        Self {
            amount,
            kind,
            description: Some(description.into()),
            reference_id: None,
            reference_type: None,
        }
    }

    /// What the row is about: a generation id and its kind, for example.
    #[must_use]
    pub fn reference(mut self, id: impl Into<String>, kind: impl Into<String>) -> Self {
        self.reference_id = Some(id.into());
        self.reference_type = Some(kind.into());
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The charge is larger than the balance; nothing was written.
    #[error("insufficient credits: {required} required, {available} available")]
    InsufficientCredits { required: i64, available: i64 },
    /// The user does not exist (PostgreSQL finds out when locking the row).
    #[error("user {0} not found")]
    UnknownUser(String),
    /// The balance would exceed what the `balance` column can hold.
    #[error("balance overflow for user {0}")]
    Overflow(String),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Opens a transaction in which [`append`] may be called: on SQLite a write
/// transaction from the start (`BEGIN IMMEDIATE`), on PostgreSQL a plain one (the row
/// lock is taken by [`append`]).
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// The user's current balance: the `balance` of their latest row, or 0.
pub async fn balance(db: &impl ConnectionTrait, user_id: &str) -> Result<i32, DbErr> {
    Ok(latest(db, user_id).await?.map_or(0, |row| row.balance))
}

/// The user's rows, newest first (`createdAt` DESC, then `id` DESC), at most `limit`.
pub async fn history(
    db: &impl ConnectionTrait,
    user_id: &str,
    limit: u64,
) -> Result<Vec<credits::Model>, DbErr> {
    newest_first(user_id).limit(limit).all(db).await
}

/// Appends one row for `user_id` inside `txn` (opened with [`begin`]), with the new
/// running balance. Refuses, writing nothing, if the balance would go below 0.
///
/// The row's `createdAt` is `max(now, previous row + 1 ms)` so that "latest" stays well
/// defined even when the clock stalls or steps back.
pub async fn append(
    txn: &DatabaseTransaction,
    user_id: &str,
    entry: NewEntry,
) -> Result<credits::Model, LedgerError> {
    lock_user(txn, user_id).await?;

    let previous = latest(txn, user_id).await?;
    let available = previous.as_ref().map_or(0, |row| row.balance);
    let new_balance = i64::from(available) + i64::from(entry.amount);
    if new_balance < 0 {
        return Err(LedgerError::InsufficientCredits {
            required: -i64::from(entry.amount),
            available: i64::from(available),
        });
    }
    let balance =
        i32::try_from(new_balance).map_err(|_| LedgerError::Overflow(user_id.to_owned()))?;

    let now = timestamp::now();
    let created_at = match &previous {
        Some(row) if row.created_at >= now => row.created_at + chrono::Duration::milliseconds(1),
        _ => now,
    };

    let row = credits::ActiveModel {
        id: Set(ids::new_id()),
        user_id: Set(user_id.to_owned()),
        amount: Set(entry.amount),
        balance: Set(balance),
        r#type: Set(entry.kind.as_str().to_owned()),
        description: Set(entry.description),
        reference_id: Set(entry.reference_id),
        reference_type: Set(entry.reference_type),
        payment_id: Set(None),
        created_at: Set(created_at),
    }
    .insert(txn)
    .await?;
    // Counted when written: a transaction that rolls back after this (the database
    // failing before the commit) is counted all the same.
    match entry.kind {
        EntryType::Usage => crate::metrics::credits_charged(-entry.amount),
        EntryType::Refund => crate::metrics::credits_refunded(entry.amount),
        _ => {}
    }
    Ok(row)
}

/// Charges `cost` credits for the operation `reference_id` (an `app_usage` row) inside
/// `txn`, or writes nothing when `cost` is 0; returns the balance after either way.
pub async fn charge(
    txn: &DatabaseTransaction,
    user_id: &str,
    cost: i32,
    description: String,
    reference_id: &str,
) -> Result<i32, LedgerError> {
    if cost == 0 {
        return Ok(balance(txn, user_id).await?);
    }
    let entry =
        NewEntry::new(-cost, EntryType::Usage, description).reference(reference_id, "app_usage");
    Ok(append(txn, user_id, entry).await?.balance)
}

/// Whether a refund with this idempotency key (api.md §8.2.6) exists: keyed by
/// `(referenceType, referenceId)` or, as the previous backend wrote them, with the
/// reference id in `paymentId`.
pub async fn refunded(
    db: &impl ConnectionTrait,
    reference_type: &str,
    reference_id: &str,
) -> Result<bool, DbErr> {
    let found = credits::Entity::find()
        .filter(credits::Column::Type.eq(EntryType::Refund.as_str()))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(credits::Column::ReferenceType.eq(reference_type))
                        .add(credits::Column::ReferenceId.eq(reference_id)),
                )
                .add(credits::Column::PaymentId.eq(reference_id)),
        )
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// What a failed charge gives back: `amount` credits to `user_id`, keyed by
/// `(reference_type, reference_id)` (api.md §8.2.6).
#[derive(Debug, Clone)]
pub struct Refund<'a> {
    pub user_id: &'a str,
    pub amount: i32,
    pub reference_type: &'a str,
    pub reference_id: &'a str,
    pub description: String,
}

/// Refunds a failed charge exactly once, inside the caller's finalising transaction
/// (opened with [`begin`]): nothing when there is nothing to give back or a refund with
/// this key exists already. Returns the credits refunded by this call.
pub async fn refund_once(
    txn: &DatabaseTransaction,
    refund: Refund<'_>,
) -> Result<i32, LedgerError> {
    if refund.amount <= 0 || refunded(txn, refund.reference_type, refund.reference_id).await? {
        return Ok(0);
    }
    let entry = NewEntry::new(refund.amount, EntryType::Refund, refund.description)
        .reference(refund.reference_id, refund.reference_type);
    append(txn, refund.user_id, entry).await?;
    Ok(refund.amount)
}

/// PostgreSQL: `SELECT … FROM users WHERE id = $1 FOR UPDATE`, held until the caller's
/// transaction ends. SQLite has no row locks and needs none: the transaction already
/// holds the database write lock (see [`begin`]); the user's existence is checked alike.
/// Returns the locked row, for callers that decide on its columns (the pose quota).
pub async fn lock_user(
    txn: &DatabaseTransaction,
    user_id: &str,
) -> Result<users::Model, LedgerError> {
    let query = users::Entity::find_by_id(user_id.to_owned());
    let query = match txn.get_database_backend() {
        DbBackend::Postgres => query.lock_exclusive(),
        _ => query,
    };
    query
        .one(txn)
        .await?
        .ok_or_else(|| LedgerError::UnknownUser(user_id.to_owned()))
}

async fn latest(db: &impl ConnectionTrait, user_id: &str) -> Result<Option<credits::Model>, DbErr> {
    newest_first(user_id).one(db).await
}

fn newest_first(user_id: &str) -> migration::sea_orm::Select<credits::Entity> {
    credits::Entity::find()
        .filter(credits::Column::UserId.eq(user_id))
        .order_by_desc(credits::Column::CreatedAt)
        .order_by_desc(credits::Column::Id)
}
