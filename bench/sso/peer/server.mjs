// The benchmark's peer: panva's oidc-provider (OpenID Certified), set up
// like Satu Akun so that both do the same work per request:
//   * ES256 signatures (one P-256 key), ID tokens and JWT access tokens
//     (RFC 9068 profile) for the API resource, audience `${issuer}/api`;
//   * client_secret_basic, client_credentials, refresh tokens rotated on
//     every use (reuse revokes the grant), introspection and revocation;
//   * first-party clients: consent is granted without a screen, as Satu
//     Akun does for `--first-party` clients;
//   * token lifetimes as Satu Akun's: access 600 s, refresh 30 days.
// Storage is oidc-provider's in-memory adapter (the issue allows it).
// Sign-in is its development form (any login, no password hashing): the
// password-login figure is measured on Satu Akun alone, against the raw
// Argon2id rate.
//
//   PORT=4000 CC_SECRET=… RP_SECRET=… node server.mjs
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 4000);
const issuer = `http://127.0.0.1:${port}`;
const api = `${issuer}/api`;
// PEM out of the generation job, parsed anew for the JWK export: exporting
// the job's own KeyObject can deadlock Node 20 when a garbage collection
// runs the job's destructor during the export.
const { privateKey: pem } = generateKeyPairSync('ec', {
  namedCurve: 'P-256',
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const privateKey = createPrivateKey(pem);
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

const accounts = new Map();
const account = (sub) => {
  if (!accounts.has(sub)) {
    accounts.set(sub, {
      accountId: sub,
      async claims() {
        return {
          sub,
          name: 'Bench User',
          preferred_username: sub,
          email: `${sub}@jatimprov.go.id`,
          email_verified: true,
        };
      },
    });
  }
  return accounts.get(sub);
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bench-cc',
      client_secret: process.env.CC_SECRET,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'bench-rp',
      client_secret: process.env.RP_SECRET,
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['http://127.0.0.1/cb'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      // Access tokens for UserInfo: oidc-provider serves UserInfo only for
      // opaque tokens that are not bound to a resource server.
      client_id: 'bench-ui',
      client_secret: process.env.RP_SECRET,
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['http://127.0.0.1/cb'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
  clientDefaults: { id_token_signed_response_alg: 'ES256', grant_types: ['authorization_code'], response_types: ['code'] },
  scopes: ['openid', 'profile', 'email', 'offline_access', 'api'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  findAccount: async (ctx, sub) => account(sub),
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, client) => (client.clientId === 'bench-ui' ? undefined : api),
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api openid profile email',
        audience: api,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  ttl: {
    AccessToken: 600,
    ClientCredentials: 600,
    IdToken: 600,
    RefreshToken: 30 * 24 * 3600,
    Grant: 30 * 24 * 3600,
    Session: 12 * 3600,
    Interaction: 600,
    AuthorizationCode: 60,
  },
  rotateRefreshToken: true,
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  // First-party: consent is implied, as for Satu Akun's first-party clients.
  loadExistingGrant: async (ctx) => {
    const { Grant } = ctx.oidc.provider;
    const id = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    const grant = (id && await Grant.find(id))
      || new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email offline_access api');
    grant.addOIDCClaims(['name', 'preferred_username', 'email', 'email_verified']);
    if (ctx.oidc.client.clientId !== 'bench-ui') grant.addResourceScope(api, 'api openid profile email');
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
