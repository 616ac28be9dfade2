//! Inovasi daerah: the innovation registry's rules, under PP 38/2017 on
//! regional innovation and the categories of the national IID (Indeks
//! Inovasi Daerah) reporting.
//!
//! - [`classification`]: bentuk, jenis, inisiator, tahapan and SDG tags,
//!   with the IID codes.
//! - [`profile`]: the profile form, the rules every save passes (stage
//!   dates among them), the extra rules for submission, and the diff
//!   between two versions.
//! - [`workflow`]: curation statuses from draft to terverifikasi, and who
//!   may move an innovation where.
//! - [`sustainability`]: the at-risk assessment (berisiko, perlu
//!   perhatian, terjaga) and its reasons.
//!
//! Pure rules: "today" is always a parameter, and storage, permissions and
//! pages live in the other crates.

pub mod classification;
pub mod iid;
pub mod profile;
pub mod sustainability;
pub mod workflow;

pub use classification::{Bentuk, Inisiator, Jenis, Sdg, SdgError, Sdgs, Tahapan};
pub use iid::{IidLevel, Predikat, Thresholds, YearRules};
pub use profile::{Field, FieldChange, InnovationDraft, ProfileError, ProfileForm, diff};
pub use sustainability::{
    LegalKind, Level, MONITORING_WINDOW_MONTHS, Reason, Sustainability, SustainabilityFacts,
    assess, months_before,
};
pub use workflow::{Action, Actor, NOTE_MAX, Status, TransitionError, apply, available_actions};
