//! The progress bar on stderr: hidden for short runs, drawn only once a
//! batch has proven long.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    found: AtomicU64,
}

impl Bar {
    pub fn new(enabled: bool) -> Self {
        // No total while the walk goes on (a total that grows under the
        // user's eyes is worse than none): a spinner and a count until then.
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(style("{spinner} {pos} files [{elapsed}] {rate}"));
        Bar {
            bar,
            start: Instant::now(),
            enabled,
            shown: AtomicBool::new(false),
            found: AtomicU64::new(0),
        }
    }
}

/// A style with `{rate}`: files per second as a whole number.
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} files/s", state.per_sec());
            },
        )
}

impl ccsig::batch::Progress for Bar {
    fn found(&self, n: u64) {
        self.found.fetch_add(n, Ordering::Relaxed);
    }

    fn walk_finished(&self) {
        self.bar.set_length(self.found.load(Ordering::Relaxed));
        self.bar
            .set_style(style("{pos}/{len} files [{elapsed}] {wide_bar} {rate}"));
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
