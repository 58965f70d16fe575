//! Strict JSON: nesting bounded, duplicate keys refused (serde_json keeps the last one silently, so
//! two readers could see two different documents), and the line of a JSON pointer for messages.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parses `bytes` as one JSON value, at most `max_depth` arrays and objects deep, refusing an
/// object that names a key twice. The error says where (line and column).
pub fn parse_strict(bytes: &[u8], max_depth: usize) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Strict {
        depth: 0,
        max_depth,
    }
    .deserialize(&mut de)
    .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// "an object", "a string", ... for messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[derive(Clone, Copy)]
struct Strict {
    depth: usize,
    max_depth: usize,
}

impl Strict {
    fn deeper<E: serde::de::Error>(self) -> Result<Strict, E> {
        if self.depth >= self.max_depth {
            return Err(E::custom(format_args!(
                "nested more than {} levels deep",
                self.max_depth
            )));
        }
        Ok(Strict {
            depth: self.depth + 1,
            ..self
        })
    }
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(A::Error::custom(format_args!(
                    "the key \"{}\" appears twice in one object",
                    key.escape_debug()
                )));
            }
            let v = map.next_value_seed(inner)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// The 1-based line on which each of `pointers` (RFC 6901, as `jsonschema` reports them) starts
/// in `bytes`. Pointers not found are left out. One pass over the text; nothing is allocated per
/// value beyond the path being walked.
pub fn lines_of(bytes: &[u8], pointers: &BTreeSet<String>) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    if pointers.is_empty() {
        return found;
    }
    let mut scan = Scan {
        bytes,
        at: 0,
        line: 1,
    };
    let mut path = String::new();
    scan.value(&mut path, pointers, &mut found, 0);
    found
}

struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
}

impl Scan<'_> {
    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.at += 1;
        }
    }

    /// A string at `at` (which holds `"`): its unescaped text, enough for keys.
    fn string(&mut self) -> String {
        let mut raw = Vec::new();
        self.at += 1;
        while let Some(&b) = self.bytes.get(self.at) {
            self.at += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    raw.push(b'\\');
                    if let Some(&n) = self.bytes.get(self.at) {
                        raw.push(n);
                        self.at += 1;
                    }
                }
                b'\n' => {
                    self.line += 1;
                    raw.push(b);
                }
                _ => raw.push(b),
            }
        }
        let quoted = [&b"\""[..], &raw, &b"\""[..]].concat();
        serde_json::from_slice::<String>(&quoted)
            .unwrap_or_else(|_| String::from_utf8_lossy(&raw).into_owned())
    }

    fn value(
        &mut self,
        path: &mut String,
        wanted: &BTreeSet<String>,
        found: &mut BTreeMap<String, usize>,
        depth: usize,
    ) {
        self.skip_ws();
        if wanted.contains(path.as_str()) {
            found.insert(path.clone(), self.line);
        }
        // The text was parsed strictly before: depth is bounded there; this bound keeps a
        // direct caller safe too.
        if depth > 256 {
            return;
        }
        match self.bytes.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                loop {
                    self.skip_ws();
                    match self.bytes.get(self.at) {
                        Some(b'"') => {}
                        Some(b'}') => {
                            self.at += 1;
                            return;
                        }
                        Some(b',') => {
                            self.at += 1;
                            continue;
                        }
                        _ => return,
                    }
                    let key = self.string();
                    self.skip_ws();
                    if self.bytes.get(self.at) != Some(&b':') {
                        return;
                    }
                    self.at += 1;
                    let len = path.len();
                    path.push('/');
                    path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    self.value(path, wanted, found, depth + 1);
                    path.truncate(len);
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut i = 0usize;
                loop {
                    self.skip_ws();
                    match self.bytes.get(self.at) {
                        Some(b']') => {
                            self.at += 1;
                            return;
                        }
                        Some(b',') => {
                            self.at += 1;
                            continue;
                        }
                        None => return,
                        _ => {}
                    }
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    let before = self.at;
                    self.value(path, wanted, found, depth + 1);
                    path.truncate(len);
                    if self.at == before {
                        return;
                    }
                    i += 1;
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while let Some(&b) = self.bytes.get(self.at) {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\t' | b'\r') {
                        break;
                    }
                    self.at += 1;
                }
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_where_they_are() {
        let e = parse_strict(b"{\"a\": 1,\n \"b\": {\"c\": 1, \"c\": 2}}", 64).unwrap_err();
        assert!(e.contains("\"c\" appears twice"), "{e}");
        assert!(e.contains("line 2"), "{e}");
        assert!(parse_strict(br#"{"a": {"c": 1}, "b": {"c": 2}}"#, 64).is_ok());
    }

    #[test]
    fn nesting_is_bounded_without_recursing_past_the_bound() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse_strict(deep.as_bytes(), 64).unwrap_err();
        assert!(e.contains("nested more than 64 levels"), "{e}");
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(parse_strict(ok.as_bytes(), 64).is_ok());
    }

    #[test]
    fn trailing_text_and_non_json_are_errors() {
        assert!(parse_strict(b"{} {}", 64).is_err());
        assert!(parse_strict(b"\x89PNG", 64).is_err());
        assert!(parse_strict(b"", 64).is_err());
    }

    #[test]
    fn pointers_are_found_on_their_lines() {
        let text = b"{\n  \"a\": [\n    1,\n    {\"b/c\": \"x\\\"y\"}\n  ],\n  \"d\": true\n}";
        let want: BTreeSet<String> = ["", "/a/1/b~1c", "/d", "/a/0", "/zz"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = lines_of(text, &want);
        assert_eq!(got.get(""), Some(&1));
        assert_eq!(got.get("/a/0"), Some(&3));
        assert_eq!(got.get("/a/1/b~1c"), Some(&4));
        assert_eq!(got.get("/d"), Some(&6));
        assert_eq!(got.get("/zz"), None);
    }
}
