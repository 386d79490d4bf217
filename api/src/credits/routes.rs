//! `GET /api/credits/balance` and `GET /api/credits/history` (api.md §5).

use crate::http::presence::Nullable;
use crate::vocabulary::{CreditType, Word};
use entity::credits;
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};

use super::ledger;
use crate::{
    app::AppState,
    auth::BearerAuth,
    error::{ApiError, Errors},
    openapi::ApiTags,
    timestamp::Timestamp,
};

const HISTORY_DEFAULT_LIMIT: i32 = 50;
const HISTORY_MAX_LIMIT: i32 = 200;

pub struct CreditsApi;

#[OpenApi(prefix_path = "/api/credits", tag = "ApiTags::Credits")]
impl CreditsApi {
    /// Current balance
    ///
    /// The `balance` of the caller's latest ledger row, or 0 without rows.
    #[oai(path = "/balance", method = "get", operation_id = "creditsGetBalance")]
    async fn balance(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<BalanceResponse>, Errors<401>> {
        let balance = ledger::balance(&state.db, &auth.0.id)
            .await
            .map_err(ApiError::from)?;
        Ok(Json(BalanceResponse {
            success: true,
            data: BalanceData { balance },
        }))
    }

    /// Ledger history
    ///
    /// The caller's ledger rows, newest first (`createdAt` DESC, then `id` DESC), as a
    /// bare array.
    #[oai(path = "/history", method = "get", operation_id = "creditsGetHistory")]
    async fn history(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        /// How many rows to return: 1..200, default 50.
        limit: Query<Option<i32>>,
    ) -> Result<Json<Vec<CreditEntry>>, Errors<400, 401>> {
        let limit = limit.0.unwrap_or(HISTORY_DEFAULT_LIMIT);
        if !(1..=HISTORY_MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid_field(
                "limit",
                format!("Limit must be between 1 and {HISTORY_MAX_LIMIT}"),
            )
            .into());
        }
        let rows = ledger::history(&state.db, &auth.0.id, limit.unsigned_abs().into())
            .await
            .map_err(ApiError::from)?;
        Ok(Json(rows.into_iter().map(CreditEntry::from).collect()))
    }
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct BalanceResponse {
    pub success: bool,
    pub data: BalanceData,
}

#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct BalanceData {
    pub balance: i32,
}

/// One ledger row.
#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct CreditEntry {
    pub id: String,
    pub user_id: String,
    /// Positive for additions, negative for charges.
    pub amount: i32,
    /// Running balance after this row.
    pub balance: i32,
    #[oai(rename = "type")]
    pub kind: Word<CreditType>,
    #[oai(nullable)]
    pub description: Nullable<String>,
    /// What the row is about (generation id, avatar id, job id).
    #[oai(nullable)]
    pub reference_id: Nullable<String>,
    /// The kind of operation: this service writes for example `app_usage` or
    /// `pose_generation`; other apps sharing the ledger write their own words.
    #[oai(nullable)]
    pub reference_type: Nullable<String>,
    /// Payment reference (purchases only).
    #[oai(nullable)]
    pub payment_id: Nullable<String>,
    pub created_at: Timestamp,
}

impl From<credits::Model> for CreditEntry {
    fn from(row: credits::Model) -> Self {
        Self {
            id: row.id,
            user_id: row.user_id,
            amount: row.amount,
            balance: row.balance,
            kind: Word::stored(&row.r#type),
            description: row.description.into(),
            reference_id: row.reference_id.into(),
            reference_type: row.reference_type.into(),
            payment_id: row.payment_id.into(),
            created_at: row.created_at.into(),
        }
    }
}
