//! Errors with stable codes. The code strings are part of the public API: they
//! reach JavaScript as `err.code` and must never change meaning.

use std::fmt;

/// A stable error category. `as_str()` gives the code users match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// An operating-system I/O failure (disk full, permission denied, failed fsync).
    Io,
    /// Bytes on disk failed a checksum or could not be decoded.
    Corrupt,
    /// The caller passed an argument the engine cannot accept.
    InvalidArgument,
    /// The database (or the handle used) is closed.
    Closed,
    /// The folder is held by another live process.
    Locked,
    /// The feature exists in the API but is not implemented.
    NotSupported,
    /// A bug in TensorDB: an invariant did not hold.
    Internal,
    /// The SQL text does not parse.
    Syntax,
    /// A table named in SQL does not exist.
    NoTable,
    /// A column named in SQL does not exist.
    NoColumn,
    /// A constraint (NOT NULL, PRIMARY KEY, UNIQUE, CHECK) would be violated.
    Constraint,
    /// Internal only: a read needs disk I/O but was asked to answer from memory.
    WouldBlock,
    /// A transaction wrote a key another transaction committed after this one's
    /// snapshot (write-write conflict). Retryable: run the transaction again.
    Conflict,
    /// A value does not fit its column's type (JSON, TIMESTAMP, BOOLEAN) or
    /// a function's argument type.
    TypeMismatch,
    /// A statement exceeded a documented limit (nesting depth, value size,
    /// statement timeout, memory budget) or was cancelled.
    Limit,
    /// A write to a database opened read-only.
    ReadOnly,
}

impl ErrorCode {
    /// The stable string code, e.g. `TDB_IO`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Io => "TDB_IO",
            ErrorCode::Corrupt => "TDB_CORRUPT",
            ErrorCode::InvalidArgument => "TDB_INVALID_ARGUMENT",
            ErrorCode::Closed => "TDB_CLOSED",
            ErrorCode::Locked => "TDB_LOCKED",
            ErrorCode::NotSupported => "TDB_NOT_SUPPORTED",
            ErrorCode::Internal => "TDB_INTERNAL",
            ErrorCode::Syntax => "TDB_SYNTAX",
            ErrorCode::NoTable => "TDB_NO_TABLE",
            ErrorCode::NoColumn => "TDB_NO_COLUMN",
            ErrorCode::Constraint => "TDB_CONSTRAINT",
            ErrorCode::WouldBlock => "TDB_WOULD_BLOCK",
            ErrorCode::Conflict => "TDB_CONFLICT",
            ErrorCode::TypeMismatch => "TDB_TYPE_MISMATCH",
            ErrorCode::Limit => "TDB_LIMIT",
            ErrorCode::ReadOnly => "TDB_READ_ONLY",
        }
    }

    /// Every public code, for tests that keep the Rust and TypeScript lists in sync.
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::Io,
        ErrorCode::Corrupt,
        ErrorCode::InvalidArgument,
        ErrorCode::Closed,
        ErrorCode::Locked,
        ErrorCode::NotSupported,
        ErrorCode::Internal,
        ErrorCode::Syntax,
        ErrorCode::NoTable,
        ErrorCode::NoColumn,
        ErrorCode::Constraint,
        ErrorCode::WouldBlock,
        ErrorCode::Conflict,
        ErrorCode::TypeMismatch,
        ErrorCode::Limit,
        ErrorCode::ReadOnly,
    ];
}

/// An engine error: a stable code plus a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The stable category.
    pub code: ErrorCode,
    /// What went wrong, naming the file or argument where possible.
    pub message: String,
}

impl Error {
    /// Builds an error from a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    /// A `TDB_CORRUPT` error.
    pub fn corrupt(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Corrupt, message)
    }

    /// A `TDB_INVALID_ARGUMENT` error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }

    /// A `TDB_IO` error with context (the operation and path).
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        Self::new(ErrorCode::Io, format!("{context}: {err}"))
    }

    /// A `TDB_CLOSED` error.
    pub fn closed() -> Self {
        Self::new(ErrorCode::Closed, "the database is closed")
    }

    /// A `TDB_INTERNAL` error: reaching this is a bug.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
