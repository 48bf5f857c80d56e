// A docker distribution token server for tests: a self-signed RSA cert (openssl CLI) and RS256 JWTs carrying it in x5c.

import { execFileSync } from 'node:child_process';
import { randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHttpServer, type TestServer } from './http-server.js';

export interface TokenServer {
  server: TestServer;
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate file the registry trusts (its rootcertbundle). */
  certFile: string;
  /** A token for `scope` (e.g. repository:flights/echo:pull,push), as the server would issue to an authenticated user. */
  issue(scope: string): string;
  close(): Promise<void>;
}

export interface TokenServerOptions {
  /** Directory for the key and certificate. */
  dir: string;
  username: string;
  password: string;
}

/** Starts the token server: valid Basic credentials get what they ask; anonymous requests get 401. */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const keyFile = join(options.dir, 'token.key');
  const certFile = join(options.dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=jetway-test-token'], {
    stdio: 'ignore',
  });
  const key = readFileSync(keyFile, 'utf8');
  const certDer = readFileSync(certFile, 'utf8')
    .replace(/-----[^-]+-----/g, '')
    .replace(/\s+/g, '');
  const service = 'jetway-test-registry';
  const issuer = 'jetway-test-issuer';
  const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;

  const issue = (scope: string): string => {
    const [type, name, actions] = scope.split(':');
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer] };
    const claims = {
      iss: issuer,
      sub: options.username,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access: type && name && actions ? [{ type, name, actions: actions.split(',') }] : [],
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
  };

  const server = await startHttpServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (request.headers.authorization !== expected) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const token = issue(url.searchParams.get('scope') ?? '');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token }));
  });
  return { server, realm: `${server.url}/token`, service, issuer, certFile, issue, close: () => server.close() };
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}
