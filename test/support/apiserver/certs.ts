// A self-signed CA and a server certificate for 127.0.0.1/localhost, made once per process with the openssl CLI.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsMaterial {
  /** Directory holding ca.crt, server.crt, server.key (removed at process exit). */
  dir: string;
  caFile: string;
  ca: string;
  cert: string;
  key: string;
}

let cached: TlsMaterial | undefined;

// client-node refuses plain http, so every fake server needs a CA the client can trust; generating is slow, hence the cache.
export function tlsMaterial(): TlsMaterial {
  cached ??= newTlsMaterial('jetway-fake-ca');
  return cached;
}

// A CA of its own (named `caName`) and a server certificate it signed, for tests that need servers with distinct CAs.
export function newTlsMaterial(caName: string): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'jetway-fake-apiserver-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '3650',
    '-subj',
    `/CN=${caName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver']);
  writeFileSync(join(dir, 'ext.cnf'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '3650', '-extfile', 'ext.cnf']);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { dir, caFile: join(dir, 'ca.crt'), ca: read('ca.crt'), cert: read('server.crt'), key: read('server.key') };
}
