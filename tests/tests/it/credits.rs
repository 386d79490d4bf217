//! The credit ledger (api.md §5, §8.2): concurrent writers never fork or overdraw the
//! running balance, and the history reads newest first within its limits.

use api::credits::ledger::{self, EntryType, LedgerError, NewEntry};
use entity::credits;
use migration::sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use poem::http::StatusCode;
use serde_json::json;
use tests::{TestDb, dual_test};

use crate::api_client::{get_as, register, start};

/// One charge through the service, in its own serialised transaction.
async fn charge(
    db: DatabaseConnection,
    user_id: String,
    amount: i32,
) -> Result<credits::Model, LedgerError> {
    let txn = ledger::begin(&db).await?;
    let entry =
        NewEntry::new(-amount, EntryType::Usage, "test: charge").reference("cjob", "app_usage");
    let row = ledger::append(&txn, &user_id, entry).await?;
    txn.commit().await?;
    Ok(row)
}

async fn rows_oldest_first(db: &DatabaseConnection, user_id: &str) -> Vec<credits::Model> {
    credits::Entity::find()
        .filter(credits::Column::UserId.eq(user_id))
        .order_by_asc(credits::Column::CreatedAt)
        .order_by_asc(credits::Column::Id)
        .all(db)
        .await
        .unwrap()
}

dual_test!(concurrent_appends_keep_one_running_balance);
/// 20 charges of 1 at once on the welcome bonus: every row is computed from the one
/// before it (no fork), timestamps strictly increase, and 80 remain.
async fn concurrent_appends_keep_one_running_balance(db: TestDb) {
    let (cli, state) = start(&db, &[]).await;
    let (user_id, token) = register(&cli, "dewi@example.com").await;

    let tasks: Vec<_> = (0..20)
        .map(|_| tokio::spawn(charge(state.db.clone(), user_id.clone(), 1)))
        .collect();
    for task in tasks {
        task.await.unwrap().expect("the charge succeeds");
    }

    let rows = rows_oldest_first(&state.db, &user_id).await;
    assert_eq!(rows.len(), 21);
    assert_eq!(rows[0].balance, 100);
    for pair in rows.windows(2) {
        assert_eq!(
            pair[1].balance,
            pair[0].balance + pair[1].amount,
            "{pair:?}"
        );
        assert!(pair[1].created_at > pair[0].created_at, "{pair:?}");
    }
    assert_eq!(ledger::balance(&state.db, &user_id).await.unwrap(), 80);
    let reply = get_as(&cli, "/api/credits/balance", &token).await;
    assert_eq!(reply.body["data"]["balance"], 80);
}

dual_test!(concurrent_charges_never_overdraw);
/// 4 charges of 30 at once on 100: three succeed, one is refused with what was
/// required and available, and the balance never goes below 0.
async fn concurrent_charges_never_overdraw(db: TestDb) {
    let (cli, state) = start(&db, &[]).await;
    let (user_id, _) = register(&cli, "dewi@example.com").await;

    let tasks: Vec<_> = (0..4)
        .map(|_| tokio::spawn(charge(state.db.clone(), user_id.clone(), 30)))
        .collect();
    let mut refused = Vec::new();
    let mut succeeded = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => succeeded += 1,
            Err(err) => refused.push(err),
        }
    }
    assert_eq!(succeeded, 3);
    assert!(
        matches!(
            refused.as_slice(),
            [LedgerError::InsufficientCredits {
                required: 30,
                available: 10
            }]
        ),
        "{refused:?}"
    );
    assert_eq!(ledger::balance(&state.db, &user_id).await.unwrap(), 10);

    // Through the API error mapping: 402 with the numbers.
    let err = api::error::ApiError::from(refused.pop().unwrap());
    assert_eq!(err.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        serde_json::to_value(err.details().unwrap()).unwrap(),
        json!({ "required": 30, "available": 10 })
    );
}

dual_test!(history_is_newest_first_within_its_limit);
/// History: newest first, `limit` honoured (default 50, 1..200), other users'
/// rows never shown.
async fn history_is_newest_first_within_its_limit(db: TestDb) {
    let (cli, state) = start(&db, &[]).await;
    let (user_id, token) = register(&cli, "dewi@example.com").await;
    let (_, other_token) = register(&cli, "other@example.com").await;
    for amount in [1, 2, 3] {
        charge(state.db.clone(), user_id.clone(), amount)
            .await
            .unwrap();
    }

    let all = get_as(&cli, "/api/credits/history", &token).await;
    assert_eq!(all.status, StatusCode::OK);
    let amounts: Vec<i64> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, [-3, -2, -1, 100]);
    let balances: Vec<i64> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["balance"].as_i64().unwrap())
        .collect();
    assert_eq!(balances, [94, 97, 99, 100]);
    assert_eq!(all.body[0]["type"], "usage");
    assert_eq!(all.body[0]["referenceId"], "cjob");
    assert_eq!(all.body[0]["referenceType"], "app_usage");

    let two = get_as(&cli, "/api/credits/history?limit=2", &token).await;
    assert_eq!(two.body.as_array().unwrap().len(), 2);
    assert_eq!(two.body[0]["amount"], -3);
    let max = get_as(&cli, "/api/credits/history?limit=200", &token).await;
    assert_eq!(max.status, StatusCode::OK);

    for bad in ["0", "201", "-1", "abc"] {
        let reply = get_as(&cli, &format!("/api/credits/history?limit={bad}"), &token).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "limit={bad}");
        assert_eq!(reply.error_code(), "VALIDATION_ERROR");
        assert!(
            reply.body["error"]["details"]["limit"].is_array(),
            "limit={bad}: {reply:?}"
        );
    }

    let other = get_as(&cli, "/api/credits/history", &other_token).await;
    assert_eq!(other.body.as_array().unwrap().len(), 1);
}
