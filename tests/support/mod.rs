//! What the suites share: building images, certificate authorities and a stand-in Sigstore,
//! validating documents against the schemas.

pub mod bundle_ca;
pub mod image;
pub mod pki;
pub mod schema;
pub mod sigstore_standin;
