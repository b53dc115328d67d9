//! The OpenAPI document in api-spec/ parses, and it describes exactly the routes the server
//! registers (read from the route table in src/http).

use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: [&str; 4] = ["get", "post", "head", "delete"];

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/api-spec/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("api-spec/openapi.json exists"))
        .expect("the spec is JSON")
}

/// (path, method) of every route registered in src/http: `web::resource("P")` followed by
/// `.route(web::get()...)`, or `.route("P", web::get()...)`.
fn served_routes() -> BTreeSet<(String, String)> {
    let mut files = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http"))];
    let mut routes = BTreeSet::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|entry| entry.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut events: Vec<(usize, String, bool)> = Vec::new();
        for marker in ["web::resource(\"", ".route(\""] {
            for (at, _) in text.match_indices(marker) {
                let start = at + marker.len();
                let end = start + text[start..].find('"').unwrap();
                events.push((at, text[start..end].to_owned(), true));
            }
        }
        for method in METHODS {
            for (at, _) in text.match_indices(&format!("web::{method}()")) {
                events.push((at, method.to_owned(), false));
            }
        }
        events.sort();
        let mut current = None;
        for (_, value, is_path) in events {
            if is_path {
                current = Some(value);
            } else if let Some(path) = &current {
                routes.insert((path.clone(), value));
            }
        }
    }
    routes
}

#[test]
fn the_spec_is_openapi_3_with_operations() {
    let spec = spec();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert!(spec["info"]["title"].is_string());
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                assert!(operation["operationId"].is_string(), "{method} {path} has an operationId");
                assert!(operation["responses"].is_object(), "{method} {path} has responses");
            }
        }
    }
}

#[test]
fn every_served_route_is_in_the_spec_and_nothing_else() {
    let spec = spec();
    let served = served_routes();
    assert!(served.len() > 10, "the route scan found the routes: {served:?}");
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                documented.insert((path.clone(), method.to_owned()));
            }
        }
    }
    let missing: Vec<_> = served.difference(&documented).collect();
    assert!(missing.is_empty(), "served but not in api-spec: {missing:?}");
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(extra.is_empty(), "in api-spec but not served: {extra:?}");
}
