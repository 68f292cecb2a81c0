//! The partial file: what `faultline scan --partial` writes and `faultline
//! merge` reads. JSON (gzip-compressed when the name ends in `.gz`; read
//! either way), versioned, and tied to the faultline release and the rule
//! pack that made it. The layout is documented in `docs/partials.md`.

use std::fmt;
use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::share::Share;
use crate::analyze::InputProblem;
use crate::analyze::summary::Summary;

/// What the `format` field of every partial says.
pub(crate) const FORMAT: &str = "faultline-partial";
/// The layout version; bumped whenever a reader of the previous layout
/// would misread the new one.
pub(crate) const VERSION: u32 = 2;

/// The scan of one worker's share of the inputs, to be merged with the
/// others' into one report ([`Engine::merge`](crate::Engine::merge)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partial {
    #[serde(flatten)]
    pub(crate) header: Header,
    /// What this worker was asked to scan.
    pub(crate) share: Share,
    /// Every input the paths named, before sharing: workers given
    /// different paths are told apart by it.
    pub(crate) inputs: InputSet,
    /// Paths that named nothing (each worker records them).
    pub(crate) errors: Vec<InputProblem>,
    /// What was scanned, one piece per input (or range of it).
    pub(crate) pieces: Vec<Piece>,
    /// Where the partial was read from, for messages.
    #[serde(skip)]
    pub(crate) source: String,
}

/// The fields that say whether a partial can be merged here at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub format: String,
    pub version: u32,
    /// The faultline release that wrote it.
    pub faultline: String,
    /// The rule pack's fingerprint.
    pub pack: String,
}

impl Header {
    pub(crate) fn current(pack: String) -> Header {
        Header {
            format: FORMAT.to_string(),
            version: VERSION,
            faultline: env!("CARGO_PKG_VERSION").to_string(),
            pack,
        }
    }
}

/// The inputs named, as a count and a hash of their sorted paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InputSet {
    pub count: usize,
    pub hash: String,
}

/// One input (or byte range of one) as scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Piece {
    /// The input as reports name it.
    pub path: String,
    /// Standard input (which sorts before every file).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stdin: bool,
    /// For a byte range: which bytes of how big a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<Covered>,
    /// Bytes and lines read.
    pub bytes: u64,
    pub lines: u64,
    /// Whether anything of it could be read.
    pub read: bool,
    /// Why it could not be (fully) read, or was skipped.
    pub problems: Vec<InputProblem>,
    /// Its summary, the input numbered 0.
    pub summary: Summary,
}

/// A byte range of a file and the file's size when it was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Covered {
    pub start: u64,
    pub end: u64,
    pub size: u64,
}

/// Why a partial cannot be written, read or merged.
#[derive(Debug)]
pub enum PartialError {
    /// The file could not be read or written.
    Io {
        /// The partial.
        path: String,
        /// What the system said.
        message: String,
    },
    /// Not a partial, or a damaged one.
    Invalid {
        /// The partial.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// Written by another faultline release or layout version.
    Version {
        /// The partial.
        path: String,
        /// The release and layout version that wrote it.
        found: String,
    },
    /// Made with another rule pack.
    Pack {
        /// The partial.
        path: String,
        /// Its pack's fingerprint.
        found: String,
        /// This pack's fingerprint.
        expected: String,
    },
    /// The arguments cannot make a partial (e.g. `--range` over several files).
    Usage(String),
}

impl fmt::Display for PartialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartialError::Io { path, message } => write!(f, "{path}: {message}"),
            PartialError::Invalid { path, message } => {
                write!(f, "{path}: not a faultline partial: {message}")
            }
            PartialError::Version { path, found } => write!(
                f,
                "{path}: written by {found}, but this is faultline {} (partial layout {VERSION}); \
                 scan and merge with the same faultline release",
                env!("CARGO_PKG_VERSION")
            ),
            PartialError::Pack {
                path,
                found,
                expected,
            } => write!(
                f,
                "{path}: made with another rule pack ({found}) than this one ({expected}); \
                 merge with the same --rules/--no-default-rules the scan used"
            ),
            PartialError::Usage(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for PartialError {}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

impl Partial {
    /// Writes the partial to `path` (`-`: standard output), gzip-compressed
    /// when the name ends in `.gz`.
    pub fn write(&self, path: &Path) -> Result<(), PartialError> {
        let io = |e: std::io::Error| PartialError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let json = serde_json::to_vec(self).map_err(|e| io(e.into()))?;
        if path == Path::new("-") {
            let mut out = std::io::stdout().lock();
            return out
                .write_all(&json)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(io);
        }
        let bytes = if path.extension().is_some_and(|e| e == "gz") {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(&json).map_err(io)?;
            encoder.finish().map_err(io)?
        } else {
            json
        };
        std::fs::write(path, bytes).map_err(io)
    }

    /// Reads a partial (`-`: standard input), refusing one written by
    /// another faultline release or layout version.
    pub fn read(path: &Path) -> Result<Partial, PartialError> {
        let name = path.display().to_string();
        let io = |e: std::io::Error| PartialError::Io {
            path: name.clone(),
            message: e.to_string(),
        };
        let mut raw = Vec::new();
        if path == Path::new("-") {
            std::io::stdin().lock().read_to_end(&mut raw).map_err(io)?;
        } else {
            raw = std::fs::read(path).map_err(io)?;
        }
        if raw.starts_with(&GZIP_MAGIC) {
            let mut inflated = Vec::new();
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut inflated)
                .map_err(|e| PartialError::Invalid {
                    path: name.clone(),
                    message: format!("damaged gzip: {e}"),
                })?;
            raw = inflated;
        }
        Partial::parse(&name, &raw)
    }

    /// Parses a partial's JSON, checking its header before the rest.
    pub(crate) fn parse(name: &str, json: &[u8]) -> Result<Partial, PartialError> {
        let invalid = |message: String| PartialError::Invalid {
            path: name.to_string(),
            message,
        };
        let header: Header = serde_json::from_slice(json).map_err(|e| invalid(e.to_string()))?;
        if header.format != FORMAT {
            return Err(invalid(format!("its format is `{}`", header.format)));
        }
        if header.version != VERSION || header.faultline != env!("CARGO_PKG_VERSION") {
            return Err(PartialError::Version {
                path: name.to_string(),
                found: format!(
                    "faultline {} (partial layout {})",
                    header.faultline, header.version
                ),
            });
        }
        let mut partial: Partial =
            serde_json::from_slice(json).map_err(|e| invalid(e.to_string()))?;
        partial.source = name.to_string();
        Ok(partial)
    }

    /// Every problem it records: paths that named nothing, then each
    /// piece's, in input order.
    pub fn problems(&self) -> Vec<InputProblem> {
        let pieces = self.pieces.iter().flat_map(|p| p.problems.iter().cloned());
        self.errors.iter().cloned().chain(pieces).collect()
    }

    /// The rule pack's fingerprint the partial was made with.
    pub fn pack(&self) -> &str {
        &self.header.pack
    }
}
