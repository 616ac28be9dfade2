//! Authentication: password hashing, the session cookie, sign-in rules, and
//! the extractors that hand handlers an authenticated caller.

pub mod login;
pub mod mfa;
pub mod password;
pub mod session;
pub mod webauthn;

pub use session::{ApiCaller, CurrentUser, SessionUser};
