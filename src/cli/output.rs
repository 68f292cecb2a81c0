//! Where a command's output goes: stdout, or the file `-o/--output` names,
//! for every format. A reader that goes away (`faultline scan big.log |
//! head`) ends the command quietly with exit 0, as ripgrep does; any other
//! write error is an error (exit 2) with a message.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::exit;
use crate::input::source::io_message;

/// The destination of a command's output.
pub struct Output {
    writer: Box<dyn Write>,
    /// The file written to (`None`: stdout).
    path: Option<PathBuf>,
    terminal: bool,
}

/// Why output stopped: the reader went away, or writing failed.
#[derive(Debug)]
pub enum Stopped {
    /// The pipe was closed (`| head`): not an error.
    Closed,
    /// Writing failed: the message to print.
    Failed(String),
}

impl Stopped {
    /// The exit code to end with, having said why when it is an error.
    pub fn exit(self) -> ExitCode {
        match self {
            Stopped::Closed => ExitCode::from(exit::CLEAN),
            Stopped::Failed(message) => {
                eprintln!("faultline: {message}");
                ExitCode::from(exit::ERROR)
            }
        }
    }
}

impl Output {
    /// Stdout (also for `-`), or a file created (truncated) at `path`.
    pub fn open(path: Option<&Path>) -> Result<Output, Stopped> {
        match path.filter(|p| *p != Path::new("-")) {
            None => {
                let stdout = io::stdout();
                Ok(Output {
                    terminal: stdout.is_terminal(),
                    writer: Box::new(stdout.lock()),
                    path: None,
                })
            }
            Some(path) => {
                let file = File::create(path).map_err(|e| {
                    Stopped::Failed(format!(
                        "cannot write {}: {}",
                        path.display(),
                        io_message(&e)
                    ))
                })?;
                Ok(Output {
                    writer: Box::new(BufWriter::new(file)),
                    path: Some(path.to_path_buf()),
                    terminal: false,
                })
            }
        }
    }

    /// Whether output goes to a terminal (colour, progress decisions).
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// The terminal's width in columns, when output goes to one (the
    /// text report's first screen is fitted to it).
    pub fn columns(&self) -> Option<usize> {
        if !self.terminal {
            return None;
        }
        terminal_size::terminal_size_of(io::stdout())
            .map(|(width, _)| usize::from(width.0))
            .filter(|&w| w > 0)
    }

    /// Writes `text` (and flushes it, so that live output is seen live).
    pub fn write(&mut self, text: &str) -> Result<(), Stopped> {
        if text.is_empty() {
            return Ok(());
        }
        self.writer
            .write_all(text.as_bytes())
            .and_then(|()| self.writer.flush())
            .map_err(|e| self.stopped(&e))
    }

    fn stopped(&self, error: &io::Error) -> Stopped {
        match (&self.path, error.kind()) {
            (None, io::ErrorKind::BrokenPipe) => Stopped::Closed,
            (None, _) => Stopped::Failed(format!("cannot write output: {}", io_message(error))),
            (Some(path), _) => Stopped::Failed(format!(
                "cannot write {}: {}",
                path.display(),
                io_message(error)
            )),
        }
    }
}

/// Prints text from outside faultline (rule files) on stdout, each line
/// escaped for the terminal; the exit code to end with.
pub fn print_escaped(text: &str) -> ExitCode {
    let mut out = String::with_capacity(text.len());
    for line in crate::report::untrusted::Untrusted::new(text).terminal_lines() {
        out.push_str(&line);
        out.push('\n');
    }
    match Output::open(None).and_then(|mut o| o.write(&out)) {
        Ok(()) => ExitCode::from(exit::CLEAN),
        Err(stopped) => stopped.exit(),
    }
}
