//! Reading the variables: each parsed by its rule, every problem collected with the
//! variable's name.

use std::{collections::HashMap, time::Duration};

use super::secrets::{DatabaseUrl, Secret, random_secret};

const MIN_JWT_SECRET_CHARS: usize = 32;

/// The configuration could not be read; each problem names its variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {}", .problems.join("; "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

/// The variables being read, and the problems found so far.
pub(super) struct Env {
    pub(super) vars: HashMap<String, String>,
    pub(super) problems: Vec<String>,
}

impl Env {
    pub(super) fn new<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into().trim().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        Self {
            vars,
            problems: Vec::new(),
        }
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    pub(super) fn text(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_owned()
    }

    /// Parses `name` with `parse`, or returns `default` when unset. A failure is recorded
    /// as `NAME <rule>, got "<value>"` and yields the default so parsing can go on.
    pub(super) fn parse<T>(
        &mut self,
        name: &str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> T {
        let Some(value) = self.get(name) else {
            return default;
        };
        match parse(value) {
            Ok(parsed) => parsed,
            Err(rule) => {
                let problem = format!("{name} {rule}, got {value:?}");
                self.problems.push(problem);
                default
            }
        }
    }

    pub(super) fn port(&mut self) -> u16 {
        self.parse("PORT", 3000, |v| {
            v.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or("must be an integer 1..65535")
        })
    }

    pub(super) fn database_url(&mut self) -> DatabaseUrl {
        let url = DatabaseUrl::new(self.text("DATABASE_URL", migration::DEFAULT_DATABASE_URL));
        if !url.is_sqlite() && !url.is_postgres() {
            // The value is not echoed in full: it may hold a password.
            self.problems.push(format!(
                "DATABASE_URL must start with sqlite:, postgres:// or postgresql://, got {:?}",
                url.redacted()
            ));
        }
        url
    }

    pub(super) fn jwt_secret(&mut self, is_sqlite: bool) -> (Secret<String>, bool) {
        match self.get("JWT_SECRET").map(str::to_owned) {
            Some(secret) => {
                let chars = secret.chars().count();
                if chars < MIN_JWT_SECRET_CHARS {
                    // Never echo a secret, not even a bad one.
                    self.problems.push(format!(
                        "JWT_SECRET must be at least {MIN_JWT_SECRET_CHARS} characters, got {chars}"
                    ));
                }
                (Secret::new(secret), false)
            }
            None if is_sqlite => (Secret::new(random_secret()), true),
            None => {
                self.problems.push(
                    "JWT_SECRET is required when DATABASE_URL is not SQLite (at least 32 characters)"
                        .to_owned(),
                );
                (Secret::new(String::new()), false)
            }
        }
    }
}

/// `<n>d`, `<n>h`, `<n>m` or plain seconds, as the previous backend accepted.
pub(super) fn parse_duration(value: &str) -> Option<Duration> {
    let (digits, unit_secs) = match value.as_bytes().last()? {
        b'd' => (&value[..value.len() - 1], 86_400),
        b'h' => (&value[..value.len() - 1], 3_600),
        b'm' => (&value[..value.len() - 1], 60),
        _ => (value, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = digits.parse::<u64>().ok()?.checked_mul(unit_secs)?;
    // Token `exp` is an i64 of seconds; anything that cannot be added to "now" is a typo.
    (secs >= 1 && secs <= i64::MAX as u64 / 2).then(|| Duration::from_secs(secs))
}

pub(super) fn parse_bool(value: &str) -> Result<bool, &'static str> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("must be true or false"),
    }
}
