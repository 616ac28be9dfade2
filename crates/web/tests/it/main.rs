//! Integration tests: the real application on a real port, a fresh database
//! per test, every test on SQLite and on PostgreSQL (see `support`).

mod support;

mod admin_scope;
mod api;
mod auth;
mod csrf;
mod ops;
mod pages;
mod tokens;
