//! Reading a file's signals: from the container's metadata blocks to the
//! statements each signal-bearing field makes, the combined decision per
//! category, and the credit.

use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::Path;

use serde::Serialize;

use crate::container::{self, BlockKind, Format, Layout};
use crate::mapping::c2pa::{self, Credentials, Meaning};
use crate::mapping::{constraints, datamining::DataMining, exif, extended, iptc, xmp};
use crate::sidecar;
use crate::signal::{self, Decision, Statement, Vocabulary};

/// A place in a file that can carry a signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    /// `ccsig:expression`, ccsig's own field.
    CcsigExpression,
    /// `plus:OtherConstraints`, one language alternative.
    OtherConstraints {
        /// The alternative's `xml:lang` (`x-default`, `en`, ...); empty
        /// when it has none.
        lang: String,
    },
    /// `plus:DataMining`, read through the reverse mapping.
    DataMining,
    /// W3C TDMRep `tdm:reservation`.
    TdmReservation,
    /// IPTC-IIM 2:40 Special Instructions.
    IimSpecialInstructions,
    /// The HTTP response's `Content-Usage` field.
    HttpContentUsage,
    /// An AI or indexing directive of the HTTP response's `X-Robots-Tag`
    /// (see [`crate::internals::mapping::http`]).
    XRobotsTag {
        /// The directive: `noai`, `noimageai`, `noindex` ...
        directive: String,
    },
    /// A `Content-Usage` rule of the site's robots.txt.
    Robots {
        /// Its line, from 1.
        line: usize,
    },
    /// One entry of a C2PA Content Credentials training-and-data-mining
    /// assertion of the active manifest.
    C2pa {
        /// The assertion's label, e.g. `cawg.training-mining`.
        assertion: String,
        /// The entry's key, e.g. `cawg.ai_generative_training`.
        entry: String,
    },
}

impl Place {
    /// The field's name as people and ExifTool know it.
    ///
    /// ```
    /// use ccsig::inspect::Place;
    /// assert_eq!(Place::DataMining.field(), "XMP plus:DataMining");
    /// let german = Place::OtherConstraints { lang: "de".into() };
    /// assert_eq!(german.field(), "XMP plus:OtherConstraints[de]");
    /// ```
    pub fn field(&self) -> String {
        match self {
            Place::CcsigExpression => "XMP ccsig:expression".into(),
            Place::OtherConstraints { lang }
                if lang.is_empty() || lang.eq_ignore_ascii_case("x-default") =>
            {
                "XMP plus:OtherConstraints".into()
            }
            Place::OtherConstraints { lang } => format!("XMP plus:OtherConstraints[{lang}]"),
            Place::DataMining => "XMP plus:DataMining".into(),
            Place::TdmReservation => "XMP tdm:reservation".into(),
            Place::IimSpecialInstructions => "IIM 2:40 Special Instructions".into(),
            Place::HttpContentUsage => "HTTP Content-Usage".into(),
            Place::XRobotsTag { directive } => format!("HTTP X-Robots-Tag {directive}"),
            Place::Robots { line } => format!("robots.txt line {line}"),
            Place::C2pa { assertion, entry } => c2pa::field(assertion, entry),
        }
    }
}

/// One signal-bearing field and the statement it makes.
#[derive(Debug, Clone)]
pub struct Source {
    /// Which field it is.
    pub place: Place,
    /// The sidecar file the field is in; `None` for the image itself.
    pub sidecar: Option<String>,
    /// Which later XMP packet of the image the field is in (2 for the
    /// second: the specifications allow one packet and readers take the
    /// first, so what a later one states is easily missed); `None` for the
    /// main packet, IIM and sidecars.
    pub later_packet: Option<usize>,
    /// The value as stored in the file.
    pub stored: String,
    /// The expression the field stands for (for DataMining, the derived one).
    pub expression: String,
    /// What the expression says, category by category (a field that does
    /// not parse says nothing, and `statement.parsed` is false).
    pub statement: Statement,
}

/// Who is to be credited, and which field said so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
///
/// The first credit source that names someone wins, and its URL only is
/// given (see [`credit_sources`] for the order); every part is `None` when
/// no field names anyone.
pub struct Credit {
    /// Who to credit.
    pub name: Option<String>,
    /// The field the name came from, e.g. `XMP dc:creator`.
    pub name_from: Option<String>,
    /// Where to link the credit; only ever given by the same field as the
    /// name.
    pub url: Option<String>,
}

/// A field that says where its terms are rather than stating them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deferring {
    /// The field's name, with the sidecar it is in, if any.
    pub field: String,
    /// The value as stored in the file.
    pub stored: String,
    /// Why it makes no statement of its own, for people.
    pub note: String,
}

/// A field that exists but could not be read as a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparsable {
    /// The field's name, with the sidecar it is in, if any.
    pub field: String,
    /// The value as stored in the file.
    pub stored: String,
    /// Why it could not be read, for people.
    pub reason: String,
}

/// What a pipeline knows of an image besides its bytes: the HTTP response
/// it came with and its site's robots.txt (draft-ietf-aipref-attach).
/// ccsig fetches nothing: the caller hands these over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebContext {
    /// The response's header fields, (name, value), every occurrence.
    pub headers: Vec<(String, String)>,
    /// The text of the site's robots.txt.
    pub robots: Option<String>,
    /// The image's URL, whose path picks robots.txt's rules (`/` without).
    pub url: Option<String>,
    /// The fetcher's user agent, whose product token picks robots.txt's
    /// group and addressed `X-Robots-Tag` directives (`*` without).
    pub user_agent: Option<String>,
}

impl WebContext {
    /// The URL's path and query, as robots.txt rules match them (`/`
    /// without a URL, or for one that does not parse).
    ///
    /// ```
    /// let web = ccsig::WebContext {
    ///     url: Some("https://example.org/a/b.jpg?size=2".into()),
    ///     ..Default::default()
    /// };
    /// assert_eq!(web.url_path(), "/a/b.jpg?size=2");
    /// ```
    pub fn url_path(&self) -> String {
        let parsed = self.url.as_deref().and_then(|u| url::Url::parse(u).ok());
        match parsed {
            Some(u) => match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            },
            None => "/".into(),
        }
    }

    /// What it states, source by source (see [`FileSignals::add_web`]): a
    /// value that does not parse is a source whose statement says so
    /// (`statement.parsed` false, `statement.parse_error` why).
    ///
    /// ```
    /// let web = ccsig::WebContext {
    ///     headers: vec![("Content-Usage".into(), "train-ai=maybe".into())],
    ///     ..Default::default()
    /// };
    /// let sources = web.sources();
    /// assert_eq!(sources[0].field(), "HTTP Content-Usage");
    /// assert!(sources[0].statement.preference("train-ai") == ccsig::signal::Decision::Unknown);
    /// ```
    pub fn sources(&self) -> Vec<Source> {
        web_sources(self, Vocabulary::default())
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty() && self.robots.is_none()
    }
}

/// The sources an image's surroundings give: each `Content-Usage` field and
/// read `X-Robots-Tag` directive of its response, and the robots.txt
/// `Content-Usage` rules that apply to its URL and the user agent.
pub(crate) fn web_sources(web: &WebContext, vocabulary: Vocabulary) -> Vec<Source> {
    let user_agent = web.user_agent.as_deref();
    let mut sources = Vec::new();
    for h in crate::mapping::http::statements(&web.headers, user_agent) {
        let place = match h.field.strip_prefix("HTTP X-Robots-Tag ") {
            Some(directive) => Place::XRobotsTag {
                directive: directive.to_string(),
            },
            None => Place::HttpContentUsage,
        };
        sources.push(source(place, &h.stored, &h.expression, vocabulary));
    }
    if let Some(robots) = &web.robots {
        let path = web.url_path();
        let agent = user_agent.unwrap_or("*");
        for rule in crate::mapping::robots::content_usage(robots, agent, &path) {
            let place = Place::Robots { line: rule.line };
            sources.push(source(place, &rule.value, &rule.value, vocabulary));
        }
    }
    sources
}

/// Everything ccsig reads from one file.
///
/// ```
/// let signals = ccsig::read_path("sample-images/tagged/ccsig-cr-op.jpg".as_ref()).unwrap();
/// assert_eq!(signals.format, ccsig::Format::Jpeg);
/// assert_eq!(
///     signals.decisions["train-ai"],
///     ccsig::signal::Decision::AllowedIf(vec![ccsig::SignalCode::CrOp]),
/// );
/// for source in &signals.sources {
///     println!("{}: {}", source.field(), source.stored);
/// }
/// ```
#[derive(Debug, Clone)]
pub struct FileSignals {
    /// The container format, recognised by its bytes (not the file name).
    pub format: Format,
    /// Width and height in pixels, when the container states them without
    /// decoding the image (PNG IHDR, WebP headers, JPEG SOFn); `None`
    /// otherwise.
    pub dimensions: Option<(u32, u32)>,
    /// The XMP fields as stored; `None` when the file has no XMP packet.
    pub xmp: Option<xmp::XmpFields>,
    /// The XMP packet exists but does not parse.
    pub xmp_error: Option<String>,
    /// EXIF Artist, a fallback for the credit; `None` without EXIF or
    /// without the tag.
    pub exif_artist: Option<String>,
    /// IPTC-IIM (JPEG APP13, or PNG raw profile), when the file has it.
    pub iim: Option<iptc::IimFields>,
    /// The IIM exists but could not be read.
    pub iim_error: Option<String>,
    /// Every field that states a signal (of the image and its sidecars),
    /// in the order read.
    pub sources: Vec<Source>,
    /// Fields about AI use that make no statement of their own (e.g.
    /// `DMI-PROHIBITED-SEECONSTRAINT` next to an expression it defers to).
    pub deferring: Vec<Deferring>,
    /// Fields about AI use whose value cannot be read as a signal (e.g. an
    /// unknown `plus:DataMining` value); `check` reports them.
    pub unparsable: Vec<Unparsable>,
    /// Combined decision per current category label (most restrictive wins).
    pub decisions: BTreeMap<String, Decision>,
    /// Who to credit, from the most authoritative field that names
    /// someone.
    pub credit: Credit,
    /// The file carries C2PA Content Credentials, which a metadata write
    /// would invalidate (`apply` refuses such a file unless told to allow
    /// breaking the credentials).
    pub has_c2pa: bool,
    /// What its Content Credentials say, validated, or why they could not
    /// be read; `None` without credentials, or when ccsig was built without
    /// its `c2pa` feature (then only `has_c2pa` is known).
    pub c2pa: Option<Result<Credentials, String>>,
    /// XMP sidecars read next to the image, in the order found.
    pub sidecars: Vec<SidecarFields>,
    /// The draft of the vocabulary the statements were read against.
    pub vocabulary: Vocabulary,
}

/// The XMP fields of one sidecar file.
#[derive(Debug, Clone)]
pub struct SidecarFields {
    /// Where the sidecar is.
    pub path: std::path::PathBuf,
    /// The name shown in findings (the file name).
    pub name: String,
    /// Its fields, or why it could not be read or parsed.
    pub fields: Result<xmp::XmpFields, String>,
}

use crate::read_error::raw_named;
pub use crate::read_error::ReadError;

/// Reads the signals of a file held in any seekable reader. The layout
/// (ccsig's map of the file's blocks) can be handed to [`from_layout`]
/// again; most callers only keep the signals.
///
/// ```
/// let file = std::fs::File::open("sample-images/tagged/datamining-only.jpg").unwrap();
/// let (_layout, signals) = ccsig::inspect::read(&mut std::io::BufReader::new(file)).unwrap();
/// assert_eq!(signals.sources[0].field(), "XMP plus:DataMining");
/// ```
pub fn read<R: Read + Seek + Send>(reader: &mut R) -> Result<(Layout, FileSignals), ReadError> {
    read_in(reader, Vocabulary::default())
}

/// [`read`], with the statements read against a chosen vocabulary.
///
/// ```
/// use ccsig::signal::Vocabulary;
/// let bytes = std::fs::read("sample-images/tagged/ccsig-cr.png").unwrap();
/// let mut reader = std::io::Cursor::new(bytes);
/// let (_, signals) = ccsig::inspect::read_in(&mut reader, Vocabulary::Draft08).unwrap();
/// assert_eq!(signals.vocabulary, Vocabulary::Draft08);
/// ```
pub fn read_in<R: Read + Seek + Send>(
    reader: &mut R,
    options: impl Into<ReadOptions>,
) -> Result<(Layout, FileSignals), ReadError> {
    let layout = container::scan(reader)?;
    let signals = signals_of(reader, &layout, &options.into())?;
    Ok((layout, signals))
}

/// The signals of a file already scanned (`layout`, of the bytes `reader`
/// holds): its metadata blocks, and its Content Credentials checked
/// against the whole file when it carries any.
pub(crate) fn signals_of<R: Read + Seek + Send>(
    reader: &mut R,
    layout: &Layout,
    options: &ReadOptions,
) -> Result<FileSignals, ReadError> {
    #[allow(unused_mut)] // without the c2pa feature nothing is added
    let mut signals = from_layout_in(layout, options.vocabulary);
    #[cfg(feature = "c2pa")]
    if signals.has_c2pa {
        // Only files with a manifest pay for it: the whole asset is read to
        // check what the manifest binds.
        let trust = options.c2pa_trust.as_deref();
        let store = container::manifest_store(&mut *reader, layout).map_err(ReadError::Io)?;
        let credentials = match c2pa::cbor_bomb(&store) {
            Some(bomb) => Err(format!(
                "the manifest store is malformed, and not read: {bomb}"
            )),
            None => c2pa::read(&mut *reader, layout.format.mime(), trust),
        };
        signals.add_credentials(credentials);
    }
    #[cfg(not(feature = "c2pa"))]
    let _ = reader;
    Ok(signals)
}

/// [`read_in`] for the file at `path`, read through `reader`. An image in
/// a format ccsig recognises but does not read (by its bytes, or by its
/// name: [`ReadError::named_by`]) is not an error: it gets a layout with
/// no blocks and signals that only its XMP sidecars can give.
pub(crate) fn read_named<R: Read + Seek + Send>(
    reader: &mut R,
    path: &Path,
    options: impl Into<ReadOptions>,
) -> Result<(Layout, FileSignals), ReadError> {
    let options = options.into();
    let vocabulary = options.vocabulary;
    match read_in(reader, options) {
        Ok((layout, signals)) => Ok(named(layout, signals, path)),
        Err(e) => match e.named_by(path) {
            ReadError::Container(container::ContainerError::OtherFormat(name)) => {
                let len = reader.seek(std::io::SeekFrom::End(0))?;
                let layout = Layout {
                    format: Format::Other(name),
                    blocks: Vec::new(),
                    len,
                    dimensions: None,
                    fixed_xmp_len: None,
                };
                let signals = from_layout_in(&layout, vocabulary);
                Ok((layout, signals))
            }
            e => Err(e),
        },
    }
}

/// [`crate::read_path_in`], finding the sidecars in `folder`, a listing of the
/// image's folder, when there is one (batches list each folder once).
pub(crate) fn read_path_listed(
    path: &Path,
    options: impl Into<ReadOptions>,
    folder: Option<&sidecar::FolderSidecars>,
) -> Result<FileSignals, ReadError> {
    let file = std::fs::File::open(path)?;
    let (_, mut signals) = read_named(&mut container::PositionedFile::new(&file), path, options)?;
    let sidecars = match (signals.format, folder) {
        // A sidecar named directly has no sidecars of its own.
        (Format::Xmp, _) => Vec::new(),
        (_, Some(listing)) => listing.existing(path),
        (_, None) => sidecar::existing(path),
    };
    for sidecar_path in sidecars {
        match sidecar::read(&sidecar_path) {
            Ok(bytes) => signals.add_sidecar(sidecar_path, &bytes),
            Err(e) => signals.add_sidecar_error(sidecar_path, e.to_string()),
        }
    }
    Ok(signals)
}

/// MD5 of the image data of the file at `path` (see
/// [`crate::image_digest_path`]).
/// An image-data digest as reports write it: 32 lower-case hex digits.
pub(crate) fn digest_hex(digest: &[u8; 16]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn image_digest_path(path: &Path) -> Result<[u8; 16], ReadError> {
    let file = std::fs::File::open(path)?;
    let mut reader = container::PositionedFile::new(&file);
    let layout = container::scan(&mut reader)?;
    Ok(container::image_data_digest(&mut reader, &layout)?)
}

/// A camera RAW that is TIFF inside (a NEF, a CR2): its packet is read,
/// but it is named, and written (through sidecars), as the RAW it is.
pub(crate) fn named(
    mut layout: Layout,
    mut signals: FileSignals,
    path: &Path,
) -> (Layout, FileSignals) {
    signals = named_signals(signals, path);
    layout.format = signals.format;
    (layout, signals)
}

/// [`named`], for signals read without their layout kept (a shard member
/// read as it streamed past).
pub(crate) fn named_signals(mut signals: FileSignals, path: &Path) -> FileSignals {
    if signals.format == Format::Tiff {
        if let Some(raw) = raw_named(path) {
            signals.format = Format::Other(raw);
        }
    }
    signals
}

/// How a file is read: the vocabulary its statements are read against,
/// and the trust anchors the signer of its Content Credentials is checked
/// against.
///
/// ```
/// use ccsig::inspect::ReadOptions;
/// use ccsig::signal::Vocabulary;
/// let options = ReadOptions::from(Vocabulary::Draft08);
/// assert_eq!(options.vocabulary, Vocabulary::Draft08);
/// assert!(options.c2pa_trust.is_none());
/// assert!(ReadOptions::default().with_c2pa_trust("not a certificate").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The draft of the vocabulary statements are read against.
    pub vocabulary: Vocabulary,
    /// Root certificates (a PEM bundle): Content Credentials whose signer
    /// chains to one are `trusted`, and only those count an `allowed`.
    /// `None`: a manifest that validates counts whoever signed it.
    pub c2pa_trust: Option<std::sync::Arc<str>>,
}

/// Trust anchors that are not a PEM bundle of certificates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a PEM bundle of certificates (no -----BEGIN CERTIFICATE----- block)")]
pub struct NotCertificates;

impl ReadOptions {
    /// These options, with `pem` (a bundle of root certificates) as the
    /// trust anchors of Content Credentials.
    ///
    /// # Errors
    /// [`NotCertificates`] when `pem` holds no certificate.
    pub fn with_c2pa_trust(self, pem: &str) -> Result<Self, NotCertificates> {
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(NotCertificates);
        }
        Ok(ReadOptions {
            c2pa_trust: Some(pem.into()),
            ..self
        })
    }
}

impl From<Vocabulary> for ReadOptions {
    fn from(vocabulary: Vocabulary) -> Self {
        ReadOptions {
            vocabulary,
            c2pa_trust: None,
        }
    }
}

/// Reads the signals of a file held in memory (the same as
/// [`crate::read_bytes`]).
///
/// ```
/// let bytes = std::fs::read("sample-images/jpeg/exif.jpg").unwrap();
/// let signals = ccsig::inspect::read_bytes(&bytes).unwrap();
/// assert_eq!(signals.dimensions, Some((160, 120)));
/// assert_eq!(signals.credit.name.as_deref(), Some("Ada Example"));
/// assert_eq!(signals.credit.name_from.as_deref(), Some("EXIF Artist"));
/// ```
pub fn read_bytes(bytes: &[u8]) -> Result<FileSignals, ReadError> {
    read(&mut std::io::Cursor::new(bytes)).map(|(_, s)| s)
}

/// Interprets the metadata blocks of a scanned file.
///
/// ```
/// let bytes = std::fs::read("sample-images/tagged/ccsig-cr-op.jpg").unwrap();
/// let (layout, first) = ccsig::inspect::read(&mut std::io::Cursor::new(bytes)).unwrap();
/// let again = ccsig::inspect::from_layout(&layout);
/// assert_eq!(again.decisions, first.decisions);
/// ```
pub fn from_layout(layout: &Layout) -> FileSignals {
    from_layout_in(layout, Vocabulary::default())
}

/// [`from_layout`], with the statements read against a chosen vocabulary.
///
/// ```
/// use ccsig::signal::Vocabulary;
/// let bytes = std::fs::read("sample-images/tagged/ccsig-cr-op.jpg").unwrap();
/// let (layout, _) = ccsig::inspect::read(&mut std::io::Cursor::new(bytes)).unwrap();
/// let signals = ccsig::inspect::from_layout_in(&layout, Vocabulary::Draft08);
/// assert_eq!(signals.vocabulary, Vocabulary::Draft08);
/// ```
pub fn from_layout_in(layout: &Layout, vocabulary: Vocabulary) -> FileSignals {
    let (mut xmp_fields, xmp_error) = match layout.xmp().map(xmp::read_fields) {
        None => (None, None),
        Some(Ok(f)) => (Some(f), None),
        Some(Err(e)) => (None, Some(e.to_string())),
    };
    let extension_problem = xmp_fields
        .as_mut()
        .and_then(|f| read_extension(layout, f).err());
    let exif_artist = layout
        .blocks_of(BlockKind::Exif)
        .find_map(|b| b.payload.as_deref().and_then(exif::artist));
    let (mut sources, mut deferring, mut unparsable) = xmp_fields
        .as_ref()
        .map(|f| sources_of(f, vocabulary))
        .unwrap_or_default();
    unparsable.extend(extension_problem);
    read_later_packets(
        layout,
        vocabulary,
        &mut sources,
        &mut deferring,
        &mut unparsable,
    );
    let (iim, iim_error) = match read_iim(layout) {
        Ok(iim) => (iim, None),
        Err(e) => (None, Some(e.to_string())),
    };
    if let Some(text) = iim.as_ref().and_then(|i| i.special_instructions.as_ref()) {
        if let Some(expr) = constraints::find_expression(text) {
            sources.push(source(
                Place::IimSpecialInstructions,
                text,
                &expr,
                vocabulary,
            ));
        }
    }
    let decisions = combine(&sources, vocabulary);
    let by_line = iim.as_ref().and_then(|i| i.by_line.first());
    let xmp_sets: Vec<(Option<&str>, &xmp::XmpFields)> =
        xmp_fields.iter().map(|f| (None, f)).collect();
    let credit = credit_of(&credit_sources_of(&xmp_sets, exif_artist.as_ref(), by_line));
    FileSignals {
        format: layout.format,
        dimensions: layout.dimensions,
        xmp: xmp_fields,
        xmp_error,
        exif_artist,
        iim,
        iim_error,
        sources,
        deferring,
        unparsable,
        decisions,
        credit,
        has_c2pa: layout.has(BlockKind::C2pa),
        c2pa: None,
        sidecars: Vec::new(),
        vocabulary,
    }
}

impl Source {
    /// The field's name, with the sidecar it is in, if any.
    ///
    /// ```
    /// let mut signals = ccsig::read_path("sample-images/jpeg/plain.jpg".as_ref()).unwrap();
    /// let packet = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
    ///     xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description
    ///     xmlns:tdm="http://www.w3.org/ns/tdmrep/" tdm:reservation="1"/></rdf:RDF></x:xmpmeta>"#;
    /// signals.add_sidecar("plain.xmp".into(), packet.as_bytes());
    /// assert_eq!(signals.sources[0].field(), "sidecar plain.xmp: XMP tdm:reservation");
    /// ```
    pub fn field(&self) -> String {
        let field = match self.later_packet {
            Some(n) => in_later_packet(n, self.place.field()),
            None => self.place.field(),
        };
        in_sidecar(self.sidecar.as_deref(), field)
    }
}

/// A field's name, prefixed with the later XMP packet it is in.
fn in_later_packet(n: usize, field: String) -> String {
    format!("XMP packet {n}: {field}")
}

/// A field's name, prefixed with the sidecar it is in, if any.
pub(crate) fn in_sidecar(sidecar: Option<&str>, field: String) -> String {
    match sidecar {
        Some(name) => format!("sidecar {name}: {field}"),
        None => field,
    }
}

pub(crate) fn source(
    place: Place,
    stored: &str,
    expression: &str,
    vocabulary: Vocabulary,
) -> Source {
    Source {
        place,
        sidecar: None,
        later_packet: None,
        stored: stored.to_string(),
        expression: expression.to_string(),
        statement: signal::parse_in(expression, vocabulary),
    }
}

fn sources_of(
    fields: &xmp::XmpFields,
    vocabulary: Vocabulary,
) -> (Vec<Source>, Vec<Deferring>, Vec<Unparsable>) {
    let mut sources = Vec::new();
    let mut deferring = Vec::new();
    let mut unparsable = Vec::new();
    if let Some(expr) = &fields.expression {
        sources.push(source(Place::CcsigExpression, expr, expr, vocabulary));
    }
    for (lang, text) in &fields.other_constraints {
        if let Some(expr) = constraints::find_expression(text) {
            let place = Place::OtherConstraints { lang: lang.clone() };
            sources.push(source(place, text, &expr, vocabulary));
        }
    }
    let mirror = fields
        .expression
        .as_deref()
        .and_then(|e| xmp::mirrors_for(e).data_mining)
        .and_then(|m| DataMining::parse(&m));
    if let Some(stored) = &fields.data_mining {
        let parsed = DataMining::parse(stored);
        if parsed.is_some() && parsed == mirror {
            // A faithful mirror says nothing the expression does not; read
            // on its own it could say more (DMI-ALLOWED also allows search).
            deferring.push(deferred(
                Place::DataMining,
                stored,
                "mirror of ccsig:expression",
            ));
        } else {
            data_mining(
                stored,
                parsed,
                vocabulary,
                &mut sources,
                &mut deferring,
                &mut unparsable,
            );
        }
    }
    tdmrep(
        fields,
        vocabulary,
        &mut sources,
        &mut deferring,
        &mut unparsable,
    );
    (sources, deferring, unparsable)
}

/// What the later XMP packets of a file state, as sources of their own
/// (named by packet), so that a preference stated only there is not
/// missed and one that disagrees is a conflict. Packets past
/// [`container::MAX_LATER_XMP`] are not loaded (the walkers fold them
/// into one block): they are reported as not read.
fn read_later_packets(
    layout: &Layout,
    vocabulary: Vocabulary,
    sources: &mut Vec<Source>,
    deferring: &mut Vec<Deferring>,
    unparsable: &mut Vec<Unparsable>,
) {
    let mut unread = None;
    for (i, block) in layout.blocks_of(BlockKind::LaterXmp).enumerate() {
        let n = i + 2;
        let Some(packet) = block.payload.as_deref() else {
            unread = unread.or(Some(n));
            continue;
        };
        match xmp::read_fields(packet) {
            Ok(fields) => {
                let (s, d, u) = sources_of(&fields, vocabulary);
                sources.extend(s.into_iter().map(|mut s| {
                    s.later_packet = Some(n);
                    s
                }));
                deferring.extend(d.into_iter().map(|mut d| {
                    d.field = in_later_packet(n, d.field);
                    d
                }));
                unparsable.extend(u.into_iter().map(|mut u| {
                    u.field = in_later_packet(n, u.field);
                    u
                }));
            }
            Err(e) => unparsable.push(Unparsable {
                field: format!("XMP packet {n}"),
                stored: String::new(),
                reason: format!("a later XMP packet that cannot be read ({e})"),
            }),
        }
    }
    if let Some(first) = unread {
        unparsable.push(Unparsable {
            field: format!("XMP packets from {first} on"),
            stored: String::new(),
            reason: format!(
                "not read: ccsig reads the first {} XMP packets of a file, and a file should \
                 have one",
                container::MAX_LATER_XMP + 1
            ),
        });
    }
}

fn deferred(place: Place, stored: &str, note: &str) -> Deferring {
    Deferring {
        field: place.field(),
        stored: stored.to_string(),
        note: note.to_string(),
    }
}

fn data_mining(
    stored: &str,
    parsed: Option<DataMining>,
    vocabulary: Vocabulary,
    sources: &mut Vec<Source>,
    deferring: &mut Vec<Deferring>,
    unparsable: &mut Vec<Unparsable>,
) {
    let Some(dm) = parsed else {
        unparsable.push(Unparsable {
            field: Place::DataMining.field(),
            stored: stored.to_string(),
            reason: "not a value of the PLUS data-mining vocabulary".into(),
        });
        return;
    };
    let parsed_elsewhere = sources.iter().any(|s| s.statement.parsed);
    match dm.derived_expression(parsed_elsewhere) {
        Some(expr) => sources.push(source(Place::DataMining, stored, expr, vocabulary)),
        None if dm.defers() => deferring.push(deferred(
            Place::DataMining,
            stored,
            "prohibited; the terms are the expression in another field",
        )),
        None => deferring.push(deferred(
            Place::DataMining,
            stored,
            "says nothing about AI use",
        )),
    }
}

/// W3C TDMRep: `tdm:reservation` 1 reserves text-and-data-mining rights
/// (read as `train-ai=n`), 0 waives the reservation (`train-ai=y`); other
/// values leave it unset. Like DataMining's deferring values, a reservation
/// next to an expression that parses frames that expression's terms (as
/// its `tdm:policy` would) rather than making a statement of its own; the
/// audit still checks the two agree.
fn tdmrep(
    fields: &xmp::XmpFields,
    vocabulary: Vocabulary,
    sources: &mut Vec<Source>,
    deferring: &mut Vec<Deferring>,
    unparsable: &mut Vec<Unparsable>,
) {
    let Some(stored) = &fields.tdm_reservation else {
        return;
    };
    let (expression, note) = match stored.trim() {
        "1" => (
            "train-ai=n",
            "TDM rights reserved; the terms are the expression in another field",
        ),
        "0" => ("train-ai=y", "TDM rights not reserved"),
        _ => {
            unparsable.push(Unparsable {
                field: Place::TdmReservation.field(),
                stored: stored.clone(),
                reason: "TDMRep defines only 1 (reserved) and 0 (not reserved)".into(),
            });
            return;
        }
    };
    if sources.iter().any(|s| s.statement.parsed) {
        deferring.push(deferred(Place::TdmReservation, stored, note));
    } else {
        sources.push(source(
            Place::TdmReservation,
            stored,
            expression,
            vocabulary,
        ));
    }
}

impl FileSignals {
    /// Adds what an XMP sidecar says: its fields become sources of their
    /// own, named with the sidecar, and the decisions are combined again.
    ///
    /// ```
    /// use ccsig::signal::Decision;
    /// // The image allows AI training; its sidecar reserves TDM rights.
    /// let mut signals = ccsig::read_bytes(&{
    ///     let plain = std::fs::read("sample-images/jpeg/plain.jpg").unwrap();
    ///     let request = ccsig::ApplyRequest::from_expression("train-ai=y").unwrap();
    ///     ccsig::apply_bytes(&plain, &request, &Default::default()).unwrap().0.unwrap()
    /// })
    /// .unwrap();
    /// assert_eq!(signals.decisions["train-ai"], Decision::Allowed);
    /// let packet = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
    ///     xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description
    ///     xmlns:tdm="http://www.w3.org/ns/tdmrep/" tdm:reservation="1"/></rdf:RDF></x:xmpmeta>"#;
    /// signals.add_sidecar("photo.xmp".into(), packet.as_bytes());
    /// assert_eq!(signals.decisions["train-ai"], Decision::Disallowed);
    /// assert_eq!(signals.sidecars[0].name, "photo.xmp");
    /// ```
    pub fn add_sidecar(&mut self, path: std::path::PathBuf, packet: &[u8]) {
        let name = crate::sidecar::display_name(&path);
        let fields = xmp::read_fields(packet).map_err(|e| e.to_string());
        if let Ok(f) = &fields {
            let (sources, deferring, unparsable) = sources_of(f, self.vocabulary);
            let tag = |field: String| in_sidecar(Some(&name), field);
            self.sources.extend(sources.into_iter().map(|mut s| {
                s.sidecar = Some(name.clone());
                s
            }));
            self.deferring.extend(deferring.into_iter().map(|mut d| {
                d.field = tag(d.field);
                d
            }));
            self.unparsable.extend(unparsable.into_iter().map(|mut u| {
                u.field = tag(u.field);
                u
            }));
        }
        self.sidecars.push(SidecarFields { path, name, fields });
        self.credit = credit_of(&credit_sources(self));
        self.decisions = combine(&self.sources, self.vocabulary);
    }

    /// How far its Content Credentials hold: `valid`, `trusted`,
    /// `invalid`, or `unreadable`; `None` without credentials (or without
    /// the `c2pa` feature).
    ///
    /// ```
    /// let signed = ccsig::read_path("sample-images/c2pa/C_with_CAWG_data.jpg".as_ref()).unwrap();
    /// assert_eq!(signed.c2pa_state(), if cfg!(feature = "c2pa") { Some("valid") } else { None });
    /// let plain = ccsig::read_path("sample-images/jpeg/plain.jpg".as_ref()).unwrap();
    /// assert_eq!(plain.c2pa_state(), None);
    /// ```
    pub fn c2pa_state(&self) -> Option<&'static str> {
        self.c2pa.as_ref().map(|c| match c {
            Ok(creds) => creds.state.as_str(),
            Err(_) => "unreadable",
        })
    }

    /// Adds what the file's Content Credentials say (as read by
    /// `mapping::c2pa::read`): each entry of the active manifest that
    /// states something becomes a source, the others are listed with why
    /// they state nothing (`docs/mapping.md`, "C2PA Content Credentials").
    pub fn add_credentials(&mut self, credentials: Result<Credentials, String>) {
        if let Ok(creds) = &credentials {
            for entry in &creds.entries {
                let place = Place::C2pa {
                    assertion: entry.assertion.clone(),
                    entry: entry.key.clone(),
                };
                match c2pa::meaning(entry, creds.allowed_counts(), self.vocabulary) {
                    Meaning::States(expression) => self.sources.push(source(
                        place,
                        &entry.stored(),
                        &expression,
                        self.vocabulary,
                    )),
                    Meaning::Silent(note) => self.deferring.push(Deferring {
                        field: place.field(),
                        stored: entry.stored(),
                        note,
                    }),
                }
            }
        }
        self.c2pa = Some(credentials);
        self.decisions = combine(&self.sources, self.vocabulary);
    }

    /// The combined decisions as one expression of current labels (e.g.
    /// `train-ai=n;exceptions=cc-cr-op`), labels in alphabetical order: what a
    /// reader honouring every field of the file must assume. `None` when the
    /// file states nothing about any current label.
    ///
    /// ```
    /// let s = ccsig::read_path("sample-images/tagged/ccsig-cr-op.jpg".as_ref()).unwrap();
    /// assert_eq!(s.combined_expression().as_deref(), Some("train-ai=n;exceptions=cc-cr-op"));
    /// let s = ccsig::read_path("sample-images/jpeg/plain.jpg".as_ref()).unwrap();
    /// assert_eq!(s.combined_expression(), None);
    /// ```
    pub fn combined_expression(&self) -> Option<String> {
        let mut builder = signal::builder::StatementBuilder::new();
        for (label, decision) in &self.decisions {
            builder = match decision {
                Decision::Allowed => builder.allow(label),
                Decision::Disallowed => builder.disallow(label),
                // One `exceptions` token per member, and combining only
                // intersects, so a combined decision grants at most one;
                // were it ever several, a plain `n` errs on the safe side.
                Decision::AllowedIf(signals) => match signals.as_slice() {
                    [signal] => builder.disallow_unless(label, *signal),
                    _ => builder.disallow(label),
                },
                Decision::Unknown => builder,
            };
        }
        builder.to_expression().ok()
    }

    /// Adds what the image's surroundings say (its HTTP response, its
    /// site's robots.txt) as sources of their own: the decision combines
    /// them with the file's (the most restrictive wins) and names each.
    ///
    /// ```
    /// use ccsig::signal::Decision;
    /// use ccsig::WebContext;
    /// let mut signals = ccsig::read_path("sample-images/tagged/ccsig-cr.png".as_ref()).unwrap();
    /// let web = WebContext {
    ///     headers: vec![("X-Robots-Tag".into(), "noai".into())],
    ///     robots: Some("User-agent: *\nContent-Usage: /photos/ search=n\n".into()),
    ///     url: Some("https://example.org/photos/a.png".into()),
    ///     user_agent: Some("img2dataset".into()),
    /// };
    /// signals.add_web(&web);
    /// assert_eq!(signals.decisions["train-ai"], Decision::Disallowed);
    /// assert_eq!(signals.decisions["search"], Decision::Disallowed);
    /// let fields: Vec<String> = signals.sources.iter().map(|s| s.field()).collect();
    /// assert!(fields.contains(&"HTTP X-Robots-Tag noai".to_string()));
    /// assert!(fields.contains(&"robots.txt line 2".to_string()));
    /// ```
    pub fn add_web(&mut self, web: &WebContext) {
        self.sources.extend(web_sources(web, self.vocabulary));
        self.decisions = combine(&self.sources, self.vocabulary);
    }

    /// Records a sidecar that exists but could not be read.
    ///
    /// ```
    /// let mut signals = ccsig::read_path("sample-images/jpeg/plain.jpg".as_ref()).unwrap();
    /// signals.add_sidecar_error("plain.xmp".into(), "permission denied".into());
    /// assert_eq!(signals.sidecars[0].fields, Err("permission denied".to_string()));
    /// ```
    pub fn add_sidecar_error(&mut self, path: std::path::PathBuf, reason: String) {
        let name = crate::sidecar::display_name(&path);
        self.sidecars.push(SidecarFields {
            path,
            name,
            fields: Err(reason),
        });
    }
}

fn combine(sources: &[Source], vocabulary: Vocabulary) -> BTreeMap<String, Decision> {
    let statements: Vec<&Statement> = sources.iter().map(|s| &s.statement).collect();
    vocabulary
        .labels()
        .map(|label| (label.to_string(), signal::combine(&statements, label)))
        .collect()
}

/// Merges a JPEG's Extended XMP into the fields of its main packet. An
/// extension that cannot be trusted (wrong GUID, chunks that overlap or
/// leave gaps, a packet that does not parse) is ignored, and said so.
fn read_extension(layout: &Layout, fields: &mut xmp::XmpFields) -> Result<(), Unparsable> {
    let payloads: Vec<&[u8]> = layout
        .blocks_of(BlockKind::ExtendedXmp)
        .filter_map(|b| b.payload.as_deref())
        .collect();
    // A packet that names an extension the file no longer has (a tool
    // dropped the segments) has nothing to ignore: no note.
    if layout.format != Format::Jpeg || payloads.is_empty() {
        return Ok(());
    }
    let problem = |reason: String| Unparsable {
        field: "XMP extension (JPEG Extended XMP)".into(),
        stored: fields.has_extended_xmp.clone().unwrap_or_default(),
        reason: format!("{reason}; its properties were ignored"),
    };
    let whole = extended::assemble(fields.has_extended_xmp.as_deref(), &payloads)
        .map_err(|e| problem(e.to_string()))?;
    let mut merged = fields.clone();
    xmp::merge_extension(&mut merged, &whole).map_err(|e| problem(e.to_string()))?;
    *fields = merged;
    Ok(())
}

/// The IIM of a file: JPEG's Photoshop IRB, or PNG's raw IPTC profile.
fn read_iim(layout: &Layout) -> Result<Option<iptc::IimFields>, crate::mapping::MappingError> {
    if let Some(irb) = layout
        .blocks_of(BlockKind::PhotoshopIrb)
        .find_map(|b| b.payload.as_deref())
    {
        return iptc::read_irb(irb);
    }
    // TIFF: bare datasets.
    if let Some(bare) = layout
        .blocks_of(BlockKind::Iim)
        .find_map(|b| b.payload.as_deref())
    {
        return iptc::read_bare(bare).map(Some);
    }
    // PNG: ImageMagick's "iptc" and "8bim" profiles; the first that holds
    // IIM (an "8bim" one may hold other resources only).
    let mut first_error = None;
    for text in layout
        .blocks_of(BlockKind::RawIptcProfile)
        .filter_map(|b| b.payload.as_deref())
    {
        match iptc::read_raw_profile(text) {
            Ok(Some(fields)) => return Ok(Some(fields)),
            Ok(None) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(None), Err)
}

/// One place a credit can come from: a name and the URL given with it
/// (never a URL from another place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditSource {
    /// The name the place gives; `None` for a place that gives a URL only.
    pub name: Option<String>,
    /// The URL given with the name; `None` when the place has none.
    pub url: Option<String>,
    /// The field(s), e.g. `XMP ccsig:creditName`.
    pub from: String,
}

/// The fields a credit name is looked for in, most authoritative first (in
/// the image and in each XMP sidecar). docs/mapping.md ("Credit").
pub const CREDIT_FIELDS: [&str; 5] = [
    "XMP ccsig:creditName",
    "XMP cc:attributionName",
    "XMP dc:creator",
    "EXIF Artist",
    "IIM 2:80 By-line",
];

/// Every credit source of a file, most authoritative first: the credit
/// ccsig wrote (image, then each sidecar), ccREL attribution, `dc:creator`,
/// EXIF Artist, IIM By-line. docs/mapping.md ("Credit") is the contract.
///
/// ```
/// let signals = ccsig::read_path("sample-images/jpeg/xmp-rich.jpg".as_ref()).unwrap();
/// let froms: Vec<String> = ccsig::inspect::credit_sources(&signals)
///     .into_iter()
///     .map(|source| source.from)
///     .collect();
/// assert_eq!(froms, ["XMP dc:creator", "EXIF Artist"]);
/// ```
pub fn credit_sources(signals: &FileSignals) -> Vec<CreditSource> {
    let sidecar_fields = signals
        .sidecars
        .iter()
        .filter_map(|s| s.fields.as_ref().ok().map(|f| (Some(s.name.as_str()), f)));
    let xmp_sets: Vec<(Option<&str>, &xmp::XmpFields)> = signals
        .xmp
        .iter()
        .map(|f| (None, f))
        .chain(sidecar_fields)
        .collect();
    let by_line = signals.iim.as_ref().and_then(|i| i.by_line.first());
    credit_sources_of(&xmp_sets, signals.exif_artist.as_ref(), by_line)
}

/// A name and URL property pair of one packet.
type CreditPair = fn(&xmp::XmpFields) -> (&Option<String>, &Option<String>);

fn credit_sources_of(
    xmp_sets: &[(Option<&str>, &xmp::XmpFields)],
    exif_artist: Option<&String>,
    iim_by_line: Option<&String>,
) -> Vec<CreditSource> {
    let mut out = Vec::new();
    let ccsig_pair: CreditPair = |f| (&f.credit_name, &f.credit_url);
    let ccrel_pair: CreditPair = |f| (&f.attribution_name, &f.attribution_url);
    let [ccsig_field, ccrel_field, creator_field, artist_field, by_line_field] = CREDIT_FIELDS;
    let pairs = [(ccsig_pair, ccsig_field), (ccrel_pair, ccrel_field)];
    for (pair, field) in pairs {
        for (sidecar, f) in xmp_sets {
            let (name, url) = pair(f);
            if name.is_some() || url.is_some() {
                out.push(CreditSource {
                    name: name.clone(),
                    url: url.clone(),
                    from: in_sidecar(*sidecar, field.to_string()),
                });
            }
        }
    }
    for (sidecar, f) in xmp_sets {
        if let Some(creator) = &f.creator {
            out.push(CreditSource {
                name: Some(creator.clone()),
                url: None,
                from: in_sidecar(*sidecar, creator_field.into()),
            });
        }
    }
    for (name, from) in [(exif_artist, artist_field), (iim_by_line, by_line_field)] {
        if let Some(name) = name {
            out.push(CreditSource {
                name: Some(name.clone()),
                url: None,
                from: from.into(),
            });
        }
    }
    out
}

/// The credit a reader should give: the first source that names someone,
/// with that source's URL only.
fn credit_of(sources: &[CreditSource]) -> Credit {
    let found = sources.iter().find(|s| s.name.is_some());
    Credit {
        name: found.and_then(|s| s.name.clone()),
        name_from: found.map(|s| s.from.clone()),
        url: found.and_then(|s| s.url.clone()),
    }
}
