//! XMP: reading the signal-bearing properties of a packet, merging a tag
//! into a packet and taking it out again. Edits splice the packet's own
//! bytes (see [`super::rdf`]), so every property ccsig does not own stays
//! exactly as it was: titles, keywords, ratings, language alternatives,
//! unknown namespaces, even formatting and padding.

use super::rdf::{self, Item, NewProperty, Value};
use super::{constraints, datamining, MappingError, Tag, MAPPING_VERSION};
use crate::signal;

/// ccsig's own namespace; the version in the URI is the mapping version.
pub const NS_CCSIG: &str = "https://ns.ccsig.dev/xmp/1.0/";
pub const NS_PLUS: &str = "http://ns.useplus.org/ldf/xmp/1.0/";
pub const NS_CC: &str = "http://creativecommons.org/ns#";
pub const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
pub const NS_TDM: &str = "http://www.w3.org/ns/tdmrep/";
pub const NS_XMP_RIGHTS: &str = "http://ns.adobe.com/xap/1.0/rights/";
pub const NS_XMP_MM: &str = "http://ns.adobe.com/xap/1.0/mm/";

/// The signal-bearing and credit properties of one XMP packet, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmpFields {
    pub expression: Option<String>,
    pub signal: Option<String>,
    pub credit_name: Option<String>,
    pub credit_url: Option<String>,
    pub mapping_version: Option<String>,
    pub data_mining: Option<String>,
    /// Every language alternative of `plus:OtherConstraints`, as (lang, text).
    pub other_constraints: Vec<(String, String)>,
    pub attribution_name: Option<String>,
    pub attribution_url: Option<String>,
    /// The first `dc:creator`.
    pub creator: Option<String>,
    /// W3C TDMRep `tdm:reservation` (`1` reserved, `0` not) and `tdm:policy`.
    pub tdm_reservation: Option<String>,
    pub tdm_policy: Option<String>,
    /// Rights context: `xmpRights:UsageTerms` (x-default), `WebStatement`,
    /// `Marked`, and `cc:license`.
    pub usage_terms: Option<String>,
    pub web_statement: Option<String>,
    pub marked: Option<String>,
    pub license: Option<String>,
    /// `xmpMM:DocumentID`, which copies of one image share.
    pub document_id: Option<String>,
    /// What ccsig's mirrors replaced (`ccsig:replaced*`), for `remove`.
    pub replaced: Replaced,
}

/// The values other people or tools had stored in the fields ccsig
/// overwrote, exactly as stored, so that `remove` can put them back
/// (`ccsig:replacedDataMining`, `ccsig:replacedOtherConstraints`,
/// `ccsig:replacedAttributionName`, `ccsig:replacedAttributionURL`; see
/// docs/mapping.md). `None`: the field was empty, or ccsig's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replaced {
    pub data_mining: Option<String>,
    /// The whole `x-default` text of `plus:OtherConstraints`.
    pub other_constraints: Option<String>,
    pub attribution_name: Option<String>,
    pub attribution_url: Option<String>,
    /// IIM 2:40 Special Instructions (JPEG APP13, PNG raw profiles).
    pub special_instructions: Option<String>,
}

impl Replaced {
    fn is_empty(&self) -> bool {
        *self == Replaced::default()
    }
}

impl XmpFields {
    /// Whether ccsig's namespace holds anything.
    pub fn has_ccsig(&self) -> bool {
        self.expression.is_some()
            || self.signal.is_some()
            || self.credit_name.is_some()
            || self.credit_url.is_some()
            || self.mapping_version.is_some()
            || !self.replaced.is_empty()
    }

    /// The `x-default` text (or the text of a plain, language-less value).
    /// Another language's text is never taken for it.
    pub fn other_constraints_default(&self) -> Option<&str> {
        self.other_constraints
            .iter()
            .find(|(lang, _)| lang == "x-default" || lang.is_empty())
            .map(|(_, t)| t.as_str())
    }
}

fn text(packet: &rdf::Packet, ns: &str, name: &str) -> Option<String> {
    packet
        .get(ns, name)
        .and_then(Value::first_text)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn fields_of(packet: &rdf::Packet) -> XmpFields {
    XmpFields {
        expression: text(packet, NS_CCSIG, "expression"),
        signal: text(packet, NS_CCSIG, "signal"),
        credit_name: text(packet, NS_CCSIG, "creditName"),
        credit_url: text(packet, NS_CCSIG, "creditURL"),
        mapping_version: text(packet, NS_CCSIG, "mappingVersion"),
        data_mining: text(packet, NS_PLUS, "DataMining"),
        other_constraints: packet
            .get(NS_PLUS, "OtherConstraints")
            .map(|v| {
                v.items()
                    .into_iter()
                    .map(|i| (i.lang.unwrap_or_default(), i.text))
                    .collect()
            })
            .unwrap_or_default(),
        attribution_name: text(packet, NS_CC, "attributionName"),
        attribution_url: text(packet, NS_CC, "attributionURL"),
        creator: text(packet, NS_DC, "creator"),
        tdm_reservation: text(packet, NS_TDM, "reservation"),
        tdm_policy: text(packet, NS_TDM, "policy"),
        usage_terms: packet.get(NS_XMP_RIGHTS, "UsageTerms").and_then(|v| {
            let items = v.items();
            items
                .iter()
                .find(|i| i.lang.as_deref() == Some("x-default"))
                .or(items.first())
                .map(|i| i.text.clone())
        }),
        web_statement: text(packet, NS_XMP_RIGHTS, "WebStatement"),
        marked: text(packet, NS_XMP_RIGHTS, "Marked"),
        license: text(packet, NS_CC, "license"),
        document_id: text(packet, NS_XMP_MM, "DocumentID"),
        replaced: Replaced {
            data_mining: stored(packet, "replacedDataMining"),
            other_constraints: stored(packet, "replacedOtherConstraints"),
            attribution_name: stored(packet, "replacedAttributionName"),
            attribution_url: stored(packet, "replacedAttributionURL"),
            special_instructions: stored(packet, "replacedSpecialInstructions"),
        },
    }
}

/// A `ccsig:replaced*` value exactly as stored: not trimmed, since it is
/// put back as it was.
fn stored(packet: &rdf::Packet, name: &str) -> Option<String> {
    packet
        .get(NS_CCSIG, name)
        .and_then(Value::first_text)
        .map(str::to_string)
}

/// Reads the fields ccsig cares about from one packet.
pub fn read_fields(packet: &[u8]) -> Result<XmpFields, MappingError> {
    let text = rdf::packet_text(packet)?;
    Ok(fields_of(&rdf::parse(text)?))
}

/// The values ccsig's mirrors must hold for a tag (see docs/mapping.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirrors {
    pub data_mining: Option<String>,
    /// ccsig's line in the `x-default` of `plus:OtherConstraints`.
    pub other_constraints: String,
}

pub fn mirrors_for(expression: &str) -> Mirrors {
    let statement = signal::parse(expression);
    Mirrors {
        data_mining: datamining::mirror_for(&statement).map(|d| d.uri()),
        other_constraints: constraints::text_for(&statement, expression),
    }
}

/// Whether a packet already holds exactly this tag and its mirrors, so
/// that writing it again would change nothing ccsig owns.
pub fn holds_tag(fields: &XmpFields, tag: &Tag) -> bool {
    let mirrors = mirrors_for(&tag.expression);
    let same = |have: &Option<String>, want: &Option<String>| want.is_none() || have == want;
    // Name and URL are one credit: with either given, both must match.
    let credit_holds = !tag.has_credit()
        || (fields.credit_name == tag.credit_name
            && fields.credit_url == tag.credit_url
            && fields.attribution_name == tag.credit_name
            && fields.attribution_url == tag.credit_url);
    fields.expression.as_deref() == Some(tag.expression.as_str())
        && fields.signal.as_deref() == tag.signal.map(|s| s.code())
        && fields.mapping_version.as_deref() == Some(MAPPING_VERSION)
        && credit_holds
        && same(&fields.data_mining, &mirrors.data_mining)
        && fields
            .other_constraints_default()
            .is_some_and(|t| constraints::holds_line(t, &mirrors.other_constraints))
}

fn simple(ns: &'static str, prefix: &'static str, name: &'static str, value: &str) -> NewProperty {
    NewProperty {
        ns,
        prefix,
        name,
        value: Value::Simple(value.to_string()),
    }
}

fn ccsig(name: &'static str, value: &str) -> NewProperty {
    simple(NS_CCSIG, "ccsig", name, value)
}

/// `plus:OtherConstraints` with the given `x-default` text (none: the item
/// goes) and every other language alternative as it was; `None` when no
/// item would be left.
fn constraints_property(
    existing: &[(String, String)],
    default_text: Option<String>,
) -> Option<NewProperty> {
    let default = default_text.map(|text| Item {
        lang: Some("x-default".into()),
        text,
    });
    let others = existing
        .iter()
        .filter(|(lang, _)| lang != "x-default" && !lang.is_empty())
        .map(|(lang, text)| Item {
            lang: Some(lang.clone()),
            text: text.clone(),
        });
    let items: Vec<Item> = default.into_iter().chain(others).collect();
    (!items.is_empty()).then_some(NewProperty {
        ns: NS_PLUS,
        prefix: "plus",
        name: "OtherConstraints",
        value: Value::Array(items),
    })
}

fn cut(ns: &str, name: Option<&str>) -> (String, Option<String>) {
    (ns.to_string(), name.map(String::from))
}

/// Merges a tag into a packet (or a new packet when there is none) and
/// returns the new packet. Every other property is kept byte for byte.
pub fn apply(packet: Option<&[u8]>, tag: &Tag) -> Result<String, MappingError> {
    let fresh;
    let text = match packet {
        Some(p) => rdf::packet_text(p)?,
        None => {
            fresh = rdf::empty_packet();
            &fresh
        }
    };
    let parsed = rdf::parse(text)?;
    let fields = fields_of(&parsed);
    let mirrors = mirrors_for(&tag.expression);
    let ours_before = fields.expression.as_deref().map(mirrors_for);
    let mut replaced = fields.replaced.clone();
    let mut edit = rdf::Edit::default();
    edit.cut.push(cut(NS_CCSIG, None));
    edit.add.push(ccsig("expression", &tag.expression));
    if let Some(s) = tag.signal {
        edit.add.push(ccsig("signal", s.code()));
    }
    edit.add.push(ccsig("mappingVersion", MAPPING_VERSION));
    // Credit is a pair from one source (the caller resolved it): a URL is
    // never kept next to a name it was not given with.
    let (credit_name, credit_url) = if tag.has_credit() {
        (tag.credit_name.as_ref(), tag.credit_url.as_ref())
    } else {
        (fields.credit_name.as_ref(), fields.credit_url.as_ref())
    };
    if let Some(name) = credit_name {
        edit.add.push(ccsig("creditName", name));
    }
    if let Some(url) = credit_url {
        edit.add.push(ccsig("creditURL", url));
    }
    if tag.has_credit() {
        // ccREL attribution someone else wrote is kept for `remove`.
        let ours = |have: &Option<String>, ccsig: &Option<String>| ccsig.is_some() && have == ccsig;
        if fields.attribution_name.is_some() && !ours(&fields.attribution_name, &fields.credit_name)
        {
            replaced.attribution_name = fields.attribution_name.clone();
        }
        if fields.attribution_url.is_some() && !ours(&fields.attribution_url, &fields.credit_url) {
            replaced.attribution_url = fields.attribution_url.clone();
        }
        edit.cut.push(cut(NS_CC, Some("attributionName")));
        edit.cut.push(cut(NS_CC, Some("attributionURL")));
        if let Some(name) = &tag.credit_name {
            edit.add.push(simple(NS_CC, "cc", "attributionName", name));
        }
        if let Some(url) = &tag.credit_url {
            edit.add.push(simple(NS_CC, "cc", "attributionURL", url));
        }
    }
    if let Some(dm) = &mirrors.data_mining {
        let ccsig_wrote = |have: &String| {
            ours_before
                .as_ref()
                .is_some_and(|m| m.data_mining.as_ref() == Some(have))
        };
        if let Some(have) = fields.data_mining.as_ref().filter(|h| !ccsig_wrote(h)) {
            replaced.data_mining = Some(have.clone());
        }
        edit.cut.push(cut(NS_PLUS, Some("DataMining")));
        edit.add.push(simple(NS_PLUS, "plus", "DataMining", dm));
    }
    let existing_default = fields.other_constraints_default();
    let holds_our_line = existing_default
        .zip(ours_before.as_ref())
        .is_some_and(|(text, m)| constraints::holds_line(text, &m.other_constraints));
    if let Some(text) = existing_default.filter(|_| !holds_our_line) {
        replaced.other_constraints = Some(text.to_string());
    }
    let default_text = constraints::merge_text(existing_default, &mirrors.other_constraints);
    edit.cut.push(cut(NS_PLUS, Some("OtherConstraints")));
    edit.add.extend(constraints_property(
        &fields.other_constraints,
        Some(default_text),
    ));
    if let Some(text) = &tag.replaced_special_instructions {
        replaced.special_instructions = Some(text.clone());
    }
    add_replaced(&mut edit, &replaced);
    Ok(rdf::edit(text, &parsed, &edit).text)
}

fn add_replaced(edit: &mut rdf::Edit, replaced: &Replaced) {
    let values = [
        ("replacedDataMining", &replaced.data_mining),
        ("replacedOtherConstraints", &replaced.other_constraints),
        ("replacedAttributionName", &replaced.attribution_name),
        ("replacedAttributionURL", &replaced.attribution_url),
        (
            "replacedSpecialInstructions",
            &replaced.special_instructions,
        ),
    ];
    for (name, value) in values {
        if let Some(v) = value {
            edit.add.push(ccsig(name, v));
        }
    }
}

/// What [`remove`] leaves behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// The packet held nothing of ccsig's: leave the file alone.
    NothingToRemove,
    /// The packet still holds other properties: write this instead.
    Packet(String),
    /// Nothing is left: drop the packet from the file.
    Empty,
}

/// Takes ccsig's namespace out of a packet, and each mirror that still holds
/// the value ccsig wrote for the expression being removed.
pub fn remove(packet: &[u8]) -> Result<Removal, MappingError> {
    let text = rdf::packet_text(packet)?;
    let parsed = rdf::parse(text)?;
    let fields = fields_of(&parsed);
    if !fields.has_ccsig() {
        return Ok(Removal::NothingToRemove);
    }
    let mut edit = rdf::Edit::default();
    edit.cut.push(cut(NS_CCSIG, None));
    let replaced = &fields.replaced;
    // A mirror that still holds what ccsig wrote goes, and what it replaced
    // comes back; one someone changed since is theirs and stays.
    if let Some(expression) = &fields.expression {
        let mirrors = mirrors_for(expression);
        if fields.data_mining.is_some() && fields.data_mining == mirrors.data_mining {
            edit.cut.push(cut(NS_PLUS, Some("DataMining")));
            if let Some(old) = &replaced.data_mining {
                edit.add.push(simple(NS_PLUS, "plus", "DataMining", old));
            }
        }
        if let Some(default) = fields.other_constraints_default() {
            if constraints::holds_line(default, &mirrors.other_constraints) {
                edit.cut.push(cut(NS_PLUS, Some("OtherConstraints")));
                let untouched_since = replaced.other_constraints.as_deref().filter(|old| {
                    constraints::merge_text(Some(old), &mirrors.other_constraints) == default
                });
                let rest = match untouched_since {
                    Some(old) => Some(old.to_string()),
                    None => constraints::without_line(default, &mirrors.other_constraints),
                };
                edit.add
                    .extend(constraints_property(&fields.other_constraints, rest));
            }
        }
    }
    let restore = |edit: &mut rdf::Edit,
                   name: &'static str,
                   have: &Option<String>,
                   ours: &Option<String>,
                   old: &Option<String>| {
        if ours.is_some() && have == ours {
            edit.cut.push(cut(NS_CC, Some(name)));
            if let Some(old) = old {
                edit.add.push(simple(NS_CC, "cc", name, old));
            }
        }
    };
    restore(
        &mut edit,
        "attributionName",
        &fields.attribution_name,
        &fields.credit_name,
        &replaced.attribution_name,
    );
    restore(
        &mut edit,
        "attributionURL",
        &fields.attribution_url,
        &fields.credit_url,
        &replaced.attribution_url,
    );
    let edited = rdf::edit(text, &parsed, &edit);
    if edited.property_count == 0 {
        return Ok(Removal::Empty);
    }
    Ok(Removal::Packet(edited.text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::SignalCode;

    const RICH: &str = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"
    xmlns:foo="http://example.org/foo/"
    xmp:Rating="4">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour</rdf:li><rdf:li xml:lang="de">Hafen</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>Ada Example</rdf:li></rdf:Seq></dc:creator>
   <dc:subject><rdf:Bag><rdf:li>boats</rdf:li><rdf:li>sea</rdf:li></rdf:Bag></dc:subject>
   <xmpRights:UsageTerms><rdf:Alt><rdf:li xml:lang="x-default">Ask first</rdf:li></rdf:Alt></xmpRights:UsageTerms>
   <!-- a comment someone left -->
   <foo:Custom>kept &amp; escaped</foo:Custom>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/">
   <plus:OtherConstraints><rdf:Alt><rdf:li xml:lang="x-default">Editorial use only.</rdf:li><rdf:li xml:lang="fr">Usage editorial.</rdf:li></rdf:Alt></plus:OtherConstraints>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#;

    fn tag() -> Tag {
        Tag {
            expression: "train-ai=n;exceptions=cc-cr-op".into(),
            signal: Some(SignalCode::CrOp),
            credit_name: Some("Ada Example".into()),
            credit_url: Some("https://example.org/ada".into()),
            replaced_special_instructions: None,
        }
    }

    /// Every property of a packet outside ccsig's fields.
    fn foreign(packet: &str) -> Vec<(String, String, Value)> {
        rdf::parse(packet)
            .unwrap()
            .properties
            .into_iter()
            .filter(|p| p.ns != NS_CCSIG && p.ns != NS_CC && p.ns != NS_PLUS)
            .map(|p| (p.ns, p.name, p.value))
            .collect()
    }

    #[test]
    fn apply_writes_tag_and_mirrors_and_reads_back() {
        let out = apply(Some(RICH.as_bytes()), &tag()).unwrap();
        let f = read_fields(out.as_bytes()).unwrap();
        assert_eq!(
            f.expression.as_deref(),
            Some("train-ai=n;exceptions=cc-cr-op")
        );
        assert_eq!(f.signal.as_deref(), Some("cc-cr-op"));
        assert_eq!(f.mapping_version.as_deref(), Some("1.0"));
        assert_eq!(
            f.data_mining.as_deref(),
            Some("http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT")
        );
        let default = f.other_constraints_default().unwrap();
        assert!(default.starts_with("Editorial use only.\n"), "{default}");
        assert!(default.ends_with("Content-Usage: train-ai=n;exceptions=cc-cr-op"));
        assert!(f
            .other_constraints
            .contains(&("fr".into(), "Usage editorial.".into())));
        assert_eq!(f.attribution_name.as_deref(), Some("Ada Example"));
        assert_eq!(
            f.attribution_url.as_deref(),
            Some("https://example.org/ada")
        );
        assert!(holds_tag(&f, &tag()));
    }

    #[test]
    fn apply_keeps_every_foreign_property_and_byte() {
        let out = apply(Some(RICH.as_bytes()), &tag()).unwrap();
        assert_eq!(foreign(&out), foreign(RICH));
        for kept in [
            "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Harbour</rdf:li><rdf:li xml:lang=\"de\">Hafen</rdf:li></rdf:Alt></dc:title>",
            "<!-- a comment someone left -->",
            "<foo:Custom>kept &amp; escaped</foo:Custom>",
            "xmp:Rating=\"4\"",
        ] {
            assert!(out.contains(kept), "lost {kept}");
        }
        assert_eq!(out.matches("<x:xmpmeta").count(), 1);
        // Applying twice changes nothing more.
        let again = apply(Some(out.as_bytes()), &tag()).unwrap();
        assert_eq!(
            read_fields(again.as_bytes()).unwrap(),
            read_fields(out.as_bytes()).unwrap()
        );
        assert_eq!(
            again.matches("ccsig:expression>").count(),
            2,
            "one element: open and close tag"
        );
    }

    #[test]
    fn remove_restores_the_foreign_properties() {
        let out = apply(Some(RICH.as_bytes()), &tag()).unwrap();
        let Removal::Packet(back) = remove(out.as_bytes()).unwrap() else {
            panic!("expected a packet");
        };
        assert_eq!(foreign(&back), foreign(RICH));
        let f = read_fields(back.as_bytes()).unwrap();
        assert_eq!(f.other_constraints_default(), Some("Editorial use only."));
        assert!(f
            .other_constraints
            .contains(&("fr".into(), "Usage editorial.".into())));
        assert_eq!(f.data_mining, None);
        assert_eq!(remove(back.as_bytes()).unwrap(), Removal::NothingToRemove);
    }

    #[test]
    fn remove_of_a_packet_ccsig_created_leaves_nothing() {
        let out = apply(None, &tag()).unwrap();
        assert_eq!(remove(out.as_bytes()).unwrap(), Removal::Empty);
    }

    #[test]
    fn remove_keeps_a_mirror_someone_changed() {
        let out = apply(None, &tag()).unwrap();
        let changed = out.replace(
            "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT",
            "http://ns.useplus.org/ldf/vocab/DMI-ALLOWED",
        );
        let Removal::Packet(back) = remove(changed.as_bytes()).unwrap() else {
            panic!("expected a packet");
        };
        let f = read_fields(back.as_bytes()).unwrap();
        assert_eq!(
            f.data_mining.as_deref(),
            Some("http://ns.useplus.org/ldf/vocab/DMI-ALLOWED")
        );
        assert!(!f.has_ccsig());
    }

    #[test]
    fn attribute_form_properties_are_read_and_replaced() {
        let packet = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
   plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-ALLOWED" dc:format="image/jpeg"/>
</rdf:RDF></x:xmpmeta>"#;
        assert_eq!(
            read_fields(packet.as_bytes())
                .unwrap()
                .data_mining
                .as_deref(),
            Some("http://ns.useplus.org/ldf/vocab/DMI-ALLOWED")
        );
        let out = apply(Some(packet.as_bytes()), &tag()).unwrap();
        assert_eq!(out.matches("<plus:DataMining>").count(), 1, "{out}");
        assert!(!out.contains("plus:DataMining=\""), "{out}");
        assert_eq!(
            read_fields(out.as_bytes())
                .unwrap()
                .replaced
                .data_mining
                .as_deref(),
            Some("http://ns.useplus.org/ldf/vocab/DMI-ALLOWED")
        );
        assert!(out.contains("dc:format=\"image/jpeg\""));
        assert!(holds_tag(&read_fields(out.as_bytes()).unwrap(), &tag()));
    }

    #[test]
    fn holds_tag_notices_any_difference() {
        let out = apply(None, &tag()).unwrap();
        let f = read_fields(out.as_bytes()).unwrap();
        let mut other = tag();
        other.expression = "train-ai=n;exceptions=cc-cr".into();
        other.signal = Some(SignalCode::Cr);
        assert!(!holds_tag(&f, &other));
        let mut other = tag();
        other.credit_name = Some("Someone Else".into());
        assert!(!holds_tag(&f, &other));
    }

    const FOREIGN: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" xmlns:cc="http://creativecommons.org/ns#">
  <plus:DataMining>http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING</plus:DataMining>
  <plus:OtherConstraints><rdf:Alt><rdf:li xml:lang="x-default">Ask the agency.
Content-Usage: train-ai=y</rdf:li><rdf:li xml:lang="de">Fragen.</rdf:li></rdf:Alt></plus:OtherConstraints>
  <cc:attributionName>Zed Agency</cc:attributionName>
  <cc:attributionURL>https://zed.example/</cc:attributionURL>
 </rdf:Description>
</rdf:RDF></x:xmpmeta>"#;

    #[test]
    fn remove_puts_back_what_apply_replaced() {
        let original = read_fields(FOREIGN.as_bytes()).unwrap();
        let out = apply(Some(FOREIGN.as_bytes()), &tag()).unwrap();
        let applied = read_fields(out.as_bytes()).unwrap();
        assert!(holds_tag(&applied, &tag()));
        assert_eq!(
            applied.replaced,
            Replaced {
                data_mining: original.data_mining.clone(),
                other_constraints: original.other_constraints_default().map(String::from),
                attribution_name: Some("Zed Agency".into()),
                attribution_url: Some("https://zed.example/".into()),
                special_instructions: None,
            }
        );
        // Applying another signal keeps the first record: ccsig's own
        // earlier mirrors are not "replaced" values.
        let mut second = tag();
        second.expression = "train-ai=n".into();
        second.signal = None;
        let again = apply(Some(out.as_bytes()), &second).unwrap();
        assert_eq!(
            read_fields(again.as_bytes()).unwrap().replaced,
            applied.replaced
        );
        let Removal::Packet(back) = remove(again.as_bytes()).unwrap() else {
            panic!("expected a packet");
        };
        let restored = read_fields(back.as_bytes()).unwrap();
        assert_eq!(restored, original, "{back}");
    }

    #[test]
    fn remove_leaves_a_mirror_someone_changed_and_restores_nothing_over_it() {
        let out = apply(Some(FOREIGN.as_bytes()), &tag()).unwrap();
        let edited = out.replacen("Ask the agency.", "Ask the new agency.", 1);
        assert!(edited.contains("<ccsig:replacedOtherConstraints>Ask the agency."));
        let Removal::Packet(back) = remove(edited.as_bytes()).unwrap() else {
            panic!("expected a packet");
        };
        let f = read_fields(back.as_bytes()).unwrap();
        // Their edit wins over the stored original; ccsig's line goes.
        assert_eq!(f.other_constraints_default(), Some("Ask the new agency."));
        assert!(!f.has_ccsig());
    }

    #[test]
    fn a_replaced_value_with_a_carriage_return_comes_back_whole() {
        let crlf = FOREIGN.replace("Ask the agency.\n", "Ask the agency.&#13;\n");
        let original = read_fields(crlf.as_bytes()).unwrap();
        assert!(original
            .other_constraints_default()
            .unwrap()
            .contains("\r\n"));
        let out = apply(Some(crlf.as_bytes()), &tag()).unwrap();
        let Removal::Packet(back) = remove(out.as_bytes()).unwrap() else {
            panic!("expected a packet");
        };
        assert_eq!(read_fields(back.as_bytes()).unwrap(), original);
    }

    #[test]
    fn credit_is_written_as_a_pair() {
        let out = apply(None, &tag()).unwrap();
        let mut dora = tag();
        dora.credit_name = Some("Dora".into());
        dora.credit_url = None;
        let f = read_fields(apply(Some(out.as_bytes()), &dora).unwrap().as_bytes()).unwrap();
        assert_eq!(f.credit_name.as_deref(), Some("Dora"));
        assert_eq!(f.credit_url, None, "Ada's URL must not stay next to Dora");
        assert_eq!(f.attribution_url, None);
        assert!(holds_tag(&f, &dora));
        assert!(!holds_tag(&f, &tag()));
    }

    #[test]
    fn garbage_packets_are_errors_not_panics() {
        assert!(read_fields(b"<x:xmpmeta").is_err());
        assert!(read_fields(&[0xff, 0xfe, 0x00]).is_err());
        assert!(apply(Some(b"<rdf:RDF><oops"), &tag()).is_err());
        let dtd = r#"<!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/"/>"#;
        assert!(read_fields(dtd.as_bytes()).is_err());
    }
}
