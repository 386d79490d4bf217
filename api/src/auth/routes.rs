//! `/api/auth`: register, login, profile (api.md §4). Field rules are checked here,
//! every failing field reported at once; the work is done by [`super::service`].

use crate::http::presence::Nullable;
use crate::http::presence::Required;
use crate::vocabulary::{Role, Word};
use entity::users;
use poem::{Request, web::Data};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json, types::MaybeUndefined};

use super::{
    BearerAuth, email, password,
    service::{self, NewAccount, ProfileChanges},
};
use crate::{
    app::AppState,
    credits::ledger,
    error::{ApiError, Errors, FieldErrors},
    openapi::ApiTags,
    timestamp::Timestamp,
};
use crate::{http::json_body::JsonBody, http::text::Text};

const NAME_MAX_CHARS: usize = 100;

pub struct AuthApi;

#[OpenApi(prefix_path = "/api/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Register
    ///
    /// Creates an account with a welcome bonus of 100 credits and returns a token.
    #[oai(path = "/register", method = "post", operation_id = "authRegister")]
    async fn register(
        &self,
        state: Data<&AppState>,
        body: JsonBody<RegisterRequest>,
    ) -> Result<RegisterCreated, Errors<400, 409, 415, 429>> {
        let body = body.0;
        let mut fields = FieldErrors::new();
        let email = email::normalise(body.email.as_deref().unwrap_or_default());
        if body.email.is_none() {
            fields.add("email", "Email is required");
        } else if !email::is_valid(&email) {
            fields.add("email", email::INVALID_MESSAGE);
        }
        let password = body.password.into_option().map(Text::into_inner);
        match &password {
            None => fields.add("password", "Password is required"),
            Some(password) => {
                for problem in password::problems(password) {
                    fields.add("password", problem);
                }
            }
        }
        let name = match body.name.as_deref().map(name_rule).transpose() {
            Ok(name) => name.flatten(),
            Err(message) => {
                fields.add("name", message);
                None
            }
        };
        reject(fields)?;

        let account = NewAccount {
            email,
            password: password.unwrap_or_default(),
            name,
        };
        let session = service::register(&state.db, &state.config, account)
            .await
            .map_err(ApiError::from)?;
        Ok(RegisterCreated::Created(Json(RegisterResponse {
            success: true,
            data: RegisterData {
                user: RegisteredUser {
                    id: session.user.id,
                    email: session.user.email,
                    name: session.user.name.into(),
                    created_at: session.user.created_at.into(),
                },
                token: session.token,
            },
            message: "Registration successful".to_owned(),
        })))
    }

    /// Log in
    ///
    /// Exchanges email and password for a token. A wrong email and a wrong password
    /// get the same 401.
    #[oai(path = "/login", method = "post", operation_id = "authLogin")]
    async fn login(
        &self,
        state: Data<&AppState>,
        body: JsonBody<LoginRequest>,
    ) -> Result<Json<LoginResponse>, Errors<400, 401, 415, 429>> {
        let body = body.0;
        let email = body.email.as_deref().unwrap_or_default();
        let password = body.password.as_deref().unwrap_or_default();
        let mut fields = FieldErrors::new();
        if body.email.is_none() {
            fields.add("email", "Email is required");
        } else if !email::is_valid(email.trim()) {
            fields.add("email", email::INVALID_MESSAGE);
        }
        // Counted in bytes, before any hashing: bcrypt reads 72 of them anyway.
        match password.len() {
            0 => fields.add("password", "Password is required"),
            n if n > password::LOGIN_MAX_BYTES => {
                fields.add("password", "Password must be at most 1024 bytes long");
            }
            _ => {}
        }
        reject(fields)?;

        let session = service::login(&state.db, &state.config, email, password)
            .await
            .map_err(ApiError::from)?;
        let credit_balance = ledger::balance(&state.db, &session.user.id)
            .await
            .map_err(ApiError::from)?;
        Ok(Json(LoginResponse {
            success: true,
            data: LoginData {
                user: LoggedInUser {
                    id: session.user.id,
                    email: session.user.email,
                    name: session.user.name.into(),
                    credit_balance,
                },
                token: session.token,
            },
            message: "Login successful".to_owned(),
        }))
    }

    /// Profile
    ///
    /// The caller's profile, without a `success`/`data` wrapper.
    #[oai(path = "/profile", method = "get", operation_id = "authGetProfile")]
    async fn get_profile(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<Profile>, Errors<401>> {
        Ok(Json(profile(&state, auth.0).await?))
    }

    /// Log out
    ///
    /// Ends the session of the token presented: later requests with it answer 401
    /// "Session ended". A token issued by the previous backend has no session of its
    /// own; logging out with one ends every such token of the user.
    #[oai(path = "/logout", method = "post", operation_id = "authLogout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        req: &Request,
    ) -> Result<Json<LogoutResponse>, Errors<401>> {
        let token = bearer_token(req)?;
        service::logout(&state.db, &state.config, &auth.0, token)
            .await
            .map_err(ApiError::from)?;
        Ok(Json(LogoutResponse {
            success: true,
            message: "Logged out".to_owned(),
        }))
    }

    /// Log out everywhere
    ///
    /// Ends every session of the caller, this one included, and every token the
    /// previous backend issued to them.
    #[oai(path = "/logout-all", method = "post", operation_id = "authLogoutAll")]
    async fn logout_all(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<LogoutAllResponse>, Errors<401>> {
        let ended = service::logout_all(&state.db, &auth.0)
            .await
            .map_err(ApiError::from)?;
        Ok(Json(LogoutAllResponse {
            success: true,
            message: "Logged out of every session".to_owned(),
            sessions_ended: i64::try_from(ended).unwrap_or(i64::MAX),
        }))
    }

    /// Update profile
    ///
    /// Changes the name, the email and/or the password. Changing the email or the
    /// password needs `currentPassword`, ends every other session of the user and
    /// returns a new token for the caller (the one sent stops working).
    #[oai(path = "/profile", method = "put", operation_id = "authUpdateProfile")]
    async fn update_profile(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: JsonBody<UpdateProfileRequest>,
    ) -> Result<Json<UpdateProfileResponse>, Errors<400, 401, 409, 415, 429>> {
        let changes = validate_profile_changes(body.0)?;
        let updated = service::update_profile(&state.db, &state.config, auth.0, changes)
            .await
            .map_err(ApiError::from)?;
        Ok(Json(UpdateProfileResponse {
            success: true,
            data: UpdateProfileData {
                user: profile(&state, updated.user).await?,
                token: updated.token,
            },
            message: "Profile updated successfully".to_owned(),
        }))
    }
}

/// The token of the `Authorization: Bearer` header (already verified by
/// [`BearerAuth`]).
fn bearer_token(req: &Request) -> Result<&str, ApiError> {
    req.header("authorization")
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .ok_or_else(|| ApiError::Unauthorized("No token provided".into()))
}

async fn profile(state: &AppState, user: users::Model) -> Result<Profile, ApiError> {
    let credit_balance = ledger::balance(&state.db, &user.id).await?;
    Ok(Profile {
        id: user.id,
        email: user.email,
        name: user.name.into(),
        role: Word::stored(&user.role),
        created_at: user.created_at.into(),
        credit_balance,
    })
}

fn validate_profile_changes(body: UpdateProfileRequest) -> Result<ProfileChanges, ApiError> {
    let mut fields = FieldErrors::new();
    let mut changes = ProfileChanges::default();

    match body.name {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => changes.name = Some(None),
        MaybeUndefined::Value(name) => match name_rule(&name) {
            Ok(name) => changes.name = Some(name),
            Err(message) => fields.add("name", message),
        },
    }
    let email = not_null(body.email, "email", &mut fields);
    let current_password = not_null(body.current_password, "currentPassword", &mut fields);
    let new_password = not_null(body.new_password, "newPassword", &mut fields);

    if let Some(raw) = email {
        let email = email::normalise(&raw);
        if email::is_valid(&email) {
            changes.email = Some(email);
        } else {
            fields.add("email", email::INVALID_MESSAGE);
        }
    }
    if let Some(new) = new_password {
        for problem in password::problems(&new) {
            fields.add("newPassword", problem);
        }
        if current_password.is_none() {
            fields.add(
                "currentPassword",
                "Current password is required to change password",
            );
        }
        changes.new_password = Some(new);
    }
    changes.current_password = current_password;
    reject(fields)?;

    if changes.name.is_none() && changes.email.is_none() && changes.new_password.is_none() {
        return Err(ApiError::invalid_field("body", "No changes provided"));
    }
    Ok(changes)
}

/// `null` is only allowed where a field is nullable (api.md §1.3).
fn not_null(value: MaybeUndefined<Text>, field: &str, fields: &mut FieldErrors) -> Option<String> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => {
            fields.add(field, "Must not be null");
            None
        }
        MaybeUndefined::Value(value) => Some(value.into_inner()),
    }
}

/// A display name: trimmed, 1..100 characters; empty means none.
fn name_rule(raw: &str) -> Result<Option<String>, &'static str> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Ok(None),
        n if n > NAME_MAX_CHARS => Err("Name must be at most 100 characters long"),
        _ => Ok(Some(name.to_owned())),
    }
}

fn reject(fields: FieldErrors) -> Result<(), ApiError> {
    if fields.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(fields))
    }
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase", example)]
pub struct RegisterRequest {
    /// A valid address, at most 254 characters; stored trimmed and lowercased.
    pub email: Required<Text>,
    /// At least 12 characters and at most 72 bytes (bcrypt's limit); at least 3 of
    /// lowercase, uppercase, digit, other; no character 3+ times in a row; not a common
    /// password.
    pub password: Required<Text>,
    /// 1..100 characters after trimming; empty means none.
    #[oai(nullable)]
    pub name: Option<Text>,
}

#[derive(ApiResponse)]
pub enum RegisterCreated {
    /// The account was created.
    #[oai(status = 201)]
    Created(Json<RegisterResponse>),
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct RegisterResponse {
    pub success: bool,
    pub data: RegisterData,
    pub message: String,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct RegisterData {
    pub user: RegisteredUser,
    pub token: String,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct RegisteredUser {
    pub id: String,
    pub email: String,
    #[oai(nullable)]
    pub name: Nullable<String>,
    pub created_at: Timestamp,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase", example)]
pub struct LoginRequest {
    pub email: Required<Text>,
    /// 1..1024 bytes.
    pub password: Required<Text>,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct LoginResponse {
    pub success: bool,
    pub data: LoginData,
    pub message: String,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct LoginData {
    pub user: LoggedInUser,
    pub token: String,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct LoggedInUser {
    pub id: String,
    pub email: String,
    #[oai(nullable)]
    pub name: Nullable<String>,
    pub credit_balance: i32,
}

/// The caller's account as `GET /api/auth/profile` returns it.
#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct Profile {
    pub id: String,
    pub email: String,
    #[oai(nullable)]
    pub name: Nullable<String>,
    pub role: Word<Role>,
    pub created_at: Timestamp,
    pub credit_balance: i32,
}

/// At least one of `name`, `email` or `newPassword`.
#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct UpdateProfileRequest {
    /// 1..100 characters after trimming; `null` or `""` clears the name.
    #[oai(nullable)]
    pub name: MaybeUndefined<Text>,
    /// A valid address not used by another account. Changing it needs
    /// `currentPassword`.
    pub email: MaybeUndefined<Text>,
    /// Required to change `email` or `newPassword`.
    pub current_password: MaybeUndefined<Text>,
    /// Same rules as the register password.
    pub new_password: MaybeUndefined<Text>,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct UpdateProfileResponse {
    pub success: bool,
    pub data: UpdateProfileData,
    pub message: String,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct UpdateProfileData {
    pub user: Profile,
    /// Present only when the email or the password changed: the caller's new token
    /// (every other session, and the token sent, ended).
    #[oai(skip_serializing_if_is_none)]
    pub token: Option<String>,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct LogoutResponse {
    pub success: bool,
    pub message: String,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct LogoutAllResponse {
    pub success: bool,
    pub message: String,
    /// Sessions of this service that were ended (tokens of the previous backend are
    /// ended too, but not counted).
    pub sessions_ended: i64,
}

impl poem_openapi::types::Example for RegisterRequest {
    fn example() -> Self {
        Self {
            email: Text::from("dewi@example.com").into(),
            password: Text::from("Correct-Horse-42").into(),
            name: Some("Dewi Lestari".into()),
        }
    }
}

impl poem_openapi::types::Example for LoginRequest {
    fn example() -> Self {
        Self {
            email: Text::from("dewi@example.com").into(),
            password: Text::from("Correct-Horse-42").into(),
        }
    }
}
