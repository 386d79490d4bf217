//! [`JsonBody`]: the JSON request body of an operation, as poem-openapi's `Json`, but a
//! body of the wrong shape is a 400 on the fields at fault (api.md §1.3, §1.6).
//!
//! poem-openapi reports a value of the wrong type only as a message about the whole
//! body (`Expected input type "integer(int32)", found "two". (occurred while parsing
//! "Foo")`), without the field. When parsing fails, [`JsonBody`] checks the document
//! against the body's own OpenAPI schema and names each field that does not fit:
//! `{ "personaAge": ["Expected integer, received string"], "personaPersonality[1]":
//! ["Expected string, received number"] }`. If no field can be blamed (or the body is
//! not an object) the framework's message stays, under `body`, as before. The check
//! runs only on bodies the framework has already rejected, so it never turns away a
//! body that parses.
//!
//! It names wrong JSON types only. Whether a required field is there and whether a
//! word is one of its set are the handlers' rules ([`crate::http::presence::Required`],
//! [`crate::vocabulary::Word`]), with their own messages; a body rejected for a wrong
//! type elsewhere must not get a second, different message for those.

use std::ops::{Deref, DerefMut};

use poem::{FromRequest, Request, RequestBody, Result};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    error::{ContentTypeError, ParseRequestPayloadError},
    payload::{ParsePayload, Payload},
    registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry},
    types::{ParseFromJSON, Type},
};
use serde_json::{Map, Value};

use crate::error::{ApiError, FieldErrors};

/// A JSON request body; its OpenAPI description is exactly that of `Json<T>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonBody<T>(pub T);

impl<T> Deref for JsonBody<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for JsonBody<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// `impl Payload` for a JSON wrapper `$wrapper<T>`: exactly `Json<T>`'s content type and
/// schema, so swapping `Json` for our wrappers leaves the OpenAPI document unchanged.
macro_rules! payload_as_json {
    ($wrapper:ident) => {
        impl<T: poem_openapi::types::Type> poem_openapi::payload::Payload for $wrapper<T> {
            const CONTENT_TYPE: &'static str =
                <poem_openapi::payload::Json<T> as poem_openapi::payload::Payload>::CONTENT_TYPE;

            fn check_content_type(content_type: &str) -> bool {
                <poem_openapi::payload::Json<T> as poem_openapi::payload::Payload>::check_content_type(
                    content_type,
                )
            }

            fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                T::schema_ref()
            }

            fn register(registry: &mut poem_openapi::registry::Registry) {
                T::register(registry);
            }
        }
    };
}
pub(crate) use payload_as_json;

payload_as_json!(JsonBody);

impl<T: ParseFromJSON> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = T::IS_REQUIRED;

    async fn from_request(request: &Request, body: &mut RequestBody) -> Result<Self> {
        let data = <Vec<u8> as FromRequest>::from_request(request, body).await?;
        let parse = |data: &[u8]| -> Result<Value> {
            if data.is_empty() {
                return Ok(Value::Null);
            }
            serde_json::from_slice(data).map_err(|err| {
                ParseRequestPayloadError {
                    reason: err.to_string(),
                }
                .into()
            })
        };
        match T::parse_from_json(Some(parse(&data)?)) {
            Ok(value) => Ok(Self(value)),
            Err(err) => {
                // Parsed once already, so this cannot fail; the first copy was consumed.
                let fields = field_errors::<T>(&parse(&data)?);
                if fields.is_empty() {
                    Err(ParseRequestPayloadError {
                        reason: err.into_message(),
                    }
                    .into())
                } else {
                    Err(ApiError::validation(fields).into())
                }
            }
        }
    }
}

/// What poem-openapi's `impl_apirequest_for_payload!` generates for its own payloads.
impl<'a, T: ParseFromJSON> ApiExtractor<'a> for JsonBody<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: <Self as ParsePayload>::IS_REQUIRED,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> Result<Self> {
        match request.content_type() {
            Some(content_type) if <Self as Payload>::check_content_type(content_type) => {
                <Self as ParsePayload>::from_request(request, body).await
            }
            Some(content_type) => Err(ContentTypeError::NotSupported {
                content_type: content_type.to_string(),
            }
            .into()),
            None => Err(ContentTypeError::ExpectContentType.into()),
        }
    }
}

/// Each field of `value` that does not fit the schema of `T`, with the reason.
pub fn field_errors<T: Type>(value: &Value) -> FieldErrors {
    let mut registry = Registry::new();
    T::register(&mut registry);
    let mut errors = FieldErrors::new();
    if let (Some(schema), Value::Object(object)) = (resolve(&registry, &T::schema_ref()), value)
        && schema.ty == "object"
    {
        check_object(&registry, schema, object, "", &mut errors);
    }
    errors
}

/// The schema behind a reference, or behind the `allOf: [$ref, {…}]` that a field
/// attribute such as `nullable` wraps around a reference.
fn resolve<'r>(registry: &'r Registry, schema: &'r MetaSchemaRef) -> Option<&'r MetaSchema> {
    match schema {
        MetaSchemaRef::Reference(name) => registry.schemas.get(name),
        MetaSchemaRef::Inline(schema) if schema.ty.is_empty() || schema.ty == "object" => schema
            .all_of
            .iter()
            .find_map(|part| resolve(registry, part).filter(|s| !s.ty.is_empty()))
            .or(Some(schema)),
        MetaSchemaRef::Inline(schema) => Some(schema),
    }
}

fn check_object(
    registry: &Registry,
    schema: &MetaSchema,
    object: &Map<String, Value>,
    path: &str,
    errors: &mut FieldErrors,
) {
    for (name, property) in &schema.properties {
        let field = if path.is_empty() {
            (*name).to_owned()
        } else {
            format!("{path}.{name}")
        };
        match object.get(*name) {
            // Absence and null are the handler's to judge.
            None | Some(Value::Null) => {}
            Some(value) => check(registry, property, value, &field, errors),
        }
    }
}

fn check(
    registry: &Registry,
    schema: &MetaSchemaRef,
    value: &Value,
    path: &str,
    errors: &mut FieldErrors,
) {
    let Some(schema) = resolve(registry, schema) else {
        return;
    };
    let fits = match (schema.ty, value) {
        ("string", Value::String(text)) => {
            if text.contains('\0') {
                errors.add(path, crate::http::text::NUL_MESSAGE);
            }
            true
        }
        ("integer", Value::Number(number)) => {
            match (number.as_i64(), schema.format) {
                (None, _) => errors.add(path, "Expected integer, received float"),
                (Some(n), Some("int32")) if i32::try_from(n).is_err() => errors.add(
                    path,
                    format!(
                        "Only integers from {} to {} are accepted",
                        i32::MIN,
                        i32::MAX
                    ),
                ),
                _ => {}
            }
            true
        }
        ("number", Value::Number(_)) | ("boolean", Value::Bool(_)) => true,
        ("array", Value::Array(items)) => {
            if let Some(item_schema) = &schema.items {
                for (index, item) in items.iter().enumerate() {
                    check(
                        registry,
                        item_schema,
                        item,
                        &format!("{path}[{index}]"),
                        errors,
                    );
                }
            }
            true
        }
        ("object", Value::Object(object)) => {
            check_object(registry, schema, object, path, errors);
            true
        }
        ("string" | "integer" | "number" | "boolean" | "array" | "object", _) => false,
        // A schema this check does not know (any value): leave it to the parser.
        _ => true,
    };
    if !fits {
        errors.add(
            path,
            format!("Expected {}, received {}", schema.ty, kind(value)),
        );
    }
}

/// The JSON type of `value` in the words of the messages above.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::{Object, types::MaybeUndefined};
    use serde_json::json;

    use super::*;
    use crate::http::text::Text;

    #[derive(Object, Debug)]
    #[oai(rename_all = "camelCase")]
    struct Inner {
        label: Text,
    }

    #[derive(Object, Debug)]
    #[oai(rename_all = "camelCase")]
    struct Probe {
        name: Text,
        #[oai(nullable)]
        note: Option<Text>,
        tags: Option<Vec<Text>>,
        age: MaybeUndefined<i32>,
        big: Option<i64>,
        flag: Option<bool>,
        inner: Option<Inner>,
        #[oai(nullable)]
        nullable_inner: Option<Inner>,
    }

    fn details(value: Value) -> Value {
        let errors = field_errors::<Probe>(&value);
        json!(ApiError::validation(errors).details())
    }

    #[test]
    fn a_fitting_body_has_no_field_errors() {
        let body = json!({
            "name": "a", "note": null, "tags": ["x"], "age": null, "big": 1_i64 << 40,
            "flag": false, "inner": { "label": "l" }, "unknown": 5,
        });
        assert!(field_errors::<Probe>(&body).is_empty());
        assert!(Probe::parse_from_json(Some(body)).is_ok());
        assert!(field_errors::<Probe>(&json!({ "name": "a" })).is_empty());
    }

    #[test]
    fn names_every_field_of_the_wrong_type() {
        assert_eq!(
            details(json!({
                "name": 5, "note": true, "tags": ["x", 1, {}], "age": "3", "big": 1.5,
                "flag": "yes", "inner": { "label": [] }, "nullableInner": { "label": false },
            })),
            json!({
                "name": ["Expected string, received number"],
                "note": ["Expected string, received boolean"],
                "tags[1]": ["Expected string, received number"],
                "tags[2]": ["Expected string, received object"],
                "age": ["Expected integer, received string"],
                "big": ["Expected integer, received float"],
                "flag": ["Expected boolean, received string"],
                "inner.label": ["Expected string, received array"],
                "nullableInner.label": ["Expected string, received boolean"],
            })
        );
    }

    #[test]
    fn absence_and_null_are_left_to_the_handler() {
        assert!(field_errors::<Probe>(&json!({})).is_empty());
        assert_eq!(
            details(json!({ "name": null, "age": 1_i64 << 40, "tags": "x" })),
            json!({
                "age": ["Only integers from -2147483648 to 2147483647 are accepted"],
                "tags": ["Expected array, received string"],
            })
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_blames_no_field() {
        for body in [json!([]), json!("x"), Value::Null] {
            assert!(field_errors::<Probe>(&body).is_empty(), "{body}");
        }
    }
}
