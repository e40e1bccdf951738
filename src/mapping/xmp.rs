//! XMP: reading the signal-bearing properties of a packet, merging a tag
//! into a packet and taking it out again. Edits splice the packet's own
//! bytes (see [`super::rdf`]), so every property ccsig does not own stays
//! exactly as it was: titles, keywords, ratings, language alternatives,
//! unknown namespaces, even formatting and padding. Inside
//! `plus:OtherConstraints` only ccsig's line is added or taken out: the
//! other items, their languages, qualifiers and bytes stay.

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
pub const NS_XMP_NOTE: &str = "http://ns.adobe.com/xmp/note/";

/// The signal-bearing and credit properties of one XMP packet, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmpFields {
    pub expression: Option<String>,
    pub signal: Option<String>,
    pub credit_name: Option<String>,
    pub credit_url: Option<String>,
    pub mapping_version: Option<String>,
    pub data_mining: Option<String>,
    /// Every item of `plus:OtherConstraints`, as (lang, text); the language
    /// is empty for an item that has none.
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
    /// `xmpMM:InstanceID`: this very file (a rename keeps it, a save as
    /// changes it); the audit matches moved files by it.
    pub instance_id: Option<String>,
    /// `xmpNote:HasExtendedXMP`: the GUID of the JPEG Extended XMP.
    pub has_extended_xmp: Option<String>,
    /// The properties ccsig writes that the JPEG Extended XMP holds
    /// (`ccsig:expression`, `plus:OtherConstraints`, ...): ccsig never
    /// rewrites the extension, so it cannot change them.
    pub in_extension: Vec<String>,
    /// What ccsig's mirrors replaced (`ccsig:replaced*`), for `remove`.
    pub replaced: Replaced,
}

/// Which item of a language alternative is the default: the `x-default`
/// one (language tags compare without case), else the first item without
/// a language (a plain value, or an item of a `rdf:Bag`/`rdf:Seq`).
pub fn default_position(items: &[(String, String)]) -> Option<usize> {
    items
        .iter()
        .position(|(lang, _)| lang.eq_ignore_ascii_case("x-default"))
        .or_else(|| items.iter().position(|(lang, _)| lang.is_empty()))
}

/// The values other people or tools had stored in the fields ccsig
/// overwrote, exactly as stored, so that `remove` can put them back
/// (`ccsig:replacedDataMining`, `ccsig:replacedOtherConstraints`,
/// `ccsig:replacedAttributionName`, `ccsig:replacedAttributionURL`; see
/// docs/mapping.md). `None`: the field was empty, or ccsig's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replaced {
    pub data_mining: Option<String>,
    /// The whole default text of `plus:OtherConstraints`, recorded only
    /// when ccsig's merge dropped part of it (an expression line of theirs).
    pub other_constraints: Option<String>,
    pub attribution_name: Option<String>,
    pub attribution_url: Option<String>,
    /// IIM 2:40 Special Instructions (JPEG APP13, PNG raw profiles).
    pub special_instructions: Option<String>,
    /// The padding and trailer (`<?xpacket end=...?>`) of another tool's
    /// packet, recorded when ccsig gave the packet room for edits in place
    /// (see [`apply_with_room`]).
    pub packet_end: Option<String>,
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

    /// The default text of `plus:OtherConstraints` (see
    /// [`default_position`]). Another language's text is never taken for it.
    pub fn other_constraints_default(&self) -> Option<&str> {
        default_position(&self.other_constraints).map(|i| self.other_constraints[i].1.as_str())
    }
}

fn text(packet: &rdf::Packet, ns: &str, name: &str) -> Option<String> {
    packet
        .get(ns, name)
        .and_then(Value::first_text)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A property's items as (lang, text), the language empty when absent.
fn lang_items(packet: &rdf::Packet, ns: &str, name: &str) -> Vec<(String, String)> {
    packet
        .property(ns, name)
        .map(|p| {
            p.items()
                .into_iter()
                .map(|i| (i.lang.unwrap_or_default(), i.text))
                .collect()
        })
        .unwrap_or_default()
}

fn fields_of(packet: &rdf::Packet) -> XmpFields {
    let usage_terms = lang_items(packet, NS_XMP_RIGHTS, "UsageTerms");
    XmpFields {
        expression: text(packet, NS_CCSIG, "expression"),
        signal: text(packet, NS_CCSIG, "signal"),
        credit_name: text(packet, NS_CCSIG, "creditName"),
        credit_url: text(packet, NS_CCSIG, "creditURL"),
        mapping_version: text(packet, NS_CCSIG, "mappingVersion"),
        data_mining: text(packet, NS_PLUS, "DataMining"),
        other_constraints: lang_items(packet, NS_PLUS, "OtherConstraints"),
        attribution_name: text(packet, NS_CC, "attributionName"),
        attribution_url: text(packet, NS_CC, "attributionURL"),
        creator: text(packet, NS_DC, "creator"),
        tdm_reservation: text(packet, NS_TDM, "reservation"),
        tdm_policy: text(packet, NS_TDM, "policy"),
        usage_terms: default_position(&usage_terms)
            .or((!usage_terms.is_empty()).then_some(0))
            .map(|i| usage_terms[i].1.clone()),
        web_statement: text(packet, NS_XMP_RIGHTS, "WebStatement"),
        marked: text(packet, NS_XMP_RIGHTS, "Marked"),
        license: text(packet, NS_CC, "license"),
        document_id: text(packet, NS_XMP_MM, "DocumentID"),
        instance_id: text(packet, NS_XMP_MM, "InstanceID"),
        has_extended_xmp: text(packet, NS_XMP_NOTE, "HasExtendedXMP"),
        in_extension: Vec::new(),
        replaced: Replaced {
            data_mining: stored(packet, "replacedDataMining"),
            other_constraints: stored(packet, "replacedOtherConstraints"),
            attribution_name: stored(packet, "replacedAttributionName"),
            attribution_url: stored(packet, "replacedAttributionURL"),
            special_instructions: stored(packet, "replacedSpecialInstructions"),
            // Named `replacedPacketEnd` by ccsig before 2026-12.
            packet_end: stored(packet, PACKET_TRAILER)
                .or_else(|| stored(packet, "replacedPacketEnd")),
        },
    }
}

/// Where another tool's packet padding and trailer are kept for `remove`:
/// a name that says what it is to a person browsing the metadata (the
/// value is whitespace and `<?xpacket end='r'?>`).
const PACKET_TRAILER: &str = "packetTrailerBeforeCcsig";

/// A `ccsig:replaced*` value exactly as stored: not trimmed, since it is
/// put back as it was.
fn stored(packet: &rdf::Packet, name: &str) -> Option<String> {
    packet
        .get(NS_CCSIG, name)
        .and_then(Value::first_text)
        .map(str::to_string)
}

/// Every property [`fields_of`] looks up. Reading a packet lists only
/// these (a packet from Lightroom holds hundreds of others), which gives
/// the same fields: `fields_of` never looks at the others.
fn read_by_fields_of(ns: &str, name: &str) -> bool {
    match ns {
        NS_CCSIG => true,
        NS_PLUS => matches!(name, "DataMining" | "OtherConstraints"),
        NS_CC => matches!(name, "attributionName" | "attributionURL" | "license"),
        NS_DC => name == "creator",
        NS_TDM => matches!(name, "reservation" | "policy"),
        NS_XMP_RIGHTS => matches!(name, "UsageTerms" | "WebStatement" | "Marked"),
        NS_XMP_MM => matches!(name, "DocumentID" | "InstanceID"),
        NS_XMP_NOTE => name == "HasExtendedXMP",
        _ => false,
    }
}

/// Reads the fields ccsig cares about from one packet.
pub fn read_fields(packet: &[u8]) -> Result<XmpFields, MappingError> {
    let text = rdf::packet_text(packet)?;
    Ok(fields_of(&rdf::parse_keeping(&text, read_by_fields_of)?))
}

/// The properties ccsig writes, by the names people know them by.
fn written_by_ccsig(property: &rdf::Property) -> Option<String> {
    let prefix = match (property.ns.as_str(), property.name.as_str()) {
        (NS_CCSIG, _) => "ccsig",
        (NS_PLUS, "DataMining" | "OtherConstraints") => "plus",
        (NS_CC, "attributionName" | "attributionURL") => "cc",
        _ => return None,
    };
    Some(format!("{prefix}:{}", property.name))
}

/// Merges the properties of a JPEG Extended XMP (the assembled packet)
/// into the fields of the main packet. The main packet wins where both
/// hold a property; [`XmpFields::in_extension`] records what ccsig would
/// write that the extension holds.
pub fn merge_extension(main: &mut XmpFields, extension: &[u8]) -> Result<(), MappingError> {
    let text = rdf::packet_text(extension)?;
    let parsed = rdf::parse(&text)?;
    let ext = fields_of(&parsed);
    macro_rules! fill {
        ($($field:ident),*) => {
            $(if main.$field.is_none() { main.$field = ext.$field; })*
        };
    }
    fill!(
        expression,
        signal,
        credit_name,
        credit_url,
        mapping_version,
        data_mining,
        attribution_name,
        attribution_url,
        creator,
        tdm_reservation,
        tdm_policy,
        usage_terms,
        web_statement,
        marked,
        license,
        document_id
    );
    if main.other_constraints.is_empty() {
        main.other_constraints = ext.other_constraints;
    }
    main.in_extension = parsed
        .properties
        .iter()
        .filter_map(written_by_ccsig)
        .collect();
    Ok(())
}

/// The properties an apply of `tag` would write that the Extended XMP
/// already holds. ccsig does not rewrite the extension (its GUID is the
/// digest of its bytes), and writing them into the main packet too would
/// leave two values, so such a file is refused.
pub fn extension_conflicts(fields: &XmpFields, tag: &Tag) -> Vec<String> {
    let mirrors = mirrors_for(&tag.expression);
    fields
        .in_extension
        .iter()
        .filter(|name| match name.as_str() {
            "plus:DataMining" => mirrors.data_mining.is_some(),
            "cc:attributionName" => tag.credit_name.is_some(),
            "cc:attributionURL" => tag.credit_url.is_some(),
            _ => true,
        })
        .cloned()
        .collect()
}

/// The items of `plus:OtherConstraints` other than the default one (other
/// languages) whose expression says something else than `expression` about
/// some AI use. ccsig writes only the default item and keeps the others
/// byte for byte, so writing would leave the file stating two preferences:
/// such a file is refused.
pub fn translation_conflicts(fields: &XmpFields, expression: &str) -> Vec<String> {
    let default = default_position(&fields.other_constraints);
    let ours = signal::parse(expression);
    let labels: Vec<&str> = signal::Vocabulary::default().labels().collect();
    fields
        .other_constraints
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != default)
        .filter_map(|(_, (lang, text))| {
            let theirs = signal::parse(&constraints::find_expression(text)?);
            let differs = labels
                .iter()
                .any(|l| theirs.preference_with_legacy(l) != ours.preference_with_legacy(l));
            differs.then(|| format!("plus:OtherConstraints[{lang}]"))
        })
        .collect()
}

/// ccsig's own properties that the Extended XMP holds (which `remove`
/// cannot take out).
pub fn ccsig_in_extension(fields: &XmpFields) -> Vec<String> {
    fields
        .in_extension
        .iter()
        .filter(|name| name.starts_with("ccsig:"))
        .cloned()
        .collect()
}

/// What the user should know about how a packet is written back: a UTF-16
/// packet is rewritten as UTF-8.
pub fn rewrite_note(packet: Option<&[u8]>) -> Option<&'static str> {
    packet
        .filter(|p| rdf::is_utf16(p))
        .map(|_| "the XMP packet is UTF-16; ccsig writes it back as UTF-8 (every property kept)")
}

/// Takes padding out of a packet so that it holds at most `limit` bytes,
/// as far as its padding allows (the container refuses what still does
/// not fit).
pub fn fit(packet: String, limit: usize) -> String {
    rdf::fit_padding(packet, limit)
}

/// Whether a packet is stored as UTF-16 (ccsig writes it back as UTF-8,
/// so never in place).
pub fn is_utf16(packet: &[u8]) -> bool {
    rdf::is_utf16(packet)
}

/// Whether a packet's trailer allows edits in place (`end="w"`).
pub fn allows_edits_in_place(packet: &str) -> bool {
    rdf::allows_edits(packet)
}

/// The packet with its padding resized to make it exactly `len` bytes
/// long (to overwrite one of that length in place), if it can be.
pub fn with_length(packet: &str, len: usize) -> Option<String> {
    rdf::pad_to_len(packet, len)
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

/// A new `plus:OtherConstraints` language alternative.
fn constraints_property(items: Vec<Item>) -> NewProperty {
    NewProperty {
        ns: NS_PLUS,
        prefix: "plus",
        name: "OtherConstraints",
        value: Value::Array(items),
    }
}

fn cut(ns: &str, name: Option<&str>) -> (String, Option<String>) {
    (ns.to_string(), name.map(String::from))
}

/// Puts ccsig's line into `plus:OtherConstraints`: after the default
/// item's text (only the added bytes are spliced in), in a new `x-default`
/// item when the alternative has none, or in a new property.
fn constraints_apply(
    parsed: &rdf::Packet,
    existing: &[(String, String)],
    ours: &str,
    edit: &mut rdf::Edit,
) -> Result<(), MappingError> {
    let x_default = |text: &str| Item {
        lang: Some("x-default".into()),
        text: text.to_string(),
    };
    let Some(property) = parsed.property(NS_PLUS, "OtherConstraints") else {
        edit.add.push(constraints_property(vec![x_default(ours)]));
        return Ok(());
    };
    if let Some(i) = default_position(existing) {
        let old = &existing[i].1;
        let slot = property
            .item_slot(i)
            .ok_or_else(|| MappingError::XmpForm("plus:OtherConstraints".into()))?;
        let merged = constraints::merge_text(Some(old), ours);
        edit.splice.push(match merged.strip_prefix(old.as_str()) {
            Some(added) => rdf::append(slot, added),
            None => rdf::replace(slot, &merged),
        });
        return Ok(());
    }
    match (&property.array, &property.value) {
        // An item ccsig cannot read might be the default: a new x-default
        // beside it would make two.
        (Some(array), _) if array.li_count > array.items.len() => {
            return Err(MappingError::XmpForm("plus:OtherConstraints".into()))
        }
        (Some(array), _) => edit
            .splice
            .push(rdf::insert_first_item(array, "x-default", ours)),
        // A simple value in one language: it becomes that language's item
        // of an alternative whose default is ccsig's line.
        (None, Value::Simple(_)) => {
            edit.cut.push(cut(NS_PLUS, Some("OtherConstraints")));
            let mut items = vec![x_default(ours)];
            items.extend(property.items());
            edit.add.push(constraints_property(items));
        }
        _ => return Err(MappingError::XmpForm("plus:OtherConstraints".into())),
    }
    Ok(())
}

/// Merges a tag into a packet (or a new packet when there is none) and
/// returns the new packet. Every other property is kept byte for byte.
pub fn apply(packet: Option<&[u8]>, tag: &Tag) -> Result<String, MappingError> {
    merge(packet, tag, false)
}

/// [`apply`] for a packet inside an image, which ccsig gives room for
/// later edits in place: at least [`rdf::PADDING`] bytes of padding and a
/// trailer that allows them (`end="w"`), so that a re-tag can overwrite
/// the packet instead of copying the file. When another tool's packet
/// needed that, its own padding and trailer are recorded
/// (`ccsig:packetTrailerBeforeCcsig`) and [`remove`] puts them back.
pub fn apply_with_room(packet: Option<&[u8]>, tag: &Tag) -> Result<String, MappingError> {
    merge(packet, tag, true)
}

fn merge(packet: Option<&[u8]>, tag: &Tag, room: bool) -> Result<String, MappingError> {
    let text = match packet {
        Some(p) => rdf::packet_text(p)?,
        None => rdf::empty_packet().into(),
    };
    let parsed = rdf::parse(&text)?;
    let fields = fields_of(&parsed);
    let mirrors = mirrors_for(&tag.expression);
    let ours_before = fields.expression.as_deref().map(mirrors_for);
    let mut replaced = fields.replaced.clone();
    if room && packet.is_some() && replaced.packet_end.is_none() {
        replaced.packet_end = rdf::end_short_of_room(&text, rdf::PADDING).map(str::to_string);
    }
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
        // One existing value is replaced where it is, in its own form
        // (qualifiers stay); stray duplicates give way to a fresh one.
        match parsed.all(NS_PLUS, "DataMining").as_slice() {
            [rdf::Property {
                value: Value::Simple(_),
                slot: Some(slot),
                ..
            }] => {
                if fields.data_mining.as_ref() != Some(dm) {
                    edit.splice.push(rdf::replace(slot, dm));
                }
            }
            _ => {
                edit.cut.push(cut(NS_PLUS, Some("DataMining")));
                edit.add.push(simple(NS_PLUS, "plus", "DataMining", dm));
            }
        }
    }
    // Someone else's text is only recorded when ccsig's merge drops part of
    // it (an expression line of theirs): a line ccsig merely appended comes
    // out byte for byte without a record.
    if let Some(old) = fields.other_constraints_default() {
        let holds_our_line = ours_before
            .as_ref()
            .is_some_and(|m| constraints::holds_line(old, &m.other_constraints));
        let merged = constraints::merge_text(Some(old), &mirrors.other_constraints);
        let only_appended =
            constraints::without_line(&merged, &mirrors.other_constraints).as_deref() == Some(old);
        if !holds_our_line && !only_appended {
            replaced.other_constraints = Some(old.to_string());
        }
    }
    constraints_apply(
        &parsed,
        &fields.other_constraints,
        &mirrors.other_constraints,
        &mut edit,
    )?;
    if let Some(text) = &tag.replaced_special_instructions {
        replaced.special_instructions = Some(text.clone());
    }
    add_replaced(&mut edit, &replaced);
    let merged = rdf::edit(&text, &parsed, &edit).text;
    Ok(if room {
        rdf::pad(merged, rdf::PADDING)
    } else {
        merged
    })
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
        (PACKET_TRAILER, &replaced.packet_end),
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

/// Takes ccsig's line out of the default item of `plus:OtherConstraints`
/// (the inverse of [`constraints_apply`]): the item goes when nothing else
/// was in it, the property when it was its only item.
fn constraints_remove(
    text: &str,
    parsed: &rdf::Packet,
    existing: &[(String, String)],
    ours: &str,
    edit: &mut rdf::Edit,
) {
    let (Some(property), Some(i)) = (
        parsed.property(NS_PLUS, "OtherConstraints"),
        default_position(existing),
    ) else {
        return;
    };
    let old = &existing[i].1;
    if !constraints::holds_line(old, ours) {
        return;
    }
    let Some(slot) = property.item_slot(i) else {
        return;
    };
    match (constraints::without_line(old, ours), &property.array) {
        (Some(rest), _) => edit.splice.push(match old.strip_prefix(rest.as_str()) {
            Some(removed) => rdf::cut_suffix(text, slot, old, removed),
            None => rdf::replace(slot, &rest),
        }),
        (None, Some(array)) if array.li_count > 1 => {
            let item = &array.items[i];
            edit.splice.push(match item.plain {
                true => (item.span.clone(), String::new()),
                false => rdf::replace(slot, ""),
            });
        }
        (None, _) => edit.cut.push(cut(NS_PLUS, Some("OtherConstraints"))),
    }
}

/// Puts back the default text of `plus:OtherConstraints` that apply
/// replaced (`ccsig:replacedOtherConstraints`), in its item, when the item
/// still holds exactly what ccsig made of it. `false`: someone edited it
/// since (or its form cannot be spliced), and only ccsig's line comes out.
fn constraints_restore(
    parsed: &rdf::Packet,
    existing: &[(String, String)],
    old: &str,
    mirrors: &Mirrors,
    edit: &mut rdf::Edit,
) -> bool {
    let (Some(property), Some(i)) = (
        parsed.property(NS_PLUS, "OtherConstraints"),
        default_position(existing),
    ) else {
        return false;
    };
    if constraints::merge_text(Some(old), &mirrors.other_constraints) != existing[i].1 {
        return false;
    }
    let Some(slot) = property.item_slot(i) else {
        return false;
    };
    edit.splice.push(rdf::replace(slot, old));
    true
}

/// Takes ccsig's namespace out of a packet, and each mirror that still holds
/// the value ccsig wrote for the expression being removed.
pub fn remove(packet: &[u8]) -> Result<Removal, MappingError> {
    let text = rdf::packet_text(packet)?;
    let parsed = rdf::parse(&text)?;
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
            // Put back where apply replaced it, in its own form (the
            // inverse of apply's splice).
            match (
                &replaced.data_mining,
                parsed.all(NS_PLUS, "DataMining").as_slice(),
            ) {
                (
                    Some(old),
                    [rdf::Property {
                        value: Value::Simple(_),
                        slot: Some(slot),
                        ..
                    }],
                ) => edit.splice.push(rdf::replace(slot, old)),
                (Some(old), _) => {
                    edit.cut.push(cut(NS_PLUS, Some("DataMining")));
                    edit.add.push(simple(NS_PLUS, "plus", "DataMining", old));
                }
                (None, _) => edit.cut.push(cut(NS_PLUS, Some("DataMining"))),
            }
        }
        let restored = replaced.other_constraints.as_deref().is_some_and(|old| {
            constraints_restore(&parsed, &fields.other_constraints, old, &mirrors, &mut edit)
        });
        if !restored {
            constraints_remove(
                &text,
                &parsed,
                &fields.other_constraints,
                &mirrors.other_constraints,
                &mut edit,
            );
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
    let edited = rdf::edit(&text, &parsed, &edit);
    if edited.property_count == 0 {
        return Ok(Removal::Empty);
    }
    Ok(Removal::Packet(match &replaced.packet_end {
        Some(end) => rdf::with_end(edited.text, end),
        None => edited.text,
    }))
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

    /// Every property `fields_of` reads, in several forms (attribute,
    /// element, array, `rdf:value`), some twice, beside properties it does
    /// not read of the same namespaces.
    const EVERY_FIELD: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:ccsig="https://ns.ccsig.dev/xmp/1.0/" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
  xmlns:cc="http://creativecommons.org/ns#" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:tdm="http://www.w3.org/ns/tdmrep/"
  xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
  xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
  ccsig:expression="train-ai=n;exceptions=cc-cr" ccsig:signal="cc-cr" tdm:reservation="1" xmpMM:DocumentID="doc-1"
  xmpMM:InstanceID="inst" dc:format="image/jpeg" plus:ImageSupplierName="x" photoshop:Credit="Agency">
 <ccsig:creditName>Ada</ccsig:creditName><ccsig:creditURL>https://example.org/ada</ccsig:creditURL>
 <ccsig:mappingVersion>1</ccsig:mappingVersion><ccsig:replacedDataMining>old dm</ccsig:replacedDataMining>
 <ccsig:replacedOtherConstraints> old oc </ccsig:replacedOtherConstraints>
 <ccsig:replacedAttributionName>old an</ccsig:replacedAttributionName>
 <ccsig:replacedAttributionURL>old au</ccsig:replacedAttributionURL>
 <ccsig:replacedSpecialInstructions>old si</ccsig:replacedSpecialInstructions>
 <ccsig:replacedPacketEnd>&lt;?xpacket end='r'?&gt;</ccsig:replacedPacketEnd>
 <plus:DataMining rdf:resource="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT"/>
 <plus:OtherConstraints><rdf:Alt><rdf:li xml:lang="x-default">Content-Usage: train-ai=n;exceptions=cc-cr</rdf:li><rdf:li xml:lang="de">anders</rdf:li></rdf:Alt></plus:OtherConstraints>
 <cc:attributionName rdf:parseType="Resource"><rdf:value>Ada E.</rdf:value></cc:attributionName>
 <cc:attributionURL>https://example.org/</cc:attributionURL><cc:license rdf:resource="https://creativecommons.org/licenses/by/4.0/"/>
 <cc:morePermissions>m</cc:morePermissions>
 <dc:creator><rdf:Seq><rdf:li>Ada Example</rdf:li></rdf:Seq></dc:creator><dc:title><rdf:Alt><rdf:li xml:lang="x-default">T</rdf:li></rdf:Alt></dc:title>
 <tdm:policy>https://example.org/policy</tdm:policy>
 <xmpRights:UsageTerms><rdf:Alt><rdf:li xml:lang="en">Terms</rdf:li><rdf:li xml:lang="x-default">Default terms</rdf:li></rdf:Alt></xmpRights:UsageTerms>
 <xmpRights:WebStatement>https://example.org/terms</xmpRights:WebStatement><xmpRights:Marked>True</xmpRights:Marked>
 <xmpNote:HasExtendedXMP>0123456789ABCDEF0123456789ABCDEF</xmpNote:HasExtendedXMP>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:ccsig="https://ns.ccsig.dev/xmp/1.0/" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
  ccsig:expression="train-ai=y" plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-ALLOWED"/>
</rdf:RDF></x:xmpmeta>"#;

    /// What `fields_of` makes of the whole packet, every property listed.
    fn fields_of_every_property(packet: &[u8]) -> Result<XmpFields, MappingError> {
        let text = rdf::packet_text(packet)?;
        Ok(fields_of(&rdf::parse(&text)?))
    }

    #[test]
    fn reading_lists_only_the_fields_and_reads_the_same() {
        let every = read_fields(EVERY_FIELD.as_bytes()).unwrap();
        assert_eq!(
            every,
            fields_of_every_property(EVERY_FIELD.as_bytes()).unwrap()
        );
        // Every field is filled, so none is left out of `read_by_fields_of`
        // unnoticed.
        let debug = format!("{every:?}");
        assert!(!debug.contains("None"), "{debug}");
        assert_eq!(
            every.expression.as_deref(),
            Some("train-ai=n;exceptions=cc-cr")
        );
        assert_eq!(every.other_constraints.len(), 2);
        let mut packets: Vec<Vec<u8>> = vec![
            RICH.as_bytes().to_vec(),
            apply(Some(RICH.as_bytes()), &tag()).unwrap().into_bytes(),
        ];
        // Every packet of the sample images, and each with a tag applied.
        let mut dirs = vec![std::path::PathBuf::from("sample-images")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let Ok(file) = std::fs::File::open(&path) else {
                    continue;
                };
                let Ok(layout) =
                    crate::container::scan(&mut crate::container::PositionedFile::new(&file))
                else {
                    continue;
                };
                if let Some(xmp) = layout.xmp() {
                    if let Ok(tagged) = apply(Some(xmp), &tag()) {
                        packets.push(tagged.into_bytes());
                    }
                    packets.push(xmp.to_vec());
                }
            }
        }
        assert!(packets.len() > 10, "{}", packets.len());
        for bytes in &packets {
            let shown = String::from_utf8_lossy(bytes);
            match (read_fields(bytes), fields_of_every_property(bytes)) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{shown}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("{a:?} vs {b:?} for {shown}"),
            }
        }
    }

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
        // Replaced where it is, in its own (attribute) form.
        assert_eq!(out.matches("plus:DataMining").count(), 1, "{out}");
        assert!(out.contains(
            "plus:DataMining=\"http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT\""
        ));
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
        // remove splices the replaced value back where it was.
        let Removal::Packet(back) = remove(out.as_bytes()).unwrap() else {
            panic!("expected a packet");
        };
        assert_eq!(back, packet, "byte for byte");
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

    fn wrap(body: &str) -> String {
        format!(
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" xmlns:foo="http://example.org/foo/"{body}
</rdf:RDF></x:xmpmeta>"#
        )
    }

    /// Apply then remove gives back exactly the packet (ccsig's own
    /// description and line come out, the rest was never touched).
    fn apply_and_remove_restore(packet: &str) -> String {
        let out = apply(Some(packet.as_bytes()), &tag()).unwrap();
        assert!(holds_tag(&read_fields(out.as_bytes()).unwrap(), &tag()));
        let Removal::Packet(back) = remove(out.as_bytes()).unwrap() else {
            panic!("expected a packet");
        };
        assert_eq!(back, packet, "byte for byte");
        out
    }

    #[test]
    fn constraints_in_attribute_form_keep_their_line_breaks() {
        let packet = wrap(" plus:OtherConstraints='One&#xD;&#xA;&#xA;two.'/>");
        let before = read_fields(packet.as_bytes()).unwrap();
        assert_eq!(before.other_constraints_default(), Some("One\r\n\ntwo."));
        let out = apply_and_remove_restore(&packet);
        let f = read_fields(out.as_bytes()).unwrap();
        let want = format!(
            "One\r\n\ntwo.\n{}",
            mirrors_for(&tag().expression).other_constraints
        );
        assert_eq!(f.other_constraints_default(), Some(want.as_str()));
    }

    #[test]
    fn qualified_items_keep_their_qualifiers() {
        let packet = wrap(
            r#">
  <plus:OtherConstraints><rdf:Alt><rdf:li xml:lang="x-default"><rdf:Description><rdf:value>Editorial only.</rdf:value><foo:source>agency</foo:source></rdf:Description></rdf:li></rdf:Alt></plus:OtherConstraints>
  <plus:DataMining rdf:parseType="Resource"><rdf:value>http://ns.useplus.org/ldf/vocab/DMI-ALLOWED</rdf:value><foo:source>agency</foo:source></plus:DataMining>
 </rdf:Description>"#,
        );
        let f = read_fields(packet.as_bytes()).unwrap();
        assert_eq!(f.other_constraints_default(), Some("Editorial only."));
        assert_eq!(
            f.data_mining.as_deref(),
            Some("http://ns.useplus.org/ldf/vocab/DMI-ALLOWED")
        );
        let out = apply(Some(packet.as_bytes()), &tag()).unwrap();
        assert_eq!(out.matches("<foo:source>agency</foo:source>").count(), 2);
        assert_eq!(
            out.matches("<plus:DataMining").count(),
            1,
            "one element: {out}"
        );
        assert!(out.contains(
            "<rdf:value>http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT</rdf:value>"
        ));
    }

    #[test]
    fn a_value_with_qualifiers_as_attributes_is_read_and_replaced_in_place() {
        let packet = wrap(
            r#">
  <plus:DataMining rdf:value="http://ns.useplus.org/ldf/vocab/DMI-ALLOWED" foo:source="agency"/>
 </rdf:Description>"#,
        );
        let f = read_fields(packet.as_bytes()).unwrap();
        assert_eq!(
            f.data_mining.as_deref(),
            Some("http://ns.useplus.org/ldf/vocab/DMI-ALLOWED")
        );
        let out = apply(Some(packet.as_bytes()), &tag()).unwrap();
        assert!(out.contains(
            "<plus:DataMining rdf:value=\"http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT\" foo:source=\"agency\"/>"
        ), "{out}");
        // A struct without rdf:value is not a text ccsig can extend.
        let structure = wrap(
            r#">
  <plus:OtherConstraints foo:source="agency"/>
 </rdf:Description>"#,
        );
        assert!(read_fields(structure.as_bytes())
            .unwrap()
            .other_constraints
            .is_empty());
        assert!(matches!(
            apply(Some(structure.as_bytes()), &tag()),
            Err(MappingError::XmpForm(_))
        ));
    }

    #[test]
    fn an_unreadable_item_is_never_doubled_by_a_new_default() {
        let packet = wrap(
            r#">
  <plus:OtherConstraints><rdf:Alt><rdf:li rdf:parseType="Resource"><foo:a>1</foo:a></rdf:li></rdf:Alt></plus:OtherConstraints>
 </rdf:Description>"#,
        );
        assert!(matches!(
            apply(Some(packet.as_bytes()), &tag()),
            Err(MappingError::XmpForm(_))
        ));
        let structure = wrap(
            r#">
  <plus:OtherConstraints rdf:parseType="Resource"><foo:a>1</foo:a></plus:OtherConstraints>
 </rdf:Description>"#,
        );
        assert!(matches!(
            apply(Some(structure.as_bytes()), &tag()),
            Err(MappingError::XmpForm(_))
        ));
    }

    #[test]
    fn padding_gives_way_only_as_far_as_needed() {
        let packet = format!("{}\n{}<?xpacket end=\"w\"?>", wrap("/>"), " ".repeat(3000));
        let out = apply(Some(packet.as_bytes()), &tag()).unwrap();
        let limit = packet.len() + 100;
        assert!(out.len() > limit);
        let fitted = fit(out.clone(), limit);
        assert_eq!(fitted.len(), limit);
        assert_eq!(
            read_fields(fitted.as_bytes()).unwrap(),
            read_fields(out.as_bytes()).unwrap()
        );
        // Not enough padding: as small as it gets, the container refuses.
        let tight = fit(out.clone(), 10);
        assert!(
            tight.ends_with(">\n<?xpacket end=\"w\"?>")
                || tight.ends_with("><?xpacket end=\"w\"?>")
        );
    }

    #[test]
    fn utf16_declaration_becomes_utf8() {
        let text = format!("<?xml version='1.0' encoding='UTF-16'?>{}", wrap("/>"));
        let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(rdf::is_utf16(&bytes));
        let out = apply(Some(&bytes), &tag()).unwrap();
        assert!(
            out.starts_with("<?xml version='1.0' encoding='UTF-8'?>"),
            "{out}"
        );
        assert!(rewrite_note(Some(&bytes)).is_some());
        assert_eq!(rewrite_note(Some(out.as_bytes())), None);
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
                packet_end: None,
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
    fn a_read_only_packet_gets_room_and_remove_gives_back_its_end() {
        // As ExifTool writes a PNG's packet: no padding, `end='r'`.
        let original = format!(
            "<?xpacket begin='\u{feff}' id='W5M0MpCehiHzreSzNTczkc9d'?>\n{FOREIGN}\n<?xpacket end='r'?>"
        );
        let out = apply_with_room(Some(original.as_bytes()), &tag()).unwrap();
        assert!(out.ends_with("<?xpacket end=\"w\"?>"), "{out}");
        assert!(
            rdf::end_short_of_room(&out, rdf::PADDING).is_none(),
            "{out}"
        );
        let applied = read_fields(out.as_bytes()).unwrap();
        assert_eq!(
            applied.replaced.packet_end.as_deref(),
            Some("\n<?xpacket end='r'?>")
        );
        // A re-tag keeps the record and fits in the room.
        let mut other = tag();
        other.expression = "train-ai=n;exceptions=cc-cr".into();
        let again = apply_with_room(Some(out.as_bytes()), &other).unwrap();
        assert_eq!(
            read_fields(again.as_bytes()).unwrap().replaced.packet_end,
            applied.replaced.packet_end
        );
        assert!(with_length(&again, out.len()).is_some());
        let Removal::Packet(back) = remove(again.as_bytes()).unwrap() else {
            panic!("expected a packet");
        };
        // Byte for byte what removing the tag gives without the room.
        let plain = apply(Some(original.as_bytes()), &other).unwrap();
        assert_eq!(Removal::Packet(back), remove(plain.as_bytes()).unwrap());
        assert!(out.contains("ccsig:packetTrailerBeforeCcsig"), "{out}");
        // The name older ccsig wrote is read, and a re-tag writes the new one.
        let older = out.replace("packetTrailerBeforeCcsig", "replacedPacketEnd");
        assert_eq!(
            read_fields(older.as_bytes()).unwrap().replaced.packet_end,
            applied.replaced.packet_end
        );
        let renamed = apply_with_room(Some(older.as_bytes()), &other).unwrap();
        assert!(!renamed.contains("replacedPacketEnd"), "{renamed}");
        assert_eq!(
            read_fields(renamed.as_bytes()).unwrap().replaced.packet_end,
            applied.replaced.packet_end
        );
        // A packet that has room of its own is not recorded.
        let made = apply_with_room(None, &tag()).unwrap();
        let retagged = apply_with_room(Some(made.as_bytes()), &other).unwrap();
        assert_eq!(
            read_fields(retagged.as_bytes())
                .unwrap()
                .replaced
                .packet_end,
            None
        );
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
    fn mangled_forms_are_errors_or_edits_never_panics() {
        let forms = [
            RICH.to_string(),
            wrap(" plus:OtherConstraints='One&#xD;&#xA;two.'/>"),
            wrap(
                r#">
  <plus:OtherConstraints><rdf:Bag><rdf:li xml:lang="X-Default" rdf:parseType="Resource"><rdf:value>A</rdf:value></rdf:li><rdf:li/></rdf:Bag></plus:OtherConstraints>
  <plus:DataMining><rdf:Description rdf:value="x"/></plus:DataMining>
 </rdf:Description>"#,
            ),
            format!(
                "<x:xmpmeta xmlns:x='adobe:ns:meta/'><RDF xmlns='{}'/></x:xmpmeta>",
                rdf::NS_RDF
            ),
        ];
        for form in &forms {
            let bytes = form.as_bytes();
            for cut in 0..bytes.len() {
                for mangled in [
                    bytes[..cut].to_vec(),
                    [&bytes[..cut], b"<", &bytes[cut + 1..]].concat(),
                    [&bytes[..cut], b"/>", &bytes[cut..]].concat(),
                ] {
                    let _ = read_fields(&mangled);
                    if let Ok(out) = apply(Some(&mangled), &tag()) {
                        // What parsed before parses after, holding the tag.
                        let back = read_fields(out.as_bytes());
                        assert!(
                            back.as_ref().is_ok_and(|f| holds_tag(f, &tag())),
                            "{back:?}\n{}\n->\n{out}",
                            String::from_utf8_lossy(&mangled)
                        );
                        if let Ok(Removal::Packet(p)) = remove(out.as_bytes()) {
                            let f = read_fields(p.as_bytes()).unwrap();
                            assert!(!f.has_ccsig(), "{p}");
                        }
                    }
                    let _ = remove(&mangled);
                }
            }
        }
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
