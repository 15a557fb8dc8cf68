// A real OpenID Connect provider (npm oidc-provider, certified by the OpenID Foundation) on loopback, for the sign-in tests.
// Usage: node oidc_provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// Its development sign-in pages take any login name (no password): the account's claims are made from it; a login
// "<name>+pwd,otp" says which methods the sign-in used (the ID token's amr).
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub', 'amr'], profile: ['preferred_username', 'name'], email: ['email', 'email_verified'] },
  // the login is the account's subject; "<subject>~<name>" is an account whose user name is another's (renamed at the provider)
  findAccount: (ctx, id) => {
    const name = id.includes('~') ? id.split('~')[1] : id;
    return { accountId: id, claims: () => ({ sub: id, preferred_username: name, name, email: `${name}@example.test`, email_verified: true }) };
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['only-for-the-tests'] },
});
// "<login>+<method>,<method>" signs in as <login> with those authentication methods (RFC 8176), said in the ID token's amr
const finished = provider.interactionFinished.bind(provider);
provider.interactionFinished = (req, res, result, options) => {
  const login = result.login?.accountId;
  if (login?.includes('+')) {
    const [accountId, methods] = login.split('+');
    result = { ...result, login: { ...result.login, accountId, amr: methods.split(',') } };
  }
  return finished(req, res, result, options);
};
provider.listen(Number(port), '127.0.0.1', () => console.log(`listening ${issuer}`));
