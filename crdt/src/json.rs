//! Conversions between JSON values and yrs `Any`, plus typed reads of map entries.
//!
//! Written by hand rather than through `Any`'s serde impls because those
//! serialise every integer as a float (`5` would come back as `5.0`).

use serde_json::{Map as JsonMap, Number as JsonNumber, Value};
use std::collections::HashMap;
use std::sync::Arc;
use yrs::{Any, Map, MapRef, Out, ReadTxn, any::Number};

/// Converts a JSON value into the `Any` stored in the document.
pub(crate) fn to_any(value: &Value) -> Any {
    match value {
        Value::Null => Any::Null,
        Value::Bool(b) => Any::Bool(*b),
        Value::Number(n) => Any::Number(number_to_any(n)),
        Value::String(s) => Any::String(Arc::from(s.as_str())),
        Value::Array(items) => Any::Array(items.iter().map(to_any).collect()),
        Value::Object(entries) => Any::Map(Arc::new(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_any(v)))
                .collect::<HashMap<_, _>>(),
        )),
    }
}

fn number_to_any(n: &JsonNumber) -> Number {
    // Integers beyond 2^53 would change value in a JS peer; store them as floats like JS does.
    match n.as_i64() {
        Some(i) if (Number::I64_MIN_SAFE_INTEGER..=Number::I64_MAX_SAFE_INTEGER).contains(&i) => {
            Number::Int(i)
        }
        _ => Number::try_i64(n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// Converts a stored `Any` back to JSON; integral floats come out as integers.
pub(crate) fn from_any(any: &Any) -> Value {
    match any {
        Any::Null | Any::Undefined => Value::Null,
        Any::Bool(b) => Value::Bool(*b),
        Any::Number(Number::Int(i)) => Value::from(*i),
        Any::Number(Number::Float(f)) => match Number::try_i64(*f) {
            Number::Int(i) => Value::from(i),
            // NaN and infinities have no JSON form; JSON.stringify writes null too.
            Number::Float(f) => JsonNumber::from_f64(f).map_or(Value::Null, Value::Number),
        },
        Any::String(s) => Value::String(s.to_string()),
        Any::Buffer(bytes) => Value::Array(bytes.iter().map(|&b| Value::from(b)).collect()),
        Any::Array(items) => Value::Array(items.iter().map(from_any).collect()),
        Any::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), from_any(v)))
                .collect::<JsonMap<_, _>>(),
        ),
    }
}

/// The plain value under `key`, if it is one (not a nested shared type).
pub(crate) fn get_any<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Option<Any> {
    match map.get(txn, key)? {
        Out::Any(any) => Some(any),
        _ => None,
    }
}

/// The string under `key`, or `""` when missing or of another type.
pub(crate) fn get_string<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> String {
    match get_any(txn, map, key) {
        Some(Any::String(s)) => s.to_string(),
        _ => String::new(),
    }
}

/// The bool under `key`, or `default` when missing or of another type.
pub(crate) fn get_bool<T: ReadTxn>(txn: &T, map: &MapRef, key: &str, default: bool) -> bool {
    match get_any(txn, map, key) {
        Some(Any::Bool(b)) => b,
        _ => default,
    }
}

/// The strings of the array under `key`; non-string items are skipped.
pub(crate) fn get_strings<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Vec<Value> {
    match get_any(txn, map, key) {
        Some(Any::Array(items)) => items
            .iter()
            .filter_map(|a| match a {
                Any::String(s) => Some(Value::String(s.to_string())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The nested map under `key`, if that is what is stored there.
pub(crate) fn get_map<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Option<MapRef> {
    match map.get(txn, key)? {
        Out::YMap(m) => Some(m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_any() {
        let v = json!({"a": [1, -2, 2.5, true, null, "x"], "b": {"c": 9007199254740991_i64}});
        assert_eq!(from_any(&to_any(&v)), v);
    }

    #[test]
    fn integral_floats_come_back_as_integers() {
        assert_eq!(from_any(&to_any(&json!(5.0))), json!(5));
        assert_eq!(from_any(&Any::Number(Number::Float(f64::NAN))), Value::Null);
        assert_eq!(to_any(&json!(5)), to_any(&json!(5.0)));
    }
}
