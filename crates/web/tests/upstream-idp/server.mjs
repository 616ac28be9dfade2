// An upstream OpenID Connect provider for the Satu Akun brokering tests
// (crates/web/tests/it/broker.rs): oidc-provider (panva, OpenID Certified)
// on 127.0.0.1.
//
//   node server.mjs <port> <redirect_uri>[,<redirect_uri>…] <client_secret>
//
// One confidential client `rumah-inovasi` (client_secret_basic, PKCE) whose
// redirect URIs are Satu Akun's callbacks, and the static accounts below. The
// sign-in is non-interactive: the login interaction signs in the account
// named by the authorization request's `login_hint` (400 when there is
// none), and consent is granted up front (loadExistingGrant), so a test
// completes the upstream part by following redirects. Prints "ready" once
// listening.

import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const [port, redirectUris, clientSecret] = process.argv.slice(2);
if (!port || !redirectUris || !clientSecret) {
  console.error('usage: node server.mjs <port> <redirect_uri>[,<redirect_uri>…] <client_secret>');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

// Claims by login_hint; `sub` is the hint with a prefix.
const accounts = {
  'nip-match': { name: 'Siti Rahayu', nip: '198507262010012003', email: 'siti.hulu@example.org', email_verified: false },
  'email-verified': { name: 'Budi Santoso', email: 'budi@dinas.example.go.id', email_verified: true },
  'email-unverified': { name: 'Budi Palsu', email: 'budi@dinas.example.go.id', email_verified: false },
  'newcomer': { name: 'Rina Pendatang', email: 'rina.baru@example.org', email_verified: true, nip: '199203142019032005' },
  'locked': { name: 'Akun Terkunci', nip: '197812012005011002', email_verified: false },
};

// The key leaves the generation job as PEM and is parsed anew before the JWK
// export. Exporting the job's own KeyObject can deadlock Node 20: a garbage
// collection during the export runs the finished job's destructor, which
// takes the mutex the export holds (seen as a test hung for 80 minutes).
const { privateKey: pem } = crypto.generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const privateKey = crypto.createPrivateKey(pem);
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'hulu-1', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'rumah-inovasi',
    client_secret: clientSecret,
    redirect_uris: redirectUris.split(','),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
    nip: ['nip'],
    acr: null,
  },
  acrValues: ['urn:hulu:acr:loa2'],
  // The scopes' claims go into the ID token itself (as Keycloak does).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const hint = id.replace(/^hulu-/, '');
    const a = accounts[hint];
    if (!a) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...a }; } };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email nip');
    await grant.save();
    return grant;
  },
});

const callback = provider.callback();
http.createServer(async (req, res) => {
  if (!req.url.startsWith('/interaction/')) {
    callback(req, res);
    return;
  }
  try {
    const { prompt, params } = await provider.interactionDetails(req, res);
    const hint = params.login_hint;
    if (prompt.name !== 'login' || !hint || !accounts[hint]) {
      res.statusCode = 400;
      res.end(`cannot complete ${prompt.name} for login_hint ${hint}`);
      return;
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: `hulu-${hint}`, acr: 'urn:hulu:acr:loa2', amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e));
  }
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));
