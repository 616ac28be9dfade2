"""Satu Akun through a real OpenID Connect client library (Authlib).

Run by crates/web/tests/it/oidc_client.rs against a test server. Does what
a relying party does: discovery, an authorization request with PKCE (S256)
and a nonce, the user's sign-in in a browser-like session, the code
exchange with client_secret_basic, ID-token validation against the JWKS
(issuer, audience, nonce, expiry, at_hash), UserInfo with the access token,
a refresh, and RP-initiated logout (the end-session endpoint from
discovery, with the ID token as hint, a registered post-logout redirect and
state; afterwards prompt=none answers login_required). Prints one JSON object with what it saw; any failed check
raises, so the process exits non-zero.
"""

import base64
import html
import json
import os
import re

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

iss = os.environ["ISSUER"]
client_id = os.environ["CLIENT_ID"]
secret = os.environ["CLIENT_SECRET"]
redirect_uri = os.environ["REDIRECT_URI"]

meta = requests.get(iss + "/.well-known/openid-configuration", timeout=10).json()
assert meta["issuer"] == iss, meta["issuer"]

client = OAuth2Session(
    client_id,
    secret,
    scope="openid profile email offline_access",
    redirect_uri=redirect_uri,
    code_challenge_method="S256",
    token_endpoint_auth_method="client_secret_basic",
)
verifier = generate_token(64)
nonce = generate_token(24)
url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)

# The user's browser: sent to sign in, signs in, comes back, is sent to the client.
browser = requests.Session()
r = browser.get(url, allow_redirects=False, timeout=10)
assert r.status_code == 303, r.status_code
page = browser.get(iss + r.headers["location"], timeout=10).text
token = html.unescape(re.search(r'name="csrf_token" value="([^"]+)"', page).group(1))
next_path = html.unescape(re.search(r'name="next" value="([^"]+)"', page).group(1))
r = browser.post(
    iss + "/masuk",
    data={"csrf_token": token, "next": next_path, "login": os.environ["USERNAME"], "password": os.environ["PASSWORD"]},
    allow_redirects=False,
    timeout=10,
)
assert r.status_code == 303, (r.status_code, r.text[:300])
r = browser.get(iss + r.headers["location"], allow_redirects=False, timeout=10)
callback = r.headers["location"]
assert callback.startswith(redirect_uri), callback

tokens = client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)

jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
claims = jwt.decode(
    tokens["id_token"],
    jwks,
    claims_cls=CodeIDToken,
    claims_options={"iss": {"essential": True, "value": iss}, "aud": {"essential": True, "value": client_id}},
    claims_params={"nonce": nonce, "client_id": client_id, "access_token": tokens["access_token"]},
)
claims.validate(leeway=30)

userinfo = client.get(meta["userinfo_endpoint"], timeout=10).json()
refreshed = client.refresh_token(meta["token_endpoint"], refresh_token=tokens["refresh_token"])

# RP-initiated logout: the user's browser goes to the end-session endpoint.
logout_state = generate_token(16)
post_logout = os.environ["POST_LOGOUT_REDIRECT_URI"]
end_session = meta["end_session_endpoint"]
r = browser.get(
    end_session,
    params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": post_logout, "state": logout_state},
    allow_redirects=False,
    timeout=10,
)
assert r.status_code == 303, (r.status_code, r.text[:300])
back = r.headers["location"]
assert back == post_logout + "?state=" + logout_state, back
# The session is gone: a silent authorization request needs a sign-in.
url, _ = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce, prompt="none")
r = browser.get(url, allow_redirects=False, timeout=10)
assert r.status_code == 303, r.status_code
assert "error=login_required" in r.headers["location"], r.headers["location"]

print(json.dumps({
    "state_returned": state,
    "sub": claims["sub"],
    "nonce": claims["nonce"],
    "preferred_username": claims.get("preferred_username"),
    "userinfo_sub": userinfo["sub"],
    "userinfo_email": userinfo.get("email"),
    "refreshed": refreshed["refresh_token"] != tokens["refresh_token"],
    "refreshed_id_token": "id_token" in refreshed,
    "sid": claims.get("sid"),
    "end_session_endpoint": end_session,
    "logged_out": True,
    # The algorithm the validated ID token was signed with.
    "id_token_alg": json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[0] + "==")).get("alg"),
}))
