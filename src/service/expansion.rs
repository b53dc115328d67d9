//! Reference expansion: `expand=customer`, `paymentStatus.state`, `custom.type`,
//! `transactions[*].custom.type`, `interfaceInteractions[*].type`,
//! `paymentMethodInfo.custom.type`, a Message's `resource`, a State's `transitions[*]`, and
//! chains through them (`paymentStatus.state.transitions[*]`). A reference on the path gains
//! `obj`, the referenced resource. As in commercetools this is best effort: unknown paths and
//! missing targets are ignored, never an error.

use crate::domain::payment::Payment;
use crate::error::ApiError;
use crate::persistence::resources;
use crate::persistence::Conn;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// The resource types that references can be expanded to.
const EXPANDABLE: &[&str] = &["customer", "payment", "state", "type"];

enum Step {
    Field(String),
    Each,
    Index(usize),
}

/// `transactions[*].custom.type` as steps; None when the path is malformed.
fn steps(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    for segment in path.split('.') {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, Some(rest.strip_suffix(']')?)),
            None => (segment, None),
        };
        if name.is_empty() {
            return None;
        }
        steps.push(Step::Field(name.to_owned()));
        match index {
            Some("*") => steps.push(Step::Each),
            Some(n) => steps.push(Step::Index(n.parse().ok()?)),
            None => {}
        }
    }
    Some(steps)
}

/// Calls `found` with each value the path reaches. A reference on the way is followed into the
/// resource it is expanded to (`obj`); one not expanded yet is handed to `found` instead, so
/// that it is expanded first (`paymentStatus.state.transitions[*]`).
fn visit(value: &mut Value, steps: &[Step], found: &mut dyn FnMut(&mut Value)) {
    if !steps.is_empty() && reference(value).is_some() {
        match value.get_mut("obj") {
            Some(target) => visit(target, steps, found),
            None => found(value),
        }
        return;
    }
    let Some((step, rest)) = steps.split_first() else {
        found(value);
        return;
    };
    match (step, value) {
        (Step::Field(name), Value::Object(fields)) => {
            if let Some(child) = fields.get_mut(name) {
                visit(child, rest, found);
            }
        }
        (Step::Each, Value::Array(items)) => items.iter_mut().for_each(|item| visit(item, rest, found)),
        (Step::Index(n), Value::Array(items)) => {
            if let Some(item) = items.get_mut(*n) {
                visit(item, rest, found);
            }
        }
        _ => {}
    }
}

/// The (typeId, id) of a reference value.
fn reference(value: &Value) -> Option<(String, String)> {
    Some((value.get("typeId")?.as_str()?.to_owned(), value.get("id")?.as_str()?.to_owned()))
}

/// How many references deep a path may reach (`a.b.c.d` through three resources).
const MAX_DEPTH: usize = 4;

/// Expands the references on `paths` in each document, a level of chained paths at a time.
pub fn expand(
    conn: &mut Conn,
    project_key: &str,
    documents: Vec<String>,
    paths: &[String],
) -> Result<Vec<String>, ApiError> {
    let paths: Vec<Vec<Step>> = paths.iter().filter_map(|p| steps(p)).collect();
    if paths.is_empty() {
        return Ok(documents);
    }
    let mut parsed: Vec<Value> = documents
        .iter()
        .map(|d| serde_json::from_str(d))
        .collect::<Result<_, _>>()
        .map_err(ApiError::internal)?;
    let mut loaded: HashMap<(String, String), Value> = HashMap::new();
    let mut asked: HashSet<(String, String)> = HashSet::new();
    for _level in 0..MAX_DEPTH {
        let mut wanted: HashMap<String, Vec<String>> = HashMap::new();
        // References whose target an earlier level loaded already (a State reached twice).
        let mut known = false;
        for document in &mut parsed {
            for path in &paths {
                visit(document, path, &mut |value| {
                    let Some(target) = reference(value).filter(|(t, _)| EXPANDABLE.contains(&t.as_str()))
                    else {
                        return;
                    };
                    if value.get("obj").is_some() {
                        return;
                    }
                    if loaded.contains_key(&target) {
                        known = true;
                    } else if asked.insert(target.clone()) {
                        wanted.entry(target.0).or_default().push(target.1);
                    }
                });
            }
        }
        if wanted.is_empty() && !known {
            break;
        }
        for (type_id, ids) in &wanted {
            for value in load(conn, project_key, type_id, ids)? {
                if let Some(id) = value.get("id").and_then(Value::as_str) {
                    loaded.insert((type_id.clone(), id.to_owned()), value.clone());
                }
            }
        }
        for document in &mut parsed {
            for path in &paths {
                visit(document, path, &mut |value| {
                    if let Some(target) = reference(value).and_then(|key| loaded.get(&key)) {
                        if let Some(fields) = value.as_object_mut() {
                            fields.entry("obj").or_insert_with(|| target.clone());
                        }
                    }
                });
            }
        }
    }
    Ok(parsed.iter().map(Value::to_string).collect())
}

/// The documents of the referenced resources of one type that exist. An expanded Payment has
/// its method token masked, as commercetools does: a client that may read Messages need not
/// be one that may read Payments.
fn load(conn: &mut Conn, project_key: &str, type_id: &str, ids: &[String]) -> Result<Vec<Value>, ApiError> {
    let documents = match type_id {
        "payment" => crate::persistence::payments::find_many(conn, project_key, ids)?,
        _ => resources::find_many(conn, project_key, type_id, ids, &[])?,
    };
    let parse = |document: &String| -> Result<Value, serde_json::Error> {
        match type_id {
            "payment" => serde_json::to_value(serde_json::from_str::<Payment>(document)?.masked()),
            _ => serde_json::from_str(document),
        }
    };
    documents.iter().map(|document| parse(document).map_err(ApiError::internal)).collect()
}

/// [`expand`] on a connection of its own; documents pass through untouched without paths.
pub fn expand_documents(
    db: &crate::persistence::Database,
    project_key: &str,
    documents: Vec<String>,
    paths: &[String],
) -> Result<Vec<String>, ApiError> {
    if paths.is_empty() {
        return Ok(documents);
    }
    db.read(|conn| expand(conn, project_key, documents, paths))
}

/// [`expand_documents`] for one document.
pub fn expand_document(
    db: &crate::persistence::Database,
    project_key: &str,
    document: String,
    paths: &[String],
) -> Result<String, ApiError> {
    let mut expanded = expand_documents(db, project_key, vec![document], paths)?;
    expanded.pop().ok_or_else(|| ApiError::internal("expansion lost a document"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_reach_every_reference_they_name() {
        let mut document = json!({
            "customer": {"typeId": "customer", "id": "c"},
            "transactions": [{"custom": {"type": {"typeId": "type", "id": "t1"}}}, {}, {"custom": {"type": {"typeId": "type", "id": "t2"}}}]
        });
        let mut seen = Vec::new();
        for path in [
            "customer",
            "transactions[*].custom.type",
            "transactions[2].custom.type",
            "nope.type",
            "bad[",
            "x[y]",
        ] {
            if let Some(steps) = steps(path) {
                visit(&mut document, &steps, &mut |value| seen.extend(reference(value)));
            }
        }
        let ids: Vec<&str> = seen.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(ids, vec!["c", "t1", "t2", "t2"]);
    }

    #[test]
    fn a_chained_path_reaches_the_reference_on_its_way_first() {
        let path = steps("paymentStatus.state.transitions[*]").unwrap();
        let mut document = json!({"paymentStatus": {"state": {"typeId": "state", "id": "s1"}}});
        let mut seen = Vec::new();
        visit(&mut document, &path, &mut |value| seen.extend(reference(value)));
        assert_eq!(seen, [("state".to_owned(), "s1".to_owned())], "the state is expanded first");

        document["paymentStatus"]["state"]["obj"] = json!({"id": "s1", "transitions": [{"typeId": "state", "id": "s2"}, {"typeId": "state", "id": "s3"}]});
        seen.clear();
        visit(&mut document, &path, &mut |value| seen.extend(reference(value)));
        let ids: Vec<&str> = seen.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(ids, ["s2", "s3"], "then the path goes on in it");
    }
}
