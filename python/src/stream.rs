//! `StreamDecider`: a decision from a download's bytes as they arrive
//! (`ccsig::stream`), with the response's headers and the site's
//! robots.txt in it.

use std::path::PathBuf;

use pyo3::prelude::*;

use ccsig::stream::{StreamRead, Waiting};
use ccsig::{FileSignals, ReadError};

use crate::{
    catch, decide_args, decision_of, on_error_policy, web_context, DecideArgs, Failure,
    UseDecisionPy,
};

/// Decides for an image while it downloads: `feed(chunk)` each chunk as
/// it arrives; it returns the `Decision` as soon as the image's metadata
/// is complete (a JPEG at its first scan; a TIFF, HEIF, AVIF or JPEG XL
/// once its metadata is in, when `size` is given; a PNG or WebP at the
/// end), else None. A "no" in `headers` or `robots` decides before any
/// byte. `finish()` gives the decision for the whole stream: a JPEG's end
/// is checked, and a stream cut short is unreadable. The arguments are
/// `decide`'s; `size` is the stream's length (`Content-Length`), when
/// known.
#[pyclass(module = "ccsig")]
pub(crate) struct StreamDecider {
    args: DecideArgs,
    web: ccsig::WebContext,
    decide_unreadable: bool,
    url: Option<String>,
    /// `None` once finished, or once an early error settled the decision.
    read: Option<StreamRead>,
    /// The decision, once settled (by the context, or by the metadata).
    decided: Option<Py<UseDecisionPy>>,
    /// The exception raised for this stream, raised again on later calls.
    failed: Option<PyErr>,
    finished: bool,
    received: u64,
}

impl StreamDecider {
    /// Settles the decision on `read` (the early answer, or the end's).
    fn settle(
        &mut self,
        py: Python<'_>,
        read: Result<FileSignals, ReadError>,
    ) -> PyResult<Py<UseDecisionPy>> {
        let decided = catch(|| {
            decision_of(
                &self.args,
                &self.web,
                self.decide_unreadable,
                read,
                Failure::from,
            )
        });
        match decided {
            Ok(d) => {
                let d = Py::new(py, UseDecisionPy::new(self.url.clone(), d))?;
                self.decided = Some(d.clone_ref(py));
                Ok(d)
            }
            Err(failure) => {
                let e = failure.into_pyerr(py);
                self.failed = Some(e.clone_ref(py));
                Err(e)
            }
        }
    }

    fn raise_again(&self, py: Python<'_>) -> PyResult<()> {
        match &self.failed {
            Some(e) => Err(e.clone_ref(py)),
            None => Ok(()),
        }
    }
}

#[pymethods]
impl StreamDecider {
    #[new]
    #[pyo3(signature = (*, size = None, r#use = "train-ai", we_give = None, unknown = "deny", unreadable = "deny", on_error = "raise", vocabulary = "draft-07", c2pa_trust = None, headers = None, robots = None, url = None, user_agent = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        size: Option<u64>,
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
    ) -> PyResult<Self> {
        let args = decide_args(
            py, r#use, we_give, unknown, unreadable, vocabulary, c2pa_trust,
        )?;
        let decide_unreadable = on_error_policy(py, on_error)?;
        let web = web_context(headers, robots, url.clone(), user_agent)?;
        let decided = match args.pipeline.decide_around(&web) {
            Some(d) => Some(Py::new(py, UseDecisionPy::new(url.clone(), d))?),
            None => None,
        };
        Ok(StreamDecider {
            read: decided
                .is_none()
                .then(|| StreamRead::new(size, args.read.clone())),
            args,
            web,
            decide_unreadable,
            url,
            decided,
            failed: None,
            finished: false,
            received: 0,
        })
    }

    /// Hands over the next chunk; returns the decision once it is known
    /// (on this call and every later one), else None.
    fn feed(&mut self, py: Python<'_>, chunk: &[u8]) -> PyResult<Option<Py<UseDecisionPy>>> {
        self.raise_again(py)?;
        if self.finished {
            return Err(
                Failure::Argument("feed() after finish(): this stream has ended".into())
                    .into_pyerr(py),
            );
        }
        self.received += chunk.len() as u64;
        let Some(read) = self.read.as_mut() else {
            return Ok(self.decided.as_ref().map(|d| d.clone_ref(py)));
        };
        let answered = py
            .detach(|| catch(|| Ok(read.feed(chunk).map(|a| a.is_ok()))))
            .map_err(|f| f.into_pyerr(py))?;
        match (answered, &self.decided) {
            (_, Some(d)) => Ok(Some(d.clone_ref(py))),
            (None, None) => Ok(None),
            (Some(true), None) => {
                let signals = match read.answer() {
                    Some(Ok(signals)) => signals.clone(),
                    _ => unreachable!("answered with signals"),
                };
                self.settle(py, Ok(signals)).map(Some)
            }
            // An early error is final: the rest of the stream is not needed.
            (Some(false), None) => {
                let answer = self.read.take().and_then(StreamRead::into_answer);
                let error = answer.expect("answered").map(|_| unreachable!("an error"));
                self.settle(py, error).map(Some)
            }
        }
    }

    /// The decision for the whole stream, now that it has ended.
    fn finish(&mut self, py: Python<'_>) -> PyResult<Py<UseDecisionPy>> {
        self.raise_again(py)?;
        self.finished = true;
        match self.read.take() {
            Some(read) => {
                let whole = py
                    .detach(|| catch(|| Ok(read.finish())))
                    .map_err(|f| f.into_pyerr(py))?;
                self.settle(py, whole)
            }
            None => match &self.decided {
                Some(d) => Ok(d.clone_ref(py)),
                None => Err(Failure::Argument("finish() called twice".into()).into_pyerr(py)),
            },
        }
    }

    /// What the decider waits for, in words; None once it has decided.
    #[getter]
    fn waiting(&self) -> Option<String> {
        if self.decided.is_some() || self.failed.is_some() {
            return None;
        }
        match self.read.as_ref()?.waiting()? {
            Waiting::Bytes(until) => Some(format!("the stream's bytes up to offset {until}")),
            Waiting::End(why) => Some(format!("the end of the stream: {why}")),
        }
    }

    /// How many bytes have been fed.
    #[getter]
    fn received(&self) -> u64 {
        self.received
    }
}
