//! Query strings as commercetools reads them: repeated parameters (`where`, `sort`, `expand`,
//! `var.*`), `+` as space, and booleans in any case.

use crate::error::ApiError;
use crate::query::schema::{Checked, Field};
use crate::query::SortKey;
use crate::service::ListQuery;

/// Maximum `limit` and `offset` of a query, and the default `limit`, as in commercetools.
const MAX_LIMIT: i64 = 500;
const MAX_OFFSET: i64 = 10_000;
const DEFAULT_LIMIT: i64 = 20;

pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(query: &str) -> Self {
        Self(form_urlencoded::parse(query.as_bytes()).into_owned().collect())
    }

    /// The last value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value given for `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// The `expand` parameters: paths of references to expand.
    pub fn expansions(&self) -> Vec<String> {
        self.all("expand").into_iter().map(str::to_owned).collect()
    }

    /// The `var.<name>` input parameters of query predicates; a repeated name is a list.
    pub fn variables(&self) -> crate::query::schema::Variables {
        let mut variables = crate::query::schema::Variables::new();
        for (name, value) in &self.0 {
            if let Some(name) = name.strip_prefix("var.") {
                variables.entry(name.to_owned()).or_default().push(value.clone());
            }
        }
        variables
    }

    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(value) => Err(malformed(name, &format!("'{value}' is not a boolean."))),
        }
    }

    /// An integer within `min..=max`.
    pub fn int_in(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let parsed: i64 =
            value.trim().parse().map_err(|_| malformed(name, &format!("'{value}' is not an integer.")))?;
        if parsed < min || parsed > max {
            return Err(malformed(name, &format!("{parsed} is not in the range [{min}..{max}].")));
        }
        Ok(Some(parsed))
    }
}

impl QueryParams {
    /// The `version` a DELETE must name.
    pub fn version(&self) -> Result<i64, ApiError> {
        self.int_in("version", 1, i64::MAX)?
            .ok_or_else(|| malformed("version", "Missing required parameter 'version'."))
    }

    /// The checked `where` predicates (with their `var.*` values), ANDed.
    pub fn predicate(&self, fields: &[Field]) -> Result<Option<Checked>, ApiError> {
        crate::query::predicate(&self.all("where"), fields, &self.variables())
    }

    /// Everything a list endpoint reads: predicates, sort keys, paging and `withTotal`.
    pub fn list_query(&self, fields: &[Field]) -> Result<ListQuery, ApiError> {
        let limit = self.int_in("limit", 0, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
        let offset = self.int_in("offset", 0, MAX_OFFSET)?.unwrap_or(0);
        let with_total = self.bool_or("withTotal", true)?;
        let sort = self
            .all("sort")
            .into_iter()
            .map(|text| crate::query::sort_key(text, fields))
            .collect::<Result<Vec<SortKey>, _>>()?;
        Ok(ListQuery { predicate: self.predicate(fields)?, sort, limit, offset, with_total })
    }
}

/// The body of a paged query response, from documents that are already JSON.
pub fn paged_body(query: &ListQuery, documents: &[String], total: Option<i64>) -> String {
    let mut body = String::with_capacity(documents.iter().map(|d| d.len() + 1).sum::<usize>() + 96);
    body.push_str(&format!(
        "{{\"limit\":{},\"offset\":{},\"count\":{}",
        query.limit,
        query.offset,
        documents.len()
    ));
    if let Some(total) = total {
        body.push_str(&format!(",\"total\":{total}"));
    }
    body.push_str(",\"results\":[");
    for (i, document) in documents.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(document);
    }
    body.push_str("]}");
    body
}

pub fn malformed(name: &str, problem: &str) -> ApiError {
    ApiError::invalid_input(format!("Malformed parameter: {name}: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_and_plus_as_space() {
        let params = QueryParams::parse("sort=key+asc&sort=id%20desc&withTotal=False");
        assert_eq!(params.all("sort"), vec!["key asc", "id desc"]);
        assert!(!params.bool_or("withTotal", true).unwrap());
        assert!(params.bool_or("dataErasure", false).is_ok());
    }

    #[test]
    fn integers_are_range_checked() {
        let params = QueryParams::parse("limit=501&offset=x&version=3");
        assert!(params.int_in("limit", 0, 500).is_err());
        assert!(params.int_in("offset", 0, 10_000).is_err());
        assert_eq!(params.int_in("version", 1, i64::MAX).unwrap(), Some(3));
        assert_eq!(params.int_in("absent", 0, 1).unwrap(), None);
    }
}
