//! Names every layer agrees on: identifier quoting and the hidden period
//! columns every table has.

use crate::error::{Error, Result};

/// Quotes an identifier for SQL text (`"a""b"`).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The hidden period columns every table has.
pub const HIDDEN: [&str; 4] = ["_system_from", "_system_to", "_valid_from", "_valid_to"];

/// True when `name` is one of the hidden period columns.
pub fn is_hidden(name: &str) -> bool {
    HIDDEN.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Refuses a user column named like a hidden period column.
pub fn check_column_name(name: &str) -> Result<()> {
    if is_hidden(name) {
        return Err(Error::invalid(format!(
            "{name} is a reserved column name: every table has it as a hidden period column"
        )));
    }
    Ok(())
}
