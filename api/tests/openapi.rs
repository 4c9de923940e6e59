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
