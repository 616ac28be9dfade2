//! The public overview `GET /skm?wilayah=&periode=`: the IKM of the
//! province, a region or an OPD, with the groups below it and every unit,
//! comparable side by side. Roll-ups pool the tallies of their units, which
//! weights each unit by its respondents.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use rumah_domain::orgs::{OrgCode, PROVINCE_CODE};
use rumah_domain::surveys::period::Period;
use rumah_domain::surveys::skm::{Rounding, Tally};
use rumah_store::orgs;
use rumah_store::surveys::tallies::{self, UnitTally};
use serde::Deserialize;

use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, QueryParams};
use crate::i18n::Lang;
use crate::middleware::RequestCtx;
use crate::pages::render;
use crate::state::AppState;

use super::results::period_choices;
use super::view::{self, Score, period_label};

#[derive(Deserialize)]
pub struct OverviewQuery {
    wilayah: Option<String>,
    periode: Option<String>,
}

pub struct GroupRow {
    pub code: String,
    pub name: String,
    pub units: usize,
    pub score: Score,
}

pub struct UnitRow {
    pub slug: String,
    pub name: String,
    pub org_name: String,
    pub score: Score,
}

#[derive(askama::Template)]
#[template(path = "surveys/overview.html")]
struct OverviewPage<'a> {
    ctx: &'a RequestCtx,
    root_code: String,
    root_name: String,
    parent: Option<String>,
    period: Period,
    period_label: String,
    periods: Vec<(String, String, bool)>,
    score: Score,
    units_total: usize,
    groups: Vec<GroupRow>,
    units: Vec<UnitRow>,
}

/// The node one level below `root` that `org_code` lies in, e.g. the region
/// `35.15` for the province, or the OPD `35.15.DINKES` for a region.
fn child_of(root: &OrgCode, org_code: &str) -> Option<String> {
    let depth = root.depth();
    let parts: Vec<&str> = org_code.split('.').collect();
    (parts.len() > depth).then(|| parts[..=depth].join("."))
}

fn group(
    units: &[UnitTally],
    root: &OrgCode,
    names: &BTreeMap<String, String>,
    rounding: &Rounding,
    lang: Lang,
) -> Vec<GroupRow> {
    let mut groups: BTreeMap<String, (usize, Tally)> = BTreeMap::new();
    for u in units {
        if let Some(code) = child_of(root, &u.org_code) {
            let entry = groups.entry(code).or_default();
            entry.0 += 1;
            entry.1.merge(&u.tally);
        }
    }
    groups
        .into_iter()
        .map(|(code, (n, tally))| GroupRow {
            name: names.get(&code).cloned().unwrap_or_else(|| code.clone()),
            code,
            units: n,
            score: Score::of(&tally, rounding, lang),
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryParams(q): QueryParams<OverviewQuery>,
) -> AppResult<Response> {
    let period = view::period_param(q.periode.as_deref())?;
    let root = match q
        .wilayah
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => OrgCode::parse(PROVINCE_CODE).map_err(AppError::internal)?,
        Some(raw) => OrgCode::parse(raw).map_err(|_| {
            AppError::bad_request("invalid_query", Msg::new("skm.region_invalid"))
                .with_field("wilayah")
        })?,
    };
    let rounding = state.config().skm.rounding;
    let mut db = state.db();
    let node = orgs::by_code(&mut db, &root)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (from, to) = period.month_range();
    let units = tallies::units_in_subtree(&mut db, &root, i64::from(from), i64::from(to)).await?;
    // Names of the groups: regions for the province, OPDs and units below.
    let names: BTreeMap<String, String> = if root.depth() == 1 {
        orgs::regions(&mut db)
            .await?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect()
    } else {
        orgs::children(&mut db, node.id)
            .await?
            .into_iter()
            .map(|n| (n.code.as_str().to_owned(), n.name))
            .collect()
    };
    let groups = group(&units, &root, &names, &rounding, ctx.lang);
    let total = rumah_domain::surveys::skm::roll_up(units.iter().map(|u| u.tally));
    let mut unit_rows: Vec<UnitRow> = units
        .iter()
        .map(|u| UnitRow {
            slug: u.slug.clone(),
            name: u.name.clone(),
            org_name: names
                .get(&child_of(&root, &u.org_code).unwrap_or_default())
                .cloned()
                .unwrap_or_else(|| u.org_code.clone()),
            score: Score::of(&u.tally, &rounding, ctx.lang),
        })
        .collect();
    // Best first; units without responses last.
    unit_rows.sort_by(|a, b| b.score.ikm_value.total_cmp(&a.score.ikm_value));
    let parent = (root.depth() > 1).then(|| {
        let s = root.as_str();
        s.rsplit_once('.')
            .map_or(PROVINCE_CODE.to_owned(), |(p, _)| p.to_owned())
    });
    render(&OverviewPage {
        period_label: period_label(&period, ctx.lang),
        periods: period_choices(&period, ctx.lang),
        score: Score::of(&total, &rounding, ctx.lang),
        units_total: units.len(),
        root_code: root.as_str().to_owned(),
        root_name: node.name,
        ctx: &ctx,
        parent,
        period,
        groups,
        units: unit_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_grouped_one_level_below_the_root() {
        let province = OrgCode::parse("35").unwrap();
        assert_eq!(
            child_of(&province, "35.15.DINKES.PKM").as_deref(),
            Some("35.15")
        );
        assert_eq!(child_of(&province, "35").as_deref(), None);
        let region = OrgCode::parse("35.15").unwrap();
        assert_eq!(
            child_of(&region, "35.15.DINKES.PKM").as_deref(),
            Some("35.15.DINKES")
        );
        assert_eq!(child_of(&region, "35.15").as_deref(), None);
    }
}
