//! The pose library and its categories (api.md §7.1–§7.3, §8.9): shared reference data,
//! visible to every authenticated user; only public poses are listed or shown, and
//! reading never changes a counter.

use std::collections::HashMap;

use entity::{pose_categories, pose_library};
use migration::sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, Query},
};

use super::error::PoseGeneratorError;
use super::views::{
    DirectCount, PoseCategory, PoseCategoryChild, PoseCategoryTree, PoseLibraryItem,
};
use crate::{
    error::FieldErrors,
    pagination::{PageRequest, Pagination, fetch_page_models},
};

pub const DIFFICULTIES: [&str; 3] = ["beginner", "intermediate", "advanced"];
pub const GENDERS: [&str; 3] = ["male", "female", "unisex"];
/// The alias of the public pose count selected beside each category.
const PUBLIC_POSES: &str = "public_poses";
/// Search terms are cut to this many characters; shorter than 2 are ignored.
const SEARCH_MAX_CHARS: usize = 100;

/// Every category, with the number of public poses attached directly to each.
pub struct Catalogue {
    categories: Vec<pose_categories::Model>,
    direct: HashMap<String, i64>,
}

impl Catalogue {
    /// One statement: every category with its public poses counted in a sub-select.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let public_poses = Query::select()
            .expr(Expr::col((pose_library::Entity, pose_library::Column::Id)).count())
            .from(pose_library::Entity)
            .and_where(
                Expr::col((pose_library::Entity, pose_library::Column::CategoryId))
                    .equals((pose_categories::Entity, pose_categories::Column::Id)),
            )
            .and_where(Expr::col((pose_library::Entity, pose_library::Column::IsPublic)).eq(true))
            .to_owned();
        let query = pose_categories::Entity::find()
            .expr_as(
                Expr::SubQuery(None, Box::new(public_poses.into())),
                PUBLIC_POSES,
            )
            .order_by_asc(pose_categories::Column::DisplayOrder)
            .order_by_asc(pose_categories::Column::Name)
            .order_by_asc(pose_categories::Column::Id)
            .into_query();
        let rows = db.query_all(&query).await?;
        let mut categories = Vec::with_capacity(rows.len());
        let mut direct = HashMap::new();
        for row in rows {
            let category = pose_categories::Model::from_query_result(&row, "")?;
            let poses: i64 = row.try_get("", PUBLIC_POSES)?;
            direct.insert(category.id.clone(), poses);
            categories.push(category);
        }
        Ok(Self { categories, direct })
    }

    /// The category named by an id, a slug or a name.
    pub fn resolve(&self, key: &str) -> Option<&pose_categories::Model> {
        self.categories
            .iter()
            .find(|c| c.id == key)
            .or_else(|| self.categories.iter().find(|c| c.slug == key))
            .or_else(|| self.categories.iter().find(|c| c.name == key))
    }

    /// The ids of `root` and all its descendants (cycles in bad data are cut).
    pub fn subtree(&self, root: &str) -> Vec<String> {
        let mut ids = vec![root.to_owned()];
        let mut next = 0;
        while next < ids.len() {
            let parent = ids[next].clone();
            for child in self
                .categories
                .iter()
                .filter(|c| c.parent_id.as_deref() == Some(&parent))
            {
                if !ids.contains(&child.id) {
                    ids.push(child.id.clone());
                }
            }
            next += 1;
        }
        ids
    }

    fn subtree_count(&self, id: &str) -> i64 {
        self.subtree(id)
            .iter()
            .map(|c| self.direct.get(c).copied().unwrap_or(0))
            .sum()
    }

    fn direct_count(&self, id: &str) -> i64 {
        self.direct.get(id).copied().unwrap_or(0)
    }

    /// The category object of `id`, with its computed `poseCount`.
    pub fn view(&self, id: &str) -> Option<PoseCategory> {
        let model = self.categories.iter().find(|c| c.id == id)?;
        Some(PoseCategory::new(model.clone(), self.subtree_count(id)))
    }

    /// The active tree (§7.3): roots and their active children, by `displayOrder`, name.
    pub fn tree(&self) -> Vec<PoseCategoryTree> {
        self.categories
            .iter()
            .filter(|c| c.parent_id.is_none() && c.is_active)
            .map(|root| PoseCategoryTree {
                category: PoseCategory::new(root.clone(), self.subtree_count(&root.id)),
                count: DirectCount {
                    poses: self.direct_count(&root.id),
                },
                children: self
                    .categories
                    .iter()
                    .filter(|c| c.parent_id.as_deref() == Some(root.id.as_str()) && c.is_active)
                    .map(|child| PoseCategoryChild {
                        category: PoseCategory::new(child.clone(), self.subtree_count(&child.id)),
                        count: DirectCount {
                            poses: self.direct_count(&child.id),
                        },
                    })
                    .collect(),
            })
            .collect()
    }

    fn item(&self, pose: pose_library::Model) -> Result<PoseLibraryItem, DbErr> {
        let category = self.view(&pose.category_id).ok_or_else(|| {
            DbErr::RecordNotFound(format!("category {} of pose {}", pose.category_id, pose.id))
        })?;
        Ok(PoseLibraryItem::new(pose, category))
    }
}

/// The raw query of `GET /library`, validated by [`LibraryFilter::parse`].
#[derive(Debug, Default)]
pub struct LibraryQuery<'a> {
    pub category: Option<&'a str>,
    pub search: Option<&'a str>,
    pub difficulty: Option<&'a str>,
    pub gender_suitability: Option<&'a str>,
    pub featured: Option<&'a str>,
}

/// Validated library filters.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LibraryFilter {
    pub category: Option<String>,
    /// Trimmed, at most 100 characters, at least 2.
    pub search: Option<String>,
    pub difficulty: Option<String>,
    pub gender_suitability: Option<String>,
    pub featured_only: bool,
}

impl LibraryFilter {
    pub fn parse(query: LibraryQuery<'_>) -> Result<Self, PoseGeneratorError> {
        let mut errors = FieldErrors::new();
        let one_of =
            |errors: &mut FieldErrors, field: &str, value: Option<&str>, allowed: &[&str]| {
                value.map(str::to_owned).filter(|v| {
                    let ok = allowed.contains(&v.as_str());
                    if !ok {
                        errors.add(field, format!("Must be one of: {}", allowed.join(", ")));
                    }
                    ok
                })
            };
        let difficulty = one_of(&mut errors, "difficulty", query.difficulty, &DIFFICULTIES);
        let gender_suitability = one_of(
            &mut errors,
            "genderSuitability",
            query.gender_suitability,
            &GENDERS,
        );
        let featured_only = match query.featured {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                errors.add("featured", "Must be true or false");
                false
            }
        };
        if !errors.is_empty() {
            return Err(PoseGeneratorError::Invalid(errors));
        }
        let search = query
            .search
            .map(|s| s.trim().chars().take(SEARCH_MAX_CHARS).collect::<String>())
            .filter(|s| s.chars().count() >= 2);
        Ok(Self {
            category: query.category.map(str::to_owned).filter(|c| !c.is_empty()),
            search,
            difficulty,
            gender_suitability,
            featured_only,
        })
    }
}

/// `term` as a LIKE pattern matching it as a literal substring (`%`, `_` and `\`
/// escaped with `\`), lower-cased.
fn contains_pattern(term: &str) -> String {
    let mut pattern = String::from("%");
    for c in term.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Poses whose name contains `term` or that carry it as a tag, case-insensitively.
fn search_condition(backend: DbBackend, term: &str) -> Condition {
    let name = Expr::expr(Func::lower(Expr::col((
        pose_library::Entity,
        pose_library::Column::Name,
    ))))
    .like(LikeExpr::new(contains_pattern(term)).escape('\\'));
    // Each backend's own placeholder: sea-query only numbers `$N` for PostgreSQL, and
    // SQLite would read a literal `$1` as a named parameter bound to another value.
    let tag_sql = match backend {
        DbBackend::Postgres => {
            r#"EXISTS (SELECT 1 FROM unnest("pose_library"."tags") AS t(tag) WHERE LOWER(t.tag) = $1)"#
        }
        _ => {
            r#"EXISTS (SELECT 1 FROM json_each("pose_library"."tags") AS t WHERE LOWER(t.value) = ?)"#
        }
    };
    let tag = Expr::cust_with_values(tag_sql, [term.to_lowercase()]);
    Condition::any().add(name).add(tag)
}

/// One page of public poses matching `filter`, by popularity, name, id.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &LibraryFilter,
    page: PageRequest,
) -> Result<(Vec<PoseLibraryItem>, Pagination), PoseGeneratorError> {
    let catalogue = Catalogue::load(db).await?;
    let mut condition = Condition::all().add(pose_library::Column::IsPublic.eq(true));
    if let Some(key) = &filter.category {
        match catalogue.resolve(key) {
            Some(category) => {
                condition = condition
                    .add(pose_library::Column::CategoryId.is_in(catalogue.subtree(&category.id)));
            }
            None => return Ok((Vec::new(), page.of(0))),
        }
    }
    if let Some(term) = &filter.search {
        condition = condition.add(search_condition(db.get_database_backend(), term));
    }
    if let Some(difficulty) = &filter.difficulty {
        condition = condition.add(pose_library::Column::Difficulty.eq(difficulty.as_str()));
    }
    if let Some(gender) = &filter.gender_suitability {
        condition = condition.add(pose_library::Column::GenderSuitability.eq(gender.as_str()));
    }
    if filter.featured_only {
        condition = condition.add(pose_library::Column::IsFeatured.eq(true));
    }
    let query = pose_library::Entity::find()
        .filter(condition)
        .order_by_desc(pose_library::Column::PopularityScore)
        .order_by_asc(pose_library::Column::Name)
        .order_by_asc(pose_library::Column::Id);
    let (poses, total) = fetch_page_models(db, query, page).await?;
    let items = poses
        .into_iter()
        .map(|pose| catalogue.item(pose))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, page.of(total)))
}

/// A public pose with its category; 404 `"Pose not found"` otherwise.
pub async fn get(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<PoseLibraryItem, PoseGeneratorError> {
    let pose = pose_library::Entity::find_by_id(id)
        .filter(pose_library::Column::IsPublic.eq(true))
        .one(db)
        .await?
        .ok_or(PoseGeneratorError::PoseNotFound)?;
    let catalogue = Catalogue::load(db).await?;
    Ok(catalogue.item(pose)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_are_literal() {
        assert_eq!(contains_pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn filters_validate_their_values() {
        let ok = LibraryFilter::parse(LibraryQuery {
            search: Some("  a  "),
            featured: Some("true"),
            difficulty: Some("advanced"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.search, None, "one character is ignored");
        assert!(ok.featured_only);
        let long = "x".repeat(150);
        let cut = LibraryFilter::parse(LibraryQuery {
            search: Some(&long),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(cut.search.unwrap().len(), 100);
        for query in [
            LibraryQuery {
                difficulty: Some("expert"),
                ..Default::default()
            },
            LibraryQuery {
                gender_suitability: Some("Male"),
                ..Default::default()
            },
            LibraryQuery {
                featured: Some("yes"),
                ..Default::default()
            },
        ] {
            assert!(LibraryFilter::parse(query).is_err());
        }
    }
}
