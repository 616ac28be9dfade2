//! Curation: the statuses an innovation passes through between its owner
//! and the curators, and who may move it where.
//!
//! ```text
//! from           action            actor    to
//! draft          submit            owner    diajukan
//! perlu_revisi   submit            owner    diajukan
//! ditolak        reopen            owner    draft
//! diajukan       start_review      curator  ditinjau
//! ditinjau       request_revision  curator  perlu_revisi   (comment required)
//! ditinjau       verify            curator  terverifikasi  (published)
//! ditinjau       reject            curator  ditolak        (reason required)
//! terverifikasi  take_back         curator  ditinjau
//! ```
//!
//! The whole workflow is one table: [`apply`] looks a move up in it and
//! [`available_actions`] lists the buttons a page offers from it, so the
//! two cannot drift apart. Editing the profile is not a transition: the
//! owner may edit in the statuses [`Status::owner_may_edit`] allows, and
//! every save is a new version whatever the status.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where an innovation stands in curation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being written by its owner; visible only to the owning org.
    Draft,
    /// Submitted, waiting for a curator.
    Diajukan,
    /// A curator is reviewing it.
    Ditinjau,
    /// Sent back to the owner with a comment.
    PerluRevisi,
    /// Verified and published in the public catalogue.
    Terverifikasi,
    /// Rejected, with a reason. Final, unless the owner reworks it as a
    /// draft.
    Ditolak,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Self::Draft,
        Self::Diajukan,
        Self::Ditinjau,
        Self::PerluRevisi,
        Self::Terverifikasi,
        Self::Ditolak,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Diajukan => "diajukan",
            Self::Ditinjau => "ditinjau",
            Self::PerluRevisi => "perlu_revisi",
            Self::Terverifikasi => "terverifikasi",
            Self::Ditolak => "ditolak",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Draft => "innovation.status.draft",
            Self::Diajukan => "innovation.status.diajukan",
            Self::Ditinjau => "innovation.status.ditinjau",
            Self::PerluRevisi => "innovation.status.perlu_revisi",
            Self::Terverifikasi => "innovation.status.terverifikasi",
            Self::Ditolak => "innovation.status.ditolak",
        }
    }

    /// Whether the public catalogue shows the innovation. Only a curator's
    /// verification publishes; taking it back into review hides it again.
    pub fn is_public(self) -> bool {
        self == Self::Terverifikasi
    }

    /// Whether the owner may save changes to the profile.
    ///
    /// - `draft` and `perlu_revisi`: that is what these statuses are for.
    /// - `terverifikasi`: corrections stay published (every save is a
    ///   version, so curators can see what changed). The change is public at
    ///   once, so such a save must also pass the submission checks.
    /// - `diajukan` and `ditinjau`: no, a curator reviews a profile that
    ///   does not move under their feet.
    /// - `ditolak`: no, the owner first reopens it as a draft, which makes
    ///   reworking a rejected innovation a deliberate step.
    pub fn owner_may_edit(self) -> bool {
        matches!(self, Self::Draft | Self::PerluRevisi | Self::Terverifikasi)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Who asks for a transition. The web layer decides which one the caller is
/// from their roles (innovation admin of the owning org node, curator); the
/// workflow only needs to know the capacity they act in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The innovation admin of the owning org node.
    Owner,
    Curator,
}

impl Actor {
    pub const ALL: [Actor; 2] = [Self::Owner, Self::Curator];

    pub fn code(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Curator => "curator",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Owner => "innovation.actor.owner",
            Self::Curator => "innovation.actor.curator",
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A step of the workflow. Each action belongs to exactly one actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Owner: `draft` or `perlu_revisi` → `diajukan`.
    Submit,
    /// Curator: `diajukan` → `ditinjau`.
    StartReview,
    /// Curator: `ditinjau` → `perlu_revisi`, with a comment.
    RequestRevision,
    /// Curator: `ditinjau` → `terverifikasi` (published).
    Verify,
    /// Curator: `ditinjau` → `ditolak`, with a reason.
    Reject,
    /// Owner: `ditolak` → `draft`, to rework a rejected innovation.
    Reopen,
    /// Curator: `terverifikasi` → `ditinjau`, taking a published innovation
    /// back into review (and out of the catalogue).
    TakeBack,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Self::Submit,
        Self::StartReview,
        Self::RequestRevision,
        Self::Verify,
        Self::Reject,
        Self::Reopen,
        Self::TakeBack,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::StartReview => "start_review",
            Self::RequestRevision => "request_revision",
            Self::Verify => "verify",
            Self::Reject => "reject",
            Self::Reopen => "reopen",
            Self::TakeBack => "take_back",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Submit => "innovation.action.submit",
            Self::StartReview => "innovation.action.start_review",
            Self::RequestRevision => "innovation.action.request_revision",
            Self::Verify => "innovation.action.verify",
            Self::Reject => "innovation.action.reject",
            Self::Reopen => "innovation.action.reopen",
            Self::TakeBack => "innovation.action.take_back",
        }
    }

    /// The only actor who may take this action.
    pub fn actor(self) -> Actor {
        match self {
            Self::Submit | Self::Reopen => Actor::Owner,
            Self::StartReview
            | Self::RequestRevision
            | Self::Verify
            | Self::Reject
            | Self::TakeBack => Actor::Curator,
        }
    }

    /// Whether the action needs a note: the owner must learn what to
    /// revise, and a rejection without a reason cannot be acted on or
    /// contested.
    pub fn needs_note(self) -> bool {
        matches!(self, Self::RequestRevision | Self::Reject)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Longest note (revision comment, rejection reason, optional remark on any
/// other action), in characters.
pub const NOTE_MAX: usize = 2000;

/// Every allowed move: from, action, to. The actor is [`Action::actor`].
const TRANSITIONS: [(Status, Action, Status); 8] = [
    (Status::Draft, Action::Submit, Status::Diajukan),
    (Status::PerluRevisi, Action::Submit, Status::Diajukan),
    (Status::Ditolak, Action::Reopen, Status::Draft),
    (Status::Diajukan, Action::StartReview, Status::Ditinjau),
    (
        Status::Ditinjau,
        Action::RequestRevision,
        Status::PerluRevisi,
    ),
    (Status::Ditinjau, Action::Verify, Status::Terverifikasi),
    (Status::Ditinjau, Action::Reject, Status::Ditolak),
    (Status::Terverifikasi, Action::TakeBack, Status::Ditinjau),
];

/// Why a transition was refused. Every variant names the action, and the
/// refusals of the move itself name the current status, so the message says
/// what was tried on what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the {actor} may not {action} (the innovation is {status})")]
    WrongActor {
        status: Status,
        action: Action,
        actor: Actor,
    },
    #[error("cannot {action} an innovation that is {status}")]
    NotFromStatus { status: Status, action: Action },
    #[error("{action} needs a note saying why")]
    NoteRequired { action: Action },
    #[error("a note has at most 2000 characters")]
    NoteTooLong { action: Action },
}

impl TransitionError {
    /// Stable code, used as the translation key suffix and in API errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongActor { .. } => "transition_wrong_actor",
            Self::NotFromStatus { .. } => "transition_not_allowed",
            Self::NoteRequired { .. } => "note_required",
            Self::NoteTooLong { .. } => "note_too_long",
        }
    }

    /// The form field the error is about: the note, or none when the move
    /// itself is refused.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::NoteRequired { .. } | Self::NoteTooLong { .. } => Some("note"),
            Self::WrongActor { .. } | Self::NotFromStatus { .. } => None,
        }
    }
}

/// Applies `action`, taken by `actor`, to an innovation in `status`, and
/// returns the new status.
///
/// The actor is checked first (an owner can never verify, whatever the
/// status), then the status, then the note: blank counts as absent; it is
/// required for [`Action::needs_note`] actions, and any note is at most
/// [`NOTE_MAX`] characters. The caller stores the (trimmed) note with the
/// transition.
pub fn apply(
    status: Status,
    action: Action,
    actor: Actor,
    note: Option<&str>,
) -> Result<Status, TransitionError> {
    if action.actor() != actor {
        return Err(TransitionError::WrongActor {
            status,
            action,
            actor,
        });
    }
    let to = TRANSITIONS
        .iter()
        .find(|(from, a, _)| *from == status && *a == action)
        .map(|(_, _, to)| *to)
        .ok_or(TransitionError::NotFromStatus { status, action })?;
    match note.map(str::trim).filter(|n| !n.is_empty()) {
        None if action.needs_note() => Err(TransitionError::NoteRequired { action }),
        Some(n) if n.chars().count() > NOTE_MAX => Err(TransitionError::NoteTooLong { action }),
        _ => Ok(to),
    }
}

/// The actions `actor` may take on an innovation in `status`, in
/// [`Action::ALL`] order: the buttons to show.
pub fn available_actions(status: Status, actor: Actor) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| a.actor() == actor)
        .filter(|a| {
            TRANSITIONS
                .iter()
                .any(|(from, t, _)| *from == status && t == a)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use Action::*;
    use Actor::*;
    use Status::*;

    const COMMENT: Option<&str> = Some("Lengkapi data manfaat dan hasil.");

    /// Every allowed move, written out independently of `TRANSITIONS`.
    const ALLOWED: [(Status, Action, Actor, Status); 8] = [
        (Draft, Submit, Owner, Diajukan),
        (PerluRevisi, Submit, Owner, Diajukan),
        (Ditolak, Reopen, Owner, Draft),
        (Diajukan, StartReview, Curator, Ditinjau),
        (Ditinjau, RequestRevision, Curator, PerluRevisi),
        (Ditinjau, Verify, Curator, Terverifikasi),
        (Ditinjau, Reject, Curator, Ditolak),
        (Terverifikasi, TakeBack, Curator, Ditinjau),
    ];

    #[test]
    fn every_allowed_transition_leads_where_the_workflow_says() {
        for (from, action, actor, to) in ALLOWED {
            assert_eq!(
                apply(from, action, actor, COMMENT),
                Ok(to),
                "{actor} {action} from {from}"
            );
            if !action.needs_note() {
                assert_eq!(
                    apply(from, action, actor, None),
                    Ok(to),
                    "{action} needs no note"
                );
            }
        }
    }

    #[test]
    fn refused_transitions_name_the_status_and_the_action() {
        let cases: &[(Status, Action, Actor, TransitionError)] = &[
            // Curators do not submit for the owner, owners do not review.
            (
                Draft,
                Submit,
                Curator,
                TransitionError::WrongActor {
                    status: Draft,
                    action: Submit,
                    actor: Curator,
                },
            ),
            (
                Ditinjau,
                Verify,
                Owner,
                TransitionError::WrongActor {
                    status: Ditinjau,
                    action: Verify,
                    actor: Owner,
                },
            ),
            (
                Ditolak,
                Reopen,
                Curator,
                TransitionError::WrongActor {
                    status: Ditolak,
                    action: Reopen,
                    actor: Curator,
                },
            ),
            // Right actor, wrong status.
            (
                Diajukan,
                Submit,
                Owner,
                TransitionError::NotFromStatus {
                    status: Diajukan,
                    action: Submit,
                },
            ),
            (
                Terverifikasi,
                Submit,
                Owner,
                TransitionError::NotFromStatus {
                    status: Terverifikasi,
                    action: Submit,
                },
            ),
            (
                Ditolak,
                Submit,
                Owner,
                TransitionError::NotFromStatus {
                    status: Ditolak,
                    action: Submit,
                },
            ),
            (
                Draft,
                StartReview,
                Curator,
                TransitionError::NotFromStatus {
                    status: Draft,
                    action: StartReview,
                },
            ),
            (
                Diajukan,
                Verify,
                Curator,
                TransitionError::NotFromStatus {
                    status: Diajukan,
                    action: Verify,
                },
            ),
            (
                PerluRevisi,
                Verify,
                Curator,
                TransitionError::NotFromStatus {
                    status: PerluRevisi,
                    action: Verify,
                },
            ),
            (
                Ditolak,
                TakeBack,
                Curator,
                TransitionError::NotFromStatus {
                    status: Ditolak,
                    action: TakeBack,
                },
            ),
            (
                Terverifikasi,
                Reject,
                Curator,
                TransitionError::NotFromStatus {
                    status: Terverifikasi,
                    action: Reject,
                },
            ),
            (
                Draft,
                Reopen,
                Owner,
                TransitionError::NotFromStatus {
                    status: Draft,
                    action: Reopen,
                },
            ),
        ];
        for (from, action, actor, expected) in cases {
            assert_eq!(
                apply(*from, *action, *actor, COMMENT).as_ref(),
                Err(expected),
                "{actor} {action} from {from}"
            );
        }
        let message = apply(Diajukan, Verify, Curator, None)
            .unwrap_err()
            .to_string();
        assert!(message.contains("verify") && message.contains("diajukan"));
    }

    #[test]
    fn nothing_outside_the_table_is_allowed() {
        let mut allowed = 0;
        for from in Status::ALL {
            for action in Action::ALL {
                for actor in Actor::ALL {
                    let listed = ALLOWED
                        .iter()
                        .find(|(f, a, r, _)| *f == from && *a == action && *r == actor);
                    match (apply(from, action, actor, COMMENT), listed) {
                        (Ok(to), Some((.., expected))) => {
                            assert_eq!(to, *expected);
                            allowed += 1;
                        }
                        (Err(e), None) => {
                            assert!(
                                matches!(
                                    e,
                                    TransitionError::WrongActor { status, action: a, .. }
                                    | TransitionError::NotFromStatus { status, action: a }
                                    if status == from && a == action
                                ),
                                "{e:?}"
                            );
                            assert_eq!(e.field(), None);
                        }
                        (got, listed) => {
                            panic!("{actor} {action} from {from}: {got:?}, listed {listed:?}")
                        }
                    }
                }
            }
        }
        assert_eq!(allowed, ALLOWED.len());
    }

    #[test]
    fn revision_requests_and_rejections_need_a_comment_or_reason() {
        for action in [RequestRevision, Reject] {
            for blank in [None, Some(""), Some("   \n\t")] {
                let err = apply(Ditinjau, action, Curator, blank).unwrap_err();
                assert_eq!(err, TransitionError::NoteRequired { action });
                assert_eq!(err.code(), "note_required");
                assert_eq!(err.field(), Some("note"));
            }
            let longest = "a".repeat(NOTE_MAX);
            assert!(apply(Ditinjau, action, Curator, Some(&longest)).is_ok());
            // Surrounding whitespace does not count against the limit.
            let padded = format!("  {longest}\n");
            assert!(apply(Ditinjau, action, Curator, Some(&padded)).is_ok());
            // Characters, not bytes: 2000 "é" are 4000 bytes and still fine.
            let accented = "é".repeat(NOTE_MAX);
            assert!(apply(Ditinjau, action, Curator, Some(&accented)).is_ok());
            let too_long = "a".repeat(NOTE_MAX + 1);
            let err = apply(Ditinjau, action, Curator, Some(&too_long)).unwrap_err();
            assert_eq!(err, TransitionError::NoteTooLong { action });
            assert_eq!(err.code(), "note_too_long");
        }
    }

    #[test]
    fn optional_notes_are_limited_too() {
        assert_eq!(
            apply(Ditinjau, Verify, Curator, Some("Bagus.")),
            Ok(Terverifikasi)
        );
        assert_eq!(
            apply(Ditinjau, Verify, Curator, Some("  ")),
            Ok(Terverifikasi)
        );
        let too_long = "a".repeat(NOTE_MAX + 1);
        assert_eq!(
            apply(Draft, Submit, Owner, Some(&too_long)),
            Err(TransitionError::NoteTooLong { action: Submit })
        );
    }

    #[test]
    fn the_move_is_judged_before_the_note() {
        // A refused move reports the move, not the missing reason.
        assert_eq!(
            apply(Diajukan, Reject, Curator, None),
            Err(TransitionError::NotFromStatus {
                status: Diajukan,
                action: Reject
            })
        );
        assert_eq!(
            apply(Ditinjau, Reject, Owner, None),
            Err(TransitionError::WrongActor {
                status: Ditinjau,
                action: Reject,
                actor: Owner
            })
        );
    }

    #[test]
    fn a_rejected_innovation_can_be_reworked_and_published_then_taken_back() {
        let steps: &[(Action, Actor, Option<&str>, Status)] = &[
            (Submit, Owner, None, Diajukan),
            (StartReview, Curator, None, Ditinjau),
            (Reject, Curator, Some("Bukan inovasi, rutinitas."), Ditolak),
            (Reopen, Owner, None, Draft),
            (Submit, Owner, None, Diajukan),
            (StartReview, Curator, None, Ditinjau),
            (RequestRevision, Curator, COMMENT, PerluRevisi),
            (Submit, Owner, None, Diajukan),
            (StartReview, Curator, None, Ditinjau),
            (Verify, Curator, None, Terverifikasi),
            (TakeBack, Curator, None, Ditinjau),
            (Verify, Curator, None, Terverifikasi),
        ];
        let mut status = Draft;
        for (action, actor, note, expected) in steps {
            status = apply(status, *action, *actor, *note).unwrap();
            assert_eq!(status, *expected, "after {action}");
        }
    }

    #[test]
    fn only_a_verified_innovation_is_public() {
        for status in Status::ALL {
            assert_eq!(status.is_public(), status == Terverifikasi, "{status}");
        }
    }

    #[test]
    fn owners_edit_drafts_revisions_and_published_innovations_only() {
        let editable: Vec<Status> = Status::ALL
            .into_iter()
            .filter(|s| s.owner_may_edit())
            .collect();
        assert_eq!(editable, vec![Draft, PerluRevisi, Terverifikasi]);
    }

    #[test]
    fn available_actions_are_exactly_what_apply_allows() {
        for status in Status::ALL {
            for actor in Actor::ALL {
                let expected: Vec<Action> = Action::ALL
                    .into_iter()
                    .filter(|a| apply(status, *a, actor, COMMENT).is_ok())
                    .collect();
                assert_eq!(
                    available_actions(status, actor),
                    expected,
                    "{actor} {status}"
                );
            }
        }
        assert_eq!(
            available_actions(Ditinjau, Curator),
            vec![RequestRevision, Verify, Reject]
        );
        assert_eq!(available_actions(Ditinjau, Owner), vec![]);
        assert_eq!(available_actions(PerluRevisi, Owner), vec![Submit]);
    }

    #[test]
    fn statuses_actions_and_actors_round_trip_through_their_codes() {
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.code())
            );
            assert!(s.label_key().ends_with(s.code()));
        }
        for a in Action::ALL {
            assert_eq!(Action::from_code(a.code()), Some(a));
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{}\"", a.code())
            );
            assert!(a.label_key().ends_with(a.code()));
        }
        for a in Actor::ALL {
            assert_eq!(Actor::from_code(a.code()), Some(a));
            assert!(a.label_key().ends_with(a.code()));
        }
        assert_eq!(Status::from_code("published"), None);
        assert_eq!(Action::from_code("approve"), None);
        assert_eq!(Actor::from_code("admin"), None);
    }
}
