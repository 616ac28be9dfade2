// Satu Akun through openid-client (panva), a certified OpenID Connect
// relying-party library; run by crates/web/tests/it/oidc_node_client.rs
// against a test server.
//
// What a relying party does: discovery, the code flow with PKCE (S256),
// state and nonce through the real sign-in form, ID-token validation by the
// library (signature against the JWKS, iss, aud, exp, nonce), UserInfo, our
// own JSON API with the access token, a refresh with rotation,
// introspection, revocation, RP-initiated logout, and client credentials.
// Then what must fail, with the exact error: a wrong redirect URI (our own
// error page, no redirect), a missing and a wrong PKCE verifier, a replayed
// code, a reused refresh token (and its family with it), crafted ID tokens
// fed to the library's validation (expired, wrong audience, alg none,
// tampered signature) and crafted access tokens at UserInfo and
// introspection.
//
// Prints one JSON object with what it saw; a failed check throws, so the
// process exits non-zero.

import assert from 'node:assert/strict';
import * as client from 'openid-client';

const env = process.env;
const iss = env.ISSUER;
const redirectUri = env.REDIRECT_URI;
const seen = {};

const config = await client.discovery(
  new URL(iss),
  env.CLIENT_ID,
  { redirect_uris: [redirectUri] },
  client.ClientSecretBasic(env.CLIENT_SECRET),
  { execute: [client.allowInsecureRequests] },
);
// Verify ID-token signatures against the JWKS even though they come
// straight from the token endpoint (OIDC Core §3.1.3.7 lets a client skip
// that over TLS; openid-client does unless asked).
client.enableNonRepudiationChecks(config);
const meta = config.serverMetadata();
assert.equal(meta.issuer, iss);
seen.end_session_endpoint = meta.end_session_endpoint;

// The user's browser: cookies kept by hand, redirects not followed.
const jar = new Map();
async function browse(url, init = {}) {
  const headers = new Headers(init.headers);
  if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
  const res = await fetch(new URL(url, iss), { ...init, headers, redirect: 'manual' });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    const value = pair.slice(i + 1);
    if (/max-age=0/i.test(c) || value === '') jar.delete(pair.slice(0, i));
    else jar.set(pair.slice(0, i), value);
  }
  return res;
}

function unescape(s) {
  const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return named[e] ?? m;
  });
}

/** An authorization request through the browser; signs in when asked. */
async function authorize(params) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = params.nonce ?? client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access api',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
    nonce,
  });
  let res = await browse(url);
  assert.equal(res.status, 303, `${url}: ${res.status} ${(await res.text()).slice(0, 3000)}`);
  let location = res.headers.get('location');
  if (location.startsWith('/masuk')) {
    const page = await (await browse(location)).text();
    const csrf = unescape(page.match(/name="csrf_token" value="([^"]+)"/)[1]);
    const next = unescape(page.match(/name="next" value="([^"]+)"/)[1]);
    res = await browse('/masuk', {
      method: 'POST',
      body: new URLSearchParams({ csrf_token: csrf, next, login: env.USERNAME, password: env.PASSWORD }),
    });
    assert.equal(res.status, 303, `signed in: ${res.status} ${(await res.text()).slice(0, 2000)}`);
    res = await browse(res.headers.get('location'));
    assert.equal(res.status, 303, `back from the sign-in: ${res.status}`);
    location = res.headers.get('location');
  }
  assert.ok(location.startsWith(redirectUri), location);
  return { callback: new URL(location), verifier, state, nonce };
}

/** The OAuth error code of a failure thrown by openid-client. */
function oauthError(e) {
  if (e.error) return e.error;
  if (Array.isArray(e.cause)) return e.cause[0]?.parameters?.error;
  if (e.cause?.error) return e.cause.error;
  return e.code;
}

async function fails(promise) {
  try {
    await promise;
  } catch (e) {
    const cause = e.cause && !Array.isArray(e.cause)
      ? { code: e.cause.code, message: e.cause.message, claim: e.cause.cause?.claim }
      : undefined;
    return { error: oauthError(e), code: e.code, status: e.status, message: e.message, cause };
  }
  throw new Error('expected a failure');
}

// --- The happy path ---------------------------------------------------------

const a = await authorize({});
const tokens = await client.authorizationCodeGrant(config, a.callback, {
  pkceCodeVerifier: a.verifier,
  expectedState: a.state,
  expectedNonce: a.nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
assert.equal(claims.iss, iss);
assert.equal(claims.aud, env.CLIENT_ID);
assert.equal(claims.nonce, a.nonce);
seen.sub = claims.sub;
seen.preferred_username = claims.preferred_username;
seen.sid = claims.sid;
seen.scope = tokens.scope;

const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
seen.userinfo_sub = userinfo.sub;
seen.userinfo_email = userinfo.email;

// Our own API accepts the access token (it has the `api` scope).
const me = await client.fetchProtectedResource(config, tokens.access_token, new URL('/api/v1/me', iss), 'GET');
seen.api_me_status = me.status;
seen.api_me_username = (await me.json()).username;

const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
seen.refreshed = refreshed.refresh_token !== tokens.refresh_token;
seen.refreshed_id_token = refreshed.claims()?.sub === claims.sub;

const live = await client.tokenIntrospection(config, refreshed.access_token);
seen.introspected = { active: live.active, sub: live.sub, client_id: live.client_id };
const liveRefresh = await client.tokenIntrospection(config, refreshed.refresh_token);
seen.introspected_refresh = { active: liveRefresh.active, token_type: liveRefresh.token_type };

await client.tokenRevocation(config, refreshed.access_token);
seen.revoked_introspection = (await client.tokenIntrospection(config, refreshed.access_token)).active;
seen.revoked_userinfo = await fails(client.fetchUserInfo(config, refreshed.access_token, claims.sub));
seen.revoked_api = await fails(client.fetchProtectedResource(config, refreshed.access_token, new URL('/api/v1/me', iss), 'GET'));

// A rotated refresh token presented again: refused, and the family goes.
seen.refresh_reuse = await fails(client.refreshTokenGrant(config, tokens.refresh_token));
seen.refresh_family_revoked = await fails(client.refreshTokenGrant(config, refreshed.refresh_token));

// --- Codes and PKCE ---------------------------------------------------------

seen.code_replay = await fails(client.authorizationCodeGrant(config, a.callback, {
  pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce,
}));
{
  const b = await authorize({});
  seen.missing_verifier = await fails(client.authorizationCodeGrant(config, b.callback, {
    expectedState: b.state, expectedNonce: b.nonce,
  }));
}
{
  const b = await authorize({});
  seen.wrong_verifier = await fails(client.authorizationCodeGrant(config, b.callback, {
    pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: b.state, expectedNonce: b.nonce,
  }));
}
{
  // A redirect URI the client has not registered: our own page, no redirect.
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: 'https://penipu.example/cb',
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: client.randomState(),
  });
  const res = await browse(url);
  seen.wrong_redirect_uri = {
    status: res.status,
    location: res.headers.get('location'),
    html: (res.headers.get('content-type') ?? '').startsWith('text/html'),
  };
}

// --- Crafted ID tokens through the library's validation ----------------------

/** A code flow whose token response carries `idToken` instead of ours. */
async function withIdToken(idToken) {
  const b = await authorize({ nonce: env.CRAFTED_NONCE });
  const previous = config[client.customFetch];
  config[client.customFetch] = async (url, options) => {
    const res = await (previous ?? fetch)(url, options);
    if (String(url) !== meta.token_endpoint || res.status !== 200) return res;
    const body = await res.json();
    body.id_token = idToken;
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  try {
    return await fails(client.authorizationCodeGrant(config, b.callback, {
      pkceCodeVerifier: b.verifier, expectedState: b.state, expectedNonce: b.nonce, idTokenExpected: true,
    }));
  } finally {
    config[client.customFetch] = previous;
  }
}

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const [idHeader, idPayload, idSignature] = tokens.id_token.split('.');
const header = JSON.parse(Buffer.from(idHeader, 'base64url'));
const payload = JSON.parse(Buffer.from(idPayload, 'base64url'));
const fresh = { ...payload, nonce: env.CRAFTED_NONCE, at_hash: undefined };

seen.id_token_expired = await withIdToken(env.EXPIRED_ID_TOKEN);
seen.id_token_wrong_audience = await withIdToken(env.FOREIGN_ID_TOKEN);
seen.id_token_alg_none = await withIdToken(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(fresh)}.`);
{
  // Our header and signature over a payload changed after signing.
  seen.id_token_tampered = await withIdToken(`${idHeader}.${b64({ ...fresh, sub: '999999' })}.${idSignature}`);
}
{
  const sig = Buffer.from(idSignature, 'base64url');
  sig[5] ^= 1;
  seen.id_token_bad_signature = await withIdToken(`${idHeader}.${b64(fresh)}.${sig.toString('base64url')}`);
}
// The control: the same path with a correct ID token passes.
{
  const b = await authorize({});
  const ok = await client.authorizationCodeGrant(config, b.callback, {
    pkceCodeVerifier: b.verifier, expectedState: b.state, expectedNonce: b.nonce, idTokenExpected: true,
  });
  seen.control_sub = ok.claims().sub;
}

// --- Crafted access tokens at our endpoints ---------------------------------

{
  const [atHeader, atPayload, atSignature] = tokens.access_token.split('.');
  const atClaims = JSON.parse(Buffer.from(atPayload, 'base64url'));
  assert.equal(JSON.parse(Buffer.from(atHeader, 'base64url')).typ, 'at+jwt');
  const crafted = {
    alg_none: `${b64({ alg: 'none', typ: 'at+jwt', kid: header.kid })}.${atPayload}.`,
    tampered: `${atHeader}.${b64({ ...atClaims, sub: '999999' })}.${atSignature}`,
    id_token: tokens.id_token,
  };
  for (const [name, token] of Object.entries(crafted)) {
    seen[`access_${name}_userinfo`] = await fails(client.fetchUserInfo(config, token, client.skipSubjectCheck));
    seen[`access_${name}_introspection`] = (await client.tokenIntrospection(config, token)).active;
  }
}

// --- Client credentials -----------------------------------------------------

{
  const service = await client.clientCredentialsGrant(config, { scope: 'api' });
  const info = await client.tokenIntrospection(config, service.access_token);
  seen.client_credentials = { active: info.active, sub: info.sub, has_refresh: 'refresh_token' in service };
  seen.client_credentials_api = await fails(client.fetchProtectedResource(config, service.access_token, new URL('/api/v1/me', iss), 'GET'));
  const regions = await client.fetchProtectedResource(config, service.access_token, new URL('/api/v1/regions', iss), 'GET');
  seen.client_credentials_public = regions.status;
}

// --- RP-initiated logout ----------------------------------------------------

{
  const state = client.randomState();
  const url = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: env.POST_LOGOUT_REDIRECT_URI,
    state,
  });
  assert.equal(url.origin + url.pathname, meta.end_session_endpoint);
  const res = await browse(url);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `${env.POST_LOGOUT_REDIRECT_URI}?state=${state}`);
  // The session is gone: a silent request needs a sign-in.
  const silent = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid', prompt: 'none', state: 's', nonce: 'n',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const again = await browse(silent);
  seen.after_logout = new URL(again.headers.get('location')).searchParams.get('error');
  seen.logged_out = true;
}

console.log(JSON.stringify(seen));
