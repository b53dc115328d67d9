//! Recently read Types and States. A payment write names the same few Types over and over,
//! and reading them was a round trip per create (16% of PostgreSQL's create throughput). An
//! entry is trusted for a short time: a change made through this process evicts it at once,
//! and one made by another process is seen within that time. A Type or State deleted
//! meanwhile is still refused, by the foreign key from `payment_references`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The default time an entry is trusted.
pub const DEFAULT_TTL: Duration = Duration::from_secs(1);
/// The bytes of documents kept at most (Types can be large): the cache is cleared when a read
/// would pass it, and refills on the next reads; rows larger than that together are not kept.
const MAX_BYTES: usize = 4 << 20;

/// A stored resource as the cache keeps it.
#[derive(Debug, Clone, diesel::Queryable)]
pub struct CachedResource {
    pub id: String,
    pub key: Option<String>,
    pub document: String,
}

#[derive(Default)]
pub struct ResourceCache {
    ttl: Duration,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    /// How many evictions there were: rows read before an eviction may be older than it, and
    /// are not kept.
    evictions: u64,
    /// The bytes of the documents kept.
    bytes: usize,
    /// By (project, type id, id).
    by_id: HashMap<(String, String, String), (CachedResource, Instant)>,
    /// (project, type id, key) to id.
    by_key: HashMap<(String, String, String), String>,
}

impl ResourceCache {
    /// A cache trusting entries for `ttl` (zero: nothing is cached).
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The documents of the resources with these ids and keys, if each one is cached and fresh.
    pub fn get_all(
        &self,
        project_key: &str,
        type_id: &str,
        ids: &[String],
        keys: &[String],
    ) -> Option<Vec<String>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.lock();
        let fresh = |id: &str| {
            let (resource, read_at) = entries.by_id.get(&(project_key.into(), type_id.into(), id.into()))?;
            (read_at.elapsed() < self.ttl).then_some(resource)
        };
        let mut found: Vec<&CachedResource> = Vec::with_capacity(ids.len() + keys.len());
        for id in ids {
            found.push(fresh(id)?);
        }
        for key in keys {
            let id = entries.by_key.get(&(project_key.into(), type_id.into(), key.clone()))?;
            let resource = fresh(id).filter(|r| r.key.as_ref() == Some(key))?;
            found.push(resource);
        }
        // One document per resource, also when it is named by both id and key.
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found.dedup_by(|a, b| a.id == b.id);
        Some(found.into_iter().map(|resource| resource.document.clone()).collect())
    }

    /// Where the evictions stand; taken before reading the rows to [`ResourceCache::put`].
    pub fn generation(&self) -> u64 {
        self.lock().evictions
    }

    /// Keeps the resources just read, unless something was evicted since `generation` (the
    /// rows may then predate that change).
    pub fn put(&self, generation: u64, project_key: &str, type_id: &str, resources: Vec<CachedResource>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.evictions != generation {
            return;
        }
        let incoming: usize = resources.iter().map(|r| r.document.len()).sum();
        if incoming > MAX_BYTES {
            return;
        }
        if entries.bytes + incoming > MAX_BYTES {
            entries.by_id.clear();
            entries.by_key.clear();
            entries.bytes = 0;
        }
        let read_at = Instant::now();
        for resource in resources {
            if let Some(key) = &resource.key {
                entries.by_key.insert((project_key.into(), type_id.into(), key.clone()), resource.id.clone());
            }
            entries.bytes += resource.document.len();
            let id = (project_key.into(), type_id.into(), resource.id.clone());
            if let Some((replaced, _)) = entries.by_id.insert(id, (resource, read_at)) {
                entries.bytes -= replaced.document.len();
            }
        }
    }

    /// Forgets a resource that this process changed or deleted.
    pub fn evict(&self, project_key: &str, type_id: &str, id: &str) {
        let mut entries = self.lock();
        entries.evictions += 1;
        if let Some((resource, _)) = entries.by_id.remove(&(project_key.into(), type_id.into(), id.into())) {
            entries.bytes -= resource.document.len();
            if let Some(key) = resource.key {
                entries.by_key.remove(&(project_key.into(), type_id.into(), key));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(id: &str, key: &str) -> CachedResource {
        CachedResource { id: id.into(), key: Some(key.into()), document: format!("{{\"id\":\"{id}\"}}") }
    }

    #[test]
    fn answers_only_when_every_resource_is_cached() {
        let cache = ResourceCache::new(Duration::from_secs(60));
        cache.put(cache.generation(), "p", "type", vec![resource("t1", "order")]);
        assert_eq!(cache.get_all("p", "type", &["t1".into()], &[]).unwrap().len(), 1);
        assert_eq!(cache.get_all("p", "type", &["t1".into()], &["order".into()]).unwrap().len(), 1);
        assert!(cache.get_all("p", "type", &["t1".into(), "t2".into()], &[]).is_none());
        assert!(cache.get_all("q", "type", &["t1".into()], &[]).is_none(), "another project's");
        assert!(cache.get_all("p", "state", &["t1".into()], &[]).is_none(), "another kind's");
    }

    #[test]
    fn evicted_and_expired_entries_are_read_again() {
        let cache = ResourceCache::new(Duration::from_secs(60));
        cache.put(cache.generation(), "p", "type", vec![resource("t1", "order")]);
        cache.evict("p", "type", "t1");
        assert!(cache.get_all("p", "type", &[], &["order".into()]).is_none());
        let expired = ResourceCache::new(Duration::from_nanos(1));
        expired.put(expired.generation(), "p", "type", vec![resource("t1", "order")]);
        std::thread::sleep(Duration::from_millis(1));
        assert!(expired.get_all("p", "type", &["t1".into()], &[]).is_none());
        let disabled = ResourceCache::new(Duration::ZERO);
        disabled.put(disabled.generation(), "p", "type", vec![resource("t1", "order")]);
        assert!(disabled.get_all("p", "type", &["t1".into()], &[]).is_none());
    }

    #[test]
    fn memory_stays_bounded() {
        let cache = ResourceCache::new(Duration::from_secs(60));
        let mut huge = resource("t1", "huge");
        huge.document = "x".repeat(MAX_BYTES + 1);
        cache.put(cache.generation(), "p", "type", vec![huge]);
        assert!(cache.get_all("p", "type", &["t1".into()], &[]).is_none(), "too large to keep");
        let mut half = resource("t2", "half");
        half.document = "x".repeat(MAX_BYTES / 2 + 1);
        cache.put(cache.generation(), "p", "type", vec![half.clone()]);
        cache.put(cache.generation(), "p", "type", vec![half]);
        assert!(cache.get_all("p", "type", &["t2".into()], &[]).is_some(), "kept when read again");
        let mut other = resource("t3", "other");
        other.document = "x".repeat(MAX_BYTES / 2 + 1);
        cache.put(cache.generation(), "p", "type", vec![other]);
        assert!(cache.get_all("p", "type", &["t3".into()], &[]).is_some());
        assert!(cache.get_all("p", "type", &["t2".into()], &[]).is_none(), "cleared to make room");
    }

    #[test]
    fn rows_read_before_an_eviction_are_not_kept() {
        let cache = ResourceCache::new(Duration::from_secs(60));
        let before_read = cache.generation();
        cache.evict("p", "type", "t1"); // a change committed while the old row was being read
        cache.put(before_read, "p", "type", vec![resource("t1", "order")]);
        assert!(cache.get_all("p", "type", &["t1".into()], &[]).is_none());
    }
}
