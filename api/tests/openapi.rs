//! The checked-in contract must be exactly what the code generates.

#[test]
fn the_checked_in_openapi_document_matches_the_code() {
    let generated = latchkey_api::cli::openapi_document().expect("spec");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let checked_in = std::fs::read_to_string(path).expect("openapi/openapi.json");
    assert!(
        generated == checked_in,
        "openapi/openapi.json is out of date; regenerate it with\n\n    cargo run -q --bin latchkey -- openapi > openapi/openapi.json\n"
    );
}

#[test]
fn every_operation_has_an_explicit_id_and_a_summary() {
    let spec: serde_json::Value =
        serde_json::from_str(&latchkey_api::cli::openapi_document().unwrap()).unwrap();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert!(
                op["operationId"].is_string(),
                "{method} {path} has no operationId"
            );
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
        }
    }
}

#[test]
fn every_error_is_documented_as_problem_json() {
    let spec: serde_json::Value =
        serde_json::from_str(&latchkey_api::cli::openapi_document().unwrap()).unwrap();
    let create = &spec["paths"]["/api/v1/tenants"]["post"]["responses"];
    for status in ["400", "401", "404", "409"] {
        assert!(
            create[status]["content"]["application/problem+json"].is_object(),
            "{status} of createTenant"
        );
    }
}

/// poem-openapi wraps a described reference in an `allOf` of the reference
/// and an untyped schema holding the description; openapi-python-client
/// cannot read that ("Cannot take allOf a non-object") and drops every
/// operation that uses the schema. Describe such a field in its object instead.
#[test]
fn no_schema_is_an_all_of() {
    let spec: serde_json::Value =
        serde_json::from_str(&latchkey_api::cli::openapi_document().unwrap()).unwrap();
    let mut found = Vec::new();
    all_of_in(&spec, "#", &mut found);
    assert!(found.is_empty(), "allOf at {found:?}");
}

fn all_of_in(value: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if map.contains_key("allOf") {
                out.push(at.to_owned());
            }
            for (key, v) in map {
                all_of_in(v, &format!("{at}/{key}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                all_of_in(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// An optional response field is `null` on the wire (`None` serialises as
/// `null`) unless it is left out when empty (`skip_serializing_if_is_none`,
/// which the document cannot show): the contract must say `nullable`, or a
/// generated client rejects a valid answer.
/// Response fields left out when they have no value, rather than `null`.
const LEFT_OUT_WHEN_EMPTY: &[&str] = &[
    "Problem.errors",
    "Problem.feature",
    "Problem.request_id",
    "SlugAvailability.reason",
];

#[test]
fn every_optional_field_of_a_response_is_nullable() {
    let spec: serde_json::Value =
        serde_json::from_str(&latchkey_api::cli::openapi_document().unwrap()).unwrap();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let mut pending: Vec<String> = Vec::new();
    for ops in spec["paths"].as_object().unwrap().values() {
        for op in ops.as_object().unwrap().values() {
            refs_in(&op["responses"], &mut pending);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut loose = Vec::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let schema = &schemas[&name];
        refs_in(schema, &mut pending);
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        for (field, def) in schema["properties"].as_object().into_iter().flatten() {
            let nullable = def["nullable"].as_bool().unwrap_or(false);
            let left_out_when_empty =
                LEFT_OUT_WHEN_EMPTY.contains(&format!("{name}.{field}").as_str());
            if !required.contains(&field.as_str()) && !nullable && !left_out_when_empty {
                loose.push(format!("{name}.{field}"));
            }
        }
    }
    assert!(loose.is_empty(), "optional but not nullable: {loose:?}");
}

fn refs_in(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(|r| r.as_str()) {
                out.push(r.trim_start_matches("#/components/schemas/").to_owned());
            }
            map.values().for_each(|v| refs_in(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}
