//! The public catalogue `GET /katalog`: published innovations, filtered by
//! facets whose counts follow the other filters, sorted and paged. Every
//! filter is a query parameter, so a result page is a link to share.
//!
//! Words (`q`) are answered by this node's search index (`rumah-search`:
//! Indonesian stemming, typo tolerance, snippets), whose hits are loaded
//! again from the database, published only; without words the catalogue
//! is plain SQL.

use axum::extract::State;
use axum::response::Response;
use rumah_store::innovations::catalogue::{Card, Facets, Filter, Sort};
use rumah_store::innovations::search_feed;
use serde::Deserialize;

use crate::error::{AppError, AppResult, Msg};
use crate::extract::{Ctx, QueryParams};
use crate::middleware::RequestCtx;
use crate::pages::render;
use crate::state::AppState;

/// Cards per page.
pub const PAGE_SIZE: i64 = 20;

#[derive(Deserialize, Default, Debug, Clone)]
pub struct CatalogueQuery {
    pub q: Option<String>,
    pub wilayah: Option<String>,
    pub bentuk: Option<String>,
    pub jenis: Option<String>,
    pub tahapan: Option<String>,
    pub urusan: Option<String>,
    pub sdg: Option<String>,
    pub tahun: Option<String>,
    pub urut: Option<String>,
    pub hal: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl CatalogueQuery {
    /// The filter, sort and page this query asks for; a malformed number is
    /// a 400 naming the parameter.
    pub fn parse(&self) -> AppResult<(Filter, Sort, i64)> {
        let number = |v: &Option<String>, name: &'static str| -> AppResult<Option<i64>> {
            match nonempty(v) {
                None => Ok(None),
                Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
                    AppError::bad_request(
                        "invalid_query",
                        Msg::new("innovation.query_invalid").arg("name", name),
                    )
                    .with_field(name)
                }),
            }
        };
        let words = nonempty(&self.q)
            .map(|q| q.split_whitespace().take(8).map(str::to_owned).collect())
            .unwrap_or_default();
        let filter = Filter {
            region: nonempty(&self.wilayah),
            bentuk: nonempty(&self.bentuk),
            jenis: nonempty(&self.jenis),
            tahapan: nonempty(&self.tahapan),
            urusan: nonempty(&self.urusan),
            sdg: number(&self.sdg, "sdg")?,
            year: number(&self.tahun, "tahun")?,
            words,
        };
        let sort = match nonempty(&self.urut) {
            None => Sort::default(),
            Some(s) => Sort::from_code(&s).ok_or_else(|| {
                AppError::bad_request(
                    "invalid_query",
                    Msg::new("innovation.query_invalid").arg("name", "urut"),
                )
                .with_field("urut")
            })?,
        };
        let page = number(&self.hal, "hal")?.unwrap_or(1).clamp(1, 10_000);
        Ok((filter, sort, page))
    }

    /// This query as a URL with one parameter changed (`None` removes it)
    /// and the page reset.
    pub fn with(&self, name: &str, value: Option<&str>) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("q", &self.q),
            ("wilayah", &self.wilayah),
            ("bentuk", &self.bentuk),
            ("jenis", &self.jenis),
            ("tahapan", &self.tahapan),
            ("urusan", &self.urusan),
            ("sdg", &self.sdg),
            ("tahun", &self.tahun),
            ("urut", &self.urut),
        ]
        .into_iter()
        .filter(|(k, _)| *k != name)
        .filter_map(|(k, v)| nonempty(v).map(|v| (k, v)))
        .collect();
        if let Some(v) = value {
            pairs.push((name, v.to_owned()));
        }
        let qs: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        if qs.is_empty() {
            "/katalog".to_owned()
        } else {
            format!("/katalog?{qs}")
        }
    }
}

/// One facet value as a link: label, count, URL, selected.
pub struct FacetLink {
    pub label: String,
    pub count: i64,
    pub href: String,
    pub selected: bool,
}

/// A card with the search snippet (HTML, escaped, matches in `<mark>`),
/// empty when the page was not a search.
#[derive(Clone)]
pub struct ShownCard {
    pub card: Card,
    pub snippet: String,
}

impl std::ops::Deref for ShownCard {
    type Target = Card;

    fn deref(&self) -> &Card {
        &self.card
    }
}

/// The page of cards, the total and the facets for `filter`, from the
/// search index (relevance first when there are words, unless `explicit`
/// asks for a sort); facets are counted in one pass over the index's fast
/// fields, which SQL GROUP BYs over a hundred thousand rows cannot match.
/// The cards themselves come from the database, published ones only.
pub async fn find(
    state: &AppState,
    filter: &Filter,
    sort: Sort,
    explicit: bool,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<ShownCard>, i64, Facets)> {
    let mut db = state.db();
    let index = state.search();
    if index.curation_generation().is_none() {
        index.ensure_fresh(&db).await.map_err(AppError::internal)?;
    }
    // A publication or a withdrawal (on any node) must show in the very
    // next search. A page kept for this generation of the index is
    // answered once the trail is checked (a sync, if it moved, moves the
    // generation).
    let key = format!("{filter:?}|{sort:?}|{explicit}|{offset}|{limit}");
    let generation = index.generation();
    let kept = state.page_cache().get(generation, &key);
    if let Some(page) = kept {
        index.ensure_fresh(&db).await.map_err(AppError::internal)?;
        if index.generation() == generation {
            return Ok(page);
        }
    }
    let query = rumah_search::Query {
        filter: filter.clone(),
        sort: match (explicit, sort) {
            (false, _) => rumah_search::Sort::Relevance,
            (true, Sort::Newest) => rumah_search::Sort::Newest,
            (true, Sort::Name) => rumah_search::Sort::Name,
            (true, Sort::Beneficiaries) => rumah_search::Sort::Beneficiaries,
        },
        offset: usize::try_from(offset).unwrap_or(0),
        limit: usize::try_from(limit).unwrap_or(20),
    };
    // Otherwise the search runs first: the statement that loads its cards
    // also reads the trail, and when the trail has moved since the index
    // last synced, the index syncs and the search runs once more.
    let known = index.curation_generation();
    let (page, trail) = search_page(index, &mut db, &query).await?;
    if Some(trail) == known {
        let mut cache = state.page_cache();
        if cache.keeps() {
            cache.put(generation, key, page.clone());
        }
        return Ok(page);
    }
    index.ensure_fresh(&db).await.map_err(AppError::internal)?;
    Ok(search_page(index, &mut db, &query).await?.0)
}

/// One search on the index, its cards from the database (published ones
/// only, so a lagging index shows nothing more), and the curation trail's
/// position read with them.
async fn search_page(
    index: &rumah_search::SearchIndex,
    db: &mut rumah_store::Db,
    query: &rumah_search::Query,
) -> AppResult<(crate::state::CataloguePage, i64)> {
    let (searcher, query) = (index.clone(), query.clone());
    let hits = tokio::task::spawn_blocking(move || searcher.search(&query))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let mut snippets = std::collections::HashMap::with_capacity(hits.hits.len());
    let indexed = hits
        .hits
        .into_iter()
        .map(|h| {
            snippets.insert(h.id(), h.snippet);
            h.card
        })
        .collect();
    let (cards, trail) = search_feed::cards_for_hits(db, indexed).await?;
    let cards = cards
        .into_iter()
        .map(|card| ShownCard {
            snippet: snippets.remove(&card.id).unwrap_or_default(),
            card,
        })
        .collect();
    Ok(((cards, hits.total, hits.facets), trail))
}

pub struct FacetGroup {
    pub name: &'static str,
    pub title: String,
    pub links: Vec<FacetLink>,
}

fn group(
    ctx: &RequestCtx,
    q: &CatalogueQuery,
    name: &'static str,
    title_key: &str,
    values: &[(String, i64)],
    current: &Option<String>,
    label: &dyn Fn(&str) -> String,
) -> FacetGroup {
    let current = nonempty(current);
    FacetGroup {
        name,
        title: ctx.t(title_key).into_owned(),
        links: values
            .iter()
            .map(|(code, n)| {
                let selected = current.as_deref() == Some(code.as_str());
                FacetLink {
                    label: label(code),
                    count: *n,
                    href: q.with(name, (!selected).then_some(code.as_str())),
                    selected,
                }
            })
            .collect(),
    }
}

#[derive(askama::Template)]
#[template(path = "innovations/catalogue.html")]
struct CataloguePage<'a> {
    ctx: &'a RequestCtx,
    q: String,
    /// The other filters, kept when a new search is typed.
    hidden: Vec<(&'static str, String)>,
    cards: Vec<ShownCard>,
    total: i64,
    groups: Vec<FacetGroup>,
    sorts: Vec<(String, String, bool)>,
    prev: Option<String>,
    next: Option<String>,
    page: i64,
    pages: i64,
}

pub fn code_label(ctx: &RequestCtx, dim: &str, code: &str) -> String {
    let key = format!("innovation.{dim}.{code}");
    let s = ctx.t(&key);
    if s.starts_with('[') {
        code.to_owned()
    } else {
        s.into_owned()
    }
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryParams(query): QueryParams<CatalogueQuery>,
) -> AppResult<Response> {
    let (filter, sort, page) = query.parse()?;
    let explicit = nonempty(&query.urut).is_some();
    let (cards, total, facets) = find(
        &state,
        &filter,
        sort,
        explicit,
        (page - 1) * PAGE_SIZE,
        PAGE_SIZE,
    )
    .await?;
    let regions = state.region_names();
    let urusan = state.urusan_names();
    let sdg_label = |c: &str| format!("SDG {c}");
    let groups = vec![
        group(
            &ctx,
            &query,
            "wilayah",
            "innovation.region",
            &facets.region,
            &query.wilayah,
            &|c| regions.get(c).cloned().unwrap_or_else(|| c.to_owned()),
        ),
        group(
            &ctx,
            &query,
            "bentuk",
            "innovation.bentuk",
            &facets.bentuk,
            &query.bentuk,
            &|c| code_label(&ctx, "bentuk", c),
        ),
        group(
            &ctx,
            &query,
            "jenis",
            "innovation.jenis",
            &facets.jenis,
            &query.jenis,
            &|c| code_label(&ctx, "jenis", c),
        ),
        group(
            &ctx,
            &query,
            "tahapan",
            "innovation.tahapan",
            &facets.tahapan,
            &query.tahapan,
            &|c| code_label(&ctx, "tahapan", c),
        ),
        group(
            &ctx,
            &query,
            "urusan",
            "innovation.urusan",
            &facets.urusan,
            &query.urusan,
            &|c| urusan.get(c).cloned().unwrap_or_else(|| c.to_owned()),
        ),
        group(
            &ctx,
            &query,
            "sdg",
            "innovation.sdg",
            &facets.sdg,
            &query.sdg,
            &sdg_label,
        ),
        group(
            &ctx,
            &query,
            "tahun",
            "innovation.year",
            &facets.year,
            &query.tahun,
            &|c| c.to_owned(),
        ),
    ];
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let sorts = [Sort::Newest, Sort::Name, Sort::Beneficiaries]
        .into_iter()
        .map(|s| {
            (
                query.with("urut", Some(s.code())),
                ctx.t(&format!("innovation.sort_{}", s.code())).into_owned(),
                s == sort && (explicit || filter.words.is_empty()),
            )
        })
        .collect();
    let prev = (page > 1).then(|| query.with("hal", Some(&(page - 1).to_string())));
    let next = (page < pages).then(|| query.with("hal", Some(&(page + 1).to_string())));
    let hidden = [
        ("wilayah", &query.wilayah),
        ("bentuk", &query.bentuk),
        ("jenis", &query.jenis),
        ("tahapan", &query.tahapan),
        ("urusan", &query.urusan),
        ("sdg", &query.sdg),
        ("tahun", &query.tahun),
        ("urut", &query.urut),
    ]
    .into_iter()
    .filter_map(|(k, v)| nonempty(v).map(|v| (k, v)))
    .collect();
    render(&CataloguePage {
        hidden,
        q: nonempty(&query.q).unwrap_or_default(),
        ctx: &ctx,
        cards,
        total,
        groups,
        sorts,
        prev,
        next,
        page,
        pages,
    })
}
