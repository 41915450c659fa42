//! [`VecMap`]: the core's one ordered map, a vector of `(key, value)` pairs kept sorted by key.
//!
//! It replaces `std::collections::BTreeMap` in the limiter's keyed state and the pacer's keys and
//! tickets, with the subset of `BTreeMap`'s API they use and the same observable behaviour:
//! iteration in ascending key order, `insert` replacing and returning the old value, and the same
//! serde shape (a map, so saved JSON states are unchanged; a repeated key keeps its last value).
//!
//! Why: a `BTreeMap` monomorphization costs several KB of WebAssembly per key/value type (node
//! splitting, merging, stealing, dropping), and the module must stay small. A sorted vector is a
//! binary search and a `Vec::insert`/`Vec::remove`.
//!
//! Cost: lookups are O(log n) as in a `BTreeMap`, and faster for the few keys a client usually
//! paces (one contiguous slice). Inserting a *new* key or removing one moves the entries after it,
//! O(n) (a `memmove` of n × the entry size): keys that arrive in ascending order (the pacer's
//! ticket ids always do) append at the end, but with ~10⁵ keys arriving in random order every new
//! key moves a few MB. Up to ~10⁴ live keys that is noise beside a request; limiters keyed by
//! millions of distinct ids should prune ([`crate::Limiter::prune`]) or shard.

use core::borrow::Borrow;
use core::fmt;
use core::marker::PhantomData;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A map kept as one vector sorted by key. See the [module documentation](self).
#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

/// The iterator of [`VecMap::iter`]: `(&key, &value)` in ascending key order.
pub type Iter<'a, K, V> =
    core::iter::Map<core::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> VecMap<K, V> {
    /// An empty map (no allocation).
    pub const fn new() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `(&key, &value)` pairs in ascending key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The keys in ascending order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values in ascending key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The values in ascending key order, mutably.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Keeps the entries for which `f` returns true (in key order), dropping the others.
    pub fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, mut f: F) {
        self.entries.retain_mut(|(k, v)| f(k, v));
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// `Ok(index)` of `key`, or `Err(index)` where it would be inserted.
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value of `key`.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }

    /// The value of `key`, mutably.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    /// Whether `key` has an entry.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaced (the key itself is kept, as in
    /// `BTreeMap::insert`).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|(_, v)| core::mem::replace(v, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        Some(self.entries.remove(i).1)
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = VecMap::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Serialize, V: Serialize> Serialize for VecMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for VecMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for MapVisitor<K, V> {
            type Value = VecMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut m = VecMap::new();
                while let Some((k, v)) = a.next_entry()? {
                    m.insert(k, v);
                }
                Ok(m)
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::VecMap;
    use std::collections::BTreeMap;

    /// The same operations on a `VecMap` and a `BTreeMap` give the same answers and the same
    /// iteration order.
    #[test]
    fn behaves_as_btreemap() {
        let mut a: VecMap<String, u64> = VecMap::new();
        let mut b: BTreeMap<String, u64> = BTreeMap::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..4_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = format!("k{}", x % 300);
            let probe = key.clone();
            match x % 5 {
                0 | 1 => assert_eq!(a.insert(key.clone(), step), b.insert(key, step)),
                2 => assert_eq!(a.remove(key.as_str()), b.remove(key.as_str())),
                3 => {
                    if let (Some(p), Some(q)) = (a.get_mut(key.as_str()), b.get_mut(key.as_str())) {
                        *p += 1;
                        *q += 1;
                    }
                }
                _ => {
                    let keep = |_: &String, v: &mut u64| *v % 7 != 0;
                    a.retain(keep);
                    b.retain(keep);
                }
            }
            assert_eq!(a.len(), b.len());
            assert_eq!(a.get(probe.as_str()), b.get(probe.as_str()));
            assert_eq!(a.contains_key(&probe), b.contains_key(&probe));
        }
        assert!(a.iter().eq(b.iter()));
        assert!(a.keys().eq(b.keys()));
        assert!(a.values().eq(b.values()));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    /// The serde shape is a map's: the same JSON as a `BTreeMap`, both ways, including integer
    /// keys and a repeated key (the last value wins).
    #[test]
    fn serde_as_btreemap() {
        let mut a: VecMap<u64, String> = VecMap::new();
        let mut b: BTreeMap<u64, String> = BTreeMap::new();
        for k in [30u64, 2, 17, 2] {
            a.insert(k, format!("v{k}"));
            b.insert(k, format!("v{k}"));
        }
        let ja = serde_json::to_string(&a).unwrap_or_default();
        assert_eq!(ja, serde_json::to_string(&b).unwrap_or_default());
        let text = r#"{"9":"a","1":"b","9":"c"}"#;
        let back: VecMap<u64, String> = serde_json::from_str(text).unwrap_or_default();
        let want: BTreeMap<u64, String> = serde_json::from_str(text).unwrap_or_default();
        assert!(back.iter().eq(want.iter()));
        assert_eq!(back.len(), 2);
        assert!(serde_json::from_str::<VecMap<u64, String>>("[1]").is_err());
        assert!(serde_json::from_str::<VecMap<u64, String>>(r#"{"x":"a"}"#).is_err());
    }
}
