//! How the CLI speaks: `--format`, `--color`, `-q`/`-v`, cargo-style status lines (the verb
//! right-aligned in 12 columns, bold green on a colour terminal, through anstream/anstyle as
//! clap and cargo do) and the progress bar of long runs (indicatif, on a terminal only).
//!
//! Data goes to stdout, everything else to stderr. Colour codes are written through
//! [`anstream`], which drops them when stderr is not a terminal, when `NO_COLOR` is set, or
//! with `--color never` (and keeps them with `--color always`); `CARGO_TERM_COLOR` stands in
//! for an absent `--color`, as in cargo.

use std::io::IsTerminal as _;

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// Alembic's formats for data, cargo-style status lines.
    #[default]
    Human,
    /// JSON on stdout (docs/json.md): one object for read commands, JSON lines (one event
    /// per revision and a summary) for `upgrade`, `downgrade`, `stamp`.
    Json,
    /// `graph` only: Graphviz DOT (what `graph` writes with `human` too).
    Dot,
    /// `graph` only: a Mermaid flowchart.
    Mermaid,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorWhen {
    /// Colour when stderr is a terminal and `NO_COLOR` is unset (`CARGO_TERM_COLOR` decides
    /// when set).
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorWhen {
    /// The choice in effect: `Auto` defers to `CARGO_TERM_COLOR` (`always`, `never`) when
    /// set, as cargo does; `NO_COLOR` and the terminal check are anstream's.
    pub fn resolve(self) -> anstream::ColorChoice {
        match self {
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
            ColorWhen::Auto => match std::env::var("CARGO_TERM_COLOR").as_deref() {
                Ok("always") => anstream::ColorChoice::Always,
                Ok("never") => anstream::ColorChoice::Never,
                _ => anstream::ColorChoice::Auto,
            },
        }
    }

    /// Sets this choice for every later line of this process ([`anstream::ColorChoice`]'s
    /// global).
    pub fn apply(self) {
        self.resolve().write_global();
    }
}

const GREEN: Style = AnsiColor::Green.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();

/// A status line on stderr, cargo's `{verb:>12} {msg}`, the verb bold green on a colour
/// terminal.
pub fn status(verb: &str, msg: &str) {
    anstream::eprintln!("{GREEN}{verb:>12}{GREEN:#} {msg}");
}

/// A status line whose verb is a warning (bold yellow): `Interrupted`, `Rolled back`.
pub fn status_warn(verb: &str, msg: &str) {
    anstream::eprintln!("{YELLOW}{verb:>12}{YELLOW:#} {msg}");
}

/// `warning: …` on stderr, `warning` bold yellow.
pub fn warning(msg: &str) {
    anstream::eprintln!("{YELLOW}warning{YELLOW:#}: {msg}");
}

/// `error: …` on stderr, `error` bold red.
pub fn error(msg: &str) {
    anstream::eprintln!("{RED}error{RED:#}: {msg}");
}

/// How many revisions a run needs before it shows a progress bar at once.
pub const PROGRESS_MIN_REVISIONS: usize = 10;
/// After how long a run with fewer revisions shows its progress bar anyway (checked at each
/// revision).
pub const PROGRESS_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// The progress bar of a run: drawn on stderr only when it is a terminal and not `-q`, from
/// the start when the run has [`PROGRESS_MIN_REVISIONS`] or more revisions, else once it has
/// run for [`PROGRESS_AFTER`]. Status lines print above it.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    shown: bool,
    started: std::time::Instant,
}

impl Progress {
    /// A bar for a run, hidden until [`Progress::plan`] or time shows it; `enabled` false
    /// (`-q`) never draws.
    pub fn new(enabled: bool) -> Progress {
        let on = enabled && std::io::stderr().is_terminal();
        let bar = on.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(0),
                indicatif::ProgressDrawTarget::hidden(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{prefix:>12} [{bar:27}] {pos}/{len}: {msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        Progress {
            bar,
            shown: false,
            started: std::time::Instant::now(),
        }
    }

    /// The run's length and verb (`Upgrading`).
    pub fn plan(&mut self, verb: &'static str, revisions: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(revisions as u64);
            bar.set_prefix(verb);
        }
        if revisions >= PROGRESS_MIN_REVISIONS {
            self.show();
        }
    }

    /// Draws the bar from now on (a fleet run shows it from its first target); nothing when
    /// stderr is not a terminal or with `-q`.
    pub fn show(&mut self) {
        if let Some(bar) = &self.bar
            && !self.shown
        {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.shown = true;
        }
    }

    /// A revision started: its id in the bar.
    pub fn started(&mut self, id: &str) {
        if self.started.elapsed() >= PROGRESS_AFTER {
            self.show();
        }
        if let Some(bar) = &self.bar {
            bar.set_message(id.to_owned());
        }
    }

    /// A revision is done.
    pub fn inc(&mut self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Whether this run has a bar (stderr is a terminal and not `-q`), shown or not yet.
    pub fn on_terminal(&self) -> bool {
        self.bar.is_some()
    }

    /// One more item done, with `msg` in the bar (a fleet run: the counts so far); shows
    /// the bar once the run has taken [`PROGRESS_AFTER`].
    pub fn advance(&mut self, msg: String) {
        if self.started.elapsed() >= PROGRESS_AFTER {
            self.show();
        }
        if let Some(bar) = &self.bar {
            bar.set_message(msg);
            bar.inc(1);
        }
    }

    /// Runs `f` (which prints lines on stderr) with the bar out of the way.
    pub fn suspend(&self, f: impl FnOnce()) {
        match &self.bar {
            Some(bar) if self.shown => bar.suspend(f),
            _ => f(),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
