//! The Pose Generator library against the seeded reference data (api.md §7.1–§7.3,
//! §8.9, §9.3, §9.4): every filter, search, ordering, pagination and the `limit`
//! bound, the category tree with its counts, and the `local` provider drawing the
//! chosen pose's map. Expected results are computed from the seed's own static data,
//! not typed in.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use api::jobs::Workers;
use entity::pose_library;
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use migration::seed::{
    self,
    pose_images::PoseImagePaths,
    poses::{
        CATEGORIES, EXPECTED_DIFFICULTY, EXPECTED_FEATURED, EXPECTED_GENDER,
        EXPECTED_LIBRARY_POSES, EXPECTED_PER_ROOT, LIBRARY_POSES, LibraryPose,
    },
};
use poem::{Endpoint, http::StatusCode};
use serde_json::{Value, json};
use tests::{TestDb, dual_test};

use crate::pose_generation::{Setup, setup};

/// Seeds the reference data with empty files where the pose images go (rendering all
/// 252 is the seed test's job), except for the poses named in `rendered`.
async fn seeded<E: Endpoint>(s: &Setup<E>, rendered: &[&str]) {
    let dir = s._presets.path();
    for pose in &LIBRARY_POSES {
        if rendered.contains(&pose.name) {
            continue;
        }
        for path in PoseImagePaths::of(dir, pose).all() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"").unwrap();
        }
    }
    seed::seed(&s.state.db, dir).await.unwrap();
}

/// The names a `GET /library` answer lists.
fn names(reply: &Value) -> Vec<String> {
    reply["poses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

fn expected(keep: impl Fn(&LibraryPose) -> bool) -> BTreeSet<String> {
    LIBRARY_POSES
        .iter()
        .filter(|p| keep(p))
        .map(|p| p.name.to_owned())
        .collect()
}

/// The poses of a category's subtree, by the seed's own data.
fn in_subtree(pose: &LibraryPose, slug: &str) -> bool {
    let mut current = Some(pose.category);
    while let Some(c) = current {
        if c == slug {
            return true;
        }
        current = CATEGORIES
            .iter()
            .find(|k| k.slug == c)
            .and_then(|k| k.parent);
    }
    false
}

impl<E: Endpoint> Setup<E> {
    /// `GET /library?<query>&limit=100`: asserts 200 and a single page, returns the
    /// names listed.
    async fn library_names(&self, query: &str) -> BTreeSet<String> {
        let reply = self.get(&format!("/library?{query}&limit=100")).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {:?}", reply.body);
        let listed = names(&reply.body);
        assert_eq!(reply.body["pagination"]["total"], listed.len(), "{query}");
        let set: BTreeSet<String> = listed.iter().cloned().collect();
        assert_eq!(set.len(), listed.len(), "{query}: no pose twice");
        set
    }
}

fn pose_named<'a>(reply: &'a Value, name: &str) -> &'a Value {
    reply["poses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not listed"))
}

dual_test!(library_filters_match_the_seeded_library);
/// Every filter and their combinations, by id, slug and name of a category and
/// its whole subtree; unknown category → empty; bad values → 400.
async fn library_filters_match_the_seeded_library(db: TestDb) {
    let s = setup(&db, &[]).await;
    seeded(&s, &[]).await;
    let all = s.library_names("").await;
    assert_eq!(all.len(), EXPECTED_LIBRARY_POSES);
    assert_eq!(all, expected(|_| true));

    // Category: a root's slug lists its whole subtree, so does its id and name.
    for (root, count) in EXPECTED_PER_ROOT {
        let listed = s.library_names(&format!("category={root}")).await;
        assert_eq!(listed.len(), count, "{root}");
        assert_eq!(listed, expected(|p| in_subtree(p, root)), "{root}");
    }
    let categories = entity::pose_categories::Entity::find()
        .all(&s.state.db)
        .await
        .unwrap();
    let hijab = categories.iter().find(|c| c.slug == "hijab").unwrap();
    assert_eq!(
        s.library_names(&format!("category={}", hijab.id)).await,
        expected(|p| in_subtree(p, "hijab"))
    );
    assert_eq!(
        s.library_names(&format!("category={}", hijab.name)).await,
        expected(|p| in_subtree(p, "hijab"))
    );
    for sub in CATEGORIES.iter().filter(|c| c.parent.is_some()) {
        let listed = s.library_names(&format!("category={}", sub.slug)).await;
        assert_eq!(listed, expected(|p| p.category == sub.slug), "{}", sub.slug);
    }
    assert!(
        s.library_names("category=no-such-category")
            .await
            .is_empty()
    );

    // Difficulty, gender and featured, alone and combined.
    for (difficulty, count) in EXPECTED_DIFFICULTY {
        let listed = s.library_names(&format!("difficulty={difficulty}")).await;
        assert_eq!(listed.len(), count, "{difficulty}");
        assert_eq!(listed, expected(|p| p.difficulty.as_str() == difficulty));
    }
    for (gender, count) in EXPECTED_GENDER {
        let listed = s
            .library_names(&format!("genderSuitability={gender}"))
            .await;
        assert_eq!(listed.len(), count, "{gender}");
        assert_eq!(listed, expected(|p| p.gender.as_str() == gender));
    }
    let featured = s.library_names("featured=true").await;
    assert_eq!(featured.len(), EXPECTED_FEATURED);
    assert_eq!(featured, expected(|p| p.featured));
    assert_eq!(
        s.library_names("featured=false").await,
        all,
        "false means no filter"
    );
    let combined = s
        .library_names("category=professional&difficulty=beginner&genderSuitability=unisex")
        .await;
    let want = expected(|p| {
        in_subtree(p, "professional")
            && p.difficulty.as_str() == "beginner"
            && p.gender.as_str() == "unisex"
    });
    assert!(!want.is_empty());
    assert_eq!(combined, want);

    // Each listed pose carries its category and the seed's offline image URLs.
    let reply = s.get("/library?category=sports&limit=100").await;
    for pose in reply.body["poses"].as_array().unwrap() {
        let seeded = LIBRARY_POSES
            .iter()
            .find(|p| pose["name"] == p.name)
            .unwrap();
        assert_eq!(pose["category"]["slug"], seeded.category);
        assert_eq!(pose["categoryId"], pose["category"]["id"]);
        assert_eq!(pose["thumbnailUrl"], seeded.thumbnail_url());
        assert_eq!(pose["controlnetImageUrl"], seeded.controlnet_url());
        assert!(
            pose["previewImageUrl"]
                .as_str()
                .unwrap()
                .starts_with("/presets/pose-generator/")
        );
    }

    // Bad values: 400 with the field named, nothing else.
    for query in [
        "difficulty=expert",
        "genderSuitability=other",
        "featured=yes",
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=ten",
        "page=0",
        "page=-3",
        "page=x",
    ] {
        let reply = s.get(&format!("/library?{query}")).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "VALIDATION_ERROR", "{query}");
        let field = query.split('=').next().unwrap();
        assert!(
            reply.body["error"]["details"].to_string().contains(field),
            "{query}: {:?}",
            reply.body
        );
    }
    for limit in [1, 100] {
        let reply = s.get(&format!("/library?limit={limit}")).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            reply.body["poses"].as_array().unwrap().len(),
            limit.min(EXPECTED_LIBRARY_POSES)
        );
    }
}

dual_test!(library_search_matches_names_and_tags);
/// Search: name substring or exact tag, case-insensitive; LIKE wildcards are
/// literal; terms under 2 characters are ignored.
async fn library_search_matches_names_and_tags(db: TestDb) {
    let s = setup(&db, &[]).await;
    seeded(&s, &[]).await;
    let search = |term: &str| {
        let term = term.trim().to_lowercase();
        expected(move |p| {
            p.name.to_lowercase().contains(&term) || p.tags.iter().any(|t| t.to_lowercase() == term)
        })
    };
    // A tag that is not a word of any name, so only the tag rule can match it.
    let tag_only = LIBRARY_POSES
        .iter()
        .flat_map(|p| p.tags.iter())
        .find(|t| {
            t.len() >= 3
                && !LIBRARY_POSES
                    .iter()
                    .any(|p| p.name.to_lowercase().contains(&t.to_lowercase()))
        })
        .expect("a tag that no name contains");
    let by_tag = s
        .library_names(&format!(
            "search={}",
            tag_only.to_uppercase().replace(' ', "%20")
        ))
        .await;
    assert!(!by_tag.is_empty(), "tag {tag_only}");
    assert_eq!(by_tag, search(tag_only), "tag {tag_only}");
    // Part of a tag is not a tag match.
    let partial = &tag_only[..tag_only.len() - 1];
    assert_eq!(
        s.library_names(&format!("search={}", partial.replace(' ', "%20")))
            .await,
        search(partial)
    );

    for term in ["hijab", "HEADSHOT", "Portrait", "Mid-Stride", "%20stand%20"] {
        let decoded = term.replace("%20", " ");
        let listed = s.library_names(&format!("search={term}")).await;
        assert_eq!(listed, search(&decoded), "{term}");
        assert!(!listed.is_empty(), "{term} finds something");
    }
    // Wildcards are literal characters.
    for term in ["%25%25", "__", "a%25", "%5C%5C"] {
        assert!(
            s.library_names(&format!("search={term}")).await.is_empty(),
            "{term}"
        );
    }
    // Under 2 characters (after trimming): no filter.
    let all = expected(|_| true);
    for term in ["a", "%25", "_", "%20x%20", ""] {
        assert_eq!(
            s.library_names(&format!("search={term}")).await,
            all,
            "{term:?}"
        );
    }
    // Search combines with the other filters.
    let listed = s
        .library_names("search=hijab&genderSuitability=female")
        .await;
    let want: BTreeSet<String> = search("hijab")
        .into_iter()
        .filter(|n| {
            LIBRARY_POSES
                .iter()
                .any(|p| p.name == n && p.gender.as_str() == "female")
        })
        .collect();
    assert_eq!(listed, want);
}

dual_test!(library_pagination_order_and_visibility);
/// Pages partition the ordered list; popularity orders first; non-public poses
/// are neither listed nor readable; reading never changes a counter.
async fn library_pagination_order_and_visibility(db: TestDb) {
    let s = setup(&db, &[]).await;
    seeded(&s, &[]).await;
    let conn = &s.state.db;
    let pose = |name: &'static str| async move {
        pose_library::Entity::find()
            .filter(pose_library::Column::Name.eq(name))
            .one(conn)
            .await
            .unwrap()
            .unwrap()
    };
    for (name, score) in [("Running Mid-Stride", 50), ("Casual Hijab Smile", 80)] {
        let mut row = pose(name).await.into_active_model();
        row.popularity_score = Set(score);
        row.update(conn).await.unwrap();
    }
    let hidden = pose("Plank Position Strong").await;
    let mut row = hidden.clone().into_active_model();
    row.is_public = Set(false);
    row.update(conn).await.unwrap();

    let full = s.get("/library?limit=100").await;
    let order = names(&full.body);
    assert_eq!(order.len(), EXPECTED_LIBRARY_POSES - 1);
    assert_eq!(
        order[..2],
        ["Casual Hijab Smile", "Running Mid-Stride"],
        "popularity first"
    );
    assert!(!order.contains(&hidden.name));
    let ids: Vec<&str> = full.body["poses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();

    // limit 10: 9 pages partition the same order.
    let total = order.len();
    let pages = total.div_ceil(10);
    let mut walked = Vec::new();
    for page in 1..=pages + 1 {
        let reply = s.get(&format!("/library?limit=10&page={page}")).await;
        assert_eq!(reply.status, StatusCode::OK);
        let p = &reply.body["pagination"];
        assert_eq!(
            (p["page"].as_u64(), p["limit"].as_u64()),
            (Some(page as u64), Some(10))
        );
        assert_eq!(p["total"], total);
        assert_eq!(p["totalPages"], pages);
        assert_eq!(p["hasMore"], page < pages, "page {page}");
        let listed = names(&reply.body);
        let want = if page <= pages {
            (total - (page - 1) * 10).min(10)
        } else {
            0
        };
        assert_eq!(listed.len(), want, "page {page}");
        walked.extend(listed);
    }
    assert_eq!(walked, order, "pages partition the list in order");
    // A page past the largest OFFSET the database takes is empty, not a 500
    // (Schemathesis found `page=956045334649609216` failing on PostgreSQL).
    for page in ["956045334649609216".to_owned(), i64::MAX.to_string()] {
        let reply = s.get(&format!("/library?limit=100&page={page}")).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "page {page}: {:?}",
            reply.body
        );
        assert!(names(&reply.body).is_empty(), "page {page}");
        assert_eq!(reply.body["pagination"]["total"], total, "page {page}");
        assert_eq!(reply.body["pagination"]["hasMore"], false, "page {page}");
    }
    let default = s.get("/library").await;
    assert_eq!(default.body["pagination"]["limit"], 24);
    assert_eq!(names(&default.body), order[..24]);

    // Detail: the pose with its category; a hidden or unknown pose is 404.
    let reply = s.get(&format!("/library/{}", ids[0])).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["pose"]["name"], "Casual Hijab Smile");
    assert_eq!(
        reply.body["pose"]["category"]["id"],
        reply.body["pose"]["categoryId"]
    );
    for id in [hidden.id.as_str(), "cm0000000000000000000none"] {
        let reply = s.get(&format!("/library/{id}")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(reply.body["error"]["message"], "Pose not found");
    }
    let after = pose("Casual Hijab Smile").await;
    assert_eq!(
        (after.usage_count, after.popularity_score),
        (0, 80),
        "reading is not usage"
    );

    // The category tree: roots in order with subtree counts, children with theirs.
    let reply = s.get("/categories").await;
    assert_eq!(reply.status, StatusCode::OK);
    let roots = reply.body["categories"].as_array().unwrap();
    assert_eq!(reply.body["totalCategories"], roots.len());
    let root_slugs: Vec<&str> = roots.iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(root_slugs, EXPECTED_PER_ROOT.map(|(slug, _)| slug));
    for root in roots {
        let slug = root["slug"].as_str().unwrap();
        let public = |p: &LibraryPose| p.name != hidden.name;
        assert_eq!(
            root["poseCount"],
            expected(|p| public(p) && in_subtree(p, slug)).len(),
            "{slug}"
        );
        assert_eq!(root["_count"]["poses"], 0, "{slug}: no pose sits on a root");
        let children = root["children"].as_array().unwrap();
        let want: HashSet<&str> = CATEGORIES
            .iter()
            .filter(|c| c.parent == Some(slug))
            .map(|c| c.slug)
            .collect();
        assert_eq!(
            children
                .iter()
                .map(|c| c["slug"].as_str().unwrap())
                .collect::<HashSet<_>>(),
            want
        );
        for child in children {
            let cs = child["slug"].as_str().unwrap();
            let n = expected(|p| public(p) && p.category == cs).len();
            assert_eq!(
                (
                    child["poseCount"].as_u64(),
                    child["_count"]["poses"].as_u64()
                ),
                (Some(n as u64), Some(n as u64)),
                "{cs}"
            );
            assert_eq!(child["parentId"], root["id"]);
        }
    }
}

/// The output's body: the `local` provider's clothes and outline are darker than any
/// of its pastel backdrop colours (every channel ≥ 128), so red < 128 is the figure.
fn figure_mask(png: &[u8]) -> Vec<bool> {
    let image = image::load_from_memory(png).unwrap().to_rgb8();
    image.pixels().map(|p| p.0[0] < 128).collect()
}

/// The lit (non-black) pixels of a pose map, at `side`×`side`.
fn skeleton_mask(path: &Path, side: u32) -> Vec<bool> {
    let map = image::open(path)
        .unwrap()
        .resize_exact(side, side, image::imageops::FilterType::Nearest)
        .to_luma8();
    map.pixels().map(|p| p.0[0] > 24).collect()
}

/// Share of `inner`'s set pixels that `outer` also sets.
fn coverage(inner: &[bool], outer: &[bool]) -> f64 {
    let set = inner.iter().filter(|b| **b).count();
    let both = inner.iter().zip(outer).filter(|(a, b)| **a && **b).count();
    both as f64 / set.max(1) as f64
}

dual_test!(generated_images_follow_the_chosen_pose_map);
/// The `local` provider draws the figure along the chosen pose's map: each image
/// covers its own skeleton and not the other pose's, so two poses give two
/// visibly different figures.
async fn generated_images_follow_the_chosen_pose_map(db: TestDb) {
    let s = setup(&db, &[]).await;
    let chosen = ["Classic Business Headshot", "Plank Position Strong"];
    seeded(&s, &chosen).await;
    s.grant(100).await;
    let mut ids = Vec::new();
    for name in chosen {
        let reply = s
            .get(&format!("/library?search={}", name.replace(' ', "%20")))
            .await;
        ids.push(
            pose_named(&reply.body, name)["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let project = s.project(json!({ "projectName": "Poses" })).await;
    let workers = Workers::start(&s.state, 1);
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": ids, "batchSize": 1 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    assert_eq!(s.wait(&id).await["generation"]["status"], "completed");
    workers.stop().await;

    let results = s.get(&format!("/generations/{id}/results")).await;
    let mut figures = Vec::new();
    let mut skeletons = Vec::new();
    for (pose_id, name) in ids.iter().zip(chosen) {
        let result = results.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["poseLibraryId"] == pose_id.as_str())
            .unwrap_or_else(|| panic!("a result for {name}: {:?}", results.body));
        let (status, png) = s.fetch(result["outputImageUrl"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let seeded = LIBRARY_POSES.iter().find(|p| p.name == name).unwrap();
        let side = crate::pose_generation::dimensions(&png).0;
        figures.push(figure_mask(&png));
        skeletons.push(skeleton_mask(
            &PoseImagePaths::of(s._presets.path(), seeded).pose_map,
            side,
        ));
    }
    for i in 0..2 {
        let own = coverage(&skeletons[i], &figures[i]);
        let other = coverage(&skeletons[1 - i], &figures[i]);
        assert!(
            own > 0.85 && other < own - 0.3,
            "{}: the figure covers {own:.2} of its own skeleton, {other:.2} of the other's",
            chosen[i]
        );
    }
    let overlap = coverage(&figures[0], &figures[1]);
    assert!(
        overlap < 0.6,
        "the two figures differ (overlap {overlap:.2})"
    );
}
