import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../src/alerts/sinks/http.js';
import {
  checkTarget,
  classifyAddress,
  createTargetPolicy,
  parseIp,
  type ResolveAll,
} from '../src/alerts/ssrf.js';

const strict = createTargetPolicy();

/** A resolver answering from a table, recording every question. */
function fakeDns(table: Record<string, string[]>) {
  const asked: string[] = [];
  const resolveAll: ResolveAll = async (host) => {
    asked.push(host);
    const answers = table[host];
    if (answers === undefined)
      throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolveAll, asked };
}

async function refusal(url: string, policy = strict, resolveAll?: ResolveAll) {
  const check = await checkTarget(url, policy, resolveAll ?? fakeDns({}).resolveAll);
  if (check.ok) throw new Error(`${url} was not refused`);
  return check.refusal;
}

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'link_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    // IPv6 forms carrying an IPv4 address are judged by that address.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:0:169.254.169.254', 'metadata'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:c0a8:0101::1', 'private'],
    ['::ffff:0.0.0.0', 'unspecified'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '192.169.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
  ])('%s is public', (address) => {
    expect(classifyAddress(address)).toBeNull();
  });

  it('parses IPv6 with embedded IPv4 to the same bytes as its hex form', () => {
    expect(parseIp('::ffff:127.0.0.1')).toEqual(parseIp('::ffff:7f00:1'));
    expect(parseIp('not-an-ip')).toBeNull();
    expect(() => classifyAddress('example.com')).toThrow(RangeError);
  });
});

describe('checkTarget', () => {
  it('accepts https to a public address and refuses http and other schemes by default', async () => {
    const ok = await checkTarget('https://8.8.8.8/hook', strict);
    expect(ok.ok).toBe(true);
    expect((await refusal('http://8.8.8.8/hook')).code).toBe('scheme');
    expect((await refusal('ftp://8.8.8.8/hook')).code).toBe('scheme');
    expect((await refusal('file:///etc/passwd')).code).toBe('scheme');
    expect((await refusal('not a url')).code).toBe('invalid_url');
  });

  it.each([
    ['https://127.0.0.1/', 'loopback'],
    ['https://localhost.localdomain.invalid@127.0.0.1/', 'loopback'],
    ['https://2130706433/', 'loopback'], // decimal spelling of 127.0.0.1
    ['https://0x7f.1/', 'loopback'],
    ['https://[::1]:8443/', 'loopback'],
    ['https://[::ffff:127.0.0.1]/', 'loopback'],
    ['https://10.0.0.8/', 'private'],
    ['https://[fd12::1]/', 'private'],
    ['https://169.254.10.10/', 'link-local'],
    ['https://[fe80::1]/', 'link-local'],
    ['https://169.254.169.254/latest/meta-data/', 'metadata'],
    ['https://[fd00:ec2::254]/', 'metadata'],
    ['https://[::ffff:a9fe:a9fe]/', 'metadata'],
    ['https://0.0.0.0/', 'unspecified'],
    ['https://[::]/', 'unspecified'],
  ])('refuses the literal %s (%s)', async (url, kind) => {
    const r = await refusal(url);
    expect(r.code).toBe('address');
    expect(r.message).toContain(`${kind} address`);
  });

  it('checks every address a name resolves to', async () => {
    const dns = fakeDns({
      'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
      'mixed.example.com': ['93.184.216.34', '10.0.0.5'],
      'meta.example.com': ['::ffff:169.254.169.254'],
    });
    const ok = await checkTarget('https://hooks.example.com/x', strict, dns.resolveAll);
    expect(ok.ok && ok.target.addresses.map((a) => a.address)).toEqual([
      '93.184.216.34',
      '2606:2800:220:1::1',
    ]);
    const mixed = await refusal('https://mixed.example.com/x', strict, dns.resolveAll);
    expect(mixed.message).toBe(
      '10.0.0.5 is a private address (mixed.example.com resolves to it); add it to the network allow list to permit it',
    );
    expect((await refusal('https://meta.example.com/', strict, dns.resolveAll)).message).toContain(
      'metadata',
    );
    expect((await refusal('https://nowhere.example.com/', strict, dns.resolveAll)).code).toBe(
      'dns',
    );
  });

  it('allows listed hosts (but not metadata through them) and listed CIDRs', async () => {
    const dns = fakeDns({
      'hooks.internal': ['10.1.2.3', 'fd00::5'],
      'evil.internal': ['169.254.169.254'],
      'other.internal': ['192.168.0.9'],
    });
    const policy = createTargetPolicy({
      allow: ['Hooks.Internal', 'evil.internal', '172.16.0.0/12', '[::1]', '169.254.169.253'],
    });
    expect((await checkTarget('https://hooks.internal/', policy, dns.resolveAll)).ok).toBe(true);
    expect((await refusal('https://evil.internal/', policy, dns.resolveAll)).message).toContain(
      'metadata',
    );
    expect((await refusal('https://other.internal/', policy, dns.resolveAll)).code).toBe('address');
    expect((await checkTarget('https://172.20.1.1/', policy)).ok).toBe(true);
    expect((await checkTarget('https://[::ffff:172.20.1.1]/', policy)).ok).toBe(true);
    expect((await checkTarget('https://[::1]/', policy)).ok).toBe(true);
    expect((await refusal('https://127.0.0.1/', policy)).code).toBe('address');
    expect((await refusal('https://169.254.169.254/', policy)).code).toBe('address');
    const metadataAllowed = createTargetPolicy({ allow: ['169.254.169.254/32'] });
    expect((await checkTarget('https://169.254.169.254/', metadataAllowed)).ok).toBe(true);
  });

  it('refuses a malformed allow-list entry', () => {
    expect(() => createTargetPolicy({ allow: ['10.0.0.0/33'] })).toThrow(RangeError);
    expect(() => createTargetPolicy({ allow: ['10.0.0.0/x'] })).toThrow(RangeError);
  });
});

describe('postJson against a local http receiver', () => {
  let server: Server;
  let port: number;
  const received: { host: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push({ host: req.headers.host, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reaches a local http receiver only when http and its address are allowed', async () => {
    const url = `http://127.0.0.1:${port}/hook`;
    const before = received.length;
    const noHttp = await postJson(
      url,
      '{}',
      {},
      { policy: createTargetPolicy({ allow: ['127.0.0.1'] }) },
    );
    expect(noHttp).toMatchObject({ status: 'failure', reason: expect.stringContaining('http:') });
    const notAllowed = await postJson(
      url,
      '{}',
      {},
      { policy: createTargetPolicy({ allowHttp: true }) },
    );
    expect(notAllowed).toMatchObject({
      status: 'failure',
      reason: expect.stringContaining('loopback'),
    });
    expect(received.length).toBe(before);
    const allowed = await postJson(
      url,
      '{"a":1}',
      {},
      {
        policy: createTargetPolicy({ allowHttp: true, allow: ['127.0.0.0/8'] }),
      },
    );
    expect(allowed).toEqual({ status: 'success', httpStatus: 204 });
    expect(received.at(-1)!.body).toBe('{"a":1}');
  });

  it('connects to the address it checked, resolving once (no rebinding window)', async () => {
    // `receiver.test` exists only in this resolver; the second answer would be refused.
    const answers = [['127.0.0.1'], ['169.254.169.254']];
    let calls = 0;
    const resolveAll: ResolveAll = async () => {
      const a = answers[Math.min(calls++, 1)]!;
      return a.map((address) => ({ address, family: 4 }));
    };
    const policy = createTargetPolicy({ allowHttp: true, allow: ['127.0.0.1'] });
    const outcome = await postJson(
      `http://receiver.test:${port}/hook`,
      '{"b":2}',
      {},
      {
        policy,
        resolveAll,
      },
    );
    expect(outcome.status).toBe('success');
    expect(calls).toBe(1);
    // The Host header still names the host: virtual hosting and TLS SNI keep working.
    expect(received.at(-1)).toEqual({ host: `receiver.test:${port}`, body: '{"b":2}' });
    // The next attempt resolves again and is refused before connecting.
    const second = await postJson(
      `http://receiver.test:${port}/hook`,
      '{}',
      {},
      { policy, resolveAll },
    );
    expect(second).toMatchObject({
      status: 'failure',
      reason: expect.stringContaining('metadata'),
    });
  });
});
