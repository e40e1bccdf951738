//! Reading whole trees for pipelines: roots that are files, folders (walked)
//! or WebDataset tar shards (read in place, see [`crate::shard`]), every
//! image read in parallel on a thread pool and reported on the caller's
//! thread in walk order, with memory flat in the number of files.
//!
//! Every input is accounted for: each is either read ([`TreeItem::Read`],
//! possibly with an error) or passed over with a reason
//! ([`TreeItem::Skipped`]).
//!
//! ```
//! use ccsig::{read_tree, Commitments, Pipeline, TreeItem, TreeOptions};
//!
//! let pipeline = Pipeline::new("train-ai".parse().unwrap(), Commitments::parse("credit,open").unwrap());
//! let mut usable = vec![];
//! let mut skipped = 0;
//! let cancelled = read_tree(&["sample-images".into()], &TreeOptions::default(), |item| {
//!     match pipeline.decide_item(&item) {
//!         // Every image: read, unreadable (its reason says why) or unsupported.
//!         Some(d) if d.usable => usable.push(item.path().to_string()),
//!         Some(_) => {}
//!         None => skipped += 1, // README.md, generate.sh: not images
//!     }
//! })
//! .unwrap();
//! assert!(!cancelled);
//! assert!(usable.contains(&"sample-images/tagged/ccsig-cr-op.jpg".to_string()));
//! assert!(!usable.contains(&"sample-images/jpeg/plain.jpg".to_string()));
//! assert!(skipped >= 2);
//! ```

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use globset::GlobSet;
use rayon::prelude::*;

pub use crate::batch::walk::SkipReason;
use crate::batch::walk::{self, has_image_extension, is_excluded, is_hidden_name, WalkOptions};
use crate::batch::{self, Entry, NoProgress, CHUNK};
pub use crate::container::unsupported_format;
use crate::container::{self, unsupported_name, ContainerError};
use crate::inspect::{self, FileSignals, ReadError, ReadOptions};
use crate::shard::{self, Compression, Member, MemberContent, MemberRead, ShardError};
use crate::sidecar::FolderSidecars;

/// How a tree is read.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use ccsig::{read_tree, TreeItem, TreeOptions};
///
/// let options = TreeOptions {
///     jobs: 2,
///     exclude: vec!["bad".into(), "*.webp".into()],
///     ..Default::default()
/// };
/// let mut read = vec![];
/// read_tree(&["sample-images".into()], &options, |item| {
///     if let TreeItem::Read { path, .. } = item {
///         read.push(path);
///     }
/// })
/// .unwrap();
/// assert!(!read.is_empty());
/// assert!(read.iter().all(|p| !p.contains("/bad/") && !p.ends_with(".webp")));
///
/// // Set `cancel` (from a signal handler, another thread ...) to stop early.
/// let cancel = Arc::new(AtomicBool::new(false));
/// let options = TreeOptions { cancel: cancel.clone(), ..Default::default() };
/// cancel.store(true, Ordering::SeqCst);
/// let cancelled = read_tree(&["sample-images".into()], &options, |_| unreachable!()).unwrap();
/// assert!(cancelled);
/// ```
#[derive(Clone)]
pub struct TreeOptions {
    /// Worker threads; 0 means [`crate::batch::default_jobs`], and more
    /// than [`crate::batch::max_jobs`] are capped there.
    pub jobs: usize,
    /// Also read hidden files and folders (names starting with `.`), and
    /// hidden shard members (such as macOS `._*` files).
    pub hidden: bool,
    /// Follow symbolic links found in folders.
    pub follow_links: bool,
    /// Globs of paths to pass over, matched against names and whole paths
    /// (shard members as `shard.tar:member`).
    pub exclude: Vec<String>,
    /// Set (e.g. by a signal handler) to stop reading.
    pub cancel: Arc<AtomicBool>,
    /// Told of every file and member found and read.
    pub progress: Arc<dyn batch::Progress + Send>,
    /// Also compute each image's image-data digest (reads every byte).
    pub image_digests: bool,
    /// How each file is read: the AIPREF vocabulary draft statements are
    /// read against, the trust anchors of Content Credentials.
    pub read: ReadOptions,
}

impl Default for TreeOptions {
    fn default() -> Self {
        TreeOptions {
            jobs: 0,
            hidden: false,
            follow_links: false,
            exclude: vec![],
            cancel: Arc::new(AtomicBool::new(false)),
            progress: Arc::new(NoProgress),
            image_digests: false,
            read: ReadOptions::default(),
        }
    }
}

impl fmt::Debug for TreeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TreeOptions")
            .field("jobs", &self.jobs)
            .field("hidden", &self.hidden)
            .field("follow_links", &self.follow_links)
            .field("exclude", &self.exclude)
            .field("image_digests", &self.image_digests)
            .field("vocabulary", &self.read.vocabulary)
            .field("c2pa_trust", &self.read.c2pa_trust.is_some())
            .finish_non_exhaustive()
    }
}

impl TreeOptions {
    /// The walk part of these options.
    ///
    /// ```
    /// let options = ccsig::TreeOptions { hidden: true, ..Default::default() };
    /// assert!(options.walk_options().hidden);
    /// ```
    pub fn walk_options(&self) -> WalkOptions {
        WalkOptions {
            hidden: self.hidden,
            follow_links: self.follow_links,
            exclude: self.exclude.clone(),
        }
    }
}

/// One input of a tree.
// Items are handed over one at a time; boxing the signals would cost an
// allocation per file to save a few hundred bytes of moves.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum TreeItem {
    /// A file or shard member that was read (or should have been: an
    /// image that is damaged, a shard that is truncated, a folder that
    /// cannot be listed).
    Read {
        /// `dir/a.jpg`, or `shard-00000.tar:000001.jpg` for a shard member.
        path: String,
        /// The signals, or why the file or member could not be read.
        signals: Result<FileSignals, ReadError>,
        /// MD5 of the image data, with [`TreeOptions::image_digests`].
        image_digest: Option<Result<[u8; 16], ReadError>>,
    },
    /// An input passed over.
    Skipped {
        /// `dir/notes.txt`, or `shard.tar:000001.json`.
        path: String,
        /// Why it was passed over.
        reason: SkipReason,
    },
}

impl TreeItem {
    /// The path the item is reported under.
    ///
    /// ```
    /// let mut paths = vec![];
    /// ccsig::read_tree(&["sample-images/webp".into()], &Default::default(), |item: ccsig::TreeItem| {
    ///     paths.push(item.path().to_string())
    /// })
    /// .unwrap();
    /// assert_eq!(paths[0], "sample-images/webp/alpha.webp");
    /// ```
    pub fn path(&self) -> &str {
        match self {
            TreeItem::Read { path, .. } | TreeItem::Skipped { path, .. } => path,
        }
    }
}

/// Why a tree could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// The thread pool could not be started.
    #[error("cannot start worker threads: {0}")]
    Pool(#[from] rayon::ThreadPoolBuildError),
    /// A [`TreeOptions::exclude`] pattern is not a valid glob.
    #[error("bad exclude glob: {0}")]
    Exclude(#[from] globset::Error),
}

/// Where a tree's items go. Any `FnMut(TreeItem)` is one; a type of your
/// own can also hear of the pauses between bursts of items.
pub trait TreeSink {
    /// The next item, in walk order.
    fn item(&mut self, item: TreeItem);
    /// Items come in bursts; this is called after each, before more are
    /// read: the moment to flush buffered output so that whoever reads it
    /// downstream sees it while the walk goes on.
    fn flush_point(&mut self) {}
}

impl<F: FnMut(TreeItem)> TreeSink for F {
    fn item(&mut self, item: TreeItem) {
        self(item)
    }
}

/// Reads every image under `roots` (files, folders, tar shards) in
/// parallel and hands each item to `sink` on the caller's thread, in walk
/// order. Returns whether reading was cancelled.
///
/// ```
/// use ccsig::{read_tree, TreeItem, TreeOptions};
///
/// // Which files hold the same picture (image data), whatever their metadata?
/// let options = TreeOptions { image_digests: true, ..Default::default() };
/// let mut digests = std::collections::HashMap::<[u8; 16], Vec<String>>::new();
/// let mut unreadable = vec![];
/// read_tree(&["sample-images/jpeg".into(), "sample-images/bad".into()], &options, |item| {
///     if let TreeItem::Read { path, signals, image_digest } = item {
///         match (signals, image_digest) {
///             (Ok(_), Some(Ok(digest))) => digests.entry(digest).or_default().push(path),
///             _ => unreadable.push(path),
///         }
///     }
/// })
/// .unwrap();
/// assert!(digests.values().flatten().any(|p| p == "sample-images/jpeg/plain.jpg"));
/// assert!(unreadable.contains(&"sample-images/bad/truncated.jpg".to_string()));
/// ```
pub fn read_tree(
    roots: &[PathBuf],
    options: &TreeOptions,
    mut sink: impl FnMut(TreeItem),
) -> Result<bool, TreeError> {
    read_tree_from(roots.iter().cloned(), options, &mut sink)
}

/// [`read_tree`] with roots taken lazily (e.g. from a list still being
/// written) and any [`TreeSink`].
///
/// ```
/// use ccsig::{read_tree_from, TreeItem, TreeOptions, TreeSink};
///
/// /// Prints one line per image, flushing between bursts.
/// struct Lines<W: std::io::Write>(W);
/// impl<W: std::io::Write> TreeSink for Lines<W> {
///     fn item(&mut self, item: TreeItem) {
///         if let TreeItem::Read { path, signals: Ok(s), .. } = item {
///             let said = s.combined_expression().unwrap_or_default();
///             writeln!(self.0, "{path}\t{said}").unwrap();
///         }
///     }
///     fn flush_point(&mut self) {
///         self.0.flush().unwrap();
///     }
/// }
///
/// let roots = ["sample-images/tagged/ccsig-cr.png", "sample-images/webp"].map(Into::into);
/// let mut sink = Lines(Vec::new());
/// read_tree_from(roots, &TreeOptions::default(), &mut sink).unwrap();
/// let out = String::from_utf8(sink.0).unwrap();
/// assert!(out.starts_with("sample-images/tagged/ccsig-cr.png\ttrain-ai=n;exceptions=cc-cr\n"));
/// ```
pub fn read_tree_from<S: TreeSink + ?Sized>(
    roots: impl IntoIterator<Item = PathBuf>,
    options: &TreeOptions,
    sink: &mut S,
) -> Result<bool, TreeError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(batch::worker_threads(options.jobs))
        .build()?;
    // Shards are read end to end, each holding one member at a time: one
    // per core keeps the disk busy without multiplying the memory held.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let shard_threads = pool.current_num_threads().min(cores).max(1);
    let globs = options.walk_options().exclude_set()?;
    let bar = &*options.progress;
    let mut entries = walk::walk_with(roots, &options.walk_options())?;
    let mut folders = FolderListings::default();
    let read = &options.read;
    let cancelled = loop {
        if options.cancel.load(Ordering::SeqCst) {
            break true;
        }
        let chunk: Vec<Entry> = entries.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break false;
        }
        bar.found(chunk.len() as u64);
        folders.update(&chunk);
        let folders = &folders;
        let outcomes: Vec<Option<Outcome>> = pool.install(|| {
            chunk
                .into_par_iter()
                .map(|entry| {
                    if options.cancel.load(Ordering::SeqCst) {
                        return None;
                    }
                    let listing = folders.of(&entry);
                    let outcome = examine(entry, listing, options.image_digests, read);
                    bar.done_one();
                    Some(outcome)
                })
                .collect()
        });
        let cancelled = emit_chunk(outcomes, options, &globs, shard_threads, sink);
        sink.flush_point();
        if cancelled {
            break true;
        }
    };
    bar.finish();
    Ok(cancelled)
}

/// What examining one walk entry gave: an item, or a shard to stream.
#[allow(clippy::large_enum_variant)]
enum Outcome {
    Item(TreeItem),
    Shard(PathBuf, Compression),
}

/// Hands a chunk's items to `sink` in order, streaming its shards: up to
/// `shard_threads` shards are read at once, each in one sequential pass,
/// and each is drained in turn. Returns whether reading was cancelled.
fn emit_chunk(
    outcomes: Vec<Option<Outcome>>,
    options: &TreeOptions,
    globs: &GlobSet,
    shard_threads: usize,
    sink: &mut (impl TreeSink + ?Sized),
) -> bool {
    let shards: Vec<(PathBuf, Compression)> = outcomes
        .iter()
        .filter_map(|o| match o {
            Some(Outcome::Shard(path, compression)) => Some((path.clone(), *compression)),
            _ => None,
        })
        .collect();
    std::thread::scope(|scope| {
        let mut pending = shards.into_iter();
        let mut running: VecDeque<Receiver<TreeItem>> = VecDeque::new();
        let mut start_next = |running: &mut VecDeque<Receiver<TreeItem>>| {
            if let Some((path, compression)) = pending.next() {
                let (tx, rx) = sync_channel(SHARD_QUEUE);
                scope.spawn(move || read_shard(&path, compression, options, globs, tx));
                running.push_back(rx);
            }
        };
        for _ in 0..shard_threads {
            start_next(&mut running);
        }
        for outcome in outcomes {
            match outcome {
                None => return true,
                Some(Outcome::Item(item)) => sink.item(item),
                Some(Outcome::Shard(..)) => {
                    let Some(members) = running.pop_front() else {
                        continue;
                    };
                    start_next(&mut running);
                    for (n, item) in members.into_iter().enumerate() {
                        sink.item(item);
                        if (n + 1) % CHUNK == 0 {
                            sink.flush_point();
                        }
                    }
                    if options.cancel.load(Ordering::SeqCst) {
                        return true;
                    }
                }
            }
        }
        false
    })
}

/// The sidecar names of the folders a chunk's files were found in, each
/// folder listed once (the walk goes folder by folder, so only the folders
/// of the current chunk are kept). Files named on the command line are not
/// looked up: their sidecars are probed by name, as for a single read.
#[derive(Default)]
struct FolderListings {
    /// `None`: the folder could not be listed; its files probe by name.
    folders: HashMap<PathBuf, Option<FolderSidecars>>,
}

impl FolderListings {
    fn folder(entry: &Entry) -> Option<&Path> {
        match entry {
            Entry::File {
                path,
                explicit: false,
            } => path.parent(),
            _ => None,
        }
    }

    /// Lists the folders of `chunk` not listed yet; forgets the others.
    fn update(&mut self, chunk: &[Entry]) {
        let wanted: HashSet<&Path> = chunk.iter().filter_map(Self::folder).collect();
        self.folders
            .retain(|folder, _| wanted.contains(folder.as_path()));
        for folder in wanted {
            if !self.folders.contains_key(folder) {
                let listing = FolderSidecars::list(folder).ok();
                self.folders.insert(folder.to_path_buf(), listing);
            }
        }
    }

    fn of(&self, entry: &Entry) -> Option<&FolderSidecars> {
        self.folders.get(Self::folder(entry)?)?.as_ref()
    }
}

/// Items a shard reader may run ahead of the consumer.
const SHARD_QUEUE: usize = 64;

/// Reads one walk entry: an image file, something passed over, or a shard.
fn examine(
    entry: Entry,
    listing: Option<&FolderSidecars>,
    image_digests: bool,
    read: &ReadOptions,
) -> Outcome {
    let (path, explicit) = match entry {
        Entry::File { path, explicit } => (path, explicit),
        Entry::Skipped { path, reason } => {
            return Outcome::Item(TreeItem::Skipped {
                path: path.display().to_string(),
                reason,
            })
        }
        Entry::Error { path, message } => {
            return Outcome::Item(TreeItem::Read {
                path: path.display().to_string(),
                signals: Err(ReadError::Io(io::Error::other(message))),
                image_digest: None,
            })
        }
    };
    if let Some(compression) = shard::compression_from_name(&path) {
        return Outcome::Shard(path, compression);
    }
    let shown = path.display().to_string();
    match inspect::read_path_listed(&path, read.clone(), listing) {
        Ok(signals) => Outcome::Item(TreeItem::Read {
            path: shown,
            signals: Ok(signals),
            image_digest: image_digests.then(|| inspect::image_digest_path(&path)),
        }),
        Err(e) => match triage(&path, explicit, &e) {
            Triage::Report => Outcome::Item(TreeItem::Read {
                path: shown,
                signals: Err(e),
                image_digest: None,
            }),
            Triage::Skip(reason) => Outcome::Item(TreeItem::Skipped {
                path: shown,
                reason,
            }),
            Triage::Shard(compression) => Outcome::Shard(path, compression),
        },
    }
}

/// What to make of a file that did not read as an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Triage {
    /// Report the error: the file was named, or its name says it is an image.
    Report,
    /// Pass it over.
    Skip(SkipReason),
    /// It is a tar shard (recognised by its bytes).
    Shard(Compression),
}

/// Decides what a read failure on `path` means: a non-image found in a
/// folder is passed over (as an unsupported format when its bytes say it
/// is some other image), a tar archive is a shard, anything else (a damaged
/// image, a file named explicitly) is an error to report.
///
/// ```
/// use ccsig::tree::{triage, Triage};
/// use ccsig::SkipReason;
///
/// // A GIF's bytes, with no sidecars to read them through (a shard's member).
/// let gif = std::path::Path::new("sample-images/bad/unsupported.gif");
/// let error = ccsig::read_bytes(&std::fs::read(gif).unwrap()).unwrap_err();
/// // Found in a folder: passed over, with its format named.
/// assert_eq!(triage(gif, false, &error), Triage::Skip(SkipReason::Unsupported("GIF".into())));
/// // Named by the user: they hear why it could not be read.
/// assert_eq!(triage(gif, true, &error), Triage::Report);
///
/// let truncated = std::path::Path::new("sample-images/bad/truncated.jpg");
/// let error = ccsig::read_path(truncated).unwrap_err();
/// assert_eq!(triage(truncated, false, &error), Triage::Report);
/// ```
pub fn triage(path: &Path, explicit: bool, error: &ReadError) -> Triage {
    triage_error(path, explicit, error, || {
        file_head(path).unwrap_or_default()
    })
}

/// [`triage`], with `head` giving the file's first bytes (up to 512) when
/// they are needed.
fn triage_error(
    path: &Path,
    explicit: bool,
    error: &ReadError,
    head: impl FnOnce() -> Vec<u8>,
) -> Triage {
    match error {
        // Named already (ReadError::named_by).
        ReadError::Container(ContainerError::OtherFormat(format)) if !explicit => {
            Triage::Skip(SkipReason::Unsupported(format.to_string()))
        }
        ReadError::Container(ContainerError::UnknownFormat | ContainerError::Empty) => {
            triage_head(path, explicit, &head())
        }
        _ => Triage::Report,
    }
}

/// [`triage`] for a file whose first bytes (up to 512) are `head`, after
/// it did not read as an image of any format ccsig recognises by its bytes.
fn triage_head(path: &Path, explicit: bool, head: &[u8]) -> Triage {
    if shard::is_tar_header(head) {
        Triage::Shard(Compression::None)
    } else if explicit || has_image_extension(path) {
        Triage::Report
    } else if let Some(format) = unsupported_name(None, path) {
        Triage::Skip(SkipReason::Unsupported(format.into()))
    } else {
        Triage::Skip(SkipReason::NotAnImage)
    }
}

fn file_head(path: &Path) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(path)?
        .take(512)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// Reads one shard in one sequential pass and sends its members' items.
fn read_shard(
    path: &Path,
    compression: Compression,
    options: &TreeOptions,
    globs: &GlobSet,
    items: SyncSender<TreeItem>,
) {
    let shown = path.display().to_string();
    match shard::open(path, compression) {
        Ok(reader) => read_shard_from(&shown, reader, options, globs, |item| {
            items.send(item).is_ok()
        }),
        Err(e) => {
            let _ = items.send(shard_error(&shown, e.into()));
        }
    }
}

fn shard_error(shown: &str, e: ShardError) -> TreeItem {
    TreeItem::Read {
        path: shown.to_string(),
        signals: Err(ReadError::Shard(e)),
        image_digest: None,
    }
}

/// Reads the shard `shown` from `reader` and hands over its members'
/// items until `send` returns false.
fn read_shard_from(
    shown: &str,
    reader: impl Read,
    options: &TreeOptions,
    globs: &GlobSet,
    mut send: impl FnMut(TreeItem) -> bool,
) {
    let bar = &*options.progress;
    let read = &options.read;
    let skip = |name: &str| {
        if !options.hidden && name.split('/').any(is_hidden_name) {
            Some(SkipReason::Hidden)
        } else if is_excluded(globs, Path::new(&format!("{shown}:{name}"))) {
            Some(SkipReason::Excluded)
        } else {
            None
        }
    };
    // Digests need the image data; signals alone are read as each member
    // streams past, so a shard of large photos is never held member by
    // member.
    let how = match options.image_digests {
        true => MemberRead::Whole,
        false => MemberRead::Signals(read.clone()),
    };
    let result = shard::read_members_as(reader, &how, skip, |member| {
        if options.cancel.load(Ordering::SeqCst) {
            return ControlFlow::Break(());
        }
        bar.found(1);
        let item = member_item(shown, member, options.image_digests, read);
        bar.done_one();
        if send(item) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    });
    if let Err(e) = result {
        send(shard_error(shown, e));
    }
}

/// Reads one file of a listing made elsewhere, held in memory (say, a file
/// a Spark task got from `binaryFiles`), as [`read_tree`] would had it
/// found the file in a folder: an image gives one item, a tar shard
/// (recognised by its name, `.tar`, `.tar.gz`, `.tgz`, or by its bytes)
/// one item per member, anything else one [`TreeItem::Skipped`]. `name`
/// is the path items are reported under (members as `name:member`).
/// `options` filters shard members (hidden, exclude globs); the listing
/// itself chose the file.
///
/// ```
/// use ccsig::{TreeItem, TreeOptions};
/// let jpeg = std::fs::read("sample-images/tagged/ccsig-cr-op.jpg").unwrap();
/// let mut items = vec![];
/// ccsig::tree::read_listed("hdfs://nn/a.jpg", &jpeg, &TreeOptions::default(), |i| items.push(i)).unwrap();
/// assert!(matches!(&items[..], [TreeItem::Read { signals: Ok(_), .. }]));
/// let mut items = vec![];
/// ccsig::tree::read_listed("a.txt", b"hello", &TreeOptions::default(), |i| items.push(i)).unwrap();
/// assert!(matches!(&items[..], [TreeItem::Skipped { .. }]));
/// ```
pub fn read_listed(
    name: &str,
    bytes: &[u8],
    options: &TreeOptions,
    mut sink: impl FnMut(TreeItem),
) -> Result<(), TreeError> {
    let globs = options.walk_options().exclude_set()?;
    let path = Path::new(name);
    let shard_of = |compression: Compression, sink: &mut dyn FnMut(TreeItem)| {
        read_shard_from(
            name,
            compression.decompress(bytes),
            options,
            &globs,
            |item| {
                sink(item);
                true
            },
        );
    };
    if let Some(compression) = shard::compression_from_name(path) {
        shard_of(compression, &mut sink);
        return Ok(());
    }
    let item = item_from_bytes(
        name.to_string(),
        bytes,
        options.image_digests,
        &options.read,
    );
    let error = match item {
        TreeItem::Read {
            signals: Err(e), ..
        } => e,
        item => {
            sink(item);
            return Ok(());
        }
    };
    let head = || bytes[..bytes.len().min(512)].to_vec();
    match triage_error(path, false, &error, head) {
        Triage::Report => sink(TreeItem::Read {
            path: name.to_string(),
            signals: Err(error),
            image_digest: None,
        }),
        Triage::Skip(reason) => sink(TreeItem::Skipped {
            path: name.to_string(),
            reason,
        }),
        Triage::Shard(compression) => shard_of(compression, &mut sink),
    }
    Ok(())
}

/// [`read_listed`], for a file of the listing read as a stream (a file
/// opened on HDFS or S3, say): a tar shard (by its name, or its first
/// block) streams member by member, and no member is held whole but a PNG
/// or WebP (their metadata may follow the image data); anything else is
/// read whole and is [`read_listed`]'s. A read that fails is the file's
/// error item.
///
/// ```
/// use ccsig::{TreeItem, TreeOptions};
/// let png = std::fs::read("sample-images/tagged/ccsig-cr.png").unwrap();
/// let mut builder = tar::Builder::new(Vec::new());
/// let mut header = tar::Header::new_gnu();
/// header.set_size(png.len() as u64);
/// header.set_cksum();
/// builder.append_data(&mut header, "0001.png", &png[..]).unwrap();
/// let shard = builder.into_inner().unwrap();
///
/// let mut items = vec![];
/// let stream = std::io::Cursor::new(shard);
/// ccsig::tree::read_listed_from("s3://b/shard-0.tar", stream, &TreeOptions::default(), |i| items.push(i))
///     .unwrap();
/// assert!(matches!(&items[..], [TreeItem::Read { path, signals: Ok(_), .. }] if path == "s3://b/shard-0.tar:0001.png"));
/// ```
pub fn read_listed_from(
    name: &str,
    mut reader: impl Read,
    options: &TreeOptions,
    mut sink: impl FnMut(TreeItem),
) -> Result<(), TreeError> {
    let globs = options.walk_options().exclude_set()?;
    let failed = |e: io::Error| TreeItem::Read {
        path: name.to_string(),
        signals: Err(ReadError::Io(e)),
        image_digest: None,
    };
    let mut head = vec![0u8; 512];
    match container::read_up_to(&mut reader, &mut head) {
        Ok(got) => head.truncate(got),
        Err(e) => {
            sink(failed(e));
            return Ok(());
        }
    }
    let compression = shard::compression_from_name(Path::new(name))
        .or_else(|| shard::is_tar_header(&head).then_some(Compression::None));
    if let Some(compression) = compression {
        let whole = io::Cursor::new(head).chain(reader);
        read_shard_from(
            name,
            compression.decompress(whole),
            options,
            &globs,
            |item| {
                sink(item);
                true
            },
        );
        return Ok(());
    }
    let mut bytes = head;
    if let Err(e) = reader.read_to_end(&mut bytes) {
        sink(failed(e));
        return Ok(());
    }
    read_listed(name, &bytes, options, sink)
}

/// An image held in memory, read as an item of the tree.
fn item_from_bytes(
    path: String,
    bytes: &[u8],
    image_digests: bool,
    read: &ReadOptions,
) -> TreeItem {
    let mut cursor = io::Cursor::new(bytes);
    match inspect::read_in(&mut cursor, read.clone()) {
        Ok((layout, signals)) => {
            let image_digest = image_digests
                .then(|| container::image_data_digest(&mut cursor, &layout).map_err(ReadError::Io));
            let (_, signals) = inspect::named(layout, signals, Path::new(&path));
            TreeItem::Read {
                path,
                signals: Ok(signals),
                image_digest,
            }
        }
        Err(e) => TreeItem::Read {
            signals: Err(e.named_by(Path::new(&path))),
            path,
            image_digest: None,
        },
    }
}

fn member_item(shard: &str, member: Member, image_digests: bool, read: &ReadOptions) -> TreeItem {
    let path = format!("{shard}:{}", member.name);
    match member.content {
        MemberContent::Image(bytes) => {
            unsupported_skipped(item_from_bytes(path, bytes, image_digests, read))
        }
        MemberContent::Signals(signals) => {
            let name = Path::new(&path);
            let signals = (*signals)
                .map(|s| inspect::named_signals(s, name))
                .map_err(|e| e.named_by(name));
            unsupported_skipped(TreeItem::Read {
                path,
                signals,
                image_digest: None,
            })
        }
        MemberContent::Unreadable(e) => TreeItem::Read {
            path,
            signals: Err(e),
            image_digest: None,
        },
        MemberContent::Skipped(reason) => TreeItem::Skipped { path, reason },
    }
}

/// A member item whose image is in a format ccsig recognises but cannot
/// follow (a HEIF whose boxes it cannot read) has no sidecar in a shard:
/// not read at all, as one whose format ccsig does not read.
fn unsupported_skipped(item: TreeItem) -> TreeItem {
    match item {
        TreeItem::Read {
            path,
            signals: Err(ReadError::Container(ContainerError::OtherFormat(format))),
            ..
        } => TreeItem::Skipped {
            path,
            reason: SkipReason::Unsupported(format.to_string()),
        },
        item => item,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    use crate::test_support::sample;

    fn write_shard(path: &Path, members: &[(&str, Vec<u8>)]) {
        let mut builder = tar::Builder::new(std::fs::File::create(path).unwrap());
        for (name, bytes) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, &bytes[..]).unwrap();
        }
        builder.finish().unwrap();
    }

    fn summary(roots: &[PathBuf], options: &TreeOptions, base: &Path) -> Vec<String> {
        let mut out = vec![];
        let cancelled = read_tree(roots, options, |item| {
            let path = item.path().replace(&format!("{}/", base.display()), "");
            out.push(match item {
                TreeItem::Read {
                    signals: Ok(s),
                    image_digest,
                    ..
                } => format!(
                    "{path} {}{}",
                    s.format.name(),
                    if image_digest.is_some() {
                        " digest"
                    } else {
                        ""
                    }
                ),
                TreeItem::Read {
                    signals: Err(e), ..
                } => format!("{path} error: {e}"),
                TreeItem::Skipped { reason, .. } => format!("{path} skipped: {reason}"),
            })
        })
        .unwrap();
        assert!(!cancelled);
        out
    }

    #[test]
    fn folders_files_and_shards_in_walk_order() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("f")).unwrap();
        std::fs::write(d.join("f/a.jpg"), sample("jpeg/plain.jpg")).unwrap();
        std::fs::write(d.join("f/b.gif"), sample("bad/unsupported.gif")).unwrap();
        std::fs::write(d.join("f/c.txt"), b"hello").unwrap();
        std::fs::write(d.join("f/d.png"), b"broken").unwrap();
        write_shard(
            &d.join("f/s.tar"),
            &[
                ("000.jpg", sample("jpeg/plain.jpg")),
                ("000.json", b"{}".to_vec()),
                ("001.webp", sample("webp/lossy.webp")),
                ("._001.webp", b"\0\x05\x16\x07".to_vec()),
                ("002.png", sample("png/plain.png")),
            ],
        );
        // A shard without the usual name, recognised by its bytes.
        std::fs::copy(d.join("f/s.tar"), d.join("f/shard-by-magic")).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&std::fs::read(d.join("f/s.tar")).unwrap())
            .unwrap();
        std::fs::write(d.join("f/t.tgz"), gz.finish().unwrap()).unwrap();
        let got = summary(
            &[d.join("f"), d.join("f/a.jpg")],
            &TreeOptions::default(),
            d,
        );
        let members = |shard: &str| {
            vec![
                format!("f/{shard}:000.jpg JPEG"),
                format!("f/{shard}:000.json skipped: not an image"),
                format!("f/{shard}:001.webp WebP"),
                format!("f/{shard}:._001.webp skipped: hidden"),
                format!("f/{shard}:002.png PNG"),
            ]
        };
        let mut expected = vec![
            "f/a.jpg JPEG".to_string(),
            "f/b.gif GIF".into(),
            "f/c.txt skipped: not an image".into(),
            "f/d.png error: not a JPEG, PNG, WebP, TIFF, JPEG XL, HEIF or AVIF file".into(),
        ];
        expected.extend(members("s.tar"));
        expected.extend(members("shard-by-magic"));
        expected.extend(members("t.tgz"));
        expected.push("f/a.jpg JPEG".into());
        assert_eq!(got, expected);

        let options = TreeOptions {
            hidden: true,
            exclude: vec!["*.json".into(), "t.tgz".into()],
            image_digests: true,
            jobs: 1,
            ..Default::default()
        };
        let got = summary(&[d.join("f/s.tar"), d.join("f/t.tgz")], &options, d);
        assert_eq!(
            got,
            [
                "f/s.tar:000.jpg JPEG digest",
                "f/s.tar:000.json skipped: excluded",
                "f/s.tar:001.webp WebP digest",
                "f/s.tar:._001.webp error: not a JPEG, PNG, WebP, TIFF, JPEG XL, HEIF or AVIF file",
                "f/s.tar:002.png PNG digest",
                "f/t.tgz skipped: excluded",
            ]
        );
    }

    #[test]
    fn a_damaged_shard_reports_its_members_then_the_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.tar");
        let jpeg = sample("jpeg/plain.jpg");
        write_shard(&path, &[("a.jpg", jpeg.clone()), ("b.jpg", jpeg.clone())]);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..512 + jpeg.len().div_ceil(512) * 512 + 700]).unwrap();
        let got = summary(
            std::slice::from_ref(&path),
            &TreeOptions::default(),
            dir.path(),
        );
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], "s.tar:a.jpg JPEG");
        assert!(
            got[1].starts_with("s.tar:b.jpg error: file is truncated"),
            "{}",
            got[1]
        );
        assert!(
            got[2].starts_with("s.tar error: shard is truncated"),
            "{}",
            got[2]
        );
        // A gzip shard that is not gzip at all.
        std::fs::write(dir.path().join("x.tgz"), b"plain text").unwrap();
        let got = summary(
            &[dir.path().join("x.tgz")],
            &TreeOptions::default(),
            dir.path(),
        );
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("x.tgz error:"), "{got:?}");
    }

    #[test]
    fn cancelling_stops_reading() {
        let options = TreeOptions::default();
        options.cancel.store(true, Ordering::SeqCst);
        let mut n = 0;
        let cancelled = read_tree(&["sample-images".into()], &options, |_| n += 1).unwrap();
        assert!(cancelled);
        assert_eq!(n, 0);
    }

    #[test]
    fn unsupported_formats_by_magic() {
        assert_eq!(
            unsupported_format(&sample("bad/unsupported.gif")),
            Some("GIF")
        );
        assert_eq!(unsupported_format(b"II*\0\x08\0\0\0"), Some("TIFF"));
        assert_eq!(unsupported_format(b"\0\0\0\x1cftypavif"), Some("AVIF"));
        assert_eq!(unsupported_format(b"{\"json\": 1}"), None);
        assert_eq!(unsupported_format(b""), None);
        assert_eq!(unsupported_format(&sample("png/plain.png")), None);
    }
}

#[cfg(test)]
mod listed_tests {
    use super::*;

    fn summary(item: &TreeItem) -> String {
        match item {
            TreeItem::Read {
                path,
                signals: Ok(s),
                ..
            } => format!("{path} {}", s.format.name()),
            TreeItem::Read {
                path,
                signals: Err(e),
                ..
            } => format!("{path} error: {e}"),
            TreeItem::Skipped { path, reason } => format!("{path} skipped: {reason}"),
        }
    }

    #[test]
    fn a_listed_shard_reads_as_the_same_shard_found_in_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let jpeg = std::fs::read("sample-images/jpeg/plain.jpg").unwrap();
        let shard_path = dir.path().join("s.tar");
        let mut builder = tar::Builder::new(std::fs::File::create(&shard_path).unwrap());
        for (name, bytes) in [
            ("0.jpg", &jpeg[..]),
            ("0.json", b"{}"),
            ("1.png", b"broken"),
            ("._2.jpg", b"\0"),
        ] {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, bytes).unwrap();
        }
        builder.finish().unwrap();
        drop(builder);
        let shown = shard_path.display().to_string();
        let bytes = std::fs::read(&shard_path).unwrap();

        let mut found = vec![];
        read_tree(
            std::slice::from_ref(&shard_path),
            &TreeOptions::default(),
            |i| found.push(summary(&i)),
        )
        .unwrap();
        for name in [shown.as_str(), "no-extension"] {
            let mut listed = vec![];
            read_listed(name, &bytes, &TreeOptions::default(), |i| {
                listed.push(summary(&i))
            })
            .unwrap();
            let renamed: Vec<String> = found.iter().map(|s| s.replace(&shown, name)).collect();
            assert_eq!(listed, renamed);
        }
        assert_eq!(found.len(), 4, "{found:?}");
    }

    #[test]
    fn a_listed_file_is_an_image_an_error_or_passed_over() {
        let one = |name: &str, bytes: &[u8]| {
            let mut items = vec![];
            read_listed(name, bytes, &TreeOptions::default(), |i| {
                items.push(summary(&i))
            })
            .unwrap();
            items
        };
        let png = std::fs::read("sample-images/png/plain.png").unwrap();
        let gif = std::fs::read("sample-images/bad/unsupported.gif").unwrap();
        assert_eq!(one("s3://b/a.png", &png), ["s3://b/a.png PNG"]);
        assert_eq!(one("a.json", b"{}"), ["a.json skipped: not an image"]);
        assert_eq!(
            one("a.gif", &gif),
            ["a.gif skipped: unsupported format (GIF)"]
        );
        assert_eq!(
            one("a.jpg", b"junk"),
            ["a.jpg error: not a JPEG, PNG, WebP, TIFF, JPEG XL, HEIF or AVIF file"]
        );
        assert_eq!(
            one("a.jpg", &png[..40]).len(),
            1,
            "a truncated image is one error"
        );
        let options = TreeOptions {
            exclude: vec!["[".into()],
            ..TreeOptions::default()
        };
        assert!(read_listed("a.png", &png, &options, |_| {}).is_err());
    }
}
