//! Satu Akun storage: accounts and their role grants, browser sessions,
//! personal access tokens and sign-in throttling.

pub mod accounts;
pub mod sessions;
pub mod throttle;
pub mod tokens;
