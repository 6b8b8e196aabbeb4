//! Engine errors to JS errors: `err.code` is the stable engine code.

use napi::Error;

/// Converts an engine error into a JS error whose `code` is e.g. `TDB_IO`.
pub fn to_napi(e: tensordb::Error) -> Error<String> {
    Error::new(e.code.as_str().to_string(), e.message)
}
