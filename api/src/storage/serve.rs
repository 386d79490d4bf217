//! The public file endpoints `/uploads/*` and `/presets/*` (api.md §8.12).

use std::collections::HashMap;

use poem::{
    Body, Endpoint, Request, Response,
    endpoint::BoxEndpoint,
    error::{InternalServerError, MethodNotAllowedError, NotFoundError},
    http::{HeaderValue, Method, header},
};
use poem_openapi::{
    Tags,
    payload::{Binary, Payload},
    registry::{
        MetaApi, MetaHeader, MetaMediaType, MetaOperation, MetaOperationParam, MetaParamIn,
        MetaPath, MetaResponse, MetaResponses, Registry,
    },
    types::Type,
};

use super::{Storage, StorageKey, served_content_type};

/// `Cache-Control` of user files (`/uploads`): capability URLs that stop working when
/// the file is deleted, so shared caches must not keep them and browsers only for an
/// hour.
pub const USER_FILES_CACHE: &str = "private, max-age=3600";
/// `Cache-Control` of the seeded reference images (`/presets`): public, and they
/// change only with the seed.
pub const REFERENCE_FILES_CACHE: &str = "public, max-age=86400";

/// The public file endpoint over `storage`, to mount with
/// `Route::new().nest("/uploads", files_endpoint(storage, USER_FILES_CACHE))`.
///
/// GET and HEAD only, no auth: a stored file's URL holds 128 random bits, so knowing
/// it is the permission to read it (README "Security"). Serves `.jpg`, `.jpeg`, `.png`
/// and `.webp` files with `Content-Type` from the extension,
/// `X-Content-Type-Options: nosniff` and `cache_control`. Everything else is 404:
/// other extensions, directories, `..` or dot-segments, percent-encoded characters (so
/// no encoded separators), and, on a local directory, symlinks whose target lies
/// outside it.
pub fn files_endpoint(
    storage: Storage,
    cache_control: &'static str,
) -> impl Endpoint<Output = Response> {
    poem::endpoint::make(move |req: Request| {
        let storage = storage.clone();
        async move { serve(&storage, &req, cache_control).await }
    })
}

async fn serve(
    storage: &Storage,
    req: &Request,
    cache_control: &'static str,
) -> poem::Result<Response> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(MethodNotAllowedError.into());
    }
    // Inside `nest`, the path is what follows the mount point.
    let relative = req.uri().path().trim_start_matches('/');
    let content_type = served_content_type(relative).ok_or(NotFoundError)?;
    let key = StorageKey::from_relative(relative).ok_or(NotFoundError)?;
    let bytes = match storage.get(&key).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(NotFoundError.into()),
        Err(err) => {
            tracing::error!(key = key.as_str(), error = %err, "could not read a stored file");
            return Err(InternalServerError(err));
        }
    };
    let mut resp = if req.method() == Method::HEAD {
        let mut resp = Response::builder().body(Body::empty());
        resp.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        resp
    } else {
        Response::builder().body(bytes)
    };
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    Ok(resp)
}

/// `/uploads/{path}` and `/presets/{path}` in the OpenAPI document, so that clients and
/// Swagger UI know them. Only the description: the files are served by
/// [`files_endpoint`], mounted beside the API.
pub struct StoredFilesApi;

impl poem_openapi::OpenApi for StoredFilesApi {
    fn meta() -> Vec<MetaApi> {
        let operation = |operation_id: &'static str,
                         summary: &'static str,
                         description: &'static str,
                         cache: &'static str| MetaOperation {
            method: Method::GET,
            tags: vec![<crate::openapi::ApiTags as Tags>::name(
                &crate::openapi::ApiTags::Files,
            )],
            summary: Some(summary),
            description: Some(description),
            external_docs: None,
            params: vec![MetaOperationParam {
                name: "path".into(),
                schema: String::schema_ref(),
                in_type: MetaParamIn::Path,
                description: Some(
                    "The file's path below the prefix, as the URL in a response gives it \
                     (it contains `/`, e.g. `avatar-creator/<userId>/<name>.png`)."
                        .into(),
                ),
                required: true,
                deprecated: false,
                explode: true,
                style: None,
            }],
            request: None,
            responses: MetaResponses {
                responses: vec![
                    MetaResponse {
                        description: cache,
                        status: Some(200),
                        status_range: None,
                        content: ["image/jpeg", "image/png", "image/webp"]
                            .into_iter()
                            .map(|content_type| MetaMediaType {
                                content_type,
                                schema: Binary::<Vec<u8>>::schema_ref(),
                            })
                            .collect(),
                        headers: vec![
                            MetaHeader {
                                name: "Cache-Control".into(),
                                description: Some(cache.into()),
                                required: true,
                                deprecated: false,
                                schema: String::schema_ref(),
                            },
                            MetaHeader {
                                name: "X-Content-Type-Options".into(),
                                description: Some("`nosniff`".into()),
                                required: true,
                                deprecated: false,
                                schema: String::schema_ref(),
                            },
                        ],
                    },
                    crate::error::error_response_meta(404),
                ],
            },
            deprecated: false,
            security: vec![],
            operation_id: Some(operation_id),
            code_samples: vec![],
        };
        vec![MetaApi {
            paths: vec![
                MetaPath {
                    path: "/uploads/{path}".into(),
                    operations: vec![operation(
                        "filesGetUpload",
                        "A stored image",
                        "An uploaded or generated image, by the URL a response gave. The URL \
                         is the permission (128 random bits): no token. `.jpg`, `.png` and \
                         `.webp` only; anything else, or a file since deleted, is a 404.",
                        USER_FILES_CACHE,
                    )],
                },
                MetaPath {
                    path: "/presets/{path}".into(),
                    operations: vec![operation(
                        "filesGetPreset",
                        "A seeded reference image",
                        "A preset preview, or a library pose's preview, thumbnail or pose \
                         map, by the URL a response gave. Public.",
                        REFERENCE_FILES_CACHE,
                    )],
                },
            ],
        }]
    }

    fn register(registry: &mut Registry) {
        <crate::error::ErrorResponse as poem_openapi::types::Type>::register(registry);
    }

    fn add_routes(self, _: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {}
}
