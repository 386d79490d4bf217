//! The Pose Generator's JSON objects (api.md §2.8–§2.13).

use crate::http::presence::Nullable;
use crate::vocabulary::{
    AvatarSource, BackgroundMode, Difficulty, Gender, GeneratedPoseStatus, GenerationType,
    LEGACY_QUEUED, PoseGenerationStatus, PoseProjectStatus, PoseRequestStatus, PoseSourceType,
    Word,
};
use std::collections::BTreeMap;

use entity::{
    generated_poses, pose_categories, pose_generations, pose_generator_projects, pose_library,
    pose_requests, users,
};
use poem_openapi::Object;

use crate::timestamp::Timestamp;

/// A pose category (api.md §2.8). `poseCount` is computed on read: the public poses
/// of the category and all its descendants.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct PoseCategory {
    pub id: String,
    pub name: String,
    pub display_name: String,
    #[oai(nullable)]
    pub description: Nullable<String>,
    pub slug: String,
    #[oai(nullable)]
    pub parent_id: Nullable<String>,
    pub icon: String,
    pub display_order: i32,
    /// `#RRGGBB`
    pub color: String,
    pub pose_count: i64,
    pub is_active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl PoseCategory {
    pub fn new(m: pose_categories::Model, pose_count: i64) -> Self {
        Self {
            id: m.id,
            name: m.name,
            display_name: m.display_name,
            description: m.description.into(),
            slug: m.slug,
            parent_id: m.parent_id.into(),
            icon: m.icon,
            display_order: m.display_order,
            color: m.color,
            pose_count,
            is_active: m.is_active,
            created_at: m.created_at.into(),
            updated_at: m.updated_at.into(),
        }
    }
}

/// `_count` of `GET /categories`: public poses attached directly to the category.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
pub struct DirectCount {
    pub poses: i64,
}

/// A child of the category tree.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct PoseCategoryChild {
    #[oai(flatten)]
    pub category: PoseCategory,
    #[oai(rename = "_count")]
    pub count: DirectCount,
}

/// A top-level category with its active children.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct PoseCategoryTree {
    #[oai(flatten)]
    pub category: PoseCategory,
    #[oai(rename = "_count")]
    pub count: DirectCount,
    pub children: Vec<PoseCategoryChild>,
}

/// A library pose (api.md §2.9) with its category.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct PoseLibraryItem {
    pub id: String,
    pub name: String,
    #[oai(nullable)]
    pub description: Nullable<String>,
    pub category_id: String,
    pub preview_image_url: String,
    pub reference_image_url: String,
    /// The ControlNet-style skeleton (pose map) of the pose.
    pub controlnet_image_url: String,
    #[oai(nullable)]
    pub thumbnail_url: Nullable<String>,
    pub difficulty: Word<Difficulty>,
    /// Whom the pose suits.
    pub gender_suitability: Word<Gender>,
    pub tags: Vec<String>,
    pub source_type: Word<PoseSourceType>,
    #[oai(nullable)]
    pub source_credit: Nullable<String>,
    pub license_type: String,
    pub usage_count: i32,
    pub favorite_count: i32,
    pub rating_avg: f64,
    pub popularity_score: i32,
    pub is_public: bool,
    pub is_featured: bool,
    pub is_premium: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub category: PoseCategory,
}

impl PoseLibraryItem {
    pub fn new(m: pose_library::Model, category: PoseCategory) -> Self {
        Self {
            id: m.id,
            name: m.name,
            description: m.description.into(),
            category_id: m.category_id,
            preview_image_url: m.preview_image_url,
            reference_image_url: m.reference_image_url,
            controlnet_image_url: m.controlnet_image_url,
            thumbnail_url: m.thumbnail_url.into(),
            difficulty: Word::stored(&m.difficulty),
            gender_suitability: Word::stored(&m.gender_suitability),
            tags: m.tags.into_vec(),
            source_type: Word::stored(&m.source_type),
            source_credit: m.source_credit.into(),
            license_type: m.license_type,
            usage_count: m.usage_count,
            favorite_count: m.favorite_count,
            rating_avg: m.rating_avg,
            popularity_score: m.popularity_score,
            is_public: m.is_public,
            is_featured: m.is_featured,
            is_premium: m.is_premium,
            created_at: m.created_at.into(),
            updated_at: m.updated_at.into(),
            category,
        }
    }
}

/// A Pose Generator project (api.md §2.10); the two totals are computed on read.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct PoseGeneratorProject {
    pub id: String,
    pub user_id: String,
    pub project_name: String,
    #[oai(nullable)]
    pub description: Nullable<String>,
    #[oai(nullable)]
    pub avatar_image_url: Nullable<String>,
    pub avatar_source: Word<AvatarSource>,
    #[oai(nullable)]
    pub avatar_id: Nullable<String>,
    pub total_generations: i64,
    pub total_poses_generated: i64,
    pub status: Word<PoseProjectStatus>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl PoseGeneratorProject {
    pub fn new(m: pose_generator_projects::Model, totals: (i64, i64)) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            project_name: m.project_name,
            description: m.description.into(),
            avatar_image_url: m.avatar_image_url.into(),
            avatar_source: Word::stored(&m.avatar_source),
            avatar_id: m.avatar_id.into(),
            total_generations: totals.0,
            total_poses_generated: totals.1,
            status: Word::stored(&m.status),
            created_at: m.created_at.into(),
            updated_at: m.updated_at.into(),
        }
    }
}

/// A pose generation (api.md §2.11).
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct PoseGeneration {
    pub id: String,
    pub project_id: String,
    pub user_id: String,
    pub generation_type: Word<GenerationType>,
    #[oai(nullable)]
    pub text_prompt: Nullable<String>,
    /// Reserved; always null in this version.
    #[oai(nullable)]
    pub generated_pose_structure: Nullable<String>,
    #[oai(nullable)]
    pub avatar_id: Nullable<String>,
    /// JSON text `{gender, ageRange, ethnicity, style}` taken at request time.
    #[oai(nullable)]
    pub avatar_attributes: Nullable<String>,
    pub batch_size: i32,
    pub total_expected_poses: i32,
    pub use_background_changer: bool,
    #[oai(nullable)]
    pub background_mode: Nullable<Word<BackgroundMode>>,
    #[oai(nullable)]
    pub background_prompt: Nullable<String>,
    pub export_formats: Vec<String>,
    pub status: Word<PoseGenerationStatus>,
    pub progress: i32,
    pub poses_completed: i32,
    pub poses_failed: i32,
    pub credit_charged: i32,
    pub credit_refunded: i32,
    #[oai(nullable)]
    pub queue_job_id: Nullable<String>,
    #[oai(nullable)]
    pub error_message: Nullable<String>,
    pub created_at: Timestamp,
    #[oai(nullable)]
    pub started_at: Nullable<Timestamp>,
    #[oai(nullable)]
    pub completed_at: Nullable<Timestamp>,
    #[oai(nullable)]
    pub avg_generation_time: Nullable<f64>,
    #[oai(nullable)]
    pub total_processing_time: Nullable<f64>,
    pub recovery_attempts: i32,
    #[oai(nullable)]
    pub last_recovery_at: Nullable<Timestamp>,
}

/// The legacy `queued` status reads as `pending` (api.md §8.3.2).
pub fn public_status(status: &str) -> String {
    if status == LEGACY_QUEUED {
        PoseGenerationStatus::Pending.into()
    } else {
        status.to_owned()
    }
}

impl From<pose_generations::Model> for PoseGeneration {
    fn from(m: pose_generations::Model) -> Self {
        Self {
            status: Word::stored(&public_status(&m.status)),
            id: m.id,
            project_id: m.project_id,
            user_id: m.user_id,
            generation_type: Word::stored(&m.generation_type),
            text_prompt: m.text_prompt.into(),
            generated_pose_structure: m.generated_pose_structure.into(),
            avatar_id: m.avatar_id.into(),
            avatar_attributes: m.avatar_attributes.into(),
            batch_size: m.batch_size,
            total_expected_poses: m.total_expected_poses,
            use_background_changer: m.use_background_changer,
            background_mode: m.background_mode.as_deref().map(Word::stored).into(),
            background_prompt: m.background_prompt.into(),
            export_formats: m.export_formats.into_vec(),
            progress: m.progress,
            poses_completed: m.poses_completed,
            poses_failed: m.poses_failed,
            credit_charged: m.credit_charged,
            credit_refunded: m.credit_refunded,
            queue_job_id: m.queue_job_id.into(),
            error_message: m.error_message.into(),
            created_at: m.created_at.into(),
            started_at: m.started_at.map(Into::into).into(),
            completed_at: m.completed_at.map(Into::into).into(),
            avg_generation_time: m.avg_generation_time.into(),
            total_processing_time: m.total_processing_time.into(),
            recovery_attempts: m.recovery_attempts,
            last_recovery_at: m.last_recovery_at.map(Into::into).into(),
        }
    }
}

/// One generated image (api.md §2.12).
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct GeneratedPose {
    pub id: String,
    pub generation_id: String,
    #[oai(nullable)]
    pub pose_library_id: Nullable<String>,
    /// `""` for failed poses.
    pub output_image_url: String,
    /// `""` for failed poses.
    pub thumbnail_url: String,
    #[oai(nullable)]
    pub original_image_url: Nullable<String>,
    /// Format key → URL; `{}` when none.
    pub export_formats: BTreeMap<String, String>,
    pub background_changed: bool,
    #[oai(nullable)]
    pub background_prompt: Nullable<String>,
    pub prompt_used: String,
    #[oai(nullable)]
    pub seed_used: Nullable<i32>,
    pub controlnet_weight: f64,
    #[oai(nullable)]
    pub generation_time: Nullable<f64>,
    #[oai(nullable)]
    pub ai_confidence_score: Nullable<f64>,
    pub is_favorite: bool,
    pub download_count: i32,
    pub status: Word<GeneratedPoseStatus>,
    #[oai(nullable)]
    pub error_message: Nullable<String>,
    /// `<poseLibraryId>-v<i>` (gallery) or `text-v<i>` (text).
    #[oai(nullable)]
    pub variation_key: Nullable<String>,
    pub created_at: Timestamp,
}

/// `exportFormats` as stored (a JSON object of strings); anything else reads as `{}`.
pub fn export_map(value: &serde_json::Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| v.as_str().map(|url| (k.clone(), url.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

impl From<generated_poses::Model> for GeneratedPose {
    fn from(m: generated_poses::Model) -> Self {
        Self {
            export_formats: export_map(&m.export_formats),
            id: m.id,
            generation_id: m.generation_id,
            pose_library_id: m.pose_library_id.into(),
            output_image_url: m.output_image_url,
            thumbnail_url: m.thumbnail_url,
            original_image_url: m.original_image_url.into(),
            background_changed: m.background_changed,
            background_prompt: m.background_prompt.into(),
            prompt_used: m.prompt_used,
            seed_used: m.seed_used.into(),
            controlnet_weight: m.controlnet_weight,
            generation_time: m.generation_time.into(),
            ai_confidence_score: m.ai_confidence_score.into(),
            is_favorite: m.is_favorite,
            download_count: m.download_count,
            status: Word::stored(&m.status),
            error_message: m.error_message.into(),
            variation_key: m.variation_key.into(),
            created_at: m.created_at.into(),
        }
    }
}

/// The library pose that fulfilled a pose request (`completedPose` of §2.13).
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseRequestCompletedPose {
    pub id: String,
    pub name: String,
    pub preview_image_url: String,
    #[oai(nullable)]
    pub thumbnail_url: Nullable<String>,
}

impl From<pose_library::Model> for PoseRequestCompletedPose {
    fn from(m: pose_library::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            preview_image_url: m.preview_image_url,
            thumbnail_url: m.thumbnail_url.into(),
        }
    }
}

/// A request for a new library pose (api.md §2.13), with its category and the pose
/// that fulfilled it.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct PoseRequest {
    pub id: String,
    pub user_id: String,
    pub pose_name: String,
    pub description: String,
    #[oai(nullable)]
    pub reference_image_url: Nullable<String>,
    #[oai(nullable)]
    pub category_id: Nullable<String>,
    #[oai(nullable)]
    pub use_case: Nullable<String>,
    pub votes_count: i32,
    pub status: Word<PoseRequestStatus>,
    /// Null in `GET /requests?scope=all` for other users' requests.
    #[oai(nullable)]
    pub admin_notes: Nullable<String>,
    /// The library pose that fulfilled the request.
    #[oai(nullable)]
    pub completed_pose_id: Nullable<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[oai(nullable)]
    pub category: Nullable<PoseCategory>,
    #[oai(nullable)]
    pub completed_pose: Nullable<PoseRequestCompletedPose>,
}

impl PoseRequest {
    pub fn new(
        m: pose_requests::Model,
        category: Option<PoseCategory>,
        completed_pose: Option<PoseRequestCompletedPose>,
    ) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            pose_name: m.pose_name,
            description: m.description,
            reference_image_url: m.reference_image_url.into(),
            category_id: m.category_id.into(),
            use_case: m.use_case.into(),
            votes_count: m.votes_count,
            status: Word::stored(&m.status),
            admin_notes: m.admin_notes.into(),
            completed_pose_id: m.completed_pose_id.into(),
            created_at: m.created_at.into(),
            updated_at: m.updated_at.into(),
            category: category.into(),
            completed_pose: completed_pose.into(),
        }
    }
}

/// A pose request as its user-facing routes show it: with whether the caller voted.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct PoseRequestWithVote {
    #[oai(flatten)]
    pub request: PoseRequest,
    pub has_voted: bool,
}

/// The requester, in the admin views of a pose request.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseRequestUser {
    pub id: String,
    pub email: String,
    #[oai(nullable)]
    pub name: Nullable<String>,
}

impl From<users::Model> for PoseRequestUser {
    fn from(m: users::Model) -> Self {
        Self {
            id: m.id,
            email: m.email,
            name: m.name.into(),
        }
    }
}

/// A pose request as the admin routes show it: with its requester.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct PoseRequestWithUser {
    #[oai(flatten)]
    pub request: PoseRequest,
    /// Null only if the user row is gone (the foreign key cascades, so not in practice).
    #[oai(nullable)]
    pub user: Nullable<PoseRequestUser>,
}

/// Pose requests per status (`GET /admin/pose-requests/stats`).
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseRequestStats {
    pub total: i64,
    pub pending: i64,
    pub approved: i64,
    pub in_progress: i64,
    pub completed: i64,
    pub rejected: i64,
}
