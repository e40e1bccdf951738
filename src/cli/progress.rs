//! The progress bar on stderr: hidden for short runs, drawn only once a
//! batch has proven long.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Short runs finish before a bar would be any use; it appears only after this.
const SHOW_AFTER: Duration = Duration::from_millis(800);

pub struct Bar {
    bar: ProgressBar,
    start: Instant,
    /// Whether the bar may be drawn at all (stderr is a terminal).
    enabled: bool,
    shown: AtomicBool,
}

impl Bar {
    pub fn new(enabled: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {pos}/{len} files [{elapsed}] {wide_bar} {per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar {
            bar,
            start: Instant::now(),
            enabled,
            shown: AtomicBool::new(false),
        }
    }
}

impl ccsig::batch::Progress for Bar {
    fn found(&self, n: u64) {
        self.bar.inc_length(n);
    }

    fn done_one(&self) {
        self.bar.inc(1);
        if self.enabled
            && self.start.elapsed() > SHOW_AFTER
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
