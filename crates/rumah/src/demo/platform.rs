//! Demo OPDs and units in a handful of regions, and one account per role.

use rumah_domain::authz::{Permission, Role, Scope};
use rumah_domain::identity::{AccountKind, Email, Nip, Username};
use rumah_domain::orgs::{OrgCode, OrgKind};
use rumah_store::identity::accounts;
use rumah_store::{Db, orgs};
use rumah_web::auth::password::PasswordHasher;

use super::DEMO_PASSWORD;
use crate::admin::{AccountSpec, provision};
use crate::config::Settings;

/// (parent, segment, kind, name)
const ORGS: &[(&str, &str, OrgKind, &str)] = &[
    (
        "35",
        "BIRO-ORG",
        OrgKind::Opd,
        "Biro Organisasi Sekretariat Daerah",
    ),
    (
        "35",
        "BRIDA",
        OrgKind::Opd,
        "Badan Riset dan Inovasi Daerah",
    ),
    ("35", "BKD", OrgKind::Opd, "Badan Kepegawaian Daerah"),
    (
        "35",
        "DISKOMINFO",
        OrgKind::Opd,
        "Dinas Komunikasi dan Informatika",
    ),
    (
        "35.BRIDA",
        "BAKORWIL-III",
        OrgKind::Unit,
        "Ruang Kerja Bersama Bakorwil III Malang",
    ),
    (
        "35.15",
        "BAPPEDA",
        OrgKind::Opd,
        "Badan Perencanaan Pembangunan Daerah Kabupaten Sidoarjo",
    ),
    (
        "35.15",
        "DINKES",
        OrgKind::Opd,
        "Dinas Kesehatan Kabupaten Sidoarjo",
    ),
    (
        "35.15",
        "DISPENDUKCAPIL",
        OrgKind::Opd,
        "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Sidoarjo",
    ),
    (
        "35.15.DINKES",
        "PKM-SUKODONO",
        OrgKind::Unit,
        "Puskesmas Sukodono",
    ),
    (
        "35.15.DINKES",
        "PKM-TAMAN",
        OrgKind::Unit,
        "Puskesmas Taman",
    ),
    (
        "35.78",
        "DINKES",
        OrgKind::Opd,
        "Dinas Kesehatan Kota Surabaya",
    ),
    (
        "35.78",
        "DISPENDUKCAPIL",
        OrgKind::Opd,
        "Dinas Kependudukan dan Pencatatan Sipil Kota Surabaya",
    ),
    (
        "35.78.DISPENDUKCAPIL",
        "UPT-KLAMPIS",
        OrgKind::Unit,
        "Sentra Pelayanan Kependudukan Klampis",
    ),
    (
        "35.10",
        "DINKES",
        OrgKind::Opd,
        "Dinas Kesehatan Kabupaten Banyuwangi",
    ),
    (
        "35.10",
        "DISKOMINFO",
        OrgKind::Opd,
        "Dinas Komunikasi, Informatika dan Persandian Kabupaten Banyuwangi",
    ),
    (
        "35.73",
        "DISKOMINFO",
        OrgKind::Opd,
        "Dinas Komunikasi dan Informatika Kota Malang",
    ),
    (
        "35.19",
        "DINKES",
        OrgKind::Opd,
        "Dinas Kesehatan Kabupaten Madiun",
    ),
    (
        "35.19.DINKES",
        "PKM-DAGANGAN",
        OrgKind::Unit,
        "Puskesmas Dagangan",
    ),
];

pub struct DemoAccount {
    pub username: &'static str,
    pub name: &'static str,
    pub kind: AccountKind,
    pub nip: Option<&'static str>,
    pub email: Option<&'static str>,
    pub unit: Option<&'static str>,
    pub position: &'static str,
    pub roles: &'static [(Role, &'static str)],
}

/// One account per role, plus a plain civil servant and a member of the public.
pub const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        username: "admin",
        name: "Dewi Kartikasari, S.Kom.",
        kind: AccountKind::Asn,
        nip: Some("198305172008012003"),
        email: Some("admin@demo.jatimprov.go.id"),
        unit: Some("35.BIRO-ORG"),
        position: "Pranata Komputer Ahli Muda",
        roles: &[(Role::Administrator, "35")],
    },
    DemoAccount {
        username: "admin.sidoarjo",
        name: "Agus Setiawan, S.T.",
        kind: AccountKind::Asn,
        nip: Some("198511032010011004"),
        email: None,
        unit: Some("35.15.BAPPEDA"),
        position: "Perencana Ahli Muda",
        roles: &[(Role::Administrator, "35.15")],
    },
    DemoAccount {
        username: "admin.surabaya",
        name: "Rina Wulandari, S.Sos.",
        kind: AccountKind::Asn,
        nip: Some("198702142011012006"),
        email: None,
        unit: Some("35.78.DISPENDUKCAPIL"),
        position: "Analis Kebijakan Ahli Muda",
        roles: &[(Role::Administrator, "35.78")],
    },
    DemoAccount {
        username: "inovasi.sidoarjo",
        name: "Siti Nurhaliza, S.AP.",
        kind: AccountKind::Asn,
        nip: Some("199004222015032002"),
        email: None,
        unit: Some("35.15.BAPPEDA"),
        position: "Analis Kebijakan Ahli Pertama",
        roles: &[(Role::InnovationAdmin, "35.15")],
    },
    DemoAccount {
        username: "kurator",
        name: "Dr. Bambang Prasetyo, M.Si.",
        kind: AccountKind::Asn,
        nip: Some("197608092002121001"),
        email: None,
        unit: Some("35.BRIDA"),
        position: "Peneliti Ahli Madya",
        roles: &[(Role::Curator, "35")],
    },
    DemoAccount {
        username: "juri",
        name: "Prof. Dr. Lestari Handayani",
        kind: AccountKind::Public,
        nip: None,
        email: Some("juri@demo.unair.ac.id"),
        unit: None,
        position: "Akademisi",
        roles: &[(Role::Juror, "35")],
    },
    DemoAccount {
        username: "skm.sukodono",
        name: "dr. Fajar Ramadhan",
        kind: AccountKind::Asn,
        nip: Some("198812012014021003"),
        email: None,
        unit: Some("35.15.DINKES.PKM-SUKODONO"),
        position: "Kepala Puskesmas",
        roles: &[(Role::SurveyAdmin, "35.15.DINKES.PKM-SUKODONO")],
    },
    DemoAccount {
        username: "belajar",
        name: "Yuni Astuti, S.Pd., M.M.",
        kind: AccountKind::Asn,
        nip: Some("198106152006042009"),
        email: None,
        unit: Some("35.BKD"),
        position: "Widyaiswara Ahli Madya",
        roles: &[(Role::LearningAdmin, "35")],
    },
    DemoAccount {
        username: "ruang",
        name: "Hendra Gunawan",
        kind: AccountKind::Asn,
        nip: Some("199203302019031005"),
        email: None,
        unit: Some("35.BRIDA.BAKORWIL-III"),
        position: "Pengelola Barang Milik Daerah",
        roles: &[(Role::SpaceAdmin, "35")],
    },
    DemoAccount {
        username: "asn",
        name: "Putri Maharani, A.Md.Kep.",
        kind: AccountKind::Asn,
        nip: Some("199507112020122014"),
        email: Some("putri.maharani@demo.sidoarjokab.go.id"),
        unit: Some("35.15.DINKES.PKM-SUKODONO"),
        position: "Perawat Terampil",
        roles: &[],
    },
    DemoAccount {
        username: "warga",
        name: "Ahmad Fauzi",
        kind: AccountKind::Public,
        nip: None,
        email: Some("ahmad.fauzi@demo.example.id"),
        unit: None,
        position: "",
        roles: &[],
    },
];

fn code(s: &str) -> anyhow::Result<OrgCode> {
    OrgCode::parse(s).map_err(|e| anyhow::anyhow!("demo org code {s}: {e}"))
}

/// Returns how many accounts it created (0 when everything existed).
pub async fn load(db: &Db, settings: &Settings) -> anyhow::Result<usize> {
    let mut conn = db.clone();
    let system = Scope::system(Permission::ManageOrgs);
    for (parent, segment, kind, name) in ORGS {
        let parent = code(parent)?;
        if orgs::by_code(
            &mut conn,
            &parent.child(segment).map_err(|e| anyhow::anyhow!("{e}"))?,
        )
        .await?
        .is_some()
        {
            continue;
        }
        orgs::create(
            &mut conn,
            &system,
            orgs::NewOrg {
                parent: &parent,
                segment,
                kind: *kind,
                name,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo org {parent}.{segment}: {e}"))?;
    }
    let hasher = PasswordHasher::new(settings.argon2())?;
    let mut created = 0;
    for a in ACCOUNTS {
        let username =
            Username::parse(a.username).map_err(|e| anyhow::anyhow!("demo username: {e}"))?;
        if accounts::by_username(&mut conn, &username).await?.is_some() {
            continue;
        }
        let spec = AccountSpec {
            kind: a.kind,
            username,
            display_name: a.name.to_owned(),
            email: a
                .email
                .map(Email::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("demo e-mail: {e}"))?,
            nip: a
                .nip
                .map(Nip::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("demo NIP of {}: {e}", a.username))?,
            unit: a.unit.map(code).transpose()?,
            position: (!a.position.is_empty()).then(|| a.position.to_owned()),
            password: Some(DEMO_PASSWORD.to_owned()),
            roles: a
                .roles
                .iter()
                .map(|(r, o)| Ok((*r, code(o)?)))
                .collect::<anyhow::Result<_>>()?,
        };
        provision(db, &hasher, &spec).await?;
        created += 1;
    }
    Ok(created)
}
