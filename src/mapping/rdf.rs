//! A minimal RDF/XML view of an XMP packet, and edits made by splicing the
//! packet's own bytes.
//!
//! Why not re-serialize through an XMP library: the Adobe XMP Toolkit
//! (crate `xmp_toolkit` 1.12.1) copies the `x-default` text over the other
//! item of a language alternative that has exactly two items, at parse
//! time (`dc:title` "Hafen" (de) comes back as "Harbour"); see
//! `docs/architecture.md`. Splicing keeps every byte ccsig does not own
//! exactly as it was: formatting, comments, namespaces, unknown properties,
//! qualifiers, padding.
//!
//! Forms read (what XMP allows and other writers produce): simple
//! values as elements, attributes, `rdf:resource`, or `rdf:value` inside
//! `rdf:parseType="Resource"` or a nested `rdf:Description` (qualified
//! values); arrays (`rdf:Alt`, `rdf:Bag`, `rdf:Seq`) whose items may be
//! qualified the same way; `xml:lang` on items, on `rdf:value` or on a
//! simple property; RDF bound to any prefix or to the default namespace; a
//! self-closing `rdf:RDF`; UTF-8 or UTF-16 packets.

use std::borrow::Cow;
use std::ops::Range;

use roxmltree::{Document, Node, ParsingOptions};

use super::MappingError;

pub const NS_RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";

/// One item of an XMP array (`rdf:li`), with its language if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub lang: Option<String>,
    pub text: String,
}

/// The value of a top-level XMP property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Simple(String),
    Array(Vec<Item>),
    /// A struct or anything else ccsig does not read.
    Other,
}

impl Value {
    /// The simple value, or the first item of an array.
    pub fn first_text(&self) -> Option<&str> {
        match self {
            Value::Simple(s) => Some(s),
            Value::Array(items) => items.first().map(|i| i.text.as_str()),
            Value::Other => None,
        }
    }
}

/// Where a value's text sits in the packet, so that it can be replaced
/// without touching a byte around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Between an element's start and end tags (possibly empty).
    Content(Range<usize>),
    /// An empty element written `<name .../>`: where `/>` is, and the name
    /// its end tag needs.
    SelfClosing { close: Range<usize>, qname: String },
    /// An attribute's value, without the quotes.
    Attribute(Range<usize>),
}

/// Where one array item is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemPlace {
    /// The whole `rdf:li`, with the white space before it.
    pub span: Range<usize>,
    /// Its text (the `rdf:li` content, or its `rdf:value`).
    pub slot: Slot,
    /// Whether the item is just text (no qualifiers that cutting it would lose).
    pub plain: bool,
}

/// Where an array's container and items are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayPlace {
    /// The container's content (where a new first item goes).
    content: Slot,
    /// The qualified name items of this container are written with.
    li_qname: String,
    /// The items ccsig reads, in the order of [`Value::Array`].
    pub items: Vec<ItemPlace>,
    /// Every `rdf:li`, read or not.
    pub li_count: usize,
}

/// One top-level property and where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub ns: String,
    pub name: String,
    pub value: Value,
    /// The language of a simple value (`xml:lang` on the property element
    /// or on its `rdf:value`).
    pub lang: Option<String>,
    /// Bytes to cut to remove the property: the element, or the attribute
    /// (with the white space before it).
    pub span: Range<usize>,
    /// Where a simple value's text is.
    pub slot: Option<Slot>,
    /// Where an array's items are.
    pub array: Option<ArrayPlace>,
}

impl Property {
    /// The value as items: one for a simple value (with its language),
    /// every readable item of an array, none for a struct.
    pub fn items(&self) -> Vec<Item> {
        match &self.value {
            Value::Simple(s) => vec![Item {
                lang: self.lang.clone(),
                text: s.clone(),
            }],
            Value::Array(items) => items.clone(),
            Value::Other => vec![],
        }
    }

    /// Where the text of item `index` of [`Property::items`] is.
    pub fn item_slot(&self, index: usize) -> Option<&Slot> {
        match &self.array {
            Some(array) => array.items.get(index).map(|i| &i.slot),
            None if index == 0 => self.slot.as_ref(),
            None => None,
        }
    }
}

/// Where a new `rdf:Description` goes: before `</rdf:RDF>`, or in place of
/// the `/>` of a self-closing `<rdf:RDF .../>` (which then gets an end tag).
#[derive(Debug, Clone)]
struct Insertion {
    at: Range<usize>,
    open: &'static str,
    close: String,
}

/// A parsed packet: its properties and where new ones can go.
#[derive(Debug, Clone)]
pub struct Packet {
    pub properties: Vec<Property>,
    insertion: Insertion,
    /// Prefix bound to the RDF namespace on `rdf:RDF` (empty: the default
    /// namespace).
    rdf_prefix: String,
    /// `rdf:about` of the existing descriptions (XMP requires them equal).
    about: String,
    /// `rdf:Description` elements all of whose properties are listed, with
    /// their span, so that one left empty can be cut whole.
    descriptions: Vec<(Range<usize>, Vec<usize>)>,
}

fn options<'a>() -> ParsingOptions<'a> {
    ParsingOptions {
        // XMP forbids DTDs, and refusing them closes the door on entity
        // expansion attacks from hostile files.
        allow_dtd: false,
        nodes_limit: 1_000_000,
        ..ParsingOptions::default()
    }
}

/// The byte order of a UTF-16 packet (`true`: big-endian), from its byte
/// order mark or from the NUL beside its first ASCII character.
fn utf16_order(bytes: &[u8]) -> Option<bool> {
    match bytes {
        [0xFE, 0xFF, ..] => Some(true),
        [0xFF, 0xFE, ..] => Some(false),
        [0, b, ..] if *b != 0 => Some(true),
        [b, 0, ..] if *b != 0 => Some(false),
        _ => None,
    }
}

/// Whether a packet is stored as UTF-16 (ccsig reads it, and writes UTF-8).
pub fn is_utf16(bytes: &[u8]) -> bool {
    utf16_order(bytes).is_some()
}

/// The packet text, without the NUL padding some writers leave. UTF-16
/// packets are decoded (without their byte order mark, with an XML
/// declaration that now says UTF-8, as the text will be written back).
pub fn packet_text(bytes: &[u8]) -> Result<Cow<'_, str>, MappingError> {
    if let Some(big_endian) = utf16_order(bytes) {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| {
                let pair = [pair[0], pair[1]];
                if big_endian {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            })
            .collect();
        let text = String::from_utf16(&units).map_err(|_| MappingError::XmpEncoding)?;
        let text = text.trim_start_matches('\u{feff}').trim_end_matches('\0');
        return Ok(Cow::Owned(declare_utf8(text)));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| MappingError::XmpEncoding)?;
    Ok(Cow::Borrowed(text.trim_end_matches('\0')))
}

/// The text with the encoding of its XML declaration, if it has one, set
/// to UTF-8.
fn declare_utf8(text: &str) -> String {
    let declaration = match text.find("?>") {
        Some(end) if text.starts_with("<?xml") => &text[..end],
        _ => return text.to_string(),
    };
    let Some(at) = declaration.find("encoding") else {
        return text.to_string();
    };
    let after = &declaration[at..];
    let Some(open) = after.find(['"', '\'']) else {
        return text.to_string();
    };
    let quote = &after[open..=open];
    let Some(len) = after[open + 1..].find(quote) else {
        return text.to_string();
    };
    let start = at + open + 1;
    format!("{}UTF-8{}", &text[..start], &text[start + len..])
}

fn is_rdf(node: &Node, name: &str) -> bool {
    node.is_element()
        && node.tag_name().namespace() == Some(NS_RDF)
        && node.tag_name().name() == name
}

fn element_text(node: &Node) -> String {
    node.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect()
}

fn lang_of(node: &Node) -> Option<String> {
    node.attribute((NS_XML, "lang")).map(String::from)
}

/// The qualified name of an element as written in the packet.
fn qname_of(text: &str, node: &Node) -> String {
    let tag = &text[node.range().start + 1..node.range().end];
    let end = tag
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(tag.len());
    tag[..end].to_string()
}

/// Where an element's content is.
fn content_slot(text: &str, node: &Node) -> Slot {
    let range = node.range();
    let raw = &text[range.clone()];
    if node.first_child().is_none() && raw.ends_with("/>") {
        return Slot::SelfClosing {
            close: range.end - 2..range.end,
            qname: qname_of(text, node),
        };
    }
    let end = range.start + raw.rfind("</").unwrap_or(raw.len());
    let start = node.first_child().map_or(end, |c| c.range().start);
    Slot::Content(start..end)
}

/// A simple value: its text, language, place, and whether it is unqualified.
struct Simple {
    text: String,
    lang: Option<String>,
    slot: Slot,
    plain: bool,
}

/// Reads a property element or an `rdf:li` as a simple value, qualified
/// or not; `None` for an array or a struct.
fn simple_of(text: &str, node: &Node) -> Option<Simple> {
    let own_lang = lang_of(node);
    if let Some(attr) = node
        .attributes()
        .find(|a| a.namespace() == Some(NS_RDF) && a.name() == "resource")
    {
        return Some(Simple {
            text: attr.value().to_string(),
            lang: own_lang,
            slot: Slot::Attribute(attr.range_value()),
            plain: true,
        });
    }
    let elements: Vec<Node> = node.children().filter(|c| c.is_element()).collect();
    // Attributes that are properties (`rdf:value`, qualifiers) make the
    // element a resource in its shorthand form.
    let property_attributes = node.attributes().any(|a| {
        a.namespace().is_some_and(|ns| ns != NS_XML)
            && !(a.namespace() == Some(NS_RDF) && a.name() != "value")
    });
    let holder = if node.attribute((NS_RDF, "parseType")) == Some("Resource") || property_attributes
    {
        *node
    } else {
        match elements.as_slice() {
            [] => {
                return Some(Simple {
                    text: element_text(node),
                    lang: own_lang,
                    slot: content_slot(text, node),
                    plain: true,
                })
            }
            [description] if is_rdf(description, "Description") => *description,
            _ => return None,
        }
    };
    // A qualified value: the text is `rdf:value`, the rest are qualifiers.
    if let Some(value) = holder.children().find(|c| is_rdf(c, "value")) {
        if value.children().any(|c| c.is_element()) {
            return None;
        }
        return Some(Simple {
            text: element_text(&value),
            lang: own_lang
                .or_else(|| lang_of(&value))
                .or_else(|| lang_of(&holder)),
            slot: content_slot(text, &value),
            plain: false,
        });
    }
    let attr = holder
        .attributes()
        .find(|a| a.namespace() == Some(NS_RDF) && a.name() == "value")?;
    Some(Simple {
        text: attr.value().to_string(),
        lang: own_lang.or_else(|| lang_of(&holder)),
        slot: Slot::Attribute(attr.range_value()),
        plain: false,
    })
}

/// A property element's value and where its parts are.
fn value_of(text: &str, node: &Node) -> (Value, Option<String>, Option<Slot>, Option<ArrayPlace>) {
    if let Some(simple) = simple_of(text, node) {
        return (
            Value::Simple(simple.text),
            simple.lang,
            Some(simple.slot),
            None,
        );
    }
    let elements: Vec<Node> = node.children().filter(|c| c.is_element()).collect();
    match elements.as_slice() {
        [container]
            if is_rdf(container, "Alt") || is_rdf(container, "Seq") || is_rdf(container, "Bag") =>
        {
            let lis: Vec<Node> = container.children().filter(|c| is_rdf(c, "li")).collect();
            let mut items = Vec::new();
            let mut places = Vec::new();
            for li in &lis {
                if let Some(simple) = simple_of(text, li) {
                    items.push(Item {
                        lang: simple.lang,
                        text: simple.text,
                    });
                    places.push(ItemPlace {
                        span: with_leading_space(text, li.range()),
                        slot: simple.slot,
                        plain: simple.plain,
                    });
                }
            }
            let container_qname = qname_of(text, container);
            let li_qname = match container_qname.split_once(':') {
                Some((prefix, _)) => format!("{prefix}:li"),
                None => "li".to_string(),
            };
            let array = ArrayPlace {
                content: content_slot(text, container),
                li_qname,
                items: places,
                li_count: lis.len(),
            };
            (Value::Array(items), None, None, Some(array))
        }
        _ => (Value::Other, None, None, None),
    }
}

/// Extends a span back over the white space before it on its line, and
/// the line break, so that cutting it leaves no blank line behind.
fn with_leading_space(text: &str, span: Range<usize>) -> Range<usize> {
    let before = &text[..span.start];
    let trimmed = before.trim_end_matches([' ', '\t']);
    let trimmed = trimmed
        .strip_suffix("\r\n")
        .or_else(|| trimmed.strip_suffix('\n'))
        .unwrap_or(trimmed);
    trimmed.len()..span.end
}

/// Parses a packet into its top-level properties.
pub fn parse(text: &str) -> Result<Packet, MappingError> {
    parse_keeping(text, |_, _| true)
}

/// `text` as the XML parser is given it: in the packet's `<?xpacket ...?>`
/// header, each character XML forbids (some writers put a control
/// character in `begin=` where the byte-order mark belongs) becomes as many
/// spaces as it has bytes, so that every offset stays that of `text`.
/// ExifTool reads such packets; ccsig reads them too, and writes the
/// header back as it was.
///
/// ```
/// use ccsig::internals::mapping::rdf::with_xml_header_chars;
/// let text = "<?xpacket begin=\"\u{1}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x/>";
/// assert_eq!(with_xml_header_chars(text), text.replace('\u{1}', " "));
/// assert_eq!(with_xml_header_chars("<x>\u{1}</x>"), "<x>\u{1}</x>"); // only the header
/// ```
pub fn with_xml_header_chars(text: &str) -> Cow<'_, str> {
    let forbidden = |c: char| {
        ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
            || matches!(c, '\u{fffe}' | '\u{ffff}')
    };
    let head = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let start = text.len() - head.len();
    if !head.starts_with("<?xpacket") {
        return Cow::Borrowed(text);
    }
    let Some(end) = head.find("?>").map(|e| start + e) else {
        return Cow::Borrowed(text);
    };
    if !text[start..end].chars().any(forbidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    for c in text[start..end].chars() {
        if forbidden(c) {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out.push_str(&text[end..]);
    Cow::Owned(out)
}

/// [`parse`], listing only the properties `keep(namespace, name)` wants
/// (the others are checked as XML all the same, but not read): for
/// readers that look up a few properties by name, which find the same
/// first property of each name either way. Not for editing: the packet's
/// descriptions list only the kept properties.
pub fn parse_keeping(
    text: &str,
    keep: impl Fn(&str, &str) -> bool,
) -> Result<Packet, MappingError> {
    // Offsets into the parsed copy are offsets into `text`: what is edited
    // is always the packet's own bytes.
    let parsed = with_xml_header_chars(text);
    let doc = Document::parse_with_options(&parsed, options())
        .map_err(|e| MappingError::XmpParse(e.to_string()))?;
    let rdf = doc
        .descendants()
        .find(|n| is_rdf(n, "RDF"))
        .ok_or_else(|| MappingError::XmpParse("no rdf:RDF element".into()))?;
    let rdf_qname = qname_of(text, &rdf);
    let rdf_prefix = rdf_qname
        .split_once(':')
        .map_or("", |(prefix, _)| prefix)
        .to_string();
    let range = rdf.range();
    let raw = &text[range.clone()];
    let insertion = if rdf.first_child().is_none() && raw.ends_with("/>") {
        Insertion {
            at: range.end - 2..range.end,
            open: ">\n",
            close: format!("</{rdf_qname}>"),
        }
    } else {
        let at = range.start
            + raw
                .rfind("</")
                .ok_or_else(|| MappingError::XmpParse("rdf:RDF has no end tag".into()))?;
        Insertion {
            at: at..at,
            open: "",
            close: String::new(),
        }
    };
    let mut properties = Vec::new();
    let mut descriptions = Vec::new();
    let mut about = String::new();
    for desc in rdf.children().filter(|n| is_rdf(n, "Description")) {
        if let Some(a) = desc.attribute((NS_RDF, "about")) {
            about = a.to_string();
        }
        let mut members = Vec::new();
        for attr in desc.attributes() {
            let Some(ns) = attr.namespace() else { continue };
            if ns == NS_RDF || ns == NS_XML || !keep(ns, attr.name()) {
                continue;
            }
            members.push(properties.len());
            properties.push(Property {
                ns: ns.to_string(),
                name: attr.name().to_string(),
                value: Value::Simple(attr.value().to_string()),
                lang: None,
                span: with_leading_space(text, attr.range()),
                slot: Some(Slot::Attribute(attr.range_value())),
                array: None,
            });
        }
        for prop in desc.children().filter(|c| c.is_element()) {
            let Some(ns) = prop.tag_name().namespace() else {
                continue;
            };
            if !keep(ns, prop.tag_name().name()) {
                continue;
            }
            let (value, lang, slot, array) = value_of(text, &prop);
            members.push(properties.len());
            properties.push(Property {
                ns: ns.to_string(),
                name: prop.tag_name().name().to_string(),
                value,
                lang,
                span: with_leading_space(text, prop.range()),
                slot,
                array,
            });
        }
        descriptions.push((with_leading_space(text, desc.range()), members));
    }
    Ok(Packet {
        properties,
        insertion,
        rdf_prefix,
        about,
        descriptions,
    })
}

impl Packet {
    /// The first property of that name (XMP allows one).
    pub fn property(&self, ns: &str, name: &str) -> Option<&Property> {
        self.properties
            .iter()
            .find(|p| p.ns == ns && p.name == name)
    }

    pub fn get(&self, ns: &str, name: &str) -> Option<&Value> {
        self.property(ns, name).map(|p| &p.value)
    }

    /// Every property of that name (a packet may hold stray duplicates).
    pub fn all(&self, ns: &str, name: &str) -> Vec<&Property> {
        self.properties
            .iter()
            .filter(|p| p.ns == ns && p.name == name)
            .collect()
    }

    fn indices(&self, ns: &str, name: Option<&str>) -> Vec<usize> {
        (0..self.properties.len())
            .filter(|&i| {
                let p = &self.properties[i];
                p.ns == ns && name.is_none_or(|n| p.name == n)
            })
            .collect()
    }
}

/// A property to write, in ccsig's fixed prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProperty {
    pub ns: &'static str,
    pub prefix: &'static str,
    pub name: &'static str,
    pub value: Value,
}

/// What to change in a packet: properties to cut (by namespace, and by name
/// or every property of the namespace), properties to add, and bytes to
/// replace inside properties that stay (see [`replace`], [`append`],
/// [`cut_suffix`], [`insert_first_item`]).
#[derive(Debug, Default)]
pub struct Edit {
    pub cut: Vec<(String, Option<String>)>,
    pub add: Vec<NewProperty>,
    pub splice: Vec<Splice>,
}

/// Replace these bytes of the packet with this text.
pub type Splice = (Range<usize>, String);

/// Escapes text for element content. A carriage return is written as a
/// character reference: an XML parser turns a literal one into a line feed.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML parsers turn a literal CR into LF; a reference survives.
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for an attribute value in either quote, keeping the white
/// space an XML parser would otherwise normalize.
fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#xA;"),
            '\t' => out.push_str("&#x9;"),
            _ => out.push_str(&escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out
}

fn escape_for(slot: &Slot, text: &str) -> String {
    match slot {
        Slot::Attribute(_) => escape_attribute(text),
        _ => escape(text),
    }
}

/// Replaces a value's text.
pub fn replace(slot: &Slot, text: &str) -> Splice {
    match slot {
        Slot::Content(range) | Slot::Attribute(range) => (range.clone(), escape_for(slot, text)),
        Slot::SelfClosing { close, qname } => {
            (close.clone(), format!(">{}</{qname}>", escape(text)))
        }
    }
}

/// Adds text at the end of a value, leaving the bytes already there as
/// they are.
pub fn append(slot: &Slot, text: &str) -> Splice {
    match slot {
        Slot::Content(range) | Slot::Attribute(range) => {
            (range.end..range.end, escape_for(slot, text))
        }
        Slot::SelfClosing { .. } => replace(slot, text),
    }
}

/// Takes `removed` off the end of a value whose text is `full`: only those
/// bytes when the packet holds them as [`append`] wrote them, else the
/// whole value is written again as `full` without them.
pub fn cut_suffix(packet: &str, slot: &Slot, full: &str, removed: &str) -> Splice {
    let kept = &full[..full.len() - removed.len().min(full.len())];
    if let Slot::Content(range) | Slot::Attribute(range) = slot {
        let written = escape_for(slot, removed);
        if packet[range.clone()].ends_with(&written) {
            return (range.end - written.len()..range.end, String::new());
        }
    }
    replace(slot, kept)
}

/// A new first item of an array, with a language.
pub fn insert_first_item(array: &ArrayPlace, lang: &str, text: &str) -> Splice {
    let li = &array.li_qname;
    let item = format!(
        "<{li} xml:lang=\"{}\">{}</{li}>",
        escape_attribute(lang),
        escape(text)
    );
    match &array.content {
        Slot::Content(range) | Slot::Attribute(range) => (range.start..range.start, item),
        Slot::SelfClosing { close, qname } => (close.clone(), format!(">{item}</{qname}>")),
    }
}

fn render_description(packet: &Packet, add: &[NewProperty]) -> String {
    // RDF in the default namespace: ccsig's description binds a prefix of
    // its own, since `rdf:about` must be a qualified attribute.
    let (rdf, bind_rdf) = match packet.rdf_prefix.as_str() {
        "" => ("rdf", true),
        prefix => (prefix, false),
    };
    let mut namespaces: Vec<(&str, &str)> = Vec::new();
    if bind_rdf {
        namespaces.push(("rdf", NS_RDF));
    }
    for p in add {
        if !namespaces.contains(&(p.prefix, p.ns)) {
            namespaces.push((p.prefix, p.ns));
        }
    }
    let mut s = format!(
        " <{rdf}:Description {rdf}:about=\"{}\"",
        escape_attribute(&packet.about)
    );
    for (prefix, ns) in namespaces {
        s.push_str(&format!("\n    xmlns:{prefix}=\"{ns}\""));
    }
    s.push_str(">\n");
    for p in add {
        let q = format!("{}:{}", p.prefix, p.name);
        match &p.value {
            Value::Simple(v) => s.push_str(&format!("  <{q}>{}</{q}>\n", escape(v))),
            Value::Array(items) => {
                s.push_str(&format!("  <{q}>\n   <{rdf}:Alt>\n"));
                for item in items {
                    match &item.lang {
                        Some(lang) => s.push_str(&format!(
                            "    <{rdf}:li xml:lang=\"{}\">{}</{rdf}:li>\n",
                            escape_attribute(lang),
                            escape(&item.text)
                        )),
                        None => s.push_str(&format!(
                            "    <{rdf}:li>{}</{rdf}:li>\n",
                            escape(&item.text)
                        )),
                    }
                }
                s.push_str(&format!("   </{rdf}:Alt>\n  </{q}>\n"));
            }
            Value::Other => {}
        }
    }
    s.push_str(&format!(" </{rdf}:Description>\n"));
    s
}

/// The result of an edit: the new packet, and how many properties it holds.
pub struct Edited {
    pub text: String,
    pub property_count: usize,
}

/// Applies an edit by splicing: cut spans go, splices replace their bytes,
/// the new description goes before `</rdf:RDF>`, every other byte stays as
/// it was.
pub fn edit(text: &str, packet: &Packet, edit: &Edit) -> Edited {
    let mut cut: Vec<usize> = edit
        .cut
        .iter()
        .flat_map(|(ns, name)| packet.indices(ns, name.as_deref()))
        .collect();
    cut.sort_unstable();
    cut.dedup();
    let mut changes: Vec<Splice> = edit.splice.clone();
    // A description whose every property is cut goes whole.
    let mut covered = vec![false; packet.properties.len()];
    for (span, members) in &packet.descriptions {
        if !members.is_empty() && members.iter().all(|m| cut.contains(m)) {
            changes.push((span.clone(), String::new()));
            for &m in members {
                covered[m] = true;
            }
        }
    }
    for &i in &cut {
        if !covered[i] {
            changes.push((packet.properties[i].span.clone(), String::new()));
        }
    }
    if !edit.add.is_empty() {
        let insertion = &packet.insertion;
        changes.push((
            insertion.at.clone(),
            format!(
                "{}{}{}",
                insertion.open,
                render_description(packet, &edit.add),
                insertion.close
            ),
        ));
    }
    changes.sort_by_key(|(range, _)| (range.start, range.end));
    let mut out = String::with_capacity(text.len() + 4096);
    let mut at = 0;
    for (range, replacement) in &changes {
        if range.start < at {
            continue; // inside a span already cut
        }
        out.push_str(&text[at..range.start]);
        out.push_str(replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    Edited {
        text: out,
        property_count: packet.properties.len() - cut.len() + edit.add.len(),
    }
}

/// Shortens the padding (the white space before `<?xpacket end`) so that
/// the packet holds at most `limit` bytes, as far as the padding allows:
/// padding is there to be used up by edits.
pub fn fit_padding(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let Some(padding) = padding_range(&text) else {
        return text;
    };
    let cut = (text.len() - limit).min(padding.len());
    let mut out = text;
    out.replace_range(padding.end - cut..padding.end, "");
    out
}

/// The padding ccsig gives every packet it writes into a file: 2 KB of
/// white space before the trailer, as Adobe's writers leave, so that a
/// later edit can be written over the old packet in place.
pub const PADDING: usize = 2048;

/// Where the padding is: the white space between the packet's content and
/// its trailer (`<?xpacket end`), if it has one.
fn padding_range(text: &str) -> Option<std::ops::Range<usize>> {
    let trailer = text.rfind("<?xpacket end")?;
    let start = text[..trailer]
        .trim_end_matches([' ', '\t', '\r', '\n'])
        .len();
    Some(start..trailer)
}

/// `len` bytes of padding: a line break, then lines of 99 spaces.
fn padding(len: usize) -> String {
    const LINE: &str = concat!(
        "\n",
        "                                                  ",
        "                                                 "
    );
    let mut out = String::with_capacity(len);
    while out.len() < len {
        out.push_str(&LINE[..LINE.len().min(len - out.len())]);
    }
    out
}

/// The packet with at least `min` bytes of padding and a trailer that
/// allows edits in place (`end="w"`), so that a later edit can be written
/// into it; a packet without a trailer is returned as it is.
pub fn pad(text: String, min: usize) -> String {
    let Some(range) = padding_range(&text) else {
        return text;
    };
    if has_room(&text, &range, min) {
        return text;
    }
    let trailer = &text[range.end..];
    let read_only = !trailer_allows_edits(trailer);
    let mut out = String::with_capacity(text.len() + min);
    out.push_str(&text[..range.start]);
    if range.len() >= min {
        out.push_str(&text[range.clone()]);
    } else {
        out.push_str(&padding(min));
    }
    if read_only {
        out.push_str(WRITABLE_TRAILER);
    } else {
        out.push_str(trailer);
    }
    out
}

/// The trailer ccsig writes.
const WRITABLE_TRAILER: &str = "<?xpacket end=\"w\"?>";

/// Whether a packet has a trailer that allows edits in place.
pub fn allows_edits(text: &str) -> bool {
    padding_range(text).is_some_and(|range| trailer_allows_edits(&text[range.end..]))
}

/// Whether a packet trailer (`<?xpacket end=...?>`) allows edits in place.
fn trailer_allows_edits(trailer: &str) -> bool {
    trailer.contains("end=\"w\"") || trailer.contains("end='w'")
}

/// The packet's padding and trailer, when [`pad`] would change them (less
/// than `min` bytes of padding, or a read-only trailer).
pub fn end_short_of_room(text: &str, min: usize) -> Option<&str> {
    let range = padding_range(text)?;
    (!has_room(text, &range, min)).then(|| &text[range.start..])
}

/// Whether a packet's padding (`range`) is at least `min` bytes and its
/// trailer allows edits in place.
fn has_room(text: &str, range: &std::ops::Range<usize>, min: usize) -> bool {
    range.len() >= min && trailer_allows_edits(&text[range.end..])
}

/// The packet with its padding and trailer replaced by `end` (what
/// [`end_short_of_room`] returned before it was padded).
pub fn with_end(text: String, end: &str) -> String {
    match padding_range(&text) {
        Some(range) => {
            let mut out = text;
            out.replace_range(range.start.., end);
            out
        }
        None => text,
    }
}

/// The packet with its padding resized so that it is exactly `len` bytes
/// long, or `None` when it has no trailer, its content alone is longer, or
/// the trailer does not allow in-place edits (`end="r"`).
pub fn pad_to_len(text: &str, len: usize) -> Option<String> {
    let range = padding_range(text)?;
    let trailer = &text[range.end..];
    if !trailer_allows_edits(trailer) {
        return None;
    }
    let content = text.len() - range.len();
    let fill = len.checked_sub(content)?;
    let mut out = String::with_capacity(len);
    out.push_str(&text[..range.start]);
    out.push_str(&padding(fill));
    out.push_str(trailer);
    Some(out)
}

/// A new, empty packet in the usual wrapper, for files that have none.
pub fn empty_packet() -> String {
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"ccsig {}\">\n\
         <rdf:RDF xmlns:rdf=\"{NS_RDF}\">\n\
         </rdf:RDF>\n\
         </x:xmpmeta>\n\
         <?xpacket end=\"w\"?>",
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_a_line_break_then_lines_of_99_spaces() {
        for len in [0, 1, 99, 100, 101, 250, 2048] {
            let want: String = (0..len)
                .map(|i| if i % 100 == 0 { '\n' } else { ' ' })
                .collect();
            assert_eq!(padding(len), want, "{len}");
        }
    }
}
