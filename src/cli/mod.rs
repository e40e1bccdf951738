//! Command-line parsing and the five commands. Everything here is
//! presentation: what to do with a file lives in the library.

mod check_output;
mod commands;
mod decide;
mod manifest;
mod output;
mod progress;
mod walking;

use std::path::PathBuf;
use std::sync::Arc;

use ccsig::signal::Vocabulary;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Write, read and audit CC signals (AI-use preferences) in JPEG, PNG and
/// WebP metadata, without re-encoding.
#[derive(Debug, Parser)]
#[command(name = "ccsig", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a CC signal into every image under PATH...
    Apply(ApplyArgs),
    /// Show every signal-bearing field of each image and what it means.
    Read(ReadArgs),
    /// Report every image whose signal is missing, malformed, legacy or contradictory.
    Check(CheckArgs),
    /// Remove what ccsig wrote (its namespace and unchanged mirrors), nothing else.
    Remove(RemoveArgs),
    /// Explain one content-usage expression in words, or what an HTTP
    /// response's fields and a robots.txt state (--header, --robots).
    Explain(ExplainArgs),
    /// For pipelines: may each image be used for a use, given what the pipeline gives in return? (JSON Lines)
    Decide(decide::DecideArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Jsonl,
    Csv,
    /// One self-contained page (check only; implies --all).
    Html,
}

/// `explain` prints words or the JSON contract, not a table of files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Plain text.
    Text,
    Json,
    Jsonl,
}

/// How a new XMP sidecar is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SidecarStyleArg {
    /// IMG_0001.xmp (Lightroom, Bridge, Camera Raw, Capture One).
    #[value(alias = "stem")]
    Lightroom,
    /// IMG_0001.CR2.xmp (darktable, digiKam).
    #[value(alias = "appended")]
    Darktable,
}

impl From<SidecarStyleArg> for ccsig::SidecarStyle {
    fn from(style: SidecarStyleArg) -> Self {
        match style {
            SidecarStyleArg::Lightroom => ccsig::SidecarStyle::Lightroom,
            SidecarStyleArg::Darktable => ccsig::SidecarStyle::Darktable,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignalArg {
    #[value(name = "cc-cr")]
    Cr,
    #[value(name = "cc-cr-dc")]
    CrDc,
    #[value(name = "cc-cr-ec")]
    CrEc,
    #[value(name = "cc-cr-op")]
    CrOp,
}

#[derive(Debug, Args)]
struct Batch {
    /// Worker threads (default: four per core, at least 8: reads and the
    /// fsync that ends each write wait on the disk more than they compute).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

#[derive(Debug, Args)]
struct ApplyArgs {
    /// Files and folders (walked recursively); images are recognised by their bytes.
    #[arg(required_unless_present_any = ["files_from", "manifest"], value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The CC signal: AI use is disallowed unless its terms are met.
    #[arg(
        long,
        value_enum,
        conflicts_with = "expression",
        required_unless_present_any = ["expression", "manifest"]
    )]
    signal: Option<SignalArg>,
    /// The usage category the signal applies to.
    #[arg(
        long = "use",
        value_name = "LABEL",
        default_value = "train-ai",
        requires = "signal"
    )]
    use_label: String,
    /// Any content-usage expression that check would not flag, written
    /// exactly as given (e.g. 'train-ai=n, search=y').
    #[arg(long, value_name = "EXPR")]
    expression: Option<String>,
    /// Write an --expression that check would flag (a legacy label, say)
    /// exactly as given.
    #[arg(long, requires = "expression")]
    force: bool,
    /// Leave files that already state a preference alone (reported as kept).
    #[arg(long)]
    keep_existing: bool,
    /// The AIPREF vocabulary draft labels are checked against: draft-07 or draft-08.
    #[arg(long, value_name = "DRAFT", default_value_t = Vocabulary::default())]
    vocabulary: Vocabulary,
    /// Name to credit (default: the credit written before, else ccREL
    /// attribution, dc:creator, EXIF Artist, IIM By-line).
    #[arg(long, value_name = "NAME")]
    credit_name: Option<String>,
    /// URL to credit: an absolute http(s) URL.
    #[arg(long, value_name = "URL")]
    credit_url: Option<String>,
    /// Show what would change; write nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
    /// Rewrite files signed with C2PA Content Credentials (breaks the signature).
    #[arg(long)]
    allow_breaking_c2pa: bool,
    /// Write an XMP sidecar (photo.jpg.xmp, or the one that exists) and leave the image untouched.
    /// Camera RAW and other images ccsig does not write are always tagged through a sidecar.
    #[arg(long)]
    sidecar: bool,
    /// How a new sidecar is named [default: lightroom (IMG_0001.xmp) for camera RAW and other
    /// images ccsig does not write, darktable (photo.jpg.xmp) for JPEG, PNG and WebP].
    #[arg(long, value_enum, value_name = "STYLE")]
    sidecar_style: Option<SidecarStyleArg>,
    /// Also add IPTC-IIM (2:40 Special Instructions) to JPEGs that have none;
    /// JPEGs that have IIM are always kept in sync.
    #[arg(long)]
    iim: bool,
    #[command(flatten)]
    signing: SigningArgs,
    /// Tag the files a CSV catalog names, each with its row's signal and
    /// credit (see docs/manifest.md); the whole catalog is checked first.
    #[arg(
        long,
        value_name = "CSV",
        conflicts_with_all = ["paths", "signal", "use_label", "expression", "credit_name", "credit_url"]
    )]
    manifest: Option<PathBuf>,
    #[command(flatten)]
    files: FileArgs,
    #[command(flatten)]
    batch: Batch,
    #[command(flatten)]
    walk: walking::WalkArgs,
}

/// How `apply` and `remove` treat the files they rewrite (docs/reliability.md).
#[derive(Debug, Args)]
struct FileArgs {
    /// Rewrite files that have other hard links (those keep the old content).
    #[arg(long)]
    break_hardlinks: bool,
    /// Keep each rewritten file's modification and access times.
    #[arg(long)]
    preserve_mtime: bool,
    /// Always write a fresh copy of each file and rename it over the old
    /// one. By default, when the new XMP packet fits in the old one's
    /// padding, only the packet's bytes are overwritten, under an undo
    /// journal that keeps the file old or new after a crash.
    #[arg(long)]
    no_in_place: bool,
}

/// Signing Content Credentials on every file written (docs/mapping.md,
/// "C2PA Content Credentials").
#[derive(Debug, Args)]
pub(crate) struct SigningArgs {
    /// Sign each file written with new C2PA Content Credentials, stating
    /// the signal; CERT is the signer's PEM certificate chain (signer
    /// first). Files that carry Content Credentials keep them as the new
    /// manifest's parent ingredient.
    #[arg(
        long,
        value_name = "CERT",
        requires = "c2pa_key",
        conflicts_with_all = ["allow_breaking_c2pa", "sidecar"]
    )]
    c2pa_sign: Option<PathBuf>,
    /// The PEM private key of --c2pa-sign's certificate.
    #[arg(long, value_name = "KEY", requires = "c2pa_sign")]
    c2pa_key: Option<PathBuf>,
    /// The signature algorithm of the key: es256, es384, es512, ps256,
    /// ps384, ps512 or ed25519.
    #[arg(
        long,
        value_name = "ALG",
        default_value = "es256",
        requires = "c2pa_sign"
    )]
    c2pa_alg: String,
}

impl SigningArgs {
    /// The signing key, proven to sign before any file is touched.
    #[cfg(feature = "c2pa")]
    pub(crate) fn key(&self) -> Result<Option<Arc<ccsig::SigningKey>>, String> {
        let (Some(cert), Some(key)) = (&self.c2pa_sign, &self.c2pa_key) else {
            return Ok(None);
        };
        let algorithm: ccsig::SigningAlgorithm = self
            .c2pa_alg
            .parse()
            .map_err(|e| format!("--c2pa-alg: {e}"))?;
        let read = |flag: &str, path: &PathBuf| {
            std::fs::read(path).map_err(|e| format!("{flag}: cannot read {}: {e}", path.display()))
        };
        let signing = ccsig::SigningKey::from_pem(
            &read("--c2pa-sign", cert)?,
            &read("--c2pa-key", key)?,
            algorithm,
        )
        .map_err(|e| format!("--c2pa-sign: {e}"))?;
        Ok(Some(Arc::new(signing)))
    }

    /// Without the `c2pa` feature, asking to sign is an error.
    #[cfg(not(feature = "c2pa"))]
    pub(crate) fn key(&self) -> Result<Option<std::convert::Infallible>, String> {
        match self.c2pa_sign {
            Some(_) => Err("--c2pa-sign: this ccsig was built without its c2pa feature".into()),
            None => Ok(None),
        }
    }
}

#[derive(Debug, Args)]
struct ReadArgs {
    #[arg(required_unless_present = "files_from", value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    reading: ReadingArgs,
    #[command(flatten)]
    batch: Batch,
    #[command(flatten)]
    walk: walking::WalkArgs,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[arg(required_unless_present_any = ["files_from", "manifest"], value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Report every file whose signal differs from this expression (one
    /// check itself would not flag, unless --force).
    #[arg(long, value_name = "EXPR")]
    expect: Option<String>,
    /// Use an --expect expression that check would flag, as given.
    #[arg(long, requires = "expect")]
    force: bool,
    #[command(flatten)]
    reading: ReadingArgs,
    /// Also recognise copies of one image without an xmpMM:DocumentID by a
    /// digest of their image data (reads every byte of every image).
    #[arg(long)]
    copies_by_content: bool,
    /// Compare every file a CSV catalog names with its row (see docs/manifest.md).
    #[arg(long, value_name = "CSV", conflicts_with_all = ["paths", "expect"])]
    manifest: Option<PathBuf>,
    /// List every file with its status and what it states, then totals by
    /// status, kind, signal and contributor (the default with --manifest
    /// and --format html).
    #[arg(long, conflicts_with = "findings_only")]
    all: bool,
    /// List findings only (the default for PATHs), also with --manifest.
    #[arg(long)]
    findings_only: bool,
    /// With --manifest --tree: an earlier audit (check --all --format
    /// json|jsonl) whose InstanceIDs and image digests show which missing
    /// rows' files were moved or renamed under the tree.
    #[arg(long, value_name = "AUDIT", requires = "tree")]
    previous: Option<PathBuf>,
    /// With --manifest: also report the images under DIR that no row names.
    #[arg(
        long,
        value_name = "DIR",
        requires = "manifest",
        conflicts_with = "paths"
    )]
    tree: Option<PathBuf>,
    #[command(flatten)]
    batch: Batch,
    #[command(flatten)]
    walk: walking::WalkArgs,
}

#[derive(Debug, Args)]
struct RemoveArgs {
    #[arg(required_unless_present = "files_from", value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Show what would change; write nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
    /// Rewrite files signed with C2PA Content Credentials (breaks the signature).
    #[arg(long)]
    allow_breaking_c2pa: bool,
    /// Clean the XMP sidecars only and leave the image untouched.
    #[arg(long)]
    sidecar: bool,
    #[command(flatten)]
    signing: SigningArgs,
    #[command(flatten)]
    files: FileArgs,
    #[command(flatten)]
    batch: Batch,
    #[command(flatten)]
    walk: walking::WalkArgs,
}

#[derive(Debug, Args)]
struct ExplainArgs {
    /// The expression, e.g. 'train-ai=n;exceptions=cc-cr-ec'.
    #[arg(
        value_name = "EXPR",
        allow_hyphen_values = true,
        required_unless_present_any = ["header", "robots"]
    )]
    expression: Option<String>,
    /// An HTTP response field, 'Name: value' (repeatable): its
    /// Content-Usage, its X-Robots-Tag's noai, noimageai, noindex and
    /// noimageindex.
    #[arg(long, value_name = "FIELD")]
    header: Vec<String>,
    /// A robots.txt: its Content-Usage rules for --url and --user-agent.
    #[arg(long, value_name = "FILE")]
    robots: Option<PathBuf>,
    /// The image's URL, whose path picks robots.txt's rules.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// The fetcher's user agent, whose product token picks robots.txt's
    /// group and addressed X-Robots-Tag directives.
    #[arg(long, value_name = "UA")]
    user_agent: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    format: ExplainFormat,
    /// The AIPREF vocabulary draft labels are read against: draft-07 or draft-08.
    #[arg(long, value_name = "DRAFT", default_value_t = Vocabulary::default())]
    vocabulary: Vocabulary,
}

/// Exit codes.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;
pub const EXIT_INTERRUPTED: i32 = 130;

/// How `read`, `check` and `decide` read each image.
#[derive(Debug, Args)]
pub(crate) struct ReadingArgs {
    /// The AIPREF vocabulary draft labels (and decide's --use) are read
    /// against: draft-07 or draft-08.
    #[arg(long, value_name = "DRAFT", default_value_t = Vocabulary::default())]
    vocabulary: Vocabulary,
    /// Root certificates (a PEM file): C2PA Content Credentials are
    /// trusted only when their signer chains to one, and only then does
    /// an `allowed` in them count.
    #[arg(long, value_name = "PEM", value_parser = trust_anchors)]
    c2pa_trust: Option<Arc<str>>,
}

impl ReadingArgs {
    pub(crate) fn options(&self) -> ccsig::ReadOptions {
        ccsig::ReadOptions {
            vocabulary: self.vocabulary,
            c2pa_trust: self.c2pa_trust.clone(),
        }
    }
}

/// `--c2pa-trust FILE`: the file's certificates, checked before any image
/// is read.
pub(crate) fn trust_anchors(path: &str) -> Result<Arc<str>, String> {
    let pem = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let options = ccsig::ReadOptions::default()
        .with_c2pa_trust(&pem)
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(options.c2pa_trust.unwrap_or_default())
}

impl Command {
    /// The command's name when it was asked for HTML, which only `check`
    /// writes.
    fn html_refused(&self) -> Option<&'static str> {
        let (name, batch) = match self {
            Command::Apply(a) => ("apply", &a.batch),
            Command::Read(a) => ("read", &a.batch),
            Command::Remove(a) => ("remove", &a.batch),
            _ => return None,
        };
        (batch.format == OutputFormat::Html).then_some(name)
    }
}

impl CheckArgs {
    /// Whether every file is listed (`--all`, the default for a catalog and
    /// for HTML) or only findings.
    fn lists_every_file(&self) -> bool {
        self.all
            || (!self.findings_only
                && (self.manifest.is_some() || self.batch.format == OutputFormat::Html))
    }
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    if let Some(command) = cli.command.html_refused() {
        eprintln!("ccsig: --format html is for check (ccsig check --format html); {command} prints table, json, jsonl or csv");
        return EXIT_ERROR;
    }
    let result = match cli.command {
        Command::Apply(a) if a.manifest.is_some() => manifest::apply(a),
        Command::Apply(a) => commands::apply(a),
        Command::Read(a) => commands::read(a),
        Command::Check(a) if a.manifest.is_some() => manifest::check(a),
        Command::Check(a) => commands::check(a),
        Command::Remove(a) => commands::remove(a),
        Command::Explain(a) => commands::explain(a),
        Command::Decide(a) => decide::decide(a),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("ccsig: {e}");
            EXIT_ERROR
        }
    }
}
