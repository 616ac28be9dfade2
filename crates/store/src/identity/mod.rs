//! Satu Akun storage: accounts and their role grants, browser sessions,
//! personal access tokens, sign-in throttling, second factors (MFA) and
//! password-reset links.

pub mod accounts;
pub mod broker;
pub mod import;
pub mod mfa;
pub mod reset;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod webauthn;
