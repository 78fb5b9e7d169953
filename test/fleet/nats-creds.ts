import { createHash, randomBytes } from 'node:crypto';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';

// Real NATS decentralized auth, made here without nsc: an operator, an account with JetStream, and a
// user, each a JWT signed with ed25519 NKeys as nats-server checks them; the user's `.creds` file is
// the JWT and the seed in the format nsc writes.

const b64url = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');

function jwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const claims: Record<string, unknown> = {
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  };
  claims.jti = createHash('sha256').update(JSON.stringify(claims)).update(randomBytes(8)).digest('base64url');
  const signing = `${b64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }))}.${b64url(JSON.stringify(claims))}`;
  return `${signing}.${b64url(issuer.sign(new TextEncoder().encode(signing)))}`;
}

/** The `.creds` file of a user: its JWT and its seed. */
function credsFile(userJwt: string, user: KeyPair): string {
  return [
    '-----BEGIN NATS USER JWT-----',
    userJwt,
    '------END NATS USER JWT------',
    '',
    '************************* IMPORTANT *************************',
    'NKEY Seed printed below can be used to sign and prove identity.',
    'NKEYs are sensitive and should be treated as secrets.',
    '',
    '-----BEGIN USER NKEY SEED-----',
    new TextDecoder().decode(user.getSeed()),
    '------END USER NKEY SEED------',
    '',
  ].join('\n');
}

const unlimited = { subs: -1, data: -1, payload: -1 };

/**
 * A server configuration in operator mode (memory resolver, one account with JetStream) and the
 * `.creds` of a user of that account; `stranger` is the `.creds` of a user whose account the operator
 * never signed (refused).
 */
export function operatorSetup(): { config: string; creds: string; stranger: string } {
  const operator = createOperator();
  const account = createAccount();
  const user = createUser();
  // JetStream needs a system account.
  const system = createAccount();
  const operatorJwt = jwt(operator, operator.getPublicKey(), 'fleet-test', { type: 'operator', system_account: system.getPublicKey() });
  const systemJwt = jwt(operator, system.getPublicKey(), 'SYS', { type: 'account', limits: { ...unlimited, conn: -1 } });
  const accountJwt = jwt(operator, account.getPublicKey(), 'backups', {
    type: 'account',
    limits: {
      ...unlimited,
      imports: -1,
      exports: -1,
      wildcards: true,
      conn: -1,
      leaf: -1,
      mem_storage: -1,
      disk_storage: -1,
      streams: -1,
      consumer: -1,
    },
  });
  const userJwt = jwt(account, user.getPublicKey(), 'backup-service', { type: 'user', pub: {}, sub: {}, ...unlimited });
  const otherAccount = createAccount();
  const other = createUser();
  const strangerJwt = jwt(otherAccount, other.getPublicKey(), 'stranger', { type: 'user', pub: {}, sub: {}, ...unlimited });
  const config = [
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    `resolver_preload: { ${account.getPublicKey()}: ${accountJwt}, ${system.getPublicKey()}: ${systemJwt} }`,
    '',
  ].join('\n');
  return { config, creds: credsFile(userJwt, user), stranger: credsFile(strangerJwt, other) };
}
