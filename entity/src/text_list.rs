//! `TextList`: a list of strings stored as `text[]` on PostgreSQL and as JSON text
//! (`["a","b"]`) on SQLite (schema.md §2.1, §9).
//!
//! SeaORM binds one `Value` per field, and the two storages need different values:
//! binding a JSON string into a PostgreSQL `text[]` column fails, and sea-query cannot
//! bind arrays on SQLite at all. So a `TextList` carries the encoding it will be bound
//! with. It defaults to the PostgreSQL array; [`TextList::for_backend`] switches it,
//! and the entities that own a list column call it from `before_save`, where the
//! connection's backend is known. Reading accepts both storages, and NULL or an
//! unparsable value reads as an empty list (schema.md §2.4, §9).

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ActiveValue, ColIdx, DbBackend, QueryResult, TryGetError, TryGetable, Value};

#[derive(Clone, Debug, Default)]
pub struct TextList {
    items: Vec<String>,
    as_json_text: bool,
}

impl TextList {
    pub fn new<I, S>(items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            items: items.into_iter().map(Into::into).collect(),
            as_json_text: false,
        }
    }

    pub fn items(&self) -> &[String] {
        &self.items
    }

    pub fn into_vec(self) -> Vec<String> {
        self.items
    }

    /// The same list, encoded the way `backend` stores it.
    pub fn for_backend(mut self, backend: DbBackend) -> Self {
        self.as_json_text = backend != DbBackend::Postgres;
        self
    }

    /// Re-encodes a `Set`/`Unchanged` active value for `backend`; used by `before_save`.
    pub fn encode_active(value: ActiveValue<Self>, backend: DbBackend) -> ActiveValue<Self> {
        match value {
            ActiveValue::Set(list) => ActiveValue::Set(list.for_backend(backend)),
            ActiveValue::Unchanged(list) => ActiveValue::Unchanged(list.for_backend(backend)),
            ActiveValue::NotSet => ActiveValue::NotSet,
        }
    }

    fn from_json_text(text: &str) -> Self {
        // Lenient read (schema.md §9): anything but an array of strings is an empty list.
        Self::new(serde_json::from_str::<Vec<String>>(text).unwrap_or_default())
    }
}

impl PartialEq for TextList {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl Eq for TextList {}

impl<S: Into<String>> FromIterator<S> for TextList {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self::new(iter)
    }
}

impl From<TextList> for Value {
    fn from(list: TextList) -> Self {
        if list.as_json_text {
            let json = serde_json::to_string(&list.items).expect("a list of strings serializes");
            Value::String(Some(json))
        } else {
            let items = list
                .items
                .into_iter()
                .map(|s| Value::String(Some(s)))
                .collect();
            Value::Array(ArrayType::String, Some(Box::new(items)))
        }
    }
}

impl TryGetable for TextList {
    fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        match <Option<Vec<String>> as TryGetable>::try_get_by(res, idx) {
            Ok(items) => Ok(Self::new(items.unwrap_or_default())),
            // Not a PostgreSQL array: the JSON text storage.
            Err(_) => Ok(<Option<String> as TryGetable>::try_get_by(res, idx)?
                .map(|text| Self::from_json_text(&text))
                .unwrap_or_default()),
        }
    }
}

impl ValueType for TextList {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Array(ArrayType::String, items) => Ok(Self::new(
                items
                    .map(|items| *items)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|item| match item {
                        Value::String(Some(s)) => Some(s),
                        _ => None,
                    }),
            )),
            Value::String(text) => Ok(text
                .map(|text| Self::from_json_text(&text))
                .unwrap_or_default()),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "TextList".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        ColumnType::Array(sea_orm::sea_query::RcOrArc::new(ColumnType::Text))
    }
}

impl Nullable for TextList {
    fn null() -> Value {
        Value::Array(ArrayType::String, None)
    }
}

impl sea_orm::IntoActiveValue<TextList> for TextList {
    fn into_active_value(self) -> ActiveValue<TextList> {
        ActiveValue::Set(self)
    }
}
