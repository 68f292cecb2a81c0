//! Sources: expanding command-line paths into inputs and opening them.
//! Regular files are memory-mapped; stdin, pipes and gzip archives are
//! streamed. Nothing here blocks on FIFOs or devices given inside directories.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::mapped::GuardedMap;

/// One thing to scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    Stdin,
    Path(PathBuf),
}

impl Input {
    /// How reports name this input.
    pub fn display(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::Path(p) => p.display().to_string(),
        }
    }
}

/// A problem with one input; the others are still scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: String,
    pub message: String,
}

/// Expands arguments: `-` is stdin, directories are walked recursively (sorted),
/// arguments that do not exist but contain glob characters are globs.
pub fn expand(args: &[String]) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        if arg == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = Path::new(arg);
        if path.symlink_metadata().is_err() && arg.contains(['*', '?', '[', '{']) {
            match expand_glob(arg) {
                Ok(found) if found.is_empty() => errors.push(InputError {
                    path: arg.clone(),
                    message: "glob matched no files".into(),
                }),
                Ok(found) => inputs.extend(found.into_iter().map(Input::Path)),
                Err(message) => errors.push(InputError {
                    path: arg.clone(),
                    message,
                }),
            }
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut inputs, &mut errors, &mut Vec::new()),
            Ok(_) => inputs.push(Input::Path(path.to_path_buf())),
            Err(e) => errors.push(InputError {
                path: arg.clone(),
                message: io_message(&e),
            }),
        }
    }
    (inputs, errors)
}

/// A readable description of an I/O error, without Rust's `(os error N)`.
pub fn io_message(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn walk(
    dir: &Path,
    inputs: &mut Vec<Input>,
    errors: &mut Vec<InputError>,
    visited: &mut Vec<PathBuf>,
) {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if visited.contains(&canonical) {
        errors.push(InputError {
            path: dir.display().to_string(),
            message: "directory already visited (symlink loop), skipped".into(),
        });
        return;
    }
    visited.push(canonical);
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(e) => {
            errors.push(InputError {
                path: dir.display().to_string(),
                message: io_message(&e),
            });
            return;
        }
    };
    entries.sort();
    for entry in entries {
        let hidden = entry
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        match std::fs::metadata(&entry) {
            Ok(meta) if meta.is_dir() => walk(&entry, inputs, errors, visited),
            Ok(meta) if meta.is_file() => inputs.push(Input::Path(entry)),
            Ok(_) => {} // FIFOs, sockets, devices inside directories are skipped silently, as ripgrep does
            Err(e) => errors.push(InputError {
                path: entry.display().to_string(),
                message: io_message(&e),
            }),
        }
    }
    visited.pop();
}

fn expand_glob(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let glob = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("invalid glob: {e}"))?
        .compile_matcher();
    // Walk from the longest literal directory prefix.
    let literal: PathBuf = Path::new(pattern)
        .components()
        .take_while(|c| {
            !c.as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', '{'])
        })
        .collect();
    let root = if literal.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        literal
    };
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    if root.is_dir() {
        walk(&root, &mut inputs, &mut errors, &mut Vec::new());
    }
    let strip_dot = |p: &Path| {
        p.strip_prefix(".")
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| p.to_path_buf())
    };
    Ok(inputs
        .into_iter()
        .filter_map(|i| match i {
            Input::Path(p) if glob.is_match(&p) || glob.is_match(strip_dot(&p)) => Some(p),
            _ => None,
        })
        .collect())
}

/// An opened input, ready to scan.
pub enum Opened {
    /// A regular file, memory-mapped (and guarded against shrinking).
    Mapped(GuardedMap),
    /// Bytes read fully into memory (small or special inputs).
    Bytes(Vec<u8>),
    /// A stream read in bounded blocks.
    Stream(Box<dyn Read + Send>),
}

impl Opened {
    /// Whether all of it is at hand (mapped or read), so that any part of
    /// it can be scanned on its own.
    pub fn is_in_memory(&self) -> bool {
        !matches!(self, Opened::Stream(_))
    }

    /// Reads the input fully (documents and UTF-16 text need all of it):
    /// the bytes that could be read, and why reading stopped early, if it did.
    pub fn into_bytes(self) -> (Vec<u8>, Option<String>) {
        match self {
            Opened::Mapped(map) => (map.to_vec(), map.cut_short_error()),
            Opened::Bytes(bytes) => (bytes, None),
            Opened::Stream(mut stream) => {
                let mut bytes = Vec::new();
                // On error, `bytes` still holds what was read before it.
                let error = stream.read_to_end(&mut bytes).err().map(|e| io_message(&e));
                (bytes, error)
            }
        }
    }
}

/// The first two bytes of every gzip member.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens an input. Gzip is recognised by its magic bytes, whatever the name;
/// a `.gz` name on a non-gzip file is an error. Regular files are
/// memory-mapped (under the SIGBUS guard) only when `map` is set.
pub(crate) fn open(input: &Input, map: bool) -> Result<Opened, String> {
    let path = match input {
        Input::Stdin => return Ok(Opened::Stream(Box::new(io::stdin()))),
        Input::Path(path) => path,
    };
    let meta = std::fs::metadata(path).map_err(|e| io_message(&e))?;
    if meta.is_dir() {
        return Err("is a directory".into());
    }
    if is_fifo(&meta) {
        // A named pipe or process substitution (`<(kubectl logs x)`) the
        // user named: read as a stream, which is what it is. Gzip is told
        // by its magic when the stream is sniffed.
        let file = File::open(path).map_err(|e| io_message(&e))?;
        return Ok(Opened::Stream(Box::new(file)));
    }
    if !meta.is_file() {
        return Err("not a regular file (socket or device); not read, to avoid blocking".into());
    }
    let mut file = File::open(path).map_err(|e| io_message(&e))?;
    let is_gzip = read_gzip_magic(&mut file).map_err(|e| io_message(&e))?;
    let named_gz = path.extension().is_some_and(|e| e == "gz");
    if named_gz && !is_gzip {
        return Err("named .gz but not gzip data".into());
    }
    if is_gzip {
        return Ok(Opened::Stream(Box::new(MultiGzDecoder::new(
            io::BufReader::new(file),
        ))));
    }
    if meta.len() == 0 {
        return Ok(Opened::Bytes(Vec::new()));
    }
    if !map {
        return Ok(Opened::Stream(Box::new(file)));
    }
    match GuardedMap::new(&file) {
        Ok(map) => Ok(Opened::Mapped(map)),
        Err(_) => Ok(Opened::Stream(Box::new(file))),
    }
}

/// Whether `meta` is a named pipe's.
#[cfg(unix)]
fn is_fifo(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_fifo()
}

#[cfg(not(unix))]
fn is_fifo(_meta: &std::fs::Metadata) -> bool {
    false
}

/// Whether a file starts with the gzip magic; leaves it at its start again.
fn read_gzip_magic(file: &mut File) -> io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut magic = [0u8; 2];
    let got = read_up_to(file, &mut magic)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(got == 2 && magic == GZIP_MAGIC)
}

fn read_up_to(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut total = 0;
    while total < buf.len() {
        match reader.read(&mut buf[total..]) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

/// Reads the first `n` bytes of a stream, returning them and a reader that
/// yields the whole stream again (peeked bytes first).
pub fn peek(
    mut stream: Box<dyn Read + Send>,
    n: usize,
) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = vec![0u8; n];
    let got = read_up_to(&mut stream, &mut head)?;
    head.truncate(got);
    let replay = io::Cursor::new(head.clone()).chain(stream);
    Ok((head, Box::new(replay)))
}
