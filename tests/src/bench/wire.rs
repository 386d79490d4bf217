//! The PostgreSQL frontend messages the statement proxy reads beyond counting: `Parse`
//! (a statement's SQL text and its parameter type OIDs) and `Bind` (the values bound to
//! it), decoded so that the same statement can be `EXPLAIN`ed with the same values.
//! sqlx sends every parameter in binary format with an explicit type OID; an unknown
//! type or format is an error, never a guess.

use chrono::{DateTime, NaiveDateTime};

/// One bound parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null(u32),
    Text(String),
    Int2(i16),
    Int4(i32),
    Int8(i64),
    Bool(bool),
    Float4(f32),
    Float8(f64),
    Timestamp(NaiveDateTime),
    Json(String),
}

impl std::fmt::Display for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Param::Null(_) => write!(f, "NULL"),
            Param::Text(s) | Param::Json(s) => write!(f, "{s:?}"),
            Param::Int2(v) => write!(f, "{v}"),
            Param::Int4(v) => write!(f, "{v}"),
            Param::Int8(v) => write!(f, "{v}"),
            Param::Bool(v) => write!(f, "{v}"),
            Param::Float4(v) => write!(f, "{v}"),
            Param::Float8(v) => write!(f, "{v}"),
            Param::Timestamp(v) => write!(f, "{v}"),
        }
    }
}

/// A parsed `Parse` message.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub name: String,
    pub sql: String,
    pub types: Vec<u32>,
}

/// A parsed `Bind` message (result formats ignored).
#[derive(Debug, Clone)]
pub struct Bound {
    pub statement: String,
    pub formats: Vec<i16>,
    pub values: Vec<Option<Vec<u8>>>,
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or("message ends early")?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn cstr(&mut self) -> Result<String, String> {
        let rest = &self.bytes[self.at..];
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or("unterminated string")?;
        let text = String::from_utf8(rest[..len].to_vec()).map_err(|e| e.to_string())?;
        self.at += len + 1;
        Ok(text)
    }
    fn i16(&mut self) -> Result<i16, String> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Result<i32, String> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// The body (after the type byte and length) of a `Parse` message.
pub fn parse(body: &[u8]) -> Result<Parsed, String> {
    let mut r = Reader { bytes: body, at: 0 };
    let name = r.cstr()?;
    let sql = r.cstr()?;
    let n = r.i16()?;
    let types = (0..n)
        .map(|_| r.i32().map(|v| v as u32))
        .collect::<Result<_, _>>()?;
    Ok(Parsed { name, sql, types })
}

/// The body of a `Bind` message.
pub fn bind(body: &[u8]) -> Result<Bound, String> {
    let mut r = Reader { bytes: body, at: 0 };
    let _portal = r.cstr()?;
    let statement = r.cstr()?;
    let n_formats = r.i16()?;
    let formats = (0..n_formats).map(|_| r.i16()).collect::<Result<_, _>>()?;
    let n_values = r.i16()?;
    let mut values = Vec::with_capacity(n_values.max(0) as usize);
    for _ in 0..n_values {
        let len = r.i32()?;
        values.push(if len < 0 {
            None
        } else {
            Some(r.take(len as usize)?.to_vec())
        });
    }
    Ok(Bound {
        statement,
        formats,
        values,
    })
}

pub const BOOL: u32 = 16;
pub const INT8: u32 = 20;
pub const INT2: u32 = 21;
pub const INT4: u32 = 23;
pub const TEXT: u32 = 25;
pub const JSON: u32 = 114;
pub const FLOAT4: u32 = 700;
pub const FLOAT8: u32 = 701;
pub const BPCHAR: u32 = 1042;
pub const VARCHAR: u32 = 1043;
pub const TIMESTAMP: u32 = 1114;
pub const JSONB: u32 = 3802;

/// Decodes the values of `bound` with the parameter types of its statement.
pub fn decode(types: &[u32], bound: &Bound) -> Result<Vec<Param>, String> {
    if types.len() != bound.values.len() {
        return Err(format!(
            "{} parameter types but {} values",
            types.len(),
            bound.values.len()
        ));
    }
    let format_of = |i: usize| match bound.formats.len() {
        0 => 0,
        1 => bound.formats[0],
        _ => bound.formats.get(i).copied().unwrap_or(0),
    };
    types
        .iter()
        .zip(&bound.values)
        .enumerate()
        .map(|(i, (&oid, value))| match value {
            None => Ok(Param::Null(oid)),
            Some(bytes) if format_of(i) == 1 => binary(oid, bytes),
            Some(bytes) => textual(oid, bytes),
        })
        .collect()
}

fn fixed<const N: usize>(oid: u32, bytes: &[u8]) -> Result<[u8; N], String> {
    bytes
        .try_into()
        .map_err(|_| format!("type {oid}: {} bytes, expected {N}", bytes.len()))
}

fn binary(oid: u32, bytes: &[u8]) -> Result<Param, String> {
    let utf8 = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|e| e.to_string());
    Ok(match oid {
        TEXT | VARCHAR | BPCHAR => Param::Text(utf8(bytes)?),
        BOOL => Param::Bool(fixed::<1>(oid, bytes)?[0] != 0),
        INT2 => Param::Int2(i16::from_be_bytes(fixed(oid, bytes)?)),
        INT4 => Param::Int4(i32::from_be_bytes(fixed(oid, bytes)?)),
        INT8 => Param::Int8(i64::from_be_bytes(fixed(oid, bytes)?)),
        FLOAT4 => Param::Float4(f32::from_be_bytes(fixed(oid, bytes)?)),
        FLOAT8 => Param::Float8(f64::from_be_bytes(fixed(oid, bytes)?)),
        TIMESTAMP => {
            // Microseconds since 2000-01-01 00:00:00.
            let micros = i64::from_be_bytes(fixed(oid, bytes)?);
            let epoch_2000 = 946_684_800_i64 * 1_000_000;
            let at = DateTime::from_timestamp_micros(epoch_2000 + micros)
                .ok_or_else(|| format!("timestamp out of range: {micros}"))?;
            Param::Timestamp(at.naive_utc())
        }
        JSON => Param::Json(utf8(bytes)?),
        JSONB => match bytes.split_first() {
            Some((1, rest)) => Param::Json(utf8(rest)?),
            _ => return Err("jsonb: unknown binary version".into()),
        },
        other => return Err(format!("unsupported parameter type OID {other} (binary)")),
    })
}

fn textual(oid: u32, bytes: &[u8]) -> Result<Param, String> {
    let text = String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())?;
    let bad = |e: &dyn std::fmt::Display| format!("type {oid}: {text:?}: {e}");
    Ok(match oid {
        TEXT | VARCHAR | BPCHAR => Param::Text(text),
        BOOL => Param::Bool(matches!(text.as_str(), "t" | "true")),
        INT2 => Param::Int2(text.parse().map_err(|e| bad(&e))?),
        INT4 => Param::Int4(text.parse().map_err(|e| bad(&e))?),
        INT8 => Param::Int8(text.parse().map_err(|e| bad(&e))?),
        FLOAT4 => Param::Float4(text.parse().map_err(|e| bad(&e))?),
        FLOAT8 => Param::Float8(text.parse().map_err(|e| bad(&e))?),
        JSON | JSONB => Param::Json(text),
        other => return Err(format!("unsupported parameter type OID {other} (text)")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn parse_and_bind_round_trip() {
        let body = message(&[
            b"s1\0SELECT $1, $2, $3\0",
            &3i16.to_be_bytes(),
            &TEXT.to_be_bytes(),
            &INT8.to_be_bytes(),
            &TIMESTAMP.to_be_bytes(),
        ]);
        let parsed = parse(&body).unwrap();
        assert_eq!(parsed.sql, "SELECT $1, $2, $3");
        assert_eq!(parsed.types, vec![TEXT, INT8, TIMESTAMP]);
        let bind_body = message(&[
            b"\0s1\0",
            &1i16.to_be_bytes(),
            &1i16.to_be_bytes(),
            &3i16.to_be_bytes(),
            &2i32.to_be_bytes(),
            b"ab",
            &8i32.to_be_bytes(),
            &42i64.to_be_bytes(),
            &(-1i32).to_be_bytes(),
            &0i16.to_be_bytes(),
        ]);
        let bound = bind(&bind_body).unwrap();
        assert_eq!(bound.statement, "s1");
        let values = decode(&parsed.types, &bound).unwrap();
        assert_eq!(
            values,
            vec![
                Param::Text("ab".into()),
                Param::Int8(42),
                Param::Null(TIMESTAMP)
            ]
        );
    }

    #[test]
    fn timestamps_and_unknown_types() {
        let day = 86_400_000_000i64.to_be_bytes();
        match binary(TIMESTAMP, &day).unwrap() {
            Param::Timestamp(t) => assert_eq!(t.to_string(), "2000-01-02 00:00:00"),
            other => panic!("{other:?}"),
        }
        assert!(binary(2950, &[0; 16]).unwrap_err().contains("2950"));
    }
}
