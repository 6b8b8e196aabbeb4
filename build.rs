//! napi-rs build glue.
fn main() {
    napi_build::setup();
}
