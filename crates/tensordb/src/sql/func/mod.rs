//! Scalar and aggregate functions over values, and the per-statement controls
//! (timeout, cancellation, memory budget, value length) every operator
//! consults.

pub mod aggregate;
pub mod control;
pub mod functions;
pub mod math;
pub mod period;
pub mod text;
