//! Domain types and rules of Rumah Inovasi.
//!
//! Nothing in this crate performs I/O or knows about HTTP or SQL. Values that
//! arrive from the outside world (a NIP typed into a form, a region code in a
//! URL) are parsed into the newtypes defined here at the edge, so the rest of
//! the program never handles raw strings for them ("parse, don't validate").
//!
//! One module per bounded context:
//! - [`identity`]: accounts, NIP, usernames, passwords (Satu Akun).
//! - [`orgs`]: the province, its regencies/cities, OPDs and units.
//! - [`authz`]: roles scoped to org nodes and the permissions they give.
//! - [`surveys`]: SKM citizen satisfaction surveys: IKM, grades, periods.
//! - [`innovations`]: innovation profiles, curation workflow, sustainability.
//! - [`oidc`]: Satu Akun's OpenID Connect rules: authorization requests, scopes.

pub mod authz;
pub mod identity;
pub mod innovations;
pub mod oidc;
pub mod orgs;
pub mod surveys;
pub mod time;
