//! Many files at once: `decide_tree` (the library's tree reader on a
//! background thread, decisions sent through a bounded channel and pulled
//! by a Python iterator with the GIL released) and `decide_listed` (one
//! file of someone else's listing, held in memory: an image or a shard).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use ccsig::{TreeItem, TreeOptions, UseDecision};

use crate::{catch, decide_args, run, DecideArgs, Failure, UseDecisionPy};

/// What the background walk sends to the iterator.
enum Message {
    Decision(String, UseDecision),
    Skipped(String, String),
    /// The walk is over: it ended (cancelled or not), or could not run.
    Finished(Result<(), Failure>),
}

/// The decision for one tree item (every image has one, even one ccsig
/// cannot read), or the reason it was passed over.
fn decide_item(args: &DecideArgs, item: TreeItem) -> Message {
    match (args.pipeline.decide_item(&item), item) {
        (Some(decision), item) => Message::Decision(item.path().to_string(), decision),
        (None, TreeItem::Skipped { path, reason }) => Message::Skipped(path, reason.to_string()),
        (None, TreeItem::Read { path, .. }) => {
            Message::Finished(Err(Failure::Panic(format!("{path}: read but not decided"))))
        }
    }
}

fn tree_failure(e: ccsig::TreeError) -> Failure {
    match e {
        ccsig::TreeError::Exclude(_) => Failure::Argument(e.to_string()),
        other => Failure::Panic(other.to_string()),
    }
}

/// The decisions of `decide_tree`, in the order they are made.
#[pyclass(module = "ccsig")]
pub(crate) struct DecisionIterator {
    receiver: Mutex<Receiver<Message>>,
    cancel: Arc<AtomicBool>,
    skipped: Mutex<Vec<(String, String)>>,
    finished: AtomicBool,
}

impl Drop for DecisionIterator {
    fn drop(&mut self) {
        // Dropping the receiver also makes the walk's next send fail.
        self.cancel.store(true, Ordering::SeqCst);
    }
}

#[pymethods]
impl DecisionIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<UseDecisionPy> {
        loop {
            if self.finished.load(Ordering::SeqCst) {
                return Err(PyStopIteration::new_err(()));
            }
            // Wake up now and then so that Ctrl-C (a Python signal
            // handler, run only with the GIL) is not held up by a slow file.
            let message = py.detach(|| {
                let receiver = self.receiver.lock().unwrap_or_else(|p| p.into_inner());
                receiver.recv_timeout(Duration::from_millis(100))
            });
            match message {
                Err(RecvTimeoutError::Timeout) => py.check_signals()?,
                Ok(Message::Decision(path, d)) => return Ok(UseDecisionPy::new(Some(path), d)),
                Ok(Message::Skipped(path, reason)) => self
                    .skipped
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((path, reason)),
                Ok(Message::Finished(result)) => {
                    self.finished.store(true, Ordering::SeqCst);
                    result.map_err(|f| f.into_pyerr(py))?;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.finished.store(true, Ordering::SeqCst);
                    return Err(
                        Failure::Panic("the tree walk ended unexpectedly".into()).into_pyerr(py)
                    );
                }
            }
        }
    }

    /// `(path, reason)` of each file passed over so far.
    #[getter]
    fn skipped(&self) -> Vec<(String, String)> {
        self.skipped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Stops the walk; decisions already made are still yielded.
    fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }
}

/// `roots`: one path, or a sequence of paths.
fn roots(roots: &Bound<'_, PyAny>) -> Result<Vec<PathBuf>, Failure> {
    if roots.is_instance_of::<PyString>() || roots.hasattr("__fspath__").unwrap_or(false) {
        return roots
            .extract::<PathBuf>()
            .map(|p| vec![p])
            .map_err(|_| Failure::Argument("roots: not a path".into()));
    }
    roots.extract::<Vec<PathBuf>>().map_err(|_| {
        Failure::Argument("roots must be a path or a sequence of paths (str or os.PathLike)".into())
    })
}

/// Decides every image under `roots` (files, folders walked recursively,
/// tar shards member by member) in parallel, yielding each decision as it
/// is made. See the type stubs for the arguments.
#[pyfunction]
#[pyo3(signature = (roots, *, r#use = "train-ai", we_give = None, unknown = "deny", unreadable = "deny", vocabulary = "draft-07", c2pa_trust = None, jobs = 0, hidden = false, follow_links = false, exclude = Vec::new(), buffer = 1024))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn decide_tree(
    py: Python<'_>,
    roots: &Bound<'_, PyAny>,
    r#use: &str,
    we_give: Option<&Bound<'_, PyAny>>,
    unknown: &str,
    unreadable: &str,
    vocabulary: &str,
    c2pa_trust: Option<PathBuf>,
    jobs: usize,
    hidden: bool,
    follow_links: bool,
    exclude: Vec<String>,
    buffer: usize,
) -> PyResult<DecisionIterator> {
    let args = decide_args(
        py, r#use, we_give, unknown, unreadable, vocabulary, c2pa_trust,
    )?;
    let roots = catch(|| self::roots(roots)).map_err(|f| f.into_pyerr(py))?;
    let cancel = Arc::new(AtomicBool::new(false));
    let options = TreeOptions {
        jobs,
        hidden,
        follow_links,
        exclude,
        cancel: cancel.clone(),
        read: args.read.clone(),
        ..TreeOptions::default()
    };
    // A bad glob is the caller's mistake: say so now, not at the first next().
    options
        .walk_options()
        .exclude_set()
        .map_err(|e| Failure::Argument(format!("bad exclude glob: {e}")).into_pyerr(py))?;
    let (sender, receiver) = sync_channel(buffer.max(1));
    std::thread::Builder::new()
        .name("ccsig-decide-tree".into())
        .spawn(move || {
            let walked = catch(|| {
                ccsig::read_tree(&roots, &options, |item| {
                    // A failed send means the iterator is gone: stop reading.
                    if sender.send(decide_item(&args, item)).is_err() {
                        options.cancel.store(true, Ordering::SeqCst);
                    }
                })
                .map(|_cancelled| ())
                .map_err(tree_failure)
            });
            let _ = sender.send(Message::Finished(walked));
        })
        .map_err(|e| Failure::Panic(format!("cannot start the walk thread: {e}")).into_pyerr(py))?;
    Ok(DecisionIterator {
        receiver: Mutex::new(receiver),
        cancel,
        skipped: Mutex::new(Vec::new()),
        finished: AtomicBool::new(false),
    })
}

/// Decides one file of a listing made elsewhere (e.g. by Spark's
/// `binaryFiles`, or a file opened on HDFS or S3), as `decide_tree` would
/// had it found the file in a folder: an image gives one decision (even
/// one ccsig cannot read), a tar shard one per image member, anything else
/// none. `data`: the file's bytes, or a binary file object, read once from
/// its position to its end (a shard streams member by member, never held
/// whole).
#[pyfunction]
#[pyo3(signature = (name, data, *, r#use = "train-ai", we_give = None, unknown = "deny", unreadable = "deny", vocabulary = "draft-07", c2pa_trust = None, hidden = false, exclude = Vec::new()))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn decide_listed(
    py: Python<'_>,
    name: &str,
    data: &Bound<'_, PyAny>,
    r#use: &str,
    we_give: Option<&Bound<'_, PyAny>>,
    unknown: &str,
    unreadable: &str,
    vocabulary: &str,
    c2pa_trust: Option<PathBuf>,
    hidden: bool,
    exclude: Vec<String>,
) -> PyResult<Vec<UseDecisionPy>> {
    let args = decide_args(
        py, r#use, we_give, unknown, unreadable, vocabulary, c2pa_trust,
    )?;
    let options = TreeOptions {
        hidden,
        exclude,
        read: args.read.clone(),
        ..TreeOptions::default()
    };
    let owned;
    let listed = if let Ok(b) = data.cast::<PyBytes>() {
        Listed::Bytes(b.as_bytes())
    } else if let Ok(a) = data.cast::<PyByteArray>() {
        owned = a.to_vec();
        Listed::Bytes(&owned)
    } else if data.hasattr("read")? {
        Listed::Stream(PyRead(data.clone().unbind()))
    } else {
        return Err(Failure::Argument(
            "data must be bytes, bytearray or a binary file object (with read())".into(),
        )
        .into_pyerr(py));
    };
    let decisions = run(py, || {
        let mut out = Vec::new();
        let sink = |item| {
            if let Message::Decision(path, d) = decide_item(&args, item) {
                out.push((path, d));
            }
        };
        match listed {
            Listed::Bytes(bytes) => ccsig::tree::read_listed(name, bytes, &options, sink),
            Listed::Stream(stream) => ccsig::tree::read_listed_from(name, stream, &options, sink),
        }
        .map_err(tree_failure)?;
        Ok(out)
    })?;
    Ok(decisions
        .into_iter()
        .map(|(path, d)| UseDecisionPy::new(Some(path), d))
        .collect())
}

/// A listed file as `decide_listed` was given it.
enum Listed<'a> {
    Bytes(&'a [u8]),
    Stream(PyRead),
}

/// A Python binary file object (`read(n) -> bytes`) as a Rust reader,
/// taking the GIL for each read.
struct PyRead(Py<PyAny>);

impl std::io::Read for PyRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Python::attach(|py| {
            let got = self
                .0
                .bind(py)
                .call_method1("read", (buf.len(),))
                .map_err(|e| std::io::Error::other(format!("read() raised {e}")))?;
            let owned;
            let bytes: &[u8] = if let Ok(b) = got.cast::<PyBytes>() {
                b.as_bytes()
            } else if let Ok(a) = got.cast::<PyByteArray>() {
                owned = a.to_vec();
                &owned
            } else {
                let kind = got.get_type();
                return Err(std::io::Error::other(format!(
                    "read() returned {kind}, not bytes"
                )));
            };
            if bytes.len() > buf.len() {
                return Err(std::io::Error::other(format!(
                    "read({}) returned {} bytes",
                    buf.len(),
                    bytes.len()
                )));
            }
            buf[..bytes.len()].copy_from_slice(bytes);
            Ok(bytes.len())
        })
    }
}
