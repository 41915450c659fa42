//! [`VecMap`]: the core's one ordered map, sorted vectors of `(key, value)` pairs.
//!
//! It replaces `std::collections::BTreeMap` in the limiter's keyed state and the pacer's keys and
//! tickets, with the subset of `BTreeMap`'s API they use and the same observable behaviour:
//! iteration in ascending key order, `insert` replacing and returning the old value, equality by
//! entries, and the same serde shape (a map, so saved JSON states are unchanged; a repeated key
//! keeps its last value).
//!
//! Why: a `BTreeMap` monomorphization costs several KB of WebAssembly per key/value type (node
//! splitting, merging, stealing, dropping), and the module must stay small. This is binary
//! searches, `Vec::insert`/`Vec::remove` and one split.
//!
//! Layout: the entries sit in chunks, each a sorted `Vec` of at most 128 entries (`SPLIT`), the
//! chunks in key order (a one-level B-tree). A map of up to 128 keys is one vector. Lookups are
//! O(log n), as in a `BTreeMap`; inserting or removing a key moves at most 128 entries in its
//! chunk plus the chunk list (n / 64 pointers), so 10⁵ keys inserted in random order cost a few
//! microseconds each, within a small factor of a `BTreeMap` (BENCHMARKS.md, "The map's cost"); a
//! flat sorted vector would move megabytes per new key. Keys above every key fill whole chunks.

use core::borrow::Borrow;
use core::fmt;
use core::marker::PhantomData;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The most entries in one chunk; a fuller chunk splits in two halves.
const SPLIT: usize = 128;

/// An ordered map kept as sorted vectors. See the [module documentation](self).
#[derive(Clone)]
pub struct VecMap<K, V> {
    /// Sorted chunks, every key of a chunk below every key of the next; non-empty, but for
    /// one kept (empty) when the map is.
    chunks: Vec<Vec<(K, V)>>,
    len: usize,
}

/// The iterator of [`VecMap::iter`]: `(&key, &value)` in ascending key order.
pub type Iter<'a, K, V> = core::iter::Map<
    core::iter::Flatten<core::slice::Iter<'a, Vec<(K, V)>>>,
    fn(&'a (K, V)) -> (&'a K, &'a V),
>;

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: PartialEq, V: PartialEq> PartialEq for VecMap<K, V> {
    /// Equal entries, however they are chunked.
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<K: Eq, V: Eq> Eq for VecMap<K, V> {}

impl<K, V> VecMap<K, V> {
    /// An empty map (no allocation).
    pub const fn new() -> Self {
        VecMap {
            chunks: Vec::new(),
            len: 0,
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `(&key, &value)` pairs in ascending key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.chunks.iter().flatten().map(|(k, v)| (k, v))
    }

    /// The keys in ascending order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    /// The values in ascending key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    /// The values in ascending key order, mutably.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> {
        self.chunks.iter_mut().flatten().map(|(_, v)| v)
    }

    /// Keeps the entries for which `f` returns true (in key order), dropping the others.
    pub fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, mut f: F) {
        for chunk in &mut self.chunks {
            chunk.retain_mut(|(k, v)| f(k, v));
        }
        self.chunks.retain(|c| !c.is_empty());
        self.len = self.chunks.iter().map(Vec::len).sum();
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// The chunk `key` belongs in (the last one for a key above every key), and `Ok(index)` of
    /// `key` in it or `Err(index)` where it would be inserted.
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> (usize, Result<usize, usize>)
    where
        K: Borrow<Q>,
    {
        // One chunk (up to 128 keys, the usual case): no search over the chunks.
        let c = match self.chunks.len() {
            0 | 1 => 0,
            n => self
                .chunks
                .partition_point(|ch| ch.last().is_some_and(|(k, _)| k.borrow() < key))
                .min(n - 1),
        };
        let at = match self.chunks.get(c) {
            Some(ch) => ch.binary_search_by(|(k, _)| k.borrow().cmp(key)),
            None => Err(0),
        };
        (c, at)
    }

    /// The value of `key`.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let (c, at) = self.find(key);
        self.chunks.get(c)?.get(at.ok()?).map(|(_, v)| v)
    }

    /// The value of `key`, mutably.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let (c, at) = self.find(key);
        self.chunks.get_mut(c)?.get_mut(at.ok()?).map(|(_, v)| v)
    }

    /// Whether `key` has an entry.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).1.is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaced (the key itself is kept, as in
    /// `BTreeMap::insert`).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if self.chunks.is_empty() {
            self.chunks.push(Vec::new());
        }
        let (mut c, at) = self.find(&key);
        let mut i = match at {
            Ok(i) => {
                let v = self.chunks.get_mut(c)?.get_mut(i)?;
                return Some(core::mem::replace(&mut v.1, value));
            }
            Err(i) => i,
        };
        let last = c + 1 == self.chunks.len();
        let ch = self.chunks.get_mut(c)?;
        if ch.len() >= SPLIT && i == SPLIT && last {
            // Above every key, the last chunk full: a new chunk (keys inserted in ascending
            // order fill whole chunks).
            self.chunks.push(vec![(key, value)]);
            self.len += 1;
            return None;
        }
        if ch.len() >= SPLIT {
            // A full chunk splits in halves first; the key goes into the half it belongs in.
            let upper = ch.split_off(SPLIT / 2);
            self.chunks.insert(c + 1, upper);
            if i > SPLIT / 2 {
                i -= SPLIT / 2;
                c += 1;
            }
        }
        self.chunks.get_mut(c)?.insert(i, (key, value));
        self.len += 1;
        None
    }

    /// Removes `key`; returns its value.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let (c, at) = self.find(key);
        let ch = self.chunks.get_mut(c)?;
        let i = at.ok()?;
        let (_, v) = ch.remove(i);
        // An emptied chunk goes, but the last one stays (empty, its allocation kept): a map
        // that goes from one entry to none and back, as the pacer's tickets do on every call,
        // allocates nothing.
        if ch.is_empty() && self.chunks.len() > 1 {
            self.chunks.remove(c);
        }
        self.len -= 1;
        Some(v)
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
        for step in 0..40_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = format!("k{}", x % 3000);
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
                _ if step % 500 == 4 => {
                    let keep = |_: &String, v: &mut u64| *v % 7 != 0;
                    a.retain(keep);
                    b.retain(keep);
                }
                _ => {}
            }
            assert_eq!(a.len(), b.len());
            assert_eq!(a.get(probe.as_str()), b.get(probe.as_str()));
            assert_eq!(a.contains_key(&probe), b.contains_key(&probe));
            if step % 1000 == 0 {
                assert!(a.iter().eq(b.iter()));
            }
        }
        assert!(a.iter().eq(b.iter()));
        assert!(a.keys().eq(b.keys()));
        assert!(a.values().eq(b.values()));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    /// Keys in ascending and descending order (appends and splits), then removed; maps with the
    /// same entries are equal however they are chunked.
    #[test]
    fn orders_and_equality() {
        let mut up: VecMap<u64, u64> = VecMap::new();
        let mut down: VecMap<u64, u64> = VecMap::new();
        for k in 0..1_000u64 {
            assert_eq!(up.insert(k, k * 2), None);
            assert_eq!(down.insert(999 - k, (999 - k) * 2), None);
        }
        assert_eq!(up.len(), 1_000);
        assert!(up.iter().map(|(k, _)| *k).eq(0..1_000));
        assert!(down.iter().map(|(k, _)| *k).eq(0..1_000));
        assert_eq!(up, down);
        assert_eq!(up.insert(500, 1), Some(1_000));
        assert_ne!(up, down);
        assert_eq!(up.get(&500), Some(&1));
        assert_eq!(up.get(&1_000), None);
        for k in (0..1_000u64).rev() {
            assert_eq!(down.remove(&k), Some(k * 2));
            assert_eq!(down.remove(&k), None);
        }
        assert!(down.is_empty() && down.iter().next().is_none());
        assert_eq!(down, VecMap::new());
    }

    /// A map that goes from one entry to none and back (the pacer's tickets, on every call)
    /// keeps its one chunk and its allocation; the emptied map still equals a new one.
    #[test]
    fn emptied_and_refilled_keeps_its_allocation() {
        let mut m: VecMap<u64, u64> = VecMap::new();
        m.insert(1, 1);
        for k in 2..100u64 {
            assert_eq!(m.remove(&(k - 1)), Some(k - 1));
            assert!(m.is_empty() && m.iter().next().is_none());
            assert_eq!(m, VecMap::new());
            // The emptied map still holds its chunk's allocation: the next insert needs none.
            assert_eq!(m.chunks.len(), 1);
            assert!(m.chunks.first().is_some_and(|c| c.capacity() > 0));
            assert_eq!(m.insert(k, k), None);
            assert_eq!(m.get(&k), Some(&k));
        }
        // With more chunks, an emptied one still goes.
        let mut m: VecMap<u64, u64> = (0..300u64).map(|k| (k, k)).collect();
        let chunks = m.chunks.len();
        for k in 0..128u64 {
            m.remove(&k);
        }
        assert_eq!(m.chunks.len(), chunks - 1);
        assert!(m.chunks.iter().all(|c| !c.is_empty()));
        assert!(m.keys().copied().eq(128..300));
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
