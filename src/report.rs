//! How the core tells the user what is happening, without touching the terminal itself.

use std::io::{IsTerminal, Write};

/// Colour choice after `--color` and `NO_COLOR` are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Progress and messages from the core. The CLI implements it (progress bars on a TTY, plain
/// lines elsewhere); tests implement it to record what was said.
pub trait Reporter: Send + Sync {
    fn info(&self, msg: &str);
    fn warn(&self, msg: &str);
    /// Details shown only with `--verbose`.
    fn debug(&self, msg: &str);
}

/// Plain stderr reporter honouring `--quiet`, `--verbose` and colour.
#[derive(Debug, Clone)]
pub struct Console {
    pub verbose: bool,
    pub quiet: bool,
    pub color: bool,
    pub interactive: bool,
}

impl Console {
    pub fn new(verbose: bool, quiet: bool, color: ColorChoice) -> Self {
        let is_tty = std::io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_tty && !no_color,
        };
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        Console {
            verbose,
            quiet,
            color,
            interactive: is_tty && !ci && !verbose,
        }
    }

    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn error(&self, msg: &str) {
        let _ = writeln!(std::io::stderr(), "{} {msg}", self.paint("31;1", "error:"));
    }
}

impl Reporter for Console {
    fn info(&self, msg: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "{msg}");
        }
    }
    fn warn(&self, msg: &str) {
        let _ = writeln!(
            std::io::stderr(),
            "{} {msg}",
            self.paint("33;1", "warning:")
        );
    }
    fn debug(&self, msg: &str) {
        if self.verbose {
            let _ = writeln!(std::io::stderr(), "{}", self.paint("2", msg));
        }
    }
}

/// A reporter that remembers everything, for tests.
#[derive(Debug, Default)]
pub struct Recorder {
    pub lines: std::sync::Mutex<Vec<String>>,
}

impl Reporter for Recorder {
    fn info(&self, msg: &str) {
        self.lines.lock().unwrap().push(format!("info: {msg}"));
    }
    fn warn(&self, msg: &str) {
        self.lines.lock().unwrap().push(format!("warn: {msg}"));
    }
    fn debug(&self, msg: &str) {
        self.lines.lock().unwrap().push(format!("debug: {msg}"));
    }
}
