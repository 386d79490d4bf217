//! `GET /stats` (api.md §6.18).

use poem::web::Data;
use poem_openapi::{Object, OpenApi, payload::Json};

use crate::avatar_creator::stats;
use crate::credits::pricing::is_enterprise_unlimited;
use crate::{app::AppState, auth::BearerAuth, credits::ledger, error::Errors, openapi::ApiTags};

pub struct StatsApi;

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct TopAvatar {
    pub id: String,
    pub name: String,
    pub usage_count: i32,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct AvatarStats {
    pub total_avatars: i64,
    pub total_projects: i64,
    /// Avatars created in the last 7 × 24 hours.
    pub recent_uploads: i64,
    /// Sum of `usageCount` over the caller's avatars.
    pub total_usage: i64,
    /// `round(totalUsage / totalAvatars)`, 0 without avatars.
    pub average_usage: i64,
    /// Up to five, by `usageCount`, then most recently used.
    pub top_used_avatars: Vec<TopAvatar>,
}

/// The configured list prices; `fromReference` is informational only.
#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct AvatarCosts {
    pub generate_avatar: i32,
    pub upload_avatar: i32,
    pub from_preset: i32,
    pub from_reference: i32,
    pub edit_persona: i32,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct StatsResponse {
    pub stats: AvatarStats,
    pub credit_balance: i32,
    /// Users tagged `enterprise_unlimited` pay nothing in the Avatar Creator.
    pub has_enterprise_unlimited: bool,
    pub costs: AvatarCosts,
}

#[OpenApi(
    prefix_path = "/api/apps/avatar-creator",
    tag = "ApiTags::AvatarCreator"
)]
impl StatsApi {
    /// Avatar Creator statistics
    ///
    /// The caller's projects, avatars, generations and credits spent, with the price
    /// list.
    #[oai(
        path = "/stats",
        method = "get",
        operation_id = "avatarCreatorGetStats"
    )]
    async fn stats(
        &self,
        auth: BearerAuth,
        state: Data<&AppState>,
    ) -> Result<Json<StatsResponse>, Errors<401>> {
        let user = &auth.0;
        let s = stats::stats(&state.db, &user.id).await?;
        let balance = ledger::balance(&state.db, &user.id)
            .await
            .map_err(crate::error::ApiError::from)?;
        let costs = state.config.costs;
        Ok(Json(StatsResponse {
            stats: AvatarStats {
                total_avatars: s.total_avatars as i64,
                total_projects: s.total_projects as i64,
                recent_uploads: s.recent_uploads as i64,
                total_usage: s.total_usage,
                average_usage: s.average_usage,
                top_used_avatars: s
                    .top_used
                    .into_iter()
                    .map(|a| TopAvatar {
                        id: a.id,
                        name: a.name,
                        usage_count: a.usage_count,
                    })
                    .collect(),
            },
            credit_balance: balance,
            has_enterprise_unlimited: is_enterprise_unlimited(user.user_tags.as_deref()),
            costs: AvatarCosts {
                generate_avatar: costs.avatar_generate,
                upload_avatar: costs.avatar_upload,
                from_preset: costs.avatar_from_preset,
                from_reference: costs.avatar_from_reference,
                edit_persona: 0,
            },
        }))
    }
}
