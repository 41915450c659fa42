//! The previous implementation, through `sfv`'s visitor API: the oracle the hand-written parser
//! is checked against (`super::tests::same_as_sfv`).

use super::{Bare, Member, Members};
use core::convert::Infallible;
use sfv::visitor::{
    DictionaryVisitor, EntryVisitor, Ignored, InnerListVisitor, ItemVisitor, ListVisitor,
    ParameterVisitor,
};
use sfv::{BareItemFromInput, GenericBareItem, KeyRef};

fn bare_of(b: BareItemFromInput<'_>) -> Bare {
    match b {
        GenericBareItem::Integer(n) => Bare::Int(i64::from(n)),
        GenericBareItem::String(s) => Bare::Str(s.as_str().to_owned()),
        GenericBareItem::Token(t) => Bare::Token(t.as_str().to_owned()),
        GenericBareItem::ByteSequence(v) => Bare::Bytes(v),
        _ => Bare::Other,
    }
}

/// `sfv`'s answer for a List.
pub(super) fn list(input: &str) -> Option<Members<'_>> {
    sfv::Parser::new(input)
        .parse_list_with_visitor(Members::default())
        .ok()
}

/// `sfv`'s answer for a Dictionary.
pub(super) fn dictionary(input: &str) -> Option<Members<'_>> {
    sfv::Parser::new(input)
        .parse_dictionary_with_visitor(Members::default())
        .ok()
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
            bare: bare_of(bare_item),
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
        self.params.push((key.as_str(), bare_of(value)));
        Ok(())
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        self.entry
            .out
            .push((self.entry.key, Member::Item(self.bare, self.params)));
        Ok(())
    }
}
