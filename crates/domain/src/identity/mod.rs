//! Satu Akun: the identity context.
//!
//! Accounts come in three kinds (ASN civil servants, members of the public and
//! service accounts). ASN accounts carry a [`Nip`]. Login identifiers may be a
//! username, a NIP or an e-mail address; see [`LoginId`].

mod account;
mod email;
mod login_id;
mod nip;
mod password;
mod username;

pub use account::{AccountId, AccountKind, AccountStatus};
pub use email::{Email, EmailError};
pub use login_id::LoginId;
pub use nip::{Gender, Nip, NipError};
pub use password::{PasswordPolicy, PasswordPolicyError};
pub use username::{Username, UsernameError};
