//! The Python binding of ccsig: `import ccsig`.
//!
//! A thin layer: every function converts its arguments, calls the library
//! with the GIL released (the library's work is file I/O and parsing), and
//! converts the answer or the library's typed error. No decision, format or
//! walk logic lives here. A Rust panic never reaches the interpreter: each
//! call runs under `catch_unwind` and a panic becomes `ccsig.InternalError`.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use ccsig::signal::{self, InvalidValue, Use, Vocabulary};

mod stream;
mod tree;
use ccsig::{
    audit, ApplyRequest, Commitments, FileSignals, Pipeline, ReadError, ReadOptions, UseDecision,
    WriteOptions,
};

/// Everything that can go wrong in a call, sorted into the Python
/// exception it becomes (see `ccsig/_errors.py`).
pub(crate) enum Failure {
    /// The file could not be read as an image, or could not be opened.
    Read(ReadError),
    /// `apply`/`remove` left the file untouched.
    Write(ccsig::tagging::FileError),
    /// An expression that cannot be used as asked.
    Expression(String),
    /// A value the library's parsing rejects, with the keyword it was given as.
    Invalid(&'static str, Box<InvalidValue>),
    /// Any other argument the library rejects.
    Argument(String),
    /// A bug: the library panicked.
    Panic(String),
    /// Any of the above, about this file.
    InFile(PathBuf, Box<Failure>),
}

impl Failure {
    /// `value` given as `keyword` is not one it may take.
    fn invalid(keyword: &'static str, value: InvalidValue) -> Failure {
        Failure::Invalid(keyword, Box::new(value))
    }

    /// The exception class (in `ccsig._errors`), message and kind.
    fn parts(self) -> (&'static str, String, &'static str) {
        match self {
            Failure::Read(e) if e.is_bad_input() => ("UnreadableImage", e.to_string(), e.kind()),
            Failure::Read(e) => ("AccessError", e.to_string(), e.kind()),
            Failure::Write(ccsig::tagging::FileError::Read(e)) => Failure::Read(e).parts(),
            Failure::Write(e) => ("WriteError", e.to_string(), e.kind()),
            Failure::Expression(m) => ("InvalidExpression", m, "expression"),
            Failure::Invalid(keyword, e) => {
                ("InvalidArgument", format!("{keyword}: {e}"), "argument")
            }
            Failure::Argument(m) => ("InvalidArgument", m, "argument"),
            Failure::Panic(m) => ("InternalError", m, "panic"),
            Failure::InFile(path, inner) => {
                let (class, message, kind) = inner.parts();
                (class, format!("{}: {message}", path.display()), kind)
            }
        }
    }

    pub(crate) fn into_pyerr(self, py: Python<'_>) -> PyErr {
        let path = match &self {
            Failure::InFile(path, _) => Some(path.clone()),
            _ => None,
        };
        let (class, message, kind) = self.parts();
        raise(py, class, &message, kind, path)
    }

    /// Names the file the failure is about in the message and the
    /// exception's `path`.
    fn in_file(self, path: &std::path::Path) -> Failure {
        match self {
            Failure::Argument(_)
            | Failure::Invalid(..)
            | Failure::Expression(_)
            | Failure::InFile(..) => self,
            other => Failure::InFile(path.to_path_buf(), Box::new(other)),
        }
    }
}

impl From<ReadError> for Failure {
    fn from(e: ReadError) -> Self {
        Failure::Read(e)
    }
}

impl From<ccsig::tagging::FileError> for Failure {
    fn from(e: ccsig::tagging::FileError) -> Self {
        Failure::Write(e)
    }
}

/// An instance of the exception class `class` of `ccsig._errors`.
fn raise(py: Python<'_>, class: &str, message: &str, kind: &str, path: Option<PathBuf>) -> PyErr {
    static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let made = ERRORS
        .get_or_try_init(py, || py.import("ccsig._errors").map(Bound::unbind))
        .and_then(|module| module.bind(py).getattr(class))
        .and_then(|cls| cls.call1((message, kind, path)));
    match made {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}

/// Runs `work` with the GIL released; a panic inside becomes a `Failure`.
pub(crate) fn run<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> Result<T, Failure> + Send,
{
    py.detach(|| catch(work))
        .map_err(|failure| failure.into_pyerr(py))
}

/// `work()`, with a panic turned into [`Failure::Panic`].
pub(crate) fn catch<T>(work: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Failure::Panic(format!(
            "ccsig panicked (a bug; please report it): {what}"
        )))
    })
}

/// A file given as a path (`str` or `os.PathLike`) or as its bytes.
enum Input<'a> {
    Path(PathBuf),
    /// `bytes` are immutable, so they are read in place without the GIL.
    Borrowed(&'a [u8]),
    /// `bytearray` and other buffers may change under us: copied first.
    Owned(Vec<u8>),
}

impl<'a> Input<'a> {
    fn from_py(file: &'a Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = file.cast::<PyBytes>() {
            return Ok(Input::Borrowed(bytes.as_bytes()));
        }
        if let Ok(array) = file.cast::<PyByteArray>() {
            return Ok(Input::Owned(array.to_vec()));
        }
        match file.extract::<PathBuf>() {
            Ok(path) => Ok(Input::Path(path)),
            Err(_) => Err(raise(
                file.py(),
                "InvalidArgument",
                &format!(
                    "expected a path (str or os.PathLike) or the file's bytes, got {}",
                    type_name(file)
                ),
                "argument",
                None,
            )),
        }
    }

    /// The library's answer, as is.
    fn read_signals(&self, options: &ReadOptions) -> Result<FileSignals, ReadError> {
        match self {
            Input::Path(path) => ccsig::read_path_in(path, options.clone()),
            Input::Borrowed(bytes) => ccsig::read_bytes_in(bytes, options.clone()),
            Input::Owned(bytes) => ccsig::read_bytes_in(bytes, options.clone()),
        }
    }

    /// The library's answer, with the path in the error.
    fn read(&self, options: &ReadOptions) -> Result<FileSignals, Failure> {
        self.read_signals(options).map_err(|e| self.failure(e))
    }

    fn failure(&self, error: impl Into<Failure>) -> Failure {
        match self {
            Input::Path(path) => error.into().in_file(path),
            _ => error.into(),
        }
    }
}

/// `Class(field=repr, ...)`, with Python's own `repr` of each field.
fn repr(obj: &Bound<'_, PyAny>, class: &str, fields: &[&str]) -> PyResult<String> {
    let parts = fields
        .iter()
        .map(|f| Ok(format!("{f}={}", obj.getattr(*f)?.repr()?)))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(format!("{class}({})", parts.join(", ")))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// What one file says: every signal-bearing field, combined.
#[pyclass(frozen, get_all, module = "ccsig")]
struct Signals {
    /// `jpeg`, `png` or `webp`.
    format: String,
    /// The combined decisions as one expression of current labels, or None.
    expression: Option<String>,
    /// Per current label: `allowed`, `disallowed`, `allowed-with-terms` or `unknown`.
    decisions: std::collections::BTreeMap<String, String>,
    /// Per current label: the CC signals that lift a `disallowed` (`allowed-with-terms`).
    exceptions: std::collections::BTreeMap<String, Vec<String>>,
    credit_name: Option<String>,
    /// The field the credit name came from, e.g. `XMP dc:creator`.
    credit_name_from: Option<String>,
    credit_url: Option<String>,
    /// Every signal-bearing field: (field, value as stored, expression it stands for).
    sources: Vec<(String, String, String)>,
    /// The file carries C2PA Content Credentials.
    c2pa: bool,
    /// How far they hold: `valid`, `trusted`, `invalid` or `unreadable`;
    /// None without credentials.
    c2pa_state: Option<String>,
}

impl Signals {
    fn new(s: &FileSignals) -> Self {
        Signals {
            format: s.format.label().to_string(),
            expression: s.combined_expression(),
            decisions: s
                .decisions
                .iter()
                .map(|(label, d)| (label.clone(), d.as_str().to_string()))
                .collect(),
            exceptions: s
                .decisions
                .iter()
                .map(|(label, d)| (label.clone(), codes(d.signals())))
                .collect(),
            credit_name: s.credit.name.clone(),
            credit_name_from: s.credit.name_from.clone(),
            credit_url: s.credit.url.clone(),
            sources: s
                .sources
                .iter()
                .map(|src| (src.field(), src.stored.clone(), src.expression.clone()))
                .collect(),
            c2pa: s.has_c2pa,
            c2pa_state: s.c2pa_state().map(str::to_string),
        }
    }
}

#[pymethods]
impl Signals {
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr(
            slf,
            "Signals",
            &["format", "expression", "decisions", "credit_name"],
        )
    }
}

fn codes(signals: &[ccsig::SignalCode]) -> Vec<String> {
    signals.iter().map(|c| c.code().to_string()).collect()
}

/// May a pipeline use one file, and on what terms.
#[pyclass(frozen, get_all, module = "ccsig", name = "Decision")]
pub(crate) struct UseDecisionPy {
    /// The file, for `decide_tree` (`shard.tar:0001.jpg` for a shard member).
    path: Option<String>,
    /// `allowed`, `allowed-with-terms`, `disallowed` or `unknown`.
    decision: String,
    usable: bool,
    /// `stated`, `no-signal`, `unreadable` or `unsupported`.
    state: String,
    met_signals: Vec<String>,
    unmet_signals: Vec<String>,
    /// What is owed under the met signals: one dict per element.
    owed: Vec<Owed>,
    credit_name: Option<String>,
    credit_url: Option<String>,
    credit_missing: bool,
    credit_looked_at: Vec<String>,
    reason: String,
    /// The fields whose statements decided it.
    sources: Vec<String>,
}

/// One element owed, as `Decision.owed` holds it.
#[derive(Clone, IntoPyObject)]
pub(crate) struct Owed {
    element: &'static str,
    requirement: &'static str,
    signals: Vec<String>,
    definition: &'static str,
}

impl UseDecisionPy {
    pub(crate) fn new(path: Option<String>, d: UseDecision) -> Self {
        UseDecisionPy {
            path,
            decision: d.verdict.as_str().to_string(),
            usable: d.usable,
            state: d.state.as_str().to_string(),
            met_signals: codes(&d.met_signals),
            unmet_signals: codes(&d.unmet_signals),
            owed: d
                .owed
                .iter()
                .map(|o| Owed {
                    element: o.element.as_str(),
                    requirement: o.requirement,
                    signals: codes(&o.signals),
                    definition: o.definition,
                })
                .collect(),
            credit_name: d.credit_name,
            credit_url: d.credit_url,
            credit_missing: d.credit_missing,
            credit_looked_at: d.credit_looked_at,
            reason: d.reason,
            sources: d.sources,
        }
    }
}

#[pymethods]
impl UseDecisionPy {
    /// The decision as a plain dict (JSON-ready; picklable).
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let d = pyo3::types::PyDict::new(slf.py());
        for field in std::iter::once("path").chain(UseDecision::FIELDS) {
            d.set_item(field, slf.getattr(field)?)?;
        }
        Ok(d)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr(
            slf,
            "Decision",
            &[
                "path",
                "decision",
                "usable",
                "state",
                "met_signals",
                "credit_name",
                "credit_url",
                "credit_missing",
                "reason",
            ],
        )
    }
}

/// One problem `check` found in a file.
#[pyclass(frozen, get_all, module = "ccsig")]
struct Finding {
    /// e.g. `missing`, `conflict`, `malformed`, `unreadable` (docs/audit.md).
    kind: String,
    /// `error`, `warning` or `info`.
    severity: String,
    fields: Vec<String>,
    message: String,
}

#[pymethods]
impl Finding {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let d = pyo3::types::PyDict::new(py);
        d.set_item("kind", &self.kind)?;
        d.set_item("severity", &self.severity)?;
        d.set_item("fields", &self.fields)?;
        d.set_item("message", &self.message)?;
        Ok(d)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr(slf, "Finding", &["kind", "severity", "fields", "message"])
    }
}

impl From<audit::Finding> for Finding {
    fn from(f: audit::Finding) -> Self {
        Finding {
            kind: f.kind.name().to_string(),
            severity: f.severity.as_str().to_string(),
            fields: f.fields,
            message: f.message,
        }
    }
}

/// What `apply` or `remove` did to one file.
#[pyclass(frozen, get_all, module = "ccsig")]
struct WriteResult {
    /// `written`, `would_write` (dry run), `removed`, `would_remove` (remove),
    /// `kept` (`keep_existing` and the file states a preference) or `unchanged`.
    change: String,
    /// (severity, message) pairs, e.g. where the credit name came from.
    notes: Vec<(String, String)>,
}

#[pymethods]
impl WriteResult {
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr(slf, "WriteResult", &["change", "notes"])
    }
}

impl From<ccsig::tagging::Outcome> for WriteResult {
    fn from(o: ccsig::tagging::Outcome) -> Self {
        WriteResult {
            change: o.change.as_str().to_string(),
            notes: o
                .notes
                .into_iter()
                .map(|n| (n.severity.as_str().to_string(), n.message))
                .collect(),
        }
    }
}

/// The arguments every decision takes, each parsed once by the library into
/// a type that cannot hold a bad value.
#[derive(Clone)]
pub(crate) struct DecideArgs {
    pub(crate) pipeline: Pipeline,
    /// How each file is read (vocabulary, C2PA trust anchors).
    pub(crate) read: ReadOptions,
}

impl DecideArgs {
    pub(crate) fn parse(
        use_label: &str,
        we_give: &Bound<'_, PyAny>,
        unknown: &str,
        unreadable: &str,
        vocabulary: &str,
        c2pa_trust: Option<&Path>,
    ) -> Result<Self, Failure> {
        let read = read_options(vocabulary, c2pa_trust)?;
        let vocabulary = read.vocabulary;
        let usage = Use::parse(use_label, vocabulary).map_err(|e| Failure::invalid("use", e))?;
        let pipeline = Pipeline {
            unknown: unknown
                .parse()
                .map_err(|e| Failure::invalid("unknown", e))?,
            unreadable: unreadable
                .parse()
                .map_err(|e| Failure::invalid("unreadable", e))?,
            ..Pipeline::new(usage, commitments(we_give)?)
        };
        Ok(DecideArgs { pipeline, read })
    }
}

pub(crate) fn parse_vocabulary(name: &str) -> Result<Vocabulary, Failure> {
    name.parse().map_err(|e| Failure::invalid("vocabulary", e))
}

/// `vocabulary` and `c2pa_trust` (a PEM file of root certificates), checked.
pub(crate) fn read_options(
    vocabulary: &str,
    c2pa_trust: Option<&Path>,
) -> Result<ReadOptions, Failure> {
    let options = ReadOptions::from(parse_vocabulary(vocabulary)?);
    let Some(path) = c2pa_trust else {
        return Ok(options);
    };
    let pem = std::fs::read_to_string(path).map_err(|e| {
        Failure::Argument(format!("c2pa_trust: cannot read {}: {e}", path.display()))
    })?;
    options
        .with_c2pa_trust(&pem)
        .map_err(|e| Failure::Argument(format!("c2pa_trust: {}: {e}", path.display())))
}

/// `we_give`: an iterable of element names, or one comma-separated string.
fn commitments(we_give: &Bound<'_, PyAny>) -> Result<Commitments, Failure> {
    let names: Vec<String> = if let Ok(s) = we_give.cast::<PyString>() {
        vec![s.to_string()]
    } else {
        let iter = we_give.try_iter().map_err(|_| {
            Failure::Argument(format!(
                "we_give must be a list of element names, got {}",
                type_name(we_give)
            ))
        })?;
        iter.map(|item| {
            item.and_then(|i| i.extract::<String>())
                .map_err(|_| Failure::Argument("we_give must hold element names (str)".into()))
        })
        .collect::<Result<_, _>>()?
    };
    Commitments::parse_all(names.iter().map(String::as_str))
        .map_err(|e| Failure::invalid("we_give", e))
}

/// What a caller can do about an expression `check` would flag.
const FORCE_HINT: &str = " (force=True to use it as given)";

fn force_hint(e: &ccsig::RequestError) -> &'static str {
    match e {
        ccsig::RequestError::Flagged(_) => FORCE_HINT,
        _ => "",
    }
}

/// The use a signal applies to when `use` is not given (as on the command line).
const DEFAULT_USE: &str = "train-ai";

/// What `apply` and `apply_bytes` are asked to write, as given.
struct Requested<'a> {
    signal: Option<&'a str>,
    expression: Option<&'a str>,
    use_label: Option<&'a str>,
    vocabulary: &'a str,
    /// Write an expression `check` would flag, as given.
    force: bool,
    credit_name: Option<String>,
    credit_url: Option<String>,
}

impl Requested<'_> {
    /// The request, checked before any file is touched: a bad argument is
    /// the caller's mistake, whatever the file.
    fn check(self, py: Python<'_>) -> PyResult<ApplyRequest> {
        catch(|| {
            request(
                self.signal,
                self.expression,
                self.use_label,
                self.vocabulary,
                self.force,
                self.credit_name,
                self.credit_url,
            )
        })
        .map_err(|f| f.into_pyerr(py))
    }
}

/// The request `apply` writes: a CC signal for a use, or an expression.
fn request(
    signal: Option<&str>,
    expression: Option<&str>,
    use_label: Option<&str>,
    vocabulary: &str,
    force: bool,
    credit_name: Option<String>,
    credit_url: Option<String>,
) -> Result<ApplyRequest, Failure> {
    let vocabulary = parse_vocabulary(vocabulary)?;
    let request = match (signal, expression) {
        (Some(_), Some(_)) => {
            return Err(Failure::Argument(
                "give signal or expression, not both".into(),
            ))
        }
        (None, None) => return Err(Failure::Argument("give signal or expression".into())),
        (Some(code), None) => {
            let code = code
                .parse::<ccsig::SignalCode>()
                .map_err(|e| Failure::invalid("signal", e))?;
            let usage = Use::parse(use_label.unwrap_or(DEFAULT_USE), vocabulary)
                .map_err(|e| Failure::invalid("use", e))?;
            ApplyRequest::for_use(code, usage)
        }
        (None, Some(_)) if use_label.is_some() => {
            return Err(Failure::Argument(
                "use goes with signal: an expression names its own categories".into(),
            ))
        }
        (None, Some(raw)) => {
            let options = ccsig::RequestOptions { vocabulary, force };
            ApplyRequest::from_expression_with(raw, options)
                .map_err(|e| Failure::Expression(format!("expression: {e}{}", force_hint(&e))))?
        }
    };
    request
        .credited(credit_name.as_deref(), credit_url.as_deref())
        .map_err(|e| Failure::Argument(e.to_string()))
}

/// Reads the signals of one image: a path (`str` or `os.PathLike`, XMP
/// sidecars next to it included) or the file's bytes.
///
/// Returns a `Signals`: `expression` (the combined decisions as one
/// expression, or None), `decisions` (per current label: `allowed`,
/// `disallowed`, `allowed-with-terms` or `unknown`, as `ccsig read --format json`
/// says; what the file states, not a verdict for a pipeline: see
/// `decide`), `exceptions`, `credit_name`, `credit_url`, `sources`.
///
/// Raises `UnreadableImage` (not JPEG/PNG/WebP, truncated, malformed) or
/// `AccessError` (cannot open).
#[pyfunction]
#[pyo3(signature = (file, *, vocabulary = "draft-07", c2pa_trust = None))]
fn read(
    py: Python<'_>,
    file: &Bound<'_, PyAny>,
    vocabulary: &str,
    c2pa_trust: Option<PathBuf>,
) -> PyResult<Signals> {
    let options =
        catch(|| read_options(vocabulary, c2pa_trust.as_deref())).map_err(|f| f.into_pyerr(py))?;
    let input = Input::from_py(file)?;
    run(py, || input.read(&options).map(|s| Signals::new(&s)))
}

/// May a pipeline doing `use` and giving `we_give` use this file (a path
/// or its bytes)?
///
/// Every argument is checked before the file is read: a bad value raises
/// `InvalidArgument` (a `ValueError`) naming the nearest valid one.
/// `we_give`: element names (`credit`, `direct-contribution`,
/// `ecosystem-contribution`, `open`), a list or one comma-separated string.
/// A CC signal is met when every element it names is given. `unknown`
/// ("deny" or "allow"): whether a file that was read and states nothing is
/// usable. `unreadable` ("deny" or "allow"): whether a file that could not
/// be read, or whose format ccsig does not read, is usable (riskier: it may
/// say "no" where ccsig cannot see). `on_error`: "raise" (default) or
/// "unknown" (such a file gives an `unknown` decision, `state`
/// `unreadable` or `unsupported`).
///
/// Returns a `Decision` (see the type stubs and docs/schema.md).
#[pyfunction]
#[pyo3(signature = (file, *, r#use = "train-ai", we_give = None, unknown = "deny", unreadable = "deny", on_error = "raise", vocabulary = "draft-07", c2pa_trust = None, headers = None, robots = None, url = None, user_agent = None))]
#[allow(clippy::too_many_arguments)]
fn decide(
    py: Python<'_>,
    file: &Bound<'_, PyAny>,
    r#use: &str,
    we_give: Option<&Bound<'_, PyAny>>,
    unknown: &str,
    unreadable: &str,
    on_error: &str,
    vocabulary: &str,
    c2pa_trust: Option<PathBuf>,
    headers: Option<&Bound<'_, PyAny>>,
    robots: Option<String>,
    url: Option<String>,
    user_agent: Option<String>,
) -> PyResult<UseDecisionPy> {
    let args = decide_args(
        py, r#use, we_give, unknown, unreadable, vocabulary, c2pa_trust,
    )?;
    let decide_unreadable = on_error_policy(py, on_error)?;
    let web = web_context(headers, robots, url, user_agent)?;
    let input = Input::from_py(file)?;
    let path = match &input {
        Input::Path(p) => Some(p.to_string_lossy().into_owned()),
        _ => None,
    };
    run(py, || {
        let read = input.read_signals(&args.read);
        decision_of(&args, &web, decide_unreadable, read, |e| input.failure(e))
    })
    .map(|d| UseDecisionPy::new(path, d))
}

/// The decision for what a read gave, the web context included; an error
/// for a file that could not be read, unless a "no" around it decides or
/// `decide_unreadable` asks for an `unknown` decision.
pub(crate) fn decision_of(
    args: &DecideArgs,
    web: &ccsig::WebContext,
    decide_unreadable: bool,
    read: Result<FileSignals, ReadError>,
    failure: impl Fn(ReadError) -> Failure,
) -> Result<ccsig::UseDecision, Failure> {
    match read {
        Ok(mut signals) => {
            signals.add_web(web);
            let decision = args.pipeline.decide(&signals);
            // An image read only through sidecars that say nothing was not
            // really read: raised like one that could not be, unless asked.
            match signals.format {
                ccsig::Format::Other(name)
                    if decision.state == ccsig::State::Unsupported && !decide_unreadable =>
                {
                    Err(failure(ccsig::ReadError::Container(
                        ccsig::ContainerError::OtherFormat(name),
                    )))
                }
                _ => Ok(decision),
            }
        }
        Err(e) => {
            // A "no" around the file stands though the file is unreadable.
            let around = args.pipeline.decide_error_with(&e, web);
            match (around.verdict, decide_unreadable) {
                (ccsig::Verdict::Disallowed, _) | (_, true) => Ok(around),
                _ => Err(failure(e)),
            }
        }
    }
}

/// Reads a file's signals through `fetch(offset, length) -> bytes`,
/// fetching only the ranges the read needs (the file's size, when known,
/// saves a round trip; else it is learnt from a fetch that comes back
/// short). A fetch that raises or brings nothing is retried a few times.
fn read_through(
    py: Python<'_>,
    fetch: &Bound<'_, PyAny>,
    fetch_many: Option<&Bound<'_, PyAny>>,
    size: Option<u64>,
    options: &ReadOptions,
    url: Option<&str>,
) -> PyResult<Result<FileSignals, ReadError>> {
    let mut read = ccsig::ranged::RangedRead::new(size, options.clone());
    if let Some(url) = url {
        // The file's name, without a query or fragment: a camera RAW is
        // known by its extension.
        let path = url.split(['?', '#']).next().unwrap_or(url);
        read = read.with_name(path);
    }
    let mut last_error = None;
    loop {
        let step = py
            .detach(|| catch(|| Ok(read.step())))
            .map_err(|f| f.into_pyerr(py))?;
        match step {
            ccsig::ranged::Step::Done(answer) => {
                return Ok(match (*answer, last_error) {
                    (Err(ReadError::Io(e)), Some(why)) => Err(ReadError::Io(std::io::Error::new(
                        e.kind(),
                        format!("{e} (the last fetch raised {why})"),
                    ))),
                    (answer, _) => answer,
                })
            }
            ccsig::ranged::Step::Fetch(ranges) if ranges.len() > 1 && fetch_many.is_some() => {
                let asked: Vec<(u64, u64)> =
                    ranges.iter().map(|r| (r.start, r.end - r.start)).collect();
                let got = fetch_many
                    .expect("given")
                    .call1((asked.clone(),))
                    .and_then(|got| {
                        got.try_iter()?
                            .map(|b| bytes_of(&b?))
                            .collect::<PyResult<Vec<_>>>()
                    });
                match got {
                    Ok(got) if got.len() == asked.len() => {
                        for ((at, len), bytes) in asked.into_iter().zip(got) {
                            read.feed_asked(at, len, &bytes);
                        }
                    }
                    Ok(got) => {
                        last_error = Some(format!(
                            "fetch_many returned {} answers for {} ranges",
                            got.len(),
                            asked.len()
                        ))
                    }
                    Err(e) => last_error = Some(e.to_string()),
                }
            }
            ccsig::ranged::Step::Fetch(ranges) => {
                for r in ranges {
                    let asked = r.end - r.start;
                    match fetch.call1((r.start, asked)) {
                        Ok(got) => {
                            let bytes = bytes_of(&got)?;
                            read.feed_asked(r.start, asked, &bytes);
                        }
                        Err(e) => last_error = Some(e.to_string()),
                    }
                }
            }
        }
    }
}

/// The bytes a fetch returned (bytes, bytearray, or any buffer of bytes).
fn bytes_of(got: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = got.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(a) = got.cast::<PyByteArray>() {
        return Ok(a.to_vec());
    }
    got.extract()
}

/// `read`, through `fetch(offset, length) -> bytes` (an fsspec file's
/// seek and read, a requests Range GET, boto3's get_object(Range=...)):
/// only the ranges the read needs are fetched, and the answer is what
/// reading the whole file gives. `size`: the file's length, when known.
/// `fetch_many([(offset, length), ...]) -> [bytes, ...]`, when given, is
/// called instead for a step that needs several ranges at once (with a
/// known size, the first: the head and the tail), so that they cost one
/// round trip (a multi-range HTTP request, parallel GETs).
#[pyfunction]
#[pyo3(signature = (fetch, size = None, *, fetch_many = None, vocabulary = "draft-07", c2pa_trust = None))]
fn read_ranged(
    py: Python<'_>,
    fetch: &Bound<'_, PyAny>,
    size: Option<u64>,
    fetch_many: Option<&Bound<'_, PyAny>>,
    vocabulary: &str,
    c2pa_trust: Option<PathBuf>,
) -> PyResult<Signals> {
    let options =
        catch(|| read_options(vocabulary, c2pa_trust.as_deref())).map_err(|f| f.into_pyerr(py))?;
    match read_through(py, fetch, fetch_many, size, &options, None)? {
        Ok(signals) => Ok(Signals::new(&signals)),
        Err(e) => Err(Failure::from(e).into_pyerr(py)),
    }
}

/// `decide`, through `fetch(offset, length) -> bytes` as `read_ranged`
/// reads: the same arguments, the same answer.
#[pyfunction]
#[pyo3(signature = (fetch, size = None, *, fetch_many = None, r#use = "train-ai", we_give = None, unknown = "deny", unreadable = "deny", on_error = "raise", vocabulary = "draft-07", c2pa_trust = None, headers = None, robots = None, url = None, user_agent = None))]
#[allow(clippy::too_many_arguments)]
fn decide_ranged(
    py: Python<'_>,
    fetch: &Bound<'_, PyAny>,
    size: Option<u64>,
    fetch_many: Option<&Bound<'_, PyAny>>,
    r#use: &str,
    we_give: Option<&Bound<'_, PyAny>>,
    unknown: &str,
    unreadable: &str,
    on_error: &str,
    vocabulary: &str,
    c2pa_trust: Option<PathBuf>,
    headers: Option<&Bound<'_, PyAny>>,
    robots: Option<String>,
    url: Option<String>,
    user_agent: Option<String>,
) -> PyResult<UseDecisionPy> {
    let args = decide_args(
        py, r#use, we_give, unknown, unreadable, vocabulary, c2pa_trust,
    )?;
    let decide_unreadable = on_error_policy(py, on_error)?;
    let web = web_context(headers, robots, url.clone(), user_agent)?;
    let read = read_through(py, fetch, fetch_many, size, &args.read, url.as_deref())?;
    catch(|| decision_of(&args, &web, decide_unreadable, read, Failure::from))
        .map_err(|f| f.into_pyerr(py))
        .map(|d| UseDecisionPy::new(url, d))
}

/// Header fields as (name, value) pairs: from a mapping (a dict,
/// `requests`' headers, `email.message.Message`: anything with `items()`)
/// or a sequence of pairs.
fn header_pairs(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let pairs = || -> PyResult<Vec<(String, String)>> {
        let items = match headers.hasattr("items")? {
            true => headers.call_method0("items")?,
            false => headers.clone(),
        };
        items.try_iter()?.map(|pair| pair?.extract()).collect()
    };
    pairs().map_err(|e| {
        raise(
            headers.py(),
            "InvalidArgument",
            &format!("headers: expected a mapping or (name, value) pairs of str ({e})"),
            "argument",
            None,
        )
    })
}

/// The web context of `headers`, `robots`, `url`, `user_agent`.
pub(crate) fn web_context(
    headers: Option<&Bound<'_, PyAny>>,
    robots: Option<String>,
    url: Option<String>,
    user_agent: Option<String>,
) -> PyResult<ccsig::WebContext> {
    Ok(ccsig::WebContext {
        headers: headers.map(header_pairs).transpose()?.unwrap_or_default(),
        robots,
        url,
        user_agent,
    })
}

/// The statements of web sources as dicts: `field`, `stored`,
/// `expression`, `parsed`, `problem` (why it does not parse, or None).
fn web_sources_py<'py>(
    py: Python<'py>,
    web: &ccsig::WebContext,
) -> PyResult<Vec<Bound<'py, pyo3::types::PyDict>>> {
    web.sources()
        .into_iter()
        .map(|s| {
            let d = pyo3::types::PyDict::new(py);
            d.set_item("field", s.field())?;
            d.set_item("stored", &s.stored)?;
            d.set_item("expression", &s.expression)?;
            d.set_item("parsed", s.statement.parsed)?;
            d.set_item("problem", s.statement.parse_error.clone())?;
            Ok(d)
        })
        .collect()
}

/// What an HTTP response's header fields state (draft-ietf-aipref-attach's
/// `Content-Usage`, and `X-Robots-Tag`'s `noai`, `noimageai`, `noindex`,
/// `noimageindex`): a list of dicts, `field` (`HTTP Content-Usage`, `HTTP
/// X-Robots-Tag noai`), `stored`, `expression`, `parsed`, `problem`.
/// `headers`: a mapping or a sequence of (name, value) pairs.
/// `user_agent` picks the `X-Robots-Tag` directives addressed to it.
#[pyfunction]
#[pyo3(signature = (headers, *, user_agent = None))]
fn parse_header<'py>(
    py: Python<'py>,
    headers: &Bound<'py, PyAny>,
    user_agent: Option<String>,
) -> PyResult<Vec<Bound<'py, pyo3::types::PyDict>>> {
    let web = web_context(Some(headers), None, None, user_agent)?;
    web_sources_py(py, &web)
}

/// The `Content-Usage` rules of a robots.txt (`text`) that apply to
/// `user_agent` fetching `url` (RFC 9309 groups; the longest matching path
/// wins): a list of dicts as `parse_header` gives, `field` `robots.txt
/// line N`.
#[pyfunction]
#[pyo3(signature = (text, *, url = None, user_agent = None))]
fn parse_robots<'py>(
    py: Python<'py>,
    text: String,
    url: Option<String>,
    user_agent: Option<String>,
) -> PyResult<Vec<Bound<'py, pyo3::types::PyDict>>> {
    let web = web_context(None, Some(text), url, user_agent)?;
    web_sources_py(py, &web)
}

pub(crate) fn decide_args(
    py: Python<'_>,
    use_label: &str,
    we_give: Option<&Bound<'_, PyAny>>,
    unknown: &str,
    unreadable: &str,
    vocabulary: &str,
    c2pa_trust: Option<PathBuf>,
) -> PyResult<DecideArgs> {
    let none = pyo3::types::PyTuple::empty(py);
    let we_give = we_give.unwrap_or(none.as_any());
    catch(|| {
        DecideArgs::parse(
            use_label,
            we_give,
            unknown,
            unreadable,
            vocabulary,
            c2pa_trust.as_deref(),
        )
    })
    .map_err(|f| f.into_pyerr(py))
}

/// `on_error`: "raise" (the default) or "unknown" (an unreadable file
/// becomes an `unknown` decision whose reason is the error).
pub(crate) fn on_error_policy(py: Python<'_>, on_error: &str) -> PyResult<bool> {
    match on_error {
        "raise" => Ok(false),
        "unknown" => Ok(true),
        other => Err(Failure::invalid(
            "on_error",
            InvalidValue::new(other, "an on_error policy", &["raise", "unknown"]),
        )
        .into_pyerr(py)),
    }
}

/// The signing key of `c2pa_sign` (a PEM certificate chain) and `c2pa_key`
/// (its PEM private key), proven to sign before any file is touched.
fn signing_key(
    py: Python<'_>,
    c2pa_sign: Option<PathBuf>,
    c2pa_key: Option<PathBuf>,
    c2pa_alg: &str,
) -> PyResult<Option<std::sync::Arc<ccsig::SigningKey>>> {
    let fail = |m: String| Failure::Argument(m).into_pyerr(py);
    let (cert, key) = match (c2pa_sign, c2pa_key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        _ => return Err(fail("c2pa_sign and c2pa_key go together".into())),
    };
    let algorithm: ccsig::SigningAlgorithm = c2pa_alg
        .parse()
        .map_err(|e| fail(format!("c2pa_alg: {e}")))?;
    let read = |name: &str, path: &PathBuf| {
        std::fs::read(path)
            .map_err(|e| fail(format!("{name}: cannot read {}: {e}", path.display())))
    };
    let (chain, key) = (read("c2pa_sign", &cert)?, read("c2pa_key", &key)?);
    let signing = run(py, || {
        ccsig::SigningKey::from_pem(&chain, &key, algorithm)
            .map_err(|e| Failure::Argument(format!("c2pa_sign: {e}")))
    })?;
    Ok(Some(std::sync::Arc::new(signing)))
}

/// Writes `<use>=n;exceptions=<signal>` (or `expression`, exactly as
/// given) into the image at `path`, atomically, and into its XMP sidecars,
/// like `ccsig apply`. Give `signal` or `expression`. Returns a
/// `WriteResult` (`change`: written, would_write, kept, unchanged; `notes`).
///
/// With `c2pa_sign` (a PEM certificate chain) and `c2pa_key` (its PEM
/// private key; `c2pa_alg`: es256 by default), each file written is signed
/// with new Content Credentials stating the signal, its earlier manifest
/// kept as the new one's parent ingredient.
///
/// Raises `InvalidArgument`, `InvalidExpression`, `UnreadableImage`,
/// `AccessError` or `WriteError` (kind `refused` for C2PA-signed files
/// without `c2pa_sign`); the file is untouched whenever an exception is
/// raised.
#[pyfunction]
#[pyo3(signature = (path, *, signal = None, expression = None, r#use = None, credit_name = None, credit_url = None, dry_run = false, sidecar = false, sidecar_style = None, iim = false, allow_breaking_c2pa = false, keep_existing = false, break_hardlinks = false, preserve_mtime = false, vocabulary = "draft-07", force = false, c2pa_sign = None, c2pa_key = None, c2pa_alg = "es256"))]
#[allow(clippy::too_many_arguments)]
fn apply(
    py: Python<'_>,
    path: PathBuf,
    signal: Option<&str>,
    expression: Option<&str>,
    r#use: Option<&str>,
    credit_name: Option<String>,
    credit_url: Option<String>,
    dry_run: bool,
    sidecar: bool,
    sidecar_style: Option<&str>,
    iim: bool,
    allow_breaking_c2pa: bool,
    keep_existing: bool,
    break_hardlinks: bool,
    preserve_mtime: bool,
    vocabulary: &str,
    force: bool,
    c2pa_sign: Option<PathBuf>,
    c2pa_key: Option<PathBuf>,
    c2pa_alg: &str,
) -> PyResult<WriteResult> {
    let sidecar_style = sidecar_style
        .map(str::parse::<ccsig::SidecarStyle>)
        .transpose()
        .map_err(|e| Failure::Argument(format!("sidecar_style: {e}")).into_pyerr(py))?;
    let opts = WriteOptions {
        dry_run,
        allow_breaking_c2pa,
        sidecar_only: sidecar,
        sidecar_style,
        add_iim: iim,
        keep_existing,
        break_hardlinks,
        preserve_mtime,
        c2pa_sign: signing_key(py, c2pa_sign, c2pa_key, c2pa_alg)?,
        ..WriteOptions::default()
    };
    let request = Requested {
        signal,
        expression,
        use_label: r#use,
        vocabulary,
        force,
        credit_name,
        credit_url,
    }
    .check(py)?;
    run(py, || {
        ccsig::apply_path(&path, &request, &opts)
            .map(WriteResult::from)
            .map_err(|e| Failure::from(e).in_file(&path))
    })
}

/// Writes a CC signal (or an expression) into an image held in memory and
/// returns the new bytes (the same object when it already says exactly that).
/// `c2pa_sign`, `c2pa_key` and `c2pa_alg` sign it as for `apply`.
#[pyfunction]
#[pyo3(signature = (data, *, signal = None, expression = None, r#use = None, credit_name = None, credit_url = None, iim = false, allow_breaking_c2pa = false, vocabulary = "draft-07", force = false, c2pa_sign = None, c2pa_key = None, c2pa_alg = "es256"))]
#[allow(clippy::too_many_arguments)]
fn apply_bytes<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyBytes>,
    signal: Option<&str>,
    expression: Option<&str>,
    r#use: Option<&str>,
    credit_name: Option<String>,
    credit_url: Option<String>,
    iim: bool,
    allow_breaking_c2pa: bool,
    vocabulary: &str,
    force: bool,
    c2pa_sign: Option<PathBuf>,
    c2pa_key: Option<PathBuf>,
    c2pa_alg: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let opts = WriteOptions {
        allow_breaking_c2pa,
        add_iim: iim,
        c2pa_sign: signing_key(py, c2pa_sign, c2pa_key, c2pa_alg)?,
        ..WriteOptions::default()
    };
    let request = Requested {
        signal,
        expression,
        use_label: r#use,
        vocabulary,
        force,
        credit_name,
        credit_url,
    }
    .check(py)?;
    let bytes = data.as_bytes();
    let new = run(py, || Ok(ccsig::apply_bytes(bytes, &request, &opts)?.0))?;
    Ok(match new {
        Some(new) => PyBytes::new(py, &new),
        None => data.clone(),
    })
}

/// Removes what ccsig wrote from the image at `path` and its sidecars.
/// With `c2pa_sign` and `c2pa_key` (as for `apply`), a file is signed with
/// new Content Credentials that state no preference (a withdrawal).
#[pyfunction]
#[pyo3(signature = (path, *, dry_run = false, sidecar = false, break_hardlinks = false, preserve_mtime = false, c2pa_sign = None, c2pa_key = None, c2pa_alg = "es256"))]
#[allow(clippy::too_many_arguments)]
fn remove(
    py: Python<'_>,
    path: PathBuf,
    dry_run: bool,
    sidecar: bool,
    break_hardlinks: bool,
    preserve_mtime: bool,
    c2pa_sign: Option<PathBuf>,
    c2pa_key: Option<PathBuf>,
    c2pa_alg: &str,
) -> PyResult<WriteResult> {
    let opts = WriteOptions {
        dry_run,
        sidecar_only: sidecar,
        break_hardlinks,
        preserve_mtime,
        c2pa_sign: signing_key(py, c2pa_sign, c2pa_key, c2pa_alg)?,
        ..WriteOptions::default()
    };
    run(py, || {
        ccsig::remove_path(&path, &opts)
            .map(WriteResult::from)
            .map_err(|e| Failure::from(e).in_file(&path))
    })
}

/// Removes what ccsig wrote from an image held in memory; returns the new
/// bytes (the same object when there was nothing to remove).
#[pyfunction]
fn remove_bytes<'py>(py: Python<'py>, data: &Bound<'py, PyBytes>) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = data.as_bytes();
    let new = run(py, || {
        Ok(ccsig::remove_bytes(bytes, &WriteOptions::default())?.0)
    })?;
    Ok(match new {
        Some(new) => PyBytes::new(py, &new),
        None => data.clone(),
    })
}

/// Audits one image (path or bytes): every finding, optionally against an
/// expected expression. An unreadable file gives one `unreadable` finding.
///
/// `expect` is held to the rule `check --expect` holds it to: an expression
/// `check` would flag (malformed, an unknown or legacy label, ...) raises
/// `InvalidExpression` before the file is read, unless `force=True`.
#[pyfunction]
#[pyo3(signature = (file, *, expect = None, force = false, vocabulary = "draft-07", c2pa_trust = None))]
fn check(
    py: Python<'_>,
    file: &Bound<'_, PyAny>,
    expect: Option<&str>,
    force: bool,
    vocabulary: &str,
    c2pa_trust: Option<PathBuf>,
) -> PyResult<Vec<Finding>> {
    let (options, expect) = catch(|| {
        let options = read_options(vocabulary, c2pa_trust.as_deref())?;
        let vocabulary = options.vocabulary;
        let expect = match expect {
            None => None,
            Some(raw) if force => Some(signal::parse_in(raw, vocabulary)),
            Some(raw) => Some(
                signal::validate_for_writing_in(raw, vocabulary)
                    .map_err(|e| Failure::Expression(format!("expect: {e}{FORCE_HINT}")))?,
            ),
        };
        Ok((options, expect))
    })
    .map_err(|f| f.into_pyerr(py))?;
    let input = Input::from_py(file)?;
    let findings = run(py, || {
        Ok(match input.read_signals(&options) {
            Ok(signals) => audit::check(&signals, expect.as_ref()),
            Err(e) => vec![audit::unreadable(&e.to_string())],
        })
    })?;
    Ok(findings.into_iter().map(Finding::from).collect())
}

/// Panics inside the library's guard, so tests can see that a Rust panic
/// reaches Python as `ccsig.InternalError` and never as a crash.
#[pyfunction]
fn _panic_for_tests(py: Python<'_>) -> PyResult<()> {
    run(py, || -> Result<(), Failure> {
        panic!("deliberate panic for the tests")
    })
}

#[pymodule]
fn _ccsig(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Signals>()?;
    m.add_class::<UseDecisionPy>()?;
    m.add_class::<Finding>()?;
    m.add_class::<WriteResult>()?;
    m.add_class::<tree::DecisionIterator>()?;
    m.add_class::<stream::StreamDecider>()?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(decide, m)?)?;
    m.add_function(wrap_pyfunction!(parse_header, m)?)?;
    m.add_function(wrap_pyfunction!(read_ranged, m)?)?;
    m.add_function(wrap_pyfunction!(decide_ranged, m)?)?;
    m.add_function(wrap_pyfunction!(parse_robots, m)?)?;
    m.add_function(wrap_pyfunction!(tree::decide_tree, m)?)?;
    m.add_function(wrap_pyfunction!(tree::decide_listed, m)?)?;
    m.add_function(wrap_pyfunction!(apply, m)?)?;
    m.add_function(wrap_pyfunction!(apply_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(remove, m)?)?;
    m.add_function(wrap_pyfunction!(remove_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
