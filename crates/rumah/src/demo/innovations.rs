//! Demo innovations: published profiles across several regions, stages,
//! forms and affairs, plus one waiting for the curator and one draft, so the
//! catalogue, its facets and the curation queue have something to show.
//! Skipped when the demo innovations exist.

use rumah_domain::authz::{Permission, Scope};
use rumah_domain::innovations::LegalKind;
use rumah_domain::innovations::{
    Action, Bentuk, Inisiator, InnovationDraft, Jenis, Sdg, Sdgs, Status, Tahapan,
};
use rumah_domain::orgs::OrgCode;
use rumah_store::Db;
use rumah_store::blobs::BlobStore;
use rumah_store::innovations::files::{self, Kind, NewFile};
use rumah_store::innovations::lifecycle::{self, Indicator, Institution, NewReport};
use rumah_store::innovations::profiles::{self, Author};
use rumah_store::innovations::replication;

struct Demo {
    org: &'static str,
    name: &'static str,
    bentuk: Bentuk,
    jenis: Jenis,
    inisiator: Inisiator,
    urusan: &'static str,
    tahapan: Tahapan,
    /// Start dates of the stages reached, in order.
    dates: &'static [&'static str],
    problem: &'static str,
    design: &'static str,
    benefits: &'static str,
    beneficiaries: u64,
    sdgs: &'static [u8],
    status: Status,
}

const DEMOS: &[Demo] = &[
    Demo {
        org: "35.15.DINKES",
        name: "SI-ANTIK: Antrean Puskesmas dari Rumah",
        bentuk: Bentuk::PelayananPublik,
        jenis: Jenis::Digital,
        inisiator: Inisiator::PerangkatDaerah,
        urusan: "kesehatan",
        tahapan: Tahapan::Penerapan,
        dates: &["2022-03-01", "2022-09-01", "2023-02-01"],
        problem: "Pasien puskesmas datang sejak subuh untuk mengambil nomor antrean dan menunggu berjam-jam di ruang tunggu yang sesak, terutama lansia dan ibu hamil.",
        design: "Warga mengambil nomor antrean lewat WhatsApp atau situs web, lalu menerima pesan ketika gilirannya tinggal lima nomor. Loket pendaftaran tetap melayani warga yang datang langsung.",
        benefits: "Waktu tunggu rata-rata turun dari 95 menit menjadi 25 menit; ruang tunggu tidak lagi penuh.",
        beneficiaries: 48_000,
        sdgs: &[3, 10],
        status: Status::Terverifikasi,
    },
    Demo {
        org: "35.15.DISPENDUKCAPIL",
        name: "Akta Lahir Langsung Jadi di Rumah Sakit",
        bentuk: Bentuk::PelayananPublik,
        jenis: Jenis::Digital,
        inisiator: Inisiator::KepalaDaerah,
        urusan: "adminduk",
        tahapan: Tahapan::Penerapan,
        dates: &["2021-01-04", "2021-06-01", "2021-11-01"],
        problem: "Banyak bayi tidak segera memiliki akta kelahiran karena orang tua harus datang ke kantor dinas dengan berkas dari rumah sakit.",
        design: "Petugas rumah sakit mengunggah data kelahiran ke sistem dinas; akta, kartu keluarga baru dan KIA dikirim ke email orang tua sebelum ibu pulang.",
        benefits: "Cakupan akta kelahiran bayi baru lahir naik menjadi 98 persen.",
        beneficiaries: 21_500,
        sdgs: &[16],
        status: Status::Terverifikasi,
    },
    Demo {
        org: "35.78.DISPENDUKCAPIL",
        name: "Klampid New Generation: Adminduk Tanpa ke Kantor",
        bentuk: Bentuk::PelayananPublik,
        jenis: Jenis::Digital,
        inisiator: Inisiator::PerangkatDaerah,
        urusan: "adminduk",
        tahapan: Tahapan::Penerapan,
        dates: &["2019-05-01", "2019-10-01", "2020-03-01"],
        problem: "Antrean panjang di kantor kependudukan untuk pindah datang, kartu keluarga dan akta kematian.",
        design: "Semua layanan administrasi kependudukan diajukan daring dengan tanda tangan elektronik; dokumen dicetak sendiri atau diambil di kelurahan.",
        benefits: "Sembilan dari sepuluh permohonan selesai tanpa warga datang ke kantor.",
        beneficiaries: 310_000,
        sdgs: &[16, 11],
        status: Status::Terverifikasi,
    },
    Demo {
        org: "35.78.DINKES",
        name: "Kader Surabaya Hebat Pendamping Ibu Hamil",
        bentuk: Bentuk::PelayananPublik,
        jenis: Jenis::NonDigital,
        inisiator: Inisiator::Masyarakat,
        urusan: "kesehatan",
        tahapan: Tahapan::Penerapan,
        dates: &["2020-02-01", "2020-08-01", "2021-01-15"],
        problem: "Angka kematian ibu masih tinggi karena tanda bahaya kehamilan terlambat dikenali.",
        design: "Setiap ibu hamil didampingi satu kader kampung yang berkunjung tiap dua minggu, mencatat tekanan darah dan mengantar ke puskesmas bila ada tanda bahaya.",
        benefits: "Seluruh ibu hamil risiko tinggi terpantau dan dirujuk tepat waktu.",
        beneficiaries: 9_800,
        sdgs: &[3, 5],
        status: Status::Terverifikasi,
    },
    Demo {
        org: "35.10.DISKOMINFO",
        name: "Smart Kampung: Layanan Desa dalam Genggaman",
        bentuk: Bentuk::TataKelola,
        jenis: Jenis::Digital,
        inisiator: Inisiator::KepalaDaerah,
        urusan: "kominfo",
        tahapan: Tahapan::Penerapan,
        dates: &["2016-01-11", "2016-07-01", "2017-01-02"],
        problem: "Warga desa di pelosok harus menempuh jarak jauh ke kecamatan untuk surat keterangan dan layanan dasar.",
        design: "Setiap desa memiliki pusat layanan daring terhubung serat optik; surat dan izin dasar diurus di balai desa.",
        benefits: "Layanan dasar dapat diurus di desa sendiri; biaya perjalanan warga berkurang.",
        beneficiaries: 1_200_000,
        sdgs: &[9, 10, 16],
        status: Status::Terverifikasi,
    },
    Demo {
        org: "35.10.DINKES",
        name: "Jemput Bola Lansia Sehat",
        bentuk: Bentuk::PelayananPublik,
        jenis: Jenis::NonDigital,
        inisiator: Inisiator::Asn,
        urusan: "kesehatan",
        tahapan: Tahapan::UjiCoba,
        dates: &["2024-01-08", "2024-07-01"],
        problem: "Lansia yang tinggal sendiri jarang memeriksakan penyakit kronisnya.",
        design: "Tim puskesmas keliling mendatangi lansia sebulan sekali untuk cek gula darah, tekanan darah dan obat rutin.",
        benefits: "Kunjungan rumah menemukan kasus hipertensi yang belum tertangani.",
        beneficiaries: 1_450,
        sdgs: &[3],
        status: Status::Terverifikasi,
    },
    Demo {
        org: "35.73.DISKOMINFO",
        name: "Sambat Online: Pengaduan Warga Kota Malang",
        bentuk: Bentuk::TataKelola,
        jenis: Jenis::Digital,
        inisiator: Inisiator::PerangkatDaerah,
        urusan: "kominfo",
        tahapan: Tahapan::Penerapan,
        dates: &["2018-03-01", "2018-08-01", "2019-01-07"],
        problem: "Pengaduan warga tersebar di banyak saluran dan tidak jelas tindak lanjutnya.",
        design: "Satu kanal pengaduan dengan nomor tiket, batas waktu tanggapan per OPD dan papan kinerja terbuka.",
        benefits: "Waktu tanggapan rata-rata menjadi dua hari kerja.",
        beneficiaries: 86_000,
        sdgs: &[16],
        status: Status::Terverifikasi,
    },
    Demo {
        org: "35.19.DINKES",
        name: "Posyandu Remaja Anti Stunting",
        bentuk: Bentuk::PelayananPublik,
        jenis: Jenis::NonDigital,
        inisiator: Inisiator::Masyarakat,
        urusan: "kesehatan",
        tahapan: Tahapan::UjiCoba,
        dates: &["2023-08-01", "2024-02-01"],
        problem: "Remaja putri banyak yang anemia, faktor risiko stunting pada anak mereka kelak.",
        design: "Posyandu khusus remaja tiap bulan: tablet tambah darah, cek hemoglobin, kelas gizi dan kesehatan reproduksi.",
        benefits: "Kasus anemia remaja di desa uji coba berkurang.",
        beneficiaries: 2_300,
        sdgs: &[2, 3, 5],
        status: Status::Terverifikasi,
    },
    Demo {
        org: "35.BKD",
        name: "ASN Belajar Hybrid Setiap Kamis",
        bentuk: Bentuk::TataKelola,
        jenis: Jenis::Digital,
        inisiator: Inisiator::PerangkatDaerah,
        urusan: "kepegawaian",
        tahapan: Tahapan::Penerapan,
        dates: &["2022-06-01", "2022-09-01", "2023-01-05"],
        problem: "ASN sulit memenuhi 20 JP pengembangan kompetensi per tahun karena pelatihan tatap muka terbatas.",
        design: "Kelas mingguan di ruang belajar provinsi yang juga disiarkan daring untuk ASN seluruh Indonesia, dengan presensi dan sertifikat JP otomatis.",
        benefits: "Ribuan ASN memperoleh JP tanpa biaya perjalanan.",
        beneficiaries: 38_000,
        sdgs: &[4, 8],
        status: Status::Terverifikasi,
    },
    Demo {
        org: "35.DISKOMINFO",
        name: "Satu Data Jatim untuk Perencanaan",
        bentuk: Bentuk::TataKelola,
        jenis: Jenis::Digital,
        inisiator: Inisiator::KepalaDaerah,
        urusan: "statistik",
        tahapan: Tahapan::Penerapan,
        dates: &["2021-02-01", "2021-07-01", "2022-01-03"],
        problem: "Data sektoral OPD berbeda-beda sehingga perencanaan memakai angka yang tidak sama.",
        design: "Portal data terpadu dengan wali data per OPD, standar metadata dan jadwal pemutakhiran.",
        benefits: "Dokumen perencanaan memakai satu sumber data yang sama.",
        beneficiaries: 4_200,
        sdgs: &[16, 17],
        status: Status::Terverifikasi,
    },
    Demo {
        org: "35.15.BAPPEDA",
        name: "Musrenbang Digital Sidoarjo",
        bentuk: Bentuk::TataKelola,
        jenis: Jenis::Digital,
        inisiator: Inisiator::PerangkatDaerah,
        urusan: "perencanaan",
        tahapan: Tahapan::UjiCoba,
        dates: &["2025-01-06", "2025-05-02"],
        problem: "Usulan warga dalam musrenbang sulit dilacak sampai menjadi program.",
        design: "Usulan dicatat daring dengan nomor, dan warga dapat melihat apakah usulannya masuk RKPD.",
        benefits: "Warga dapat memantau usulannya.",
        beneficiaries: 12_000,
        sdgs: &[16],
        status: Status::Diajukan,
    },
    Demo {
        org: "35.15.DINKES",
        name: "Apotek Keliling Desa",
        bentuk: Bentuk::PelayananPublik,
        jenis: Jenis::NonDigital,
        inisiator: Inisiator::Asn,
        urusan: "kesehatan",
        tahapan: Tahapan::Inisiatif,
        dates: &["2026-09-01"],
        problem: "Obat rutin pasien kronis di desa jauh sering terlambat diambil.",
        design: "",
        benefits: "",
        beneficiaries: 0,
        sdgs: &[3],
        status: Status::Draft,
    },
];

fn draft(d: &Demo) -> anyhow::Result<InnovationDraft> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = |i: usize| -> anyhow::Result<Option<time::Date>> {
        d.dates
            .get(i)
            .map(|s| time::Date::parse(s, &fmt))
            .transpose()
            .map_err(Into::into)
    };
    let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Ok(InnovationDraft {
        name: d.name.to_owned(),
        bentuk: d.bentuk,
        jenis: d.jenis,
        inisiator: d.inisiator,
        urusan: d.urusan.to_owned(),
        tahapan: d.tahapan,
        date_inisiatif: date(0)?,
        date_uji_coba: date(1)?,
        date_penerapan: date(2)?,
        problem: text(d.problem),
        design: text(d.design),
        goals: None,
        benefits: text(d.benefits),
        results: None,
        beneficiaries: (d.beneficiaries > 0).then_some(d.beneficiaries),
        sdgs: Sdgs::new(d.sdgs.iter().filter_map(|g| Sdg::new(*g).ok())),
        contact_name: None,
        contact_email: None,
        contact_phone: None,
        video_url: None,
    })
}

/// Creates the demo innovations; returns how many were created.
pub async fn load(db: &Db) -> anyhow::Result<usize> {
    let mut conn = db.clone();
    let existing: Option<(i64,)> = rumah_store::Exec::fetch_optional(
        &mut conn,
        rumah_store::q!("SELECT id FROM innovations WHERE name = $1", DEMOS[0].name),
    )
    .await?;
    if existing.is_some() {
        return Ok(0);
    }
    let scope = Scope::system(Permission::ManageInnovations);
    let owner = Author {
        id: None,
        label: "demo",
    };
    let curator = Author {
        id: None,
        label: "kurator",
    };
    let mut tx = db.begin().await?;
    let mut ids = Vec::new();
    for d in DEMOS {
        let draft = draft(d)?;
        let id = profiles::create(&mut tx, &scope, &OrgCode::parse(d.org)?, &draft, owner)
            .await
            .map_err(|e| anyhow::anyhow!("demo innovation {}: {e}", d.name))?;
        let inn = profiles::in_scope(&mut tx, &scope, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo innovation vanished"))?;
        let steps: &[(Status, Status, Action, Author<'_>)] = match d.status {
            Status::Terverifikasi => &[
                (Status::Draft, Status::Diajukan, Action::Submit, owner),
                (
                    Status::Diajukan,
                    Status::Ditinjau,
                    Action::StartReview,
                    curator,
                ),
                (
                    Status::Ditinjau,
                    Status::Terverifikasi,
                    Action::Verify,
                    curator,
                ),
            ],
            Status::Diajukan => &[(Status::Draft, Status::Diajukan, Action::Submit, owner)],
            _ => &[],
        };
        for (from, to, action, who) in steps {
            profiles::transition(&mut tx, &inn, *from, *to, *action, None, *who).await?;
        }
        ids.push((id, inn.region_code.clone()));
    }
    lifecycle_demo(&mut tx, &ids).await?;
    let more = more_demos(&mut tx, &scope, owner, curator).await?;
    tx.commit().await?;
    Ok(DEMOS.len() + more)
}

/// Institutionalisation, monitoring and replication of the demo set: a
/// well-kept innovation, one at risk for lack of monitoring, and a chain of
/// replications across three regions.
async fn lifecycle_demo(tx: &mut rumah_store::Tx, ids: &[(i64, String)]) -> anyhow::Result<()> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = |s: &str| time::Date::parse(s, &fmt);
    let year = time::OffsetDateTime::now_utc().year();
    let today = time::OffsetDateTime::now_utc().date();
    // SI-ANTIK (0): everything in place, reported every semester.
    lifecycle::save_institution(
        tx,
        ids[0].0,
        &Institution {
            legal_kind: Some(LegalKind::Perkada),
            legal_number: Some("Peraturan Bupati Sidoarjo Nomor 41 Tahun 2023".into()),
            legal_date: Some(date("2023-05-12")?),
            budget_year: Some(year),
            budget_line: Some("Pelayanan kesehatan dasar berbasis digital".into()),
            has_sop: true,
            in_rkpd: true,
            dedicated_staff: true,
        },
        "demo",
    )
    .await?;
    for (months_ago, beneficiaries, actual) in [
        (18, 9_000, 60.0),
        (12, 16_000, 45.0),
        (6, 31_000, 32.0),
        (1, 48_000, 25.0),
    ] {
        let end = rumah_domain::innovations::months_before(today, months_ago);
        lifecycle::add_report(
            tx,
            ids[0].0,
            &NewReport {
                period_end: end,
                beneficiaries: Some(beneficiaries),
                notes: "Laporan semester dari Dinas Kesehatan.",
                indicators: &[Indicator {
                    name: "Waktu tunggu rata-rata".into(),
                    unit: "menit".into(),
                    baseline: Some(95.0),
                    target: Some(30.0),
                    actual: Some(actual),
                }],
            },
            "demo",
        )
        .await?;
    }
    // Smart Kampung (4): a Perda, but no monitoring report for two years.
    lifecycle::save_institution(
        tx,
        ids[4].0,
        &Institution {
            legal_kind: Some(LegalKind::Perda),
            legal_number: Some("Perda Kabupaten Banyuwangi Nomor 8 Tahun 2017".into()),
            legal_date: Some(date("2017-06-20")?),
            budget_year: Some(year - 2),
            budget_line: None,
            has_sop: true,
            in_rkpd: false,
            dedicated_staff: true,
        },
        "demo",
    )
    .await?;
    lifecycle::add_report(
        tx,
        ids[4].0,
        &NewReport {
            period_end: rumah_domain::innovations::months_before(today, 26),
            beneficiaries: Some(950_000),
            notes: "Laporan terakhir sebelum pergantian kepala dinas.",
            indicators: &[],
        },
        "demo",
    )
    .await?;
    // Replication: Klampid (2, Surabaya) → Akta Lahir (1, Sidoarjo);
    // Kader Surabaya (3) → Jemput Bola (5, Banyuwangi) → Posyandu Remaja (7, Madiun).
    for (adopter, origin, status, notes) in [
        (
            1usize,
            2usize,
            "diterapkan",
            "Diadaptasi untuk layanan di rumah sakit bersalin.",
        ),
        (
            5,
            3,
            "mengadopsi",
            "Kader diganti petugas puskesmas keliling.",
        ),
        (
            7,
            5,
            "menjajaki",
            "Studi tiru ke Banyuwangi pada triwulan ini.",
        ),
    ] {
        replication::link(
            tx,
            ids[adopter].0,
            &ids[adopter].1,
            ids[origin].0,
            status,
            notes,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo replication: {e}"))?;
    }
    Ok(())
}

/// (region, OPD, name, urusan, bentuk, jenis, tahapan, problem, design, beneficiaries)
type More = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Bentuk,
    Jenis,
    Tahapan,
    &'static str,
    &'static str,
    u64,
);

/// Two dozen more published innovations across the regions, so the
/// catalogue, its facets, search and the map have something to show.
const MORE: &[More] = &[
    (
        "35.01",
        "Dinas Kesehatan",
        "Ambulans Desa Siaga Pacitan",
        "kesehatan",
        Bentuk::PelayananPublik,
        Jenis::NonDigital,
        Tahapan::Penerapan,
        "Warga desa pegunungan terlambat sampai ke rumah sakit saat darurat.",
        "Mobil desa disiapkan sebagai ambulans dengan sopir terlatih dan nomor panggilan tunggal.",
        3_400,
    ),
    (
        "35.02",
        "Dinas Pendidikan",
        "Sekolah Literasi Reog",
        "pendidikan",
        Bentuk::PelayananPublik,
        Jenis::NonDigital,
        Tahapan::UjiCoba,
        "Minat baca siswa sekolah dasar rendah.",
        "Pojok baca di setiap kelas dan cerita rakyat Ponorogo sebagai bahan bacaan.",
        5_200,
    ),
    (
        "35.03",
        "Dinas Pertanian",
        "Kartu Tani Digital Trenggalek",
        "pertanian",
        Bentuk::PelayananPublik,
        Jenis::Digital,
        Tahapan::Penerapan,
        "Petani kesulitan menebus pupuk bersubsidi tepat waktu.",
        "Kuota pupuk dicek dan ditebus lewat kartu dan aplikasi di kios resmi.",
        41_000,
    ),
    (
        "35.04",
        "Dinas Kependudukan",
        "Adminduk Keliling Tulungagung",
        "adminduk",
        Bentuk::PelayananPublik,
        Jenis::NonDigital,
        Tahapan::Penerapan,
        "Warga desa jauh harus ke kota untuk mengurus KTP.",
        "Mobil layanan kependudukan berkeliling ke balai desa sesuai jadwal.",
        18_500,
    ),
    (
        "35.05",
        "Dinas Sosial",
        "Jaring Pengaman Lansia Blitar",
        "sosial",
        Bentuk::PelayananPublik,
        Jenis::NonDigital,
        Tahapan::UjiCoba,
        "Lansia terlantar tidak terdata dalam bantuan sosial.",
        "Pendataan lansia oleh kader desa dan pendampingan bulanan.",
        2_100,
    ),
    (
        "35.06",
        "Dinas Perhubungan",
        "Bus Sekolah Gratis Kediri",
        "perhubungan",
        Bentuk::PelayananPublik,
        Jenis::NonDigital,
        Tahapan::Penerapan,
        "Siswa di pinggiran kota mengeluarkan biaya besar untuk angkutan.",
        "Bus sekolah gratis dengan rute dan jadwal tetap pagi dan siang.",
        7_800,
    ),
    (
        "35.07",
        "Dinas Lingkungan Hidup",
        "Bank Sampah Digital Malang",
        "lingkungan_hidup",
        Bentuk::Lainnya,
        Jenis::Digital,
        Tahapan::Penerapan,
        "Sampah rumah tangga menumpuk di tempat pembuangan akhir.",
        "Warga menabung sampah terpilah dan saldo tercatat di aplikasi.",
        12_600,
    ),
    (
        "35.08",
        "Dinas Kesehatan",
        "Posyandu Lansia Lumajang",
        "kesehatan",
        Bentuk::PelayananPublik,
        Jenis::NonDigital,
        Tahapan::UjiCoba,
        "Penyakit kronis lansia tidak terpantau.",
        "Pemeriksaan bulanan tekanan darah dan gula darah di posyandu.",
        4_300,
    ),
    (
        "35.11",
        "Dinas Pertanian",
        "Sekolah Lapang Kopi Bondowoso",
        "pertanian",
        Bentuk::Lainnya,
        Jenis::NonDigital,
        Tahapan::Penerapan,
        "Mutu kopi petani rendah sehingga harga jual murah.",
        "Sekolah lapang pascapanen dan pemasaran bersama.",
        1_900,
    ),
    (
        "35.12",
        "Dinas Pariwisata",
        "Desa Wisata Terpadu Situbondo",
        "pariwisata",
        Bentuk::Lainnya,
        Jenis::Digital,
        Tahapan::UjiCoba,
        "Potensi wisata desa tidak dikenal wisatawan.",
        "Portal pemesanan paket wisata desa dikelola pokdarwis.",
        6_700,
    ),
    (
        "35.13",
        "Dinas Kesehatan",
        "Sahabat Ibu Hamil Probolinggo",
        "kesehatan",
        Bentuk::PelayananPublik,
        Jenis::NonDigital,
        Tahapan::Penerapan,
        "Ibu hamil risiko tinggi terlambat dirujuk.",
        "Pendampingan ibu hamil oleh bidan dan kader sejak trimester pertama.",
        3_800,
    ),
    (
        "35.14",
        "DPMPTSP",
        "Perizinan Kilat Pasuruan",
        "penanaman_modal",
        Bentuk::TataKelola,
        Jenis::Digital,
        Tahapan::Penerapan,
        "Izin usaha kecil selesai berminggu-minggu.",
        "Perizinan berusaha daring dengan batas waktu tiga hari kerja.",
        9_400,
    ),
    (
        "35.16",
        "Dinas Kesehatan",
        "Cegah Stunting Mojokerto",
        "kesehatan",
        Bentuk::PelayananPublik,
        Jenis::NonDigital,
        Tahapan::UjiCoba,
        "Angka stunting balita tinggi di desa tertentu.",
        "Pemberian makanan tambahan lokal dan pemantauan tumbuh kembang.",
        2_700,
    ),
    (
        "35.17",
        "Dinas Pendidikan",
        "Beasiswa Santri Jombang",
        "pendidikan",
        Bentuk::PelayananPublik,
        Jenis::Digital,
        Tahapan::Penerapan,
        "Santri dari keluarga miskin putus sekolah.",
        "Pendaftaran dan verifikasi beasiswa daring bersama pondok pesantren.",
        3_100,
    ),
    (
        "35.18",
        "Dinas Sosial",
        "Rumah Singgah Disabilitas Nganjuk",
        "sosial",
        Bentuk::PelayananPublik,
        Jenis::NonDigital,
        Tahapan::Inisiatif,
        "Penyandang disabilitas sulit mendapat layanan terapi.",
        "Rumah singgah dengan terapis keliling.",
        450,
    ),
    (
        "35.20",
        "Dinas Kependudukan",
        "KTP Elektronik Sehari Jadi Magetan",
        "adminduk",
        Bentuk::PelayananPublik,
        Jenis::Digital,
        Tahapan::Penerapan,
        "Pencetakan KTP elektronik memakan waktu lama.",
        "Antrean daring dan pencetakan di hari yang sama.",
        22_000,
    ),
    (
        "35.21",
        "Dinas Pertanian",
        "Irigasi Tetes Ngawi",
        "pertanian",
        Bentuk::Lainnya,
        Jenis::NonDigital,
        Tahapan::UjiCoba,
        "Lahan kering gagal panen di musim kemarau.",
        "Irigasi tetes bertenaga surya untuk kelompok tani.",
        800,
    ),
    (
        "35.23",
        "Dinas Kelautan",
        "Nelayan Tuban Melek Cuaca",
        "kelautan_perikanan",
        Bentuk::PelayananPublik,
        Jenis::Digital,
        Tahapan::UjiCoba,
        "Nelayan melaut saat cuaca buruk.",
        "Peringatan cuaca harian lewat pesan singkat untuk kelompok nelayan.",
        5_600,
    ),
    (
        "35.24",
        "Dinas Kesehatan",
        "Puskesmas Ramah Anak Lamongan",
        "kesehatan",
        Bentuk::PelayananPublik,
        Jenis::NonDigital,
        Tahapan::Penerapan,
        "Anak takut berobat di puskesmas.",
        "Ruang tunggu ramah anak dan petugas terlatih.",
        14_300,
    ),
    (
        "35.25",
        "Dinas Perdagangan",
        "Pasar Rakyat Daring Gresik",
        "perdagangan",
        Bentuk::Lainnya,
        Jenis::Digital,
        Tahapan::UjiCoba,
        "Pedagang pasar kehilangan pembeli.",
        "Pesan antar belanja pasar lewat aplikasi dan kurir lokal.",
        3_300,
    ),
    (
        "35.26",
        "Dinas Pendidikan",
        "Guru Kunjung Bangkalan",
        "pendidikan",
        Bentuk::PelayananPublik,
        Jenis::NonDigital,
        Tahapan::Penerapan,
        "Anak di pulau kecil tidak bisa ke sekolah.",
        "Guru berkunjung terjadwal ke pulau-pulau kecil.",
        1_200,
    ),
    (
        "35.29",
        "Dinas Kesehatan",
        "Telemedisin Kepulauan Sumenep",
        "kesehatan",
        Bentuk::PelayananPublik,
        Jenis::Digital,
        Tahapan::UjiCoba,
        "Warga kepulauan jauh dari dokter spesialis.",
        "Konsultasi dokter spesialis jarak jauh dari puskesmas pulau.",
        2_900,
    ),
    (
        "35.77",
        "Dinas Kominfo",
        "Madiun Kota Pintar",
        "kominfo",
        Bentuk::TataKelola,
        Jenis::Digital,
        Tahapan::Penerapan,
        "Layanan kota tersebar di banyak aplikasi.",
        "Satu aplikasi warga untuk pengaduan, perizinan dan informasi.",
        54_000,
    ),
    (
        "35.79",
        "Dinas Pariwisata",
        "Batu Ramah Wisatawan",
        "pariwisata",
        Bentuk::Lainnya,
        Jenis::Digital,
        Tahapan::Penerapan,
        "Wisatawan kesulitan informasi transportasi dan parkir.",
        "Informasi parkir dan angkutan wisata waktu nyata.",
        120_000,
    ),
];

async fn more_demos(
    tx: &mut rumah_store::Tx,
    scope: &Scope,
    owner: Author<'_>,
    curator: Author<'_>,
) -> anyhow::Result<usize> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    for (n, (region, opd, name, urusan, bentuk, jenis, tahapan, problem, design, beneficiaries)) in
        MORE.iter().enumerate()
    {
        // An OPD of the region for the demo (created once).
        let segment = format!("DEMO{:02}", n % 3);
        let parent = OrgCode::parse(region)?;
        let code = parent.child(&segment)?;
        if rumah_store::orgs::by_code(tx, &code).await?.is_none() {
            rumah_store::orgs::create(
                tx,
                &Scope::system(Permission::ManageOrgs),
                rumah_store::orgs::NewOrg {
                    parent: &parent,
                    segment: &segment,
                    kind: rumah_domain::orgs::OrgKind::Opd,
                    name: opd,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo OPD {code}: {e}"))?;
        }
        let date = |s: &str| time::Date::parse(s, &fmt);
        let draft = InnovationDraft {
            name: (*name).to_owned(),
            bentuk: *bentuk,
            jenis: *jenis,
            inisiator: if n % 4 == 0 {
                Inisiator::KepalaDaerah
            } else {
                Inisiator::PerangkatDaerah
            },
            urusan: (*urusan).to_owned(),
            tahapan: *tahapan,
            date_inisiatif: Some(date("2022-02-01")?),
            date_uji_coba: (*tahapan != Tahapan::Inisiatif)
                .then(|| date("2023-03-01"))
                .transpose()?,
            date_penerapan: (*tahapan == Tahapan::Penerapan)
                .then(|| date("2024-04-01"))
                .transpose()?,
            problem: Some((*problem).to_owned()),
            design: Some((*design).to_owned()),
            goals: None,
            benefits: None,
            results: None,
            beneficiaries: Some(*beneficiaries),
            sdgs: Sdgs::new(Sdg::new(1 + (n as u8 % 17)).ok()),
            contact_name: None,
            contact_email: None,
            contact_phone: None,
            video_url: None,
        };
        let id = profiles::create(tx, scope, &code, &draft, owner)
            .await
            .map_err(|e| anyhow::anyhow!("demo innovation {name}: {e}"))?;
        let inn = profiles::in_scope(tx, scope, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo innovation vanished"))?;
        for (from, to, action, who) in [
            (Status::Draft, Status::Diajukan, Action::Submit, owner),
            (
                Status::Diajukan,
                Status::Ditinjau,
                Action::StartReview,
                curator,
            ),
            (
                Status::Ditinjau,
                Status::Terverifikasi,
                Action::Verify,
                curator,
            ),
        ] {
            profiles::transition(tx, &inn, from, to, action, None, who).await?;
        }
    }
    Ok(MORE.len())
}

/// Evidence files of the first demo innovation: its SK (a PDF), its SOP and
/// a photo of the counter, stored through the blob store like an upload.
/// Marked as demo documents in their text. Skipped when it has files.
pub async fn evidence(db: &Db, store: &dyn BlobStore) -> anyhow::Result<usize> {
    struct DemoFile {
        kind: Kind,
        title: &'static str,
        name: &'static str,
        mime: &'static str,
        bytes: &'static [u8],
    }
    const FILES: &[DemoFile] = &[
        DemoFile {
            kind: Kind::Regulasi,
            title: "SK Kepala Dinas Kesehatan tentang penerapan SI-ANTIK",
            name: "sk-penerapan.pdf",
            mime: "application/pdf",
            bytes: include_bytes!("files/sk-penerapan.pdf"),
        },
        DemoFile {
            kind: Kind::Sop,
            title: "SOP antrean SI-ANTIK",
            name: "sop-antrean.pdf",
            mime: "application/pdf",
            bytes: include_bytes!("files/sop-antrean.pdf"),
        },
        DemoFile {
            kind: Kind::Foto,
            title: "Loket pendaftaran puskesmas",
            name: "foto-loket.png",
            mime: "image/png",
            bytes: include_bytes!("files/foto-loket.png"),
        },
    ];
    let mut conn = db.clone();
    let Some((id,)): Option<(i64,)> = rumah_store::Exec::fetch_optional(
        &mut conn,
        rumah_store::q!("SELECT id FROM innovations WHERE name = $1", DEMOS[0].name),
    )
    .await?
    else {
        return Ok(0);
    };
    if !files::list(&mut conn, id).await?.is_empty() {
        return Ok(0);
    }
    let mut keys = Vec::new();
    for f in FILES {
        keys.push(store.put(f.bytes).await?);
    }
    let mut tx = db.begin().await?;
    for (f, key) in FILES.iter().zip(&keys) {
        files::insert(
            &mut tx,
            id,
            &NewFile {
                kind: f.kind,
                title: f.title,
                blob_key: key.as_str(),
                content_type: f.mime,
                size_bytes: i64::try_from(f.bytes.len())?,
                original_name: f.name,
                uploaded_by: "demo",
                public: true,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(FILES.len())
}
