//! JSON: a validating scanner that borrows, owned values (objects in arrival
//! order) for what the engine keeps without knowing its shape, and their
//! conversions. No wire-format field names live here.

mod de;
pub(crate) mod map;
pub(crate) mod raw;
pub(crate) mod scanner;
#[cfg(feature = "serde_json")]
mod serde_json;
pub(crate) mod string;
pub(crate) mod value;
pub(crate) mod write;
