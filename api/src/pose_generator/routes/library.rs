//! Library and category operations (api.md §7.1–§7.3).

use crate::vocabulary::{Difficulty, Gender, Word};
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, param::Query, payload::Json};

use crate::pose_generator::library::{self, Catalogue, LibraryFilter, LibraryQuery};
use crate::pose_generator::views::{PoseCategoryTree, PoseLibraryItem};
use crate::{
    app::AppState,
    auth::BearerAuth,
    error::Errors,
    openapi::ApiTags,
    pagination::{PageRequest, Pagination},
};

pub struct LibraryApi;

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseList {
    pub poses: Vec<PoseLibraryItem>,
    pub pagination: Pagination,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct PoseEnvelope {
    pub pose: PoseLibraryItem,
}

#[derive(Object, Debug)]
#[oai(rename_all = "camelCase")]
pub struct CategoryTree {
    pub categories: Vec<PoseCategoryTree>,
    /// Number of top-level categories returned.
    pub total_categories: i64,
}

#[OpenApi(
    prefix_path = "/api/apps/pose-generator",
    tag = "ApiTags::PoseGenerator"
)]
impl LibraryApi {
    /// Browse the pose library
    ///
    /// Public poses, most popular first (then name, id), each with its category. All
    /// filters combine.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/library",
        method = "get",
        operation_id = "poseGeneratorListLibrary"
    )]
    async fn list_library(
        &self,
        _auth: BearerAuth,
        state: Data<&AppState>,
        /// A category id, slug or name; matches the category and all its descendants.
        category: Query<Option<String>>,
        /// Name substring or exact tag, case-insensitive; ignored under 2 characters.
        search: Query<Option<String>>,
        /// Only poses of this difficulty.
        difficulty: Query<Option<Word<Difficulty>>>,
        /// Only poses suited to exactly this value.
        #[oai(name = "genderSuitability")]
        gender_suitability: Query<Option<Word<Gender>>>,
        /// `true`: featured poses only.
        featured: Query<Option<Word<bool>>>,
        /// ≥ 1, default 1.
        page: Query<Option<i64>>,
        /// 1..100, default 24.
        limit: Query<Option<i64>>,
    ) -> Result<Json<PoseList>, Errors<400, 401>> {
        let filter = LibraryFilter::parse(LibraryQuery {
            category: category.as_deref(),
            search: search.as_deref(),
            difficulty: difficulty.as_deref(),
            gender_suitability: gender_suitability.as_deref(),
            featured: featured.as_deref(),
        })?;
        let page = PageRequest::new(page.0, limit.0, 24)?;
        let (poses, pagination) = library::list(&state.db, &filter, page).await?;
        Ok(Json(PoseList { poses, pagination }))
    }

    /// Get a library pose
    ///
    /// A public pose with its category. Viewing is not usage: no counter changes.
    #[oai(
        path = "/library/:poseId",
        method = "get",
        operation_id = "poseGeneratorGetLibraryPose"
    )]
    async fn get_library_pose(
        &self,
        _auth: BearerAuth,
        state: Data<&AppState>,
        #[oai(name = "poseId")] pose_id: Path<String>,
    ) -> Result<Json<PoseEnvelope>, Errors<401, 404>> {
        let pose = library::get(&state.db, &pose_id).await?;
        Ok(Json(PoseEnvelope { pose }))
    }

    /// List pose categories
    ///
    /// The active category tree; `poseCount` counts the public poses of the whole
    /// subtree, `_count.poses` those attached directly.
    #[oai(
        path = "/categories",
        method = "get",
        operation_id = "poseGeneratorListCategories"
    )]
    async fn list_categories(
        &self,
        _auth: BearerAuth,
        state: Data<&AppState>,
    ) -> Result<Json<CategoryTree>, Errors<401>> {
        let categories = Catalogue::load(&state.db)
            .await
            .map_err(crate::error::ApiError::from)?
            .tree();
        Ok(Json(CategoryTree {
            total_categories: i64::try_from(categories.len()).unwrap_or(i64::MAX),
            categories,
        }))
    }
}
