//! The core's configuration and state structs deserialise from maps only.
//!
//! serde's derive also reads a struct from a sequence of its fields in declaration order, so
//! `{"adaptive": []}` was an adaptive config with every default and `{"adaptive": [1, 2]}` one
//! with `initial_milli_rps` 1 and `min_milli_rps` 2. That positional form is no documented
//! shape, and runtimes that read JSON themselves (the WASM package) rejected it: now every
//! runtime answers `invalid type: sequence, expected a map` (`invalid_argument`).
//!
//! A struct opts in with `#[serde(remote = "Self")]` (the derive then writes inherent
//! `serialize` / `deserialize` functions) and `map_only!(Type)` (the trait impls over them;
//! `map_only!(de Type)` for a struct that only deserialises).

macro_rules! map_only {
    (de $t:ty) => {
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
                struct MapOnly;
                impl<'de> serde::de::Visitor<'de> for MapOnly {
                    type Value = $t;
                    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                        f.write_str("a map")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        map: A,
                    ) -> core::result::Result<$t, A::Error> {
                        <$t>::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    }
                }
                d.deserialize_map(MapOnly)
            }
        }
    };
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
                <$t>::serialize(self, s)
            }
        }
        $crate::shape::map_only!(de $t);
    };
}
pub(crate) use map_only;

#[cfg(test)]
mod tests {
    use crate::{BackoffPolicy, LimiterConfig, RetryBudget, RetryState};

    fn read<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn structs_are_maps_never_sequences() {
        for text in [
            r#"{"adaptive": []}"#,
            r#"{"adaptive": [1, 2]}"#,
            r#"{"limits": [[5, 1000]]}"#,
            "[]",
        ] {
            let e = read::<LimiterConfig>(text).err().unwrap_or_default();
            assert!(e.contains("expected a map"), "{text}: {e}");
        }
        assert!(read::<BackoffPolicy>("[500]").is_err());
        assert!(read::<RetryBudget>("[]").is_err());
        assert!(read::<RetryState>("[1, 2]").is_err());
        // Maps read as before, and what the core writes reads back.
        let c = read::<LimiterConfig>(
            r#"{"adaptive": {}, "limits": [{"amount": 5, "period_ms": 1000}]}"#,
        );
        let c = c.unwrap_or_default();
        assert_eq!(c.adaptive, Some(crate::AdaptiveConfig::default()));
        assert_eq!(c.limits, vec![crate::Limit::new(5, 1000)]);
        let text = serde_json::to_string(&c).unwrap_or_default();
        assert_eq!(read::<LimiterConfig>(&text), Ok(c));
        let p = BackoffPolicy::default();
        let text = serde_json::to_string(&p).unwrap_or_default();
        assert_eq!(read::<BackoffPolicy>(&text), Ok(p));
        assert_eq!(read::<RetryState>("{}"), Ok(RetryState::default()));
    }
}
