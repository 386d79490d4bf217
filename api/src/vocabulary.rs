//! The closed sets of words of the product (statuses, kinds, categories), each an
//! enum with its one string spelling, so that the OpenAPI document lists their values
//! and a generated client types them (a typo does not type-check).
//!
//! A field of such a set is a [`Word`]: the OpenAPI document shows the enum, and the
//! value travels as text.
//! * In requests the handler receives the text as sent and applies its own rule
//!   (trimming, empty as none, api.md's message naming the allowed values).
//! * In responses [`Word::stored`] writes the canonical spelling of what the database
//!   holds (older rows may differ in case). A stored value outside the set (written by
//!   another app) is sent as it is and logged, never turned into a 500 or into another
//!   word.

use std::borrow::Cow;

use poem_openapi::{
    registry::{MetaSchemaRef, Registry},
    types::{
        ParseError, ParseFromJSON, ParseFromMultipartField, ParseFromParameter, ParseResult,
        ToJSON, Type,
    },
};
use serde_json::Value;

/// What every vocabulary enum can do.
pub trait Vocabulary: Sized + Copy + 'static {
    /// Every word, in the documented order.
    const ALL: &'static [Self];

    /// The spelling on the wire and in the database.
    fn as_str(self) -> &'static str;

    /// The word `text` spells exactly.
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|w| w.as_str() == text)
    }

    /// The word a stored value means, ignoring case.
    fn from_stored(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|w| w.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Every spelling, for rules and messages.
    fn words() -> Vec<&'static str> {
        Self::spellings(Self::ALL)
    }

    /// The spellings of `words`.
    fn spellings(words: &[Self]) -> Vec<&'static str> {
        words.iter().map(|w| w.as_str()).collect()
    }
}

/// `vocabulary! { /// doc  pub enum Name { Variant = "spelling", … } }`
macro_rules! vocabulary {
    ($(
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }
    )+) => {$(
        $(#[$meta])*
        #[derive(poem_openapi::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* #[oai(rename = $text)] $variant),+
        }

        impl $name {
            /// The spelling on the wire and in the database.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl Vocabulary for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        /// Written to and compared with the text column as its spelling.
        impl From<$name> for migration::sea_orm::Value {
            fn from(word: $name) -> Self {
                word.as_str().into()
            }
        }

        impl From<$name> for String {
            fn from(word: $name) -> Self {
                word.as_str().to_owned()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )+};
}

/// A generation status written by the previous backend's recovery, read as `pending`
/// (api.md §8.3.2); never written.
pub const LEGACY_QUEUED: &str = "queued";

vocabulary! {
    /// An avatar generation's status (api.md §2.4).
    pub enum AvatarGenerationStatus {
        Pending = "pending",
        Processing = "processing",
        Completed = "completed",
        Failed = "failed",
    }

    /// A pose generation's status (api.md §8.3.2).
    pub enum PoseGenerationStatus {
        Pending = "pending",
        Processing = "processing",
        Completed = "completed",
        Partial = "partial",
        Failed = "failed",
    }

    /// A queued job's status (`jobs.status`, api.md §8.3.1).
    pub enum JobStatus {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
    }

    /// A generated pose's status.
    pub enum GeneratedPoseStatus {
        Pending = "pending",
        Processing = "processing",
        Completed = "completed",
        Failed = "failed",
    }

    /// How a pose generation chooses its poses (api.md §7.9).
    pub enum GenerationType {
        GalleryReference = "GALLERY_REFERENCE",
        TextDescription = "TEXT_DESCRIPTION",
    }

    /// How the background changer makes a background.
    pub enum BackgroundMode {
        AiGenerate = "ai_generate",
        SolidColor = "solid_color",
        Upload = "upload",
    }

    /// Where a pose project's avatar comes from.
    pub enum AvatarSource {
        AvatarCreator = "AVATAR_CREATOR",
        Upload = "UPLOAD",
    }

    /// A pose project's status.
    pub enum PoseProjectStatus {
        Active = "active",
        Archived = "archived",
    }

    /// How hard a library pose is.
    pub enum Difficulty {
        Beginner = "beginner",
        Intermediate = "intermediate",
        Advanced = "advanced",
    }

    /// An avatar's gender, or whom a pose suits.
    pub enum Gender {
        Male = "male",
        Female = "female",
        Unisex = "unisex",
    }

    /// An avatar's age range.
    pub enum AgeRange {
        Young = "young",
        Adult = "adult",
        Mature = "mature",
    }

    /// An avatar preset's category.
    pub enum PresetCategory {
        Professional = "professional",
        Casual = "casual",
        Sports = "sports",
        Fashion = "fashion",
        Traditional = "traditional",
    }

    /// A persona example's category.
    pub enum PersonaCategory {
        Business = "business",
        Creative = "creative",
        Lifestyle = "lifestyle",
        Healthcare = "healthcare",
    }

    /// A pose request's status (api.md §8.10).
    pub enum PoseRequestStatus {
        Pending = "pending",
        Approved = "approved",
        InProgress = "in_progress",
        Completed = "completed",
        Rejected = "rejected",
    }

    /// Whose pose requests a list shows.
    pub enum RequestScope {
        Mine = "mine",
        All = "all",
    }

    /// A user's role.
    pub enum Role {
        User = "user",
        Admin = "admin",
    }

    /// The database engine behind the service.
    pub enum DatabaseBackend {
        Postgres = "postgres",
        Sqlite = "sqlite",
    }

    /// The kind of a credit ledger row (schema.md §4.3).
    pub enum CreditType {
        Bonus = "bonus",
        Usage = "usage",
        Refund = "refund",
        Purchase = "purchase",
        AdminGrant = "admin_grant",
    }

    /// How a migration came to be recorded.
    pub enum MigrationOrigin {
        /// Applied by the deploy tool.
        Applied = "applied",
        /// Verified present in an existing schema.
        Adopted = "adopted",
        /// Recorded by another tool.
        Unverified = "unverified",
    }

    /// Where a library pose comes from.
    pub enum PoseSourceType {
        Curated = "curated",
        UserContributed = "user_contributed",
        AiGenerated = "ai_generated",
    }

    /// A background change just accepted.
    pub enum BackgroundChangeStatus {
        Queued = "queued",
    }

    /// An app's health answer when it answers at all.
    pub enum AppStatus {
        Ok = "ok",
    }

    /// The image provider (`IMAGE_PROVIDER`).
    pub enum ProviderName {
        Local = "local",
        Http = "http",
    }
}

/// A field holding one word of `E`: documented as `E`'s enum, carried as text. In a
/// request only a JSON string parses into it (like [`crate::http::text::Text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word<E> {
    text: String,
    _word: std::marker::PhantomData<E>,
}

impl<E> Word<E> {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            _word: std::marker::PhantomData,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn into_inner(self) -> String {
        self.text
    }
}

impl<E: Vocabulary> Word<E> {
    /// The word, if the text spells one exactly.
    pub fn word(&self) -> Option<E> {
        E::parse(&self.text)
    }

    /// A stored value for a response: its canonical spelling, or the value as stored
    /// (logged) when it is not a word of `E`.
    pub fn stored(text: &str) -> Self {
        match E::from_stored(text) {
            Some(word) => Self::new(word.as_str()),
            None => {
                tracing::warn!(
                    value = text,
                    expected = ?E::words(),
                    "a stored value is outside its documented set"
                );
                Self::new(text)
            }
        }
    }
}

impl<E: Vocabulary> From<E> for Word<E> {
    fn from(word: E) -> Self {
        Self::new(word.as_str())
    }
}

impl<E> std::ops::Deref for Word<E> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl<E> Default for Word<E> {
    fn default() -> Self {
        Self::new("")
    }
}

impl<E> From<&str> for Word<E> {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl<E> From<Word<E>> for String {
    fn from(choice: Word<E>) -> Self {
        choice.text
    }
}

impl<E> AsRef<str> for Word<E> {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl<E: Type + Send + Sync> Type for Word<E> {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;

    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        E::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        E::schema_ref()
    }

    fn register(registry: &mut Registry) {
        E::register(registry);
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

impl<E: Type + Send + Sync> ParseFromJSON for Word<E> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Ok(Self::new(text)),
            Some(other) => Err(ParseError::expected_type(other)),
            None => Err(ParseError::expected_input()),
        }
    }
}

impl<E: Type + Send + Sync> ParseFromParameter for Word<E> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(Self::new(value))
    }
}

impl<E: Type + Send + Sync> ParseFromMultipartField for Word<E> {
    async fn parse_from_multipart(field: Option<poem::web::Field>) -> ParseResult<Self> {
        match field {
            Some(field) => Ok(Self::new(field.text().await.map_err(ParseError::custom)?)),
            None => Err(ParseError::expected_input()),
        }
    }
}

impl<E> serde::Serialize for Word<E> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<E: Type + Send + Sync> ToJSON for Word<E> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.text.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_stored_values_ignore_case() {
        for word in PoseRequestStatus::ALL {
            assert_eq!(PoseRequestStatus::parse(word.as_str()), Some(*word));
        }
        assert_eq!(PoseRequestStatus::InProgress.as_str(), "in_progress");
        assert_eq!(
            AvatarSource::from_stored("upload"),
            Some(AvatarSource::Upload)
        );
        assert_eq!(AvatarSource::parse("upload"), None, "requests are exact");
        assert_eq!(Gender::words(), ["male", "female", "unisex"]);
    }

    #[test]
    fn a_choice_is_documented_as_its_enum() {
        let mut registry = Registry::new();
        <Word<Gender> as Type>::register(&mut registry);
        let schema = registry.schemas.get("Gender").expect("the enum's schema");
        assert_eq!(schema.enum_items.len(), 3);
        assert_eq!(
            <Word<Gender> as ParseFromJSON>::parse_from_json(Some(Value::from(" Male ")))
                .unwrap()
                .as_str(),
            " Male ",
            "the handler sees the text as sent"
        );
        assert!(<Word<Gender> as ParseFromJSON>::parse_from_json(Some(Value::from(1))).is_err());
    }
}
