//! Satu Akun storage: accounts and their role grants, browser sessions,
//! personal access tokens, sign-in throttling and second factors (MFA).

pub mod accounts;
pub mod mfa;
pub mod sessions;
pub mod throttle;
pub mod tokens;
