import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../src/alerts/sinks/http.js';
import { createTargetPolicy, type ResolveAll } from '../src/alerts/ssrf.js';

// A throwaway test PKI (valid 2000-2100), made with openssl for this test only: a CA and
// a leaf certificate for the name `hooks.test`. Nothing else trusts it.
const CA = `-----BEGIN CERTIFICATE-----
MIIBbTCCAROgAwIBAgIBATAKBggqhkjOPQQDAjAdMRswGQYDVQQDDBJwaWxvdGxp
Z2h0IHRlc3QgQ0EwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMB0x
GzAZBgNVBAMMEnBpbG90bGlnaHQgdGVzdCBDQTBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABOGwxEcd0TN3Ph4HxRa3y3hhYdEYjRs2zEt9ROvPsgCfA0Gk1fjFmv1X
HDNA/DB96mLRyqYmHtFEBFBAFCbzCWqjQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYD
VR0PAQH/BAQDAgEGMB0GA1UdDgQWBBSCixMt18u/wH22xF1ehHkAms80/jAKBggq
hkjOPQQDAgNIADBFAiEA0UQc4yzzfbcy9NyVXDyfxw1/Qe/EZ77n/V2CuGDfF2YC
IAtlhS9zfF5CBiSVfB/aLeHUnemI0eWSB8RTVvZSNoHd
-----END CERTIFICATE-----`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBnDCCAUKgAwIBAgIBAjAKBggqhkjOPQQDAjAdMRswGQYDVQQDDBJwaWxvdGxp
Z2h0IHRlc3QgQ0EwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMBUx
EzARBgNVBAMMCmhvb2tzLnRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASa
7vcebKMfE/KCKtQSwqaYNad5SrOVG1Xq80Uh2sTox8kH+kh2rZxMH8SZxs1R4pd+
CoMkrE/3v0OgLgwv8fFso3kwdzAJBgNVHRMEAjAAMBUGA1UdEQQOMAyCCmhvb2tz
LnRlc3QwEwYDVR0lBAwwCgYIKwYBBQUHAwEwHwYDVR0jBBgwFoAUgosTLdfLv8B9
tsRdXoR5AJrPNP4wHQYDVR0OBBYEFEcYK2iYNiXSzU3h/8/l54Xzdom6MAoGCCqG
SM49BAMCA0gAMEUCIFLa2ERifcsipMvhN0ioZ9/F7hEvjAH9jNN8NKNk8Q0SAiEA
6xERoj/qimOQeU+m3Dus34+jEsP8+ubjx9g+7JkXjXw=
-----END CERTIFICATE-----`;
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgH8AUSpYne0hAbAGV
TnoC62mC99Nyl5+C7jhTaBBGgWihRANCAASa7vcebKMfE/KCKtQSwqaYNad5SrOV
G1Xq80Uh2sTox8kH+kh2rZxMH8SZxs1R4pd+CoMkrE/3v0OgLgwv8fFs
-----END PRIVATE KEY-----`;

/** `hooks.test` and `other.test` exist only here, both on 127.0.0.1. */
const resolveAll: ResolveAll = async (host) => {
  if (host !== 'hooks.test' && host !== 'other.test') throw new Error(`ENOTFOUND ${host}`);
  return [{ address: '127.0.0.1', family: 4 }];
};
// https is the default: no allowHttp, only the loopback address is allowed explicitly.
const policy = createTargetPolicy({ allow: ['127.0.0.1'] });

describe('webhooks over https to a pinned address', () => {
  let server: Server;
  let port: number;
  const bodies: string[] = [];

  beforeAll(async () => {
    server = createServer({ cert: CERT, key: KEY }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('delivers to the checked address while verifying the certificate for the host name', async () => {
    const outcome = await postJson(
      `https://hooks.test:${port}/hook`,
      '{"x":1}',
      {},
      {
        policy,
        resolveAll,
        ca: CA,
      },
    );
    expect(outcome).toEqual({ status: 'success', httpStatus: 200 });
    expect(bodies.at(-1)).toBe('{"x":1}');
  });

  it('refuses a certificate for another name, although the address is the same', async () => {
    const before = bodies.length;
    const outcome = await postJson(
      `https://other.test:${port}/hook`,
      '{}',
      {},
      {
        policy,
        resolveAll,
        ca: CA,
      },
    );
    expect(outcome).toEqual({
      status: 'retryable',
      reason: 'network error: ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(bodies.length).toBe(before);
  });

  it('refuses a certificate from an untrusted CA', async () => {
    const outcome = await postJson(
      `https://hooks.test:${port}/hook`,
      '{}',
      {},
      { policy, resolveAll },
    );
    expect(outcome.status).toBe('retryable');
    expect(outcome.status !== 'success' && outcome.reason).toMatch(/CERT|SIGNATURE|ISSUER/);
  });
});
