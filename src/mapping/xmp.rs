//! XMP: reading the signal-bearing properties of a packet, merging a tag
//! into a packet and taking it out again, with the Adobe XMP Toolkit so that
//! every property ccsig does not own survives exactly as the toolkit models
//! it (titles, keywords, ratings, language alternatives, unknown namespaces).

use std::str::FromStr;
use std::sync::Once;

use xmp_toolkit::{xmp_ns, IterOptions, ToStringOptions, XmpMeta, XmpValue};

use super::{constraints, datamining, MappingError, Tag, MAPPING_VERSION};
use crate::signal;

/// ccsig's own namespace; the version in the URI is the mapping version.
pub const NS_CCSIG: &str = "https://ns.ccsig.dev/xmp/1.0/";
pub const NS_PLUS: &str = "http://ns.useplus.org/ldf/xmp/1.0/";
pub const NS_CC: &str = "http://creativecommons.org/ns#";

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
}

impl XmpFields {
    /// Whether ccsig's namespace holds anything.
    pub fn has_ccsig(&self) -> bool {
        self.expression.is_some()
            || self.signal.is_some()
            || self.credit_name.is_some()
            || self.credit_url.is_some()
            || self.mapping_version.is_some()
    }

    pub fn other_constraints_default(&self) -> Option<&str> {
        self.other_constraints
            .iter()
            .find(|(lang, _)| lang == "x-default")
            .or(self.other_constraints.first())
            .map(|(_, t)| t.as_str())
    }
}

fn register_namespaces() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Registration only fails for malformed URIs; ours are constants.
        let _ = XmpMeta::register_namespace(NS_CCSIG, "ccsig");
        let _ = XmpMeta::register_namespace(NS_PLUS, "plus");
        let _ = XmpMeta::register_namespace(NS_CC, "cc");
    });
}

fn parse_packet(packet: &[u8]) -> Result<XmpMeta, MappingError> {
    register_namespaces();
    let text = std::str::from_utf8(packet).map_err(|_| MappingError::XmpEncoding)?;
    // The toolkit stops at a NUL; a trailing one is common padding in the wild.
    let text = text.trim_end_matches('\0');
    XmpMeta::from_str(text).map_err(|e| MappingError::XmpParse(e.to_string()))
}

fn text(meta: &XmpMeta, ns: &str, name: &str) -> Option<String> {
    meta.property(ns, name)
        .map(|v| v.value)
        .filter(|v| !v.trim().is_empty())
}

/// Reads the fields ccsig cares about from one packet.
pub fn read_fields(packet: &[u8]) -> Result<XmpFields, MappingError> {
    let meta = parse_packet(packet)?;
    let mut other_constraints = Vec::new();
    let count = meta.array_len(NS_PLUS, "OtherConstraints");
    for i in 1..=count {
        let path = format!("OtherConstraints[{i}]");
        if let Some(item) = meta.property(NS_PLUS, &path) {
            let lang = meta
                .qualifier(NS_PLUS, &path, xmp_ns::XML, "lang")
                .map(|q| q.value)
                .unwrap_or_default();
            other_constraints.push((lang, item.value));
        }
    }
    if count == 0 {
        // Some writers store a plain string where the schema wants lang-alt.
        if let Some(plain) = text(&meta, NS_PLUS, "OtherConstraints") {
            other_constraints.push((String::new(), plain));
        }
    }
    Ok(XmpFields {
        expression: text(&meta, NS_CCSIG, "expression"),
        signal: text(&meta, NS_CCSIG, "signal"),
        credit_name: text(&meta, NS_CCSIG, "creditName"),
        credit_url: text(&meta, NS_CCSIG, "creditURL"),
        mapping_version: text(&meta, NS_CCSIG, "mappingVersion"),
        data_mining: text(&meta, NS_PLUS, "DataMining"),
        other_constraints,
        attribution_name: text(&meta, NS_CC, "attributionName"),
        attribution_url: text(&meta, NS_CC, "attributionURL"),
        creator: meta
            .property_array(xmp_ns::DC, "creator")
            .next()
            .map(|v| v.value)
            .or_else(|| text(&meta, xmp_ns::DC, "creator"))
            .filter(|v| !v.trim().is_empty()),
    })
}

/// The values ccsig's mirrors must hold for a tag (see docs/mapping.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirrors {
    pub data_mining: Option<String>,
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
    fields.expression.as_deref() == Some(tag.expression.as_str())
        && fields.signal.as_deref() == tag.signal.map(|s| s.code())
        && fields.mapping_version.as_deref() == Some(MAPPING_VERSION)
        && same(&fields.credit_name, &tag.credit_name)
        && same(&fields.credit_url, &tag.credit_url)
        && same(&fields.attribution_name, &tag.credit_name)
        && same(&fields.attribution_url, &tag.credit_url)
        && same(&fields.data_mining, &mirrors.data_mining)
        && fields.other_constraints_default() == Some(mirrors.other_constraints.as_str())
}

fn set(meta: &mut XmpMeta, ns: &str, name: &str, value: &str) -> Result<(), MappingError> {
    meta.set_property(ns, name, &XmpValue::new(value.to_string()))
        .map_err(|e| MappingError::XmpToolkit(e.to_string()))
}

fn delete(meta: &mut XmpMeta, ns: &str, name: &str) -> Result<(), MappingError> {
    meta.delete_property(ns, name)
        .map_err(|e| MappingError::XmpToolkit(e.to_string()))
}

fn serialize(meta: &XmpMeta) -> Result<String, MappingError> {
    // Small padding: room for a later in-place edit by other tools without
    // the 2 KB the toolkit adds by default to every file.
    meta.to_string_with_options(ToStringOptions::default().set_padding(256))
        .map_err(|e| MappingError::XmpToolkit(e.to_string()))
}

/// Merges a tag into a packet (or a new packet when there is none) and
/// returns the serialized packet. Every other property is kept.
pub fn apply(packet: Option<&[u8]>, tag: &Tag) -> Result<String, MappingError> {
    let mut meta = match packet {
        Some(p) => parse_packet(p)?,
        None => {
            register_namespaces();
            XmpMeta::new().map_err(|e| MappingError::XmpToolkit(e.to_string()))?
        }
    };
    let mirrors = mirrors_for(&tag.expression);
    set(&mut meta, NS_CCSIG, "expression", &tag.expression)?;
    match tag.signal {
        Some(s) => set(&mut meta, NS_CCSIG, "signal", s.code())?,
        None => delete(&mut meta, NS_CCSIG, "signal")?,
    }
    set(&mut meta, NS_CCSIG, "mappingVersion", MAPPING_VERSION)?;
    if let Some(name) = &tag.credit_name {
        set(&mut meta, NS_CCSIG, "creditName", name)?;
        set(&mut meta, NS_CC, "attributionName", name)?;
    }
    if let Some(url) = &tag.credit_url {
        set(&mut meta, NS_CCSIG, "creditURL", url)?;
        set(&mut meta, NS_CC, "attributionURL", url)?;
    }
    if let Some(dm) = &mirrors.data_mining {
        set(&mut meta, NS_PLUS, "DataMining", dm)?;
    }
    meta.set_localized_text(
        NS_PLUS,
        "OtherConstraints",
        None,
        "x-default",
        &mirrors.other_constraints,
    )
    .map_err(|e| MappingError::XmpToolkit(e.to_string()))?;
    serialize(&meta)
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
    let fields = read_fields(packet)?;
    if !fields.has_ccsig() {
        return Ok(Removal::NothingToRemove);
    }
    let mut meta = parse_packet(packet)?;
    if let Some(expression) = &fields.expression {
        let mirrors = mirrors_for(expression);
        if fields.data_mining.is_some() && fields.data_mining == mirrors.data_mining {
            delete(&mut meta, NS_PLUS, "DataMining")?;
        }
        if fields.other_constraints_default() == Some(mirrors.other_constraints.as_str()) {
            if fields.other_constraints.len() == 1 {
                delete(&mut meta, NS_PLUS, "OtherConstraints")?;
            } else {
                let index = fields
                    .other_constraints
                    .iter()
                    .position(|(lang, _)| lang == "x-default")
                    .unwrap_or(0);
                meta.delete_array_item(NS_PLUS, "OtherConstraints", index as i32 + 1)
                    .map_err(|e| MappingError::XmpToolkit(e.to_string()))?;
            }
        }
    }
    if fields.credit_name.is_some() && fields.attribution_name == fields.credit_name {
        delete(&mut meta, NS_CC, "attributionName")?;
    }
    if fields.credit_url.is_some() && fields.attribution_url == fields.credit_url {
        delete(&mut meta, NS_CC, "attributionURL")?;
    }
    for name in [
        "expression",
        "signal",
        "creditName",
        "creditURL",
        "mappingVersion",
    ] {
        delete(&mut meta, NS_CCSIG, name)?;
    }
    if meta
        .iter(IterOptions::default().leaf_nodes_only())
        .next()
        .is_none()
    {
        return Ok(Removal::Empty);
    }
    Ok(Removal::Packet(serialize(&meta)?))
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
    xmlns:foo="http://example.org/foo/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour</rdf:li><rdf:li xml:lang="de">Hafen</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>Ada Example</rdf:li></rdf:Seq></dc:creator>
   <dc:subject><rdf:Bag><rdf:li>boats</rdf:li><rdf:li>sea</rdf:li></rdf:Bag></dc:subject>
   <xmp:Rating>4</xmp:Rating>
   <xmpRights:UsageTerms><rdf:Alt><rdf:li xml:lang="x-default">Ask first</rdf:li></rdf:Alt></xmpRights:UsageTerms>
   <foo:Custom>kept</foo:Custom>
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
        }
    }

    /// Every property of a packet as (path, value) pairs, for comparisons.
    fn properties(packet: &str) -> Vec<(String, String)> {
        let meta = XmpMeta::from_str(packet).unwrap();
        meta.iter(IterOptions::default().leaf_nodes_only())
            .map(|p| (format!("{}{}", p.schema_ns, p.name), p.value.value))
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
        assert!(f
            .other_constraints_default()
            .unwrap()
            .ends_with("Content-Usage: train-ai=n;exceptions=cc-cr-op"));
        assert_eq!(f.attribution_name.as_deref(), Some("Ada Example"));
        assert_eq!(
            f.attribution_url.as_deref(),
            Some("https://example.org/ada")
        );
        assert!(holds_tag(&f, &tag()));
    }

    #[test]
    fn apply_keeps_every_foreign_property() {
        let before = properties(RICH);
        let out = apply(Some(RICH.as_bytes()), &tag()).unwrap();
        let after = properties(&out);
        for p in &before {
            assert!(after.contains(p), "lost {p:?}");
        }
        assert_eq!(out.matches("<x:xmpmeta").count(), 1);
    }

    #[test]
    fn remove_restores_the_foreign_properties_exactly() {
        let out = apply(Some(RICH.as_bytes()), &tag()).unwrap();
        let Removal::Packet(back) = remove(out.as_bytes()).unwrap() else {
            panic!("expected a packet");
        };
        assert_eq!(properties(&back), properties(RICH));
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
        let mut meta = XmpMeta::from_str(&out).unwrap();
        meta.set_property(
            NS_PLUS,
            "DataMining",
            &XmpValue::new("DMI-ALLOWED".to_string()),
        )
        .unwrap();
        let changed = meta.to_string();
        let Removal::Packet(back) = remove(changed.as_bytes()).unwrap() else {
            panic!("expected a packet");
        };
        let f = read_fields(back.as_bytes()).unwrap();
        assert_eq!(f.data_mining.as_deref(), Some("DMI-ALLOWED"));
        assert!(!f.has_ccsig());
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

    #[test]
    fn garbage_packets_are_errors_not_panics() {
        assert!(read_fields(b"<x:xmpmeta").is_err());
        assert!(read_fields(&[0xff, 0xfe, 0x00]).is_err());
        assert!(apply(Some(b"<rdf:RDF><oops"), &tag()).is_err());
    }
}
