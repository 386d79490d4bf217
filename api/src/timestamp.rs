//! The one timestamp format of the API (api.md §1.5): UTC, exactly three fractional
//! digits and a `Z`, e.g. `2025-10-18T10:00:00.000Z`.
//!
//! poem-openapi's own `DateTime<Utc>` support writes RFC 3339 with `+00:00` and a
//! variable number of digits, which the frontend does not expect.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, SubsecRound, Utc};
use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Self {
        Self(Utc::now())
    }
}

/// The current UTC time as stored in the database: columns are `TIMESTAMP(3)`, so
/// values are truncated to milliseconds before they are written or compared.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(3)
}

/// Database columns hold UTC without a zone.
impl From<NaiveDateTime> for Timestamp {
    fn from(value: NaiveDateTime) -> Self {
        Self(value.and_utc())
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Type for Timestamp {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date-time".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date-time")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

/// The same text as [`ToJSON`], for responses written with serde
/// ([`crate::http::json_reply::JsonReply`]).
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl ToJSON for Timestamp {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.to_string()))
    }
}

impl ParseFromJSON for Timestamp {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Ok(Self(
                DateTime::parse_from_rfc3339(&text)?.with_timezone(&Utc),
            )),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_whole_milliseconds() {
        assert_eq!(now().and_utc().timestamp_subsec_nanos() % 1_000_000, 0);
    }

    #[test]
    fn always_three_digits_and_z() {
        let whole = DateTime::parse_from_rfc3339("2025-10-18T10:00:00+00:00").unwrap();
        assert_eq!(
            Timestamp(whole.with_timezone(&Utc)).to_string(),
            "2025-10-18T10:00:00.000Z"
        );
        let micros = DateTime::parse_from_rfc3339("2025-10-18T12:00:00.123456+02:00").unwrap();
        assert_eq!(
            Timestamp(micros.with_timezone(&Utc)).to_json(),
            Some(Value::String("2025-10-18T10:00:00.123Z".into()))
        );
    }
}
