import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockModelServer, startMockModelServer } from '../src/index.js';

const servers: MockModelServer[] = [];
async function start(): Promise<MockModelServer> {
  const mock = await startMockModelServer();
  servers.push(mock);
  return mock;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('startMockModelServer', () => {
  it('listens on an ephemeral loopback port and exposes both base URLs', async () => {
    const mock = await start();
    expect(mock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(mock.openaiBaseURL).toBe(`${mock.url}/v1`);
    expect(mock.anthropicBaseURL).toBe(mock.url);
    const other = await start();
    expect(other.url).not.toBe(mock.url);
  });

  it('records every request with method, path, lower-cased headers and parsed body', async () => {
    const mock = await start();
    const openai = new OpenAI({
      baseURL: mock.openaiBaseURL,
      apiKey: 'sk-recorded',
      maxRetries: 0,
    });
    await openai.chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'record me' }] },
      { headers: { 'X-Custom': 'yes' } },
    );
    await fetch(`${mock.url}/nowhere?x=1`, { method: 'POST', body: 'not json' });
    expect(mock.requests).toHaveLength(2);
    const [first, second] = mock.requests;
    expect(first).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { authorization: 'Bearer sk-recorded', 'x-custom': 'yes' },
      body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'record me' }] },
    });
    expect(second).toMatchObject({ method: 'POST', path: '/nowhere?x=1', body: 'not json' });
  });

  it('answers unknown paths with a 404 JSON error', async () => {
    const mock = await start();
    const res = await fetch(`${mock.url}/v1/unknown`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({ error: { code: 'unknown_url' } });
  });

  it('answers other methods on a model route with 405', async () => {
    const mock = await start();
    const res = await fetch(`${mock.openaiBaseURL}/chat/completions`);
    expect(res.status).toBe(405);
    expect(mock.requests[0]).toMatchObject({ method: 'GET', body: undefined });
  });

  it('rejects a body that is not a JSON object with 400', async () => {
    const mock = await start();
    const res = await fetch(`${mock.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      body: '{oops',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('rejects a chat request without messages with 400 naming the field', async () => {
    const mock = await start();
    const res = await fetch(`${mock.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-4o' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: 'messages' } });
  });

  it('closes promptly even with a delayed request pending, and close is idempotent', async () => {
    const mock = await startMockModelServer();
    const pending = fetch(`${mock.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'x-mock-delay-ms': '60000' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    }).catch((error: unknown) => error);
    while (mock.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await Promise.all([mock.close(), mock.close()]);
    expect(await pending).toBeInstanceOf(Error);
    await expect(fetch(mock.url)).rejects.toThrow();
  });
});

describe('CLI', () => {
  it('prints its URLs and serves requests until SIGTERM', async () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (data: Buffer) => {
          out += data.toString();
          const match = /listening on (http:\/\/\S+)/.exec(out);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
      });
      const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'test', maxRetries: 0 });
      const reply = await openai.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'from the CLI' }],
      });
      expect(reply.choices[0]?.message.content).toBe('Echo: from the CLI');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
