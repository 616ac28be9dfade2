//! The public questionnaire of a unit: `GET /skm/{slug}` renders it, `POST`
//! stores it. No login, no script needed, one small page.
//!
//! Protection without hurting real respondents:
//! - each render carries a random submission key, so a double tap or a
//!   retry over a flaky connection is stored once (and answered "thank you"
//!   again);
//! - a honeypot field that people never see or hear (hidden from screen
//!   readers too) and bots fill in;
//! - limits per client address and per device cookie and hour, counted in
//!   the database by keyed hashes (see `rumah_store::surveys::ingest`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use rumah_domain::surveys::period::month_key;
use rumah_domain::surveys::skm::{AgeBand, ELEMENT_COUNT, Education, Gender, Occupation, Score};
use rumah_domain::time::Timestamp;
use rumah_store::secret::random_bytes;
use rumah_store::surveys::ingest::{NewFeedback, Outcome, RateKey, Submission};
use rumah_store::surveys::units::{self, Element, Service, Unit};
use serde::Deserialize;
use sha2::Sha256;

use crate::auth::session::set_cookie;
use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, FormData};
use crate::middleware::RequestCtx;
use crate::pages::{FieldErrors, render_with};
use crate::state::AppState;

use super::view::{now_wib, today_wib};

/// The cookie that tells one device from another for rate limits.
pub const DEVICE_COOKIE: &str = "skm_perangkat";
/// Longest suggestion or complaint, in characters.
const MAX_FEEDBACK_CHARS: usize = 2000;

#[derive(Deserialize, Default, Debug)]
pub struct SkmForm {
    #[serde(default)]
    kunci: String,
    #[serde(default)]
    layanan: String,
    #[serde(default)]
    tanggal: String,
    #[serde(default)]
    usia: String,
    #[serde(default)]
    jk: String,
    #[serde(default)]
    pendidikan: String,
    #[serde(default)]
    pekerjaan: String,
    #[serde(default)]
    u1: String,
    #[serde(default)]
    u2: String,
    #[serde(default)]
    u3: String,
    #[serde(default)]
    u4: String,
    #[serde(default)]
    u5: String,
    #[serde(default)]
    u6: String,
    #[serde(default)]
    u7: String,
    #[serde(default)]
    u8: String,
    #[serde(default)]
    u9: String,
    #[serde(default)]
    jenis_masukan: String,
    #[serde(default)]
    masukan: String,
    #[serde(default)]
    publikasi: String,
    /// The honeypot: hidden from people, filled by bots.
    #[serde(default)]
    situs: String,
}

impl SkmForm {
    fn answers(&self) -> [&str; ELEMENT_COUNT] {
        [
            &self.u1, &self.u2, &self.u3, &self.u4, &self.u5, &self.u6, &self.u7, &self.u8,
            &self.u9,
        ]
    }
}

const ANSWER_FIELDS: [&str; ELEMENT_COUNT] = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"];

/// One question as the template shows it.
pub struct Question {
    pub field: &'static str,
    pub code: String,
    pub name: String,
    pub text: String,
    /// (score, label, checked)
    pub options: Vec<(u8, String, bool)>,
}

/// A choice in a select list: (code, label, selected).
type Choice = (&'static str, String, bool);

#[derive(askama::Template)]
#[template(path = "surveys/form.html")]
struct FormPage<'a> {
    ctx: &'a RequestCtx,
    unit: Unit,
    services: Vec<Service>,
    questions: Vec<Question>,
    ages: Vec<Choice>,
    genders: Vec<Choice>,
    educations: Vec<Choice>,
    occupations: Vec<Choice>,
    form: SkmForm,
    errors: FieldErrors,
    today: String,
}

#[derive(askama::Template)]
#[template(path = "surveys/thanks.html")]
struct ThanksPage<'a> {
    ctx: &'a RequestCtx,
    unit: Unit,
}

fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    key: fn(T) -> &'static str,
    chosen: &str,
    ctx: &RequestCtx,
) -> Vec<Choice> {
    all.iter()
        .map(|&v| (code(v), ctx.t(key(v)).into_owned(), code(v) == chosen))
        .collect()
}

/// The unit and its active services (what a submission is checked against).
async fn load(state: &AppState, slug: &str) -> AppResult<(Unit, Vec<Service>)> {
    let mut db = state.db();
    let unit = units::by_slug(&mut db, slug)
        .await?
        .ok_or_else(AppError::not_found)?;
    let services = units::services(&mut db, unit.id)
        .await?
        .into_iter()
        .filter(|s| s.active)
        .collect();
    Ok((unit, services))
}

/// Adds the questionnaire's elements, for rendering the form.
async fn with_elements(
    state: &AppState,
    (unit, services): (Unit, Vec<Service>),
) -> AppResult<(Unit, Vec<Service>, Vec<Element>)> {
    let elements = units::elements(&mut state.db(), &unit.element_version).await?;
    Ok((unit, services, elements))
}

fn page(
    ctx: &RequestCtx,
    status: StatusCode,
    (unit, services, elements): (Unit, Vec<Service>, Vec<Element>),
    form: SkmForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let english = ctx.lang == crate::i18n::Lang::En;
    let answers = form.answers();
    let questions = elements
        .iter()
        .enumerate()
        .take(ELEMENT_COUNT)
        .map(|(i, e)| Question {
            field: ANSWER_FIELDS[i],
            code: format!("U{}", e.position),
            name: e.name(english).to_owned(),
            text: e.question(english).to_owned(),
            options: (1..=4u8)
                .map(|s| {
                    (
                        s,
                        e.label(s, english).to_owned(),
                        answers[i] == s.to_string(),
                    )
                })
                .collect(),
        })
        .collect();
    let p = FormPage {
        ctx,
        ages: choices(
            &AgeBand::ALL,
            AgeBand::code,
            AgeBand::label_key,
            &form.usia,
            ctx,
        ),
        genders: choices(&Gender::ALL, Gender::code, Gender::label_key, &form.jk, ctx),
        educations: choices(
            &Education::ALL,
            Education::code,
            Education::label_key,
            &form.pendidikan,
            ctx,
        ),
        occupations: choices(
            &Occupation::ALL,
            Occupation::code,
            Occupation::label_key,
            &form.pekerjaan,
            ctx,
        ),
        unit,
        services,
        questions,
        form,
        errors,
        today: today_wib().to_string(),
    };
    render_with(status, &p)
}

/// A fresh random submission key for one render of the form.
fn new_key() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

fn valid_key(key: &str) -> bool {
    (16..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    let loaded = with_elements(&state, load(&state, &slug).await?).await?;
    let form = SkmForm {
        kunci: new_key(),
        ..SkmForm::default()
    };
    let mut res = page(&ctx, StatusCode::OK, loaded, form, FieldErrors::default())?;
    if device_cookie(&headers).is_none() {
        let one_year = std::time::Duration::from_secs(365 * 24 * 3600);
        res.headers_mut().append(
            SET_COOKIE,
            set_cookie(
                DEVICE_COOKIE,
                &new_key(),
                state.config().secure_cookies,
                Some(one_year),
            ),
        );
    }
    // Every render has its own key; a cached copy would share it.
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

fn device_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == DEVICE_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| valid_key(v))
}

/// A keyed hash, so the rate table never holds an address or a cookie.
fn rate_hash(key: &[u8], kind: &str, value: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(kind.as_bytes());
    mac.update(b"\0");
    mac.update(value.as_bytes());
    format!("{kind}:{}", hex::encode(&mac.finalize().into_bytes()[..16]))
}

fn optional<T: Copy>(
    raw: &str,
    parse: fn(&str) -> Option<T>,
    field: &'static str,
    errors: &mut FieldErrors,
    ctx: &RequestCtx,
) -> Option<T> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let v = parse(raw);
    if v.is_none() {
        errors.add(field, ctx.t("skm.choice_invalid").into_owned());
    }
    v
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
    FormData(form): FormData<SkmForm>,
) -> AppResult<Response> {
    let loaded = load(&state, &slug).await?;
    let (unit, services) = &loaded;
    if !unit.open {
        return Err(AppError::conflict("survey_closed", Msg::new("skm.closed")));
    }
    if !form.situs.is_empty() {
        return Err(AppError::bad_request(
            "submission_rejected",
            Msg::new("skm.rejected"),
        ));
    }
    if !valid_key(&form.kunci) {
        return Err(AppError::bad_request(
            "submission_key_invalid",
            Msg::new("skm.key_invalid"),
        ));
    }

    let mut errors = FieldErrors::default();
    let service = form
        .layanan
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| services.iter().find(|s| s.id == id));
    if service.is_none() {
        errors.add("layanan", ctx.t("skm.service_required").into_owned());
    }
    let mut scores = [Score::MIN; ELEMENT_COUNT];
    for (i, raw) in form.answers().iter().enumerate() {
        match Score::parse(raw) {
            Ok(s) => scores[i] = s,
            Err(_) => errors.add(ANSWER_FIELDS[i], ctx.t("skm.answer_required").into_owned()),
        }
    }
    let service_date = match form.tanggal.trim() {
        "" => None,
        raw => match parse_date(raw) {
            Some(d) if d <= today_wib() && d > today_wib() - time::Duration::days(366) => {
                Some(d.to_string())
            }
            _ => {
                errors.add("tanggal", ctx.t("skm.date_invalid").into_owned());
                None
            }
        },
    };
    let age = optional(&form.usia, AgeBand::from_code, "usia", &mut errors, &ctx);
    let gender = optional(&form.jk, Gender::from_code, "jk", &mut errors, &ctx);
    let education = optional(
        &form.pendidikan,
        Education::from_code,
        "pendidikan",
        &mut errors,
        &ctx,
    );
    let occupation = optional(
        &form.pekerjaan,
        Occupation::from_code,
        "pekerjaan",
        &mut errors,
        &ctx,
    );
    let feedback_text = form.masukan.trim();
    if feedback_text.chars().count() > MAX_FEEDBACK_CHARS {
        errors.add(
            "masukan",
            ctx.tf(
                "skm.feedback_too_long",
                &[("max", &MAX_FEEDBACK_CHARS.to_string())],
            ),
        );
    }
    let feedback_kind = match form.jenis_masukan.as_str() {
        "" | "saran" => "saran",
        "pengaduan" => "pengaduan",
        _ => {
            errors.add("jenis_masukan", ctx.t("skm.choice_invalid").into_owned());
            "saran"
        }
    };
    let Some(service) = service.filter(|_| errors.is_empty()) else {
        let loaded = with_elements(&state, loaded).await?;
        return page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, loaded, form, errors);
    };

    let config = state.config().skm;
    let mut rate_keys = vec![RateKey {
        key: rate_hash(state.skm_rate_key(), "ip", &ctx.client_ip.to_string()),
        limit: config.per_address_per_hour,
    }];
    if let Some(device) = device_cookie(&headers) {
        rate_keys.push(RateKey {
            key: rate_hash(state.skm_rate_key(), "dev", &device),
            limit: config.per_device_per_hour,
        });
    }
    let (year, month) = now_wib();
    let submission = Submission {
        unit_id: unit.id,
        service_id: service.id,
        key: form.kunci.clone(),
        month: i64::from(month_key(year, month)),
        at: Timestamp::now(),
        service_date,
        age_band: age.map(AgeBand::code),
        gender: gender.map(Gender::code),
        education: education.map(Education::code),
        occupation: occupation.map(Occupation::code),
        scores,
        feedback: (!feedback_text.is_empty()).then(|| NewFeedback {
            kind: feedback_kind,
            body: feedback_text.to_owned(),
            publish_consent: form.publikasi == "ya",
        }),
        rate_keys,
    };
    match state.skm_ingest().submit(submission).await? {
        Outcome::Stored | Outcome::Duplicate => {
            let (unit, _) = loaded;
            crate::pages::render(&ThanksPage { ctx: &ctx, unit })
        }
        Outcome::RateLimited => Err(AppError::too_many_requests(3600)),
    }
}

fn parse_date(raw: &str) -> Option<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw, &fmt).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submission_keys_are_random_and_well_formed() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        assert!(valid_key(&a) && valid_key(&b));
        for bad in [
            "",
            "short",
            "has space in it....",
            "ünïcödé-ünïcödé-ünïcödé",
            &"x".repeat(65),
        ] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }

    #[test]
    fn rate_hashes_hide_the_address_and_differ_by_kind_and_key() {
        let h = rate_hash(b"k1", "ip", "10.1.2.3");
        assert!(h.starts_with("ip:") && !h.contains("10.1.2.3"));
        assert_ne!(h, rate_hash(b"k2", "ip", "10.1.2.3"));
        assert_ne!(rate_hash(b"k1", "dev", "10.1.2.3")[4..], h[3..]);
        assert_eq!(h, rate_hash(b"k1", "ip", "10.1.2.3"));
    }
}
