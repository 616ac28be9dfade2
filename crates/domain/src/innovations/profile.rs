//! The innovation profile as its owner writes it: parsing the form, the
//! rules every save must pass, the extra rules for submission, and the
//! field-by-field difference between two versions.
//!
//! [`InnovationDraft`] is also the JSON snapshot stored with every version.
//! That is why its free-text fields (urusan, contact, video address) are
//! plain strings checked by [`InnovationDraft::check`] on each save rather
//! than newtypes checked on deserialisation: a snapshot written years ago
//! must still load after a rule is tightened, to show the history. The
//! categories, dates and SDGs are typed; their meaning will not change.
//!
//! Errors are collected, not returned at the first one, so a form shows
//! every problem at once, each next to its field, in form order.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use super::classification::{Bentuk, Inisiator, Jenis, Sdg, Sdgs, Tahapan};
use crate::identity::Email;

/// Length of the innovation's name, in characters.
pub const NAME_MIN: usize = 3;
pub const NAME_MAX: usize = 200;
/// Longest narrative text (problem, design, goals, benefits, results).
pub const TEXT_MAX: usize = 10_000;
/// Longest urusan code. The list of urusan lives in the database; only the
/// shape of a code is a domain rule.
pub const URUSAN_MAX: usize = 40;
pub const CONTACT_NAME_MAX: usize = 200;
/// Length of a phone number as typed, and its least number of digits.
pub const PHONE_MIN: usize = 6;
pub const PHONE_MAX: usize = 20;
pub const VIDEO_URL_MAX: usize = 500;
/// Stage dates before this year are typing mistakes (`0202` for `2022`),
/// not innovations.
pub const EARLIEST_YEAR: i32 = 1900;

/// The fields of the profile form, in form order. Errors, the version diff
/// and the form itself use these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Name,
    Bentuk,
    Jenis,
    Inisiator,
    Urusan,
    Tahapan,
    DateInisiatif,
    DateUjiCoba,
    DatePenerapan,
    Problem,
    /// Rancang bangun.
    Design,
    /// Tujuan.
    Goals,
    /// Manfaat.
    Benefits,
    /// Hasil.
    Results,
    Beneficiaries,
    Sdgs,
    ContactName,
    ContactEmail,
    ContactPhone,
    VideoUrl,
}

impl Field {
    /// Every field, in form order.
    pub const ALL: [Field; 20] = [
        Self::Name,
        Self::Bentuk,
        Self::Jenis,
        Self::Inisiator,
        Self::Urusan,
        Self::Tahapan,
        Self::DateInisiatif,
        Self::DateUjiCoba,
        Self::DatePenerapan,
        Self::Problem,
        Self::Design,
        Self::Goals,
        Self::Benefits,
        Self::Results,
        Self::Beneficiaries,
        Self::Sdgs,
        Self::ContactName,
        Self::ContactEmail,
        Self::ContactPhone,
        Self::VideoUrl,
    ];

    /// The form field's name (also the key in [`ProfileForm`]).
    pub fn name(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Bentuk => "bentuk",
            Self::Jenis => "jenis",
            Self::Inisiator => "inisiator",
            Self::Urusan => "urusan",
            Self::Tahapan => "tahapan",
            Self::DateInisiatif => "date_inisiatif",
            Self::DateUjiCoba => "date_uji_coba",
            Self::DatePenerapan => "date_penerapan",
            Self::Problem => "problem",
            Self::Design => "design",
            Self::Goals => "goals",
            Self::Benefits => "benefits",
            Self::Results => "results",
            Self::Beneficiaries => "beneficiaries",
            Self::Sdgs => "sdgs",
            Self::ContactName => "contact_name",
            Self::ContactEmail => "contact_email",
            Self::ContactPhone => "contact_phone",
            Self::VideoUrl => "video_url",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The field's label, for forms and the version history.
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Name => "innovation.field.name",
            Self::Bentuk => "innovation.field.bentuk",
            Self::Jenis => "innovation.field.jenis",
            Self::Inisiator => "innovation.field.inisiator",
            Self::Urusan => "innovation.field.urusan",
            Self::Tahapan => "innovation.field.tahapan",
            Self::DateInisiatif => "innovation.field.date_inisiatif",
            Self::DateUjiCoba => "innovation.field.date_uji_coba",
            Self::DatePenerapan => "innovation.field.date_penerapan",
            Self::Problem => "innovation.field.problem",
            Self::Design => "innovation.field.design",
            Self::Goals => "innovation.field.goals",
            Self::Benefits => "innovation.field.benefits",
            Self::Results => "innovation.field.results",
            Self::Beneficiaries => "innovation.field.beneficiaries",
            Self::Sdgs => "innovation.field.sdgs",
            Self::ContactName => "innovation.field.contact_name",
            Self::ContactEmail => "innovation.field.contact_email",
            Self::ContactPhone => "innovation.field.contact_phone",
            Self::VideoUrl => "innovation.field.video_url",
        }
    }

    /// The field holding the start date of `stage`.
    pub fn date_of(stage: Tahapan) -> Self {
        match stage {
            Tahapan::Inisiatif => Self::DateInisiatif,
            Tahapan::UjiCoba => Self::DateUjiCoba,
            Tahapan::Penerapan => Self::DatePenerapan,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a profile (or one of its fields) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("the name has 3 to 200 characters")]
    NameLength,
    #[error("{0} is required")]
    Required(Field),
    #[error("{0} is not one of the choices")]
    NotAChoice(Field),
    #[error("an urusan code has up to 40 lowercase letters, digits and underscores")]
    UrusanInvalid,
    #[error("{field} has more than {max} characters")]
    TooLong { field: Field, max: usize },
    #[error("the start of the {0} stage is not a date (YYYY-MM-DD)")]
    DateInvalid(Tahapan),
    #[error("the {0} stage has been reached but has no start date")]
    StageDateMissing(Tahapan),
    #[error("the {0} stage has not been reached yet but has a start date")]
    StageDateBeyondStage(Tahapan),
    #[error("the {0} stage starts before the stage before it")]
    StageDatesOutOfOrder(Tahapan),
    #[error("the {0} stage starts in the future")]
    DateInFuture(Tahapan),
    #[error("the number of beneficiaries is a whole number (thousands may be separated by '.')")]
    BeneficiariesInvalid,
    #[error("an SDG is one of the goals 1 to 17")]
    SdgInvalid,
    #[error("not a valid e-mail address")]
    EmailInvalid,
    #[error("a phone number has 6 to 20 characters: digits, spaces, '+' and '-'")]
    PhoneInvalid,
    #[error("the video address is an http(s) URL of at most 500 characters")]
    VideoUrlInvalid,
}

impl ProfileError {
    /// Stable code, used as the translation key suffix and in API errors.
    /// [`field`](Self::field) says where; the code says what.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NameLength => "name_length",
            Self::Required(_) => "required",
            Self::NotAChoice(_) => "not_a_choice",
            Self::UrusanInvalid => "urusan_invalid",
            Self::TooLong { .. } => "too_long",
            Self::DateInvalid(_) => "date_invalid",
            Self::StageDateMissing(_) => "stage_date_missing",
            Self::StageDateBeyondStage(_) => "stage_date_beyond_stage",
            Self::StageDatesOutOfOrder(_) => "stage_dates_out_of_order",
            Self::DateInFuture(_) => "date_in_future",
            Self::BeneficiariesInvalid => "beneficiaries_invalid",
            Self::SdgInvalid => "sdg_invalid",
            // The same code as `identity::EmailError`: one message.
            Self::EmailInvalid => "email_invalid",
            Self::PhoneInvalid => "phone_invalid",
            Self::VideoUrlInvalid => "video_url_invalid",
        }
    }

    /// The form field the error is about: `name`, `tahapan`,
    /// `date_uji_coba`, `video_url`…
    pub fn field(&self) -> &'static str {
        self.form_field().name()
    }

    /// The field the error is about, as a [`Field`].
    pub fn form_field(&self) -> Field {
        match self {
            Self::NameLength => Field::Name,
            Self::Required(field) | Self::NotAChoice(field) | Self::TooLong { field, .. } => *field,
            Self::UrusanInvalid => Field::Urusan,
            Self::DateInvalid(stage)
            | Self::StageDateMissing(stage)
            | Self::StageDateBeyondStage(stage)
            | Self::StageDatesOutOfOrder(stage)
            | Self::DateInFuture(stage) => Field::date_of(*stage),
            Self::BeneficiariesInvalid => Field::Beneficiaries,
            Self::SdgInvalid => Field::Sdgs,
            Self::EmailInvalid => Field::ContactEmail,
            Self::PhoneInvalid => Field::ContactPhone,
            Self::VideoUrlInvalid => Field::VideoUrl,
        }
    }
}

/// An innovation's profile: one version of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InnovationDraft {
    pub name: String,
    pub bentuk: Bentuk,
    pub jenis: Jenis,
    pub inisiator: Inisiator,
    /// Code of the urusan pemerintahan (government affair) the innovation
    /// belongs to, from the reference list in the database.
    pub urusan: String,
    /// The stage reached.
    pub tahapan: Tahapan,
    /// Start date of each stage; see [`InnovationDraft::check`] for how
    /// they must agree with `tahapan`.
    #[serde(default, with = "iso_date")]
    pub date_inisiatif: Option<Date>,
    #[serde(default, with = "iso_date")]
    pub date_uji_coba: Option<Date>,
    #[serde(default, with = "iso_date")]
    pub date_penerapan: Option<Date>,
    /// The problem the innovation addresses. Required for submission.
    pub problem: Option<String>,
    /// Rancang bangun: how the innovation works. Required for submission.
    pub design: Option<String>,
    /// Tujuan.
    pub goals: Option<String>,
    /// Manfaat.
    pub benefits: Option<String>,
    /// Hasil.
    pub results: Option<String>,
    /// Number of people served or reached.
    pub beneficiaries: Option<u64>,
    #[serde(default)]
    pub sdgs: Sdgs,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// A video presenting the innovation (usually YouTube), linked, never
    /// uploaded.
    pub video_url: Option<String>,
}

impl InnovationDraft {
    /// The start date of `stage`.
    pub fn stage_date(&self, stage: Tahapan) -> Option<Date> {
        match stage {
            Tahapan::Inisiatif => self.date_inisiatif,
            Tahapan::UjiCoba => self.date_uji_coba,
            Tahapan::Penerapan => self.date_penerapan,
        }
    }

    /// The rules every save must pass, whatever the status. Every broken
    /// rule is reported, in form order, at most one per field.
    ///
    /// Stage dates: the current stage and every earlier one have a start
    /// date, no later stage has one (an innovation in uji coba cannot have
    /// started penerapan), the dates do not decrease from one stage to the
    /// next, and none is after `today`. `today` is a parameter so the rule
    /// does not depend on the clock of whoever runs it.
    pub fn check(&self, today: Date) -> Result<(), Vec<ProfileError>> {
        let mut errors = Vec::new();
        let name_len = self.name.trim().chars().count();
        if !(NAME_MIN..=NAME_MAX).contains(&name_len) {
            errors.push(ProfileError::NameLength);
        }
        if self.urusan.is_empty() {
            errors.push(ProfileError::Required(Field::Urusan));
        } else if !is_urusan_code(&self.urusan) {
            errors.push(ProfileError::UrusanInvalid);
        }
        errors.extend(stage_date_errors(
            self.tahapan,
            |s| self.stage_date(s),
            today,
        ));
        for (field, text) in [
            (Field::Problem, &self.problem),
            (Field::Design, &self.design),
            (Field::Goals, &self.goals),
            (Field::Benefits, &self.benefits),
            (Field::Results, &self.results),
        ] {
            if text.as_ref().is_some_and(|t| t.chars().count() > TEXT_MAX) {
                errors.push(ProfileError::TooLong {
                    field,
                    max: TEXT_MAX,
                });
            }
        }
        if self
            .contact_name
            .as_ref()
            .is_some_and(|n| n.chars().count() > CONTACT_NAME_MAX)
        {
            errors.push(ProfileError::TooLong {
                field: Field::ContactName,
                max: CONTACT_NAME_MAX,
            });
        }
        if self
            .contact_email
            .as_ref()
            .is_some_and(|e| Email::parse(e).is_err())
        {
            errors.push(ProfileError::EmailInvalid);
        }
        if self.contact_phone.as_ref().is_some_and(|p| !is_phone(p)) {
            errors.push(ProfileError::PhoneInvalid);
        }
        if self.video_url.as_ref().is_some_and(|u| !is_video_url(u)) {
            errors.push(ProfileError::VideoUrlInvalid);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// What a submission (and a save while published) needs on top of
    /// [`check`](Self::check): a curator cannot judge an innovation without
    /// the problem it solves and how it works. A draft may lack them while
    /// it is being written.
    pub fn check_for_submission(&self) -> Result<(), Vec<ProfileError>> {
        let errors: Vec<ProfileError> = [
            (Field::Problem, &self.problem),
            (Field::Design, &self.design),
        ]
        .into_iter()
        .filter(|(_, text)| text.as_ref().is_none_or(|t| t.trim().is_empty()))
        .map(|(field, _)| ProfileError::Required(field))
        .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Parses the submitted form and runs [`check`](Self::check).
    ///
    /// Normalisation: surrounding whitespace is trimmed everywhere; names
    /// are one line with single spaces; texts keep their lines with `\n`
    /// endings; empty optional fields are `None`; the e-mail domain is
    /// lowercased; SDGs are sorted and deduplicated. Dates are
    /// `YYYY-MM-DD`; the number of beneficiaries may use `.` as thousands
    /// separator (`1.200`), as Indonesians write it.
    ///
    /// A field that does not parse is reported once, and the rules that
    /// would need its value are not run on a stand-in: a date that is not a
    /// date is not also "missing", and without a valid tahapan no date is
    /// called missing.
    pub fn from_form(form: &ProfileForm, today: Date) -> Result<Self, Vec<ProfileError>> {
        let mut errors = Vec::new();
        let bentuk = choice(&form.bentuk, Field::Bentuk, Bentuk::from_code, &mut errors);
        let jenis = choice(&form.jenis, Field::Jenis, Jenis::from_code, &mut errors);
        let inisiator = choice(
            &form.inisiator,
            Field::Inisiator,
            Inisiator::from_code,
            &mut errors,
        );
        let tahapan = choice(
            &form.tahapan,
            Field::Tahapan,
            Tahapan::from_code,
            &mut errors,
        );
        let date_inisiatif = form_date(&form.date_inisiatif, Tahapan::Inisiatif, &mut errors);
        let date_uji_coba = form_date(&form.date_uji_coba, Tahapan::UjiCoba, &mut errors);
        let date_penerapan = form_date(&form.date_penerapan, Tahapan::Penerapan, &mut errors);
        let beneficiaries = parse_count(&form.beneficiaries).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let sdgs = form
            .sdgs
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(Sdg::parse)
            .collect::<Result<Sdgs, _>>()
            .unwrap_or_else(|_| {
                errors.push(ProfileError::SdgInvalid);
                Sdgs::default()
            });
        let contact_email = non_empty(form.contact_email.trim()).map(|e| match Email::parse(&e) {
            Ok(email) => email.as_str().to_owned(),
            Err(_) => e,
        });

        let draft = Self {
            name: one_line(&form.name),
            bentuk: bentuk.unwrap_or(Bentuk::ALL[0]),
            jenis: jenis.unwrap_or(Jenis::ALL[0]),
            inisiator: inisiator.unwrap_or(Inisiator::ALL[0]),
            urusan: form.urusan.trim().to_owned(),
            // The last stage as stand-in: no date is then "beyond" it, so
            // the order and future rules still run on every date given.
            tahapan: tahapan.unwrap_or(Tahapan::Penerapan),
            date_inisiatif,
            date_uji_coba,
            date_penerapan,
            problem: text(&form.problem),
            design: text(&form.design),
            goals: text(&form.goals),
            benefits: text(&form.benefits),
            results: text(&form.results),
            beneficiaries,
            sdgs,
            contact_name: non_empty(&one_line(&form.contact_name)),
            contact_email,
            contact_phone: non_empty(form.contact_phone.trim()),
            video_url: non_empty(form.video_url.trim()),
        };

        if let Err(found) = draft.check(today) {
            for error in found {
                let field_taken = errors.iter().any(|e| e.form_field() == error.form_field());
                let judged_on_stand_in =
                    tahapan.is_none() && matches!(error, ProfileError::StageDateMissing(_));
                if !field_taken && !judged_on_stand_in {
                    errors.push(error);
                }
            }
        }
        if errors.is_empty() {
            Ok(draft)
        } else {
            errors.sort_by_key(ProfileError::form_field);
            Err(errors)
        }
    }

    /// The value of `field` as the version history shows it: enum codes,
    /// ISO dates, SDGs as `1, 3, 17`, the empty string for nothing.
    pub fn value(&self, field: Field) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let date = |d: Option<Date>| d.map(format_iso_date).unwrap_or_default();
        match field {
            Field::Name => self.name.clone(),
            Field::Bentuk => self.bentuk.code().to_owned(),
            Field::Jenis => self.jenis.code().to_owned(),
            Field::Inisiator => self.inisiator.code().to_owned(),
            Field::Urusan => self.urusan.clone(),
            Field::Tahapan => self.tahapan.code().to_owned(),
            Field::DateInisiatif => date(self.date_inisiatif),
            Field::DateUjiCoba => date(self.date_uji_coba),
            Field::DatePenerapan => date(self.date_penerapan),
            Field::Problem => opt(&self.problem),
            Field::Design => opt(&self.design),
            Field::Goals => opt(&self.goals),
            Field::Benefits => opt(&self.benefits),
            Field::Results => opt(&self.results),
            Field::Beneficiaries => self
                .beneficiaries
                .map(|n| n.to_string())
                .unwrap_or_default(),
            Field::Sdgs => self.sdgs.to_string(),
            Field::ContactName => opt(&self.contact_name),
            Field::ContactEmail => opt(&self.contact_email),
            Field::ContactPhone => opt(&self.contact_phone),
            Field::VideoUrl => opt(&self.video_url),
        }
    }
}

/// The profile form as submitted: every field a string, as the browser
/// sends it; SDGs are the checked boxes. Missing fields are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub name: String,
    pub bentuk: String,
    pub jenis: String,
    pub inisiator: String,
    pub urusan: String,
    pub tahapan: String,
    pub date_inisiatif: String,
    pub date_uji_coba: String,
    pub date_penerapan: String,
    pub problem: String,
    pub design: String,
    pub goals: String,
    pub benefits: String,
    pub results: String,
    pub beneficiaries: String,
    pub sdgs: Vec<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub video_url: String,
}

impl ProfileForm {
    /// The form filled in with a stored profile, for editing. Parsing it
    /// back gives the same profile.
    pub fn from_draft(draft: &InnovationDraft) -> Self {
        let v = |field| draft.value(field);
        Self {
            name: v(Field::Name),
            bentuk: v(Field::Bentuk),
            jenis: v(Field::Jenis),
            inisiator: v(Field::Inisiator),
            urusan: v(Field::Urusan),
            tahapan: v(Field::Tahapan),
            date_inisiatif: v(Field::DateInisiatif),
            date_uji_coba: v(Field::DateUjiCoba),
            date_penerapan: v(Field::DatePenerapan),
            problem: v(Field::Problem),
            design: v(Field::Design),
            goals: v(Field::Goals),
            benefits: v(Field::Benefits),
            results: v(Field::Results),
            beneficiaries: v(Field::Beneficiaries),
            sdgs: draft.sdgs.iter().map(|g| g.to_string()).collect(),
            contact_name: v(Field::ContactName),
            contact_email: v(Field::ContactEmail),
            contact_phone: v(Field::ContactPhone),
            video_url: v(Field::VideoUrl),
        }
    }
}

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

/// One field that differs between two versions, with both values as
/// [`InnovationDraft::value`] shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

/// The fields that differ between two versions, in form order.
///
/// Values are compared as shown, so a change that cannot be seen (SDGs
/// given in another order, which [`Sdgs`] normalises anyway) is no change.
pub fn diff(old: &InnovationDraft, new: &InnovationDraft) -> Vec<FieldChange> {
    Field::ALL
        .into_iter()
        .filter_map(|field| {
            let (before, after) = (old.value(field), new.value(field));
            (before != after).then_some(FieldChange {
                field: field.name(),
                before,
                after,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Rules and parsers for single fields
// ---------------------------------------------------------------------------

/// Stage-date errors, earliest stage first, at most one per stage.
///
/// Order is checked between consecutive dates that are present (a gap does
/// not hide it), so a single wrong date yields a single error, on the later
/// date of the pair.
fn stage_date_errors(
    current: Tahapan,
    date_of: impl Fn(Tahapan) -> Option<Date>,
    today: Date,
) -> Vec<ProfileError> {
    let mut errors = Vec::new();
    let mut previous: Option<Date> = None;
    for stage in Tahapan::ALL {
        match date_of(stage) {
            None if stage <= current => errors.push(ProfileError::StageDateMissing(stage)),
            None => {}
            Some(_) if stage > current => {
                errors.push(ProfileError::StageDateBeyondStage(stage));
            }
            // A date in the future is wrong in itself; it is not used to
            // judge the order of the next one.
            Some(date) if date > today => errors.push(ProfileError::DateInFuture(stage)),
            Some(date) => {
                if previous.is_some_and(|p| date < p) {
                    errors.push(ProfileError::StageDatesOutOfOrder(stage));
                }
                previous = Some(date);
            }
        }
    }
    errors
}

/// Lowercase ASCII letters, digits and `_`, 1 to [`URUSAN_MAX`] long.
fn is_urusan_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= URUSAN_MAX
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Digits, spaces, `+` and `-`, [`PHONE_MIN`] to [`PHONE_MAX`] characters,
/// of which at least [`PHONE_MIN`] are digits (so `+ - -` is not a number).
fn is_phone(phone: &str) -> bool {
    (PHONE_MIN..=PHONE_MAX).contains(&phone.chars().count())
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-'))
        && phone.bytes().filter(u8::is_ascii_digit).count() >= PHONE_MIN
}

/// A small, deliberate subset of URLs: `http://` or `https://` (any case),
/// a host name with at least one dot and an optional port, no user info
/// (`https://youtube.com@evil.example` is refused), no whitespace or
/// control characters, at most [`VIDEO_URL_MAX`] characters. Enough to
/// make the link clickable and honest; whether the video exists is not a
/// domain question.
fn is_video_url(url: &str) -> bool {
    if url.chars().count() > VIDEO_URL_MAX
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let strip = |prefix: &str| {
        url.get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(prefix))
            .map(|_| &url[prefix.len()..])
    };
    let Some(rest) = strip("https://").or_else(|| strip("http://")) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) => {
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            host
        }
        None => authority,
    };
    host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// Parses a whole number written plainly (`1200`) or with `.` between
/// groups of three digits (`1.200`, `12.345.678`). Empty is `None`.
fn parse_count(raw: &str) -> Result<Option<u64>, ProfileError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let mut groups = raw.split('.');
    let first = groups.next().unwrap_or_default();
    let rest: Vec<&str> = groups.collect();
    let well_formed = digits(first)
        && (rest.is_empty()
            || (first.len() <= 3
                && !first.starts_with('0')
                && rest.iter().all(|g| g.len() == 3 && digits(g))));
    if !well_formed {
        return Err(ProfileError::BeneficiariesInvalid);
    }
    let joined: String = std::iter::once(first).chain(rest).collect();
    // Digits only, so the parse fails only when the number overflows.
    joined
        .parse()
        .map(Some)
        .map_err(|_| ProfileError::BeneficiariesInvalid)
}

/// A choice from a select list: required, and one of the codes.
fn choice<T>(
    raw: &str,
    field: Field,
    from_code: fn(&str) -> Option<T>,
    errors: &mut Vec<ProfileError>,
) -> Option<T> {
    let raw = raw.trim();
    if raw.is_empty() {
        errors.push(ProfileError::Required(field));
        return None;
    }
    let found = from_code(raw);
    if found.is_none() {
        errors.push(ProfileError::NotAChoice(field));
    }
    found
}

/// An optional stage date from the form.
fn form_date(raw: &str, stage: Tahapan, errors: &mut Vec<ProfileError>) -> Option<Date> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let date = parse_iso_date(raw).filter(|d| d.year() >= EARLIEST_YEAR);
    if date.is_none() {
        errors.push(ProfileError::DateInvalid(stage));
    }
    date
}

/// Exactly `YYYY-MM-DD` with ASCII digits, and a real calendar day.
fn parse_iso_date(input: &str) -> Option<Date> {
    let b = input.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u16> {
        b[range].iter().try_fold(0u16, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
        })
    };
    let year = i32::from(number(0..4)?);
    let month = time::Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let day = u8::try_from(number(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

fn format_iso_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// One line, single spaces, trimmed: for names.
fn one_line(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A narrative text: trimmed, `\n` line endings, `None` when empty.
fn text(raw: &str) -> Option<String> {
    non_empty(raw.trim()).map(|t| t.replace("\r\n", "\n").replace('\r', "\n"))
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// Dates in snapshots are `"YYYY-MM-DD"` strings: readable in the
/// database, and independent of the `time` crate's serde format.
mod iso_date {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => s.serialize_some(&super::format_iso_date(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|raw| {
                super::parse_iso_date(&raw)
                    .ok_or_else(|| D::Error::custom(format!("not a YYYY-MM-DD date: {raw:?}")))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2025 - 06 - 30);

    fn good_form() -> ProfileForm {
        ProfileForm {
            name: "  SIPANDU   Jatim\n(Sistem Pelayanan Terpadu) ".into(),
            bentuk: "pelayanan_publik".into(),
            jenis: "digital".into(),
            inisiator: "perangkat_daerah".into(),
            urusan: " kesehatan ".into(),
            tahapan: "penerapan".into(),
            date_inisiatif: "2023-01-10".into(),
            date_uji_coba: "2023-07-01".into(),
            date_penerapan: " 2024-02-01 ".into(),
            problem: "  Antrean panjang di puskesmas.\r\nPasien menunggu berjam-jam. ".into(),
            design: "Pendaftaran daring dan nomor antrean lewat WhatsApp.".into(),
            goals: "Memangkas waktu tunggu.".into(),
            benefits: String::new(),
            results: "   ".into(),
            beneficiaries: "12.500".into(),
            sdgs: vec!["3".into(), " 10 ".into(), "3".into(), "".into()],
            contact_name: " Siti  Aminah ".into(),
            contact_email: "Siti.Aminah@DINKES.jatimprov.go.id".into(),
            contact_phone: "+62 31-8290 1234".into(),
            video_url: "https://www.youtube.com/watch?v=abc123".into(),
        }
    }

    fn good_draft() -> InnovationDraft {
        InnovationDraft::from_form(&good_form(), TODAY).unwrap()
    }

    /// (field, code) pairs, the way a form shows errors.
    fn named(errors: &[ProfileError]) -> Vec<(&'static str, &'static str)> {
        errors.iter().map(|e| (e.field(), e.code())).collect()
    }

    fn form_errors(form: &ProfileForm) -> Vec<(&'static str, &'static str)> {
        named(&InnovationDraft::from_form(form, TODAY).unwrap_err())
    }

    #[test]
    fn a_complete_form_parses_into_a_normalised_draft() {
        let d = good_draft();
        assert_eq!(d.name, "SIPANDU Jatim (Sistem Pelayanan Terpadu)");
        assert_eq!(d.bentuk, Bentuk::PelayananPublik);
        assert_eq!(d.jenis, Jenis::Digital);
        assert_eq!(d.inisiator, Inisiator::PerangkatDaerah);
        assert_eq!(d.urusan, "kesehatan");
        assert_eq!(d.tahapan, Tahapan::Penerapan);
        assert_eq!(d.date_inisiatif, Some(date!(2023 - 01 - 10)));
        assert_eq!(d.date_uji_coba, Some(date!(2023 - 07 - 01)));
        assert_eq!(d.date_penerapan, Some(date!(2024 - 02 - 01)));
        assert_eq!(d.stage_date(Tahapan::UjiCoba), d.date_uji_coba);
        assert_eq!(
            d.problem.as_deref(),
            Some("Antrean panjang di puskesmas.\nPasien menunggu berjam-jam.")
        );
        assert_eq!(d.benefits, None);
        assert_eq!(d.results, None, "blank text is no text");
        assert_eq!(d.beneficiaries, Some(12_500));
        assert_eq!(d.sdgs.to_string(), "3, 10");
        assert_eq!(d.contact_name.as_deref(), Some("Siti Aminah"));
        assert_eq!(
            d.contact_email.as_deref(),
            Some("Siti.Aminah@dinkes.jatimprov.go.id")
        );
        assert_eq!(d.contact_phone.as_deref(), Some("+62 31-8290 1234"));
        assert_eq!(d.check(TODAY), Ok(()));
        assert_eq!(d.check_for_submission(), Ok(()));
    }

    #[test]
    fn a_minimal_draft_needs_only_the_choices_a_name_an_urusan_and_a_start() {
        let form = ProfileForm {
            name: "Ide".into(),
            bentuk: "lainnya".into(),
            jenis: "non_digital".into(),
            inisiator: "masyarakat".into(),
            urusan: "urusan_2".into(),
            tahapan: "inisiatif".into(),
            date_inisiatif: "2025-06-30".into(),
            ..ProfileForm::default()
        };
        let d = InnovationDraft::from_form(&form, TODAY).unwrap();
        assert_eq!(d.date_inisiatif, Some(TODAY), "today is not the future");
        assert_eq!(
            (d.problem, d.beneficiaries, d.sdgs.is_empty(), d.video_url),
            (None, None, true, None)
        );
    }

    #[test]
    fn bad_forms_name_the_field_and_the_problem() {
        type Case = (
            fn(&mut ProfileForm),
            &'static [(&'static str, &'static str)],
        );
        let cases: &[Case] = &[
            (|f| f.name = "ab".into(), &[("name", "name_length")]),
            (|f| f.name = " ab \n ".into(), &[("name", "name_length")]),
            (|f| f.name = "x".repeat(201), &[("name", "name_length")]),
            (|f| f.bentuk = String::new(), &[("bentuk", "required")]),
            (
                |f| f.bentuk = "tata kelola".into(),
                &[("bentuk", "not_a_choice")],
            ),
            (|f| f.jenis = "analog".into(), &[("jenis", "not_a_choice")]),
            (|f| f.inisiator = " ".into(), &[("inisiator", "required")]),
            (|f| f.urusan = String::new(), &[("urusan", "required")]),
            (
                |f| f.urusan = "Kesehatan".into(),
                &[("urusan", "urusan_invalid")],
            ),
            (
                |f| f.urusan = "pekerjaan-umum".into(),
                &[("urusan", "urusan_invalid")],
            ),
            (
                |f| f.urusan = "a".repeat(41),
                &[("urusan", "urusan_invalid")],
            ),
            (
                |f| f.tahapan = "selesai".into(),
                &[("tahapan", "not_a_choice")],
            ),
            (
                |f| f.date_uji_coba = "2023-02-30".into(),
                &[("date_uji_coba", "date_invalid")],
            ),
            (
                |f| f.date_uji_coba = "01-07-2023".into(),
                &[("date_uji_coba", "date_invalid")],
            ),
            (
                |f| f.date_uji_coba = "2023/07/01".into(),
                &[("date_uji_coba", "date_invalid")],
            ),
            (
                |f| f.date_uji_coba = "2023-7-1".into(),
                &[("date_uji_coba", "date_invalid")],
            ),
            (
                |f| f.date_inisiatif = "0203-01-10".into(),
                &[("date_inisiatif", "date_invalid")],
            ),
            (
                |f| f.date_penerapan = "2026-01-01".into(),
                &[("date_penerapan", "date_in_future")],
            ),
            (
                |f| f.problem = "x".repeat(TEXT_MAX + 1),
                &[("problem", "too_long")],
            ),
            (
                |f| f.results = "é".repeat(TEXT_MAX + 1),
                &[("results", "too_long")],
            ),
            (
                |f| f.beneficiaries = "1,200".into(),
                &[("beneficiaries", "beneficiaries_invalid")],
            ),
            (
                |f| f.beneficiaries = "banyak".into(),
                &[("beneficiaries", "beneficiaries_invalid")],
            ),
            (
                |f| f.sdgs = vec!["3".into(), "18".into()],
                &[("sdgs", "sdg_invalid")],
            ),
            (
                |f| f.contact_name = "x".repeat(201),
                &[("contact_name", "too_long")],
            ),
            (
                |f| f.contact_email = "siti@".into(),
                &[("contact_email", "email_invalid")],
            ),
            (
                |f| f.contact_phone = "0812 ABC".into(),
                &[("contact_phone", "phone_invalid")],
            ),
            (
                |f| f.video_url = "youtube.com/watch".into(),
                &[("video_url", "video_url_invalid")],
            ),
        ];
        for (mutate, expected) in cases {
            let mut form = good_form();
            mutate(&mut form);
            assert_eq!(form_errors(&form), *expected, "{form:?}");
        }
        // Limits are inclusive.
        let mut form = good_form();
        form.name = "x".repeat(NAME_MAX);
        form.problem = "x".repeat(TEXT_MAX);
        form.urusan = "a".repeat(URUSAN_MAX);
        form.contact_name = "x".repeat(CONTACT_NAME_MAX);
        assert!(InnovationDraft::from_form(&form, TODAY).is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once_in_form_order() {
        let form = ProfileForm {
            video_url: "ftp://example.com/x".into(),
            contact_phone: "12".into(),
            beneficiaries: "1.2".into(),
            tahapan: "uji_coba".into(),
            date_penerapan: "2024-01-01".into(),
            date_inisiatif: "kemarin".into(),
            name: "A".into(),
            ..ProfileForm::default()
        };
        assert_eq!(
            form_errors(&form),
            vec![
                ("name", "name_length"),
                ("bentuk", "required"),
                ("jenis", "required"),
                ("inisiator", "required"),
                ("urusan", "required"),
                ("date_inisiatif", "date_invalid"),
                ("date_uji_coba", "stage_date_missing"),
                ("date_penerapan", "stage_date_beyond_stage"),
                ("beneficiaries", "beneficiaries_invalid"),
                ("contact_phone", "phone_invalid"),
                ("video_url", "video_url_invalid"),
            ]
        );
    }

    #[test]
    fn stage_dates_must_agree_with_the_stage() {
        use Tahapan::*;
        let (a, b, c) = (
            Some(date!(2023 - 01 - 10)),
            Some(date!(2023 - 07 - 01)),
            Some(date!(2024 - 02 - 01)),
        );
        let future = Some(date!(2025 - 07 - 01));
        type Case = (
            Tahapan,
            [Option<Date>; 3],
            &'static [(&'static str, &'static str)],
        );
        let cases: &[Case] = &[
            // Consistent.
            (Inisiatif, [a, None, None], &[]),
            (UjiCoba, [a, b, None], &[]),
            (Penerapan, [a, b, c], &[]),
            (Penerapan, [a, a, a], &[]), // same day is not out of order
            (Penerapan, [a, b, Some(TODAY)], &[]),
            // The current stage, or an earlier one, lacks a date.
            (
                Inisiatif,
                [None, None, None],
                &[("date_inisiatif", "stage_date_missing")],
            ),
            (
                UjiCoba,
                [a, None, None],
                &[("date_uji_coba", "stage_date_missing")],
            ),
            (
                Penerapan,
                [a, b, None],
                &[("date_penerapan", "stage_date_missing")],
            ),
            (
                Penerapan,
                [None, b, c],
                &[("date_inisiatif", "stage_date_missing")],
            ),
            (
                Penerapan,
                [None, None, None],
                &[
                    ("date_inisiatif", "stage_date_missing"),
                    ("date_uji_coba", "stage_date_missing"),
                    ("date_penerapan", "stage_date_missing"),
                ],
            ),
            // A stage not reached yet has a date.
            (
                Inisiatif,
                [a, b, None],
                &[("date_uji_coba", "stage_date_beyond_stage")],
            ),
            (
                UjiCoba,
                [a, b, c],
                &[("date_penerapan", "stage_date_beyond_stage")],
            ),
            (
                Inisiatif,
                [a, b, c],
                &[
                    ("date_uji_coba", "stage_date_beyond_stage"),
                    ("date_penerapan", "stage_date_beyond_stage"),
                ],
            ),
            // Out of order: the later of the pair is named, once.
            (
                UjiCoba,
                [b, a, None],
                &[("date_uji_coba", "stage_dates_out_of_order")],
            ),
            (
                Penerapan,
                [a, c, b],
                &[("date_penerapan", "stage_dates_out_of_order")],
            ),
            (
                Penerapan,
                [c, a, b],
                &[("date_uji_coba", "stage_dates_out_of_order")],
            ),
            // A gap does not hide the order of the dates around it.
            (
                Penerapan,
                [b, None, a],
                &[
                    ("date_uji_coba", "stage_date_missing"),
                    ("date_penerapan", "stage_dates_out_of_order"),
                ],
            ),
            // In the future.
            (
                Inisiatif,
                [future, None, None],
                &[("date_inisiatif", "date_in_future")],
            ),
            (
                Penerapan,
                [a, b, future],
                &[("date_penerapan", "date_in_future")],
            ),
            (
                Penerapan,
                [a, future, c],
                &[("date_uji_coba", "date_in_future")],
            ),
            (
                Penerapan,
                [c, future, b],
                &[
                    ("date_uji_coba", "date_in_future"),
                    ("date_penerapan", "stage_dates_out_of_order"),
                ],
            ),
        ];
        for (tahapan, [di, du, dp], expected) in cases {
            let draft = InnovationDraft {
                tahapan: *tahapan,
                date_inisiatif: *di,
                date_uji_coba: *du,
                date_penerapan: *dp,
                ..good_draft()
            };
            let got = draft.check(TODAY).err().unwrap_or_default();
            assert_eq!(named(&got), *expected, "{tahapan} {di:?} {du:?} {dp:?}");
        }
    }

    #[test]
    fn without_a_valid_stage_only_the_order_and_future_rules_run() {
        let mut form = good_form();
        form.tahapan = "lanjut".into();
        form.date_inisiatif = String::new();
        form.date_uji_coba = "2024-03-01".into();
        form.date_penerapan = "2024-01-01".into();
        assert_eq!(
            form_errors(&form),
            vec![
                ("tahapan", "not_a_choice"),
                ("date_penerapan", "stage_dates_out_of_order"),
            ],
            "no date is called missing for an unknown stage"
        );
    }

    #[test]
    fn beneficiaries_may_use_dots_between_thousands() {
        let good: &[(&str, Option<u64>)] = &[
            ("", None),
            ("  ", None),
            ("0", Some(0)),
            ("1200", Some(1200)),
            ("1.200", Some(1200)),
            (" 12.345.678 ", Some(12_345_678)),
            ("999.999", Some(999_999)),
            ("18446744073709551615", Some(u64::MAX)),
        ];
        for (raw, expected) in good {
            assert_eq!(parse_count(raw), Ok(*expected), "{raw:?}");
        }
        for bad in [
            "1.2",
            "1.2000",
            "1200.000.0",
            "1234.567",
            "0.500",
            ".200",
            "1.",
            "1..200",
            "1,200",
            "1 200",
            "-5",
            "+5",
            "1e3",
            "18446744073709551616",
            "seribu",
        ] {
            assert_eq!(
                parse_count(bad),
                Err(ProfileError::BeneficiariesInvalid),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn contact_shapes_are_checked() {
        for email in ["siti@jatimprov.go.id", "a.b+c@d.co"] {
            assert!(Email::parse(email).is_ok(), "{email}");
        }
        let check_email = |email: &str| {
            InnovationDraft {
                contact_email: Some(email.into()),
                ..good_draft()
            }
            .check(TODAY)
        };
        let too_long = format!("{}@jatimprov.go.id", "a".repeat(240));
        for bad in [
            "siti",
            "siti@jatimprov",
            "siti@@jatimprov.go.id",
            "si@ti@jatimprov.go.id",
            "@jatimprov.go.id",
            "siti aminah@jatimprov.go.id",
            too_long.as_str(),
        ] {
            assert_eq!(
                check_email(bad),
                Err(vec![ProfileError::EmailInvalid]),
                "{bad:?}"
            );
        }

        for good in ["031 829 0123", "+6281234567890", "0812-3456-7890", "123456"] {
            assert!(is_phone(good), "{good:?}");
        }
        for bad in [
            "12345",
            "+62 (31) 8290",
            "0812.3456.789",
            "081234567890123456789",
            "+ - - - +",
            "12 - 34",
        ] {
            assert!(!is_phone(bad), "{bad:?}");
        }
    }

    #[test]
    fn video_urls_are_plain_http_links() {
        for good in [
            "https://www.youtube.com/watch?v=abc123",
            "http://youtu.be/abc123",
            "HTTPS://Vimeo.com/123",
            "https://video.jatimprov.go.id:8443/inovasi/1#menit-2",
            "https://drive.google.com?id=1",
        ] {
            assert!(is_video_url(good), "{good:?}");
        }
        let long = format!("https://youtube.com/{}", "a".repeat(VIDEO_URL_MAX));
        for bad in [
            "",
            "youtube.com/watch?v=abc",
            "ftp://youtube.com/x",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://localhost/video",
            "https://youtube.com@evil.example/x",
            "https://you tube.com/x",
            "https://youtube.com/watch?v=a b",
            "https://youtube.com:/x",
            "https://youtube.com:80a/x",
            "https://-youtube.com/x",
            "https://youtube..com/x",
            "https://youtube.com/\u{7}",
            long.as_str(),
        ] {
            assert!(!is_video_url(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_submission_needs_the_problem_and_the_design() {
        let draft = good_draft();
        assert_eq!(draft.check_for_submission(), Ok(()));
        let bare = InnovationDraft {
            problem: None,
            design: Some("  \n ".into()),
            ..draft.clone()
        };
        assert_eq!(bare.check(TODAY), Ok(()), "a draft may lack them");
        let errors = bare.check_for_submission().unwrap_err();
        assert_eq!(
            named(&errors),
            vec![("problem", "required"), ("design", "required")]
        );
        let no_design = InnovationDraft {
            design: None,
            ..draft
        };
        assert_eq!(
            no_design.check_for_submission(),
            Err(vec![ProfileError::Required(Field::Design)])
        );
    }

    #[test]
    fn diff_lists_exactly_the_changed_fields_in_form_order() {
        let old = good_draft();
        let mut new = old.clone();
        new.video_url = None;
        new.sdgs = [1, 3, 17]
            .map(|g| Sdg::new(g).unwrap())
            .into_iter()
            .collect();
        new.date_penerapan = Some(date!(2024 - 03 - 15));
        new.name = "SIPANDU Jatim".into();
        new.jenis = Jenis::NonDigital;
        new.beneficiaries = Some(13_000);
        new.benefits = Some("Hemat waktu.".into());
        let change = |field, before: &str, after: &str| FieldChange {
            field,
            before: before.into(),
            after: after.into(),
        };
        assert_eq!(
            diff(&old, &new),
            vec![
                change(
                    "name",
                    "SIPANDU Jatim (Sistem Pelayanan Terpadu)",
                    "SIPANDU Jatim"
                ),
                change("jenis", "digital", "non_digital"),
                change("date_penerapan", "2024-02-01", "2024-03-15"),
                change("benefits", "", "Hemat waktu."),
                change("beneficiaries", "12500", "13000"),
                change("sdgs", "3, 10", "1, 3, 17"),
                change("video_url", "https://www.youtube.com/watch?v=abc123", ""),
            ]
        );
        assert_eq!(diff(&new, &new), vec![]);
        assert_eq!(diff(&old, &old.clone()), vec![]);
    }

    #[test]
    fn every_field_shows_up_in_a_diff_when_it_changes() {
        let old = good_draft();
        let new = InnovationDraft {
            name: "Lain".into(),
            bentuk: Bentuk::TataKelola,
            jenis: Jenis::NonDigital,
            inisiator: Inisiator::Asn,
            urusan: "pendidikan".into(),
            tahapan: Tahapan::UjiCoba,
            date_inisiatif: None,
            date_uji_coba: None,
            date_penerapan: None,
            problem: None,
            design: None,
            goals: None,
            benefits: Some("x".into()),
            results: Some("y".into()),
            beneficiaries: None,
            sdgs: Sdgs::default(),
            contact_name: None,
            contact_email: None,
            contact_phone: None,
            video_url: None,
        };
        let fields: Vec<&str> = diff(&old, &new).into_iter().map(|c| c.field).collect();
        let all: Vec<&str> = Field::ALL.into_iter().map(Field::name).collect();
        assert_eq!(fields, all);
    }

    #[test]
    fn a_draft_survives_a_json_round_trip() {
        let draft = good_draft();
        let json = serde_json::to_value(&draft).unwrap();
        assert_eq!(json["date_uji_coba"], "2023-07-01");
        assert_eq!(json["bentuk"], "pelayanan_publik");
        assert_eq!(json["sdgs"], serde_json::json!([3, 10]));
        assert_eq!(json["benefits"], serde_json::Value::Null);
        let back: InnovationDraft = serde_json::from_value(json).unwrap();
        assert_eq!(back, draft);

        // An inisiatif-stage draft with nothing optional, too.
        let bare = InnovationDraft {
            tahapan: Tahapan::Inisiatif,
            date_uji_coba: None,
            date_penerapan: None,
            problem: None,
            design: None,
            goals: None,
            beneficiaries: None,
            sdgs: Sdgs::default(),
            contact_name: None,
            contact_email: None,
            contact_phone: None,
            video_url: None,
            ..draft
        };
        let text = serde_json::to_string(&bare).unwrap();
        assert_eq!(
            serde_json::from_str::<InnovationDraft>(&text).unwrap(),
            bare
        );
    }

    #[test]
    fn old_snapshots_without_optional_fields_still_load() {
        let old = r#"{
            "name": "Lapor Cepat", "bentuk": "tata_kelola", "jenis": "digital",
            "inisiator": "asn", "urusan": "kominfo", "tahapan": "inisiatif",
            "date_inisiatif": "2021-05-04", "sdgs": [16, 9]
        }"#;
        let draft: InnovationDraft = serde_json::from_str(old).unwrap();
        assert_eq!(draft.date_inisiatif, Some(date!(2021 - 05 - 04)));
        assert_eq!(draft.date_uji_coba, None);
        assert_eq!(draft.problem, None);
        assert_eq!(draft.sdgs.to_string(), "9, 16");

        let bad_date = old.replace("2021-05-04", "04/05/2021");
        let err = serde_json::from_str::<InnovationDraft>(&bad_date).unwrap_err();
        assert!(err.to_string().contains("YYYY-MM-DD"), "{err}");
    }

    #[test]
    fn the_edit_form_parses_back_to_the_same_draft() {
        let draft = good_draft();
        let form = ProfileForm::from_draft(&draft);
        assert_eq!(form.beneficiaries, "12500");
        assert_eq!(form.sdgs, vec!["3", "10"]);
        assert_eq!(InnovationDraft::from_form(&form, TODAY), Ok(draft));
    }

    #[test]
    fn form_keys_are_the_field_names_in_form_order() {
        let json = serde_json::to_string(&ProfileForm::default()).unwrap();
        let mut last = 0;
        for field in Field::ALL {
            let key = format!("\"{}\":", field.name());
            let at = json.find(&key).unwrap_or_else(|| panic!("{key} missing"));
            assert!(at >= last, "{key} out of order");
            last = at;
            assert_eq!(Field::from_name(field.name()), Some(field));
            assert!(field.label_key().ends_with(field.name()));
        }
        assert_eq!(Field::from_name("nama"), None);
        let value = serde_json::to_value(ProfileForm::default()).unwrap();
        assert_eq!(value.as_object().unwrap().len(), Field::ALL.len());

        // A form body with missing fields deserialises to empty ones.
        let form: ProfileForm = serde_json::from_str(r#"{"name": "X", "sdgs": ["1"]}"#).unwrap();
        assert_eq!(form.name, "X");
        assert_eq!(form.tahapan, "");
    }

    #[test]
    fn every_error_names_its_field_and_has_a_code() {
        let samples = [
            ProfileError::NameLength,
            ProfileError::Required(Field::Problem),
            ProfileError::NotAChoice(Field::Jenis),
            ProfileError::UrusanInvalid,
            ProfileError::TooLong {
                field: Field::Goals,
                max: TEXT_MAX,
            },
            ProfileError::DateInvalid(Tahapan::Inisiatif),
            ProfileError::StageDateMissing(Tahapan::UjiCoba),
            ProfileError::StageDateBeyondStage(Tahapan::Penerapan),
            ProfileError::StageDatesOutOfOrder(Tahapan::UjiCoba),
            ProfileError::DateInFuture(Tahapan::Penerapan),
            ProfileError::BeneficiariesInvalid,
            ProfileError::SdgInvalid,
            ProfileError::EmailInvalid,
            ProfileError::PhoneInvalid,
            ProfileError::VideoUrlInvalid,
        ];
        let fields: Vec<&str> = samples.iter().map(ProfileError::field).collect();
        assert_eq!(
            fields,
            vec![
                "name",
                "problem",
                "jenis",
                "urusan",
                "goals",
                "date_inisiatif",
                "date_uji_coba",
                "date_penerapan",
                "date_uji_coba",
                "date_penerapan",
                "beneficiaries",
                "sdgs",
                "contact_email",
                "contact_phone",
                "video_url",
            ]
        );
        let codes: std::collections::HashSet<&str> =
            samples.iter().map(ProfileError::code).collect();
        assert_eq!(codes.len(), samples.len(), "codes are distinct");
        assert_eq!(
            ProfileError::StageDateMissing(Tahapan::UjiCoba).to_string(),
            "the uji_coba stage has been reached but has no start date"
        );
        assert_eq!(
            ProfileError::TooLong {
                field: Field::Goals,
                max: TEXT_MAX
            }
            .to_string(),
            "goals has more than 10000 characters"
        );
    }
}
