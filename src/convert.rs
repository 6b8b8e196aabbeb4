//! JS <-> Rust value conversion over raw Node-API calls, kept in one place.
//!
//! Stored values carry a one-byte tag written by the SDK: 0 = UTF-8 string,
//! 1 = bytes (Buffer), 2 = JSON text. Reads give back the same JS type.

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, Error, Result, Status, ValueType};
use std::ptr;

/// Tag of a UTF-8 string value.
pub const TAG_STRING: u8 = 0;
/// Tag of a Buffer value.
pub const TAG_BYTES: u8 = 1;
/// Tag of a JSON value.
pub const TAG_JSON: u8 = 2;

fn check(status: sys::napi_status, what: &str) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(
            Status::GenericFailure,
            format!("Node-API call failed: {what}"),
        ))
    }
}

/// Bytes taken from a JS string (UTF-8) or a Buffer / Uint8Array.
pub struct Bytes(pub Vec<u8>);

impl TypeName for Bytes {
    fn type_name() -> &'static str {
        "string | Buffer"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Bytes {}

impl FromNapiValue for Bytes {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> Result<Self> {
        // SAFETY: env and v come from napi-rs for the current call.
        unsafe {
            let mut t = 0;
            check(sys::napi_typeof(env, v, &mut t), "typeof")?;
            if t == sys::ValueType::napi_string {
                let mut len = 0usize;
                check(
                    sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len),
                    "string length",
                )?;
                let mut buf = vec![0u8; len + 1];
                let mut written = 0usize;
                check(
                    sys::napi_get_value_string_utf8(
                        env,
                        v,
                        buf.as_mut_ptr().cast(),
                        len + 1,
                        &mut written,
                    ),
                    "string read",
                )?;
                buf.truncate(written);
                return Ok(Bytes(buf));
            }
            let mut is_buf = false;
            check(sys::napi_is_buffer(env, v, &mut is_buf), "is_buffer")?;
            if is_buf {
                let mut data = ptr::null_mut();
                let mut len = 0usize;
                check(
                    sys::napi_get_buffer_info(env, v, &mut data, &mut len),
                    "buffer",
                )?;
                let slice = if len == 0 {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(data as *const u8, len)
                };
                return Ok(Bytes(slice.to_vec()));
            }
            let mut is_ta = false;
            check(sys::napi_is_typedarray(env, v, &mut is_ta), "is_typedarray")?;
            if is_ta {
                let mut kind = 0;
                let mut len = 0usize;
                let mut data = ptr::null_mut();
                let mut ab = ptr::null_mut();
                let mut off = 0usize;
                check(
                    sys::napi_get_typedarray_info(
                        env, v, &mut kind, &mut len, &mut data, &mut ab, &mut off,
                    ),
                    "typedarray",
                )?;
                if kind == sys::TypedarrayType::uint8_array {
                    let slice = if len == 0 {
                        &[][..]
                    } else {
                        std::slice::from_raw_parts(data as *const u8, len)
                    };
                    return Ok(Bytes(slice.to_vec()));
                }
            }
            Err(Error::new(
                Status::InvalidArg,
                "TDB_INVALID_ARGUMENT: expected a string, Buffer or Uint8Array".to_string(),
            ))
        }
    }
}

/// Creates a JS string from UTF-8 bytes.
///
/// # Safety
/// `env` must be the current call's environment.
pub unsafe fn js_string(env: sys::napi_env, s: &[u8]) -> Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: s is valid for s.len() bytes; invalid UTF-8 is replaced by Node.
    check(
        unsafe { sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut out) },
        "create string",
    )?;
    Ok(out)
}

/// Creates a Buffer holding a copy of `b`.
///
/// # Safety
/// `env` must be the current call's environment.
pub unsafe fn js_buffer(env: sys::napi_env, b: &[u8]) -> Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    let mut data = ptr::null_mut();
    // SAFETY: Node copies b.len() bytes from b.
    check(
        unsafe {
            sys::napi_create_buffer_copy(env, b.len(), b.as_ptr().cast(), &mut data, &mut out)
        },
        "create buffer",
    )?;
    Ok(out)
}

/// Frees the bytes behind a Buffer made by `js_buffer_owned`.
unsafe extern "C" fn free_owned(
    env: sys::napi_env,
    _data: *mut std::ffi::c_void,
    hint: *mut std::ffi::c_void,
) {
    // SAFETY: `hint` is the Box<Vec<u8>> leaked in `js_buffer_owned`.
    let bytes = unsafe { Box::from_raw(hint as *mut Vec<u8>) };
    let mut adjusted = 0;
    // SAFETY: finalizers run on the JS thread with a live env.
    unsafe { sys::napi_adjust_external_memory(env, -(bytes.len() as i64), &mut adjusted) };
}

/// Buffers at least this large are handed over without a copy.
const OWNED_FROM: usize = 1 << 20;

/// Creates a Buffer over `b` itself (no copy: a large result is not copied
/// on the JS thread), freed when the Buffer is collected. Where external
/// buffers are not allowed (Electron's V8 sandbox) and for small buffers it
/// copies.
///
/// # Safety
/// `env` must be the current call's environment.
pub unsafe fn js_buffer_owned(env: sys::napi_env, b: Vec<u8>) -> Result<sys::napi_value> {
    if b.len() < OWNED_FROM {
        // SAFETY: as the caller's.
        return unsafe { js_buffer(env, &b) };
    }
    let len = b.len();
    let mut boxed = Box::new(b);
    let data = boxed.as_mut_ptr();
    let hint = Box::into_raw(boxed);
    let mut out = ptr::null_mut();
    // SAFETY: `data` stays valid until `free_owned` drops the box it lives in.
    let status = unsafe {
        sys::napi_create_external_buffer(
            env,
            len,
            data.cast(),
            Some(free_owned),
            hint.cast(),
            &mut out,
        )
    };
    if status == sys::Status::napi_ok {
        let mut adjusted = 0;
        // SAFETY: as above; tells V8's collector what the Buffer holds.
        unsafe { sys::napi_adjust_external_memory(env, len as i64, &mut adjusted) };
        return Ok(out);
    }
    // SAFETY: the call failed, so Node did not take `hint`.
    let b = unsafe { Box::from_raw(hint) };
    // SAFETY: as the caller's.
    unsafe { js_buffer(env, &b) }
}

/// Creates a JS number.
///
/// # Safety
/// `env` must be the current call's environment.
pub unsafe fn js_number(env: sys::napi_env, n: f64) -> Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: plain value creation.
    check(
        unsafe { sys::napi_create_double(env, n, &mut out) },
        "create number",
    )?;
    Ok(out)
}

/// `null`.
///
/// # Safety
/// `env` must be the current call's environment.
pub unsafe fn js_null(env: sys::napi_env) -> Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: plain value creation.
    check(unsafe { sys::napi_get_null(env, &mut out) }, "null")?;
    Ok(out)
}

/// `undefined`.
///
/// # Safety
/// `env` must be the current call's environment.
pub unsafe fn js_undefined(env: sys::napi_env) -> Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: plain value creation.
    check(
        unsafe { sys::napi_get_undefined(env, &mut out) },
        "undefined",
    )?;
    Ok(out)
}

/// A JS array built from values.
///
/// # Safety
/// `env` must be the current call's environment and the values must belong to it.
pub unsafe fn js_array(env: sys::napi_env, items: &[sys::napi_value]) -> Result<sys::napi_value> {
    let mut arr = ptr::null_mut();
    // SAFETY: values are live in the current handle scope.
    unsafe {
        check(
            sys::napi_create_array_with_length(env, items.len(), &mut arr),
            "array",
        )?;
        for (i, v) in items.iter().enumerate() {
            check(sys::napi_set_element(env, arr, i as u32, *v), "array set")?;
        }
    }
    Ok(arr)
}

/// A JS `Error` with `code` set.
///
/// # Safety
/// `env` must be the current call's environment.
pub unsafe fn js_error(env: sys::napi_env, code: &str, msg: &str) -> Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: code and msg strings are created in the current scope.
    unsafe {
        let c = js_string(env, code.as_bytes())?;
        let m = js_string(env, msg.as_bytes())?;
        check(sys::napi_create_error(env, c, m, &mut out), "create error")?;
    }
    Ok(out)
}

fn json_parse_fn(env: sys::napi_env) -> Result<sys::napi_value> {
    // SAFETY: reads globalThis.JSON.parse in the current scope.
    unsafe {
        let mut global = ptr::null_mut();
        check(sys::napi_get_global(env, &mut global), "global")?;
        let mut json = ptr::null_mut();
        check(
            sys::napi_get_named_property(env, global, c"JSON".as_ptr(), &mut json),
            "JSON",
        )?;
        let mut parse = ptr::null_mut();
        check(
            sys::napi_get_named_property(env, json, c"parse".as_ptr(), &mut parse),
            "JSON.parse",
        )?;
        Ok(parse)
    }
}

/// Converts a stored (tagged) value back to the JS value it was written as.
///
/// # Safety
/// `env` must be the current call's environment.
pub unsafe fn stored_to_js(env: sys::napi_env, stored: &[u8]) -> Result<sys::napi_value> {
    let (tag, body) = match stored.split_first() {
        Some((t, b)) => (*t, b),
        None => return unsafe { js_buffer(env, &[]) },
    };
    // SAFETY: all helpers run in the current scope.
    unsafe {
        match tag {
            TAG_STRING => js_string(env, body),
            TAG_JSON => {
                let parse = json_parse_fn(env)?;
                let text = js_string(env, body)?;
                let mut recv = ptr::null_mut();
                check(sys::napi_get_undefined(env, &mut recv), "undefined")?;
                let mut out = ptr::null_mut();
                let args = [text];
                check(
                    sys::napi_call_function(env, recv, parse, 1, args.as_ptr(), &mut out),
                    "JSON.parse call",
                )?;
                Ok(out)
            }
            TAG_BYTES => js_buffer(env, body),
            // Values written by the Rust API carry no SDK tag: raw bytes.
            _ => js_buffer(env, stored),
        }
    }
}

/// A value returned synchronously: a found value, not found (`null`), or
/// "needs the async path" (`undefined`).
pub enum SyncValue {
    /// The stored, tagged value.
    Found(Vec<u8>),
    /// No visible value.
    Missing,
    /// The read would need disk I/O.
    WouldBlock,
}

impl ToNapiValue for SyncValue {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // SAFETY: called by napi-rs with the current call's env.
        unsafe {
            match val {
                SyncValue::Found(v) => stored_to_js(env, &v),
                SyncValue::Missing => js_null(env),
                SyncValue::WouldBlock => js_undefined(env),
            }
        }
    }
}

/// A synchronous SQL attempt: the result tuple, or `undefined` when the
/// statement needs disk or more work (then it runs on the engine's threads).
pub enum SyncSql {
    /// The statement's result.
    Done(tensordb::sql::SqlResult),
    /// Run it asynchronously instead.
    WouldBlock,
    /// This many bytes of packed rows are in the shared buffer.
    Packed(usize),
}

impl ToNapiValue for SyncSql {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // SAFETY: called by napi-rs with the current call's env.
        unsafe {
            match val {
                SyncSql::Done(r) => crate::completion::sql_result_to_js(env, &r, None),
                SyncSql::WouldBlock => js_undefined(env),
                SyncSql::Packed(n) => js_number(env, n as f64),
            }
        }
    }
}

impl TypeName for SyncSql {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl TypeName for SyncValue {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

/// Converts an optional time argument: NaN (or a non-finite number) means unset.
pub fn opt_time(v: f64) -> Option<i64> {
    v.is_finite().then_some(v as i64)
}

/// A SQL parameter from JS: number (integer when whole and safe, else real),
/// bigint, string, Buffer/Uint8Array, boolean, null/undefined.
pub struct SqlParam(pub tensordb::sql::Value);

impl TypeName for SqlParam {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for SqlParam {}

impl FromNapiValue for SqlParam {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> Result<Self> {
        use tensordb::sql::Value as V;
        // SAFETY: env and v come from napi-rs for the current call.
        unsafe {
            let mut t = 0;
            check(sys::napi_typeof(env, v, &mut t), "typeof")?;
            Ok(SqlParam(match t {
                sys::ValueType::napi_null | sys::ValueType::napi_undefined => V::Null,
                sys::ValueType::napi_boolean => {
                    let mut b = false;
                    check(sys::napi_get_value_bool(env, v, &mut b), "bool")?;
                    V::Int(b as i64)
                }
                sys::ValueType::napi_number => {
                    let mut n = 0f64;
                    check(sys::napi_get_value_double(env, v, &mut n), "number")?;
                    if n.fract() == 0.0 && n.abs() <= 9007199254740991.0 {
                        V::Int(n as i64)
                    } else {
                        V::Real(n)
                    }
                }
                sys::ValueType::napi_bigint => {
                    let mut i = 0i64;
                    let mut lossless = false;
                    check(sys::napi_get_value_bigint_int64(env, v, &mut i, &mut lossless), "bigint")?;
                    if !lossless {
                        return Err(Error::new(Status::InvalidArg, "TDB_INVALID_ARGUMENT: bigint parameter does not fit in 64 bits".to_string()));
                    }
                    V::Int(i)
                }
                sys::ValueType::napi_string => V::Text(String::from_utf8_lossy(&Bytes::from_napi_value(env, v)?.0).into_owned()),
                _ => match Bytes::from_napi_value(env, v) {
                    Ok(b) => V::Blob(b.0),
                    Err(_) => {
                        return Err(Error::new(
                            Status::InvalidArg,
                            "TDB_INVALID_ARGUMENT: SQL parameters must be numbers, bigints, strings, Buffers, booleans or null".to_string(),
                        ))
                    }
                },
            }))
        }
    }
}
