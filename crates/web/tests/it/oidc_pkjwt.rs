//! `private_key_jwt` client authentication (RFC 7523, OpenID Connect Core
//! §9) at the token, introspection and revocation endpoints: good ES256
//! and EdDSA assertions work; a replayed `jti`, a wrong audience, an expired
//! or too long-lived assertion, `alg: none`, an HMAC made with the public
//! key (key confusion), an unknown `kid`, another key under a known `kid`,
//! `iss` ≠ `sub` and the wrong assertion type are each `invalid_client`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use rumah_store::oidc::clients::{self, NewClient};
use serde_json::json;

use crate::support::{TestApp, app_test};

const TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client's key pair: the private half to sign, the public JWK.
struct Key {
    alg: Algorithm,
    kid: Option<&'static str>,
    private: EncodingKey,
    jwk: serde_json::Value,
}

fn es256(kid: &'static str) -> Key {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let p = pair.public_key().as_ref();
    Key {
        alg: Algorithm::ES256,
        kid: Some(kid),
        private: EncodingKey::from_ec_der(pkcs8.as_ref()),
        jwk: json!({ "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
            "x": URL_SAFE_NO_PAD.encode(&p[1..33]), "y": URL_SAFE_NO_PAD.encode(&p[33..65]) }),
    }
}

fn ed25519() -> Key {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    Key {
        alg: Algorithm::EdDSA,
        kid: None,
        private: EncodingKey::from_ed_der(pkcs8.as_ref()),
        jwk: json!({ "kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()) }),
    }
}

/// Registers `id` with the public halves of `keys`.
async fn register(app: &TestApp, id: &str, keys: &[&serde_json::Value]) {
    clients::create(
        &mut app.conn(),
        &NewClient {
            client_id: id,
            name: "Layanan kunci",
            secret_hash: None,
            redirect_uris: &[crate::oidc::REDIRECT.to_owned()],
            allowed_scopes: "openid profile api",
            grant_types: "authorization_code client_credentials",
            token_endpoint_auth_method: "client_secret_basic",
            first_party: true,
        },
    )
    .await
    .unwrap();
    let jwks = json!({ "keys": keys }).to_string();
    rumah_web::oidc::client_auth::check_jwks(&jwks).unwrap();
    assert!(
        rumah_store::oidc::assertions::set_jwks(&mut app.conn(), id, Some(&jwks))
            .await
            .unwrap()
    );
}

fn now() -> i64 {
    rumah_domain::time::Timestamp::now().0 / 1000
}

fn claims(app: &TestApp, client_id: &str, jti: &str) -> serde_json::Value {
    json!({
        "iss": client_id, "sub": client_id, "aud": app.url("/oidc/token"),
        "iat": now(), "exp": now() + 60, "jti": jti,
    })
}

fn sign(key: &Key, claims: &serde_json::Value) -> String {
    let mut h = Header::new(key.alg);
    h.kid = key.kid.map(str::to_owned);
    jsonwebtoken::encode(&h, claims, &key.private).unwrap()
}

async fn token_with(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![("grant_type", "client_credentials"), ("scope", "api")];
    form.extend_from_slice(fields);
    app.client()
        .post(app.url("/oidc/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn token(app: &TestApp, assertion: &str) -> reqwest::Response {
    token_with(
        app,
        &[
            ("client_assertion_type", TYPE),
            ("client_assertion", assertion),
        ],
    )
    .await
}

async fn assert_invalid_client(res: reqwest::Response, what: &str) {
    assert_eq!(res.status(), 401, "{what}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{what}");
}

app_test!(async fn good_assertions_authenticate_at_every_endpoint(app) {
    let es = es256("kunci-1");
    let ed = ed25519();
    register(&app, "layanan", &[&es.jwk, &ed.jwk]).await;
    let doc: serde_json::Value = app.client().get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    for field in ["token_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported"] {
        assert!(doc[field].as_array().unwrap().contains(&json!("private_key_jwt")), "{field}");
    }
    assert_eq!(doc["token_endpoint_auth_signing_alg_values_supported"], json!(["ES256", "RS256", "EdDSA"]));

    let res = token(&app, &sign(&es, &claims(&app, "layanan", "j-1"))).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let at = body["access_token"].as_str().unwrap().to_owned();
    // EdDSA, without a kid (the only Ed25519 key), audience = the issuer.
    let mut c = claims(&app, "layanan", "j-2");
    c["aud"] = json!(app.url("").trim_end_matches('/'));
    let res = token_with(&app, &[("client_id", "layanan"), ("client_assertion_type", TYPE), ("client_assertion", &sign(&ed, &c))]).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // Introspection and revocation with assertions addressed to them.
    let mut c = claims(&app, "layanan", "j-3");
    c["aud"] = json!(app.url("/oidc/introspect"));
    let res = app.client().post(app.url("/oidc/introspect"))
        .form(&[("token", at.as_str()), ("client_assertion_type", TYPE), ("client_assertion", &sign(&es, &c))])
        .send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], "layanan");
    let res = app.client().post(app.url("/oidc/revoke"))
        .form(&[("token", at.as_str()), ("client_assertion_type", TYPE), ("client_assertion", &sign(&es, &claims(&app, "layanan", "j-4")))])
        .send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut c = claims(&app, "layanan", "j-5");
    c["aud"] = json!(app.url("/oidc/introspect"));
    let body: serde_json::Value = app.client().post(app.url("/oidc/introspect"))
        .form(&[("token", at.as_str()), ("client_assertion_type", TYPE), ("client_assertion", &sign(&es, &c))])
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(body["active"], false, "revoked");
    // And a refused assertion at introspection is invalid_client there too.
    let res = app.client().post(app.url("/oidc/introspect"))
        .form(&[("token", at.as_str()), ("client_assertion_type", TYPE), ("client_assertion", &sign(&es, &c))])
        .send().await.unwrap();
    assert_invalid_client(res, "replayed at introspection").await;
});

app_test!(async fn bad_assertions_are_invalid_client(app) {
    let es = es256("kunci-1");
    register(&app, "layanan", &[&es.jwk]).await;
    let good = claims(&app, "layanan", "sekali");
    assert_eq!(token(&app, &sign(&es, &good)).await.status(), 200);
    // The same jti again.
    assert_invalid_client(token(&app, &sign(&es, &good)).await, "replayed jti").await;

    let with = |field: &str, value: serde_json::Value| {
        let mut c = claims(&app, "layanan", &format!("jti-{field}"));
        c[field] = value;
        c
    };
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("wrong aud", with("aud", json!("https://lain.example/oidc/token"))),
        ("expired", with("exp", json!(now() - 120))),
        ("exp too far ahead", with("exp", json!(now() + 3600))),
        ("iss is not sub", with("sub", json!("lain"))),
        ("unknown client", { let mut c = with("iss", json!("tidak-ada")); c["sub"] = json!("tidak-ada"); c }),
        ("no jti", { let mut c = claims(&app, "layanan", ""); c.as_object_mut().unwrap().remove("jti"); c }),
    ];
    for (what, c) in cases {
        assert_invalid_client(token(&app, &sign(&es, &c)).await, what).await;
    }

    let fresh = |jti: &str| claims(&app, "layanan", jti);
    // alg none: no signature at all.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"kunci-1"}"#),
        URL_SAFE_NO_PAD.encode(fresh("none").to_string())
    );
    assert_invalid_client(token(&app, &none).await, "alg none").await;
    // Key confusion: HS256 with the public key (as published) as the secret.
    for secret in [es.jwk.to_string().into_bytes(), URL_SAFE_NO_PAD.decode(es.jwk["x"].as_str().unwrap()).unwrap()] {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("kunci-1".into());
        let forged = jsonwebtoken::encode(&h, &fresh("hs"), &EncodingKey::from_secret(&secret)).unwrap();
        assert_invalid_client(token(&app, &forged).await, "HS256 with the public key").await;
    }
    // An unknown kid; another key under the registered kid.
    let stranger = es256("kunci-lain");
    assert_invalid_client(token(&app, &sign(&stranger, &fresh("kid"))).await, "unknown kid").await;
    let impostor = Key { kid: Some("kunci-1"), ..es256("x") };
    assert_invalid_client(token(&app, &sign(&impostor, &fresh("impostor"))).await, "another key").await;
    // A different client_id in the form, the wrong assertion type, garbage.
    let res = token_with(&app, &[("client_id", "lain"), ("client_assertion_type", TYPE), ("client_assertion", &sign(&es, &fresh("cid")))]).await;
    assert_invalid_client(res, "client_id is not iss").await;
    let res = token_with(&app, &[("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"), ("client_assertion", &sign(&es, &fresh("type")))]).await;
    assert_invalid_client(res, "wrong assertion type").await;
    assert_invalid_client(token(&app, "bukan.sebuah.jwt").await, "garbage").await;
    // The client cannot skip its keys: its id alone, or a made-up secret.
    assert_invalid_client(token_with(&app, &[("client_id", "layanan")]).await, "id alone").await;
    assert_invalid_client(token_with(&app, &[("client_id", "layanan"), ("client_secret", "tebakan")]).await, "a secret").await;
    // Two methods at once is a bad request.
    let res = token_with(&app, &[("client_secret", "x"), ("client_assertion_type", TYPE), ("client_assertion", &sign(&es, &fresh("two")))]).await;
    assert_eq!(res.status(), 400);
    // None of the refused ones was remembered as used; a fresh one works.
    assert_eq!(token(&app, &sign(&es, &fresh("akhirnya"))).await.status(), 200);
});

app_test!(async fn a_client_with_a_secret_cannot_use_an_assertion(app) {
    crate::oidc::client(&app, "rahasia", false, true, "client_credentials").await;
    let es = es256("k");
    let res = token(&app, &sign(&es, &claims(&app, "rahasia", "j"))).await;
    assert_invalid_client(res, "no registered keys").await;
    // Registration refuses private or symmetric keys.
    let mut private = es.jwk.clone();
    private["d"] = json!("AAAA");
    assert!(rumah_web::oidc::client_auth::check_jwks(&json!({ "keys": [private] }).to_string()).is_err());
    assert!(rumah_web::oidc::client_auth::check_jwks(&json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0" }] }).to_string()).is_err());
    assert!(rumah_web::oidc::client_auth::check_jwks(r#"{"keys": []}"#).is_err());
});
