//! Structured fields (RFC 9651) through `sfv`'s visitor API.
//!
//! `sfv` parses and validates; these visitors keep only what the rate-limit fields use (a member's
//! bare item and its parameters, in order) instead of building `sfv`'s `IndexMap`-based parsed
//! types, which would pull a hash map, SipHash and their drops into every binary for nothing.
//! Repeated keys resolve as RFC 9651 says: the last value wins ([`param`], [`Members::get`]).

use core::convert::Infallible;
use sfv::visitor::{
    DictionaryVisitor, EntryVisitor, Ignored, InnerListVisitor, ItemVisitor, ListVisitor,
    ParameterVisitor,
};
use sfv::{BareItemFromInput, GenericBareItem, KeyRef};

/// What the rate-limit fields need of a bare item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bare {
    /// An sf-integer.
    Int(i64),
    /// An sf-string.
    Str(String),
    /// An sf-token.
    Token(String),
    /// An sf-binary (byte sequence).
    Bytes(Vec<u8>),
    /// A decimal, boolean, date or display string: never valid where the fields are read.
    Other,
}

impl Bare {
    fn of(b: BareItemFromInput<'_>) -> Bare {
        match b {
            GenericBareItem::Integer(n) => Bare::Int(i64::from(n)),
            GenericBareItem::String(s) => Bare::Str(s.as_str().to_owned()),
            GenericBareItem::Token(t) => Bare::Token(t.as_str().to_owned()),
            GenericBareItem::ByteSequence(v) => Bare::Bytes(v),
            _ => Bare::Other,
        }
    }
}

/// A list member or dictionary value.
#[derive(Debug)]
pub(crate) enum Member<'de> {
    /// An item with its parameters in wire order.
    Item(Bare, Vec<(&'de str, Bare)>),
    /// An inner list (validated, not kept).
    InnerList,
}

/// The last value of parameter `key`, if any.
pub(crate) fn param<'m>(params: &'m [(&str, Bare)], key: &str) -> Option<&'m Bare> {
    params.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// The members of a list (keys empty) or a dictionary, in wire order.
#[derive(Debug, Default)]
pub(crate) struct Members<'de>(pub(crate) Vec<(&'de str, Member<'de>)>);

impl<'de> Members<'de> {
    /// Parses `input` as a List; `None` if it is not a valid one.
    pub(crate) fn list(input: &'de str) -> Option<Members<'de>> {
        sfv::Parser::new(input)
            .parse_list_with_visitor(Members::default())
            .ok()
    }

    /// Parses `input` as a Dictionary; `None` if it is not a valid one.
    pub(crate) fn dictionary(input: &'de str) -> Option<Members<'de>> {
        sfv::Parser::new(input)
            .parse_dictionary_with_visitor(Members::default())
            .ok()
    }

    /// The last value of dictionary key `key`, if any.
    pub(crate) fn get(&self, key: &str) -> Option<&Member<'de>> {
        self.0.iter().rev().find(|(k, _)| *k == key).map(|(_, m)| m)
    }
}

struct Entry<'a, 'de> {
    out: &'a mut Vec<(&'de str, Member<'de>)>,
    key: &'de str,
}

struct Params<'a, 'de> {
    entry: Entry<'a, 'de>,
    bare: Bare,
    params: Vec<(&'de str, Bare)>,
}

impl<'de> ListVisitor<'de> for Members<'de> {
    type Out = Members<'de>;
    type Error = Infallible;

    fn entry(&mut self) -> Result<impl EntryVisitor<'de>, Self::Error> {
        Ok(Entry {
            out: &mut self.0,
            key: "",
        })
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        Ok(self)
    }
}

impl<'de> DictionaryVisitor<'de> for Members<'de> {
    type Out = Members<'de>;
    type Error = Infallible;

    fn entry(&mut self, key: &'de KeyRef) -> Result<impl EntryVisitor<'de>, Self::Error> {
        Ok(Entry {
            out: &mut self.0,
            key: key.as_str(),
        })
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        Ok(self)
    }
}

impl<'de> EntryVisitor<'de> for Entry<'_, 'de> {
    type Error = Infallible;

    fn item(self) -> Result<impl ItemVisitor<'de>, Self::Error> {
        Ok(self)
    }

    fn inner_list(self) -> Result<impl InnerListVisitor<'de>, Self::Error> {
        self.out.push((self.key, Member::InnerList));
        Ok(Ignored)
    }
}

impl<'de> ItemVisitor<'de> for Entry<'_, 'de> {
    type Out = ();
    type Error = Infallible;

    fn bare_item(
        self,
        bare_item: BareItemFromInput<'de>,
    ) -> Result<impl ParameterVisitor<'de, Out = Self::Out>, Self::Error> {
        Ok(Params {
            entry: self,
            bare: Bare::of(bare_item),
            params: Vec::new(),
        })
    }
}

impl<'de> ParameterVisitor<'de> for Params<'_, 'de> {
    type Out = ();
    type Error = Infallible;

    fn parameter(
        &mut self,
        key: &'de KeyRef,
        value: BareItemFromInput<'de>,
    ) -> Result<(), Self::Error> {
        self.params.push((key.as_str(), Bare::of(value)));
        Ok(())
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        self.entry
            .out
            .push((self.entry.key, Member::Item(self.bare, self.params)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_members_and_params_last_wins() {
        let m = Members::list(r#"a;q=1;q=2, "b";pk=:AQI=:, (x y);z, 5;w=60"#)
            .unwrap_or_else(|| unreachable!());
        assert_eq!(m.0.len(), 4);
        let Member::Item(Bare::Token(name), params) = &m.0[0].1 else {
            unreachable!("{m:?}")
        };
        assert_eq!(name, "a");
        assert_eq!(param(params, "q"), Some(&Bare::Int(2)));
        let Member::Item(Bare::Str(name), params) = &m.0[1].1 else {
            unreachable!("{m:?}")
        };
        assert_eq!(name, "b");
        assert_eq!(param(params, "pk"), Some(&Bare::Bytes(vec![1, 2])));
        assert!(matches!(m.0[2].1, Member::InnerList));
        assert!(
            matches!(&m.0[3].1, Member::Item(Bare::Int(5), p) if param(p, "w") == Some(&Bare::Int(60)))
        );
    }

    #[test]
    fn invalid_fields_are_none() {
        assert!(Members::list("a;q=").is_none());
        assert!(Members::list("(a b").is_none());
        assert!(Members::dictionary("limit=1, =2").is_none());
    }

    #[test]
    fn dictionary_last_wins_and_bare_keys() {
        let d = Members::dictionary("limit=100, remaining=5, limit=7, flag")
            .unwrap_or_else(|| unreachable!());
        assert!(matches!(
            d.get("limit"),
            Some(Member::Item(Bare::Int(7), _))
        ));
        assert!(matches!(
            d.get("remaining"),
            Some(Member::Item(Bare::Int(5), _))
        ));
        assert!(matches!(d.get("flag"), Some(Member::Item(Bare::Other, _))));
        assert!(d.get("reset").is_none());
    }
}
