//! Accounts: register, log in, resolve a token to its user, change the profile, end
//! sessions (api.md §1.8, §4). No HTTP here: inputs arrive validated
//! ([`super::routes`] checks the field rules), and failures are [`AuthError`]s.
//!
//! Sessions: every token this service issues names a row of `sessions` (its `token`
//! column holds the SHA-256 of the token, never the token itself). Logging out deletes
//! the row; a token whose row is gone is refused with "Session ended". Tokens of the
//! previous backend have no session: they end when `session_revocations` says so for
//! their user (password or email changed, log out everywhere). Checking either is
//! part of the one statement that loads the caller's user row.

use chrono::NaiveDateTime;
use entity::{session_revocations, sessions, users};
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryResult, QuerySelect, QueryTrait, Select, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, OnConflict, Query},
};
use sha2::{Digest, Sha256};

use super::{
    jwt::{self, TokenError},
    password::{self, HashError},
};
use crate::constraint::{OnConstraint, Violation};
use crate::{
    config::Config,
    credits::ledger::{self, EntryType, LedgerError, NewEntry},
    ids, timestamp,
};

pub const WELCOME_BONUS: i32 = 100;
pub const WELCOME_BONUS_DESCRIPTION: &str = "Welcome bonus - 100 free credits";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Register: the address belongs to an account (compared case-insensitively).
    #[error("User with this email already exists")]
    EmailAlreadyRegistered,
    /// Profile update: the new address belongs to another account.
    #[error("Email is already in use")]
    EmailInUse,
    /// Login: unknown address or wrong password; deliberately not told apart.
    #[error("Invalid email or password")]
    InvalidCredentials,
    #[error("Current password is incorrect")]
    CurrentPasswordIncorrect,
    /// Changing the email or the password ends other sessions: it needs the password.
    #[error("Current password is required to change email or password")]
    CurrentPasswordRequired,
    #[error("Token expired")]
    TokenExpired,
    /// The token's session was ended (log out, password or email change).
    #[error("Session ended")]
    SessionEnded,
    #[error("Invalid token")]
    InvalidToken,
    /// The token is valid but its user no longer exists.
    #[error("User not found")]
    UserNotFound,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("cannot sign a token: {0}")]
    TokenSigning(#[from] jsonwebtoken::errors::Error),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// A registration whose fields passed the rules of api.md §4.1.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Already normalised ([`super::email::normalise`]).
    pub email: String,
    pub password: String,
    /// Trimmed, 1..100 characters, or `None`.
    pub name: Option<String>,
}

/// A user together with a freshly issued token.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: users::Model,
    pub token: String,
}

/// Changes to a profile whose fields passed the rules of api.md §4.4.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    /// `Some(None)` clears the name.
    pub name: Option<Option<String>>,
    /// Already normalised.
    pub email: Option<String>,
    pub new_password: Option<String>,
    /// Needed to change the email or the password.
    pub current_password: Option<String>,
}

/// The profile after an update; `token` is set when the email or the password changed
/// (every other session of the user was ended, the caller gets a new one).
#[derive(Debug, Clone)]
pub struct UpdatedProfile {
    pub user: users::Model,
    pub token: Option<String>,
}

/// Creates the account and its welcome bonus in one transaction, and issues a token.
/// A duplicate address is [`AuthError::EmailAlreadyRegistered`], also when a concurrent
/// registration wins the race and the unique constraint fires.
pub async fn register(
    db: &DatabaseConnection,
    config: &Config,
    account: NewAccount,
) -> Result<Session, AuthError> {
    // Cheap early answer for the common case, before spending time on bcrypt; the
    // unique constraint below is what actually guarantees it.
    if email_owner(db, &account.email).await?.is_some() {
        return Err(AuthError::EmailAlreadyRegistered);
    }
    let hash = password::hash(&account.password, config.bcrypt_cost).await?;
    let now = timestamp::now();
    let new_user = users::ActiveModel {
        id: Set(ids::new_id()),
        email: Set(account.email),
        password: Set(hash),
        name: Set(account.name),
        role: Set("user".to_owned()),
        storage_quota: Set(1_073_741_824),
        storage_used: Set(0),
        account_type: Set("payg".to_owned()),
        subscription_tier: Set("free".to_owned()),
        user_tags: Set(None),
        unlimited_pose_active: Set(false),
        unlimited_pose_daily_quota: Set(100),
        unlimited_pose_quota_used: Set(0),
        unlimited_pose_quota_reset_at: Set(None),
        unlimited_pose_expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };

    let txn = ledger::begin(db).await?;
    let user = new_user
        .insert(&txn)
        .await
        .on_constraint(|v| (v == Violation::Unique).then_some(AuthError::EmailAlreadyRegistered))?;
    ledger::append(
        &txn,
        &user.id,
        NewEntry::new(WELCOME_BONUS, EntryType::Bonus, WELCOME_BONUS_DESCRIPTION),
    )
    .await?;
    let token = start_session(&txn, config, &user).await?;
    txn.commit()
        .await
        .on_constraint(|v| (v == Violation::Unique).then_some(AuthError::EmailAlreadyRegistered))?;
    Ok(Session { user, token })
}

/// Checks the credentials and issues a token. The email is looked up exactly first,
/// then case-insensitively (more than one case-insensitive match counts as none).
/// Unknown accounts still cost one bcrypt verification. A hash weaker than
/// `BCRYPT_COST` is replaced after a successful login.
pub async fn login(
    db: &DatabaseConnection,
    config: &Config,
    email: &str,
    password: &str,
) -> Result<Session, AuthError> {
    let Some(user) = find_for_login(db, email.trim()).await? else {
        password::verify_dummy(password, config.bcrypt_cost).await;
        return Err(AuthError::InvalidCredentials);
    };
    if !password::verify(password, &user.password).await {
        return Err(AuthError::InvalidCredentials);
    }
    if password::needs_rehash(&user.password, config.bcrypt_cost) {
        rehash(db, &user, password, config.bcrypt_cost).await;
    }
    let token = start_session(db, config, &user).await?;
    Ok(Session { user, token })
}

/// The claims of a token with a valid signature that has not expired.
pub fn claims_of(config: &Config, token: &str) -> Result<jwt::Claims, AuthError> {
    jwt::verify(config.jwt_secret.expose(), token).map_err(|err| match err {
        TokenError::Expired => AuthError::TokenExpired,
        TokenError::Invalid => AuthError::InvalidToken,
    })
}

/// The caller's user row with what decides whether the token's session still holds.
struct Caller {
    user: users::Model,
    /// The token's session row exists (tokens with a session claim).
    session_live: bool,
    /// When the user's tokens without a session claim were last ended.
    revoked_before: Option<NaiveDateTime>,
}

const SESSION_LIVE: &str = "sessionLive";
const REVOKED_BEFORE: &str = "revokedBefore";

impl FromQueryResult for Caller {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            user: users::Model::from_query_result(row, pre)?,
            session_live: row
                .try_get::<Option<bool>>(pre, SESSION_LIVE)
                .ok()
                .flatten()
                .unwrap_or(false),
            revoked_before: row
                .try_get::<Option<NaiveDateTime>>(pre, REVOKED_BEFORE)
                .ok()
                .flatten(),
        })
    }
}

/// The user a bearer token belongs to (api.md §1.8), if its session still holds. The
/// row, not the token, is the source of truth for email and role. One statement: the
/// user row, with the session's existence (or the revocation mark) as a sub-select.
pub async fn user_for_token(
    db: &DatabaseConnection,
    config: &Config,
    token: &str,
) -> Result<users::Model, AuthError> {
    let (user, _) = user_for_token_with(db, config, token, |_, select| select, |_| Ok(())).await?;
    Ok(user)
}

/// [`user_for_token`] whose one statement also reads what `extend` adds to it (more
/// columns, each a sub-select of the caller's data; `users.id` is the caller; `extend`
/// sees the token's verified claims), read back
/// by `read` from the same row. A hot read path thus costs one round trip, auth
/// included (`avatar_creator::project_list`).
pub async fn user_for_token_with<T>(
    db: &DatabaseConnection,
    config: &Config,
    token: &str,
    extend: impl FnOnce(&jwt::Claims, Select<users::Entity>) -> Select<users::Entity>,
    read: impl FnOnce(&QueryResult) -> Result<T, DbErr>,
) -> Result<(users::Model, T), AuthError> {
    let claims = claims_of(config, token)?;
    let statement = extend(&claims, caller_select(&claims)).build(db.get_database_backend());
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or(AuthError::UserNotFound)?;
    let caller = Caller::from_query_result(&row, "")?;
    let ended = match &claims.sid {
        Some(_) => !caller.session_live,
        // The previous backend's tokens: issued (whole seconds) before the mark.
        None => caller.revoked_before.is_some_and(|mark| {
            claims.iat.saturating_mul(1000) < mark.and_utc().timestamp_millis()
        }),
    };
    if ended {
        return Err(AuthError::SessionEnded);
    }
    let extra = read(&row)?;
    Ok((caller.user, extra))
}

/// The claims' user row, with the session's existence (or the revocation mark) as a
/// sub-select: what [`user_for_token_with`] runs before it is extended.
pub fn caller_select(claims: &jwt::Claims) -> Select<users::Entity> {
    let select = users::Entity::find_by_id(claims.user_id.as_str());
    match &claims.sid {
        Some(sid) => select.expr_as(
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(sessions::Entity)
                    .and_where(Expr::col((sessions::Entity, sessions::Column::Id)).eq(sid))
                    .and_where(
                        Expr::col((sessions::Entity, sessions::Column::UserId))
                            .equals((users::Entity, users::Column::Id)),
                    )
                    .to_owned(),
            ),
            SESSION_LIVE,
        ),
        None => select.expr_as(
            Expr::SubQuery(
                None,
                Box::new(
                    Query::select()
                        .column(session_revocations::Column::RevokedBefore)
                        .from(session_revocations::Entity)
                        .and_where(
                            Expr::col((
                                session_revocations::Entity,
                                session_revocations::Column::UserId,
                            ))
                            .equals((users::Entity, users::Column::Id)),
                        )
                        .to_owned()
                        .into(),
                ),
            ),
            REVOKED_BEFORE,
        ),
    }
}

/// Ends the session of `token` (api.md §4, log out). A token of the previous backend
/// has no session of its own: every such token of the user ends.
pub async fn logout(
    db: &DatabaseConnection,
    config: &Config,
    user: &users::Model,
    token: &str,
) -> Result<(), AuthError> {
    match claims_of(config, token)?.sid {
        Some(sid) => {
            sessions::Entity::delete_many()
                .filter(sessions::Column::Id.eq(sid))
                .filter(sessions::Column::UserId.eq(user.id.as_str()))
                .exec(db)
                .await?;
        }
        None => revoke_legacy_tokens(db, &user.id).await?,
    }
    Ok(())
}

/// Ends every session of `user`, the previous backend's tokens included; returns how
/// many sessions of this service were ended.
pub async fn logout_all(db: &DatabaseConnection, user: &users::Model) -> Result<u64, AuthError> {
    let txn = db.begin().await?;
    let ended = end_all_sessions(&txn, &user.id).await?;
    txn.commit().await?;
    Ok(ended)
}

async fn end_all_sessions(conn: &impl ConnectionTrait, user_id: &str) -> Result<u64, DbErr> {
    let ended = sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user_id))
        .exec(conn)
        .await?
        .rows_affected;
    revoke_legacy_tokens(conn, user_id).await?;
    Ok(ended)
}

/// Tokens without a session claim issued until now stop working.
async fn revoke_legacy_tokens(conn: &impl ConnectionTrait, user_id: &str) -> Result<(), DbErr> {
    let now = timestamp::now();
    session_revocations::Entity::insert(session_revocations::ActiveModel {
        id: Set(ids::new_id()),
        user_id: Set(user_id.to_owned()),
        revoked_before: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(session_revocations::Column::UserId)
            .update_columns([
                session_revocations::Column::RevokedBefore,
                session_revocations::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

/// A new session of `user`: its `sessions` row and its token.
async fn start_session(
    conn: &impl ConnectionTrait,
    config: &Config,
    user: &users::Model,
) -> Result<String, AuthError> {
    let id = ids::new_id();
    let (token, claims) = jwt::issue_for_session(
        config.jwt_secret.expose(),
        &user.id,
        &user.email,
        &id,
        config.jwt_expires_in,
    )?;
    // Far-future expiries (a huge JWT_EXPIRES_IN) are kept within what every
    // database's timestamp can hold.
    let expires_at = chrono::DateTime::from_timestamp(Ord::min(claims.exp, 253_402_300_799), 0)
        .unwrap_or_default()
        .naive_utc();
    sessions::ActiveModel {
        id: Set(id),
        user_id: Set(user.id.clone()),
        token: Set(token_digest(&token)),
        expires_at: Set(expires_at),
        created_at: Set(timestamp::now()),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// What `sessions.token` holds: the SHA-256 of the token, hex, so that reading the
/// table gives no usable token.
fn token_digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Applies `changes` to `user`. The current password is checked before the email's
/// availability (a 400 outranks a 409, api.md §1.6).
pub async fn update_profile(
    db: &DatabaseConnection,
    config: &Config,
    user: users::Model,
    changes: ProfileChanges,
) -> Result<UpdatedProfile, AuthError> {
    let new_email = changes.email.filter(|email| *email != user.email);
    // A changed email or password ends the other sessions: both need the password.
    let sensitive = new_email.is_some() || changes.new_password.is_some();
    if sensitive {
        let Some(current) = &changes.current_password else {
            return Err(AuthError::CurrentPasswordRequired);
        };
        if !password::verify(current, &user.password).await {
            return Err(AuthError::CurrentPasswordIncorrect);
        }
    }
    let new_hash = match &changes.new_password {
        Some(new) => Some(password::hash(new, config.bcrypt_cost).await?),
        None => None,
    };
    if let Some(email) = &new_email
        && email_owner(db, email)
            .await?
            .is_some_and(|owner| owner != user.id)
    {
        return Err(AuthError::EmailInUse);
    }

    let mut row: users::ActiveModel = user.into();
    if let Some(name) = changes.name {
        row.name = Set(name);
    }
    if let Some(email) = &new_email {
        row.email = Set(email.clone());
    }
    if let Some(hash) = new_hash {
        row.password = Set(hash);
    }
    row.updated_at = Set(timestamp::now());
    let txn = db.begin().await?;
    let user = row
        .update(&txn)
        .await
        .on_constraint(|v| (v == Violation::Unique).then_some(AuthError::EmailInUse))?;
    let token = if sensitive {
        end_all_sessions(&txn, &user.id).await?;
        Some(start_session(&txn, config, &user).await?)
    } else {
        None
    };
    txn.commit()
        .await
        .on_constraint(|v| (v == Violation::Unique).then_some(AuthError::EmailInUse))?;
    Ok(UpdatedProfile { user, token })
}

/// The id of any account whose email equals `email` ignoring case.
async fn email_owner(db: &DatabaseConnection, email: &str) -> Result<Option<String>, DbErr> {
    users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(Expr::expr(Func::lower(Expr::col(users::Column::Email))).eq(email.to_lowercase()))
        .into_tuple::<String>()
        .one(db)
        .await
}

async fn find_for_login(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Option<users::Model>, DbErr> {
    let exact = users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await?;
    if exact.is_some() {
        return Ok(exact);
    }
    let mut matches = users::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(users::Column::Email))).eq(email.to_lowercase()))
        .limit(2)
        .all(db)
        .await?;
    Ok(match matches.len() {
        1 => matches.pop(),
        _ => None,
    })
}

/// Best effort: the login has succeeded whatever happens here.
async fn rehash(db: &DatabaseConnection, user: &users::Model, password: &str, cost: u32) {
    let hash = match password::hash(password, cost).await {
        Ok(hash) => hash,
        Err(err) => {
            tracing::warn!(error = %err, "cannot re-hash a password");
            return;
        }
    };
    let updated = users::Entity::update_many()
        .col_expr(users::Column::Password, Expr::value(hash))
        .filter(users::Column::Id.eq(user.id.as_str()))
        .filter(users::Column::Password.eq(user.password.as_str()))
        .exec(db)
        .await;
    if let Err(err) = updated {
        tracing::warn!(error = %err, "cannot store a re-hashed password");
    }
}
