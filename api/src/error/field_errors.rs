//! Validation failures collected per request field (the details of a 400).

use serde_json::Value;

use super::ErrorDetails;

/// Messages per request field, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, Vec<String>)>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        let message = message.into();
        match self.0.iter_mut().find(|(f, _)| *f == field) {
            Some((_, messages)) => messages.push(message),
            None => self.0.push((field, vec![message])),
        }
    }

    #[must_use]
    pub fn with(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.add(field, message);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `"<field>: <message>"`, `"Invalid <a> and <b>"` or
    /// `"Invalid <a>, <b> and <N> more field(s)"` (§1.6).
    pub fn summary(&self) -> String {
        match self.0.as_slice() {
            [] => "Invalid request".to_owned(),
            [(field, messages)] => format!(
                "{field}: {}",
                messages.first().map_or("is invalid", String::as_str)
            ),
            [(a, _), (b, _)] => format!("Invalid {a} and {b}"),
            [(a, _), (b, _), rest @ ..] => {
                format!("Invalid {a}, {b} and {} more field(s)", rest.len())
            }
        }
    }

    pub(super) fn to_details(&self) -> ErrorDetails {
        self.0
            .iter()
            .map(|(field, messages)| (field.clone(), Value::from(messages.clone())))
            .collect()
    }
}
