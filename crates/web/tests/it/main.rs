//! Integration tests: the real application on a real port, a fresh database
//! per test, every test on SQLite and on PostgreSQL (see `support`).

mod support;

mod admin_audit;
mod admin_clients;
mod admin_scope;
mod api;
mod auth;
mod broker;
mod csrf;
mod custom_surveys;
mod dashboard;
mod files;
mod iid;
mod iid_spd;
mod import;
mod innovations;
mod lifecycle;
mod mfa;
mod oidc;
mod oidc_api;
mod oidc_client;
mod oidc_logout;
mod oidc_node_client;
mod oidc_nodes;
mod oidc_pkjwt;
mod oidc_signing;
mod ops;
mod pages;
mod password_reset;
mod search;
mod skm;
mod skm_docs;
mod tokens;
mod users_import;
mod webauthn;
