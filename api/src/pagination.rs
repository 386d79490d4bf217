//! Page-based pagination (api.md §1.10): `page` ≥ 1 and `limit` 1..100 from the query,
//! and the `pagination` object returned next to a list.

use migration::sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryResult, QuerySelect,
    QueryTrait, Select, sea_query::Expr,
};
use poem_openapi::Object;

use crate::error::{ApiError, FieldErrors};

/// The largest page size any list accepts.
pub const MAX_LIMIT: u64 = 100;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub limit: u64,
}

impl PageRequest {
    /// `page` defaults to 1, `limit` to `default_limit`; out-of-range values are a 400
    /// naming the field.
    pub fn new(
        page: Option<i64>,
        limit: Option<i64>,
        default_limit: u64,
    ) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::new();
        let page = page.unwrap_or(1);
        if page < 1 {
            errors.add("page", "Page must be an integer of at least 1");
        }
        let limit = limit.unwrap_or(default_limit as i64);
        if !(1..=MAX_LIMIT as i64).contains(&limit) {
            errors.add("limit", "Limit must be an integer between 1 and 100");
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(Self {
            page: page as u64,
            limit: limit as u64,
        })
    }

    /// Rows to skip; at most `i64::MAX`, the largest `OFFSET` PostgreSQL and SQLite
    /// accept (a page that far out is simply empty, not a database error).
    pub fn offset(&self) -> u64 {
        (self.page - 1)
            .saturating_mul(self.limit)
            .min(i64::MAX as u64)
    }

    /// The answer's `pagination` object for `total` matching items.
    pub fn of(&self, total: u64) -> Pagination {
        let total_pages = total.div_ceil(self.limit);
        // Signed in the document (api.md §1.2: no unsigned formats).
        let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Pagination {
            page: signed(self.page),
            limit: signed(self.limit),
            total: signed(total),
            total_pages: signed(total_pages),
            has_more: self.page < total_pages,
        }
    }
}

/// The alias of the window count selected beside each row by [`fetch_page`].
const PAGE_TOTAL: &str = "page_total";

/// One page of `query` (already filtered and ordered) and the number of rows it
/// matches, in one statement: a window count (`COUNT(*) OVER ()`, PostgreSQL and
/// SQLite ≥ 3.25) is selected beside each row. Only a page past the end, which has no
/// row to carry the count, costs a second statement. Rows come back raw so that callers
/// can read the extra columns they selected; [`fetch_page_models`] maps to models.
pub async fn fetch_page<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    page: PageRequest,
) -> Result<(Vec<QueryResult>, u64), DbErr>
where
    E::Model: Sync,
{
    let statement = query
        .clone()
        .expr_as(Expr::cust("COUNT(*) OVER ()"), PAGE_TOTAL)
        .offset(page.offset())
        .limit(page.limit)
        .into_query();
    let rows = db.query_all(&statement).await?;
    let total = match rows.first() {
        Some(row) => u64::try_from(row.try_get::<i64>("", PAGE_TOTAL)?).unwrap_or(0),
        None if page.offset() == 0 => 0,
        None => query.count(db).await?,
    };
    Ok((rows, total))
}

/// [`fetch_page`], each row read as the entity's model.
pub async fn fetch_page_models<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    page: PageRequest,
) -> Result<(Vec<E::Model>, u64), DbErr>
where
    E::Model: Sync,
{
    let (rows, total) = fetch_page(db, query, page).await?;
    let models = rows
        .iter()
        .map(|row| E::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((models, total))
}

/// `{ page, limit, total, totalPages, hasMore }`.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct Pagination {
    pub page: i64,
    pub limit: i64,
    /// Items matching the filters.
    pub total: i64,
    /// `ceil(total / limit)`; 0 when there are none.
    pub total_pages: i64,
    /// `page < totalPages`.
    pub has_more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_contract() {
        let p = PageRequest::new(Some(2), None, 24).unwrap();
        assert_eq!((p.page, p.limit, p.offset()), (2, 24, 24));
        assert_eq!(
            p.of(84),
            Pagination {
                page: 2,
                limit: 24,
                total: 84,
                total_pages: 4,
                has_more: true
            }
        );
        assert_eq!(p.of(0).total_pages, 0);
        assert!(
            !PageRequest::new(Some(4), Some(24), 10)
                .unwrap()
                .of(84)
                .has_more
        );
        for (page, limit) in [
            (Some(0), None),
            (None, Some(0)),
            (None, Some(101)),
            (Some(-3), Some(5)),
        ] {
            assert!(
                PageRequest::new(page, limit, 10).is_err(),
                "{page:?} {limit:?}"
            );
        }
    }

    #[test]
    fn a_huge_page_skips_at_most_i64_max_rows() {
        let p = PageRequest::new(Some(956_045_334_649_609_216), Some(10), 10).unwrap();
        assert_eq!(p.offset(), i64::MAX as u64);
        let p = PageRequest::new(Some(i64::MAX), Some(100), 10).unwrap();
        assert_eq!(p.offset(), i64::MAX as u64);
        assert!(!p.of(5).has_more);
    }
}
