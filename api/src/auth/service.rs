//! Accounts: register, log in, resolve a token to its user, change the profile
//! (api.md §1.8, §4). No HTTP here: inputs arrive validated ([`super::routes`] checks
//! the field rules), and failures are [`AuthError`]s.

use entity::users;
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, SqlErr,
    sea_query::{Expr, ExprTrait, Func},
};

use super::{
    jwt::{self, TokenError},
    password::{self, HashError},
};
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
    #[error("Token expired")]
    TokenExpired,
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
    pub password: Option<PasswordChange>,
}

#[derive(Debug, Clone)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// The profile after an update; `token` is set only when the email changed.
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
        .map_err(|err| unique_violation_as(err, AuthError::EmailAlreadyRegistered))?;
    ledger::append(
        &txn,
        &user.id,
        NewEntry::new(WELCOME_BONUS, EntryType::Bonus, WELCOME_BONUS_DESCRIPTION),
    )
    .await?;
    txn.commit()
        .await
        .map_err(|err| unique_violation_as(err, AuthError::EmailAlreadyRegistered))?;

    let token = issue_token(config, &user)?;
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
    let token = issue_token(config, &user)?;
    Ok(Session { user, token })
}

/// The user a bearer token belongs to (api.md §1.8). The row, not the token, is the
/// source of truth for email and role.
pub async fn user_for_token(
    db: &DatabaseConnection,
    config: &Config,
    token: &str,
) -> Result<users::Model, AuthError> {
    let claims = jwt::verify(config.jwt_secret.expose(), token).map_err(|err| match err {
        TokenError::Expired => AuthError::TokenExpired,
        TokenError::Invalid => AuthError::InvalidToken,
    })?;
    users::Entity::find_by_id(claims.user_id)
        .one(db)
        .await?
        .ok_or(AuthError::UserNotFound)
}

/// Applies `changes` to `user`. The current password is checked before the email's
/// availability (a 400 outranks a 409, api.md §1.6).
pub async fn update_profile(
    db: &DatabaseConnection,
    config: &Config,
    user: users::Model,
    changes: ProfileChanges,
) -> Result<UpdatedProfile, AuthError> {
    let new_hash = match &changes.password {
        Some(change) => {
            if !password::verify(&change.current, &user.password).await {
                return Err(AuthError::CurrentPasswordIncorrect);
            }
            Some(password::hash(&change.new, config.bcrypt_cost).await?)
        }
        None => None,
    };
    let new_email = changes.email.filter(|email| *email != user.email);
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
    let user = row
        .update(db)
        .await
        .map_err(|err| unique_violation_as(err, AuthError::EmailInUse))?;

    let token = match new_email {
        Some(_) => Some(issue_token(config, &user)?),
        None => None,
    };
    Ok(UpdatedProfile { user, token })
}

fn issue_token(config: &Config, user: &users::Model) -> Result<String, AuthError> {
    Ok(jwt::issue(
        config.jwt_secret.expose(),
        &user.id,
        &user.email,
        config.jwt_expires_in,
    )?)
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

fn unique_violation_as(err: DbErr, conflict: AuthError) -> AuthError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => conflict,
        _ => AuthError::Database(err),
    }
}
