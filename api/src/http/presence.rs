//! Whether a field is there, as the OpenAPI document tells a generated client.
//!
//! * [`Required`]: a request field the server requires. The document lists it in
//!   `required`, so a generated client cannot leave it out; the handler still receives
//!   its absence (as `None`) and answers with its own message for that field ("Project
//!   name is required") instead of the framework's generic one.
//! * [`Nullable`]: a response field that is always sent, `null` when it has no value.
//!   The document lists it in `required` and marks it nullable, so a client sees one
//!   "no value" state (`T | null`), not two (`T | null | undefined`).

use std::borrow::Cow;

use poem_openapi::{
    registry::{MetaSchemaRef, Registry},
    types::{ParseError, ParseFromJSON, ParseFromMultipartField, ParseResult, ToJSON, Type},
};
use serde_json::Value;

/// A required request field; `None` when the client left it out or sent `null`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Required<T>(pub Option<T>);

impl<T> Required<T> {
    pub fn into_option(self) -> Option<T> {
        self.0
    }
}

impl<T> std::ops::Deref for Required<T> {
    type Target = Option<T>;

    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

impl<T> From<T> for Required<T> {
    fn from(value: T) -> Self {
        Self(Some(value))
    }
}

impl From<&str> for Required<crate::http::text::Text> {
    fn from(value: &str) -> Self {
        Self(Some(value.into()))
    }
}

impl<T: Type> Type for Required<T> {
    const IS_REQUIRED: bool = true;

    type RawValueType = T::RawValueType;

    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_ref().and_then(Type::as_raw_value)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match &self.0 {
            Some(value) => value.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Required<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::Null => Ok(Self(None)),
            value => Ok(Self(Some(
                T::parse_from_json(Some(value)).map_err(ParseError::propagate)?,
            ))),
        }
    }
}

impl<T: ParseFromMultipartField> ParseFromMultipartField for Required<T> {
    async fn parse_from_multipart(field: Option<poem::web::Field>) -> ParseResult<Self> {
        match field {
            None => Ok(Self(None)),
            field => Ok(Self(Some(
                T::parse_from_multipart(field)
                    .await
                    .map_err(ParseError::propagate)?,
            ))),
        }
    }
}

impl<T: ToJSON> ToJSON for Required<T> {
    fn to_json(&self) -> Option<Value> {
        self.0.as_ref().and_then(ToJSON::to_json)
    }
}

/// A response field that is always present: its value, or `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Default)]
pub struct Nullable<T>(pub Option<T>);

impl<T> std::ops::Deref for Nullable<T> {
    type Target = Option<T>;

    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    fn from(value: Option<T>) -> Self {
        Self(value)
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Self(Some(value))
    }
}

impl<T: Type> Type for Nullable<T> {
    const IS_REQUIRED: bool = true;

    type RawValueType = T::RawValueType;

    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        format!("nullable_{}", T::name()).into()
    }

    fn schema_ref() -> MetaSchemaRef {
        // A field attribute `nullable` (kept on every such field) marks it nullable.
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_ref().and_then(Type::as_raw_value)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match &self.0 {
            Some(value) => value.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Nullable<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        <Option<T> as ParseFromJSON>::parse_from_json(value)
            .map(Self)
            .map_err(ParseError::propagate)
    }
}

impl<T: ToJSON> ToJSON for Nullable<T> {
    fn to_json(&self) -> Option<Value> {
        Some(
            self.0
                .as_ref()
                .and_then(ToJSON::to_json)
                .unwrap_or(Value::Null),
        )
    }
}

impl<T: serde::Serialize> serde::Serialize for Nullable<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::Object;

    use super::*;
    use crate::http::text::Text;

    #[derive(Object, Debug)]
    struct Probe {
        name: Required<Text>,
        note: Option<Text>,
    }

    #[test]
    fn documented_required_but_absent_reaches_the_handler() {
        let mut registry = Registry::new();
        Probe::register(&mut registry);
        let schema = registry.schemas.get("Probe").unwrap();
        assert_eq!(schema.required, ["name"]);
        let parsed = Probe::parse_from_json(Some(serde_json::json!({}))).unwrap();
        assert_eq!(parsed.name, Required(None));
        let parsed = Probe::parse_from_json(Some(serde_json::json!({ "name": "x" }))).unwrap();
        assert_eq!(parsed.name.as_deref(), Some("x"));
        assert!(Probe::parse_from_json(Some(serde_json::json!({ "name": 5 }))).is_err());
    }

    #[derive(Object, Debug)]
    struct Shown {
        #[oai(nullable)]
        note: Nullable<String>,
    }

    #[test]
    fn nullable_fields_are_required_and_sent_as_null() {
        let mut registry = Registry::new();
        Shown::register(&mut registry);
        let schema = registry.schemas.get("Shown").unwrap();
        assert_eq!(schema.required, ["note"]);
        let json = Shown { note: None.into() }.to_json().unwrap();
        assert_eq!(json, serde_json::json!({ "note": null }));
    }
}
