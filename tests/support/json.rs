//! Comparing JSON the way the corpus oracles need: `null` equals absent,
//! numbers by value, differences listed by path.

use serde_json::Value as Json;

/// Drops nulls (at any depth) so that null equals absent.
pub fn strip_nulls(v: &Json) -> Json {
    match v {
        Json::Object(m) => Json::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Json::Array(a) => Json::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// Numbers as `f64` (so `1` equals `1.0`), at any depth.
pub fn numbers_by_value(v: &Json) -> Json {
    match v {
        Json::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Null, Json::Number),
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), numbers_by_value(v)))
                .collect(),
        ),
        Json::Array(a) => Json::Array(a.iter().map(numbers_by_value).collect()),
        other => other.clone(),
    }
}

/// `ours` and `expected` compared with null = absent and numbers by value:
/// the paths where they differ (at most 20 per level), empty when equal.
pub fn diff_by_value(ours: &Json, expected: &Json) -> Vec<String> {
    json_diff(
        &numbers_by_value(&strip_nulls(ours)),
        &numbers_by_value(&strip_nulls(expected)),
        "$",
    )
}

/// Where `a` and `b` differ, by path (at most 20 per level).
pub fn json_diff(a: &Json, b: &Json, path: &str) -> Vec<String> {
    let short = |v: &Json| {
        let s = v.to_string();
        if s.len() > 200 {
            format!(
                "{}…",
                &s[..s.char_indices().nth(200).map_or(s.len(), |(i, _)| i)]
            )
        } else {
            s
        }
    };
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .flat_map(|k| {
                    json_diff(
                        x.get(k).unwrap_or(&Json::Null),
                        y.get(k).unwrap_or(&Json::Null),
                        &format!("{path}.{k}"),
                    )
                })
                .take(20)
                .collect()
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .flat_map(|(i, (p, q))| json_diff(p, q, &format!("{path}[{i}]")))
            .take(20)
            .collect(),
        _ if a == b => Vec::new(),
        _ => vec![format!("{path}: {} vs {}", short(a), short(b))],
    }
}
