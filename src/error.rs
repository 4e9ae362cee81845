//! The one error type user input can produce: where it is, what is wrong, what to do.

use std::fmt;

/// What kind of problem, so that callers and tests can tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Malformed YAML or JSON, or a document of the wrong shape.
    Syntax,
    /// A field the file does not allow, or a value of the wrong type.
    Invalid,
    /// A file or directory that does not exist.
    Missing,
    /// A path that leaves the root, or a remote URL.
    Forbidden,
    /// Kustomizations that include each other.
    Cycle,
    /// Two resources with one identity.
    Conflict,
    /// A patch, replacement or transformer that cannot be applied.
    Transform,
}

/// An error in the user's input. Displayed as `file:line: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// Root-relative path of the file at fault; empty when none.
    pub file: String,
    /// 1-based line; 0 when unknown.
    pub line: u32,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, file: impl Into<String>, message: impl Into<String>) -> Error {
        Error {
            kind,
            file: file.into(),
            line: 0,
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: u32) -> Error {
        self.line = line;
        self
    }

    /// Sets the file when the error does not name one yet.
    pub fn in_file(mut self, file: &str) -> Error {
        if self.file.is_empty() {
            self.file = file.to_string();
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => write!(f, "{}", self.message),
            (false, 0) => write!(f, "{}: {}", self.file, self.message),
            (false, line) => write!(f, "{}:{}: {}", self.file, line, self.message),
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::kustomize::fs::FsError> for Error {
    fn from(e: crate::kustomize::fs::FsError) -> Error {
        use crate::kustomize::fs::FsError;
        let kind = match e {
            FsError::NotFound(_) => ErrorKind::Missing,
            FsError::OutsideRoot { .. } => ErrorKind::Forbidden,
            FsError::Io(..) => ErrorKind::Missing,
        };
        Error::new(kind, "", e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
