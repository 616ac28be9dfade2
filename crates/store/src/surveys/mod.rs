//! SKM storage (Survei Kepuasan Masyarakat): service units and their
//! services, the questionnaire's elements, accepted responses with their
//! pre-aggregated tallies, suggestions and complaints, and the write path
//! that batches submissions.
//!
//! Public reads (a unit's form, its published results) need no scope; reads
//! and changes of non-public data take a [`Scope`](rumah_domain::authz::Scope)
//! for [`Permission::ManageSurveys`](rumah_domain::authz::Permission).

pub mod custom;
pub mod export;
pub mod feedback;
pub mod ingest;
pub mod tallies;
pub mod units;
