//! [`Text`]: the string type of JSON request bodies.
//!
//! poem-openapi's `String` accepts a JSON number or boolean where a string is expected
//! and turns it into its text (`5` becomes `"5"`). api.md §1.3 makes a JSON value of the
//! wrong type a 400 on that field, so every string field of a request body is a
//! [`Text`] instead: it accepts a JSON string and nothing else. Its OpenAPI schema is
//! the plain `type: string` of `String`. Responses keep `String`; multipart fields and
//! query or path parameters keep their own types, where every value is text anyway.

use std::{borrow::Cow, fmt, ops::Deref};

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

/// A string from a JSON request body; only a JSON string parses into it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(String);

impl Text {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    /// The strings of a `Vec<Text>` field, for code that takes `String`s.
    pub fn into_strings(texts: Vec<Self>) -> Vec<String> {
        texts.into_iter().map(Self::into_inner).collect()
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Text {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Text {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<Text> for String {
    fn from(value: Text) -> Self {
        value.0
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Mirrors poem-openapi's `impl Type for String`, so the schema is the same.
impl Type for Text {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;

    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a string holding U+0000 is refused.
pub const NUL_MESSAGE: &str = "Must not contain the NUL character (\\u0000)";

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            // PostgreSQL text cannot hold U+0000; refused here, it is a 400 on the field
            // (JsonBody names it) instead of a database error.
            Value::String(value) if value.contains('\0') => Err(ParseError::custom(NUL_MESSAGE)),
            Value::String(value) => Ok(Self(value)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::MaybeUndefined;
    use serde_json::json;

    use super::*;

    #[test]
    fn only_a_json_string_is_text() {
        assert_eq!(
            Text::parse_from_json(Some(json!(" a "))).ok(),
            Some(Text::from(" a "))
        );
        for wrong in [
            json!(5),
            json!(1.5),
            json!(true),
            json!({}),
            json!([]),
            json!(["a"]),
        ] {
            let err = Text::parse_from_json(Some(wrong.clone())).expect_err("rejected");
            assert!(
                err.message().starts_with(r#"Expected input type "string""#),
                "{wrong}: {}",
                err.message()
            );
        }
        let err = Text::parse_from_json(Some(json!("a\0b"))).expect_err("NUL");
        assert!(err.message().ends_with(NUL_MESSAGE), "{}", err.message());
        assert!(Text::parse_from_json(None).is_err());
        assert!(Text::parse_from_json(Some(Value::Null)).is_err());
    }

    #[test]
    fn wrappers_keep_their_null_and_absent_rules() {
        assert_eq!(
            Option::<Text>::parse_from_json(Some(Value::Null)).ok(),
            Some(None)
        );
        assert!(Option::<Text>::parse_from_json(Some(json!(5))).is_err());
        assert!(Vec::<Text>::parse_from_json(Some(json!(["a", 2]))).is_err());
        assert!(matches!(
            MaybeUndefined::<Text>::parse_from_json(Some(Value::Null)),
            Ok(MaybeUndefined::Null)
        ));
        assert!(MaybeUndefined::<Text>::parse_from_json(Some(json!(false))).is_err());
    }

    #[test]
    fn schema_and_output_are_those_of_string() {
        assert_eq!(Text::name(), String::name());
        assert_eq!(
            format!("{:?}", Text::schema_ref()),
            format!("{:?}", String::schema_ref())
        );
        assert_eq!(Text::from("x").to_json(), Some(json!("x")));
        assert_eq!(&*Text::from("x"), "x");
        assert_eq!(String::from(Text::from("x")), "x");
    }
}
