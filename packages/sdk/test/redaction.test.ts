import { GenAI } from '@pilotlight/conventions';
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedactor, luhnValid, traceCall, wrapOpenAI } from '../src/index.js';
import { jsonAttr, only, startSdk } from './helpers/sdk.js';

describe('createRedactor', () => {
  const redact = createRedactor();
  it.each([
    ['email', 'write to jane.doe+news@example.co.uk today', 'write to [REDACTED:email] today'],
    ['phone (international)', 'call +44 20 7946 0958 now', 'call [REDACTED:phone] now'],
    ['phone (US)', 'call (555) 123-4567 now', 'call [REDACTED:phone] now'],
    ['card (Luhn-valid)', 'card 4111 1111 1111 1111 ok', 'card [REDACTED:card] ok'],
    ['OpenAI key', 'key sk-proj-abcdefghijklmnopqrstuvwxyz123456', 'key [REDACTED:api_key]'],
    ['Anthropic key', 'key sk-ant-api03-abcdefghijklmnopqrstuvwxyz_12', 'key [REDACTED:api_key]'],
    ['AWS access key id', 'id AKIAIOSFODNN7EXAMPLE here', 'id [REDACTED:api_key] here'],
    [
      'GitHub token',
      'token ghp_abcdefghijklmnopqrstuvwxyz0123456789 here',
      'token [REDACTED:api_key] here',
    ],
    [
      'bearer token',
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig',
      'Authorization: [REDACTED:bearer_token]',
    ],
    ['IPv4', 'from 192.168.10.20 today', 'from [REDACTED:ipv4] today'],
    ['IPv6', 'from 2001:db8::8a2e:370:7334 today', 'from [REDACTED:ipv6] today'],
  ])('redacts %s', (_name, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('leaves look-alikes alone', () => {
    for (const text of [
      'card 4111 1111 1111 1112 fails Luhn',
      'on 2024-01-15 at 12:30:45',
      'order 123456 costs 1,299.00',
      'sk-short',
    ]) {
      expect(redact(text)).toBe(text);
    }
  });

  it('checks Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
  });

  it('applies custom patterns and a custom function, and only the selected detectors', () => {
    const custom = createRedactor({
      detectors: ['email'],
      patterns: [{ name: 'ticket', pattern: /TCK-\d+/ }],
      redact: (t) => t.replaceAll('Acme', '[REDACTED:company]'),
    });
    expect(custom('Acme ticket TCK-42 from bob@example.com at 10.0.0.1')).toBe(
      '[REDACTED:company] ticket [REDACTED:ticket] from [REDACTED:email] at 10.0.0.1',
    );
  });

  it('keeps the pattern result when the custom function throws', () => {
    const custom = createRedactor({
      redact: () => {
        throw new Error('bug');
      },
    });
    expect(custom('mail bob@example.com')).toBe('mail [REDACTED:email]');
  });
});

describe('redaction in exported spans', () => {
  let mock: MockModelServer;
  let sdk: ReturnType<typeof startSdk>;
  beforeAll(async () => {
    mock = await startMockModelServer();
    sdk = startSdk();
  });
  afterAll(async () => {
    await sdk.stop();
    await mock.close();
  });

  it('redacts prompts, outputs, traceCall input and exception messages before export', async () => {
    const openai = wrapOpenAI(
      new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 }),
    );
    const response = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'my mail is jane@example.com' }],
    });
    // The caller's data is untouched.
    expect(response.choices[0]?.message.content).toContain('jane@example.com');
    await traceCall('lookup', () => 'ok', { input: { email: 'bob@example.com', ip: '10.1.2.3' } });
    await traceCall('fail', () => {
      throw new Error('no user bob@example.com');
    }).catch(() => undefined);
    const spans = await sdk.spans();
    const chat = only(spans, 'chat gpt-4o-mini');
    expect(JSON.stringify(jsonAttr(chat, GenAI.INPUT_MESSAGES))).toContain(
      'my mail is [REDACTED:email]',
    );
    expect(JSON.stringify(jsonAttr(chat, GenAI.OUTPUT_MESSAGES))).not.toContain('jane@example.com');
    expect(jsonAttr(only(spans, 'lookup'), 'pilotlight.input')).toEqual({
      email: '[REDACTED:email]',
      ip: '[REDACTED:ipv4]',
    });
    const fail = only(spans, 'fail');
    expect(fail.events[0]?.attributes?.['exception.message']).toBe('no user [REDACTED:email]');
    expect(fail.status.message).toBe('no user [REDACTED:email]');
  });
});
