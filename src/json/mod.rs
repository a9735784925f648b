//! JSON: a validating scanner that borrows, and owned values for what the
//! engine keeps without knowing its shape. No wire-format field names live
//! here.

pub mod partial;
pub(crate) mod scanner;
pub(crate) mod string;
pub(crate) mod value;
