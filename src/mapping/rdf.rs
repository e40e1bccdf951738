//! A minimal RDF/XML view of an XMP packet, and edits made by splicing the
//! packet's own bytes.
//!
//! Why not re-serialize through an XMP library: the Adobe XMP Toolkit (the
//! `xmp_toolkit` crate, 1.11 and 1.12) replaces every non-default item of a
//! language alternative with the `x-default` text on parse
//! (`dc:title` "Hafen" [de] comes back as "Harbour"), which would destroy
//! foreign metadata. Splicing keeps every byte ccsig does not own exactly as
//! it was: formatting, comments, namespaces, unknown properties, padding.

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

    pub fn items(&self) -> Vec<Item> {
        match self {
            Value::Simple(s) => vec![Item {
                lang: None,
                text: s.clone(),
            }],
            Value::Array(items) => items.clone(),
            Value::Other => vec![],
        }
    }
}

/// One top-level property and where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub ns: String,
    pub name: String,
    pub value: Value,
    /// Bytes to cut to remove the property: the element, or the attribute
    /// (with the white space before it).
    pub span: Range<usize>,
}

/// A parsed packet: its properties and where new ones can go.
#[derive(Debug, Clone)]
pub struct Packet {
    pub properties: Vec<Property>,
    /// Where a new `rdf:Description` can be inserted (before `</rdf:RDF>`).
    insert_at: usize,
    /// Prefix bound to the RDF namespace at that point.
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

/// The packet text: UTF-8, without the NUL padding some writers leave.
pub fn packet_text(bytes: &[u8]) -> Result<&str, MappingError> {
    let text = std::str::from_utf8(bytes).map_err(|_| MappingError::XmpEncoding)?;
    Ok(text.trim_end_matches('\0'))
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

fn value_of(node: &Node) -> Value {
    if let Some(uri) = node.attribute((NS_RDF, "resource")) {
        return Value::Simple(uri.to_string());
    }
    let elements: Vec<Node> = node.children().filter(|c| c.is_element()).collect();
    match elements.as_slice() {
        [] => Value::Simple(element_text(node)),
        [container]
            if is_rdf(container, "Alt") || is_rdf(container, "Seq") || is_rdf(container, "Bag") =>
        {
            Value::Array(
                container
                    .children()
                    .filter(|c| is_rdf(c, "li"))
                    .map(|li| Item {
                        lang: li.attribute((NS_XML, "lang")).map(String::from),
                        text: match li.attribute((NS_RDF, "resource")) {
                            Some(uri) => uri.to_string(),
                            None => element_text(&li),
                        },
                    })
                    .collect(),
            )
        }
        _ => Value::Other,
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
    let doc = Document::parse_with_options(text, options())
        .map_err(|e| MappingError::XmpParse(e.to_string()))?;
    let rdf = doc
        .descendants()
        .find(|n| is_rdf(n, "RDF"))
        .ok_or_else(|| MappingError::XmpParse("no rdf:RDF element".into()))?;
    let rdf_prefix = rdf
        .tag_name()
        .namespace()
        .and_then(|ns| rdf.lookup_prefix(ns))
        .unwrap_or("rdf")
        .to_string();
    let range = rdf.range();
    let end_tag = text[range.clone()].rfind("</");
    let insert_at = match end_tag {
        Some(offset)
            if text[range.clone()].ends_with('>') && !text[range.clone()].ends_with("/>") =>
        {
            range.start + offset
        }
        _ => return Err(MappingError::XmpParse("rdf:RDF has no content".into())),
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
            if ns == NS_RDF || ns == NS_XML {
                continue;
            }
            members.push(properties.len());
            properties.push(Property {
                ns: ns.to_string(),
                name: attr.name().to_string(),
                value: Value::Simple(attr.value().to_string()),
                span: with_leading_space(text, attr.range()),
            });
        }
        for prop in desc.children().filter(|c| c.is_element()) {
            let Some(ns) = prop.tag_name().namespace() else {
                continue;
            };
            members.push(properties.len());
            properties.push(Property {
                ns: ns.to_string(),
                name: prop.tag_name().name().to_string(),
                value: value_of(&prop),
                span: with_leading_space(text, prop.range()),
            });
        }
        descriptions.push((with_leading_space(text, desc.range()), members));
    }
    Ok(Packet {
        properties,
        insert_at,
        rdf_prefix,
        about,
        descriptions,
    })
}

impl Packet {
    pub fn get(&self, ns: &str, name: &str) -> Option<&Value> {
        self.properties
            .iter()
            .find(|p| p.ns == ns && p.name == name)
            .map(|p| &p.value)
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
/// or every property of the namespace), and properties to add.
#[derive(Debug, Default)]
pub struct Edit {
    pub cut: Vec<(String, Option<String>)>,
    pub add: Vec<NewProperty>,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML parsers turn a literal CR into LF; a reference survives.
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
    out
}

fn render_description(rdf: &str, about: &str, add: &[NewProperty]) -> String {
    let mut namespaces: Vec<(&str, &str)> = Vec::new();
    for p in add {
        if !namespaces.contains(&(p.prefix, p.ns)) {
            namespaces.push((p.prefix, p.ns));
        }
    }
    let mut s = format!(" <{rdf}:Description {rdf}:about=\"{}\"", escape(about));
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
                            escape(lang),
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

/// Applies an edit by splicing: cut spans go, the new description goes
/// before `</rdf:RDF>`, every other byte stays as it was.
pub fn edit(text: &str, packet: &Packet, edit: &Edit) -> Edited {
    let mut cut: Vec<usize> = edit
        .cut
        .iter()
        .flat_map(|(ns, name)| packet.indices(ns, name.as_deref()))
        .collect();
    cut.sort_unstable();
    cut.dedup();
    // A description whose every property is cut goes whole.
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut covered = vec![false; packet.properties.len()];
    for (span, members) in &packet.descriptions {
        if !members.is_empty() && members.iter().all(|m| cut.contains(m)) {
            spans.push(span.clone());
            for &m in members {
                covered[m] = true;
            }
        }
    }
    for &i in &cut {
        if !covered[i] {
            spans.push(packet.properties[i].span.clone());
        }
    }
    spans.sort_by_key(|s| s.start);
    let insertion = if edit.add.is_empty() {
        String::new()
    } else {
        render_description(&packet.rdf_prefix, &packet.about, &edit.add)
    };
    let mut out = String::with_capacity(text.len() + insertion.len());
    let mut at = 0;
    let mut pending = Some((packet.insert_at, insertion.as_str()));
    for span in spans {
        if span.start < at {
            continue; // nested in a span already cut
        }
        push_until(&mut out, text, &mut at, span.start, &mut pending);
        at = span.end;
    }
    push_until(&mut out, text, &mut at, text.len(), &mut pending);
    Edited {
        text: out,
        property_count: packet.properties.len() - cut.len() + edit.add.len(),
    }
}

/// Copies `text[*at..to]`, placing the insertion at `insert_at` if it falls
/// in that stretch.
fn push_until(
    out: &mut String,
    text: &str,
    at: &mut usize,
    to: usize,
    pending: &mut Option<(usize, &str)>,
) {
    match *pending {
        Some((insert_at, insertion)) if *at <= insert_at && insert_at <= to => {
            out.push_str(&text[*at..insert_at]);
            out.push_str(insertion);
            out.push_str(&text[insert_at..to]);
            *pending = None;
        }
        _ => out.push_str(&text[*at..to]),
    }
    *at = to;
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
